# lib.sh — shared by the slurm suite's scripts. Sourced with SCALEFIT, ROOT and CLUSTER set (the
# scalefit binary, the source tree, and the folder where the suite's slurm-start test started a
# one-node cluster). Exports SLURM_CONF for that cluster, makes WORK (removed on exit, with every
# job this test submitted cancelled and every helper it started ended) and defines helpers.
# Where CI is set, a missing Slurm is a failure; elsewhere the test is skipped (77).
scalefit=$(cd "$(dirname "$SCALEFIT")" && pwd)/$(basename "$SCALEFIT")
root=$(cd "$ROOT" && pwd)
cluster=$(mkdir -p "$CLUSTER" && cd "$CLUSTER" && pwd)
fail=0

pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }

for c in sbatch scontrol squeue scancel munged slurmctld slurmd; do
    if ! command -v "$c" >/dev/null 2>&1; then
        if [ -n "${CI:-}" ]; then echo "FAIL: $c is missing (scripts/setup.sh installs Slurm)"; exit 1; fi
        echo "SKIP: $c is missing (scripts/setup.sh installs Slurm)"
        exit 77
    fi
done
export SLURM_CONF=$cluster/slurm.conf
if [ ! -f "$SLURM_CONF" ] || ! scontrol ping 2>/dev/null | grep -q 'is UP'; then
    if [ -z "${CI:-}" ] && [ "$(id -u)" != 0 ]; then
        echo "SKIP: no test cluster (starting one needs root)"
        exit 77
    fi
    echo "FAIL: no Slurm cluster answers in $cluster: the suite's slurm-start test starts it" \
         "(run 'meson test --suite slurm', or name slurm-start and slurm-stop with this test)"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/scalefit-slurm-test.XXXXXX")
helpers=() # process groups this test started (setsid), ended on exit

# cleanup: ends the helpers, cancels every array this test's sweeps submitted (their ids are in
# each sweep's slurm/jobs), and removes WORK. Quick: meson gives a timed-out test half a second.
cleanup() {
    local g ids
    for g in "${helpers[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
    ids=$(cat "$work"/*/slurm/jobs 2>/dev/null | awk '!/^#/ && $2 != "-" { print $2 }' | sort -u)
    [ -n "$ids" ] && scancel $ids 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

# start_sweep OUT SWEEP [ARGS...]: `scalefit run SWEEP --out OUT ARGS` in a session of its own,
# output to OUT.log; sets sweep_pid.
start_sweep() {
    local out=$1 sw=$2
    shift 2
    setsid "$scalefit" run "$sw" --out "$out" "$@" >>"$out.log" 2>&1 </dev/null &
    sweep_pid=$!
    helpers+=("$sweep_pid")
}

# finish_sweep: waits for the sweep started last; sets rc to its exit status.
finish_sweep() {
    wait "$sweep_pid"
    rc=$?
}

# run_sweep OUT SWEEP [ARGS...]: runs a sweep to its end (in the background, so that a TERM from
# meson reaches the trap at once); sets rc.
run_sweep() {
    start_sweep "$@"
    finish_sweep
}

# reference SWEEP: prints the folder of SWEEP run by the local executor, made once per suite run
# (the slurm-start test empties CLUSTER/ref) and shared by the tests.
reference() {
    local name dir
    name=$(basename "$1" .yaml)
    dir=$cluster/ref/$name
    mkdir -p "$cluster/ref"
    (
        flock 9
        if [ ! -s "$dir/results.csv" ] || [ ! -f "$dir.ok" ]; then
            rm -rf "$dir" "$dir.ok"
            "$scalefit" run "$1" --executor local --out "$dir" >"$dir.log" 2>&1 || exit 1
            : >"$dir.ok"
        fi
    ) 9>"$cluster/ref/$name.lock" || { echo "FAIL: the local reference of $1 failed:" >&2; tail -n 5 "$dir.log" >&2; exit 1; }
    echo "$dir"
}

# same_results DIR REF LABEL: results.csv and curves.csv equal the reference's byte for byte (these
# tables have no timing columns).
same_results() {
    if cmp -s "$2/results.csv" "$1/results.csv" && cmp -s "$2/curves.csv" "$1/curves.csv"; then
        pass "$3: results.csv and curves.csv equal the local executor's"
    else
        failed "$3: results differ from the local executor's"
        diff "$2/results.csv" "$1/results.csv" | head -5
        diff "$2/curves.csv" "$1/curves.csv" | head -5
    fi
}

# started OUT: true once both runs of the two-run slurm.yaml train and have a checkpoint.
started() { [ "$(ls "$1"/runs/*/checkpoint.bin 2>/dev/null | wc -l)" -eq 2 ]; }

# wait_for SECONDS CONDITION: polls (every 0.05 s) until the shell condition holds.
wait_for() {
    local end=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt "$end" ]; do
        eval "$2" && return 0
        sleep 0.05
    done
    return 1
}

# trainer_pid RUN_DIR: the process holding the run's lock (read from /proc/locks), if any.
trainer_pid() {
    local ino
    ino=$(stat -c %i "$1/lock" 2>/dev/null) || return 1
    awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) { print $5; found = 1; exit } }
                       END { exit !found }' /proc/locks
}

# task_of OUT RUN: the latest Slurm task (JOB_INDEX) that trains RUN, from OUT/slurm's record.
task_of() {
    local num job kind rest idx
    while read -r num job kind rest; do
        case "$num" in '#'*) continue ;; esac
        idx=$(awk -v r="$2" '!/^#/ && $2 == r { print $1 }' "$1/slurm/submit-$num.tasks")
        [ -n "$idx" ] && echo "${job}_$idx"
    done <"$1/slurm/jobs" | tail -n 1
}

# submissions OUT: how many arrays the sweep in OUT has submitted.
submissions() { awk '!/^#/' "$1/slurm/jobs" 2>/dev/null | wc -l; }
# first_job OUT: the array job id of OUT's first submission.
first_job() { awk '!/^#/ { print $2; exit }' "$1/slurm/jobs"; }

# task_field TASK KEY: a field of `scontrol show job -o TASK`.
task_field() { scontrol show job -o "$1" 2>/dev/null | head -n 1 | grep -o "\b$2=[^ ]*" | cut -d= -f2-; }
