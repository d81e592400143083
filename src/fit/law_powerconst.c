/*
 * law_powerconst.c — the law L = L_inf + (x0/x)^alpha: theta = (e, a, alpha) with
 * ln L = LSE(e, a - alpha ln x), L_inf = exp(e) (0 when held at its bound) and
 * x0 = exp(a/alpha). The search projects out (L_inf, scale) for each alpha. Its functions are
 * shared with the frontier's L(C) law (law_frontier.c).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "internal.h"

static double fit_law_power_const_lnpred(const double *th, const bool *active, double lx1,
                                         double lx2, double lx3, double *grad) {
    (void)lx3;
    (void)lx2;
    double t[2], p[2];
    bool   use[2];
    t[0] = th[0], use[0] = active[0];
    t[1] = th[1] - th[2] * lx1, use[1] = true;
    double v = fit_law_lse(t, use, 2, p);
    if (grad) {
        grad[0] = active[0] ? p[0] : 0;
        grad[1] = p[1];
        grad[2] = -p[1] * lx1;
    }
    return v;
}

static void fit_law_power_const_natural(const double *th, const bool *active, double *nat) {
    nat[0] = active[0] ? exp(th[0]) : 0;
    nat[1] = exp(th[1] / th[2]);
    nat[2] = th[2];
}

static void fit_law_power_const_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n,
             "alpha in [%g, %g] step %g (L_inf and scale by NNLS), best %zu cells refined to "
             "step %g",
             p->exp_min, p->exp_max, p->exp_step, p->refine_cells,
             p->exp_step / (double)p->refine_divisions);
}

static void fit_law_power_const_cell_row(const struct fit_problem *pb, size_t i, double sc,
                                         double e2, const struct fit_cell_cols *cc, double *col,
                                         double *t) {
    (void)pb, (void)e2, (void)t;
    col[0] = sc, col[1] = sc * cc->u[i];
}

static double fit_law_power_const_cell_pred(const double *coef, const struct fit_cell_cols *cc,
                                            size_t i) {
    return coef[0] + coef[1] * cc->u[i];
}

static bool fit_law_power_const_cell_theta(const double *coef, double e1, double e2,
                                           struct fit_candidate *c) {
    (void)e2;
    if (!(coef[1] > 0)) return false; /* no reducible term: not this law */
    c->active[0] = coef[0] > 0;
    c->theta[0]  = c->active[0] ? log(coef[0]) : 0;
    c->theta[1] = log(coef[1]), c->theta[2] = e1;
    c->active[1] = c->active[2] = true;
    return true;
}

static int fit_law_power_const_flat_term(const double *th, const bool *active,
                                         const struct fit_parameters *prm) {
    (void)active;
    return fit_exponent_out(th[2], prm) ? FIT_TERM_INVALID : -1;
}

static double fit_law_power_const_target(const double *nat, double reducible) {
    return nat[1] * pow(reducible, -1.0 / nat[2]);
}

const struct fit_law_form fit_law_power_const_form = {
    .lnpred     = fit_law_power_const_lnpred,
    .natural    = fit_law_power_const_natural,
    .n_coef     = 2,
    .n_exp      = 1,
    .exp_theta  = {2, 0},
    .cols       = FIT_COLS_POWERS,
    .grid       = fit_law_grid_positive,
    .grid_text  = fit_law_power_const_grid_text,
    .cell_row   = fit_law_power_const_cell_row,
    .cell_pred  = fit_law_power_const_cell_pred,
    .cell_theta = fit_law_power_const_cell_theta,
    .flat_term  = fit_law_power_const_flat_term,
    .target     = fit_law_power_const_target,
};

const struct fit_law_desc fit_law_power_const = {
    .name           = "power+const",
    .formula        = "L = L_inf + (x0/x)^alpha",
    .n_theta        = 3,
    .n_vars         = 1,
    .n_report       = 3,
    .params         = {{"L_inf", "nats/token", true, 0, false},
                       {"x0", "x", true, -1, false},
                       {"alpha", "", false, -1, false, FIT_EXPONENT_X1}},
    .can_bound      = {true, false, false},
    .term_exp       = {-1, -1, -1},
    .has_constant   = true,
    .can_fix        = true,
    .fix            = {{0, -1}, {1, 2}, {2, -1}, {-1, -1}, {-1, -1}},
    .var_options    = {"--x"},
    .var_fields     = {offsetof(struct fit_columns, x)},
    .label_constant = "L_∞",
    .label          = "L = $0 + ($1/$x)^{$2}",
    .form           = &fit_law_power_const_form,
};
