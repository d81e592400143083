#!/bin/bash
# eval_cost.sh — what an evaluation costs, against another scalefit binary (BASELINE: the commit
# before a change to the evaluation): runs whose time is almost all evaluation (10 steps, an
# evaluation after each, 65,536 eval tokens), each source that knows its true distribution, the
# two binaries interleaved ROUNDS times on one thread. The table gives the median seconds inside
# the training loop (summary.yaml's elapsed_s: steps and evaluations, not start-up) of each and
# their ratio.
#
# Usage: BASELINE=OLD bench/eval_cost.sh [SCALEFIT] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sf=${1:-$here/../build/src/scalefit}
base=${BASELINE:?eval_cost.sh: set BASELINE to the scalefit binary to compare with}
rounds=${2:-5}
[ -x "$sf" ] && [ -x "$base" ] || { echo "eval_cost.sh: binaries $sf, $base" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | data mapping | shape
configs=(
  "markov-V4-K5|{source: markov, n_vocab: 4, order: 5}|n_layer: 2, d_model: 64, n_head: 2, n_ctx: 64"
  "markov-V256-K1|{source: markov, n_vocab: 256, order: 1}|n_layer: 2, d_model: 64, n_head: 2, n_ctx: 64"
  "tasks-V8|{source: tasks, tasks: 256, symbols: 8}|n_layer: 2, d_model: 64, n_head: 2, n_ctx: 64"
  "math|{source: math}|n_layer: 2, d_model: 64, n_head: 2, n_ctx: 24"
)
elapsed() { sed -n 's/^elapsed_s: //p' "$1/summary.yaml"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')"
printf "%-16s %12s %12s %8s\n" config "baseline_s" "scalefit_s" ratio
for c in "${configs[@]}"; do
    IFS='|' read -r name data shape <<<"$c"
    : >"$work/$name.base" && : >"$work/$name.new"
    for r in $(seq "$rounds"); do
        for which in base new; do
            bin=$sf && [ "$which" = base ] && bin=$base
            d="$work/$name-$which-$r"
            mkdir -p "$d"
            printf "data: %s\n%s\nsteps: 10\nbatch: 8\neval_every: 1\neval_tokens: 65536\nthreads: 1\n" \
                "$data" "$(echo "$shape" | tr ',' '\n' | sed 's/^ *//')" >"$d/run.yaml"
            "$bin" train --run-dir "$d" >/dev/null 2>&1
            elapsed "$d" >>"$work/$name.$which"
            rm -rf "$d"
        done
    done
    b=$(median <"$work/$name.base") n=$(median <"$work/$name.new")
    printf "%-16s %12.3f %12.3f %8.3f\n" "$name" "$b" "$n" "$(echo "$n / $b" | bc -l)"
done
