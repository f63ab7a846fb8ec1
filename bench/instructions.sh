#!/usr/bin/env bash
# Counts the instructions of one single-threaded audit (valgrind's callgrind): a measure of
# the work done that does not vary from run to run as wall-clock time does.
#   bash bench/instructions.sh [N]        (default: 100)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
WORK=${WORK:-/tmp/stagegate-bench}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
cargo build --release --locked -q -p stagegate-cli
dir="$WORK/n$n"
[ -d "$dir" ] || python3 bench/generate.py "$n" "$dir" > /dev/null
total=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
  target/release/stagegate audit --jobs 1 --workspace-per-dir --fail-on never \
  --format json --output /dev/null "$dir" 2>&1 | awk '/Collected/ {print $4}')
echo "N=$n: $total instructions, $((total / n)) per workspace"
