#!/usr/bin/env bash
# What each built-in policy adds to one combined bytecode run, in instructions a workspace
# (valgrind's callgrind, counting inside the machine only): the pack is compiled from
# policies/ at run time, so an edited policy is measured without a rebuild.
#   bash bench/policy_costs.sh [N_WORKSPACES]       (default: 20, from the N=100 corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-20}
WORK=${WORK:-/tmp/stagegate-bench}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
cargo build --release --locked -q -p stagegate --example policy_costs
[ -d "$WORK/n100" ] || python3 bench/generate.py 100 "$WORK/n100" > /dev/null
mapfile -t dirs < <(find "$WORK/n100" -mindepth 1 -maxdepth 1 -type d | sort | head -n "$k")
count() {
  ROUNDS=1 ONLY_SKIP="$1" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --toggle-collect='*execute_entry_point_by_name*' \
    target/release/examples/policy_costs "${dirs[@]}" 2>&1 | awk -v k="$k" '/Collected/ {print int($4 / k)}'
}
all=$(count "")
printf '%-36s %10s\n' "all policies" "$all"
for p in $(grep -h '^package stagegate.policies' policies/*/policy.rego | awk '{print $2}'); do
  printf '%-36s %10s\n' "${p##*.}" "$((all - $(count "$p")))"
done
