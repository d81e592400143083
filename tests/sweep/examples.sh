#!/usr/bin/env bash
# examples.sh SCALEFIT SOURCE_ROOT — every example in sweeps/ is valid as it is: `--dry-run`
# accepts it (data present, shapes possible) and lists its runs.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
n=0
for f in "$root"/sweeps/*.yaml; do
    n=$((n + 1))
    if "$scalefit" run "$f" --dry-run --out "$work/$(basename "$f" .yaml)" >"$work/dry.out" 2>&1; then
        runs=$(grep -c '^d[0-9]' "$work/dry.out")
        [ "$runs" -gt 0 ] && pass "$(basename "$f"): $runs runs" || failed "$(basename "$f"): no runs listed"
    else
        failed "$(basename "$f"): the dry run exited $?"; cat "$work/dry.out"
    fi
done
[ "$n" -ge 4 ] || failed "only $n example sweeps"
exit $fail
