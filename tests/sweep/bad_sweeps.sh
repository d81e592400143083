#!/usr/bin/env bash
# bad_sweeps.sh SCALEFIT SOURCE_ROOT — every sweep file in tests/data/sweeps/bad/ is refused
# before anything runs (exit 2), with exactly the messages of its .expected file (all problems
# at once, each with its FILE:LINE:COL), and leaves no sweep directory behind.
set -u
scalefit=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
cd "$root" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
n=0
for f in tests/data/sweeps/bad/*.yaml; do
    n=$((n + 1))
    got=$("$scalefit" run "$f" --out "$work/out" 2>&1 >/dev/null)
    rc=$?
    want=$(cat "${f%.yaml}.expected")
    if [ "$rc" -ne 2 ] || [ "$got" != "$want" ]; then
        echo "FAIL: $f (exit $rc)"
        diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
        fail=$((fail + 1))
    elif [ -e "$work/out" ]; then
        echo "FAIL: $f: a sweep directory was made although the file was refused"
        fail=$((fail + 1))
    else
        echo "PASS: $f ($(echo "$want" | wc -l) messages)"
    fi
done
echo "$n files, $fail failed"
[ "$n" -ge 10 ] && [ "$fail" -eq 0 ]
