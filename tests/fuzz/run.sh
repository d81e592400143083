#!/usr/bin/env bash
# run.sh HARNESS CORPUS RUNS [DICT] — one harness for meson: its checked-in corpus copied to a scratch
# folder (libFuzzer adds to the folder it is given), then RUNS new inputs with a fixed seed, a
# 2 GB memory limit and 10 s per input. Exit 0 when libFuzzer found nothing.
set -u
harness=$1 corpus=$2 runs=$3 dict=${4:-}
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work/" 2>/dev/null
exec "$harness" -runs="$runs" -seed=1 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    ${dict:+-dict="$dict"} "$work"
