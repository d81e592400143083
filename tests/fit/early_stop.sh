#!/usr/bin/env bash
# early_stop.sh SCALEFIT SOURCE_ROOT — Kaplan's early-stopping step when kaplan-nd and kaplan-ns
# are fitted together: comparison.yaml gives, for each model size with the most tokens its rows
# saw, S_stop = S_c / [L(N, D) - (N_c/N)^alpha_N]^(1/alpha_S), which this test recomputes from the
# two fits' fit.yaml; report.md has the section.
set -u
. "$(dirname "$0")/lib.sh"
# The learning curves of the kaplan-ns fixture with the tokens seen: 2^19 a step.
grep -v '^#' "$root/tests/data/fit/kaplan_ns_curves.csv" |
    awk -F, 'NR == 1 { print $0 ",tokens"; next } { printf "%s,%.17g\n", $0, $3 * 524288 }' \
    >"$work/curves.csv"
"$scalefit" fit "$work/curves.csv" --law kaplan-nd,kaplan-ns --n params --d tokens --step step \
    --bootstrap 0 --no-plot --out "$work/out" >/dev/null 2>"$work/err" || { failed "the fit exited $?"; cat "$work/err"; }
/usr/bin/python3 - "$work/out" "$work/curves.csv" <<'PY' \
    && pass "S_stop at every model size equals the formula on the two fits' parameters" \
    || failed "the early-stopping steps"
import csv, math, os, sys, yaml
out = sys.argv[1]
c = yaml.safe_load(open(os.path.join(out, "comparison.yaml")))
nd = {k: v["estimate"] for k, v in yaml.safe_load(open(os.path.join(out, "kaplan-nd", "fit.yaml")))["parameters"].items()}
ns = {k: v["estimate"] for k, v in yaml.safe_load(open(os.path.join(out, "kaplan-ns", "fit.yaml")))["parameters"].items()}
rows = list(csv.DictReader(open(sys.argv[2])))
dmax = {}
for r in rows:
    n, d = float(r["params"]), float(r["tokens"])
    dmax[n] = max(dmax.get(n, 0), d)
es = c["early_stopping"]
ok = len(es) == 1 and es[0]["l_nd"] == "kaplan-nd" and es[0]["l_ns"] == "kaplan-ns"
# (PyYAML reads YAML 1.1, where 1e+06 without a dot is a string: float() reads either.)
steps = [{k: float(v) for k, v in s.items()} for s in es[0]["steps"]] if ok else []
ok = ok and [s["N"] for s in steps] == sorted(dmax) and all(s["D"] == dmax[s["N"]] for s in steps)
for s in steps:
    n, d = s["N"], s["D"]
    l = ((nd["N_c"] / n) ** (nd["alpha_N"] / nd["alpha_D"]) + nd["D_c"] / d) ** nd["alpha_D"]
    want = ns["S_c"] / (l - (nd["N_c"] / n) ** nd["alpha_N"]) ** (1 / ns["alpha_S"])
    ok = ok and math.isclose(s["S_stop"], want, rel_tol=1e-9)
sys.exit(0 if ok and steps else 1)
PY
grep -q "^## Early stopping" "$work/out/report.md" && pass "report.md has the early-stopping section" \
    || failed "report.md's early-stopping section"
"$scalefit" fit "$work/curves.csv" --law kaplan-nd,chinchilla --n params --d tokens --bootstrap 0 \
    --no-plot --out "$work/none" >/dev/null 2>&1
grep -q "early_stopping" "$work/none/comparison.yaml" && failed "early stopping without an L(N, S) fit" \
    || pass "no early-stopping section without an L(N, S) fit"
exit $fail
