#!/usr/bin/env bash
# capture.sh ROOT OUT — runs the issue-10 regression set with ROOT/build/src/scalefit from ROOT,
# writing into OUT (absolute). Paths in outputs are made relative by running from ROOT.
set -uo pipefail
root=$1; out=$2
cd "$root"
sf=build/src/scalefit
rm -rf "$out"; mkdir -p "$out"
export OMP_NUM_THREADS=2
f() { local name=$1; shift; "$sf" fit "$@" --out "$out/$name" >"$out/$name.stdout" 2>"$out/$name.stderr"; echo "rc=$?" >>"$out/$name.stderr"; }
D=tests/data/fit
f gadre data/gadre2024_overtraining_losses.csv --law chinchilla --n params --d tokens --y loss_c4_val_full --by dataset --holdout-where 'params>=1e9'
f gadre_c4 data/gadre2024_overtraining_losses.csv --law chinchilla,kaplan-nd --n params --d tokens --y loss_c4_val_full --where dataset=c4_original --holdout-where 'params>=1e9' --bootstrap 200
f power_synth $D/power_synth.csv --law power --x params --predict params=1e12 --bootstrap 200
f exact_power $D/exact_power.csv --law power,power+const --x params
f powerconst_synth $D/powerconst_synth.csv --law power+const --x params --holdout 2 --predict params=1e10 --target-reducible 0.05 --true-entropy 3.12 --bootstrap 300
f exact_powerconst $D/exact_powerconst.csv --law power+const,power --x params
f chinchilla_synth $D/chinchilla_synth.csv --law chinchilla --n params --d tokens --compute 1e21 --compute 1e23 --predict params=7e10,tokens=1.4e12 --bootstrap 200
f chinchilla_synth_sq $D/chinchilla_synth.csv --law chinchilla --loss squares --n params --d tokens
f err_target $D/chinchilla_synth.csv --law chinchilla --n params --d tokens --target-reducible 0.1
f err_pred $D/frontier_textbytes.csv --law frontier --run run --c flops --n params --predict compute=1e15
f err_compute $D/exact_chinchilla.csv --law chinchilla,kaplan-nd --n params --d tokens --compute 1e21
f err_law $D/exact_chinchilla.csv --law chinchila --n params --d tokens
f err_opt $D/exact_chinchilla.csv --law chinchilla --n params --d tokens --bootstap 3
f exact_chinchilla $D/exact_chinchilla.csv --law chinchilla,kaplan-nd --n params --d tokens
f chinchilla_narrow $D/chinchilla_narrow.csv --law chinchilla --n params --d tokens --true-entropy 1.0097 --bootstrap 200
f bench240 $D/bench_chinchilla_240.csv --law chinchilla --n params --d tokens
f kaplan_synth $D/kaplan_synth.csv --law kaplan-nd --n params --d tokens --predict params=1e9,tokens=1e10 --bootstrap 200
f exact_kaplan $D/exact_kaplan.csv --law kaplan-nd --n params --d tokens
f frontier_curves $D/frontier_curves.csv --law frontier --run run --c flops --n params --bootstrap 200
f frontier_textbytes $D/frontier_textbytes.csv --law frontier --run run --c flops --n params --bootstrap 200 --predict flops=1e15
"$sf" run sweeps/tiny.yaml --out "$out/tiny" >"$out/tiny.stdout" 2>"$out/tiny.stderr"; echo "rc=$?" >>"$out/tiny.stderr"
"$sf" status "$out/tiny" >"$out/tiny.status" 2>&1
"$sf" plot "$out/tiny" >"$out/tiny.plot" 2>&1; echo "rc=$?" >>"$out/tiny.plot"
"$sf" plot "$out/chinchilla_synth" >"$out/plotfit.stdout" 2>&1; echo "rc=$?" >>"$out/plotfit.stdout"
# Normalise the root's absolute path and remove pure timing noise before comparison.
grep -rlI -- "$root" "$out" | xargs -r sed -i "s#$root#ROOT#g"
grep -rlI -- "$out" "$out" | xargs -r sed -i "s#$out#OUT#g"
exit 0
