#!/usr/bin/env bash
# test.sh — sets up (scripts/setup.sh), then runs every test suite in the normal build and every
# suite but `slurm`, `long` and `python` (whose library cannot be loaded into the interpreter)
# in an AddressSanitizer + UndefinedBehaviorSanitizer build of its own (build-san/,
# -fno-sanitize-recover=all so that any report fails its test). Ends with the line "N passed,
# N failed". Exit status 0 only when nothing failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

./scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

if [ ! -f build-san/build.ninja ]; then
    meson setup build-san --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all >&2 ||
        { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C build-san >&2 || { echo "0 passed, 1 failed"; exit 1; }

# The fuzzing harnesses have a clang build of their own (tests/fuzz/meson.build).
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C build-fuzz >&2 || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0
# Adds the counts of meson's summary ("Ok: 3", "Fail: 0", ...) to the totals.
count() {
    local log=$1
    local ok fail xfail xpass timeout skip
    ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -n 1)
    xfail=$(awk '/^Expected Fail:/ {print $3}' "$log" | tail -n 1)
    fail=$(awk '/^Fail:/ {print $2}' "$log" | tail -n 1)
    xpass=$(awk '/^Unexpected Pass:/ {print $3}' "$log" | tail -n 1)
    timeout=$(awk '/^Timeout:/ {print $2}' "$log" | tail -n 1)
    skip=$(awk '/^Skipped:/ {print $2}' "$log" | tail -n 1)
    passed=$((passed + ${ok:-0} + ${xfail:-0}))
    failed=$((failed + ${fail:-0} + ${xpass:-0} + ${timeout:-0}))
    skipped=$((skipped + ${skip:-0}))
    # A run that printed no summary at all (meson itself failed) counts as one failure.
    if [ -z "$ok$fail" ]; then failed=$((failed + 1)); fi
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== normal build: every suite" >&2
meson test -C build --print-errorlogs 2>&1 | tee "$log" >&2
count "$log"

echo "== sanitizer build: every suite but slurm, long and python" >&2
meson test -C build-san --print-errorlogs --no-suite slurm --no-suite long --no-suite python 2>&1 | tee "$log" >&2
count "$log"
# Two tests of those suites need neither the cluster nor long: the Slurm text parser and the
# markov training run go through the sanitizers too.
echo "== sanitizer build: slurm-text and model_markov_train" >&2
meson test -C build-san --print-errorlogs slurm-text model_markov_train 2>&1 | tee "$log" >&2
count "$log"

echo "== fuzzing build: each harness over its corpus and a fixed number of new inputs" >&2
meson test -C build-fuzz --print-errorlogs --suite fuzz 2>&1 | tee "$log" >&2
count "$log"

if [ "$skipped" -gt 0 ]; then echo "($skipped skipped)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
