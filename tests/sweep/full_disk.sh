#!/usr/bin/env bash
# full_disk.sh SCALEFIT SOURCE_ROOT — a full disk loses nothing in a sweep. On a size-limited
# tmpfs: (1) the test sweep started with too little space stops (its trainers interrupted, not
# failed), and once space is freed the same `scalefit run` finishes it with results equal to an
# uninterrupted sweep's; (2) with the sweep done, the disk is filled to several levels (nothing
# left, then a little more each time, so that the failure lands in different files: the
# tables, fit.yaml, the report, the figures) and the sweep's last stage and `scalefit fit` run
# again: each either succeeds or stops saying "No space left on device" with a path, and every
# file it had written before is still whole (the same bytes), with no temporary file left behind.
# Mounting needs root: without it the test skips (77) locally and fails where CI is set.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
fs="$work/fs"
mkdir -p "$fs"
if ! mount -t tmpfs -o size=8m tmpfs "$fs" 2>/dev/null; then
    echo "cannot mount a tmpfs here (root is needed)"
    [ -n "${CI:-}" ] && { failed "a tmpfs mount is needed under CI"; exit 1; }
    exit 77
fi
trap '[ "$bg_pgid" -gt 0 ] && kill -9 -- -$bg_pgid 2>/dev/null; umount "$fs" 2>/dev/null; rm -rf "$work"' EXIT
reference
out="$fs/out"
filler="$fs/filler"

# fill BYTES: fills the tmpfs but for about BYTES.
fill() {
    rm -f "$filler"
    local avail=$(($(df -B1 --output=avail "$fs" | tail -n 1) - $1))
    [ "$avail" -gt 0 ] && head -c "$avail" /dev/zero >"$filler" 2>/dev/null
    sync
}

# (1) Too little space for the trainers (their three folders take about 115 KB), at several
# levels so that the disk fills at different points (the sweep's own tables, a trainer's first
# status, its metrics, its checkpoints): the sweep stops saying so, no run is failed (a full disk
# interrupts), and once space is freed the same `scalefit run` ends with the results of an
# uninterrupted sweep.
trainers=0
for left in 30000 45000 60000 80000; do
    rm -rf "$out"
    fill "$left"
    "$scalefit" run "$sweep" --out "$out" >"$work/short.log" 2>&1
    rc=$?
    states=$(cat "$out"/runs/*/status 2>/dev/null | cut -c1-36 | sort | uniq -c | tr -s ' \n' ' ')
    if [ "$rc" -ne 0 ] && grep -qi "no space left on device" "$work/short.log" "$out"/runs/*/status 2>/dev/null \
        && ! grep -q "^failed" "$out"/runs/*/status 2>/dev/null && ! grep -q "failed" "$work/short.log"; then
        pass "$left bytes free: the sweep stops (exit $rc) saying so, no run failed; statuses:$states"
    else
        failed "$left bytes free: exit $rc; statuses:$states"; tail -n 5 "$work/short.log"
    fi
    grep -q "^interrupted: no space left on device" "$out"/runs/*/status 2>/dev/null && trainers=$((trainers + 1))
    rm -f "$filler"
    if "$scalefit" run "$sweep" --out "$out" >"$work/resume.log" 2>&1; then
        pass "$left bytes free, then space freed: the same scalefit run finishes the sweep"
    else
        failed "$left bytes free, then space freed: the resumed sweep exited $?"; tail -n 5 "$work/resume.log"
    fi
    same_results "$out" "$left bytes free, then resumed"
done
[ "$trainers" -ge 1 ] && pass "a trainer was interrupted by the full disk at $trainers of 4 levels" \
    || failed "no level interrupted a trainer: the test did not test the trainers"

# (2) The last stage (tables, fits, report, figures) and a fit on a full disk.
table="$work/table.csv"
printf 'params,loss\n1e6,3.9\n3e6,3.5\n1e7,3.2\n3e7,3.0\n1e8,2.85\n3e8,2.76\n' >"$table"
"$scalefit" fit "$table" --law power+const --x params --out "$fs/fit" --bootstrap 20 \
    >"$work/fit.log" 2>&1 || { failed "the fit on free space exited $?"; cat "$work/fit.log"; }
# snapshot: every file of the sweep's last stage and of the fit, with its checksum (report.md
# without its timing line, the one thing that differs between two identical invocations).
snapshot() {
    (cd "$fs" && find out fit -path out/runs -prune -o -type f -print | LC_ALL=C sort | while read -r f; do
        case $f in
        */report.md) printf '%s  %s\n' "$(grep -v ' took ' "$f" | sha256sum | cut -c1-64)" "$f" ;;
        *) sha256sum "$f" ;;
        esac
    done)
}
snapshot >"$work/before"
[ "$(wc -l <"$work/before")" -gt 20 ] || failed "the snapshot holds only $(wc -l <"$work/before") files"
grep -q 'fits/L_C/fit.yaml' "$work/before" && grep -q 'out/results.csv' "$work/before" \
    && grep -q 'fit/fit.yaml' "$work/before" || failed "the snapshot lacks fit.yaml or results.csv"
stopped=0
for left in 0 4096 16384 65536 131072 262144; do
    fill "$left"
    for cmd in run fit; do
        if [ "$cmd" = run ]; then
            "$scalefit" run "$sweep" --out "$out" >"$work/full.log" 2>&1
        else
            "$scalefit" fit "$table" --law power+const --x params --out "$fs/fit" --bootstrap 20 \
                >"$work/full.log" 2>&1
        fi
        rc=$?
        if [ "$rc" -ne 0 ]; then
            stopped=$((stopped + 1))
            grep -q "$fs/.*No space left on device" "$work/full.log" \
                && pass "$cmd with $left bytes free: exit $rc, $(grep -o "cannot write [^:]*" "$work/full.log" | head -n 1 | sed "s|$fs/||")" \
                || { failed "$cmd with $left bytes free: exit $rc without saying where"; cat "$work/full.log"; }
        fi
        snapshot >"$work/after"
        if cmp -s "$work/before" "$work/after"; then
            pass "$cmd with $left bytes free: every file written before is whole"
        else
            failed "$cmd with $left bytes free: files changed"; diff "$work/before" "$work/after" | head -n 6
        fi
        tmp=$(find "$fs/out" "$fs/fit" -path "$fs/out/runs" -prune -o -name '*.tmp*' -print | head -n 3)
        [ -z "$tmp" ] || failed "$cmd with $left bytes free: temporary files left: $tmp"
    done
done
[ "$stopped" -ge 4 ] && pass "the disk was full for $stopped of 12 invocations" \
    || failed "the disk was full for only $stopped of 12 invocations: the test did not test"
rm -f "$filler"
"$scalefit" run "$sweep" --out "$out" >"$work/last.log" 2>&1 || failed "the last run exited $?"
snapshot >"$work/after"
cmp -s "$work/before" "$work/after" && pass "space freed: the sweep's last stage writes the same files" \
    || { failed "space freed: files differ"; diff "$work/before" "$work/after" | head -n 6; }
exit $fail
