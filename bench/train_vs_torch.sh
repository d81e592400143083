#!/bin/bash
# train_vs_torch.sh — scalefit's training engine against PyTorch on the same models, and against
# another scalefit binary (the commit before a change) when BASELINE names one: for each shape,
# `scalefit bench train`, bench/train_torch.py and the baseline run back to back (interleaved, so
# that all see the same machine weather), ROUNDS times, one thread each (OMP_NUM_THREADS =
# OPENBLAS_NUM_THREADS = 1 for PyTorch). The table gives the median tokens/s of each, the ratio
# scalefit/PyTorch, the speed-up over the baseline, and scalefit's exact training FLOP rate as a
# share of the 1024³ sgemm rate `bench train` measures in the same run.
#
# Shapes: the Markov sweeps' (d_model 20 to 64, 4 tokens, batch 32, n_ctx 64) and two larger
# text-like ones (d_model 256 and 384).
#
# Usage: bench/train_vs_torch.sh [SCALEFIT] [ROUNDS] [STEPS]
#   SCALEFIT  the binary (default: build/src/scalefit)
#   ROUNDS    rounds of interleaved runs (default 3)
#   STEPS     timed steps per run (default 20, after 3 warm-up steps)
# Environment: BASELINE — another scalefit binary, timed beside; SHAPES — a subset of the shape
# numbers 1..7 (default all); QUIET_WAIT — seconds to wait for a >= 90% idle machine before each
# run (120).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sf=${1:-$here/../build/src/scalefit}
[ -x "$sf" ] || { echo "train_vs_torch.sh: no scalefit binary at $sf (give its path)" >&2; exit 2; }
base=${BASELINE:-}
[ -z "$base" ] || [ -x "$base" ] || { echo "train_vs_torch.sh: BASELINE $base is not a binary" >&2; exit 2; }
rounds=${2:-3}
steps=${3:-20}
py=/usr/bin/python3
torch_py="$here/train_torch.py"

# n_layer d_model n_head n_vocab batch n_ctx
configs=("3 20 2 4 32 64" "4 28 2 4 32 64" "5 40 2 4 32 64" "5 64 2 4 32 64"
         "4 256 4 512 8 128" "6 384 6 512 8 128")
shapes=${SHAPES:-$(seq 1 ${#configs[@]})}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

tok() { sed -n 's/^tokens\/s: //p' "$1"; }
# The exact FLOP rate's share of the sgemm rate, in percent (bench train's "mfu: X% exact").
mfu() { sed -n 's/^mfu: \([0-9.]*\)% exact.*/\1/p' "$1"; }

# Percent of CPU time idle over one second (all cores), from /proc/stat.
idle_pct() {
    local a b t i
    read -r -a a < /proc/stat
    sleep 1
    read -r -a b < /proc/stat
    t=0
    for i in 1 2 3 4 5 6 7 8; do t=$((t + b[i] - a[i])); done
    echo $((100 * (b[4] - a[4]) / (t > 0 ? t : 1)))
}
# The machine may be shared: before each run wait (up to QUIET_WAIT seconds, default 120) until
# it is at least 90% idle.
wait_quiet() {
    local waited=0 idle
    while idle=$(idle_pct); [ "$idle" -lt 90 ]; do
        waited=$((waited + 1))
        if [ "$waited" -ge "${QUIET_WAIT:-120}" ]; then
            echo "warning: the machine stayed busy (idle ${idle}%); measuring anyway" >&2
            return
        fi
    done
}

echo "# scalefit: $("$sf" bench train --steps 1 --warmup 0 --n-layer 1 --d-model 64 --n-head 1 \
    --n-vocab 16 --batch 1 --n-ctx 8 --gemm-size 64 | sed -n 's/^openblas: /openblas /p')"
[ -z "$base" ] || echo "# baseline: a second scalefit binary, timed in the same rounds"
echo "# torch: $($py -c 'import torch; print(torch.__version__)')"
echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; 1 thread each"
for r in $(seq 1 "$rounds"); do
    for ci in $shapes; do
        read -r L D H V B T <<<"${configs[$((ci - 1))]}"
        args=(--n-layer "$L" --d-model "$D" --n-head "$H" --n-vocab "$V" --batch "$B" --n-ctx "$T"
              --steps "$steps")
        wait_quiet
        "$sf" bench train "${args[@]}" --threads 1 >"$out/sf_${ci}_$r" 2>&1
        wait_quiet
        OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $py "$torch_py" "${args[@]}" --threads 1 \
            >"$out/pt_${ci}_$r" 2>&1
        line="round $r shape $ci: scalefit $(tok "$out/sf_${ci}_$r") torch $(tok "$out/pt_${ci}_$r")"
        if [ -n "$base" ]; then
            wait_quiet
            "$base" bench train "${args[@]}" --threads 1 >"$out/bl_${ci}_$r" 2>&1
            line="$line baseline $(tok "$out/bl_${ci}_$r")"
        fi
        echo "$line" >&2
    done
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
med() { for r in $(seq 1 "$rounds"); do "$1" "$out/${2}_${3}_$r"; done | median; }

echo
echo "| shape (n_layer, d_model, n_head, n_vocab, batch, n_ctx) | scalefit tokens/s | PyTorch tokens/s | scalefit / PyTorch | baseline tokens/s | scalefit / baseline | scalefit's share of the sgemm rate |"
echo "|---|---|---|---|---|---|---|"
for ci in $shapes; do
    s=$(med tok sf "$ci")
    p=$(med tok pt "$ci")
    m=$(med mfu sf "$ci")
    b="-" sb="-"
    if [ -n "$base" ]; then
        b=$(med tok bl "$ci")
        sb=$(awk "BEGIN {printf \"%.2f\", $s / $b}")
    fi
    echo "| ${configs[$((ci - 1))]// /, } | $s | $p | $(awk "BEGIN {printf \"%.2f\", $s / $p}") | $b | $sb | $m% |"
done
