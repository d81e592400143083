#!/usr/bin/env bash
# fuzz.sh — runs every libFuzzer harness of tests/fuzz for SECONDS each (default 60), one after
# the other, each from its checked-in corpus plus what earlier runs of this script found
# (runs/fuzz/CORPUS, kept between runs), and prints per harness the executions, libFuzzer's edge
# coverage (cov:) and whether it found anything (a crash input is left in runs/fuzz/ as
# crash-*, leak-*, timeout-* or oom-*: fix the bug, then add the input to tests/fuzz/corpus/).
#
#   bench/fuzz.sh [SECONDS] [BUILD_DIR]   (default build dir: build-fuzz, as scripts/test.sh makes it)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
secs=${1:-60}
build=${2:-build-fuzz}
[ -f "$build/build.ninja" ] || { echo "fuzz.sh: error: no $build (run scripts/test.sh, or see tests/fuzz/meson.build)" >&2; exit 1; }
ninja -C "$build" >/dev/null || exit 1
printf '%-10s %12s %8s %s\n' harness executions cov findings
for dir in tests/fuzz/corpus/*/; do
    name=$(basename "$dir")
    corpus=runs/fuzz/$name
    mkdir -p "$corpus"
    cp -rn "tests/fuzz/corpus/$name"/. "$corpus/" 2>/dev/null
    dict=""
    case $name in
    csv) dict=tests/fuzz/dict_csv.txt ;;
    run_yaml | sweep) dict=tests/fuzz/dict_yaml.txt ;;
    rundir | metrics) dict=tests/fuzz/dict_rundir.txt ;;
    esac
    log=runs/fuzz/$name.log
    (cd runs/fuzz && "$here/$build/tests/fuzz/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 ${dict:+-dict="$here/$dict"} "$name" >"$name.log" 2>&1)
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    found=none
    [ "$rc" -ne 0 ] && found="exit $rc: see $log"
    printf '%-10s %12s %8s %s\n' "$name" "${execs:-?}" "${cov:-?}" "$found"
done
