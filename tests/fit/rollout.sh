#!/usr/bin/env bash
# rollout.sh SCALEFIT SOURCE_ROOT — `scalefit fit --rollout`: every split's predictions (value
# and interval) equal those of a plain fit of the same rows holding out the next size
# (--max and --holdout-where), the RMSE and the count inside the intervals follow from the
# predictions, a two-variable law splits on N, and bad uses exit 2 with the option's name.
set -u
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
d="$root/tests/data/fit"

"$scalefit" fit "$d/powerconst_synth.csv" --law power+const --x params --bootstrap 50 --rollout \
    --out "$work/one" >/dev/null 2>"$work/one.err" || { failed "the rollout exited $?"; cat "$work/one.err"; }
# The splits, as "fitted_max predicted_size" lines.
"$py" -c 'import sys, yaml
r = yaml.safe_load(open(sys.argv[1]))["rollout"]
for s in r["splits"]: print(repr(float(s["fitted_max"])), repr(float(s["predicted_size"])))' \
    "$work/one/fit.yaml" >"$work/splits" || failed "fit.yaml has no rollout"
n_splits=$(wc -l <"$work/splits")
[ "$n_splits" -ge 3 ] && pass "power+const: $n_splits splits" || failed "power+const: $n_splits splits"
k=0
while read -r fmax next; do
    k=$((k + 1))
    "$scalefit" fit "$d/powerconst_synth.csv" --law power+const --x params --bootstrap 50 \
        --max "params=$next" --holdout-where "params>$fmax" --out "$work/split$k" >/dev/null 2>&1 \
        || failed "the plain fit of split $k exited $?"
    "$py" - "$work/one/fit.yaml" "$work/split$k/fit.yaml" "$k" <<'PY' \
        && pass "split $k: predictions and intervals equal the plain fit's held-out ones" \
        || failed "split $k differs from the plain fit"
import sys, yaml
ro = yaml.safe_load(open(sys.argv[1]))["rollout"]
plain = yaml.safe_load(open(sys.argv[2]))
k = int(sys.argv[3])
a = [(p["row"], p["predicted"], p["ci"]) for p in ro["points"] if p["split"] == k]
b = [(p["row"], p["predicted"], p["ci"]) for p in plain["points"] if p["held_out"]]
sys.exit(0 if a and a == b else 1)
PY
done <"$work/splits"
"$py" - "$work/one/fit.yaml" <<'PY' && pass "the RMSE and the count inside follow from the predictions" \
    || failed "rmse_log or inside_interval"
import math, sys, yaml
r = yaml.safe_load(open(sys.argv[1]))["rollout"]
pts = r["points"]
rmse = math.sqrt(sum(p["residual_log"] ** 2 for p in pts) / len(pts))
inside = sum(p["ci"][0] <= p["y"] <= p["ci"][1] for p in pts)
ok = (abs(rmse - r["rmse_log"]) <= 1e-12 * rmse and inside == r["inside_interval"]
      and all(p["inside"] == (p["ci"][0] <= p["y"] <= p["ci"][1]) for p in pts)
      and len(pts) == r["predictions"])
sys.exit(0 if ok else 1)
PY
grep -q "^## Rolling-origin extrapolation" "$work/one/report.md" \
    && pass "report.md has the rollout's section" || failed "report.md's rollout section"

# Two variables: splits on N, from 3 sizes.
"$scalefit" fit "$d/chinchilla_synth.csv" --law chinchilla --n params --d tokens --bootstrap 0 \
    --rollout --out "$work/two" >/dev/null 2>&1 || failed "the chinchilla rollout exited $?"
sizes=$(grep -v '^#' "$d/chinchilla_synth.csv" | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
"$py" -c 'import sys, yaml
r = yaml.safe_load(open(sys.argv[1]))["rollout"]
sys.exit(0 if r["first_sizes"] == 3 and len(r["splits"]) == int(sys.argv[2]) - 3 else 1)' \
    "$work/two/fit.yaml" "$sizes" && pass "chinchilla: one split per size of N past the first 3 ($sizes sizes)" \
    || failed "chinchilla's splits"

# Bad uses.
check_error() {
    local want=$1
    shift
    "$scalefit" fit "$@" --out "$work/bad" >/dev/null 2>"$work/bad.err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$want" "$work/bad.err" && pass "exit 2: $want" \
        || { failed "expected exit 2 with '$want', got $rc"; cat "$work/bad.err"; }
}
check_error "scalefit: --rollout-first: error: applies with --rollout only" \
    "$d/powerconst_synth.csv" --law power+const --x params --rollout-first 4
check_error "the first split fits 40 sizes and predicts the next, but the rows have" \
    "$d/powerconst_synth.csv" --law power+const --x params --rollout --rollout-first 40
check_error "scalefit: --rollout: error: does not apply to frontier" \
    "$d/frontier_curves.csv" --law frontier --run run --c flops --rollout
exit $fail
