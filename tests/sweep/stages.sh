#!/usr/bin/env bash
# stages.sh SCALEFIT SOURCE_ROOT — a sweep's dependent stages (tests/data/sweeps/stages.yaml): each
# stage run starts from its parent's weights once the parent is done (run.yaml's init_from, its
# log), results.csv gives its stage, parent and error rate, and a fit of the stage uses its runs
# alone; a parent that diverges fails its child, naming it; a sweep stopped while the parents
# train leaves the children pending, and the same command then ends with the tables of an
# uninterrupted sweep, byte for byte; so does one killed (SIGKILL, the whole process group) while
# the children train. Without dataset-fashion-mnist: skip (77), a failure where
# CI is set.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
    echo "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi
sweep="$root/tests/data/sweeps/stages.yaml"
reference
ref="$work/ref"
col() { head -1 "$ref/results.csv" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
c_run=$(col run) c_status=$(col status) c_stage=$(col stage) c_parent=$(col parent)
c_err=$(col final_eval_error)
[ "$(grep -c ',done,' "$ref/results.csv")" -eq 6 ] && pass "all six runs done" \
    || { failed "results.csv:"; cat "$ref/results.csv"; }
# Each classify run names a main run as its parent, has an error rate in [0, 1], and its
# run.yaml starts from that parent; the main runs have no parent and no error rate.
awk -F, -v r="$c_run" -v s="$c_stage" -v p="$c_parent" -v e="$c_err" '
    NR > 1 && $s == "main" { main[$r] = 1; if ($p != "" || $e != "") bad = 1 }
    NR > 1 && $s == "classify" { kids++; parent[$r] = $p; if (!($e >= 0 && $e <= 1) || $e == "") bad = 1 }
    END { for (k in parent) if (!(parent[k] in main)) bad = 1; exit bad || kids != 3 }' \
    "$ref/results.csv" && pass "results.csv: three classify runs, each with a main parent and an error rate" \
    || { failed "results.csv's stage, parent and error columns"; cat "$ref/results.csv"; }
kids=$(awk -F, -v r="$c_run" -v s="$c_stage" -v p="$c_parent" 'NR > 1 && $s == "classify" {print $r ":" $p}' "$ref/results.csv")
ok=1
for kp in $kids; do
    kid=${kp%%:*} parent=${kp##*:}
    grep -qx "init_from: ../$parent" "$ref/runs/$kid/run.yaml" || ok=0
    grep -q "weights from ../$parent (its step 80), optimiser fresh; n_vocab 16 -> 26, n_ctx 63 -> 64" \
        "$ref/runs/$kid/log.txt" || ok=0
done
[ "$ok" = 1 ] && pass "each classify run starts from its parent's last checkpoint (run.yaml, log.txt)" \
    || { failed "init_from in the classify runs"; cat "$ref"/runs/*/log.txt | grep -i weights; }
grep -q "rows_used: 3," "$ref/fits/E_N/fit.yaml" \
    && grep -q "stage: classify" "$ref/sweep.resolved.yaml" \
    && pass "the stage's fit (E_N) used its three runs alone" \
    || { failed "the stage's fit"; grep -A1 "^input" "$ref/fits/E_N/fit.yaml"; }

# A parent that diverges fails its child, naming the parent and its state.
sed -e 's/^  lr: 3e-3/  lr: 10/' -e 's/^name: stages/name: stages-diverge/' "$sweep" > "$work/diverge.yaml"
"$scalefit" run "$work/diverge.yaml" --out "$work/div" >"$work/div.log" 2>&1
bad=0
for kp in $(awk -F, -v r="$c_run" -v s="$c_stage" -v p="$c_parent" 'NR > 1 && $s == "classify" {print $r ":" $p}' "$work/div/results.csv"); do
    kid=${kp%%:*} parent=${kp##*:}
    grep -q "^diverged" "$work/div/runs/$parent/status" || continue
    grep -qx "failed: parent run $parent ended diverged" "$work/div/runs/$kid/status" || bad=1
    [ -f "$work/div/runs/$kid/metrics.csv" ] && bad=1
done
ndiv=$(grep -l "^diverged" "$work"/div/runs/*/status 2>/dev/null | wc -l)
[ "$ndiv" -ge 1 ] && [ "$bad" = 0 ] && pass "a diverged parent ($ndiv) fails its child, never trained, naming it" \
    || { failed "a diverged parent's child"; head "$work"/div/runs/*/status; }

# Stopped while the parents train: the children stay pending; the same command then finishes
# with the uninterrupted sweep's tables.
out="$work/stop"
SCALEFIT_TEST_HOLD_STEP=30 start_bg "$out"
for i in $(seq 1 6000); do ps -o stat= -g "$bg_pgid" 2>/dev/null | grep -q '^T' && break; sleep 0.01; done
kill -INT -- -"$bg_pgid"
kill -CONT -- -"$bg_pgid"
wait "$bg_pgid"; rc=$?; bg_pgid=0
[ "$rc" -eq 4 ] && pass "stopped while the parents train: exit 4" || failed "stopped: exit $rc (4 expected)"
pending=0
for kp in $kids; do
    kid=${kp%%:*}
    grep -qx "pending" "$out/runs/$kid/status" && [ ! -f "$out/runs/$kid/metrics.csv" ] && pending=$((pending + 1))
done
[ "$pending" -eq 3 ] && pass "the children of interrupted parents stay pending, untouched" \
    || { failed "children after the stop: $pending pending"; head "$out"/runs/*/status; }
"$scalefit" run "$sweep" --out "$out" >>"$out.log" 2>&1 || failed "the resumed sweep exited $?"
same_results "$out" "stopped while the parents train, then resumed"

# Killed outright while a child trains (each trainer holds itself after step 30, the parents
# first): every process of the sweep gets SIGKILL; the same command then finishes the sweep.
out="$work/kill"
SCALEFIT_TEST_HOLD_STEP=30 start_bg "$out"
killed=0
for i in $(seq 1 6000); do
    held=$(ps -o pid=,stat=,args= -g "$bg_pgid" 2>/dev/null | awk '$2 ~ /^T/ && /train --run-dir/ {print $NF}')
    for d in $held; do
        if grep -q "^init_from: " "$d/run.yaml" 2>/dev/null; then killed=1; break; fi
    done
    [ "$killed" = 1 ] && break
    kill -CONT -- -"$bg_pgid" 2>/dev/null
    sleep 0.02
done
kill -KILL -- -"$bg_pgid" 2>/dev/null
wait "$bg_pgid" 2>/dev/null; bg_pgid=0
[ "$killed" = 1 ] && pass "killed while a child was held at step 30" || failed "no child reached step 30"
"$scalefit" run "$sweep" --out "$out" >>"$out.log" 2>&1 || failed "after the kill: the sweep exited $?"
same_results "$out" "killed while a child trains, then run again"
exit $fail
