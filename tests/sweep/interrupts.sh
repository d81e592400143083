#!/usr/bin/env bash
# interrupts.sh SCALEFIT SOURCE_ROOT — the runner under stress: Ctrl-C (SIGINT to the whole
# foreground group) stops cleanly with exit 4 and checkpoints, and the same command resumes to
# the uninterrupted results; two sweeps started at once on one directory never train a run
# twice and agree with the reference; a trainer that crashes (SIGABRT) is recorded as failed with
# its signal while the others finish (exit 1), and a run that diverges is a recorded result
# (exit 0).
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
reference

# 1. Ctrl-C.
out="$work/ctrlc"
start_bg "$out"
for i in $(seq 1 3000); do [ "$(cat "$out"/runs/*/metrics.csv 2>/dev/null | wc -l)" -ge 5 ] && break; sleep 0.01; done
kill -INT -- -"$bg_pgid"
wait "$bg_pgid"; rc=$?; bg_pgid=0
[ "$rc" -eq 4 ] && pass "Ctrl-C: exit 4" || failed "Ctrl-C: exit $rc (4 expected)"
grep -qs "interrupted\|^done" "$out"/runs/*/status && pass "Ctrl-C: runs checkpointed (interrupted or done)" \
    || { failed "Ctrl-C: no run says interrupted"; head "$out"/runs/*/status; tail -n 5 "$out.log"; }
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

# 3. A trainer crashes.
out="$work/crash"
start_bg "$out"
victim=""
for i in $(seq 1 3000); do
    victim=$(pgrep -g "$bg_pgid" -f "train --run-dir" | head -1)
    [ -n "$victim" ] && [ -s "$(ls "$out"/runs/*/metrics.csv 2>/dev/null | head -1)" ] && break
    sleep 0.01
done
victim_dir=$(tr '\0' ' ' < /proc/"$victim"/cmdline | awk '{print $4}')
kill -ABRT "$victim"   # a crash; SIGSEGV would be caught by the sanitizer build's runtime
wait "$bg_pgid"; rc=$?; bg_pgid=0
[ "$rc" -eq 1 ] && pass "a crashed trainer: the sweep exits 1" || failed "a crashed trainer: exit $rc (1 expected)"
grep -q "^failed: the trainer was killed by signal 6" "$victim_dir/status" \
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
