#!/usr/bin/env bash
# warnings.sh SCALEFIT SOURCE_ROOT — the report's warning about a lopsided bootstrap: the
# frontier of the text-bytes example sweep (five runs, one budget each; the runs owning the hull
# decide the estimate, and replicates without them only raise the envelope) gets it for alpha_C,
# in report.md and fit.yaml; the synthetic frontier fixture, whose replicates spread on both
# sides, gets it for no parameter.
set -u
. "$(dirname "$0")/lib.sh"
want='the estimate of alpha_C (0.3629) sits at an end of its bootstrap interval'
"$scalefit" fit "$root/tests/data/fit/frontier_textbytes.csv" --law frontier --run run --c flops \
    --n params --min tokens=1e6 --frontier-fit hull --no-plot --out "$work/lopsided" \
    >"$work/lopsided.out" 2>&1
check "text-bytes frontier: exit 0" test $? -eq 0
check "text-bytes frontier: the warning in report.md" grep -qF "$want" "$work/lopsided/report.md"
check "text-bytes frontier: the warning in fit.yaml" grep -qF "$want" "$work/lopsided/fit.yaml"
check "text-bytes frontier: the warning on the terminal" grep -qF "$want" "$work/lopsided.out"
"$scalefit" fit "$root/tests/data/fit/frontier_curves.csv" --law frontier --run run --c flops \
    --n params --no-plot --out "$work/spread" >/dev/null 2>&1
check "synthetic frontier: exit 0" test $? -eq 0
check "synthetic frontier: no lopsided warning" \
    bash -c "! grep -q 'sits at an end of its bootstrap interval' '$work/spread/report.md'"
exit $fail
