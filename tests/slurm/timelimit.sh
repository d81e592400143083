#!/usr/bin/env bash
# timelimit.sh SCALEFIT SOURCE_ROOT CLUSTER HOLD — tasks that meet their time limit (slurm-timelimit.yaml:
# one minute, Slurm's warning 20 s before it). Each run is slowed down once it has a checkpoint,
# at no CPU cost:
#   A is stopped (SIGSTOP). Slurm's warning continues it and sends SIGTERM; the trainer
#     checkpoints and exits 4 before the limit (FAILED, exit 4), and the executor resubmits it.
#   B is held by HOLD (tests/slurm/hold.c, ptrace), as a hung trainer would be: the warning and
#     the limit's SIGTERM stay pending, so the task reaches its time limit and is killed
#     (TIMEOUT); the trainer records nothing, so the executor marks it interrupted and resubmits it.
# Both resume from their checkpoints in the resubmitted arrays, and the results equal the local
# executor's (the same runs as slurm.yaml). Beside it, the same sweep with max_resubmits 0: its
# held run C reaches the limit too but is reported failed (resubmissions used up) with exit 1, and
# running the command again continues it from its checkpoint. And a third time, with a run D that
# can never start training (its run.yaml is a FIFO nobody writes, as on a hung filesystem): it
# reaches the limit without advancing and is reported failed at once, not resubmitted; with its
# run.yaml back, running the command again finishes it.
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3 HOLD=$4
. "$(dirname "$0")/lib.sh"
ref=$(reference "$root/tests/data/sweeps/slurm.yaml") || exit 1
sweep=$root/tests/data/sweeps/slurm-timelimit.yaml

sed 's/slurm: {\(.*\)}/slurm: {\1, max_resubmits: 0}/; s/^name: .*/name: slurm-noresubmit/' "$sweep" >"$work/none.yaml"
out=$work/limit none=$work/none stall=$work/stall
d_id=$(basename "$(ls -d "$ref"/runs/d14l2-*)")
mkdir -p "$stall/runs/$d_id"
mkfifo "$stall/runs/$d_id/run.yaml"
start_sweep "$stall" "$sweep"
stall_pid=$sweep_pid
start_sweep "$none" "$work/none.yaml"
none_pid=$sweep_pid
start_sweep "$out" "$sweep"
# As soon as each of A (OUT's d10l1 run), B (OUT's d14l2 run) and C (NONE's d14l2 run) has a
# checkpoint, A's trainer is stopped and B's and C's are held with HOLD.
a= b= c=
end=$(($(date +%s) + 90))
while [ -z "$a" ] || [ -z "$b" ] || [ -z "$c" ]; do
    [ "$(date +%s)" -lt "$end" ] || { failed "the runs did not start"; tail "$out.log" "$none.log"; exit 1; }
    for h in a b c; do
        [ -z "${!h}" ] || continue
        case $h in a) d=$out/runs/d10l1 ;; b) d=$out/runs/d14l2 ;; c) d=$none/runs/d14l2 ;; esac
        d=$(ls -d "$d"-* 2>/dev/null) && [ -e "$d/checkpoint.bin" ] && pid=$(trainer_pid "$d") || continue
        if [ $h = a ]; then
            kill -STOP "$pid"
        else
            setsid "$HOLD" "$pid" >"$work/hold-$h.log" 2>&1 &
            helpers+=("$!")
        fi
        printf -v "$h" '%s' "$d"
    done
    sleep 0.02
done
wait_for 10 'grep -q held "$work/hold-b.log" && grep -q held "$work/hold-c.log"' \
    && pass "A stopped, B and C held (ptrace) mid-run" \
    || { failed "hold could not hold the trainers"; cat "$work"/hold-*.log; }
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
grep -q "ended (signal 9)" "$work/hold-b.log" && pass "B was killed at its limit (SIGKILL after KillWait)" \
    || { failed "B's end"; cat "$work/hold-b.log"; }
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

wait "$none_pid"
rc=$?
[ "$rc" -eq 1 ] && pass "max_resubmits 0: the sweep exits 1" || { failed "max_resubmits 0: exit $rc"; tail "$none.log"; }
grep -q "^failed: Slurm: TIMEOUT .* after 0 resubmissions (runner.slurm.max_resubmits)" "$c/status" \
    && pass "max_resubmits 0: the run is reported failed, its resubmissions used up" \
    || { failed "max_resubmits 0: status"; cat "$c/status"; }
[ "$(submissions "$none")" -eq 1 ] && pass "max_resubmits 0: nothing resubmitted" || failed "max_resubmits 0: resubmitted"
run_sweep "$none" "$work/none.yaml"
[ "$rc" -eq 0 ] && grep -q "resuming .* at step [1-9]" "$c/log.txt" \
    && pass "max_resubmits 0: running it again continues the run from its checkpoint" \
    || { failed "max_resubmits 0: rerun exit $rc"; tail "$none.log"; }
same_results "$none" "$ref" "max_resubmits 0, then again"

wait "$stall_pid"
rc=$?
d=$stall/runs/$d_id
[ "$rc" -eq 1 ] && pass "no progress: the sweep exits 1" || { failed "no progress: exit $rc"; tail "$stall.log"; }
grep -q "^failed: Slurm: TIMEOUT .*: no progress in this attempt (still at step 0), so it is not resubmitted" "$d/status" \
    && pass "no progress: the run is reported failed, not resubmitted" || { failed "no progress: status"; cat "$d/status"; }
[ "$(submissions "$stall")" -eq 1 ] && pass "no progress: one submission only" || failed "no progress: resubmitted"
rm -f "$d/run.yaml"
cp "$ref/runs/$d_id/run.yaml" "$d/run.yaml"
run_sweep "$stall" "$sweep"
[ "$rc" -eq 0 ] && pass "no progress: with its run.yaml back, running it again finishes" \
    || { failed "no progress: rerun exit $rc"; tail "$stall.log"; }
same_results "$stall" "$ref" "no progress, then again"
exit $fail
