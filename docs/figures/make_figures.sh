#!/usr/bin/env bash
# make_figures.sh — redraws the README's example figures (docs/figures/*.png) from the example
# fits: the Chinchilla fit of the example table (C4 validation loss of the c4_original runs,
# the 1.4B and 6.9B models held out), a power+const fit and a frontier fit of the synthetic
# tables in tests/data/fit/. Each figure is drawn by scalefit as usual, then redrawn from its
# own script at a smaller size for the README.
# Usage: docs/figures/make_figures.sh [path/to/scalefit]   (default: build/src/scalefit)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
scalefit=${1:-build/src/scalefit}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$scalefit" fit data/gadre2024_overtraining_losses.csv --law chinchilla --n params --d tokens \
    --y loss_c4_val_full --where dataset=c4_original --holdout-where 'params>=1e9' \
    --out "$work/chinchilla" >/dev/null
"$scalefit" fit tests/data/fit/powerconst_synth.csv --law power+const --x params --holdout 2 \
    --predict params=1e10 --out "$work/powerconst" >/dev/null
"$scalefit" fit tests/data/fit/frontier_curves.csv --law frontier --run run --c flops --n params \
    --out "$work/frontier" >/dev/null

# FIT FIGURE: docs/figures/FIT_FIGURE.png at 900x600 with a smaller font.
shrink() {
    local dir="$work/$1/figures" name=$2
    sed -e 's/^png_width = .*/png_width = 900/' -e 's/^png_height = .*/png_height = 600/' \
        -e 's/^sf_font_size = .*/sf_font_size = 15/' "$dir/$name.gp" > "$dir/small_$name.gp"
    (cd "$dir" && gnuplot -e "out_png='small.png'; out_svg='small.svg'" "small_$name.gp")
    cp "$dir/small.png" "docs/figures/$1_$name.png"
}

shrink chinchilla loss
shrink chinchilla loss_tokens
shrink chinchilla isoloss
shrink chinchilla residuals
shrink powerconst loss
shrink powerconst reducible
shrink frontier frontier
shrink frontier nopt
ls -l docs/figures/*.png
