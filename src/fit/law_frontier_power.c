/*
 * law_frontier_power.c — a pure power on the compute frontier, L = (C0/C)^alpha_C, with the
 * optimal-size law N_opt = (C/C_n)^beta_opt, for learning curves of a quantity that vanishes as
 * compute grows (the measured KL of a source that knows its entropy, where a fitted constant
 * would only add noise). The frontier and the optimal-size fit are frontier's (frontier.c);
 * L(C) shares power's functions; its reported parameters 2 and 3 come from the optimal-size fit.
 */
#include <stddef.h>

#include "internal.h"

const struct fit_law_desc fit_law_frontier_power = {
    .name        = "frontier-power",
    .formula     = "L = (C0/C)^alpha_C on the compute frontier; N_opt = (C/C_n)^beta_opt",
    .n_theta     = 2,
    .n_vars      = 1,
    .n_report    = 4,
    .can_fix     = true,
    .fix         = {{0, 1}, {1, -1}, {-1, -1}, {-1, -1}},
    .params      = {{"C0", "FLOP", true, -1, false},
                    {"alpha_C", "", false, -1, false, FIT_EXPONENT_COMPUTE},
                    {"C_n", "FLOP", true, -1, false},
                    {"beta_opt", "", false, -1, false, FIT_EXPONENT_NOPT}},
    .term_exp    = {-1, -1},
    .curves      = true,
    .nopt_law    = &fit_law_power,
    .var_options = {"--c"},
    .var_fields  = {offsetof(struct fit_columns, c)},
    .x_name      = "compute",
    .x_heading   = "compute (FLOP)",
    .label       = "L = ($0/$x)^{$1}",
    .nopt_label  = "N_{opt} = (C/$2)^{$3}",
    .form        = &fit_law_power_form,
};
