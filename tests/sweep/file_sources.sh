#!/usr/bin/env bash
# file_sources.sh SCALEFIT SOURCE_ROOT — byte-level text (python3.11-doc) and 8x8 images
# (dataset-fashion-mnist) go through a sweep: every run done, losses recorded, no Bayes loss
# (it is known for markov only). Without the Debian packages: skip (77), a failure where CI is set.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
if [ ! -d /usr/share/doc/python3.11/html/_sources ] || [ ! -d /usr/share/datasets/fashion-mnist ]; then
    echo "python3.11-doc or dataset-fashion-mnist is not installed (scripts/setup.sh installs them)"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi
for kind in text image; do
    out="$work/$kind"
    if "$scalefit" run "$root/tests/data/sweeps/sources-$kind.yaml" --out "$out" >"$out.log" 2>&1; then
        pass "$kind: the sweep finished"
    else
        failed "$kind: exit $?"; tail -n 5 "$out.log"; continue
    fi
    done=$(grep -c ',done,' "$out/results.csv")
    [ "$done" -eq 2 ] && pass "$kind: both runs done" || failed "$kind: $done runs done"
    # best_eval_loss (column 16) is a finite positive number (never nan or inf); best_eval_kl (18)
    # and bayes_loss (20) are empty for files.
    awk -F, 'NR > 1 && ($16 !~ /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ || $16 + 0 <= 0 ||
                        $18 != "" || $20 != "") { bad = 1 } END { exit bad }' \
        "$out/results.csv" \
        && pass "$kind: losses recorded, no Bayes loss" || failed "$kind: results.csv columns"
done
exit $fail
