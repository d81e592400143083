#!/usr/bin/env bash
# frontier_holdout.sh SCALEFIT SOURCE_ROOT — `--holdout K` for a frontier law: the runs owning
# the K largest-compute hull vertices leave the fit whole (the fit equals one of the other runs
# alone, chosen with --where), their points on the full frontier are the held-out points (the
# same C and L as the full fit's envelope lists for them, before its flat tail), and holding out
# too many runs is exit 2 at --holdout.
set -u
scalefit=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
csv="$root/tests/data/fit/frontier_curves.csv"
fit() { "$scalefit" fit "$csv" --law frontier --run run --c flops --n params --bootstrap 0 "$@"; }

fit --out "$work/full" >/dev/null 2>&1 || failed "the full fit exited $?"
fit --holdout 2 --out "$work/held" >/dev/null 2>&1 || failed "the fit with --holdout 2 exited $?"
# The runs that own the two largest-compute hull vertices, from the full fit.
held=$(/usr/bin/python3 -c 'import sys, yaml
h = yaml.safe_load(open(sys.argv[1]))["frontier"]["hull"]
runs = []
for p in reversed(h):
    if p["run"] not in runs: runs.append(p["run"])
print(" ".join(runs[:2]))' "$work/full/fit.yaml")
kept=$(grep -v '^#' "$csv" | tail -n +2 | cut -d, -f1 | sort -u | grep -vxF -e "${held% *}" -e "${held#* }")
where=()
for r in $kept; do where+=(--where "run=$r"); done
fit "${where[@]}" --out "$work/where" >/dev/null 2>&1 || failed "the fit of the kept runs exited $?"
/usr/bin/python3 - "$work/full/fit.yaml" "$work/held/fit.yaml" "$work/where/fit.yaml" $held <<'PY' \
    && pass "runs $held held out: the fit equals the other runs' alone, and the held-out points are their frontier points" \
    || failed "frontier hold-out of $held"
import math, sys, yaml
full, held, where = (yaml.safe_load(open(p)) for p in sys.argv[1:4])
runs = set(sys.argv[4:])
est = lambda d: [d["parameters"][k]["estimate"] for k in ("L_inf", "C0", "alpha_C")]
same_fit = est(held) == est(where)
fitted_runs = {p["run"] for p in held["points"] if not p["held_out"]}
env = full["frontier"]["envelope"]
n_front = len(env) - full["frontier"]["flat_tail_points"]
want = [(e["C"], e["L"]) for e in env[:n_front] if e["run"] in runs]
got = [(p["x"]["flops"], p["y"]) for p in held["points"] if p["held_out"]]
close = len(want) == len(got) > 0 and all(
    math.isclose(a[0], b[0], rel_tol=1e-12) and math.isclose(a[1], b[1], rel_tol=1e-12)
    for a, b in zip(want, got))
sys.exit(0 if same_fit and not (fitted_runs & runs) and close else 1)
PY
grep -q "heldout_rmse_log" "$work/held/fit.yaml" && pass "fit.yaml gives the held-out error" || failed "no held-out error"
fit --holdout 6 --out "$work/bad" >/dev/null 2>"$work/bad.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "scalefit: --holdout: error: holds out 6 of the 7 runs that own the frontier's hull" "$work/bad.err" \
    && pass "too many runs held out: exit 2 at --holdout" || { failed "too many: exit $rc"; cat "$work/bad.err"; }
exit $fail
