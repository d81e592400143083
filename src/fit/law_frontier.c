/*
 * law_frontier.c — the compute frontier: power+const in compute, L = L_inf + (C0/C)^alpha_C,
 * fitted to the compute frontier of learning curves, the running minimum over compute (or to
 * its lower convex hull; frontier.c builds both), and the optimal-size law
 * N_opt = (C/C_n)^beta_opt, a `power` fitted to the model sizes of the runs that own the points
 * L(C) is fitted to. L(C) shares power+const's functions; its reported parameters
 * 3 and 4 come from the optimal-size fit.
 */
#include <stddef.h>

#include "internal.h"

const struct fit_law_desc fit_law_frontier = {
    .name           = "frontier",
    .formula        = "L = L_inf + (C0/C)^alpha_C on the compute frontier; "
                      "N_opt = (C/C_n)^beta_opt",
    .n_theta        = 3,
    .n_vars         = 1,
    .n_report       = 5,
    .params         = {{"L_inf", "nats/token", true, 0, false},
                       {"C0", "FLOP", true, -1, false},
                       {"alpha_C", "", false, -1, false, FIT_EXPONENT_COMPUTE},
                       {"C_n", "FLOP", true, -1, false},
                       {"beta_opt", "", false, -1, false, FIT_EXPONENT_NOPT}},
    .can_bound      = {true, false, false},
    .term_exp       = {-1, -1, -1},
    .has_constant   = true,
    .can_fix        = true,
    .fix            = {{0, -1}, {1, 2}, {2, -1}, {-1, -1}, {-1, -1}},
    .curves         = true,
    .nopt_law       = &fit_law_power,
    .var_options    = {"--c"},
    .var_fields     = {offsetof(struct fit_columns, c)},
    .x_name         = "compute",
    .x_heading      = "compute (FLOP)",
    .label_constant = "L_∞",
    .label          = "L = $0 + ($1/$x)^{$2}",
    .nopt_label     = "N_{opt} = (C/$3)^{$4}",
    .form           = &fit_law_power_const_form,
};
