# style.gp: the look shared by every scalefit figure. scalefit copies it into each filled-in
# script (NAME.gp beside the figure), after the variables and before the figure's own template,
# so a figure can be restyled by editing its script alone.
#
# Colours: Okabe and Ito's palette, told apart with every common kind of colour blindness;
# model size runs along a viridis ramp (cut before its palest yellow so it shows on white).
# Sizes: the fonts are chosen so that labels stay readable with the PNG shown at half size.

set encoding utf8
sf_font_size = 20
sf_terminal(pass) = pass == 1 \
    ? sprintf("set terminal pngcairo size %d,%d enhanced font 'Sans,%d' linewidth 2 rounded; set output out_png", png_width, png_height, sf_font_size) \
    : sprintf("set terminal svg size %d,%d fixed enhanced font 'Sans,%d' linewidth 2 rounded background rgb 'white'; set output out_svg", png_width, png_height, sf_font_size)

# The categorical colours (Okabe and Ito 2008).
sf_black      = "#000000"
sf_orange     = "#E69F00"
sf_sky        = "#56B4E9"
sf_green      = "#009E73"
sf_blue       = "#0072B2"
sf_vermillion = "#D55E00"
sf_purple     = "#CC79A7"
sf_grey       = "#7F7F7F"

# Roles: every figure uses the same colour for the same thing.
sf_c_points   = sf_blue        # points the law was fitted to
sf_c_heldout  = sf_vermillion  # held-out points
sf_c_fit      = sf_black       # the fitted law and its band
sf_c_const    = sf_green       # the irreducible loss L_inf (or E) and its band
sf_c_forecast = sf_purple      # forecasts and the law continued to them
sf_c_special  = sf_vermillion  # envelope hull points, the compute-optimal line
sf_band_alpha = 0.25           # opacity of every 95% band

# Points and lines.
sf_ps      = 1.7   # point size
sf_lw_fit  = 2.5   # the fitted law
sf_lw_data = 1.5   # learning curves and contours
sf_pt_fit  = 7     # filled circle
sf_pt_hold = 5     # filled square
sf_pt_open = 6     # open circle
sf_pt_fc   = 13    # filled diamond

# Model size as colour: a log colour scale along viridis.
set palette defined (0 "#440154", 1 "#414487", 2 "#2A788E", 3 "#22A884", 4 "#7AD151")
set colorbox vertical default
set cbtics out nomirror

# Frame, ticks and grid: ticks outside, a light grid behind the data.
set border 3 front lw 1
set tics out nomirror scale 1.2, 0.6
set grid xtics ytics back lw 0.5 lc rgb "#D9D9D9" dt solid
set style fill solid 1.0 noborder
set samples 400

# The key goes below the plot, where it cannot cover data.
set key outside below center horizontal Left reverse samplen 2 spacing 1.1 width -2 maxcols 2 noautotitle
set title offset 0, -0.3 font sprintf(",%d", sf_font_size + 2)

# Title, axis labels, ranges and ticks, from the variables scalefit writes (title_text,
# xlabel_text, ylabel_text, xmin, xmax, xtics, xformat and the same for y).
sf_axes = "set title title_text; set xlabel xlabel_text; set ylabel ylabel_text; " \
        . "set xrange [xmin:xmax]; set yrange [ymin:ymax]; " \
        . "set xtics " . xtics . "; set ytics " . ytics . "; " \
        . "set format x xformat; set format y yformat"

# Plot commands are assembled from optional parts: sf_with(cond, part) is ", part" when cond
# holds and "" otherwise; a template ends with `eval "plot " . parts[3:]`. An empty table's
# variable (dat_NAME) is "", so `dat_NAME ne ""` tells whether it has rows.
sf_with(cond, part) = cond ? ", " . part : ""
