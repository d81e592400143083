# lib.sh — shared by the sweep suite's scripts: paths, the reference sweep, comparisons.
# Sourced with SCALEFIT and ROOT set; defines WORK (removed on exit) and helpers.
scalefit=$(cd "$(dirname "$SCALEFIT")" && pwd)/$(basename "$SCALEFIT")
root=$(cd "$ROOT" && pwd)
work=$(mktemp -d)
trap '[ "$bg_pgid" -gt 0 ] && kill -9 -- -$bg_pgid 2>/dev/null; rm -rf "$work"' EXIT
bg_pgid=0
fail=0
sweep="$root/tests/data/sweeps/small.yaml"

pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }

# The reference: the sweep run once without interruption.
reference() {
    "$scalefit" run "$sweep" --out "$work/ref" >"$work/ref.log" 2>&1 || {
        failed "the reference sweep exited $?"; cat "$work/ref.log"; exit 1; }
}

# same_results DIR LABEL: results.csv and curves.csv equal the reference's byte for byte (these
# tables have no timing columns).
same_results() {
    if cmp -s "$work/ref/results.csv" "$1/results.csv" && cmp -s "$work/ref/curves.csv" "$1/curves.csv"; then
        pass "$2: results.csv and curves.csv equal the uninterrupted sweep's"
    else
        failed "$2: results differ from the uninterrupted sweep"
        diff "$work/ref/results.csv" "$1/results.csv" | head -5
        diff "$work/ref/curves.csv" "$1/curves.csv" | head -5
    fi
}

# start_bg OUT: starts the sweep in a process group of its own (setsid), recording its pgid.
start_bg() {
    setsid "$scalefit" run "$sweep" --out "$1" >>"$1.log" 2>&1 &
    bg_pgid=$!
}
