#!/usr/bin/env bash
# requeue.sh SCALEFIT SOURCE_ROOT CLUSTER — a task Slurm forces back into its queue mid-run
# (`scontrol requeue JOB_TASK`, as after a node failure) runs its script again and the trainer
# resumes from its checkpoint instead of starting over: log.txt says where it resumed, and every
# metrics.csv row up to that step is byte for byte the row written before the requeue (its timing
# columns included, which a run started over would rewrite). Slurm's requeue is followed, not
# answered with a resubmission; the results equal the local executor's.
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3
. "$(dirname "$0")/lib.sh"
sweep=$root/tests/data/sweeps/slurm.yaml
ref=$(reference "$sweep") || exit 1

out=$work/requeue
start_sweep "$out" "$sweep"
wait_for 90 '[ -n "$(ls "$out"/runs/d14l2-*/checkpoint.bin 2>/dev/null)" ]' \
    || { failed "the run did not start"; tail "$out.log"; exit 1; }
victim=$(ls -d "$out"/runs/d14l2-*)
run=$(basename "$victim")
task=$(task_of "$out" "$run")
cp "$victim/metrics.csv" "$work/before.csv"
scontrol requeue "$task" || failed "scontrol requeue $task"
finish_sweep
[ "$rc" -eq 0 ] && pass "the sweep exits 0" || { failed "the sweep exited $rc"; tail "$out.log"; }
[ "$(task_field "$task" Restarts)" = 1 ] && pass "Slurm restarted the task once (Restarts=1)" \
    || failed "Restarts=$(task_field "$task" Restarts)"
grep -q "run $run: Slurm requeued task $task (restart 1)" "$out/slurm/events.log" \
    && pass "events.log records the requeue" || { failed "events.log"; cat "$out/slurm/events.log"; }
[ "$(submissions "$out")" -eq 1 ] && pass "the executor followed the requeue (no resubmission)" \
    || failed "$(submissions "$out") submissions"
resumed=$(grep -o "resuming .* at step [0-9]*" "$victim/log.txt" | grep -o '[0-9]*$' | head -n 1)
if [ -n "$resumed" ] && [ "$resumed" -gt 0 ]; then
    pass "the requeued task resumed from its checkpoint at step $resumed"
    kept=$(awk -F, -v s="$resumed" 'NR == 1 || $1 <= s' "$work/before.csv")
    now=$(head -n "$(printf '%s\n' "$kept" | wc -l)" "$victim/metrics.csv")
    [ "$(printf '%s\n' "$kept" | wc -l)" -ge 3 ] && [ "$kept" = "$now" ] \
        && pass "metrics.csv rows up to step $resumed are the ones written before the requeue" \
        || { failed "metrics rows before the requeue changed"; diff <(printf '%s\n' "$kept") <(printf '%s\n' "$now") | head; }
else
    failed "no resume in log.txt (the run started over?)"; cat "$victim/log.txt"
fi
grep -q "(restart 1) trains run $run" "$out/slurm/logs/${task}.log" \
    && pass "the task's log shows its second start" || failed "the task's log"
same_results "$out" "$ref" "requeue"
exit $fail
