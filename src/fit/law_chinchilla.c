/*
 * law_chinchilla.c — the law L = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022): theta =
 * (e, a, alpha, b, beta) with ln L = LSE(e, a - alpha ln N, b - beta ln D); E, A and B may each
 * sit at their bound 0 (a term at 0 takes its exponent with it). The search projects out
 * (E, A, B) on the (alpha, beta) grid. Fitted with Huber's loss by default; its compute-optimal
 * allocation (Approach 3, C = 6ND) gives a_opt, b_opt, G, N_opt, D_opt. Its form's functions
 * also serve Kaplan's learning-curve laws (law_kaplan_ns.c).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "internal.h"

double fit_chinchilla_lnpred(const double *th, const bool *active, double lx1, double lx2,
                             double lx3, double *grad) {
    (void)lx3;
    double t[3], p[3];
    bool   use[3];
    t[0] = th[0], use[0] = active[0];
    t[1] = th[1] - th[2] * lx1, use[1] = active[1];
    t[2] = th[3] - th[4] * lx2, use[2] = active[3];
    double v = fit_law_lse(t, use, 3, p);
    if (grad) {
        grad[0] = active[0] ? p[0] : 0;
        grad[1] = active[1] ? p[1] : 0;
        grad[2] = active[1] ? -p[1] * lx1 : 0;
        grad[3] = active[3] ? p[2] : 0;
        grad[4] = active[3] ? -p[2] * lx2 : 0;
    }
    return v;
}

static void fit_chinchilla_natural(const double *th, const bool *active, double *nat) {
    nat[0] = active[0] ? exp(th[0]) : 0;
    nat[1] = active[1] ? exp(th[1]) : 0;
    nat[2] = th[2];
    nat[3] = active[3] ? exp(th[3]) : 0;
    nat[4] = th[4];
}

static void fit_chinchilla_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n,
             "alpha, beta in [%g, %g] step %g (E, A, B by NNLS), best %zu cells refined to "
             "step %g",
             p->exp_min, p->exp_max, p->exp_step, p->refine_cells,
             p->exp_step / (double)p->refine_divisions);
}

void fit_chinchilla_cell_row(const struct fit_problem *pb, size_t i, double sc, double e2,
                             const struct fit_cell_cols *cc, double *col, double *t) {
    (void)pb, (void)e2, (void)t;
    col[0] = sc, col[1] = sc * cc->u[i], col[2] = sc * cc->v[i];
}

double fit_chinchilla_cell_pred(const double *coef, const struct fit_cell_cols *cc, size_t i) {
    return coef[0] + coef[1] * cc->u[i] + coef[2] * cc->v[i];
}

bool fit_chinchilla_cell_theta(const double *coef, double e1, double e2, struct fit_candidate *c) {
    if (!(coef[1] > 0) && !(coef[2] > 0)) return false;
    c->active[0] = coef[0] > 0;
    c->active[1] = c->active[2] = coef[1] > 0;
    c->active[3] = c->active[4] = coef[2] > 0;
    c->theta[0]                 = c->active[0] ? log(coef[0]) : 0;
    c->theta[1]                 = c->active[1] ? log(coef[1]) : 0;
    c->theta[2]                 = e1;
    c->theta[3]                 = c->active[3] ? log(coef[2]) : 0;
    c->theta[4]                 = e2;
    return true;
}

/* A term whose exponent left its range goes to its bound, unless it is the last one. */
int fit_chinchilla_flat_term(const double *th, const bool *active,
                             const struct fit_parameters *prm) {
    if (active[1] && fit_exponent_out(th[2], prm)) return active[3] ? 1 : FIT_TERM_INVALID;
    if (active[3] && fit_exponent_out(th[4], prm)) return active[1] ? 3 : FIT_TERM_INVALID;
    return -1;
}

/* Chinchilla's compute-optimal allocation (Hoffmann et al. 2022, Approach 3, C = 6ND). */
static double fit_chinchilla_alloc(const double *nat, size_t which, double c) {
    double A = nat[1], alpha = nat[2], B = nat[3], beta = nat[4];
    if (!(A > 0) || !(B > 0) || !(alpha + beta != 0)) return NAN;
    double G = pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
    double a = beta / (alpha + beta), b = alpha / (alpha + beta);
    switch (which) {
    case 0: return a;
    case 1: return b;
    case 2: return G;
    case 3: return G * pow(c / 6, a);           /* N_opt */
    case 4: return pow(c / 6, b) / G;           /* D_opt */
    case 5: return pow(c / 6, b - a) / (G * G); /* D_opt / N_opt */
    }
    return NAN;
}

/* N_opt = G (C/6)^a_opt from the reported a_opt and G. */
static void fit_chinchilla_optimal_nd(const struct fit_result *r, double c, double *n, double *d) {
    double a = r->derived[0].estimate, g = r->derived[2].estimate;
    *n = g * pow(c / 6, a);
    *d = c / 6 / *n;
}

static const size_t fit_chinchilla_inseparable[2] = {2, 4}; /* alpha, beta */

static const struct fit_law_form fit_law_chinchilla_form = {
    .lnpred     = fit_chinchilla_lnpred,
    .natural    = fit_chinchilla_natural,
    .n_coef     = 3,
    .n_exp      = 2,
    .exp_theta  = {2, 4},
    .cols       = FIT_COLS_POWERS,
    .grid       = fit_law_grid_positive,
    .grid_text  = fit_chinchilla_grid_text,
    .cell_row   = fit_chinchilla_cell_row,
    .cell_pred  = fit_chinchilla_cell_pred,
    .cell_theta = fit_chinchilla_cell_theta,
    .flat_term  = fit_chinchilla_flat_term,
};

const struct fit_law_desc fit_law_chinchilla = {
    .name           = "chinchilla",
    .formula        = "L = E + A/N^alpha + B/D^beta",
    .n_theta        = 5,
    .n_vars         = 2,
    .n_report       = 5,
    .params         = {{"E", "nats/token", true, 0, false},
                       {"A", "nats/token x N^alpha", true, 1, false},
                       {"alpha", "", false, 1, true, FIT_EXPONENT_X1},
                       {"B", "nats/token x D^beta", true, 3, false},
                       {"beta", "", false, 3, true, FIT_EXPONENT_X2}},
    .can_bound      = {true, true, false, true, false},
    .term_exp       = {-1, 2, -1, 4, -1},
    .term_var       = {0, 1, 0, 2, 0},
    .has_constant   = true,
    .can_fix        = true,
    .fix            = {{0, -1}, {1, -1}, {2, -1}, {3, -1}, {4, -1}},
    .huber_default  = true,
    .var_options    = {"--n", "--d"},
    .var_fields     = {offsetof(struct fit_columns, n), offsetof(struct fit_columns, d)},
    .label_constant = "E",
    .label          = "L = $0 + $1/N^{$2} + $3/D^{$4}",
    .optimal_nd     = fit_chinchilla_optimal_nd,
    .optimal_label  = "compute-optimal N_{opt} = G (C/6)^{a}, a = $0",
    .alloc          = fit_chinchilla_alloc,
    .n_derived      = 3,
    .derived_names  = {"a_opt", "b_opt", "G"},
    .derived_labels = {"a_opt = beta/(alpha+beta)", "b_opt = alpha/(alpha+beta)", "G"},
    .inseparable    = fit_chinchilla_inseparable,
    .form           = &fit_law_chinchilla_form,
};
