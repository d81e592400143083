#!/usr/bin/env bash
# scipy_live.sh TEST_GOLDEN SOURCE_ROOT — runs the independent scipy reference live (50 starts,
# Debian's /usr/bin/python3) on the chinchilla fixture with Huber loss and holds scalefit to its
# result through test_golden. Without scipy the test is skipped (77), except where CI is set:
# there a missing reference is a failure.
set -u
golden=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
cd "$root" || exit 1
if ! /usr/bin/python3 -c 'import scipy, numpy' 2>/dev/null; then
    echo "scipy is not available to /usr/bin/python3 (scripts/setup.sh installs python3-scipy)"
    if [ -n "${CI:-}" ]; then exit 1; fi
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/ref/fit_ref.py tests/data/fit/chinchilla_synth.csv --law chinchilla \
    --n params --d tokens --y loss --loss huber --delta 1e-3 --starts 50 --quiet \
    --out "$work/live.yaml" || { echo "FAIL: the reference script failed"; exit 1; }
exec "$golden" "$root" "$work/live.yaml"
