# loss_tokens.gp: figure kind 4 (first part), two-variable laws: loss against tokens, one fitted
# curve per model size with its points, all coloured by model size N on a log colour scale;
# held-out points as squares.
#
# Tables: dat_points and dat_heldout (tokens loss params); dat_curves (tokens loss params), one
# block per model size. A table without rows is named "".

eval sf_axes
set logscale xy
set logscale cb
eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
set cblabel cblabel_text
sf_parts = \
    sf_with(1, "dat_curves using 1:2:3 with lines lw sf_lw_fit lc palette z title key_fit") \
  . sf_with(dat_points ne "", "dat_points using 1:2:3 with points pt sf_pt_fit ps sf_ps lc palette z title key_points") \
  . sf_with(dat_heldout ne "", "dat_heldout using 1:2:3 with points pt sf_pt_hold ps sf_ps lc palette z title key_heldout")
eval "plot " . sf_parts[3:]
