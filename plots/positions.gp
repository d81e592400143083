# positions.gp: the loss by position of each run's last evaluation against the position t on log
# axes, one line per run coloured by model size on a log colour scale, and the Bayes loss at t
# (dashed) where the source knows its next-token distribution.
#
# Tables: dat_lines (position loss params; one data set per run), dat_bayes (position loss).

eval sf_axes
set logscale xy
set logscale cb
eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
set cblabel cblabel_text
sf_parts = \
    sf_with(1, "dat_lines using 1:2:3 with lines lw sf_lw_data lc palette z title key_lines") \
  . sf_with(dat_bayes ne "", "dat_bayes using 1:2 with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_bayes")
eval "plot " . sf_parts[3:]
