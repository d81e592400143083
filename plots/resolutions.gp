# resolutions.gp: the reducible loss per image (or per sample) against model size N on log axes
# for each resolution of a sweep: the runs' losses less their resolution's fitted constant
# (points) and the law (lines), coloured by the resolution on a log colour scale, and the target
# reducible loss the forecasts invert (dashed) where one is given.
#
# Tables: dat_points, dat_laws (N reducible resolution; one data set per resolution),
# dat_target (N reducible).

eval sf_axes
set logscale xy
set logscale cb
eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
set cblabel cblabel_text
sf_parts = \
    sf_with(1, "dat_laws using 1:2:3 with lines lw sf_lw_fit lc palette z title key_laws") \
  . sf_with(dat_points ne "", "dat_points using 1:2:3 with points pt sf_pt_fit ps sf_ps lc palette z title key_points") \
  . sf_with(dat_target ne "", "dat_target using 1:2 with lines dt 2 lw sf_lw_fit lc rgb sf_c_forecast title key_target")
eval "plot " . sf_parts[3:]
