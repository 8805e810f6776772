#!/bin/bash
# A/B in turns: bench_cohort.py of commit BEFORE (its own code, exported to a temporary folder) and of
# this checkout, each with --reuse on one database a --keep run built (the same cohorts for both).
#
#   bench/ab_cohort.sh DATABASE [BEFORE=6fb3317] [ROUNDS=4] [SAMPLES=100] [SIZES=10000,100000,1000000]
#
# Prints each run's per-size JSON line after a "== round R before|after LOAD" header.
set -euo pipefail
DB=$1; BEFORE=${2:-6fb3317}; ROUNDS=${3:-4}; SAMPLES=${4:-100}; SIZES=${5:-10000,100000,1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OLD=$(mktemp -d)
trap 'rm -rf "$OLD"' EXIT
git -C "$HERE" archive "$BEFORE" | tar -x -C "$OLD"
mkdir -p "$OLD/bench/out"
cp "$HERE"/bench/out/"$DB"-*.json "$OLD/bench/out/"   # the --keep run's set-up figures (for --reuse)
for r in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    if [ "$side" = before ]; then dir=$OLD; path=$OLD; else dir=$HERE; path=; fi
    echo "== round $r $side $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$dir" && PYTHONPATH=$path "$HERE/.venv/bin/python" bench/bench_cohort.py --sizes "$SIZES" \
       --samples "$SAMPLES" --reuse "$DB" --legacy-max 0 2>&1 | grep '^{"babies')
  done
done
