#!/usr/bin/env bash
# mi_truth.sh SCALEFIT SOURCE_ROOT — the mutual-information estimator against the truth
# (tests/data/sweeps/mi-truth.yaml): results.csv gives every run's estimate (final_mi, the
# difference of final_part_loss_blank and final_part_loss) and the source's exact value, the same
# for every run; the estimate comes closer to the truth with each larger model, and the report's
# section names the truth.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
sweep="$root/tests/data/sweeps/mi-truth.yaml"
out="$work/mi"
"$scalefit" run "$sweep" --out "$out" >"$out.log" 2>&1 || { failed "the sweep exited $?"; tail -n 5 "$out.log"; exit 1; }
col() { head -1 "$out/results.csv" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
c_n=$(col params_nonembed) c_pt=$(col final_part_loss) c_pb=$(col final_part_loss_blank)
c_mi=$(col final_mi) c_ex=$(col mutual_information)
awk -F, -v n="$c_n" -v pt="$c_pt" -v pb="$c_pb" -v mi="$c_mi" -v ex="$c_ex" '
    NR == 2 { truth = $ex }
    NR > 1 { if ($ex != truth || $mi == "" || ($mi - ($pb - $pt)) ^ 2 > 1e-18 * ($mi ^ 2 + 1)) bad = 1 }
    END { exit bad || truth <= 0 }' "$out/results.csv" \
    && pass "every run: its estimate = blank less true, and the same exact value" \
    || { failed "results.csv's mutual-information columns"; cat "$out/results.csv"; }
# The distance to the truth, smallest model first.
dists=$(awk -F, -v n="$c_n" -v mi="$c_mi" -v ex="$c_ex" 'NR > 1 { d = $mi - $ex; print $n, (d < 0 ? -d : d), $mi, $ex }' \
        "$out/results.csv" | sort -g)
echo "$dists" | awk '{ printf "N %s: estimate %s, truth %s, distance %s\n", $1, $3, $4, $2 }'
echo "$dists" | awk 'NR > 1 && $2 >= prev { bad = 1 } { prev = $2 } END { exit bad || NR != 3 }' \
    && pass "the estimate comes closer to the truth with each larger model" \
    || failed "the estimate does not approach the truth as the models grow"
grep -q "The bound or truth is the exact mutual information of the source" "$out/report.md" \
    && pass "the report's section names the truth" || failed "the report's mutual-information section"
exit $fail
