/*
 * law_log.c — the law L = lambda·ln(x/N_c) (Henighan et al. 2020: the mutual information between
 * an image and its caption grows as the log of model size): theta = (a, c) with a = ln lambda and
 * c = ln N_c, so ln L = a + ln(ln x − c), defined where every x exceeds N_c. The search projects
 * out lambda for each c on a grid of ln N_c (the column ln x − c, FIT_COLS_LOG); it has no
 * constant and no bound. Its targets: the x at which L reaches a value, N_c·exp(L/lambda).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "internal.h"

/* The grid of ln N_c: N_c from e^-20 to e^40 (about 2e-9 to 2e17), step 0.1. */
#define FIT_LOG_C_MIN (-20.0)
#define FIT_LOG_C_MAX 40.0
#define FIT_LOG_C_STEP 0.1

static double fit_log_lnpred(const double *th, const bool *active, double lx1, double lx2,
                             double lx3, double *grad) {
    (void)lx3;
    (void)active, (void)lx2;
    double u = lx1 - th[1];
    if (grad) {
        grad[0] = 1;
        grad[1] = -1.0 / u;
    }
    return u > 0 ? th[0] + log(u) : (double)NAN;
}

static void fit_log_natural(const double *th, const bool *active, double *nat) {
    (void)active;
    nat[0] = exp(th[0]);
    nat[1] = exp(th[1]);
}

static void fit_log_grid(const struct fit_parameters *prm, double *lo, double *hi, double *step) {
    (void)prm;
    *lo = FIT_LOG_C_MIN, *hi = FIT_LOG_C_MAX, *step = FIT_LOG_C_STEP;
}

static void fit_log_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n, "ln N_c in [%g, %g] step %g, best %zu cells refined to step %g", FIT_LOG_C_MIN,
             FIT_LOG_C_MAX, FIT_LOG_C_STEP, p->refine_cells,
             FIT_LOG_C_STEP / (double)p->refine_divisions);
}

static void fit_log_cell_row(const struct fit_problem *pb, size_t i, double sc, double e2,
                             const struct fit_cell_cols *cc, double *col, double *t) {
    (void)pb, (void)e2, (void)t;
    col[0] = sc * cc->u[i];
}

static double fit_log_cell_pred(const double *coef, const struct fit_cell_cols *cc, size_t i) {
    return coef[0] * cc->u[i];
}

static bool fit_log_cell_theta(const double *coef, double e1, double e2, struct fit_candidate *c) {
    (void)e2;
    if (!(coef[0] > 0)) return false;
    c->theta[0] = log(coef[0]), c->theta[1] = e1;
    c->active[0] = c->active[1] = true;
    return true;
}

static double fit_log_target(const double *nat, double value) {
    return nat[1] * exp(value / nat[0]);
}

static const struct fit_law_form fit_law_log_form = {
    .lnpred     = fit_log_lnpred,
    .natural    = fit_log_natural,
    .n_coef     = 1,
    .n_exp      = 1,
    .exp_theta  = {1, 0},
    .cols       = FIT_COLS_LOG,
    .grid       = fit_log_grid,
    .grid_text  = fit_log_grid_text,
    .cell_row   = fit_log_cell_row,
    .cell_pred  = fit_log_cell_pred,
    .cell_theta = fit_log_cell_theta,
    .target     = fit_log_target,
};

const struct fit_law_desc fit_law_log = {
    .name        = "log",
    .formula     = "L = lambda ln(x/N_c)",
    .n_theta     = 2,
    .n_vars      = 1,
    .n_report    = 2,
    .params      = {{"lambda", "", true, -1, false}, {"N_c", "x", true, -1, false}},
    .can_fix     = true,
    .fix         = {{0, -1}, {1, -1}},
    .term_exp    = {-1, -1},
    .var_options = {"--x"},
    .var_fields  = {offsetof(struct fit_columns, x)},
    .label       = "L = $0 ln($x/$1)",
    .form        = &fit_law_log_form,
};
