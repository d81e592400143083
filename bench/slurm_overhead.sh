#!/usr/bin/env bash
# slurm_overhead.sh — the time the Slurm executor adds to a small sweep: runs the 3-run sweep of
# tests/data/sweeps/small.yaml ROUNDS times with the local executor (the baseline) and ROUNDS
# times through a one-node Slurm cluster started here (scripts/slurm-start.sh), interleaved so
# that both see the same machine, and prints each wall time, both medians, their difference and
# their ratio. The cluster is stopped on every path. Needs root (the cluster's daemons).
#
#   bench/slurm_overhead.sh [BUILD_DIR [ROUNDS [POLL_SECONDS]]]   (default: build 8 5)
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build=${1:-build} rounds=${2:-8} poll=${3:-5}
fail() { echo "slurm_overhead.sh: error: $*" >&2; exit 1; }
case $build in /*) bin=$build/src/scalefit ;; *) bin=$here/$build/src/scalefit ;; esac
[[ $rounds =~ ^[1-9][0-9]*$ ]] || fail "ROUNDS must be a positive integer, not '$rounds'"
[[ $poll =~ ^[1-9][0-9]*$ ]] || fail "POLL_SECONDS must be a positive integer, not '$poll'"
[ -x "$bin" ] || fail "$bin not found (build first: meson setup $build && ninja -C $build)"
[ "$(id -u)" = 0 ] || fail "starting the test cluster needs root"

work=$(mktemp -d "${TMPDIR:-/tmp}/scalefit-slurm-bench.XXXXXX") || fail "cannot make a work folder"
chmod 755 "$work" # the cluster's daemons (munge, slurm) run as their own users
cluster=$work/cluster
trap 'scripts/slurm-stop.sh "$cluster" >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
scripts/slurm-start.sh "$cluster" >"$work/start.log" 2>&1 || { cat "$work/start.log"; fail "the cluster did not start"; }
export SLURM_CONF=$cluster/slurm.conf
sed "s/^runner: {jobs: 2}/runner: {jobs: 2, slurm: {poll_seconds: $poll}}/" \
    tests/data/sweeps/small.yaml >"$work/small.yaml"
grep -q "poll_seconds: $poll" "$work/small.yaml" || fail "could not set poll_seconds in small.yaml"

# one EXECUTOR ROUND: runs the sweep afresh and prints its wall time in seconds.
one() {
    local out=$work/$1-$2 t0 t1
    t0=$(date +%s%N)
    "$bin" run "$work/small.yaml" --out "$out" --executor "$1" >"$out.log" 2>&1 </dev/null \
        || { cat "$out.log" >&2; fail "the $1 sweep failed"; }
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

: >"$work/local" && : >"$work/slurm"
for r in $(seq "$rounds"); do
    l=$(one local "$r") || exit 1
    s=$(one slurm "$r") || exit 1
    printf 'round %d: local %.2f s, slurm %.2f s\n' "$r" "$l" "$s"
    echo "$l" >>"$work/local"
    echo "$s" >>"$work/slurm"
done
ml=$(median <"$work/local") ms=$(median <"$work/slurm")
awk -v n="$rounds" -v p="$poll" -v l="$ml" -v s="$ms" 'BEGIN {
    printf "median of %d (poll_seconds %s): local executor %.2f s (baseline), Slurm %.2f s: +%.2f s, ratio %.2f\n",
           n, p, l, s, s - l, s / l }'
