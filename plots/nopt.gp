# nopt.gp: figure kind 6, the optimal model size against compute: the runs that own the hull of
# the compute frontier (their size at the hull point's compute) and the power law
# N_opt = (C/C_n)^beta_opt fitted to them, with its 95% band.
#
# Tables: dat_hull (flops params), dat_fit (flops params lo hi). A table without rows is
# named "".

eval sf_axes
set logscale xy
sf_parts = \
    sf_with(has_band, "dat_fit using 1:3:4 with filledcurves fs transparent solid sf_band_alpha noborder lc rgb sf_c_fit title key_band") \
  . sf_with(1, "dat_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_fit") \
  . sf_with(dat_hull ne "", "dat_hull using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_points")
eval "plot " . sf_parts[3:]
