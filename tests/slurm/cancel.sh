#!/usr/bin/env bash
# cancel.sh SCALEFIT SOURCE_ROOT CLUSTER — tasks that end badly while the sweep watches.
# 1. A task cancelled mid-run (scancel JOB_TASK): the trainer checkpoints, the run is reported as
#    interrupted with Slurm's state (CANCELLED) in its status, it is not resubmitted unasked, the
#    other run finishes and the command exits 4; running it again resubmits that run alone, which
#    resumes from its checkpoint, and the results equal the local executor's.
# 2. A trainer killed outright (SIGKILL, as the kernel's OOM killer would): it cannot record
#    anything, so the executor writes Slurm's state and the tail of the task's log into the run's
#    status as failed; the command exits 1 with a report; running it again finishes the run.
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3
. "$(dirname "$0")/lib.sh"
sweep=$root/tests/data/sweeps/slurm.yaml
ref=$(reference "$sweep") || exit 1

# 1. scancel one task.
out=$work/cancel
start_sweep "$out" "$sweep"
wait_for 90 'started "$out"' || { failed "cancel: the runs did not start"; tail "$out.log"; exit 1; }
victim=$(ls -d "$out"/runs/d14l2-*)
run=$(basename "$victim")
task=$(task_of "$out" "$run")
scancel "$task"
finish_sweep
[ "$rc" -eq 4 ] && pass "cancel: the sweep exits 4 (a run did not finish)" || { failed "cancel: exit $rc"; tail "$out.log"; }
grep -q "^interrupted: Slurm: CANCELLED .* in task $task" "$victim/status" \
    && pass "cancel: the run's status says interrupted, with Slurm's state and task" \
    || { failed "cancel: status"; cat "$victim/status"; }
grep -q "run $run, Slurm: CANCELLED" "$out/slurm/events.log" && pass "cancel: events.log records the cancellation" \
    || failed "cancel: events.log"
[ "$(submissions "$out")" -eq 1 ] && pass "cancel: a cancelled task is not resubmitted unasked" \
    || failed "cancel: $(submissions "$out") submissions"
other=$(ls -d "$out"/runs/d10l1-*)
grep -q '^done' "$other/status" && pass "cancel: the other run finished" || failed "cancel: the other run: $(cat "$other/status")"
grep -q ",interrupted," "$out/results.csv" && pass "cancel: results.csv lists the run as interrupted" \
    || failed "cancel: results.csv"
run_sweep "$out" "$sweep"
[ "$rc" -eq 0 ] && pass "cancel: running it again finishes (exit 0)" || { failed "cancel: rerun exit $rc"; tail "$out.log"; }
[ "$(submissions "$out")" -eq 2 ] && [ "$(awk '!/^#/' "$out/slurm/submit-2.tasks" | wc -l)" -eq 1 ] &&
    grep -q " $run " "$out/slurm/submit-2.tasks" && pass "cancel: only the cancelled run is submitted again" \
    || failed "cancel: the second submission"
grep -q "resuming .* at step [1-9]" "$victim/log.txt" && pass "cancel: the run resumed from its checkpoint" \
    || failed "cancel: no resume in log.txt"
same_results "$out" "$ref" "cancel"

# 2. SIGKILL a trainer.
out=$work/killed
start_sweep "$out" "$sweep"
wait_for 90 'started "$out"' || { failed "kill: the runs did not start"; tail "$out.log"; exit 1; }
victim=$(ls -d "$out"/runs/d14l2-*)
run=$(basename "$victim")
task=$(task_of "$out" "$run")
pid=$(trainer_pid "$victim") && kill -KILL "$pid"
finish_sweep
[ "$rc" -eq 1 ] && pass "kill: the sweep exits 1 (a run failed)" || { failed "kill: exit $rc"; tail "$out.log"; }
if grep -q "^failed: Slurm: FAILED (exit 0:9, reason [A-Za-z]*) in task $task; the task's log ends: .*step [0-9]*/[0-9]*" "$victim/status"; then
    pass "kill: the executor recorded Slurm's state and the task's log in the run's status"
else
    failed "kill: status"; cat "$victim/status"
fi
grep -q "run $run failed: Slurm: FAILED" "$out.log" && pass "kill: the failure is reported with Slurm's state" \
    || failed "kill: no report in the log"
[ -s "$out/report.md" ] && grep -q ",failed," "$out/results.csv" && pass "kill: report and results.csv written" \
    || failed "kill: report or results.csv"
run_sweep "$out" "$sweep"
[ "$rc" -eq 0 ] && pass "kill: running it again finishes (exit 0)" || { failed "kill: rerun exit $rc"; tail "$out.log"; }
same_results "$out" "$ref" "kill"
exit $fail
