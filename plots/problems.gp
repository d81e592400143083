# problems.gp: problems with answers (the math source) against model size N on log axes: the
# loss per answer token of each split (points: interpolation filled, extrapolation open) with the
# law fitted to each, one thin line per difficulty coloured by it (its modules pooled), and each
# split's error rate of greedy decoding on the right axis (dashed).
#
# Tables: dat_interp, dat_extrap, dat_interp_fit, dat_extrap_fit (N loss); dat_difficulty
# (N loss difficulty; one data set per difficulty); dat_interp_error, dat_extrap_error
# (N error). A table without rows is named "" and left out.

eval sf_axes
set logscale xy
set logscale y2
eval "set y2range [y2min:y2max]; set y2tics " . y2tics . "; set format y2 y2format; set y2label y2label_text"
eval "set cbrange [cbmin:cbmax]; set cbtics 1"
set cblabel cblabel_text
set ytics nomirror
set border 11 front lw 1
set key maxcols 1
sf_parts = \
    sf_with(dat_difficulty ne "", "dat_difficulty using 1:2:3 with lines lw sf_lw_data lc palette z title key_difficulty") \
  . sf_with(dat_interp_fit ne "", "dat_interp_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_interp_fit") \
  . sf_with(dat_interp ne "", "dat_interp using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_interp") \
  . sf_with(dat_extrap_fit ne "", "dat_extrap_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_orange title key_extrap_fit") \
  . sf_with(dat_extrap ne "", "dat_extrap using 1:2 with points pt sf_pt_open ps sf_ps lc rgb sf_orange title key_extrap") \
  . sf_with(dat_interp_error ne "", "dat_interp_error using 1:2 axes x1y2 with linespoints dt 2 pt sf_pt_fc ps sf_ps lc rgb sf_c_points title key_interp_error") \
  . sf_with(dat_extrap_error ne "", "dat_extrap_error using 1:2 axes x1y2 with linespoints dt 2 pt sf_pt_fc ps sf_ps lc rgb sf_orange title key_extrap_error")
eval "plot " . sf_parts[3:]
