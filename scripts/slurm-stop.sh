#!/usr/bin/env bash
# slurm-stop.sh [DIR] — stops the one-node Slurm cluster that scripts/slurm-start.sh started in
# DIR (default: $SCALEFIT_SLURM_DIR, else ${TMPDIR:-/tmp}/scalefit-slurm). Only the processes the
# start script recorded are signalled, each checked against the start time recorded with its PID
# (a recycled PID is left alone); jobs still queued or running are cancelled first while the
# daemons can still do it, and the job steps that outlive their daemons (Slurm's slurmstepd keeps
# a job running when slurmd dies) are found by the sockets they hold in the cluster's spool folder
# and ended with the processes they started.
#
# Options: --fast skips the graceful part (no scancel, SIGKILL at once), for a test that is being
# killed itself and has half a second left. Exit status 0 when nothing of the cluster is left.
set -uo pipefail

fast=0
if [ "${1:-}" = --fast ]; then fast=1; shift; fi
base=${1:-${SCALEFIT_SLURM_DIR:-${TMPDIR:-/tmp}/scalefit-slurm}}
[ -d "$base" ] || exit 0
base=$(cd "$base" && pwd)
piddir=$base/pid
conf=$base/slurm.conf

say() { [ "$fast" = 1 ] || echo "slurm-stop: $*"; }

# start_time PID: field 22 of /proc/PID/stat (clock ticks since boot), read after the command
# name, which may hold spaces or parentheses.
start_time() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    set -- $s
    echo "${20}"
}

# recorded NAME: prints the PID in pid/NAME.pid when that process still runs and started when
# it was recorded.
recorded() {
    local f=$piddir/$1.pid pid when now
    [ -s "$f" ] || return 1
    read -r pid when < "$f" || return 1
    now=$(start_time "$pid") || return 1
    [ "$now" = "$when" ] || return 1
    echo "$pid"
}

# 1. Cancel what is still queued or running, while slurmctld and slurmd can still do it.
if [ "$fast" = 0 ] && [ -f "$conf" ] && recorded slurmctld >/dev/null && recorded slurmd >/dev/null; then
    export SLURM_CONF=$conf
    jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        say "cancelling jobs still in the queue: $jobs"
        scancel --full --partition=scalefit 2>/dev/null
        for _ in $(seq 1 40); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.25
        done
    fi
fi

# 2. The daemons: slurmd and slurmctld together, then munged (they talk to it while stopping).
stop_group() {
    local name pid pids=() names=() sig=TERM i k
    [ "$fast" = 1 ] && sig=KILL
    for name in "$@"; do
        if pid=$(recorded "$name"); then
            kill -"$sig" "$pid" 2>/dev/null && { pids+=("$pid"); names+=("$name"); }
        fi
        rm -f "$piddir/$name.pid"
    done
    for i in "${!pids[@]}"; do
        for k in $(seq 1 40); do
            [ -d "/proc/${pids[$i]}" ] && [ "$(awk '{print $3}' "/proc/${pids[$i]}/stat" 2>/dev/null)" != Z ] || break
            sleep 0.25
        done
        if [ -d "/proc/${pids[$i]}" ] && [ "$(awk '{print $3}' "/proc/${pids[$i]}/stat" 2>/dev/null)" != Z ]; then
            kill -KILL "${pids[$i]}" 2>/dev/null
            say "${names[$i]} (pid ${pids[$i]}) did not stop in 10 s: killed"
        else
            say "${names[$i]} (pid ${pids[$i]}) stopped"
        fi
    done
}
stop_group slurmd slurmctld
stop_group munged
# munged's own folder under /tmp (slurm-start.sh), its log kept beside the others first.
if [ -f "$base/munge-dir" ]; then
    mdir=$(cat "$base/munge-dir")
    case $mdir in
    /tmp/scalefit-munge.*)
        [ -f "$mdir/munged.log" ] && cp -f "$mdir/munged.log" "$base/log/munged.log" 2>/dev/null
        rm -rf "$mdir" ;;
    esac
    rm -f "$base/munge-dir"
fi

# 3. Job steps left behind (their daemons died or were killed above): the slurmstepd processes
# listening on this cluster's sockets in its spool folder, and everything they started.
marked=()
for ino in $(awk -v d="$base/state/d/" 'index($NF, d) == 1 { print $7 }' /proc/net/unix 2>/dev/null); do
    for f in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$ino\]" 2>/dev/null); do
        pid=${f#/proc/}; pid=${pid%%/*}
        [[ " ${marked[*]} " == *" $pid "* ]] || marked+=("$pid")
    done
done
if [ "${#marked[@]}" -gt 0 ]; then
    declare -A parent_of=()
    for d in /proc/[0-9]*; do
        { read -r s < "$d/stat"; } 2>/dev/null || continue
        s=${s##*) }
        set -- $s
        parent_of[${d#/proc/}]=$2
    done
    victims=("${marked[@]}")
    # Descendants, breadth first (a process list is a few hundred entries at most here).
    added=1
    while [ "$added" = 1 ]; do
        added=0
        for pid in "${!parent_of[@]}"; do
            [[ " ${victims[*]} " == *" ${parent_of[$pid]} "* ]] || continue
            [[ " ${victims[*]} " == *" $pid "* ]] && continue
            victims+=("$pid"); added=1
        done
    done
    say "ending ${#victims[@]} job process(es) the daemons left: ${victims[*]}"
    kill -KILL "${victims[@]}" 2>/dev/null
fi
exit 0
