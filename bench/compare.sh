#!/usr/bin/env bash
# Side-by-side audit benchmark: this checkout against a build of BASE (a commit), both run
# alternately on the same corpus so the machine's noise falls on both alike.
#   bash bench/compare.sh BASE [N ...]        (default N: 1000 10000; RUNS=7)
#   BASE_BIN=path/to/stagegate bash bench/compare.sh BASE ...   (BASE built already)
# Prints, per N and build: median wall seconds, median user seconds, peak RSS, and the
# ratio of this checkout's median wall time to BASE's.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bash bench/compare.sh BASE [N ...]}
shift
RUNS=${RUNS:-7}
WORK=${WORK:-/tmp/stagegate-bench}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
rev=$(git rev-parse --short "$base")
# BASE_BIN: a release build of BASE made earlier, to skip building it again
old=${BASE_BIN:-$WORK/base-$rev-target/release/stagegate}
if [ -z "${BASE_BIN:-}" ]; then
  tree="$WORK/base-$rev"
  [ -d "$tree" ] || git worktree add -q --detach "$tree" "$rev"
  # one build at a time: two on two cores thrash
  (cd "$tree" && CARGO_TARGET_DIR="$WORK/base-$rev-target" cargo build --release --locked -q -p stagegate-cli)
fi
cargo build --release --locked -q -p stagegate-cli
new=target/release/stagegate
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-7s %-10s %-8s %-8s %-8s %s\n' N build wall_s user_s RSS_MB ratio
for n in "${sizes[@]}"; do
  dir="$WORK/n$n"
  [ -d "$dir" ] || python3 bench/generate.py "$n" "$dir" > /dev/null
  : > "$WORK/times-old"; : > "$WORK/times-new"
  for _ in $(seq "$RUNS"); do
    for which in old new; do
      bin=$old; [ "$which" = new ] && bin=$new
      { /usr/bin/time -f '%e %U %M' "$bin" audit --workspace-per-dir --fail-on never \
          --format json --output /dev/null "$dir" >/dev/null; } 2>&1 | tail -n 1 >> "$WORK/times-$which"
    done
  done
  old_wall=$(cut -d' ' -f1 "$WORK/times-old" | median)
  for which in old new; do
    f="$WORK/times-$which"
    wall=$(cut -d' ' -f1 "$f" | median); user=$(cut -d' ' -f2 "$f" | median)
    rss=$(cut -d' ' -f3 "$f" | sort -n | tail -n 1)
    label=$rev; [ "$which" = new ] && label=checkout
    awk -v n="$n" -v l="$label" -v w="$wall" -v u="$user" -v r="$rss" -v o="$old_wall" 'BEGIN {
      printf "%-7d %-10s %-8.2f %-8.2f %-8.0f %.3f\n", n, l, w, u, r/1024, w/o }'
  done
done
