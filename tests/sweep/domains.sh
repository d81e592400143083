#!/usr/bin/env bash
# domains.sh SCALEFIT SOURCE_ROOT — Henighan's other domains through whole sweeps, each tiny:
#   - math (tests/data/sweeps/math-small.yaml): problems.csv gathers 3 modules × 3 difficulties
#     for every run, results.csv has both splits' loss and error rate and the answer tokens per
#     problem, the report's section says the entropy is zero and lists every group, the figure
#     `problems` is drawn and the loss by position is left out;
#   - resolutions (resolutions-small.yaml, `resolution: [4, 8]`): one grid each (n_ctx 15 and 63,
#     results.csv's resolution), each resolution's law per image with the target's forecast in
#     the report and fit.yaml, and the figure `resolutions`;
#   - video (video-small.yaml): the loss per frame in the report (3 frames), the figure `frames`,
#     and the law's constant per frame of 16 pixels;
#   - divergences (divergences-small.yaml, a markov source, the default fits): results.csv's
#     best_eval_ divergences for every run, each divergence's law in N and on its frontier, the
#     report's table and both figures;
#   - objectives (objectives-small.yaml, `objective: [tokens, forward_kl, reverse_kl, js]`): one
#     grid each (results.csv's objective), every run done (no ratio test on a distillation
#     loss), each objective's KL laws and the report's table of which is lowest by compute.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
col() { head -1 "$1" | tr , '\n' | grep -nx "$2" | cut -d: -f1; }
run_sweep() {
    "$scalefit" run "$root/tests/data/sweeps/$1.yaml" --out "$work/$1" >"$work/$1.log" 2>&1 \
        || { failed "$1: the sweep exited $?"; tail -n 5 "$work/$1.log"; return 1; }
}

if run_sweep math-small; then
    out=$work/math-small
    rows=$(awk -F, 'NR > 1' "$out/problems.csv" | wc -l)
    [ "$rows" -eq 36 ] && pass "problems.csv: 4 runs × 3 modules × 3 difficulties" \
        || failed "problems.csv has $rows rows, not 36"
    r=$out/results.csv
    awk -F, -v a="$(col "$r" final_extrap_loss)" -v b="$(col "$r" final_extrap_error)" \
        -v c="$(col "$r" sample_tokens)" -v d="$(col "$r" final_eval_error)" \
        'NR > 1 && ($a == "" || $b == "" || $c < 1 || $d == "") { bad = 1 } END { exit bad || NR != 5 }' "$r" \
        && pass "results.csv: both splits' loss and error rate, answer tokens per problem" \
        || failed "results.csv lacks the splits' columns"
    grep -q "the data's entropy is exactly zero" "$out/report.md" && grep -q "| extrapolation | rem | 3 |" "$out/report.md" \
        && pass "the report's problems section: zero entropy, every group" || failed "the report's problems section"
    [ -s "$out/figures/problems.png" ] && pass "figure problems drawn" || failed "no figure problems"
    grep -q "## Loss by position" "$out/report.md" && failed "the loss by position is in a math report" \
        || pass "no loss by position for problems at random offsets"
fi

if run_sweep resolutions-small; then
    out=$work/resolutions-small
    r=$out/results.csv
    got=$(awk -F, -v c="$(col "$r" n_ctx)" -v q="$(col "$r" resolution)" 'NR > 1 { print $q ":" $c }' "$r" | sort | uniq -c | awk '{ print $1 "x" $2 }' | tr '\n' ' ')
    [ "$got" = "4x4:15 4x8:63 " ] && pass "one grid per resolution, n_ctx 15 and 63" \
        || failed "runs by resolution and n_ctx: $got"
    grep -q "| 4x4 | L_N_r4 |" "$out/report.md" && grep -q "| 8x8 | L_N_r8 |" "$out/report.md" \
        && pass "the report's resolutions section: a law per resolution" || failed "the report's resolutions section"
    grep -A1 "^targets:" "$out/fits/L_N_r8/fit.yaml" | grep -q "{reducible: 0.015625, x: " \
        && pass "fit.yaml holds the forecast of 1 nat per image: 1/64 per pixel" \
        || failed "no target in L_N_r8's fit.yaml"
    grep -q "nats per image (64 tokens)" "$out/report.md" \
        && pass "the 8x8 law's constant per image of 64 pixels" || failed "no constant per image"
    [ -s "$out/figures/resolutions.png" ] && pass "figure resolutions drawn" || failed "no figure resolutions"
fi

if run_sweep video-small; then
    out=$work/video-small
    grep -q "| run | N | frame 1 | frame 2 | frame 3 | later frames / first |" "$out/report.md" \
        && pass "the report's loss per frame: 3 frames" || failed "the report's loss per frame"
    grep -q "nats per frame (16 tokens)" "$out/report.md" \
        && pass "the law's constant per frame of 16 pixels" || failed "no constant per frame"
    [ -s "$out/figures/frames.png" ] && pass "figure frames drawn" || failed "no figure frames"
fi
if run_sweep divergences-small; then
    out=$work/divergences-small
    r=$out/results.csv
    n=0
    for d in rkl js tv h2 cs; do
        c=$(col "$r" "best_eval_$d")
        [ -n "$c" ] && awk -F, -v c="$c" 'NR > 1 && !($c > 0) { bad = 1 } END { exit bad }' "$r" && n=$((n + 1))
        [ -s "$out/fits/$(echo $d | tr a-z A-Z)_N/fit.yaml" ] && [ -s "$out/fits/$(echo $d | tr a-z A-Z)_C/fit.yaml" ] && n=$((n + 1))
    done
    [ "$n" -eq 10 ] && pass "five divergences in results.csv, each fitted in N and on its frontier" \
        || failed "divergences: $n of 10 columns and fits"
    grep -q "| total variation | " "$out/report.md" && grep -q "ratio to KL's" "$out/report.md" \
        && pass "the report's divergence table" || failed "the report's divergence table"
    [ -s "$out/figures/divergences.png" ] && [ -s "$out/figures/divergences_compute.png" ] \
        && pass "figures divergences and divergences_compute drawn" || failed "the divergence figures"
fi
if run_sweep objectives-small; then
    out=$work/objectives-small
    r=$out/results.csv
    got=$(awk -F, -v o="$(col "$r" objective)" -v s="$(col "$r" status)" 'NR > 1 { print $o ":" $s }' "$r" | sort | uniq -c | awk '{ print $1 "x" $2 }' | tr '\n' ' ')
    [ "$got" = "4xforward_kl:done 4xjs:done 4xreverse_kl:done 4xtokens:done " ] \
        && pass "one grid per objective, every run done" || failed "runs by objective: $got"
    [ -s "$out/fits/KL_N_js/fit.yaml" ] && [ -s "$out/fits/KL_C_reverse_kl/fit.yaml" ] \
        && pass "each objective's KL laws" || failed "the objectives' KL laws"
    grep -q "| C | tokens | forward_kl | reverse_kl | js | lowest |" "$out/report.md" \
        && pass "the report's objectives by compute" || failed "the report's objectives section"
fi
if run_sweep students-small; then
    out=$work/students-small
    r=$out/results.csv
    n=$(awk -F, -v g="$(col "$r" stage)" -v s="$(col "$r" status)" 'NR > 1 && $g == "students" && $s == "done"' "$r" | wc -l)
    [ "$n" -eq 6 ] && pass "6 students done (2 teachers × 3 sizes)" || failed "$n students done, not 6"
    t=$(grep -l "^teacher: \.\./" "$out"/runs/*/run.yaml | wc -l)
    [ "$t" -eq 6 ] && pass "every student's run.yaml names its teacher" || failed "$t students name a teacher"
    grep -q "| teacher N | teacher | student N = 522 | student N = 1350 | student N = 5096 |" "$out/report.md" \
        && pass "the report's teachers against students" || failed "the report's students section"
fi
exit $fail
