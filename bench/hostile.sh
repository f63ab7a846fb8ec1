#!/usr/bin/env bash
# Time and peak memory of `stagegate check` on hostile inputs: an alias byte bomb, a
# pipeline at CodePipeline's quotas (50 stages x 50 actions) and a 60 MB template.
#   bash bench/hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/stagegate-bench/hostile}
BIN=${BIN:-target/release/stagegate}
[ -n "${BIN_GIVEN:-}" ] || cargo build --release --locked -q -p stagegate-cli
[ -d "$WORK/quota-pipeline" ] || python3 bench/hostile.py "$WORK"
printf '%-16s %-9s %-8s %-12s %s\n' input "size_KB" wall_s peak_RSS_MB report_KB
for case in byte-bomb quota-pipeline large-template; do
  size=$(du -sk "$WORK/$case" | cut -f1)
  out=$( { /usr/bin/time -f '%e %M' "$BIN" check --format json --output "$WORK/$case.json" "$WORK/$case" >/dev/null || true; } 2>&1 | tail -n 1 )
  report=$(du -k "$WORK/$case.json" | cut -f1)
  printf '%-16s %-9s %-8s %-12.0f %s\n' "$case" "$size" "${out% *}" "$(( ${out#* } / 1024 ))" "$report"
done
