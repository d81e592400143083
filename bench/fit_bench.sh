#!/usr/bin/env bash
# fit_bench.sh - the fit benchmark in one go: times scalefit's chinchilla fit (and its bootstrap)
# on the 240-row benchmark table, then the same objective fitted Chinchilla's way with scipy
# (bench/chinchilla_scipy.py: L-BFGS-B from Hoffmann's 4500-start grid, summed Huber
# delta = 1e-3, log space), and prints both times, their ratio and both objectives.
#
#   bench/fit_bench.sh [BUILD_DIR]        (default: build)
#
# Extra arguments for the scipy script can be given in SCIPY_ARGS (e.g. "--gradient numeric").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build=${1:-build}
data=tests/data/fit/bench_chinchilla_240.csv
bin=$build/src/scalefit
py=/usr/bin/python3

fail() { echo "fit_bench.sh: error: $*" >&2; exit 1; }

[ -x "$bin" ] || fail "$bin not found or not executable (build first: meson setup $build && ninja -C $build)"
[ -f "$data" ] || fail "$data not found (regenerate with tests/ref/fit_fixtures.py)"
[ -x "$py" ] || fail "$py not found (Debian's python3 with python3-scipy is needed)"

sf_out=$("$bin" bench fit --data "$data") || fail "$bin bench fit failed (status $?)"
echo "$sf_out"
sc_out=$("$py" bench/chinchilla_scipy.py "$data" ${SCIPY_ARGS:-}) \
    || fail "bench/chinchilla_scipy.py failed (status $?)"
echo "$sc_out"

field() { # field NAME TEXT: the value after NAME on its line
    printf '%s\n' "$2" | awk -v k="$1" '$1 == k { print $2; found = 1 } END { exit !found }'
}

sf_t=$(field scalefit_fit_seconds "$sf_out") || fail "no scalefit_fit_seconds line from $bin"
sf_obj=$(field scalefit_objective "$sf_out") || fail "no scalefit_objective line from $bin"
sc_t=$(field scipy_seconds "$sc_out") || fail "no scipy_seconds line from the scipy script"
sc_obj=$(field scipy_objective "$sc_out") || fail "no scipy_objective line from the scipy script"

echo "---- fit benchmark: $data ----"
awk -v st="$sf_t" -v ct="$sc_t" -v so="$sf_obj" -v co="$sc_obj" 'BEGIN {
    printf "scalefit single fit:  %.6g s\n", st
    printf "scipy (4500 starts):  %.6g s\n", ct
    if (st > 0) printf "speed-up scipy/scalefit: %.1fx\n", ct / st
    else        printf "speed-up scipy/scalefit: inf (scalefit time 0)\n"
    printf "objective scalefit: %.17g\n", so
    printf "objective scipy:    %.17g\n", co
    printf "objective relative difference (scalefit - scipy)/scipy: %.3g\n", (so - co) / co
}'
