#!/usr/bin/env bash
# stages.sh SCALEFIT SOURCE_ROOT CLUSTER — a sweep with a dependent stage (stages.yaml) through
# the Slurm executor: the main runs go in one array, their children in later ones, each submitted
# once its parent is done, each child starting from its parent's weights; results.csv and
# curves.csv equal the local executor's byte for byte. Without dataset-fashion-mnist: skip (77),
# a failure where CI is set.
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3
. "$(dirname "$0")/lib.sh"
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
    echo "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi
ref=$(reference "$root/tests/data/sweeps/stages.yaml") || exit 1
cd "$work"
sed 's/^runner: {jobs: 2}/runner: {executor: slurm, jobs: 2, slurm: {time: "10", poll_seconds: 1, signal_seconds: 30}}/' \
    "$root/tests/data/sweeps/stages.yaml" > stages.yaml
grep -q "executor: slurm" stages.yaml || failed "the Slurm sweep file was not made"
run_sweep "$work/stages" stages.yaml
[ "$rc" -eq 0 ] && pass "the sweep exits 0" || { failed "the sweep exited $rc"; tail -n 20 "$work/stages.log"; }
same_results "$work/stages" "$ref" "Slurm executor with a stage"
# The first array holds the main runs; the children follow in arrays of their own, each
# submitted once its parent is done.
n_sub=$(submissions "$work/stages")
first=$(awk '!/^#/ {print $2}' "$work/stages/slurm/submit-1.tasks" 2>/dev/null)
nfirst=0
for r in $first; do grep -q "^init_from: " "$work/stages/runs/$r/run.yaml" || nfirst=$((nfirst + 1)); done
[ "$nfirst" -eq 3 ] && [ "$(echo $first | wc -w)" -eq 3 ] && pass "the first array holds the three main runs" \
    || failed "the first array: $first"
kids=$(cat "$work"/stages/slurm/submit-[2-9].tasks 2>/dev/null | awk '!/^#/ {print $2}')
ok=0
for k in $kids; do grep -q "^init_from: " "$work/stages/runs/$k/run.yaml" && ok=$((ok + 1)); done
[ "$n_sub" -ge 2 ] && [ "$ok" -eq 3 ] && [ "$(echo $kids | wc -w)" -eq 3 ] \
    && pass "the three children went in $((n_sub - 1)) later array(s)" \
    || failed "later arrays ($n_sub submissions): $kids"
exit $fail
