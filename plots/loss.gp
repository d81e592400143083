# loss.gp: figure kinds 1 and 2. Kind 1, loss against size (or compute): the data points, the
# fitted law with its 95% band, the irreducible loss as a dashed line with its band (laws with
# a constant), held-out points apart, and the law continued (dotted) to the forecast points.
# Kind 2 is the same drawing of the reducible loss L - L_inf, without the constant: on log-log
# axes a power law is a straight line.
#
# Tables: dat_points (x loss), dat_heldout (x loss), dat_curve (x loss lo hi) over the data,
# dat_extension (x loss lo hi) beyond it, dat_forecasts (x loss lo hi).
# A table without rows is named "" and left out; has_const, has_const_band and has_band (0 or
# 1) switch the constant, its band and the law's band on.

eval sf_axes
set logscale xy
sf_parts = \
    sf_with(has_const_band, "'+' using 1:(linf_lo):(linf_hi) with filledcurves fs transparent solid sf_band_alpha noborder lc rgb sf_c_const notitle") \
  . sf_with(has_band, "dat_curve using 1:3:4 with filledcurves fs transparent solid sf_band_alpha noborder lc rgb sf_c_fit title key_band") \
  . sf_with(dat_extension ne "", "dat_extension using 1:3:4 with filledcurves fs transparent solid sf_band_alpha noborder lc rgb sf_c_forecast notitle") \
  . sf_with(has_const, "linf with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_const") \
  . sf_with(1, "dat_curve using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_fit") \
  . sf_with(dat_extension ne "", "dat_extension using 1:2 with lines dt 3 lw sf_lw_fit lc rgb sf_c_forecast title key_extension") \
  . sf_with(dat_points ne "", "dat_points using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_points") \
  . sf_with(dat_heldout ne "", "dat_heldout using 1:2 with points pt sf_pt_hold ps sf_ps lc rgb sf_c_heldout title key_heldout") \
  . sf_with(dat_forecasts ne "", "dat_forecasts using 1:2:3:4 with yerrorbars pt sf_pt_fc ps sf_ps lw 1.5 lc rgb sf_c_forecast title key_forecast")
eval "plot " . sf_parts[3:]
