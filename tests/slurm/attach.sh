#!/usr/bin/env bash
# attach.sh SCALEFIT SOURCE_ROOT CLUSTER — `scalefit run` leaving and coming back while the array
# runs (its trainers are stopped with SIGSTOP meanwhile, so that the array surely outlives each
# step):
# 1. killed outright (SIGKILL to its process group): the tasks go on; started again, it attaches
#    to the array recorded in OUT/slurm/jobs and submits nothing, even when the array's id never
#    made it into the record (a kill between sbatch and the write: it finds the array in the queue
#    by its batch script).
# 2. Ctrl-C without a terminal: exit 4, the jobs keep running, and it says how to attach again;
#    started again, it attaches, waits for the end, and the results equal the local executor's.
# 3. Ctrl-C on a terminal (a pseudo-terminal from `script`), answered "c": it cancels the array
#    (scancel), waits for the trainers to checkpoint, exits 4; started again, it resubmits both
#    runs, which resume, and the results equal the local executor's.
# 4. Two `scalefit run` at once on one new sweep directory: one array is submitted, the other
#    command attaches to it, both exit 0.
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3
. "$(dirname "$0")/lib.sh"
sweep=$root/tests/data/sweeps/slurm.yaml
ref=$(reference "$sweep") || exit 1

# signal_trainers SIG OUT: sends SIG to both trainers of OUT.
signal_trainers() {
    local d p
    for d in "$2"/runs/*/; do p=$(trainer_pid "$d") && kill -"$1" "$p"; done
}
# tasks_running OUT: true when every task of OUT's first array is RUNNING.
tasks_running() {
    local job
    job=$(first_job "$1")
    [ "$(scontrol show job -o "$job" | grep -c 'JobState=RUNNING')" -eq 2 ]
}

# 1. Killed, then started again.
out=$work/attach
start_sweep "$out" "$sweep"
first=$sweep_pid
wait_for 90 'started "$out"' || { failed "the runs did not start"; tail "$out.log"; exit 1; }
signal_trainers STOP "$out"
kill -KILL -- "-$first"
wait "$first" 2>/dev/null
tasks_running "$out" && pass "scalefit run killed: the array's tasks still run" || failed "the tasks did not survive"
job=$(first_job "$out")
sed -i "s/^1 $job /1 - /" "$out/slurm/jobs"
start_sweep "$out" "$sweep"
wait_for 30 'grep -q "attached to the sweep'"'"'s Slurm array job" "$out.log"' \
    && pass "started again: it attaches to the running array" || { failed "no attach"; tail "$out.log"; }
[ "$(submissions "$out")" -eq 1 ] && pass "started again: nothing submitted again" \
    || failed "$(submissions "$out") submissions"
grep -q "submission 1: found its array job $job in the queue" "$out/slurm/events.log" &&
    grep -q "^1 $job " "$out/slurm/jobs" && pass "started again: the array's lost id was found in the queue" \
    || { failed "the lost id was not recovered"; cat "$out/slurm/jobs"; }

# 2. Ctrl-C without a terminal.
kill -INT "$sweep_pid"
finish_sweep
[ "$rc" -eq 4 ] && pass "Ctrl-C without a terminal: exit 4" || { failed "Ctrl-C: exit $rc"; tail "$out.log"; }
grep -q "keeps running: run the same command again to attach to it" "$out.log" \
    && pass "Ctrl-C without a terminal: the jobs are left running, and it says how to attach" \
    || { failed "Ctrl-C message"; tail -n 3 "$out.log"; }
tasks_running "$out" && pass "Ctrl-C without a terminal: the tasks still run" || failed "the tasks stopped"
signal_trainers CONT "$out"
: >"$out.log"
run_sweep "$out" "$sweep"
[ "$rc" -eq 0 ] && pass "started once more: the sweep finishes (exit 0)" || { failed "exit $rc"; tail "$out.log"; }
[ "$(submissions "$out")" -eq 1 ] && pass "the array was submitted once in all" || failed "$(submissions "$out") submissions"
grep -q "resuming" "$out"/runs/*/log.txt && failed "a run was restarted" || pass "no run was restarted"
same_results "$out" "$ref" "killed, interrupted and attached"

# 3. Ctrl-C on a terminal, answered "cancel".
out=$work/ask
mkfifo "$work/tty.in"
printf 'echo $$ >%q\nexec %q run %q --out %q\n' "$work/ask.pid" "$scalefit" "$sweep" "$out" >"$work/ask.sh"
setsid script -qefc "bash $(printf %q "$work/ask.sh")" /dev/null <"$work/tty.in" >"$work/ask.tty" 2>&1 &
tty_pid=$!
helpers+=("$tty_pid")
exec 7>"$work/tty.in"
wait_for 90 'started "$out"' || { failed "terminal: the runs did not start"; cat "$work/ask.tty"; exit 1; }
job=$(first_job "$out")
kill -INT "$(cat "$work/ask.pid")"
wait_for 10 'grep -q "cancel the sweep.s Slurm jobs (c) or leave them running (l)" "$work/ask.tty"' \
    && pass "Ctrl-C on a terminal: it asks" || failed "Ctrl-C on a terminal: no question"
printf 'c\n' >&7
wait "$tty_pid"
rc=$?
exec 7>&-
[ "$rc" -eq 4 ] && pass "Ctrl-C on a terminal, cancel: exit 4" || { failed "cancel: exit $rc"; tail -c 2000 "$work/ask.tty"; }
grep -q "cancelled the sweep's Slurm job ($job)" "$work/ask.tty" && pass "cancel: it says it cancelled the array" \
    || failed "cancel: message"
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && pass "cancel: nothing of the array is left in the queue" \
    || failed "cancel: the queue still holds $(squeue -h -j "$job")"
n_cancelled=$(scontrol show job -o "$job" | grep -c 'JobState=CANCELLED')
n_stopped=$(grep -l '^interrupted: Slurm: CANCELLED .*stopped with the sweep' "$out"/runs/*/status | wc -l)
[ "$n_cancelled" -eq 2 ] && [ "$n_stopped" -eq 2 ] && pass "cancel: both tasks CANCELLED, both runs interrupted" \
    || { failed "cancel: $n_cancelled tasks cancelled, $n_stopped runs interrupted"; cat "$out"/runs/*/status; }
run_sweep "$out" "$sweep"
[ "$rc" -eq 0 ] && pass "after the cancel, the sweep finishes (exit 0)" || { failed "exit $rc"; tail "$out.log"; }
[ "$(submissions "$out")" -eq 2 ] && pass "after the cancel, both runs were submitted again" \
    || failed "$(submissions "$out") submissions"
[ "$(grep -l "resuming .* at step [1-9]" "$out"/runs/*/log.txt | wc -l)" -eq 2 ] \
    && pass "both runs resumed from their checkpoints" || failed "the runs did not resume"
same_results "$out" "$ref" "cancelled from a terminal"

# 4. Two commands at once.
out=$work/twice
start_sweep "$out" "$sweep"
one=$sweep_pid
start_sweep "$out" "$sweep"
wait "$one"
rc_one=$?
finish_sweep
[ "$rc_one" -eq 0 ] && [ "$rc" -eq 0 ] && pass "two commands at once: both exit 0" \
    || { failed "two commands at once: exit $rc_one and $rc"; tail -n 5 "$out.log"; }
[ "$(submissions "$out")" -eq 1 ] && pass "two commands at once: one array submitted" \
    || failed "two commands at once: $(submissions "$out") arrays"
same_results "$out" "$ref" "two commands at once"
exit $fail
