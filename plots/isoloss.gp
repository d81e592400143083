# isoloss.gp: figure kind 4 (second part), two-variable laws: contours of equal fitted loss over
# model size N and tokens D, the compute-optimal line (where each compute C = 6ND reaches its
# least loss), and the data. Both axes are in decades (log10 of the value), labelled 10^{k}.
#
# Tables: dat_grid (log10 N, log10 D, loss; one block per D), dat_points, dat_heldout and
# dat_forecasts (log10 N, log10 D, loss), dat_optimal (log10 N, log10 D, compute). `levels`
# lists the contour levels (nats/token). A table without rows is named "".

# The contours are traced by gnuplot into a datablock (before the axes get their 10^{k} tick
# format, which a table would also use), then drawn in two dimensions.
set format "%.10g"
set view map
set contour base
unset surface
eval "set cntrparam levels discrete " . levels
set table $sf_contours
splot dat_grid using 1:2:3 with lines notitle
unset table
unset contour
eval sf_axes
set style textbox opaque noborder margins 1, 1
sf_label(z) = sprintf("%.6g", z)
sf_parts = \
    sf_with(1, "$sf_contours using 1:2 with lines lw sf_lw_data lc rgb sf_grey title key_contours") \
  . sf_with(1, "$sf_contours using 1:2:(sf_label($3)) every 1000::8 with labels boxed font sprintf(',%d', sf_font_size - 4) tc rgb sf_grey notitle") \
  . sf_with(dat_optimal ne "", "dat_optimal using 1:2 with lines lw 3 lc rgb sf_c_special title key_optimal") \
  . sf_with(dat_points ne "", "dat_points using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb sf_c_points title key_points") \
  . sf_with(dat_heldout ne "", "dat_heldout using 1:2 with points pt sf_pt_hold ps sf_ps lc rgb sf_c_heldout title key_heldout") \
  . sf_with(dat_forecasts ne "", "dat_forecasts using 1:2 with points pt sf_pt_fc ps sf_ps lc rgb sf_c_forecast title key_forecast")
eval "plot " . sf_parts[3:]
