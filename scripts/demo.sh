#!/usr/bin/env bash
# demo.sh — the main job: sets up (scripts/setup.sh: packages and build), then runs the
# quickstart sweep end to end: six model sizes, three token budgets each, trained on a source
# whose next-token distribution is known exactly (`tasks`), L(N), L(C), L(N, D) and the exact
# KL's laws fitted with intervals, the entropy / reducible-loss split checked against the
# source's Bayes loss, figures and report in runs/quickstart/ (or the folder given).
# Running it again resumes where it stopped; finished runs are kept.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
./scripts/setup.sh
out=${1:-runs/quickstart}
./build/src/scalefit run sweeps/quickstart.yaml --out "$out"
echo "report: $out/report.md (figures in $out/figures/ and $out/fits/*/figures/)"
