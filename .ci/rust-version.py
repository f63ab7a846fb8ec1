#!/usr/bin/env python3
"""Fails when a locked dependency needs a newer Rust than the workspace's `rust-version`:
the promise in Cargo.toml and the README must hold for the lockfile users build.

    cargo metadata --format-version 1 --locked --offline | python3 .ci/rust-version.py
"""
import json
import re
import sys


def version(text):
    return tuple(int(x) for x in (text.split(".") + ["0", "0"])[:3])


meta = json.load(sys.stdin)
workspace = set(meta["workspace_members"])
promised = None
for p in meta["packages"]:
    if p["id"] in workspace and p.get("rust_version"):
        promised = p["rust_version"]
if promised is None:
    sys.exit("no rust-version in the workspace")
newer = sorted(
    (p["name"], p["version"], p["rust_version"])
    for p in meta["packages"]
    if p["id"] not in workspace
    and p.get("rust_version")
    and version(p["rust_version"]) > version(promised)
)
if newer:
    for name, ver, need in newer:
        print(f"{name} {ver} needs Rust {need}", file=sys.stderr)
    sys.exit(f"rust-version {promised} is not true for the lockfile: raise it to the highest above")
readme = open("README.md", encoding="utf-8").read()
said = re.findall(r"Rust (\d+\.\d+)", readme)
if said and any(s != promised for s in said):
    sys.exit(f"README names Rust {', '.join(sorted(set(said)))}; Cargo.toml says {promised}")
print(f"rust-version {promised} holds for every locked dependency")
