#!/usr/bin/env bash
# bad_input.sh SCALEFIT SOURCE_ROOT — runs every case of tests/fit/bad_input.cases (bad files and
# bad option combinations) and checks the exit status and the exact message on stderr, and that
# a refused fit leaves no output folder behind.
set -u
. "$(dirname "$0")/lib.sh"
cases="$root/tests/fit/bad_input.cases"
cd "$root/tests/data/fit/bad" || exit 1
n=0
while IFS= read -r args && IFS= read -r expect; do
    case "$args" in "#"*) continue ;; esac
    n=$((n + 1))
    out="$work/out$n"
    eval "set -- ${args//OUT/$out}"
    got=$("$scalefit" fit "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc $got" != "$expect" ]; then
        echo "FAIL: scalefit fit $args"
        echo "  expected: $expect"
        echo "  got:      $rc $got"
        fail=$((fail + 1))
    elif [ -e "$out" ]; then
        echo "FAIL: scalefit fit $args: left $out behind after refusing"
        fail=$((fail + 1))
    else
        echo "PASS: scalefit fit $args"
    fi
done < <(grep -v '^#' "$cases")
echo "$n cases, $fail failed"
[ "$n" -gt 40 ] && [ "$fail" -eq 0 ]
