/*
 * search.c — the global search. For fixed exponents each law is linear in its coefficients
 * (variable projection; the law's entry gives the columns, the linear prediction and the
 * candidate's theta): power+const and chinchilla in (L_inf, scale) and (E, A, B); power in
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
/* Most cells refined. Refined cells lie more than this many coarse steps apart (their fine
 * grids, ± one step, barely touch); polish starts at least this many coarse steps apart. */
#define FIT_SEARCH_MAX_CENTRES 64
static const double fit_search_centre_gap = 1.5;
static const double fit_search_start_gap  = 0.5;

enum sf_status fit_search_push(struct fit_workspace *ws, const struct fit_candidate *c,
                               struct sf_error *err) {
    if (ws->n_cells == ws->cap_cells) {
        size_t                cap   = ws->cap_cells ? 2 * ws->cap_cells : 1024;
        struct fit_candidate *cells = realloc(ws->cells, cap * sizeof *cells);
        if (cells == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory in the grid search");
        ws->cells     = cells;
        ws->cap_cells = cap;
    }
    ws->cells[ws->n_cells++] = *c;
    return SF_OK;
}

static bool fit_col_fill_impl(const double *lx, double e, size_t n, double *out) {
    for (size_t i = 0; i < n; i++) {
        double arg = -e * lx[i];
        if (fabs(arg) > fit_search_max_exp_arg) return false;
        out[i] = exp(arg);
    }
    return true;
}

/* FIT_COLS_LOG's column ln x - c; false when some entry is not positive (a cell whose N_c is
 * not below every x). */
static bool fit_col_log_impl(const double *lx, double c, size_t n, double *out) {
    for (size_t i = 0; i < n; i++) {
        out[i] = lx[i] - c;
        if (!(out[i] > 0)) return false;
    }
    return true;
}

/* One cell: the non-negative linear solve for the coefficients (the law's columns), the
 * candidate's theta, and its true objective computed from the linear predictions (one log per
 * point). Returns false when the cell gives no usable candidate. */
static bool fit_cell_impl(const struct fit_problem *pb, struct fit_workspace *ws, double e1,
                          double e2, const struct fit_cell_cols *cc, struct fit_candidate *c) {
    const struct fit_law_desc *law = pb->law;
    const size_t               n   = pb->n;
    struct fit_nnls            s;
    double                     coef[FIT_NNLS_MAX] = {0}, col[FIT_NNLS_MAX];
    memset(c, 0, sizeof *c);
    fit_nnls_reset(&s, law->form->n_coef);
    for (size_t i = 0; i < n; i++) {
        double t = ws->row_t[i];
        law->form->cell_row(pb, i, ws->row_s[i], e2, cc, col, &t);
        fit_nnls_add(&s, col, t);
    }
    fit_nnls_solve(&s, coef);
    /* Linear predictions of the cell; their logs give the residuals. */
    double *pred = ws->r;
    for (size_t i = 0; i < n; i++) {
        pred[i] = law->form->cell_pred(coef, cc, i);
        if (!(pred[i] > 0)) return false;
    }
    double obj = 0;
    for (size_t i = 0; i < n; i++) {
        double lp = log(pred[i]);
        if (law->form->cols == FIT_COLS_ROOT) lp *= e2; /* the prediction was L^(1/e2) */
        double r  = pb->space == FIT_SPACE_LOG ? lp - pb->ly[i] : exp(lp) - pb->y[i];
        double wi = pb->w ? pb->w[i] : 1.0;
        obj += wi * fit_rho(pb->loss, r, pb->delta);
    }
    if (!isfinite(obj)) return false;
    c->objective = obj;
    return law->form->cell_theta(coef, e1, e2, c);
}

/* Ensures the workspace holds `doubles` of table space (allocated once, reused by replicates). */
static enum sf_status fit_tab_reserve_impl(struct fit_workspace *ws, size_t doubles,
                                           struct sf_error *err) {
    if (ws->tab_cap >= doubles) return SF_OK;
    double *t = realloc(ws->tab, doubles * sizeof *t);
    if (t == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory in the grid search");
    ws->tab     = t;
    ws->tab_cap = doubles;
    return SF_OK;
}

/* Evaluates the cell (e1, e2) with columns computed on the fly into the scratch tables. */
static bool fit_cell_fresh_impl(const struct fit_problem *pb, struct fit_workspace *ws, double e1,
                                double e2, double *scratch, struct fit_candidate *c) {
    const size_t         n = pb->n;
    double              *u = scratch, *v = scratch + n, *q = scratch + 2 * n;
    struct fit_cell_cols cc = {u, v, q};
    if (pb->law->form->cols == FIT_COLS_ROOT) {
        if (!fit_col_fill_impl(pb->lx1, e1 / e2, n, u) || !fit_col_fill_impl(pb->lx2, 1.0, n, v) ||
            !fit_col_fill_impl(pb->ly, 1.0 / e2, n, q))
            return false;
    } else if (pb->law->form->cols == FIT_COLS_LOG) {
        if (!fit_col_log_impl(pb->lx1, e1, n, u)) return false;
    } else {
        if (!fit_col_fill_impl(pb->lx1, e1, n, u)) return false;
        if (pb->law->form->n_exp == 2 && !fit_col_fill_impl(pb->lx2, e2, n, v)) return false;
    }
    return fit_cell_impl(pb, ws, e1, e2, &cc, c);
}

static int fit_candidate_cmp_impl(const void *a, const void *b) {
    double x = ((const struct fit_candidate *)a)->objective;
    double y = ((const struct fit_candidate *)b)->objective;
    return (x > y) - (x < y);
}

void fit_search_rows(const struct fit_problem *pb, struct fit_workspace *ws) {
    for (size_t i = 0; i < pb->n; i++) {
        double sw    = sqrt(pb->w ? pb->w[i] : 1.0);
        ws->row_s[i] = pb->space == FIT_SPACE_LOG ? sw / pb->y[i] : sw;
        ws->row_t[i] = pb->space == FIT_SPACE_LOG ? sw : sw * pb->y[i];
    }
}

void fit_search_sort(struct fit_workspace *ws) {
    qsort(ws->cells, ws->n_cells, sizeof *ws->cells, fit_candidate_cmp_impl);
}

/* The exponents of a candidate (1 or 2 of them; the second 0 for one). */
static void fit_exponents_impl(const struct fit_law_desc *law, const struct fit_candidate *c,
                               double *e) {
    e[0] = c->theta[law->form->exp_theta[0]];
    e[1] = law->form->n_exp == 2 ? c->theta[law->form->exp_theta[1]] : 0;
}

enum sf_status fit_search(const struct fit_problem *pb, const struct fit_parameters *prm,
                          struct fit_workspace *ws, size_t *n_evaluated, struct sf_error *err) {
    if (pb->law->form->search) return pb->law->form->search(pb, prm, ws, n_evaluated, err);
    const struct fit_law_desc *law  = pb->law;
    const size_t               ndim = law->form->n_exp;
    const bool                 root = law->form->cols == FIT_COLS_ROOT;
    double                     lo, hi, step;
    law->form->grid(prm, &lo, &hi, &step);
    const size_t n_axis            = (size_t)floor((hi - lo) / step + 0.5) + 1;
    const size_t n                 = pb->n;
    ws->n_cells                    = 0;
    size_t               evaluated = 0;
    struct fit_candidate c;
    fit_search_rows(pb, ws);
    /* Column tables along each axis of the coarse grid (NAN rows mark overflow), then three
     * scratch columns for refined cells. */
    enum sf_status st = fit_tab_reserve_impl(ws, (2 * n_axis + 3) * n, err);
    if (st != SF_OK) return st;
    double *t1 = ws->tab, *t2 = ws->tab + n_axis * n, *scratch = ws->tab + 2 * n_axis * n;
    for (size_t a = 0; a < n_axis; a++) {
        double e = lo + step * (double)a;
        if (root) {
            /* t1: y^(-1/alpha_D) per alpha_D; t2 unused (1/D is the same for every cell). */
            if (!fit_col_fill_impl(pb->ly, 1.0 / e, n, t1 + a * n)) t1[a * n] = NAN;
        } else if (law->form->cols == FIT_COLS_LOG) {
            if (!fit_col_log_impl(pb->lx1, e, n, t1 + a * n)) t1[a * n] = NAN;
        } else {
            if (!fit_col_fill_impl(pb->lx1, e, n, t1 + a * n)) t1[a * n] = NAN;
            if (ndim == 2 && !fit_col_fill_impl(pb->lx2, e, n, t2 + a * n)) t2[a * n] = NAN;
        }
    }
    if (root && !fit_col_fill_impl(pb->lx2, 1.0, n, t2))
        SF_FAIL(err, SF_ERUNTIME, "the data's D values overflow the search");
    for (size_t i = 0; i < n_axis; i++) {
        for (size_t j = 0; j < (ndim == 2 ? n_axis : 1); j++) {
            double e1 = lo + step * (double)i, e2 = lo + step * (double)j;
            if (root && (e1 <= 0 || e2 <= 0)) continue;
            evaluated++;
            bool ok;
            if (root) {
                if (isnan(t1[j * n])) continue;
                /* u = N^-(alpha_N/alpha_D) depends on both exponents. */
                if (!fit_col_fill_impl(pb->lx1, e1 / e2, n, scratch)) continue;
                struct fit_cell_cols cc = {scratch, t2, t1 + j * n};
                ok                      = fit_cell_impl(pb, ws, e1, e2, &cc, &c);
            } else {
                if (isnan(t1[i * n]) || (ndim == 2 && isnan(t2[j * n]))) continue;
                struct fit_cell_cols cc = {t1 + i * n, ndim == 2 ? t2 + j * n : NULL, NULL};
                ok                      = fit_cell_impl(pb, ws, e1, e2, &cc, &c);
            }
            if (!ok) continue;
            st = fit_search_push(ws, &c, err);
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
    double centres[FIT_SEARCH_MAX_CENTRES][2];
    size_t n_centres = 0;
    for (size_t k = 0;
         k < n_coarse && n_centres < prm->refine_cells && n_centres < FIT_SEARCH_MAX_CENTRES; k++) {
        double e[2];
        fit_exponents_impl(law, &ws->cells[k], e);
        bool near = false;
        for (size_t m = 0; m < n_centres; m++)
            if (fabs(e[0] - centres[m][0]) < fit_search_centre_gap * step &&
                (ndim == 1 || fabs(e[1] - centres[m][1]) < fit_search_centre_gap * step))
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
                /* The fine grid stays inside the coarse grid's range. */
                if (e1 < lo || e1 > hi || (ndim == 2 && (e2 < lo || e2 > hi))) continue;
                if (root && (e1 <= 0 || e2 <= 0)) continue;
                refined++;
                if (!fit_cell_fresh_impl(pb, ws, e1, e2, scratch, &c)) continue;
                st = fit_search_push(ws, &c, err);
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
    const size_t               ndim = law->form->n_exp;
    double                     lo, hi, step;
    law->form->grid(prm, &lo, &hi, &step);
    size_t n = 0;
    for (size_t k = 0; k < ws->n_cells && n < max; k++) {
        double e[2];
        fit_exponents_impl(law, &ws->cells[k], e);
        bool near = false;
        for (size_t m = 0; m < n && !near; m++) {
            double f[2];
            fit_exponents_impl(law, &ws->cells[pick[m]], f);
            if (fabs(e[0] - f[0]) < fit_search_start_gap * step &&
                (ndim == 1 || fabs(e[1] - f[1]) < fit_search_start_gap * step))
                near = true;
            /* A law's own search has more than two nonlinear entries (the broken power laws):
             * a start is new when any of them differs. */
            for (size_t j = 2; law->form->search && near && j < law->n_theta; j++)
                near = fabs(ws->cells[k].theta[j] - ws->cells[pick[m]].theta[j]) <
                       fit_search_start_gap * step;
        }
        if (!near) pick[n++] = k;
    }
    return n;
}
