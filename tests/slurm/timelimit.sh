#!/usr/bin/env bash
# timelimit.sh SCALEFIT SOURCE_ROOT CLUSTER — tasks that meet their time limit (slurm-timelimit.yaml:
# one minute, Slurm's warning 20 s before it). Each run is slowed down once it has a checkpoint,
# at no CPU cost:
#   A is stopped (SIGSTOP). Slurm's warning continues it and sends SIGTERM; the trainer
#     checkpoints and exits 4 before the limit (FAILED, exit 4), and the executor resubmits it.
#   B is held by hold.py (ptrace), as a hung trainer would be: the warning and the limit's SIGTERM
#     stay pending, so the task reaches its time limit and is killed (TIMEOUT); the trainer records
#     nothing, so the executor marks it interrupted and resubmits it.
# Both resume from their checkpoints in the resubmitted arrays, and the results equal the local
# executor's (the same runs as slurm.yaml).
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3
. "$(dirname "$0")/lib.sh"
ref=$(reference "$root/tests/data/sweeps/slurm.yaml") || exit 1
sweep=$root/tests/data/sweeps/slurm-timelimit.yaml
python=/usr/bin/python3
[ -x "$python" ] || { failed "no $python for hold.py"; exit 1; }

out=$work/limit
start_sweep "$out" "$sweep"
wait_for 90 '[ "$(ls "$out"/runs/*/checkpoint.bin 2>/dev/null | wc -l)" -eq 2 ]' \
    || { failed "the runs did not start"; tail "$out.log"; exit 1; }
a=$(ls -d "$out"/runs/d10l1-*) b=$(ls -d "$out"/runs/d14l2-*)
pid_a=$(trainer_pid "$a") pid_b=$(trainer_pid "$b")
kill -STOP "$pid_a"
setsid "$python" "$root/tests/slurm/hold.py" "$pid_b" >"$work/hold.log" 2>&1 &
helpers+=("$!")
hold=$!
wait_for 10 'grep -q held "$work/hold.log"' && pass "A stopped, B held (ptrace) mid-run" \
    || { failed "hold.py could not hold the trainer"; cat "$work/hold.log"; }
task_a=$(task_of "$out" "$(basename "$a")") task_b=$(task_of "$out" "$(basename "$b")")
finish_sweep
[ "$rc" -eq 0 ] && pass "the sweep exits 0" || { failed "the sweep exited $rc"; tail -n 20 "$out.log"; }
state_a=$(task_field "$task_a" JobState) exit_a=$(task_field "$task_a" ExitCode)
state_b=$(task_field "$task_b" JobState) reason_b=$(task_field "$task_b" Reason)
[ "$state_a" = FAILED ] && [ "$exit_a" = 4:0 ] \
    && pass "A: warned before its limit, checkpointed and exited 4 (FAILED, exit 4:0)" \
    || failed "A: Slurm says $state_a, exit $exit_a"
[ "$state_b" = TIMEOUT ] && [ "$reason_b" = TimeLimit ] \
    && pass "B: reached its time limit (TIMEOUT, reason TimeLimit)" || failed "B: Slurm says $state_b ($reason_b)"
grep -q "ended (signal 9)" "$work/hold.log" && pass "B was killed at its limit (SIGKILL after KillWait)" \
    || { failed "B's end"; cat "$work/hold.log"; }
grep -q "run $(basename "$a"), Slurm: FAILED (exit 4:0.*resubmitting it" "$out/slurm/events.log" \
    && pass "A was resubmitted" || failed "A was not resubmitted"
grep -q "run $(basename "$b"), Slurm: TIMEOUT (exit 0:9, reason TimeLimit).*resubmitting it" "$out/slurm/events.log" \
    && pass "B was resubmitted" || { failed "B was not resubmitted"; cat "$out/slurm/events.log"; }
in_a=$(grep -l " $(basename "$a") " "$out"/slurm/submit-*.tasks | wc -l)
in_b=$(grep -l " $(basename "$b") " "$out"/slurm/submit-*.tasks | wc -l)
[ "$in_a" -eq 2 ] && [ "$in_b" -eq 2 ] && pass "each run was submitted twice, no more" \
    || failed "A in $in_a submissions, B in $in_b"
for r in "$a" "$b"; do
    grep -q "resuming .* at step [1-9]" "$r/log.txt" && pass "$(basename "$r") resumed from its checkpoint" \
        || failed "$(basename "$r") did not resume"
done
same_results "$out" "$ref" "time limit"
exit $fail
