#!/usr/bin/env bash
# cluster.sh start|stop SOURCE_ROOT DIR — the slurm suite's fixture. `start` (the suite's first
# test, run alone) stops whatever cluster an earlier run left in DIR (by the PIDs it recorded),
# forgets the shared local references, and starts a one-node cluster there with
# scripts/slurm-start.sh; if it is stopped half-way (meson's timeout) it takes down what it
# started. `stop` (the suite's last test, run alone, whatever the other tests did) cancels what is
# left and stops the daemons by their recorded PIDs, and fails if any of them survives.
# Where CI is set, a missing Slurm is a failure; elsewhere the suite is skipped (77).
set -u
action=$1 root=$2 dir=$3
for c in munged slurmctld slurmd sbatch scontrol squeue sinfo; do
    if ! command -v "$c" >/dev/null 2>&1; then
        if [ -n "${CI:-}" ]; then echo "FAIL: $c is missing (scripts/setup.sh installs Slurm)"; exit 1; fi
        echo "SKIP: $c is missing (scripts/setup.sh installs Slurm)"
        exit 77
    fi
done
if [ "$(id -u)" != 0 ]; then
    if [ -n "${CI:-}" ]; then echo "FAIL: the test cluster needs root"; exit 1; fi
    echo "SKIP: the test cluster needs root"
    exit 77
fi
mkdir -p "$dir"
case "$action" in
start)
    trap '"$root/scripts/slurm-stop.sh" --fast "$dir"; exit 1' TERM INT
    rm -rf "$dir/ref"
    # Eight task slots on any machine: two tests at a time, and the time-limit test keeps up to
    # four tasks (stopped or held, using no CPU) for a minute or more.
    SCALEFIT_SLURM_CPUS=${SCALEFIT_SLURM_CPUS:-8} "$root/scripts/slurm-start.sh" "$dir" &
    wait $!
    rc=$?
    [ "$rc" = 0 ] && echo "PASS: a one-node Slurm cluster runs in $dir" || echo "FAIL: the cluster did not start"
    exit "$rc"
    ;;
stop)
    recorded=$(cat "$dir"/pid/*.pid 2>/dev/null)
    "$root/scripts/slurm-stop.sh" "$dir" &
    wait $!
    left=
    while read -r p when; do
        [ -n "$p" ] || continue
        # Alive, not a zombie, and the same process (its start time) as the one recorded.
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }
        set -- $s
        [ "$1" != Z ] && [ "${20}" = "$when" ] && left+=" $p"
    done <<<"$recorded"
    if [ -n "$left" ]; then echo "FAIL: still running:$left"; exit 1; fi
    echo "PASS: the cluster in $dir is stopped"
    ;;
*)
    echo "usage: cluster.sh start|stop SOURCE_ROOT DIR" >&2
    exit 2
    ;;
esac
