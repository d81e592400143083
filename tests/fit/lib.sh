# lib.sh — sourced by the fit suite's scripts, whose arguments are SCALEFIT SOURCE_ROOT: their
# absolute paths ($scalefit, $root), a work folder removed on exit ($work) and the verdict
# ($fail, set by check or failed).
scalefit=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# pass WHAT and failed WHAT: a verdict line (failed also sets $fail).
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }

# check DESCRIPTION COMMAND...: PASS when the command succeeds, else FAIL (and $fail = 1).
check() {
    local what=$1
    shift
    if "$@"; then echo "PASS: $what"; else echo "FAIL: $what" && fail=1; fi
}
