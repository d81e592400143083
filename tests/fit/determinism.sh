#!/usr/bin/env bash
# determinism.sh SCALEFIT SOURCE_ROOT — the same fit with the same seed gives a byte-identical
# fit.yaml (apart from the version line) with one OpenMP thread and with two, for a row
# bootstrap (chinchilla) and a learning-curve bootstrap (frontier).
set -u
. "$(dirname "$0")/lib.sh"
run() { # run THREADS NAME ARGS...
    local threads=$1 name=$2
    shift 2
    mkdir -p "$work/t$threads" && cd "$work/t$threads" || exit 1
    OMP_NUM_THREADS=$threads "$scalefit" fit "$@" --out "$name" --no-plot >/dev/null || {
        echo "FAIL: scalefit fit $* (threads $threads) exited $?"
        fail=1
    }
    cd "$work" || exit 1
}
compare() { # compare NAME
    if cmp -s <(grep -v '^scalefit: {version' "$work/t1/$1/fit.yaml") \
              <(grep -v '^scalefit: {version' "$work/t2/$1/fit.yaml"); then
        echo "PASS: $1: fit.yaml identical with 1 and 2 threads"
    else
        echo "FAIL: $1: fit.yaml differs between 1 and 2 threads"
        diff "$work/t1/$1/fit.yaml" "$work/t2/$1/fit.yaml" | head -20
        fail=1
    fi
}
for t in 1 2; do
    run $t chin "$root/tests/data/fit/chinchilla_synth.csv" --law chinchilla --n params --d tokens \
        --bootstrap 200 --seed 7
    run $t front "$root/tests/data/fit/frontier_curves.csv" --law frontier --run run --c flops \
        --n params --bootstrap 100 --seed 3
done
compare chin
compare front
exit $fail
