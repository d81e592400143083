#!/usr/bin/env bash
# keep_result.sh — copies what a finished sweep wrote into a results folder of docs/results/:
# report.md, results.csv, curves.csv, sweep.resolved.yaml, positions.csv and problems.csv where
# the sweep has them, the sweep's figures and each fit's
# fit.yaml, report.md and figures (PNG only), replacing the folder's other contents but its
# hand-written README.md. Run it on a sweep folder named relatively, so that the copied reports
# name no folder of this machine.
#
#   bench/keep_result.sh SWEEP_DIR DEST_DIR
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: keep_result.sh SWEEP_DIR DEST_DIR" >&2; exit 2; }
src=$1 dest=$2
fail() { echo "keep_result.sh: error: $*" >&2; exit 1; }
[ -f "$src/report.md" ] || fail "$src has no report.md (a finished sweep?)"
rm -rf "$dest.new" && mkdir -p "$dest.new/figures" || fail "cannot write $dest"
cp "$src"/report.md "$src"/results.csv "$src"/curves.csv "$src"/sweep.resolved.yaml "$dest.new/"
for own in positions.csv problems.csv; do
    [ -f "$src/$own" ] && cp "$src/$own" "$dest.new/"
done
cp "$src"/figures/*.png "$dest.new/figures/"
for fit in "$src"/fits/*/; do
    name=$(basename "$fit")
    mkdir -p "$dest.new/fits/$name/figures"
    cp "$fit"/fit.yaml "$fit"/report.md "$dest.new/fits/$name/"
    cp "$fit"/figures/*.png "$dest.new/fits/$name/figures/" 2>/dev/null
done
for keep in README.md timing.txt; do
    [ -f "$dest/$keep" ] && [ ! -f "$dest.new/$keep" ] && cp "$dest/$keep" "$dest.new/"
done
rm -rf "$dest" && mv "$dest.new" "$dest"
