#!/usr/bin/env bash
# interrupts.sh SCALEFIT SOURCE_ROOT — the runner under stress: Ctrl-C (SIGINT to the whole
# foreground group) stops cleanly with exit 4 and checkpoints, and the same command resumes to
# the uninterrupted results; two sweeps started at once on one directory never train a run
# twice and agree with the reference; a trainer that crashes (SIGKILL) is recorded as failed with
# its signal while the others finish (exit 1), and a run that diverges is a recorded result
# (exit 0).
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
reference

# wake_until_done: sends SIGCONT to the background sweep's group until it ends (a trainer that
# reaches its hold step freezes itself after every earlier wake-up), at most 150 s; then sets rc
# to the sweep's exit status. A sweep still there by then is shown (each process's state and
# where it waits) and killed, so that a hang names itself instead of running into the time limit.
wake_until_done() {
    local end=$((SECONDS + 150))
    while kill -0 -- -"$bg_pgid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
        kill -CONT -- -"$bg_pgid" 2>/dev/null
        sleep 0.05
    done
    if kill -0 -- -"$bg_pgid" 2>/dev/null; then
        echo "the sweep has not ended after 150 s of wake-ups:"
        ps -o pid=,stat=,wchan:32=,args= -g "$bg_pgid"
        kill -9 -- -"$bg_pgid" 2>/dev/null
    fi
    wait "$bg_pgid"; rc=$?; bg_pgid=0
}

# 1. Ctrl-C, while the trainers are frozen after step 30 (SCALEFIT_TEST_HOLD_STEP: each stops
# itself there), so that the signal finds them at a known step, whatever the CPU's speed.
out="$work/ctrlc"
SCALEFIT_TEST_HOLD_STEP=30 start_bg "$out"
for i in $(seq 1 6000); do ps -o stat= -g "$bg_pgid" 2>/dev/null | grep -q '^T' && break; sleep 0.01; done
ps -o stat= -g "$bg_pgid" 2>/dev/null | grep -q '^T' && held=1 || held=0
kill -INT -- -"$bg_pgid"
# Wake every frozen trainer until the sweep ends: one that reaches step 30 just as the signal
# comes freezes itself after the first wake-up, and would otherwise hold the sweep forever.
wake_until_done
[ "$held" = 1 ] && pass "Ctrl-C: a trainer was held at step 30 when it came" \
    || failed "Ctrl-C: no trainer reached step 30 before the signal"
[ "$rc" -eq 4 ] && pass "Ctrl-C: exit 4" || failed "Ctrl-C: exit $rc (4 expected)"
# The held trainers checkpointed step 30 (the step at offset 152 of checkpoint.bin).
at30=0
for r in "$out"/runs/*/; do
    [ -f "$r/checkpoint.bin" ] && [ "$(od -An -t d8 -j 152 -N 8 "$r/checkpoint.bin" | tr -d ' ')" = 30 ] \
        && grep -qs "^interrupted" "$r/status" && at30=$((at30 + 1))
done
[ "$at30" -ge 1 ] && pass "Ctrl-C: $at30 run(s) interrupted with the checkpoint of step 30" \
    || { failed "Ctrl-C: no run interrupted at step 30"; head "$out"/runs/*/status; tail -n 5 "$out.log"; }
"$scalefit" run "$sweep" --out "$out" >>"$out.log" 2>&1 || failed "Ctrl-C: the resumed sweep exited $?"
same_results "$out" "Ctrl-C and resume"

# 2. Two sweeps at once on one directory.
out="$work/twice"
"$scalefit" run "$sweep" --out "$out" >"$work/twice.a.log" 2>&1 & a=$!
"$scalefit" run "$sweep" --out "$out" >"$work/twice.b.log" 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] && pass "two sweeps at once both finish" \
    || { failed "two sweeps at once exited $ra and $rb"; tail -n 3 "$work/twice.a.log" "$work/twice.b.log"; }
same_results "$out" "two sweeps at once"
for m in "$out"/runs/*/metrics.csv; do
    dups=$(cut -d, -f1 "$m" | sort | uniq -d | wc -l)
    [ "$dups" -eq 0 ] || failed "two sweeps at once: $m has repeated steps"
done
pass "two sweeps at once: metrics have no repeated step"

# 3. A trainer crashes: the first trainer frozen after step 20 is killed with SIGKILL (as the
# out-of-memory killer ends a process; SIGABRT or SIGSEGV would dump core, which through a crash
# handler can take minutes for a sanitizer build's address space, and SIGSEGV is caught by its
# runtime), then every frozen trainer is woken until the sweep ends (each one freezes at step 20
# in turn).
out="$work/crash"
SCALEFIT_TEST_HOLD_STEP=20 start_bg "$out"
victim=""
for i in $(seq 1 6000); do
    victim=$(ps -o pid=,stat=,args= -g "$bg_pgid" 2>/dev/null | awk '$2 ~ /^T/ && /train --run-dir/ {print $1; exit}')
    [ -n "$victim" ] && break
    sleep 0.01
done
[ -n "$victim" ] && pass "a crash: a trainer was held at step 20 when it came" \
    || failed "a crash: no trainer reached step 20"
victim_dir=$(tr '\0' ' ' < /proc/"$victim"/cmdline | awk '{print $4}')
kill -KILL "$victim"
wake_until_done
[ "$rc" -eq 1 ] && pass "a crashed trainer: the sweep exits 1" || failed "a crashed trainer: exit $rc (1 expected)"
grep -q "^failed: the trainer was killed by signal 9" "$victim_dir/status" \
    && pass "the crashed run is recorded as failed with its signal" || { failed "crashed run status"; cat "$victim_dir/status"; }
[ "$(grep -c ',done,' "$out/results.csv")" -eq 2 ] && grep -q ',failed,' "$out/results.csv" \
    && pass "the other runs finished; results.csv records the failure" || failed "results.csv after a crash"
[ -s "$out/report.md" ] && pass "a report is written despite the failure" || failed "no report after a failure"
"$scalefit" run "$sweep" --out "$out" >>"$out.log" 2>&1 || failed "after a crash: the rerun exited $?"
same_results "$out" "a crash, then a rerun"

# 4. A run diverges.
out="$work/diverge"
"$scalefit" run "$root/tests/data/sweeps/diverge.yaml" --out "$out" >"$out.log" 2>&1; rc=$?
[ "$rc" -eq 0 ] && pass "divergence is a result: exit 0" || failed "divergence: exit $rc"
grep -q ',diverged,' "$out/results.csv" && grep -q ',done,' "$out/results.csv" \
    && pass "the diverged run is recorded and the other is done" || failed "divergence not recorded"
grep -q "1 diverged" "$out/report.md" && pass "the report counts the diverged run" || failed "report on divergence"
exit $fail
