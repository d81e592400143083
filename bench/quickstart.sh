#!/usr/bin/env bash
# quickstart.sh — the README's main job, measured: runs sweeps/quickstart.yaml from scratch in
# runs/quickstart-bench/ with BUILD_DIR's scalefit, and copies what it wrote (report.md, results.csv,
# curves.csv, sweep.resolved.yaml, the sweep's figures and each fit's fit.yaml, report.md and
# figures, PNG only) into docs/results/quickstart/, with timing.txt: the wall time of the
# command, the CPU and the date.
#
#   bench/quickstart.sh [BUILD_DIR]   (default: build)
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build=${1:-build}
fail() { echo "quickstart.sh: error: $*" >&2; exit 1; }
case $build in /*) bin=$build/src/scalefit ;; *) bin=$here/$build/src/scalefit ;; esac
[ -x "$bin" ] || fail "$bin not found (build first: meson setup $build && ninja -C $build)"

# A folder of its own under runs/ (ignored by git), named relatively so that the reports it
# copies name no folder of this machine; emptied first, so that nothing is resumed.
work=runs/quickstart-bench
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)
"$bin" run sweeps/quickstart.yaml --out "$work/quickstart" >"$work/run.log" 2>&1 ||
    { rc=$?; tail -n 20 "$work/run.log"; fail "the sweep exited $rc"; }
end=$(date +%s.%N)

dest=docs/results/quickstart
rm -rf "$dest.new" && mkdir -p "$dest.new/figures" || fail "cannot write $dest"
src=$work/quickstart
cp "$src"/report.md "$src"/results.csv "$src"/curves.csv "$src"/sweep.resolved.yaml "$dest.new/"
cp "$src"/figures/*.png "$dest.new/figures/"
for fit in "$src"/fits/*/; do
    name=$(basename "$fit")
    mkdir -p "$dest.new/fits/$name/figures"
    cp "$fit"/fit.yaml "$fit"/report.md "$dest.new/fits/$name/"
    cp "$fit"/figures/*.png "$dest.new/fits/$name/figures/" 2>/dev/null
done
{
    printf 'wall time of `scalefit run sweeps/quickstart.yaml` from scratch: %.1f s\n' \
        "$(echo "$end - $start" | bc)"
    printf 'CPU: %s, %s cores\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
    printf 'date: %s\n' "$(date -u +%Y-%m-%d)"
} >"$dest.new/timing.txt"
# The README of the folder is written by hand: keep it.
[ -f "$dest/README.md" ] && cp "$dest/README.md" "$dest.new/"
rm -rf "$dest" && mv "$dest.new" "$dest"
cat "$dest/timing.txt"
