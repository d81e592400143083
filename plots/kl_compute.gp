# kl_compute.gp: the measured KL against compute, for a sweep on a source that knows its
# distribution: each run's exact KL at every evaluation against C = 6ND, one line per run
# coloured by model size on a log colour scale, the reducible loss L(C) - L_inf of the sweep's
# frontier fit (dashed), and the KL's own frontier fitted as a pure power (solid), on log-log
# axes.
#
# Tables: dat_curves (flops kl params; one data set per run), dat_reducible (flops loss; "" when
# the sweep has no frontier fit with a constant), dat_fit (flops kl; "" without a KL frontier
# fit).

eval sf_axes
set logscale xy
set logscale cb
eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
set cblabel cblabel_text
sf_parts = \
    sf_with(1, "dat_curves using 1:2:3 with lines lw sf_lw_data lc palette z title key_curves") \
  . sf_with(dat_reducible ne "", "dat_reducible using 1:2 with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_reducible") \
  . sf_with(dat_fit ne "", "dat_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_fit")
eval "plot " . sf_parts[3:]
