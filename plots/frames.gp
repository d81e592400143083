# frames.gp: the loss of each frame of a video clip (the positions of the frame summed, last
# evaluation) against the frame's index, one line per run coloured by model size on a log colour
# scale.
#
# Tables: dat_lines (frame loss params; one data set per run).

eval sf_axes
set logscale y
set xtics 1
set logscale cb
eval "set cbrange [cbmin:cbmax]; set cbtics " . cbtics . "; set format cb cbformat"
set cblabel cblabel_text
plot dat_lines using 1:2:3 with linespoints pt sf_pt_fit ps sf_ps lw sf_lw_data lc palette z title key_lines
