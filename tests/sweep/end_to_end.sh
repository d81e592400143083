#!/usr/bin/env bash
# end_to_end.sh SCALEFIT SOURCE_ROOT — a small sweep from start to finish: the directory has
# everything DESIGN.md lists (run folders, results.csv, curves.csv and positions.csv with their columns, fits,
# figures, report), `scalefit status` lists every run as done, and running it again trains
# nothing and changes no result. The run ids are stable (pinned below: an id changes only when
# the run's resolved config does); editing the sweep to add a size trains the new run alone and
# keeps the finished ones; a second seed adds one run per shape and the report's seed spread;
# changing the learning rate gives every run a new id.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
reference
out="$work/ref"
for f in sweep.yaml sweep.resolved.yaml results.csv curves.csv report.md fits/L_C/fit.yaml \
         fits/L_C/report.md; do
    [ -s "$out/$f" ] && pass "$f written" || failed "$f missing"
done
[ "$(head -1 "$out/results.csv")" = "run,status,seed,n_layer,d_model,n_head,d_ff,d_attn,n_ctx,batch,lr,params,params_nonembed,tokens,flops_6n,best_eval_loss,best_eval_loss_cv,best_eval_kl,final_eval_loss,bayes_loss,entropy_rate,stage,parent,best_eval_error,final_eval_error,final_part_loss,final_part_loss_blank,final_mi,mutual_information,caption_entropy,final_extrap_loss,final_extrap_error,sample_tokens,extrap_sample_tokens,resolution,best_eval_rkl,best_eval_js,best_eval_tv,best_eval_h2,best_eval_cs,objective,final_train_loss,final_teacher_kl,final_teacher_rkl,final_teacher_js,final_teacher_tv,final_teacher_h2,final_teacher_cs,parent_params" ] \
    && pass "results.csv has DESIGN.md's columns" || failed "results.csv header"
[ "$(head -1 "$out/curves.csv")" = "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,eval_loss_cv,eval_kl,eval_error,stage,eval_extrap_loss,resolution,eval_rkl,eval_js,eval_tv,eval_h2,eval_cs,objective,parent_params,eval_teacher_kl" ] \
    && pass "curves.csv has DESIGN.md's columns" || failed "curves.csv header"
# positions.csv: each run's loss by position, n_ctx (16) rows per run, the Bayes loss and the KL
# filled (a markov source), the same Bayes loss at each position for every run (one eval set).
[ "$(head -1 "$out/positions.csv")" = "run,seed,params_nonembed,flops_6n,stage,position,count,loss,bayes_loss,kl" ] \
    && awk -F, 'NR > 1 { n[$1]++; if ($8 == "" || $9 == "" || $10 == "") bad = 1
                         if (($6 in b) && b[$6] != $9) bad = 1; b[$6] = $9 }
                END { for (r in n) { runs++; if (n[r] != 16) bad = 1 } exit bad || runs != 3 }' "$out/positions.csv" \
    && pass "positions.csv: 16 positions for each of the 3 runs, one Bayes loss per position" \
    || { failed "positions.csv"; head -3 "$out/positions.csv"; }
[ -f "$out/figures/positions.png" ] && pass "the positions figure is drawn" || failed "no positions figure"
grep -q "^## Loss by position" "$out/report.md" && grep -q "^The largest model (.*) against the Bayes loss by position, from t = 2 on" "$out/report.md" \
    && pass "report.md: the loss by position, the largest model against the Bayes loss from t = K" \
    || failed "report.md's section on the loss by position"
# A markov sweep: every run's best_eval_kl (column 18) and every evaluation's eval_kl (10) is a
# positive number, and best_eval_kl is one of its run's eval_kl values.
awk -F, 'NR > 1 && !($18 > 0) { bad = 1 } END { exit bad }' "$out/results.csv" \
    && awk -F, 'NR > 1 && !($10 > 0) { bad = 1 } END { exit bad }' "$out/curves.csv" \
    && awk -F, 'NR == FNR { if (FNR > 1) kl[$1 "," $10] = 1; next }
                FNR > 1 && !(($1 "," $18) in kl) { bad = 1 } END { exit bad }' \
           "$out/curves.csv" "$out/results.csv" \
    && pass "best_eval_kl and eval_kl filled, best_eval_kl one of its run's evaluations" \
    || failed "best_eval_kl / eval_kl"
n_runs=$(ls "$out/runs" | wc -l)
[ "$n_runs" -eq 3 ] && pass "3 run folders" || failed "$n_runs run folders"
[ "$(grep -c ',done,' "$out/results.csv")" -eq 3 ] && pass "3 runs done" || failed "not every run is done"
status=$("$scalefit" status "$out")
echo "$status" | grep -q "3 runs: 3 done" && pass "scalefit status: 3 done" || { failed "scalefit status"; echo "$status"; }
grep -q "Bayes loss" "$out/report.md" && pass "report.md names the Bayes loss" || failed "report lacks the Bayes loss"
# Again: nothing trains, nothing changes.
stamp=$(stat -c %.Y "$out"/runs/*/metrics.csv | sort | tr '\n' ' ')
cp "$out/results.csv" "$work/results.before"
"$scalefit" run "$sweep" --out "$out" >"$work/again.log" 2>&1 || failed "the second run exited $?"
[ "$stamp" = "$(stat -c %.Y "$out"/runs/*/metrics.csv | sort | tr '\n' ' ')" ] \
    && pass "a second run trains nothing" || failed "a second run touched metrics.csv"
cmp -s "$work/results.before" "$out/results.csv" && pass "a second run changes no result" || failed "results changed"
# Stable ids: a run's id is a hash of its resolved config, so these change only on purpose.
ids=$(ls "$out/runs" | sort | tr '\n' ' ')
[ "$ids" = "d10l1-efd9f76725fa d14l2-85e05c38ba36 d6l1-045e65e9ecf3 " ] && pass "the run ids are the pinned ones" \
    || failed "run ids changed: $ids"
# Edited: one more size. Only the new run trains; the finished ones are kept as they are.
sed 's/sizes: \[400, 1300, 4500\]/sizes: [400, 800, 1300, 4500]/' "$sweep" >"$work/more.yaml"
grep -q "800, 1300" "$work/more.yaml" || failed "could not edit the sweep"
"$scalefit" run "$work/more.yaml" --out "$out" >"$work/more.log" 2>&1 || failed "the edited sweep exited $?"
n_new=$(ls "$out/runs" | grep -cv -e d10l1-efd9f76725fa -e d14l2-85e05c38ba36 -e d6l1-045e65e9ecf3)
[ "$n_new" -eq 1 ] && [ "$(grep -c ',done,' "$out/results.csv")" -eq 4 ] \
    && pass "an added size is one new run, and results.csv has all four" || failed "$n_new new runs after adding a size"
[ "$stamp" = "$(stat -c %.Y "$out"/runs/{d10l1-efd9f76725fa,d14l2-85e05c38ba36,d6l1-045e65e9ecf3}/metrics.csv | sort | tr '\n' ' ')" ] \
    && pass "adding a size leaves the finished runs untouched" || failed "adding a size retrained finished runs"
# Two seeds, with the size added above dropped again: three new runs (seed 2) beside the finished
# seed-1 runs; results.csv has the sweep's six runs only, and the report shows the seed spread.
sed 's/^  checkpoint_every: 25/&\n  seeds: 2/' "$sweep" >"$work/seeds.yaml"
"$scalefit" run "$work/seeds.yaml" --out "$out" >"$work/seeds.log" 2>&1 || failed "the two-seed sweep exited $?"
[ "$(tail -n +2 "$out/results.csv" | cut -d, -f3 | sort | uniq -c | tr -s ' ' | tr '\n' ';')" = " 3 1; 3 2;" ] \
    && pass "seeds 2: results.csv has three runs of each seed, and no others" \
    || { failed "seeds 2: results.csv"; cut -d, -f1-3 "$out/results.csv"; }
[ "$stamp" = "$(stat -c %.Y "$out"/runs/{d10l1-efd9f76725fa,d14l2-85e05c38ba36,d6l1-045e65e9ecf3}/metrics.csv | sort | tr '\n' ' ')" ] \
    && pass "seeds 2: the seed-1 runs are kept as they were" || failed "seeds 2: seed-1 runs retrained"
[ "$(sed -n '/^## Spread over seeds/,/^Seeds are fitted/p' "$out/report.md" | grep -c '^| [0-9]*, [0-9]* | 60000 | 2 |')" -eq 3 ] \
    && pass "seeds 2: the report's seed spread has each shape with two seeds done" \
    || { failed "seeds 2: the report's seed spread"; cat "$out/report.md"; }
# Changed: another learning rate is another run for every shape.
sed 's/lr: 4e-3/lr: 3e-3/' "$work/more.yaml" >"$work/lr.yaml"
"$scalefit" run "$work/lr.yaml" --out "$out" --dry-run >"$work/lr.out" 2>&1 || failed "the dry run exited $?"
n_rows=$(grep -c '^d[0-9]*l[0-9]*-' "$work/lr.out")
n_old=$(ls "$out/runs" | grep -cFf - "$work/lr.out")
[ "$n_rows" -eq 4 ] && [ "$n_old" -eq 0 ] && pass "a changed learning rate gives every run a new id" \
    || failed "after changing lr: $n_rows runs listed, $n_old of them with an old id"
# Without `laws`, a sweep on a source that knows its true distribution also fits the measured KL
# as a pure power law in N (KL_N, y = best_eval_kl) and on its compute frontier (KL_C,
# frontier-power, y = eval_kl) beside L_N and L_C, and the same of every other divergence to the
# truth (a markov source: reverse KL too).
sed -e '/^fit:/,$d' -e 's/tokens: 6e4/tokens: 1e4/' "$sweep" >"$work/nolaws.yaml"
"$scalefit" run "$work/nolaws.yaml" --out "$work/nolaws" >"$work/nolaws.log" 2>&1 \
    || failed "the sweep without laws exited $?"
[ "$(grep -o 'name: [A-Z][A-Z0-9_]*' "$work/nolaws/sweep.resolved.yaml" | tr '\n' ' ')" = \
  "name: L_N name: L_C name: KL_N name: KL_C name: RKL_N name: RKL_C name: JS_N name: JS_C name: TV_N name: TV_C name: H2_N name: H2_C name: CS_N name: CS_C " ] \
    && pass "default fits: L_N, L_C, KL_N, KL_C and each divergence's _N and _C" \
    || failed "default fits: $(grep -o 'name: [A-Z][A-Z0-9_]*' "$work/nolaws/sweep.resolved.yaml" | tr '\n' ' ')"
grep -q "^law: {name: power, .*y: best_eval_kl}" "$work/nolaws/fits/KL_N/fit.yaml" \
    && pass "KL_N is a power law fitted to best_eval_kl" || failed "KL_N's fit.yaml"
grep -A2 "^law: {name: frontier-power," "$work/nolaws/fits/KL_C/fit.yaml" | grep -q "y: eval_kl}" \
    && pass "KL_C is a pure power fitted to the frontier of eval_kl" || failed "KL_C's fit.yaml"
# A run whose metrics.csv lacks the KL (eval_true_loss and eval_kl empty, as in a run of an older
# scalefit): the report's table of fitted against measured reducible loss gives it a dash, not nan.
sed -e '/^fit:/,$d' -e 's/tokens: 6e4/tokens: 8e3/' \
    -e 's/sizes: \[400, 1300, 4500\]/sizes: [400, 1300, 4500, 9000]/' "$sweep" >"$work/nokl.yaml"
"$scalefit" run "$work/nokl.yaml" --out "$work/nokl" >"$work/nokl.log" 2>&1 \
    || failed "the sweep of four sizes exited $?"
m=$(ls -d "$work/nokl/runs/"*/ | sed -n 2p)metrics.csv
awk -F, 'BEGIN { OFS = "," } NR > 1 { $8 = ""; $10 = "" } { print }' "$m" >"$work/m.csv" \
    && cp "$work/m.csv" "$m"
"$scalefit" run "$work/nokl.yaml" --out "$work/nokl" >>"$work/nokl.log" 2>&1 \
    || failed "the sweep rerun without one run's KL exited $?"
grep -q '^| run | N | fitted | measured | fitted / measured |' "$work/nokl/report.md" \
    && ! grep -qi 'nan' "$work/nokl/report.md" \
    && pass "a run without a measured KL: a dash in the report, not nan" \
    || failed "report without one run's KL: $(grep -i 'nan' "$work/nokl/report.md")"
# The kl figure draws its points at N: its reducible curve is the first power+const law of
# params_nonembed, not an earlier one of another x.
{ cat "$work/nokl.yaml"
  echo 'fit:'
  echo '  laws:'
  echo '    - {name: L_F, law: power+const, x: flops_6n}'
  echo '    - {name: L_N, law: power+const}'; } >"$work/nokl2.yaml"
"$scalefit" run "$work/nokl2.yaml" --out "$work/nokl" >>"$work/nokl.log" 2>&1 \
    || failed "the sweep with a law of flops_6n exited $?"
grep -q 'L_N less its constant' "$work/nokl/figures/kl.gp" \
    && pass "the kl figure's reducible loss is L_N's, a law of N" \
    || failed "kl figure's reducible fit: $(grep -o '[A-Z_]* less its constant' "$work/nokl/figures/kl.gp")"
# A bad directory for status.
"$scalefit" status "$work/nowhere" 2>"$work/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "no such sweep directory" "$work/err" && pass "status on a missing directory: exit 2" \
    || failed "status on a missing directory: exit $rc"
exit $fail
