#!/usr/bin/env bash
# quickstart_seeds.sh — the quickstart's promises on other seeds of its source: for each SEED,
# runs sweeps/quickstart.yaml with `data.seed: SEED` (another draw of the tasks' chains and of
# the eval set) in runs/quickstart-seed-SEED/ and appends tests/sweep/known_truth.py's checks,
# with the wall time, to docs/results/quickstart/seeds.txt.
#
#   bench/quickstart_seeds.sh [BUILD_DIR] SEED...   (default build dir: build)
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
fail() { echo "quickstart_seeds.sh: error: $*" >&2; exit 1; }
build=build
if [ $# -gt 0 ] && [ -d "$1" ]; then build=$1; shift; fi
[ $# -gt 0 ] || fail "usage: quickstart_seeds.sh [BUILD_DIR] SEED..."
bin=$here/$build/src/scalefit
[ -x "$bin" ] || fail "$bin not found"
out=docs/results/quickstart/seeds.txt
printf 'The quickstart on other seeds of its source (bench/quickstart_seeds.sh); CPU: %s, %s cores; %s\n' \
    "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)" "$(date -u +%Y-%m-%d)" >"$out"
for seed in "$@"; do
    work=runs/quickstart-seed-$seed
    rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
    sed "s/^  seed: 1$/  seed: $seed/" sweeps/quickstart.yaml >"$work/quickstart.yaml"
    grep -q "^  seed: $seed$" "$work/quickstart.yaml" || fail "no data seed line to replace"
    start=$(date +%s.%N)
    "$bin" run "$work/quickstart.yaml" --out "$work/quickstart" >"$work/run.log" 2>&1 ||
        fail "seed $seed: the sweep exited $?"
    end=$(date +%s.%N)
    printf '\n## data.seed %s (wall time %.1f s)\n\n' "$seed" "$(echo "$end - $start" | bc)" >>"$out"
    /usr/bin/python3 tests/sweep/known_truth.py "$work/quickstart" >>"$out"
    rm -rf "$work"
done
cat "$out"
