#!/usr/bin/env bash
# quickstart_speed.sh — the README's main job timed with two scalefit binaries in one run: the
# quickstart sweep (sweeps/quickstart.yaml) from scratch with BASELINE (for example a build of the
# commit before a change) and with this tree's build, alternately, ROUNDS times each, into folders
# under runs/ that are removed afterwards. Prints each wall time, the medians and their ratio, and
# the CPU.
#
#   bench/quickstart_speed.sh BASELINE [BUILD_DIR] [ROUNDS]   (defaults: build, 1)
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
fail() { echo "quickstart_speed.sh: error: $*" >&2; exit 1; }
[ $# -ge 1 ] || fail "usage: bench/quickstart_speed.sh BASELINE [BUILD_DIR] [ROUNDS]"
base=$1
build=${2:-build}
rounds=${3:-1}
case $build in /*) bin=$build/src/scalefit ;; *) bin=$here/$build/src/scalefit ;; esac
[ -x "$bin" ] || fail "$bin not found (build first)"
[ -x "$base" ] || fail "$base is not a binary"

work=runs/quickstart-speed
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
trap 'rm -rf "$work"' EXIT

# time_one BINARY NAME: the wall time of one quickstart from scratch, in seconds.
time_one() {
    rm -rf "$work/$2"
    local start end
    start=$(date +%s.%N)
    "$1" run sweeps/quickstart.yaml --out "$work/$2" >"$work/$2.log" 2>&1 ||
        { tail -n 20 "$work/$2.log" >&2; fail "the sweep with $1 exited $?"; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
b_times=() n_times=()
for r in $(seq 1 "$rounds"); do
    b=$(time_one "$base" baseline)
    n=$(time_one "$bin" current)
    printf 'round %d: baseline %.1f s, current %.1f s\n' "$r" "$b" "$n"
    b_times+=("$b") n_times+=("$n")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
mb=$(median "${b_times[@]}") mn=$(median "${n_times[@]}")
printf 'median wall time of the quickstart: baseline %.1f s, current %.1f s: %.2f times faster\n' \
    "$mb" "$mn" "$(echo "$mb / $mn" | bc -l)"
