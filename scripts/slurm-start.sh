#!/usr/bin/env bash
# slurm-start.sh [DIR] — starts a one-node Slurm cluster on this machine without systemd: its own
# munged (own key and socket), slurmctld and slurmd, all configured by DIR/slurm.conf (used through
# SLURM_CONF; nothing under /etc is written) and keeping their state, logs and PIDs in DIR
# (default: $SCALEFIT_SLURM_DIR, else ${TMPDIR:-/tmp}/scalefit-slurm). For scalefit's `slurm` test
# suite and for trying the Slurm executor on one machine (docs/slurm.md). Needs root and Debian's
# slurmctld, slurmd, slurm-client and munge packages (scripts/setup.sh installs them).
#
# It first stops any cluster an earlier start left in DIR (scripts/slurm-stop.sh, by the recorded
# PIDs), starts the daemons detached (own session, no inherited descriptors) and waits until the
# node is idle. On success the last line of its output is `SLURM_CONF=DIR/slurm.conf`; on any
# failure it stops what it started and prints the daemons' logs. Stop it with slurm-stop.sh DIR.
#
# Environment: SCALEFIT_SLURM_CPUS (CPUs the node offers; default: the cores here; more than the
# cores is allowed, the node then over-subscribes), SCALEFIT_SLURM_CRED_EXPIRE (seconds a requeued
# job waits before it may run again; Slurm's default is 120, this cluster's 5),
# SCALEFIT_SLURM_TIMEOUT (seconds to wait for the node, default 60).
#
# What differs from a production cluster, on purpose: the requeue hold is short, KillWait is 5 s
# (Slurm: 30) so that a time-limited task is ended quickly, finished jobs stay visible for an hour
# (MinJobAge), and the scheduler runs every 2 s instead of every 60 s.
set -euo pipefail
set +m # background jobs must not lead their own process group: setsid then execs in place

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${1:-${SCALEFIT_SLURM_DIR:-${TMPDIR:-/tmp}/scalefit-slurm}}
cpus=${SCALEFIT_SLURM_CPUS:-$(nproc)}
cred_expire=${SCALEFIT_SLURM_CRED_EXPIRE:-5}
wait_s=${SCALEFIT_SLURM_TIMEOUT:-60}
t0=$EPOCHREALTIME

say() { awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "slurm-start [%5.1fs]: %s\n", b - a, m }'; }

if [ "$(id -u)" != 0 ]; then
    echo "slurm-start: error: needs root (slurmd starts every job as its user)" >&2
    exit 1
fi
missing=()
for c in munged munge unmunge slurmctld slurmd sbatch scontrol squeue sinfo setpriv; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "slurm-start: error: missing ${missing[*]} (scripts/setup.sh installs slurmctld, slurmd, slurm-client and munge)" >&2
    exit 1
fi
getent passwd munge >/dev/null || { echo "slurm-start: error: no user 'munge' (the munge package makes it)" >&2; exit 1; }

mkdir -p "$base"
base=$(cd "$base" && pwd)
"$here/slurm-stop.sh" "$base"

conf=$base/slurm.conf
piddir=$base/pid
logdir=$base/log
node=$(hostname -s)
rm -rf "$base/state" "$base/munge"
mkdir -p "$piddir" "$logdir" "$base/state/ctld" "$base/state/d"
# munged runs as user munge, which cannot enter a clone below a folder closed to other users (a
# home folder, a 0700 temporary folder): its key, socket, seed and log live in a folder of their
# own under /tmp, whose name $base/munge-dir keeps for slurm-stop.sh (which removes it).
mungedir=$(mktemp -d /tmp/scalefit-munge.XXXXXX) || { echo "slurm-start: error: cannot make a folder under /tmp for munge" >&2; exit 1; }
printf '%s\n' "$mungedir" >"$base/munge-dir"
for f in "$logdir"/*.log; do [ -e "$f" ] && mv -f "$f" "$f.prev"; done

started=0
on_exit() {
    local rc=$?
    if [ "$rc" != 0 ] && [ "$started" = 1 ]; then
        echo "slurm-start: failed; the daemons' logs end with:" >&2
        for f in "$logdir"/*.log; do [ -f "$f" ] && { echo "---- $f" >&2; tail -n 20 "$f" >&2; }; done
        "$here/slurm-stop.sh" "$base" >&2
    fi
}
trap on_exit EXIT
trap 'exit 1' INT TERM

# start_time PID: field 22 of /proc/PID/stat, recorded with the PID so that slurm-stop.sh never
# signals a recycled PID.
start_time() {
    local s
    s=$(cat "/proc/$1/stat") || return 1
    s=${s##*) }
    set -- $s
    echo "${20}"
}

# launch NAME COMMAND...: runs a daemon in the foreground mode of its own, detached, and records
# its PID.
launch() {
    local name=$1
    shift
    started=1
    setsid "$@" </dev/null >>"$logdir/$name.log" 2>&1 &
    local pid=$!
    echo "$pid $(start_time "$pid")" >"$piddir/$name.pid"
    sleep 0.2
    kill -0 "$pid" 2>/dev/null || { echo "slurm-start: error: $name exited at once" >&2; exit 1; }
    say "$name running (pid $pid)"
}

# free_port FROM: the first TCP port from FROM on that nothing listens on (read from /proc, so
# that no network tool is needed).
free_port() {
    local p=$1 sl local_addr rest used=" "
    for f in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$f" ] || continue
        while read -r sl local_addr _ state rest; do
            [ "$state" = 0A ] && used+="$((16#${local_addr##*:})) "
        done < <(tail -n +2 "$f")
    done
    while [[ "$used" == *" $p "* ]]; do p=$((p + 1)); done
    echo "$p"
}
ctld_port=$(free_port 16817)
d_port=$(free_port $((ctld_port + 1)))

# ---- munge: a daemon of this cluster's own, as user munge, with its own key and socket
chown munge:munge "$mungedir"
chmod 755 "$mungedir" # the socket needs x for all; the key itself is 0400
if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile="$mungedir/munge.key" 2>/dev/null
else
    dd if=/dev/urandom of="$mungedir/munge.key" bs=1024 count=1 status=none
fi
chown munge:munge "$mungedir/munge.key"
chmod 400 "$mungedir/munge.key"
socket=$mungedir/munge.socket
launch munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground \
    --key-file="$mungedir/munge.key" --socket="$socket" --pid-file="$mungedir/munged.pid" \
    --seed-file="$mungedir/munged.seed" --log-file="$mungedir/munged.log"
for _ in $(seq 1 50); do
    munge -n -S "$socket" </dev/null 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1 && break
    sleep 0.1
done
munge -n -S "$socket" </dev/null | unmunge -S "$socket" >/dev/null || { echo "slurm-start: error: munge does not answer" >&2; exit 1; }
say "munge answers on its socket"

# ---- the configuration
mem=$(slurmd -C 2>/dev/null | grep -o 'RealMemory=[0-9]*' | cut -d= -f2 || true)
cat >"$conf" <<EOF
# slurm.conf of a one-node test cluster, written by scalefit's scripts/slurm-start.sh.
ClusterName=scalefit
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket,cred_expire=$cred_expire
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=3600
KillWait=5
OverTimeLimit=0
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
MailProg=/bin/true
PlugStackConfig=$base/plugstack.conf
StateSaveLocation=$base/state/ctld
SlurmdSpoolDir=$base/state/d
SlurmctldPidFile=$base/state/slurmctld.pid
SlurmdPidFile=$base/state/slurmd.pid
SlurmctldLogFile=$logdir/slurmctld.log
SlurmdLogFile=$logdir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=${mem:-1000} State=UNKNOWN
PartitionName=scalefit Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
: >"$base/plugstack.conf"
export SLURM_CONF=$conf
say "wrote $conf (slurmctld port $ctld_port, slurmd port $d_port, $cpus CPUs)"

# ---- the daemons; -c: no state from an earlier cluster (jobs, the job id counter)
launch slurmctld /usr/sbin/slurmctld -D -c -f "$conf"
for _ in $(seq 1 100); do
    scontrol ping 2>/dev/null | grep -q 'is UP' && break
    sleep 0.1
done
scontrol ping 2>/dev/null | grep -q 'is UP' || { echo "slurm-start: error: slurmctld does not answer" >&2; exit 1; }
say "slurmctld answers"
launch slurmd /usr/sbin/slurmd -D -f "$conf" -N "$node"
deadline=$(($(date +%s) + wait_s))
state=
while [ "$(date +%s)" -lt "$deadline" ]; do
    state=$(sinfo -h -N -n "$node" -o %t 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || { echo "slurm-start: error: node $node is '$state', not idle, after ${wait_s}s" >&2; exit 1; }
say "node $node idle: the cluster is ready"
echo "SLURM_CONF=$conf"
