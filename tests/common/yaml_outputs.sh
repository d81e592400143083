#!/usr/bin/env bash
# yaml_outputs.sh SCALEFIT YAML_STRICT SOURCE_ROOT — every YAML file the tool writes (fit.yaml,
# comparison.yaml, sweep.resolved.yaml, run.yaml, summary.yaml) is read again by yaml_strict,
# which rejects a key written twice in one mapping. First the checker itself must catch the
# duplicate in a fixture, so that the test cannot pass with a checker that sees nothing.
set -u
scalefit=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
strict=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
root=$(cd "$3" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }

"$strict" "$root/tests/data/yaml/duplicate_key.yaml" 2>"$work/err"
grep -q "duplicate_key.yaml:5:3: duplicate key 'c'" "$work/err" && pass "the checker finds a duplicate key" \
    || { failed "the checker missed the duplicate key"; cat "$work/err"; }
"$strict" "$root/tests/data/yaml/no_duplicate.yaml" && pass "the checker accepts equal keys in different mappings" \
    || failed "the checker rejects a valid file"

# Fits: one law, several laws (comparison.yaml), groups (GROUP/LAW/ and a comparison).
d="$root/tests/data/fit"
"$scalefit" fit "$d/powerconst_synth.csv" --law power+const,power --x params --bootstrap 20 \
    --out "$work/laws" >/dev/null 2>"$work/fit.err" || failed "fit with two laws exited $?"
"$scalefit" fit "$root/data/gadre2024_overtraining_losses.csv" --law chinchilla --n params \
    --d tokens --y loss_c4_val_full --by dataset --bootstrap 0 --out "$work/groups" \
    >/dev/null 2>>"$work/fit.err" || failed "fit by group exited $?"
# A sweep of three runs of a few thousand tokens: the run and sweep files.
# One of its fits takes the options `scalefit fit` has (loss, space, row filters): fit.yaml
# records them.
sed -e 's/tokens: 6e4/tokens: 8e3/' -e 's/bootstrap: 50/bootstrap: 10/' \
    -e 's/sizes: \[400, 1300, 4500\]/sizes: [400, 1300, 4500, 9000]/' \
    "$root/tests/data/sweeps/small.yaml" >"$work/sweep.yaml"
echo '    - {name: L_N, law: power, loss: huber, space: linear, where: [seed=1, "tokens>1"],
       min_params: 600}' >>"$work/sweep.yaml"
"$scalefit" run "$work/sweep.yaml" --out "$work/sweep" >"$work/sweep.log" 2>&1 \
    || { failed "the sweep exited $?"; cat "$work/sweep.log"; }

settings=$(grep -A1 '^settings:' "$work/sweep/fits/L_N/fit.yaml" | tr -d '\n')
case "$settings" in
*"loss: huber, delta: 0.001, space: linear"*) pass "a sweep fit's loss and space reach fit.yaml" ;;
*) failed "a sweep fit's options: $settings" ;;
esac
grep -q "filters: \[seed=1, tokens>1\]" "$work/sweep/fits/L_N/fit.yaml" \
    && pass "a sweep fit's row filters are recorded in fit.yaml" || failed "a sweep fit's filters"
# The runs it used and the one it left out, with why (the 522-parameter run is below min_params).
input=$(sed -n '/^input:/,/^law:/p' "$work/sweep/fits/L_N/fit.yaml" | tr -d '\n' | tr -s ' ')
used=$(echo "$input" | sed 's/.*runs: \[\([^]]*\)\].*/\1/' | tr ',' '\n' | grep -c .)
[ "$used" -eq 3 ] && pass "fit.yaml names the 3 runs the fit used" || failed "runs used: $input"
case "$input" in
*"left_out: ['d6l1-"*": left out by min_params (params_nonembed >= 600)']"*)
    pass "fit.yaml names the run left out and why" ;;
*) failed "the run left out: $input" ;;
esac
case "$input" in
*"rows_read: 4, rows_used: 3"*) pass "fit.yaml counts the 4 rows read and the 3 used" ;;
*) failed "rows read and used: $input" ;;
esac

for name in fit.yaml comparison.yaml sweep.resolved.yaml run.yaml summary.yaml; do
    mapfile -t files < <(find "$work" -name "$name" | sort)
    if [ "${#files[@]}" -eq 0 ]; then failed "no $name written"; continue; fi
    if "$strict" "${files[@]}" 2>"$work/err"; then
        pass "${#files[@]} $name files: no key written twice"
    else
        failed "$name"; cat "$work/err"
    fi
done
exit $fail
