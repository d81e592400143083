# classify.gp: classification after generative training, against model size N on log axes: each
# model's generative loss (points) and the law fitted to it, the classification loss of each model
# fine-tuned on the labels (points) and its law (left axis, nats per predicted token), and the
# error rate on the test labels with its law (right axis).
#
# Tables: dat_generative, dat_class, dat_generative_fit, dat_class_fit (N loss), dat_error,
# dat_error_fit (N error). A table without rows is named "" and left out.

eval sf_axes
set logscale xy
set logscale y2
eval "set y2range [y2min:y2max]; set y2tics " . y2tics . "; set format y2 y2format; set y2label y2label_text"
set ytics nomirror
set border 11 front lw 1
set key maxcols 1
sf_parts = \
    sf_with(dat_generative_fit ne "", "dat_generative_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_c_fit title key_generative_fit") \
  . sf_with(dat_generative ne "", "dat_generative using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_generative") \
  . sf_with(dat_class_fit ne "", "dat_class_fit using 1:2 with lines lw sf_lw_fit lc rgb sf_orange title key_class_fit") \
  . sf_with(dat_class ne "", "dat_class using 1:2 with points pt sf_pt_hold ps sf_ps lc rgb sf_orange title key_class") \
  . sf_with(dat_error_fit ne "", "dat_error_fit using 1:2 axes x1y2 with lines dt 2 lw sf_lw_fit lc rgb sf_c_heldout title key_error_fit") \
  . sf_with(dat_error ne "", "dat_error using 1:2 axes x1y2 with points pt sf_pt_fc ps sf_ps lc rgb sf_c_heldout title key_error")
eval "plot " . sf_parts[3:]
