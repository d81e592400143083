# curves.gp: figure kind 7, learning curves of a sweep: evaluation loss against tokens seen, one
# line per run, coloured by model size on a log colour scale; the data's entropy as a dashed
# line where the source knows it (has_const = 1).
#
# Tables: dat_curves (tokens loss params; one data set per run).

eval sf_axes
set logscale xy
set logscale cb
eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
set cblabel cblabel_text
sf_parts = \
    sf_with(1, "dat_curves using 1:2:3 with lines lw sf_lw_data lc palette z title key_curves") \
  . sf_with(has_const, "linf with lines dt 2 lw sf_lw_fit lc rgb sf_c_const title key_const")
eval "plot " . sf_parts[3:]
