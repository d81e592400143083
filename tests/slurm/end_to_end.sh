#!/usr/bin/env bash
# end_to_end.sh SCALEFIT SOURCE_ROOT CLUSTER — the runs of small.yaml through the Slurm executor on
# the suite's cluster, into a sweep directory named relatively and full of characters a shell
# would misread: the dry run prints a batch script that sh accepts and submits nothing; the run
# submits one array whose script names absolute paths, leaves OUT/slurm/ as documented, and ends
# with results.csv and curves.csv equal to the local executor's; running it again submits and
# trains nothing; a partition Slurm lacks is refused with sbatch's own message and leaves no
# record; a warning signal longer than the time limit is refused before anything is submitted.
set -u
SCALEFIT=$1 ROOT=$2 CLUSTER=$3
. "$(dirname "$0")/lib.sh"
ref=$(reference "$root/tests/data/sweeps/small.yaml") || exit 1
sweep=$root/tests/data/sweeps/slurm-small.yaml
cd "$work"
name="it's a \"sweep\" \$(touch pwned) \`touch pwned2\` 100%"
out="$work/$name"

# 1. The dry run.
"$scalefit" run "$sweep" --out "./$name" --dry-run >dry.txt 2>&1
rc=$?
sed -n '/^#!\/bin\/sh/,$p' dry.txt >dry.sh
if [ "$rc" -eq 0 ] && [ -s dry.sh ] && sh -n dry.sh; then pass "dry run: prints a batch script that sh -n accepts"
else failed "dry run: exit $rc"; cat dry.txt; fi
grep -q "sbatch' '--parsable' '--array=0-2%2'" dry.sh && pass "dry run: the script shows its sbatch command" \
    || failed "dry run: no sbatch command in the script"
[ ! -e "$out" ] && pass "dry run: nothing written, nothing submitted" || failed "dry run: $out exists"

# 2. The sweep, through Slurm.
start_sweep "./$name" "$sweep"
finish_sweep
[ "$rc" -eq 0 ] && pass "the sweep exits 0" || { failed "the sweep exited $rc"; tail -n 20 "$out.log"; }
same_results "$out" "$ref" "Slurm executor"
[ "$(submissions "$out")" -eq 1 ] && pass "one array submitted" || failed "$(submissions "$out") arrays submitted"
grep -qF "out='$work/it'\\''s a \"sweep\" \$(touch pwned) \`touch pwned2\` 100%'" "$out/slurm/submit-1.sh" \
    && pass "the batch script names the sweep directory by its absolute path, single-quoted" \
    || { failed "the batch script's sweep directory"; grep '^out=' "$out/slurm/submit-1.sh"; }
grep -q '^exec "$scalefit" train --run-dir "$dir"$' "$out/slurm/submit-1.sh" && pass "each task execs the trainer" \
    || failed "the script does not exec the trainer"
[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e "$out/pwned" ] && pass "nothing in the path was run by a shell" \
    || failed "a shell ran part of the sweep directory's name"
[ "$(awk '!/^#/' "$out/slurm/submit-1.tasks" | wc -l)" -eq 3 ] && pass "submit-1.tasks maps 3 tasks to runs" \
    || failed "submit-1.tasks"
job=$(awk '!/^#/ { print $2 }' "$out/slurm/jobs")
logs_ok=1
for t in 0 1 2; do
    run=$(awk -v t=$t '!/^#/ && $1 == t { print $2 }' "$out/slurm/submit-1.tasks")
    grep -q "trains run $run" "$out/slurm/logs/${job}_$t.log" 2>/dev/null || logs_ok=0
    [ "$(task_field "${job}_$t" JobState)" = COMPLETED ] || logs_ok=0
done
[ "$logs_ok" = 1 ] && pass "each task's log is logs/JOB_TASK.log and Slurm says COMPLETED" || failed "task logs or states"
[ "$(grep -c ': done;' "$out/slurm/events.log")" -eq 3 ] && pass "events.log records 3 runs done" \
    || { failed "events.log"; cat "$out/slurm/events.log"; }
"$scalefit" status "$out" | grep -q "3 runs: 3 done" && pass "scalefit status: 3 done" || failed "scalefit status"

# 3. Again: nothing is submitted or trained.
stamp=$(stat -c %Y "$out"/runs/*/metrics.csv | tr '\n' ' ')
run_sweep "./$name" "$sweep"
[ "$rc" -eq 0 ] && [ "$(submissions "$out")" -eq 1 ] && pass "a second run submits nothing" \
    || failed "a second run: exit $rc, $(submissions "$out") arrays"
[ "$stamp" = "$(stat -c %Y "$out"/runs/*/metrics.csv | tr '\n' ' ')" ] && pass "a second run trains nothing" \
    || failed "a second run touched metrics.csv"
same_results "$out" "$ref" "after a second run"

# 4. Settings Slurm or the executor refuses.
sed 's/slurm: {.*}/slurm: {partition: nosuchpartition, poll_seconds: 1}/' "$sweep" >bad-partition.yaml
run_sweep "$work/bad-partition" bad-partition.yaml
if [ "$rc" -eq 1 ] && grep -q "sbatch refused the sweep's job array" bad-partition.log &&
    grep -qi "partition" bad-partition.log; then
    pass "a partition Slurm lacks: exit 1 with sbatch's own message"
else
    failed "a partition Slurm lacks: exit $rc"; tail -n 5 bad-partition.log
fi
[ "$(submissions "$work/bad-partition")" -eq 0 ] && pass "a refused submission leaves no record" \
    || failed "a refused submission was recorded"
sed 's/slurm: {.*}/slurm: {time: "1", signal_seconds: 60}/' "$sweep" >bad-signal.yaml
run_sweep "$work/bad-signal" bad-signal.yaml
[ "$rc" -eq 2 ] && grep -q "signal_seconds (60) must be shorter than the time limit" bad-signal.log \
    && pass "a warning signal as long as the time limit: exit 2 before anything is submitted" \
    || { failed "signal_seconds >= time: exit $rc"; tail -n 3 bad-signal.log; }
exit $fail
