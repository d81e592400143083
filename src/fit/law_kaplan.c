/*
 * law_kaplan.c — the law L = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D (Kaplan et al. 2020,
 * eq. 1.5): theta = (c1, alpha_N, c2, alpha_D) with c1 = ln N_c, c2 = ln D_c and
 * ln L = alpha_D LSE((alpha_N/alpha_D)(c1 - ln N), c2 - ln D). After raising L to 1/alpha_D it
 * is linear in (N_c^(alpha_N/alpha_D), D_c), which the search projects out (FIT_COLS_ROOT) on
 * its own grid of positive exponents. No constant, no bound.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "internal.h"

static double fit_kaplan_lnpred(const double *th, const bool *active, double lx1, double lx2,
                                double lx3, double *grad) {
    (void)lx3;
    (void)active;
    double t[2], p[2];
    bool   use[2];
    double an = th[1], ad = th[3];
    double ratio = an / ad;
    t[0] = ratio * (th[0] - lx1), use[0] = true;
    t[1] = th[2] - lx2, use[1] = true;
    double s = fit_law_lse(t, use, 2, p);
    if (grad) {
        grad[0] = an * p[0];
        grad[1] = p[0] * (th[0] - lx1);
        grad[2] = ad * p[1];
        grad[3] = s - p[0] * t[0];
    }
    return ad * s;
}

static void fit_kaplan_natural(const double *th, const bool *active, double *nat) {
    (void)active;
    nat[0] = exp(th[0]);
    nat[1] = th[1];
    nat[2] = exp(th[2]);
    nat[3] = th[3];
}

static void fit_kaplan_grid(const struct fit_parameters *prm, double *lo, double *hi,
                            double *step) {
    *lo = prm->kaplan_exp_min, *hi = prm->kaplan_exp_max, *step = prm->kaplan_exp_step;
}

static void fit_kaplan_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n,
             "alpha_N, alpha_D in [%g, %g] step %g (N_c, D_c by NNLS on L^(1/alpha_D)), best "
             "%zu cells refined to step %g",
             p->kaplan_exp_min, p->kaplan_exp_max, p->kaplan_exp_step, p->refine_cells,
             p->kaplan_exp_step / (double)p->refine_divisions);
}

/* L^(1/alpha_D) = c1 N^(-r) + c2/D. Log space: the relative error of t = L^(1/alpha_D) is the
 * log residual over alpha_D, so the rows are divided by t (q = 1/t) and weighted by sqrt(w)
 * alone (the row scale's 1/y belongs to the other laws). */
static void fit_kaplan_cell_row(const struct fit_problem *pb, size_t i, double sc, double e2,
                                const struct fit_cell_cols *cc, double *col, double *t) {
    const double *u = cc->u, *v = cc->v, *q = cc->q;
    if (pb->space == FIT_SPACE_LOG) {
        double sw = sc * pb->y[i];
        col[0] = sw * u[i] * q[i], col[1] = sw * v[i] * q[i];
    } else { /* dL = alpha_D L dt / t */
        double f = sc * e2 * pb->y[i] * q[i];
        col[0] = f * u[i], col[1] = f * v[i];
        *t = f / q[i];
    }
}

static double fit_kaplan_cell_pred(const double *coef, const struct fit_cell_cols *cc, size_t i) {
    return coef[0] * cc->u[i] + coef[1] * cc->v[i];
}

static bool fit_kaplan_cell_theta(const double *coef, double e1, double e2,
                                  struct fit_candidate *c) {
    if (!(coef[0] > 0) || !(coef[1] > 0)) return false;
    c->theta[0] = log(coef[0]) / (e1 / e2);
    c->theta[1] = e1;
    c->theta[2] = log(coef[1]);
    c->theta[3] = e2;
    for (size_t j = 0; j < 4; j++)
        c->active[j] = true;
    return true;
}

static int fit_kaplan_flat_term(const double *th, const bool *active,
                                const struct fit_parameters *prm) {
    (void)active, (void)prm;
    return th[1] <= 0 || th[3] <= 0 ? FIT_TERM_INVALID : -1;
}

static const struct fit_law_form fit_law_kaplan_form = {
    .lnpred     = fit_kaplan_lnpred,
    .natural    = fit_kaplan_natural,
    .n_coef     = 2,
    .n_exp      = 2,
    .exp_theta  = {1, 3},
    .cols       = FIT_COLS_ROOT,
    .grid       = fit_kaplan_grid,
    .grid_text  = fit_kaplan_grid_text,
    .cell_row   = fit_kaplan_cell_row,
    .cell_pred  = fit_kaplan_cell_pred,
    .cell_theta = fit_kaplan_cell_theta,
    .flat_term  = fit_kaplan_flat_term,
};

/* The label shows the exponent of N/N_c itself, alpha_N/alpha_D. */
static size_t fit_kaplan_label_values(const struct fit_result *r, double *v) {
    v[0] = r->param[0].value.estimate;
    v[1] = r->param[1].value.estimate / r->param[3].value.estimate;
    v[2] = r->param[2].value.estimate;
    v[3] = r->param[3].value.estimate;
    return 4;
}

/* The minimum over N of L(N, C/(6N)) has the closed form N^(p+1) = p N_c^p C / (6 D_c) with
 * p = alpha_N/alpha_D. */
static void fit_kaplan_optimal_nd(const struct fit_result *r, double c, double *n, double *d) {
    double nc = r->param[0].value.estimate, an = r->param[1].value.estimate;
    double dc = r->param[2].value.estimate, ad = r->param[3].value.estimate;
    double p = an / ad;
    *n       = exp((log(p) + p * log(nc) + log(c) - log(6) - log(dc)) / (p + 1));
    *d       = c / 6 / *n;
}

const struct fit_law_desc fit_law_kaplan_nd = {
    .name          = "kaplan-nd",
    .formula       = "L = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D",
    .n_theta       = 4,
    .n_vars        = 2,
    .n_report      = 4,
    .params        = {{"N_c", "parameters", true, -1, false},
                      {"alpha_N", "", false, -1, false, FIT_EXPONENT_X1},
                      {"D_c", "tokens", true, -1, false},
                      {"alpha_D", "", false, -1, false, FIT_EXPONENT_X2}},
    .term_exp      = {-1, -1, -1, -1},
    .can_fix       = true,
    .fix           = {{0, -1}, {1, -1}, {2, -1}, {3, -1}},
    .var_options   = {"--n", "--d"},
    .var_fields    = {offsetof(struct fit_columns, n), offsetof(struct fit_columns, d)},
    .label         = "L = (($0/N)^{$1} + $2/D)^{$3}",
    .label_values  = fit_kaplan_label_values,
    .optimal_nd    = fit_kaplan_optimal_nd,
    .optimal_label = "compute-optimal N_{opt}(C), least loss at C = 6ND",
    .form          = &fit_law_kaplan_form,
};
