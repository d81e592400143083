/*
 * law_power.c — the law L = (x0/x)^alpha: theta = (a, alpha) with ln L = a - alpha ln x, so
 * x0 = exp(a/alpha). The search projects out the scale for each alpha on the signed grid
 * [exp_min_signed, exp_max] (a power may fall or rise); it has no constant and no bound.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "internal.h"

static double fit_power_lnpred(const double *th, const bool *active, double lx1, double lx2,
                               double lx3, double *grad) {
    (void)lx3;
    (void)active, (void)lx2;
    if (grad) {
        grad[0] = 1;
        grad[1] = -lx1;
    }
    return th[0] - th[1] * lx1;
}

static void fit_power_natural(const double *th, const bool *active, double *nat) {
    (void)active;
    nat[0] = exp(th[0] / th[1]);
    nat[1] = th[1];
}

static void fit_power_grid(const struct fit_parameters *prm, double *lo, double *hi, double *step) {
    *lo = prm->exp_min_signed, *hi = prm->exp_max, *step = prm->exp_step;
}

static void fit_power_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n, "alpha in [%g, %g] step %g, best %zu cells refined to step %g",
             p->exp_min_signed, p->exp_max, p->exp_step, p->refine_cells,
             p->exp_step / (double)p->refine_divisions);
}

static void fit_power_cell_row(const struct fit_problem *pb, size_t i, double sc, double e2,
                               const struct fit_cell_cols *cc, double *col, double *t) {
    (void)pb, (void)e2, (void)t;
    col[0] = sc * cc->u[i];
}

static double fit_power_cell_pred(const double *coef, const struct fit_cell_cols *cc, size_t i) {
    return coef[0] * cc->u[i];
}

static bool fit_power_cell_theta(const double *coef, double e1, double e2,
                                 struct fit_candidate *c) {
    (void)e2;
    if (!(coef[0] > 0)) return false;
    c->theta[0] = log(coef[0]), c->theta[1] = e1;
    c->active[0] = c->active[1] = true;
    return true;
}

static double fit_power_target(const double *nat, double reducible) {
    return nat[0] * pow(reducible, -1.0 / nat[1]);
}

const struct fit_law_form fit_law_power_form = {
    .lnpred     = fit_power_lnpred,
    .natural    = fit_power_natural,
    .n_coef     = 1,
    .n_exp      = 1,
    .exp_theta  = {1, 0},
    .cols       = FIT_COLS_POWERS,
    .grid       = fit_power_grid,
    .grid_text  = fit_power_grid_text,
    .cell_row   = fit_power_cell_row,
    .cell_pred  = fit_power_cell_pred,
    .cell_theta = fit_power_cell_theta,
    .target     = fit_power_target,
};

const struct fit_law_desc fit_law_power = {
    .name        = "power",
    .formula     = "L = (x0/x)^alpha",
    .n_theta     = 2,
    .n_vars      = 1,
    .n_report    = 2,
    .params      = {{"x0", "x", true, -1, false}, {"alpha", "", false, -1, false, FIT_EXPONENT_X1}},
    .can_fix     = true,
    .fix         = {{0, 1}, {1, -1}},
    .term_exp    = {-1, -1},
    .var_options = {"--x"},
    .var_fields  = {offsetof(struct fit_columns, x)},
    .label       = "L = ($0/$x)^{$1}",
    .form        = &fit_law_power_form,
};
