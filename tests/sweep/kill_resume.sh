#!/usr/bin/env bash
# kill_resume.sh SCALEFIT SOURCE_ROOT — the whole process group of `scalefit run` is killed with
# SIGKILL at each persistence step it can reach (a checkpoint written, metrics lines appended, a
# status changed to done, the tables collected after training) and at fixed steps of training
# (trainers frozen there by SCALEFIT_TEST_HOLD_STEP); a scenario whose moment never came (the
# sweep ended first) fails. Running
# the same command again must finish with results identical to the uninterrupted sweep.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
reference

# wait_for OUT CONDITION: polls (up to 60 s) until the shell condition holds in OUT.
wait_for() {
    local out=$1 cond=$2 i
    for i in $(seq 1 6000); do
        (cd "$out" 2>/dev/null && eval "$cond") && return 0
        kill -0 "$bg_pgid" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

# scenario NAME CONDITION: start, kill the group when CONDITION holds, resume, compare.
scenario() {
    local name=$1 cond=$2 out="$work/$1"
    start_bg "$out"
    if wait_for "$out" "$cond"; then
        kill -9 -- -"$bg_pgid" 2>/dev/null
        wait "$bg_pgid" 2>/dev/null
        sleep 0.2
        # Zombies wait for their reaper; anything else alive in the group survived the kill.
        if ps -o stat= -g "$bg_pgid" 2>/dev/null | grep -qv '^Z'; then
            failed "$name: processes survived the kill"
        fi
        echo "killed at: $name"
    else
        wait "$bg_pgid" 2>/dev/null
        # The fault did not happen: a test of it that passes anyway proves nothing.
        failed "$name: the sweep finished before the condition held, so it was never killed there"
    fi
    bg_pgid=0
    "$scalefit" run "$sweep" --out "$out" >>"$out.log" 2>&1 || { failed "$name: the resumed sweep exited $?"; tail -5 "$out.log"; return; }
    same_results "$out" "$name"
}

scenario checkpoint 'ls runs/*/checkpoint.bin >/dev/null 2>&1'
scenario metrics '[ "$(cat runs/*/metrics.csv 2>/dev/null | wc -l)" -ge 5 ]'
scenario status-done 'grep -qs "^done" runs/*/status'
scenario collected '[ "$(grep -ls "^done" runs/*/status | wc -l)" -eq 3 ] && [ ! -e report.md ]'
# Moments inside training: the trainers freeze themselves once a given step is done
# (SCALEFIT_TEST_HOLD_STEP), and the group is killed while one is frozen there: before the first
# checkpoint, right after one, one step past one, and later (checkpoints every 25 steps).
for step in 7 25 26 99 230; do
    name="held-at-step-$step" out="$work/held-at-step-$step"
    SCALEFIT_TEST_HOLD_STEP=$step start_bg "$out"
    if wait_for "$out" "ps -o stat= -g $bg_pgid 2>/dev/null | grep -q '^T'"; then
        kill -9 -- -"$bg_pgid" 2>/dev/null
        wait "$bg_pgid" 2>/dev/null
        echo "killed at: $name"
    else
        wait "$bg_pgid" 2>/dev/null
        failed "$name: no trainer reached step $step, so it was never killed there"
    fi
    bg_pgid=0
    "$scalefit" run "$sweep" --out "$out" >>"$out.log" 2>&1 || { failed "$name: the resumed sweep exited $?"; continue; }
    same_results "$out" "$name"
done
exit $fail
