/*
 * law_kaplan_ns.c — Kaplan et al. (2020)'s learning-curve law L(N, S) = (N_c/N)^alpha_N +
 * (S_c/S)^alpha_S (their eq. 1.6), fitted to the points of learning curves (model size N and
 * training step S), and the same with a constant E in front (kaplan-ns+const). Both share
 * chinchilla's form (law_chinchilla.c): theta = (e, a, alpha_N, b, alpha_S) with a = alpha_N
 * ln N_c and b = alpha_S ln S_c; kaplan-ns keeps e inactive, so its search projects out the two
 * coefficients only. Kaplan's S is S_min, the steps at a batch far above the critical batch;
 * with one fixed batch the steps stand in for it (report.md says so).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "internal.h"

/* The scale of a term from its log-coefficient and exponent: (x_c/x)^alpha = exp(a) x^-alpha
 * gives x_c = exp(a/alpha); 0 when the term is held at its bound. */
static double fit_kaplan_ns_scale(const double *th, const bool *active, size_t coef) {
    return active[coef] && th[coef + 1] != 0 ? exp(th[coef] / th[coef + 1]) : 0;
}

static void fit_kaplan_ns_natural(const double *th, const bool *active, double *nat) {
    nat[0] = fit_kaplan_ns_scale(th, active, 1);
    nat[1] = th[2];
    nat[2] = fit_kaplan_ns_scale(th, active, 3);
    nat[3] = th[4];
}

static void fit_kaplan_ns_const_natural(const double *th, const bool *active, double *nat) {
    nat[0] = active[0] ? exp(th[0]) : 0;
    fit_kaplan_ns_natural(th, active, nat + 1);
}

static void fit_kaplan_ns_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n,
             "alpha_N, alpha_S in [%g, %g] step %g (the coefficients by NNLS), best %zu cells "
             "refined to step %g",
             p->exp_min, p->exp_max, p->exp_step, p->refine_cells,
             p->exp_step / (double)p->refine_divisions);
}

/* Without the constant: the columns of the two terms only. */
static void fit_kaplan_ns_cell_row(const struct fit_problem *pb, size_t i, double sc, double e2,
                                   const struct fit_cell_cols *cc, double *col, double *t) {
    (void)pb, (void)e2, (void)t;
    col[0] = sc * cc->u[i], col[1] = sc * cc->v[i];
}

static double fit_kaplan_ns_cell_pred(const double *coef, const struct fit_cell_cols *cc,
                                      size_t i) {
    return coef[0] * cc->u[i] + coef[1] * cc->v[i];
}

static bool fit_kaplan_ns_cell_theta(const double *coef, double e1, double e2,
                                     struct fit_candidate *c) {
    const double with_e[3] = {0, coef[0], coef[1]};
    if (!fit_chinchilla_cell_theta(with_e, e1, e2, c)) return false;
    c->active[0] = false;
    return true;
}

static const size_t fit_kaplan_ns_inseparable[2] = {2, 4}; /* alpha_N, alpha_S */

static const struct fit_law_form fit_kaplan_ns_form = {
    .lnpred     = fit_chinchilla_lnpred,
    .natural    = fit_kaplan_ns_natural,
    .n_coef     = 2,
    .n_exp      = 2,
    .exp_theta  = {2, 4},
    .cols       = FIT_COLS_POWERS,
    .grid       = fit_law_grid_positive,
    .grid_text  = fit_kaplan_ns_grid_text,
    .cell_row   = fit_kaplan_ns_cell_row,
    .cell_pred  = fit_kaplan_ns_cell_pred,
    .cell_theta = fit_kaplan_ns_cell_theta,
    .flat_term  = fit_chinchilla_flat_term,
};

static const struct fit_law_form fit_kaplan_ns_const_form = {
    .lnpred     = fit_chinchilla_lnpred,
    .natural    = fit_kaplan_ns_const_natural,
    .n_coef     = 3,
    .n_exp      = 2,
    .exp_theta  = {2, 4},
    .cols       = FIT_COLS_POWERS,
    .grid       = fit_law_grid_positive,
    .grid_text  = fit_kaplan_ns_grid_text,
    .cell_row   = fit_chinchilla_cell_row,
    .cell_pred  = fit_chinchilla_cell_pred,
    .cell_theta = fit_chinchilla_cell_theta,
    .flat_term  = fit_chinchilla_flat_term,
};

#define FIT_KAPLAN_NS_NOTE                                                                         \
    "S is the training step of each point of a learning curve. Kaplan et al. write S_min, the "    \
    "steps needed at a batch far above the critical batch; with one fixed batch the steps "        \
    "stand in for S_min, so S_c and alpha_S hold for that batch."

const struct fit_law_desc fit_law_kaplan_ns = {
    .name        = "kaplan-ns",
    .formula     = "L = (N_c/N)^alpha_N + (S_c/S)^alpha_S",
    .n_theta     = 5,
    .n_vars      = 2,
    .n_report    = 4,
    .params      = {{"N_c", "parameters", true, 1, false},
                    {"alpha_N", "", false, 1, true, FIT_EXPONENT_X1},
                    {"S_c", "steps", true, 3, false},
                    {"alpha_S", "", false, 3, true, FIT_EXPONENT_X2}},
    .can_bound   = {false, true, false, true, false},
    .term_exp    = {-1, 2, -1, 4, -1},
    .term_var    = {0, 1, 0, 2, 0},
    .var_options = {"--n", "--step"},
    .var_fields  = {offsetof(struct fit_columns, n), offsetof(struct fit_columns, step)},
    .can_fix     = true,
    .fix         = {{1, 2}, {2, -1}, {3, 4}, {4, -1}},
    .label       = "L = ($0/N)^{$1} + ($2/S)^{$3}",
    .note        = FIT_KAPLAN_NS_NOTE,
    .inseparable = fit_kaplan_ns_inseparable,
    .form        = &fit_kaplan_ns_form,
};

const struct fit_law_desc fit_law_kaplan_ns_const = {
    .name           = "kaplan-ns+const",
    .formula        = "L = E + (N_c/N)^alpha_N + (S_c/S)^alpha_S",
    .n_theta        = 5,
    .n_vars         = 2,
    .n_report       = 5,
    .params         = {{"E", "nats/token", true, 0, false},
                       {"N_c", "parameters", true, 1, false},
                       {"alpha_N", "", false, 1, true, FIT_EXPONENT_X1},
                       {"S_c", "steps", true, 3, false},
                       {"alpha_S", "", false, 3, true, FIT_EXPONENT_X2}},
    .can_bound      = {true, true, false, true, false},
    .term_exp       = {-1, 2, -1, 4, -1},
    .term_var       = {0, 1, 0, 2, 0},
    .has_constant   = true,
    .can_fix        = true,
    .fix            = {{0, -1}, {1, 2}, {2, -1}, {3, 4}, {4, -1}},
    .var_options    = {"--n", "--step"},
    .var_fields     = {offsetof(struct fit_columns, n), offsetof(struct fit_columns, step)},
    .label_constant = "E",
    .label          = "L = $0 + ($1/N)^{$2} + ($3/S)^{$4}",
    .note           = FIT_KAPLAN_NS_NOTE,
    .inseparable    = fit_kaplan_ns_inseparable,
    .form           = &fit_kaplan_ns_const_form,
};
