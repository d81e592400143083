#!/bin/bash
# train_vs_torch.sh — scalefit's training engine against PyTorch on the same models (issue 4):
# for each configuration and thread count, `scalefit bench train` and bench/train_torch.py run
# back to back (interleaved, so both see the same machine weather), ROUNDS times; the table gives
# the median tokens/s of each and the ratio scalefit/PyTorch.
#
# PyTorch is measured at its best setting: 1 thread with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1;
# 2 threads both with the default environment and with OMP_WAIT_POLICY=passive (Debian's build
# runs its GEMMs in OpenBLAS's pthread pool and everything else in libgomp's, whose spinning
# threads starve OpenBLAS's), and the faster of the two medians is compared.
#
# Usage: bench/train_vs_torch.sh [SCALEFIT] [ROUNDS] [STEPS]
#   SCALEFIT  the binary (default: build/src/scalefit, else build-model/src/scalefit)
#   ROUNDS    rounds of interleaved runs (default 3)
#   STEPS     timed steps per run (default 20, after 3 warm-up steps)
# Environment: QUIET_WAIT — seconds to wait for a >= 90% idle machine before each run (120).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sf=${1:-}
if [ -z "$sf" ]; then
    for c in "$here/../build/src/scalefit" "$here/../build-model/src/scalefit"; do
        if [ -x "$c" ]; then sf=$c; break; fi
    done
fi
[ -x "${sf:-}" ] || { echo "train_vs_torch.sh: no scalefit binary (give its path)" >&2; exit 2; }
rounds=${2:-3}
steps=${3:-20}
py=/usr/bin/python3
torch_py="$here/train_torch.py"

configs=("4 256 4 512 8 128" "6 384 6 512 8 128")   # n_layer d_model n_head n_vocab batch n_ctx
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

tok() { sed -n 's/^tokens\/s: //p' "$1"; }

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
# The machine may be shared: before each measured pair wait (up to QUIET_WAIT seconds, default
# 120) until it is at least 90% idle, so that 2-thread figures are not a neighbour's.
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

echo "# scalefit: $sf"
"$sf" bench train --steps 1 --warmup 0 --n-layer 1 --d-model 64 --n-head 1 --n-vocab 16 \
    --batch 1 --n-ctx 8 | sed -n 's/^openblas: /# openblas: /p'
echo "# torch: $($py -c 'import torch; print(torch.__version__)')"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
for r in $(seq 1 "$rounds"); do
    for ci in "${!configs[@]}"; do
        read -r L D H V B T <<<"${configs[$ci]}"
        args=(--n-layer "$L" --d-model "$D" --n-head "$H" --n-vocab "$V" --batch "$B" --n-ctx "$T"
              --steps "$steps")
        for th in 1 2; do
            wait_quiet
            "$sf" bench train "${args[@]}" --threads "$th" >"$out/sf_${ci}_${th}_$r" 2>&1
            wait_quiet
            if [ "$th" = 1 ]; then
                OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $py "$torch_py" "${args[@]}" --threads 1 \
                    >"$out/pt_${ci}_1_$r" 2>&1
            else
                OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive $py "$torch_py" \
                    "${args[@]}" --threads 2 >"$out/pt_${ci}_2_$r" 2>&1
                wait_quiet
                OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 $py "$torch_py" "${args[@]}" --threads 2 \
                    >"$out/ptd_${ci}_2_$r" 2>&1
            fi
            echo "round $r config $((ci + 1)) threads $th: scalefit $(tok "$out/sf_${ci}_${th}_$r")" \
                 "torch $(tok "$out/pt_${ci}_${th}_$r")" \
                 "$([ "$th" = 2 ] && echo "torch-default $(tok "$out/ptd_${ci}_2_$r")")" >&2
        done
    done
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo
echo "| config (n_layer, d_model, n_head, n_vocab, batch, n_ctx) | threads | scalefit tokens/s | PyTorch tokens/s (setting) | ratio |"
echo "|---|---|---|---|---|"
for ci in "${!configs[@]}"; do
    for th in 1 2; do
        s=$(for r in $(seq 1 "$rounds"); do tok "$out/sf_${ci}_${th}_$r"; done | median)
        p=$(for r in $(seq 1 "$rounds"); do tok "$out/pt_${ci}_${th}_$r"; done | median)
        setting="1 thread"
        if [ "$th" = 2 ]; then
            setting="passive"
            pd=$(for r in $(seq 1 "$rounds"); do tok "$out/ptd_${ci}_2_$r"; done | median)
            if awk "BEGIN {exit !($pd > $p)}"; then p=$pd; setting="default"; fi
        fi
        ratio=$(awk "BEGIN {printf \"%.2f\", $s / $p}")
        echo "| ${configs[$ci]// /, } | $th | $s | $p ($setting) | $ratio |"
    done
done
