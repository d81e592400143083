# kl.gp: the measured KL against model size, for a sweep on a source that knows its distribution:
# each run's exact KL at its best evaluation (points), the KL fitted as a pure power law in N
# (solid), and the reducible loss L(N) - L_inf of the sweep's L(N) law with a constant (dashed),
# on log-log axes, where a power law is a straight line.
#
# Tables: dat_points (N kl), dat_fit (N kl), dat_reducible (N loss). A table without rows is
# named "" and left out.

eval sf_axes
set logscale xy
sf_parts = \
    sf_with(dat_reducible ne "", "dat_reducible using 1:2 with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_reducible") \
  . sf_with(dat_fit ne "", "dat_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_fit") \
  . sf_with(1, "dat_points using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_points")
eval "plot " . sf_parts[3:]
