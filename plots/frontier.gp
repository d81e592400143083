# frontier.gp: figure kind 5, the compute frontier: every learning curve (loss against compute)
# coloured by model size on a log colour scale (sized = 1; one colour when sizes are unknown),
# the frontier (the running minimum: the lowest loss any run reached at compute <= C, flat
# where no run goes lower), the points L(C) was fitted to (the vertices of the frontier's lower
# convex hull, or every frontier point before its flat tail; fitted_ps is their size), the L(C)
# law with its 95% band (drawn last, over the marks), and L_inf with its band.
#
# Tables: dat_curves (flops loss params; one data set per run), dat_frontier (flops loss),
# dat_fitted (flops loss params), dat_fit (flops loss lo hi). A table without rows is named "".

eval sf_axes
set logscale xy
if (sized) {
    set logscale cb
    eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
    set cblabel cblabel_text
} else {
    unset colorbox
}
sf_parts = \
    sf_with(1, "dat_curves using 1:2:3 with lines lw sf_lw_data " . (sized ? "lc palette z" : "lc rgb sf_sky") . " title key_curves") \
  . sf_with(has_const_band, "'+' using 1:(linf_lo):(linf_hi) with filledcurves fs transparent solid sf_band_alpha noborder lc rgb sf_c_const notitle") \
  . sf_with(has_band, "dat_fit using 1:3:4 with filledcurves fs transparent solid sf_band_alpha noborder lc rgb sf_c_fit title key_band") \
  . sf_with(dat_frontier ne "", "dat_frontier using 1:2 with lines lw 5 lc rgb sf_orange title key_frontier") \
  . sf_with(1, "linf with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_const") \
  . sf_with(dat_fitted ne "", "dat_fitted using 1:2 with points pt sf_pt_open ps fitted_ps lw 2 lc rgb sf_c_special title key_fitted") \
  . sf_with(dat_fit ne "", "dat_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_fit")
eval "plot " . sf_parts[3:]
