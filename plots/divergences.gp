# divergences.gp: every divergence of the model from the truth against model size N (or against
# compute on each divergence's frontier) on log-log axes, one colour each: the runs' values (or
# the frontier's points) and the pure power law fitted to them.
#
# Tables: dat_kl, dat_rkl, dat_js, dat_tv, dat_h2, dat_cs (x value) and dat_kl_fit ... dat_cs_fit
# (x value). A table without rows is named "" and left out.

eval sf_axes
set logscale xy
set key maxcols 2
sf_div(name, colour, key, keyfit) = \
    sf_with(value("dat_" . name . "_fit") ne "", sprintf("dat_%s_fit using 1:2 with lines lw sf_lw_fit lc rgb '%s' title %s", name, colour, keyfit)) \
  . sf_with(value("dat_" . name) ne "", sprintf("dat_%s using 1:2 with points pt sf_pt_fit ps sf_ps lc rgb '%s' title %s", name, colour, key))
sf_parts = sf_div("kl", sf_black, "key_kl", "key_kl_fit") . sf_div("rkl", sf_vermillion, "key_rkl", "key_rkl_fit") \
  . sf_div("js", sf_blue, "key_js", "key_js_fit") . sf_div("tv", sf_orange, "key_tv", "key_tv_fit") \
  . sf_div("h2", sf_green, "key_h2", "key_h2_fit") . sf_div("cs", sf_purple, "key_cs", "key_cs_fit")
eval "plot " . sf_parts[3:]
