#!/usr/bin/env bash
# warnings.sh SCALEFIT SOURCE_ROOT — the report's warning about a lopsided bootstrap, on the
# frontier. The text-bytes example sweep (five runs, one budget each) used to get it for
# alpha_C: its bootstrap resampled runs, and a replicate without a run owning the hull could
# only raise the frontier. Its bootstrap now resamples each curve's noise and keeps every run,
# so with either frontier_fit no estimate sits at an end of its interval (the frontier's are now
# symmetric about it), and report.md says the
# intervals are two-sided; the synthetic frontier fixture gets the warning for no parameter
# either.
set -u
. "$(dirname "$0")/lib.sh"
lopsided='sits at an end of its bootstrap interval'
for fit in hull envelope; do
    "$scalefit" fit "$root/tests/data/fit/frontier_textbytes.csv" --law frontier --run run \
        --c flops --n params --min tokens=1e6 --frontier-fit $fit --no-plot \
        --out "$work/textbytes-$fit" >"$work/textbytes-$fit.out" 2>&1
    check "text-bytes frontier ($fit): exit 0" test $? -eq 0
    check "text-bytes frontier ($fit): no lopsided interval in report.md" \
        bash -c "! grep -qF '$lopsided' '$work/textbytes-$fit/report.md'"
    check "text-bytes frontier ($fit): none on the terminal" \
        bash -c "! grep -qF '$lopsided' '$work/textbytes-$fit.out'"
    check "text-bytes frontier ($fit): report.md calls the intervals two-sided" \
        grep -qF 'so that they are two-sided' "$work/textbytes-$fit/report.md"
done
"$scalefit" fit "$root/tests/data/fit/frontier_curves.csv" --law frontier --run run --c flops \
    --n params --no-plot --out "$work/spread" >/dev/null 2>&1
check "synthetic frontier: exit 0" test $? -eq 0
check "synthetic frontier: no lopsided warning" \
    bash -c "! grep -q '$lopsided' '$work/spread/report.md'"
exit $fail
