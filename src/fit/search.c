/*
 * search.c — the global search. For fixed exponents each law is linear in its coefficients
 * (variable projection): power+const and chinchilla in (L_inf, scale) and (E, A, B); power in
 * its scale; kaplan-nd, after raising L to 1/alpha_D, in (N_c^(alpha_N/alpha_D), D_c). The
 * coefficients come from non-negative least squares, in linear space with rows weighted by 1/L
 * for log-space fits (so that the linear residual approximates the log one). Every cell is then
 * scored on the true objective, the best cells are refined on a finer grid, and the candidates
 * are returned sorted, best first, for the polish.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Largest exponent argument evaluated before a cell is skipped (exp overflow). */
static const double fit_search_max_exp_arg = 700.0;

static enum sf_status fit_cells_push_impl(struct fit_workspace *ws, const struct fit_candidate *c,
                                          struct sf_error *err) {
    if (ws->n_cells == ws->cap_cells) {
        size_t cap = ws->cap_cells ? 2 * ws->cap_cells : 1024;
        struct fit_candidate *cells = realloc(ws->cells, cap * sizeof *cells);
        if (cells == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory in the grid search");
        ws->cells     = cells;
        ws->cap_cells = cap;
    }
    ws->cells[ws->n_cells++] = *c;
    return SF_OK;
}

/* Row weight and target of the linear solve for point i: the solve minimises
 * Σ (s_i (Σ_k c_k col_k) - t_i)². Log space: s = sqrt(w)/y, t = sqrt(w). */
static void fit_row_scale_impl(const struct fit_problem *pb, size_t i, double *s, double *t) {
    double sw = sqrt(pb->w ? pb->w[i] : 1.0);
    if (pb->space == FIT_SPACE_LOG) {
        *s = sw / pb->y[i];
        *t = sw;
    } else {
        *s = sw;
        *t = sw * pb->y[i];
    }
}

/* Scores a candidate on the true objective; INFINITY when a prediction is not finite. */
static double fit_score_impl(const struct fit_problem *pb, struct fit_workspace *ws,
                             const struct fit_candidate *c) {
    if (!fit_problem_residuals(pb, c->theta, c->active, ws->r, NULL)) return INFINITY;
    double v = fit_problem_objective(pb, ws->r);
    return isfinite(v) ? v : INFINITY;
}

/* One cell: the linear solve at exponents (e1, e2), the candidate's theta and its score.
 * Returns false when the cell gives no usable candidate. */
static bool fit_cell_impl(const struct fit_problem *pb, struct fit_workspace *ws, double e1,
                          double e2, struct fit_candidate *c) {
    const struct fit_law_desc *law = pb->law;
    struct fit_nnls            s;
    double                     coef[FIT_NNLS_MAX], col[FIT_NNLS_MAX];
    memset(c, 0, sizeof *c);
    switch (law->kind) {
    case FIT_LAW_POWER:
        fit_nnls_reset(&s, 1);
        for (size_t i = 0; i < pb->n; i++) {
            double sc, t, arg = -e1 * pb->lx1[i];
            if (fabs(arg) > fit_search_max_exp_arg) return false;
            fit_row_scale_impl(pb, i, &sc, &t);
            col[0] = sc * exp(arg);
            fit_nnls_add(&s, col, t);
        }
        fit_nnls_solve(&s, coef);
        if (!(coef[0] > 0)) return false;
        c->theta[0] = log(coef[0]), c->theta[1] = e1;
        c->active[0] = c->active[1] = true;
        break;
    case FIT_LAW_POWER_CONST:
    case FIT_LAW_FRONTIER:
        fit_nnls_reset(&s, 2);
        for (size_t i = 0; i < pb->n; i++) {
            double sc, t, arg = -e1 * pb->lx1[i];
            if (fabs(arg) > fit_search_max_exp_arg) return false;
            fit_row_scale_impl(pb, i, &sc, &t);
            col[0] = sc;
            col[1] = sc * exp(arg);
            fit_nnls_add(&s, col, t);
        }
        fit_nnls_solve(&s, coef);
        if (!(coef[1] > 0)) return false; /* no reducible term: not this law */
        c->active[0] = coef[0] > 0;
        c->theta[0]  = c->active[0] ? log(coef[0]) : 0;
        c->theta[1] = log(coef[1]), c->theta[2] = e1;
        c->active[1] = c->active[2] = true;
        break;
    case FIT_LAW_CHINCHILLA:
        fit_nnls_reset(&s, 3);
        for (size_t i = 0; i < pb->n; i++) {
            double sc, t, a1 = -e1 * pb->lx1[i], a2 = -e2 * pb->lx2[i];
            if (fabs(a1) > fit_search_max_exp_arg || fabs(a2) > fit_search_max_exp_arg)
                return false;
            fit_row_scale_impl(pb, i, &sc, &t);
            col[0] = sc;
            col[1] = sc * exp(a1);
            col[2] = sc * exp(a2);
            fit_nnls_add(&s, col, t);
        }
        fit_nnls_solve(&s, coef);
        if (!(coef[1] > 0) && !(coef[2] > 0)) return false;
        c->active[0] = coef[0] > 0;
        c->active[1] = c->active[2] = coef[1] > 0;
        c->active[3] = c->active[4] = coef[2] > 0;
        c->theta[0]  = c->active[0] ? log(coef[0]) : 0;
        c->theta[1]  = c->active[1] ? log(coef[1]) : 0;
        c->theta[2]  = e1;
        c->theta[3]  = c->active[3] ? log(coef[2]) : 0;
        c->theta[4]  = e2;
        break;
    case FIT_LAW_KAPLAN_ND: {
        /* L^(1/alpha_D) = c1 N^(-r) + c2 / D with r = alpha_N/alpha_D; rows divided by
         * t_i = y_i^(1/alpha_D) (log space), computed in logs to avoid overflow. */
        double r = e1 / e2;
        fit_nnls_reset(&s, 2);
        for (size_t i = 0; i < pb->n; i++) {
            double lt = pb->ly[i] / e2;
            double a1 = -r * pb->lx1[i] - lt, a2 = -pb->lx2[i] - lt;
            if (fabs(a1) > fit_search_max_exp_arg || fabs(a2) > fit_search_max_exp_arg)
                return false;
            double sw = sqrt(pb->w ? pb->w[i] : 1.0);
            double sc = sw, t = sw;
            if (pb->space == FIT_SPACE_LINEAR) { /* dL = alpha_D L dt / t */
                sc = sw * e2 * pb->y[i];
                t  = sc;
            }
            col[0] = sc * exp(a1);
            col[1] = sc * exp(a2);
            fit_nnls_add(&s, col, t);
        }
        fit_nnls_solve(&s, coef);
        if (!(coef[0] > 0) || !(coef[1] > 0)) return false;
        c->theta[0] = log(coef[0]) / r;
        c->theta[1] = e1;
        c->theta[2] = log(coef[1]);
        c->theta[3] = e2;
        for (size_t j = 0; j < 4; j++) c->active[j] = true;
        break;
    }
    case FIT_LAW_COUNT: return false;
    }
    c->objective = fit_score_impl(pb, ws, c);
    return isfinite(c->objective);
}

static int fit_candidate_cmp_impl(const void *a, const void *b) {
    double x = ((const struct fit_candidate *)a)->objective;
    double y = ((const struct fit_candidate *)b)->objective;
    return (x > y) - (x < y);
}

/* The exponents of a candidate (1 or 2 of them) and the grid over them. */
static size_t fit_n_exp_impl(const struct fit_law_desc *law) {
    return (law->kind == FIT_LAW_CHINCHILLA || law->kind == FIT_LAW_KAPLAN_ND) ? 2 : 1;
}

static void fit_exponents_impl(const struct fit_law_desc *law, const struct fit_candidate *c,
                               double *e) {
    switch (law->kind) {
    case FIT_LAW_POWER: e[0] = c->theta[1], e[1] = 0; break;
    case FIT_LAW_CHINCHILLA: e[0] = c->theta[2], e[1] = c->theta[4]; break;
    case FIT_LAW_KAPLAN_ND: e[0] = c->theta[1], e[1] = c->theta[3]; break;
    default: e[0] = c->theta[2], e[1] = 0; break;
    }
}

enum sf_status fit_search(const struct fit_problem *pb, const struct fit_parameters *prm,
                          struct fit_workspace *ws, size_t *n_evaluated, struct sf_error *err) {
    const struct fit_law_desc *law  = pb->law;
    const size_t               ndim = fit_n_exp_impl(law);
    double lo = prm->exp_min, hi = prm->exp_max, step = prm->exp_step;
    if (law->kind == FIT_LAW_POWER) lo = prm->exp_min_signed;
    if (law->kind == FIT_LAW_KAPLAN_ND) {
        lo   = prm->kaplan_exp_min;
        hi   = prm->kaplan_exp_max;
        step = prm->kaplan_exp_step;
    }
    const size_t n_axis = (size_t)floor((hi - lo) / step + 0.5) + 1;
    ws->n_cells         = 0;
    size_t evaluated    = 0;
    struct fit_candidate c;
    /* The coarse grid. */
    for (size_t i = 0; i < n_axis; i++) {
        for (size_t j = 0; j < (ndim == 2 ? n_axis : 1); j++) {
            double e1 = lo + step * (double)i, e2 = lo + step * (double)j;
            if (law->kind == FIT_LAW_KAPLAN_ND && (e1 <= 0 || e2 <= 0)) continue;
            evaluated++;
            if (!fit_cell_impl(pb, ws, e1, e2, &c)) continue;
            enum sf_status st = fit_cells_push_impl(ws, &c, err);
            if (st != SF_OK) return st;
        }
    }
    if (ws->n_cells == 0) {
        *n_evaluated = evaluated;
        SF_FAIL(err, SF_ERUNTIME,
                "the grid search found no usable starting point for %s (every cell gave "
                "non-positive coefficients or non-finite predictions)",
                law->name);
    }
    qsort(ws->cells, ws->n_cells, sizeof *ws->cells, fit_candidate_cmp_impl);
    /* Refine around the best distinct coarse cells on a finer grid spanning ± one step. */
    size_t n_coarse = ws->n_cells, refined = 0;
    double centres[64][2];
    size_t n_centres = 0;
    for (size_t k = 0; k < n_coarse && n_centres < prm->refine_cells && n_centres < 64; k++) {
        double e[2];
        fit_exponents_impl(law, &ws->cells[k], e);
        bool near = false;
        for (size_t m = 0; m < n_centres; m++)
            if (fabs(e[0] - centres[m][0]) < 1.5 * step &&
                (ndim == 1 || fabs(e[1] - centres[m][1]) < 1.5 * step))
                near = true;
        if (near) continue;
        centres[n_centres][0] = e[0];
        centres[n_centres][1] = e[1];
        n_centres++;
    }
    const size_t div  = prm->refine_divisions;
    const double fine = step / (double)div;
    for (size_t m = 0; m < n_centres; m++) {
        for (size_t i = 0; i <= 2 * div; i++) {
            for (size_t j = 0; j <= (ndim == 2 ? 2 * div : 0); j++) {
                if (i == div && (ndim == 1 || j == div)) continue; /* the coarse cell itself */
                double e1 = centres[m][0] + fine * ((double)i - (double)div);
                double e2 = ndim == 2 ? centres[m][1] + fine * ((double)j - (double)div) : 0;
                if (law->kind == FIT_LAW_KAPLAN_ND && (e1 <= 0 || e2 <= 0)) continue;
                refined++;
                if (!fit_cell_impl(pb, ws, e1, e2, &c)) continue;
                enum sf_status st = fit_cells_push_impl(ws, &c, err);
                if (st != SF_OK) return st;
            }
        }
    }
    qsort(ws->cells, ws->n_cells, sizeof *ws->cells, fit_candidate_cmp_impl);
    *n_evaluated = evaluated + refined;
    return SF_OK;
}

size_t fit_search_pick(const struct fit_problem *pb, const struct fit_parameters *prm,
                       const struct fit_workspace *ws, size_t *pick, size_t max) {
    const struct fit_law_desc *law  = pb->law;
    const size_t               ndim = fit_n_exp_impl(law);
    double step = law->kind == FIT_LAW_KAPLAN_ND ? prm->kaplan_exp_step : prm->exp_step;
    size_t n    = 0;
    for (size_t k = 0; k < ws->n_cells && n < max; k++) {
        double e[2];
        fit_exponents_impl(law, &ws->cells[k], e);
        bool near = false;
        for (size_t m = 0; m < n && !near; m++) {
            double f[2];
            fit_exponents_impl(law, &ws->cells[pick[m]], f);
            if (fabs(e[0] - f[0]) < 0.5 * step && (ndim == 1 || fabs(e[1] - f[1]) < 0.5 * step))
                near = true;
        }
        if (!near) pick[n++] = k;
    }
    return n;
}
