# mi.gp: the mutual information between a sample's two parts against model size N (log x axis,
# linear y): each run's estimate (points), the `log` law I = lambda ln(N/N_c) fitted to them (a
# straight line on these axes), and the bound (the captions' entropy) or the source's exact value
# (dashed).
#
# Tables: dat_points (N mi), dat_fit (N mi). Variables: bound (when known), key_*.

eval sf_axes
set logscale x
set key maxcols 1
sf_parts = \
    sf_with(exists("bound"), "bound with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_bound") \
  . sf_with(dat_fit ne "", "dat_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_fit") \
  . sf_with(1, "dat_points using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_points")
eval "plot " . sf_parts[3:]
