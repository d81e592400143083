#!/usr/bin/env bash
# frontier_options.sh SCALEFIT SOURCE_ROOT — options of the frontier laws. `--holdout K`: the
# runs owning the K largest-compute hull vertices leave the fit whole (the fit equals one of the
# other runs alone, chosen with --where), their points on the full frontier are the held-out
# points (the same C and L as the full fit's envelope lists for them, before its flat tail), and
# holding out too many runs is exit 2 at --holdout. `--shape COL`: the seeds of a shape are
# averaged before the frontier (the fit equals one of a table averaged here by Python), and a
# run with two shapes is exit 2 at its row and column.
set -u
. "$(dirname "$0")/lib.sh"
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
# --shape: the fixture's seeds share their compute points, so the average is the plain mean.
seeds="$root/tests/data/fit/frontier_seeds.csv"
/usr/bin/python3 - "$seeds" "$work/averaged.csv" <<'PY' || failed "averaging the fixture"
import csv, sys
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if not l.startswith("#"))][1:]
acc = {}
for run, shape, n, c, l in rows:
    acc.setdefault((shape, n, c), []).append(float(l))
with open(sys.argv[2], "w") as f:
    f.write("run,params,flops,loss\n")
    for (shape, n, c), ls in acc.items():
        s = 0.0
        for v in ls: s += v
        f.write("%s,%s,%s,%r\n" % (shape, n, c, s / len(ls)))
PY
"$scalefit" fit "$seeds" --law frontier --run run --shape shape --c flops --n params --bootstrap 0 \
    --out "$work/seeds" >/dev/null 2>&1 || failed "the fit with --shape exited $?"
"$scalefit" fit "$work/averaged.csv" --law frontier --run run --c flops --n params --bootstrap 0 \
    --out "$work/averaged" >/dev/null 2>&1 || failed "the fit of the averaged table exited $?"
"$scalefit" fit "$seeds" --law frontier --run run --c flops --n params --bootstrap 0 \
    --out "$work/minimum" >/dev/null 2>&1 || failed "the fit without --shape exited $?"
/usr/bin/python3 - "$work/seeds/fit.yaml" "$work/averaged/fit.yaml" "$work/minimum/fit.yaml" <<'PY' \
    && pass "--shape: 15 runs as 5 shapes; the fit equals the averaged table's; without it the frontier is lower (the luckiest seed)" \
    || failed "--shape"
import sys, yaml
s, a, m = (yaml.safe_load(open(p)) for p in sys.argv[1:4])
est = lambda d: [d["parameters"][k]["estimate"] for k in ("L_inf", "C0", "alpha_C", "C_n", "beta_opt")]
# The frontiers at the compute values both list (the grid): the minimum over seeds lies lower.
env = lambda d: {e["C"]: e["L"] for e in d["frontier"]["envelope"]}
both = sorted(set(env(s)) & set(env(m)))
lower = len(both) > 20 and sum(env(m)[c] < env(s)[c] for c in both) > 0.8 * len(both)
ok = (s["settings"]["seed_runs"] == 15 and s["settings"]["shapes"] == 5 and est(s) == est(a)
      and lower)
sys.exit(0 if ok else 1)
PY
grep -q "seeds of 5 shapes" "$work/seeds/report.md" && pass "report.md says the seeds were averaged" \
    || failed "report.md on seeds"
sed -e '3s/,s1,/,s2,/' "$seeds" >"$work/twoshapes.csv"
"$scalefit" fit "$work/twoshapes.csv" --law frontier --run run --shape shape --c flops --out "$work/bad" \
    >/dev/null 2>"$work/bad.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "twoshapes.csv:4:2: error: column 'shape': run 's1-seed0' has shape 's1' here but 's2' on line 3" "$work/bad.err" \
    && pass "a run with two shapes: exit 2 at its row and column" || { failed "two shapes: exit $rc"; cat "$work/bad.err"; }
exit $fail
