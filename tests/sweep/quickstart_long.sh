#!/usr/bin/env bash
# quickstart_long.sh SCALEFIT SOURCE_ROOT (suite long) — the quickstart with 300 bootstrap
# replicates instead of 1000 (all six sizes, 522 to 15,220 parameters, by its three budgets), then
# tests/sweep/known_truth.py on it: the constants of the frontier (L_C) and of L(N, D) (L_ND) cover
# the Bayes loss, every exponent's interval excludes 0, the frontier never rises, and L_N's fitted
# reducible loss is within a factor of two of the measured KL (--tol 1: a ratio in [0, 2]). Two of
# the issue's promises are not held here, since the quickstart does not meet them
# (docs/results/quickstart/README.md): the 25% on the reducible loss, and L_N's constant covering
# the Bayes loss, which its data-limited runs push up. (It used to drop the largest size to save
# time; without it L_N, fitted to five sizes, is too loose for its exponent's interval to exclude
# 0 once the engine's rounding changes, and the faster engine makes the whole sweep affordable.)
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
sed -e 's/^  bootstrap: 1000 .*$/  bootstrap: 300/' "$root/sweeps/quickstart.yaml" >"$work/quick.yaml"
grep -q '^  bootstrap: 300$' "$work/quick.yaml" \
    || { failed "sweeps/quickstart.yaml no longer has the bootstrap line this test reduces"; exit 1; }
if "$scalefit" run "$work/quick.yaml" --out "$work/q" >"$work/q.log" 2>&1; then
    pass "the quickstart ran"
else
    failed "the quickstart exited $?"; tail -n 20 "$work/q.log"; exit 1
fi
if /usr/bin/python3 "$root/tests/sweep/known_truth.py" "$work/q" --tol 1 --constants L_C,L_ND >"$work/checks.txt"; then
    pass "the quickstart's promises hold"
else
    failed "the quickstart's promises"
fi
cat "$work/checks.txt"
exit $fail
