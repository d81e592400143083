#!/usr/bin/env bash
# quickstart.sh — the README's main job, measured: runs sweeps/quickstart.yaml from scratch in
# runs/quickstart-bench/ with BUILD_DIR's scalefit, keeps what it wrote in docs/results/quickstart/
# (bench/keep_result.sh), with timing.txt (the wall time of the command, the CPU and the date)
# and checks.txt (tests/sweep/known_truth.py: the quickstart's promises, each checked).
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
"$here/bench/keep_result.sh" "$work/quickstart" "$dest" || fail "cannot keep the result"
{
    printf 'wall time of `scalefit run sweeps/quickstart.yaml` from scratch: %.1f s\n' \
        "$(echo "$end - $start" | bc)"
    printf 'CPU: %s, %s cores\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
    printf 'date: %s\n' "$(date -u +%Y-%m-%d)"
} >"$dest/timing.txt"
# The promises of the quickstart (issue 11), checked on what was kept.
/usr/bin/python3 tests/sweep/known_truth.py "$work/quickstart" >"$dest/checks.txt"
cat "$dest/timing.txt" "$dest/checks.txt"
