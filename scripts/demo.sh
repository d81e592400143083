#!/usr/bin/env bash
# demo.sh — the main job: sets up (scripts/setup.sh), then fits the Chinchilla law to the example
# table (data/gadre2024_overtraining_losses.csv, the C4 validation loss of each training set),
# holding out the 1.4B and 6.9B models to check the extrapolation, with bootstrap intervals,
# figures and a report in out/example/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
./scripts/setup.sh
out=${1:-out/example}
./build/src/scalefit fit data/gadre2024_overtraining_losses.csv \
    --law chinchilla --n params --d tokens --y loss_c4_val_full \
    --by dataset --holdout-where 'params>=1e9' --compute 1e21 --compute 1e23 \
    --out "$out"
echo "report: $out/report.md (one folder per dataset, each with fit.yaml, report.md, figures/)"
