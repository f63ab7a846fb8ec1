//! locate: a finding's fingerprint, the one every output and baseline uses.
//!
//! A fingerprint names what a finding is about, not where it sits: the policy, and for each
//! place it points at, the file relative to the checked folder and the nearest model item
//! that holds the place, by name (`action:app/Build/Compile`, `command:build:npm test`,
//! `project:app-build`), followed by the rest of the path. A new action written at the
//! index of an accepted one therefore carries a fingerprint of its own, and the same
//! finding keeps its fingerprint wherever the sweep runs and whatever lines move.

use crate::model::{SourceRef, Workspace};
use std::collections::HashMap;

/// FNV-1a of the parts, each ended by a NUL: stable across runs, machines and versions of
/// Rust, as `std`'s hashers are not.
pub(crate) fn fnv(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for s in parts {
        for b in s.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// [`fnv`] as 16 hex digits.
pub(crate) fn hash(parts: &[&str]) -> String {
    format!("{:016x}", fnv(parts))
}

/// The names of the model items of one workspace, by the place that declares them.
pub(crate) struct Names<'w> {
    by_place: HashMap<(&'w str, &'w str), String>,
    /// Display prefixes (`dir/`) of the checked folders, stripped from file names.
    roots: Vec<String>,
}

impl<'w> Names<'w> {
    /// Names every pipeline, stage, action, project, variable and command of `ws`. Items
    /// that share a name are told apart by their rank among those of that name (`#1`).
    pub(crate) fn new(ws: &'w Workspace, roots: &[String]) -> Self {
        let mut by_place = HashMap::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut add = |source: &'w SourceRef, name: String| {
            let rank = seen.entry(name.clone()).or_insert(0);
            let name = if *rank == 0 {
                name
            } else {
                format!("{name}#{rank}")
            };
            *rank += 1;
            by_place
                .entry((source.file.as_str(), source.path.as_str()))
                .or_insert(name);
        };
        for p in &ws.pipelines {
            add(&p.source, format!("pipeline:{}", p.name));
            for s in &p.stages {
                add(&s.source, format!("stage:{}/{}", p.name, s.name));
                for a in &s.actions {
                    add(
                        &a.source,
                        format!("action:{}/{}/{}", p.name, s.name, a.name),
                    );
                }
            }
        }
        for project in ws.projects.values() {
            let label = project
                .name
                .clone()
                .or_else(|| project.logical_id.clone())
                .unwrap_or_else(|| project.key.clone());
            add(&project.source, format!("project:{label}"));
            for v in &project.environment.variables {
                add(&v.source, format!("variable:{label}/{}", v.name));
            }
        }
        for spec in ws.buildspecs.values() {
            for c in &spec.commands {
                // an inline buildspec is named by the place that embeds it
                let embedded_at = c.source.path.split_once('#').map_or("", |(at, _)| at);
                let list = if c.finally { "finally" } else { "commands" };
                add(
                    &c.source,
                    format!("command:{embedded_at}:{}:{list}:{}", c.phase, c.text),
                );
            }
        }
        Names {
            by_place,
            roots: roots.to_vec(),
        }
    }

    /// The file of `source` relative to its checked folder, and the name of the nearest
    /// item holding its place with the rest of the path.
    fn logical(&self, source: &SourceRef) -> (String, String) {
        let file = self
            .roots
            .iter()
            .find_map(|r| source.file.strip_prefix(r.as_str()))
            .unwrap_or(&source.file)
            .to_string();
        let path = source.path.as_str();
        let mut cut = path.len();
        loop {
            let (held, rest) = path.split_at(cut);
            if let Some(name) = self.by_place.get(&(source.file.as_str(), held)) {
                return (file, format!("{name}{rest}"));
            }
            match held.rfind(['/', '#']) {
                Some(i) => cut = i,
                None => return (file, path.to_string()),
            }
        }
    }

    /// The fingerprint of a finding of `policy` pointing at `targets`.
    pub(crate) fn fingerprint(&self, policy: &str, targets: &[&SourceRef]) -> String {
        let logical: Vec<(String, String)> = targets.iter().map(|t| self.logical(t)).collect();
        let mut parts = vec![policy];
        for (file, place) in &logical {
            parts.push(file);
            parts.push(place);
        }
        hash(&parts)
    }
}
