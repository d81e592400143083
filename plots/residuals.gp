# residuals.gp: figure kind 3, the residuals ln(predicted) - ln(observed) against x, with the
# zero line; held-out points apart. For two-variable laws the points are coloured by tokens D
# on a log colour scale (coloured = 1), so a trend left in D shows.
#
# Tables: dat_points and dat_heldout (x residual colour). A table without rows is named "".

eval sf_axes
set logscale x
if (coloured) {
    set logscale cb
    eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
    set cblabel cblabel_text
} else {
    unset colorbox
}
sf_colour = coloured ? "lc palette z" : "lc rgb sf_c_points"
sf_parts = \
    sf_with(1, "0 with lines lw 1.5 lc rgb sf_grey notitle") \
  . sf_with(dat_points ne "", "dat_points using 1:2:3 with points pt sf_pt_fit ps sf_ps " . sf_colour . " title key_points") \
  . sf_with(dat_heldout ne "", "dat_heldout using 1:2:3 with points pt sf_pt_hold ps sf_ps " . (coloured ? sf_colour : "lc rgb sf_c_heldout") . " title key_heldout")
eval "plot " . sf_parts[3:]
