#!/usr/bin/env bash
# Benchmark: `stagegate audit` over generated corpora with every built-in policy.
#   bash bench/run.sh [N ...]        (default: 100 1000 10000)
# Prints, per N: wall seconds (median of RUNS runs), files/s, MB/s and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/stagegate-bench}
cargo build --release --locked -q -p stagegate-cli
BIN=target/release/stagegate
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
printf '%-7s %-7s %-8s %-9s %-10s %-8s %s\n' N files MB "wall_s" "files/s" "MB/s" "peak_RSS_MB"
for n in "${sizes[@]}"; do
  dir="$WORK/n$n"
  [ -d "$dir" ] || python3 bench/generate.py "$n" "$dir" > /dev/null
  files=$(find "$dir" -type f | wc -l)
  bytes=$(du -sb "$dir" | cut -f1)
  walls=(); rss=0
  for _ in $(seq "$RUNS"); do
    out=$( { /usr/bin/time -f '%e %M' "$BIN" audit --workspace-per-dir --fail-on never --format json --output /dev/null "$dir" >/dev/null; } 2>&1 | tail -n 1 )
    walls+=("${out% *}"); r=${out#* }
    if [ "$r" -gt "$rss" ]; then rss=$r; fi
  done
  wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v n="$n" -v f="$files" -v b="$bytes" -v w="$wall" -v r="$rss" 'BEGIN {
    printf "%-7d %-7d %-8.1f %-9.2f %-10.0f %-8.1f %.0f\n", n, f, b/1e6, w, f/w, b/1e6/w, r/1024 }'
done
