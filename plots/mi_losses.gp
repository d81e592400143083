# mi_losses.gp: the loss of each sample's second part after its true first part and after a
# blanked one, against model size N on log axes; their gap is the mutual information.
#
# Tables: dat_true, dat_blank (N loss). A table without rows is named "" and left out.

eval sf_axes
set logscale xy
sf_parts = \
    sf_with(dat_blank ne "", "dat_blank using 1:2 with linespoints pt sf_pt_hold ps sf_ps lw sf_lw_data lc rgb sf_orange title key_blank") \
  . sf_with(dat_true ne "", "dat_true using 1:2 with linespoints pt sf_pt_fit ps sf_ps lw sf_lw_data lc rgb sf_c_points title key_true")
eval "plot " . sf_parts[3:]
