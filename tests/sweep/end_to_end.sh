#!/usr/bin/env bash
# end_to_end.sh SCALEFIT SOURCE_ROOT — a small sweep from start to finish: the directory has
# everything DESIGN.md lists (run folders, results.csv and curves.csv with their columns, fits,
# figures, report), `scalefit status` lists every run as done, and running it again trains
# nothing and changes no result.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
reference
out="$work/ref"
for f in sweep.yaml sweep.resolved.yaml results.csv curves.csv report.md fits/L_C/fit.yaml \
         fits/L_C/report.md; do
    [ -s "$out/$f" ] && pass "$f written" || failed "$f missing"
done
[ "$(head -1 "$out/results.csv")" = "run,status,seed,n_layer,d_model,n_head,d_ff,d_attn,n_ctx,batch,lr,params,params_nonembed,tokens,flops_6n,best_eval_loss,best_eval_loss_cv,final_eval_loss,bayes_loss,entropy_rate" ] \
    && pass "results.csv has DESIGN.md's columns" || failed "results.csv header"
[ "$(head -1 "$out/curves.csv")" = "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,eval_loss_cv" ] \
    && pass "curves.csv has DESIGN.md's columns" || failed "curves.csv header"
n_runs=$(ls "$out/runs" | wc -l)
[ "$n_runs" -eq 3 ] && pass "3 run folders" || failed "$n_runs run folders"
[ "$(grep -c ',done,' "$out/results.csv")" -eq 3 ] && pass "3 runs done" || failed "not every run is done"
status=$("$scalefit" status "$out")
echo "$status" | grep -q "3 runs: 3 done" && pass "scalefit status: 3 done" || { failed "scalefit status"; echo "$status"; }
grep -q "Bayes loss" "$out/report.md" && pass "report.md names the Bayes loss" || failed "report lacks the Bayes loss"
# Again: nothing trains, nothing changes.
stamp=$(stat -c %Y "$out"/runs/*/metrics.csv | sort | tr '\n' ' ')
cp "$out/results.csv" "$work/results.before"
"$scalefit" run "$sweep" --out "$out" >"$work/again.log" 2>&1 || failed "the second run exited $?"
[ "$stamp" = "$(stat -c %Y "$out"/runs/*/metrics.csv | sort | tr '\n' ' ')" ] \
    && pass "a second run trains nothing" || failed "a second run touched metrics.csv"
cmp -s "$work/results.before" "$out/results.csv" && pass "a second run changes no result" || failed "results changed"
# A bad directory for status.
"$scalefit" status "$work/nowhere" 2>"$work/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "no such sweep directory" "$work/err" && pass "status on a missing directory: exit 2" \
    || failed "status on a missing directory: exit $rc"
exit $fail
