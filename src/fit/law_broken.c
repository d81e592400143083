/*
 * law_broken.c — the broken power law of Caballero et al. (2022), with one break (broken1) or
 * two (broken2): y = a + b x^(-c0) prod_i (1 + (x/d_i)^(1/f_i))^(-c_i f_i). Far below a break
 * the exponent is c0; past break i it grows by c_i (which may be negative: a law that flattens);
 * f_i is how sharp the break is. theta = (ln a, ln b, c0, then per break c_i, ln d_i, ln f_i),
 * with ln y = LSE(ln a, ln b - c0 ln x - sum_i c_i f_i softplus((ln x - ln d_i)/f_i)); a may sit
 * at its bound 0. The second break's place is kept past the first's, ln d_2 = ln d_1 + e^u with
 * u its theta entry, so that the two cannot trade places (the same curve twice). Two breaks are
 * searched in stages as well: the law with one break is fitted first (its search and polish),
 * and a second break is tried at places on either side of it. The search is the
 * law's own: a grid over c0, the breaks' places (inside the data's range of x), their changes of
 * exponent and sharpness, with (a, b) projected out by non-negative least squares at every cell.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* log(1 + e^g) and the logistic e^g/(1 + e^g), without overflow. */
static double fit_softplus(double g) {
    return g > 0 ? g + log1p(exp(-g)) : log1p(exp(g));
}
static double fit_logistic(double g) {
    return g >= 0 ? 1 / (1 + exp(-g)) : exp(g) / (1 + exp(g));
}

/* ln d_i from theta: the first break's own entry, the second's past it. */
static double fit_broken_ld(const double *th, size_t i) {
    return i == 0 ? th[4] : th[4] + exp(th[7]);
}

/* ln(y - a) - ln b at ln x, with its gradient in theta (entries 2..) when grad != NULL. */
static double fit_broken_shape(const double *th, size_t k, double lx, double *grad) {
    double t = -th[2] * lx;
    if (grad) grad[2] = -lx, grad[4] = 0;
    for (size_t i = 0; i < k; i++) {
        double c = th[3 + 3 * i], ld = fit_broken_ld(th, i), f = exp(th[5 + 3 * i]);
        double g = (lx - ld) / f, s = fit_softplus(g), sg = fit_logistic(g);
        t -= c * f * s;
        if (grad) {
            grad[3 + 3 * i] = -f * s;
            grad[5 + 3 * i] = -c * f * (s - sg * g);
            grad[4] += c * sg; /* d ln d_i / d theta[4] = 1 for both breaks */
            if (i == 1) grad[7] = c * sg * exp(th[7]);
        }
    }
    return t;
}

static double fit_broken_lnpred_k(const double *th, const bool *active, double lx, double *grad,
                                  size_t k) {
    double t[2], p[2], dt[FIT_MAX_THETA];
    bool   use[2] = {active[0], true};
    t[0]          = th[0];
    t[1]          = th[1] + fit_broken_shape(th, k, lx, grad ? dt : NULL);
    double v      = fit_law_lse(t, use, 2, p);
    if (grad) {
        grad[0] = active[0] ? p[0] : 0;
        grad[1] = p[1];
        for (size_t j = 2; j < 3 + 3 * k; j++)
            grad[j] = p[1] * dt[j];
    }
    return v;
}

static double fit_broken1_lnpred(const double *th, const bool *active, double lx1, double lx2,
                                 double lx3, double *grad) {
    (void)lx3;
    (void)lx2;
    return fit_broken_lnpred_k(th, active, lx1, grad, 1);
}
static double fit_broken2_lnpred(const double *th, const bool *active, double lx1, double lx2,
                                 double lx3, double *grad) {
    (void)lx3;
    (void)lx2;
    return fit_broken_lnpred_k(th, active, lx1, grad, 2);
}

static void fit_broken_natural_k(const double *th, const bool *active, double *nat, size_t k) {
    nat[0] = active[0] ? exp(th[0]) : 0;
    nat[1] = exp(th[1]);
    nat[2] = th[2];
    for (size_t i = 0; i < k; i++) {
        nat[3 + 3 * i] = th[3 + 3 * i];
        nat[4 + 3 * i] = exp(fit_broken_ld(th, i));
        nat[5 + 3 * i] = exp(th[5 + 3 * i]);
    }
}
static void fit_broken1_natural(const double *th, const bool *active, double *nat) {
    fit_broken_natural_k(th, active, nat, 1);
}
static void fit_broken2_natural(const double *th, const bool *active, double *nat) {
    fit_broken_natural_k(th, active, nat, 2);
}

/* The reducible part b h(x) falls to `reducible` where? Bisection on ln x over [-100, 300],
 * for a law whose reducible part falls with x there (NAN otherwise). */
static double fit_broken_target_k(const double *nat, double reducible, size_t k) {
    double th[FIT_MAX_THETA] = {0};
    th[1]                    = log(nat[1]);
    th[2]                    = nat[2];
    for (size_t i = 0; i < k; i++) {
        th[3 + 3 * i] = nat[3 + 3 * i];
        th[4 + 3 * i] = i == 0 ? log(nat[4]) : log(log(nat[7]) - log(nat[4]));
        th[5 + 3 * i] = log(nat[5 + 3 * i]);
    }
    double want = log(reducible), lo = -100, hi = 300;
    double flo = th[1] + fit_broken_shape(th, k, lo, NULL) - want;
    double fhi = th[1] + fit_broken_shape(th, k, hi, NULL) - want;
    if (!(reducible > 0) || !(flo > 0) || !(fhi < 0)) return NAN;
    for (int it = 0; it < 200 && hi - lo > 1e-12 * fmax(1.0, fabs(hi)); it++) {
        double mid = 0.5 * (lo + hi);
        if (th[1] + fit_broken_shape(th, k, mid, NULL) - want > 0)
            lo = mid;
        else
            hi = mid;
    }
    return exp(0.5 * (lo + hi));
}
static double fit_broken1_target(const double *nat, double reducible) {
    return fit_broken_target_k(nat, reducible, 1);
}
static double fit_broken2_target(const double *nat, double reducible) {
    return fit_broken_target_k(nat, reducible, 2);
}

// ---- the search ----

/* Scores one cell: h(x) = exp(shape) at theta (c0 and the breaks), (a, b) by NNLS, the true
 * objective from the predictions a + b h. False when the cell gives no candidate. */
static bool fit_broken_cell(const struct fit_problem *pb, struct fit_workspace *ws, size_t k,
                            const double *th, struct fit_candidate *c) {
    const size_t    n = pb->n;
    double         *h = ws->r;
    struct fit_nnls s;
    fit_nnls_reset(&s, 2);
    for (size_t i = 0; i < n; i++) {
        double lh = fit_broken_shape(th, k, pb->lx1[i], NULL);
        if (!(fabs(lh) < 700)) return false;
        h[i]          = exp(lh);
        double col[2] = {ws->row_s[i], ws->row_s[i] * h[i]};
        fit_nnls_add(&s, col, ws->row_t[i]);
    }
    double coef[FIT_NNLS_MAX] = {0};
    fit_nnls_solve(&s, coef);
    if (!(coef[1] > 0)) return false;
    double obj = 0;
    for (size_t i = 0; i < n; i++) {
        double pred = coef[0] + coef[1] * h[i];
        double r    = pb->space == FIT_SPACE_LOG ? log(pred) - pb->ly[i] : pred - pb->y[i];
        obj += (pb->w ? pb->w[i] : 1.0) * fit_rho(pb->loss, r, pb->delta);
    }
    if (!isfinite(obj)) return false;
    for (size_t j = 0; j < FIT_MAX_THETA; j++)
        c->theta[j] = th[j], c->active[j] = j < 3 + 3 * k;
    c->active[0] = coef[0] > 0;
    c->theta[0]  = coef[0] > 0 ? log(coef[0]) : 0;
    c->theta[1]  = log(coef[1]);
    c->objective = obj;
    return true;
}

/* The changes of exponent and the sharpness tried at each break. */
static const double fit_broken_dc1[] = {-1, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1};
static const double fit_broken_dc2[] = {-0.5, -0.2, 0.2, 0.5};
static const double fit_broken_f1[]  = {0.3, 1};

static enum sf_status fit_broken_search_k(const struct fit_problem    *pb,
                                          const struct fit_parameters *prm,
                                          struct fit_workspace *ws, size_t *n_evaluated, size_t k,
                                          struct sf_error *err) {
    const size_t n  = pb->n;
    double       lo = INFINITY, hi = -INFINITY;
    fit_search_rows(pb, ws);
    for (size_t i = 0; i < n; i++)
        lo = fmin(lo, pb->lx1[i]), hi = fmax(hi, pb->lx1[i]);
    /* One break: c0 on the exponent grid, 10 places, 8 changes, 2 sharpnesses; two breaks: a
     * coarser c0, 6 places taken in pairs, 4 changes each, sharpness 1. */
    const size_t n_c0 =
        k == 1 ? (size_t)floor((prm->exp_max - prm->exp_min) / prm->exp_step + 0.5) + 1 : 16;
    const double  c0_step          = k == 1 ? prm->exp_step : (prm->exp_max - prm->exp_min) / 15;
    const size_t  n_at             = k == 1 ? 10 : 6;
    const double *dc               = k == 1 ? fit_broken_dc1 : fit_broken_dc2;
    const size_t  n_dc             = k == 1 ? 8 : 4;
    const size_t  n_f              = k == 1 ? 2 : 1;
    ws->n_cells                    = 0;
    size_t               evaluated = 0;
    struct fit_candidate c;
    double               th[FIT_MAX_THETA] = {0};
    for (size_t a0 = 0; a0 < n_c0; a0++) {
        th[2] = prm->exp_min + c0_step * (double)a0;
        for (size_t p1 = 0; p1 < n_at; p1++) {
            for (size_t p2 = k == 2 ? p1 + 1 : 0; p2 < (k == 2 ? n_at : 1); p2++) {
                th[4] = lo + (hi - lo) * ((double)p1 + 0.5) / (double)n_at;
                if (k == 2) th[7] = log((hi - lo) * (double)(p2 - p1) / (double)n_at);
                for (size_t i1 = 0; i1 < n_dc; i1++) {
                    for (size_t i2 = 0; i2 < (k == 2 ? n_dc : 1); i2++) {
                        for (size_t f = 0; f < n_f; f++) {
                            th[3] = dc[i1];
                            th[5] = k == 1 ? log(fit_broken_f1[f]) : 0;
                            if (k == 2) th[6] = dc[i2], th[8] = 0;
                            evaluated++;
                            if (!fit_broken_cell(pb, ws, k, th, &c)) continue;
                            enum sf_status st = fit_search_push(ws, &c, err);
                            if (st != SF_OK) return st;
                        }
                    }
                }
            }
        }
    }
    *n_evaluated = evaluated;
    if (ws->n_cells == 0)
        SF_FAIL(err, SF_ERUNTIME,
                "the grid search found no usable starting point for broken%zu (every cell gave a "
                "non-positive b or non-finite predictions)",
                k);
    fit_search_sort(ws);
    return SF_OK;
}

/* Adds the cell at theta th (two breaks) to ws->cells when it gives a candidate. */
static enum sf_status fit_broken_push(const struct fit_problem *pb, struct fit_workspace *ws,
                                      const double *th, size_t k, struct sf_error *err) {
    struct fit_candidate c;
    if (!fit_broken_cell(pb, ws, k, th, &c)) return SF_OK;
    return fit_search_push(ws, &c, err);
}

/* The second stage of two breaks: the law with one break, polished (its theta is the first six
 * entries of this one's, so fixes carry over), and a second break added before or after it at
 * 12 places, with 6 changes of exponent and 2 sharpnesses. Appends to ws->cells, then sorts. */
static enum sf_status fit_broken_stage_impl(const struct fit_problem    *pb,
                                            const struct fit_parameters *prm,
                                            struct fit_workspace *ws, size_t *n_evaluated,
                                            struct sf_error *err) {
    static const double dc[] = {-0.5, -0.3, -0.15, 0.15, 0.3, 0.5}, fs[] = {0.5, 1};
    /* The cells of the first search are kept aside: the one-break estimate reuses ws. */
    size_t                n_keep = ws->n_cells;
    struct fit_candidate *keep   = malloc((n_keep ? n_keep : 1) * sizeof *keep);
    if (keep == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory in the grid search");
    memcpy(keep, ws->cells, n_keep * sizeof *keep);
    struct fit_problem pb1 = *pb;
    pb1.law                = &fit_law_broken1;
    for (size_t j = 6; j < FIT_MAX_THETA; j++)
        pb1.fixed[j] = false;
    struct fit_polish_out one;
    struct sf_error       e1;
    bool have = fit_estimate_point(&pb1, prm, ws, &one, NULL, NULL, &e1) == SF_OK && one.active[1];
    if (ws->cap_cells < n_keep) {
        free(keep);
        SF_FAIL(err, SF_ENOMEM, "out of memory in the grid search");
    }
    memcpy(ws->cells, keep, n_keep * sizeof *keep);
    ws->n_cells = n_keep;
    free(keep);
    if (!have) return SF_OK;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < pb->n; i++)
        lo = fmin(lo, pb->lx1[i]), hi = fmax(hi, pb->lx1[i]);
    const double old_c = one.theta[3], old_ld = one.theta[4], old_lf = one.theta[5];
    for (size_t p = 0; p < 12; p++) {
        double ld = lo + (hi - lo) * ((double)p + 0.5) / 12;
        if (fabs(ld - old_ld) < 0.5) continue;
        for (size_t i = 0; i < 6; i++) {
            for (size_t f = 0; f < 2; f++) {
                double th[FIT_MAX_THETA] = {0};
                th[1] = one.theta[1], th[2] = one.theta[2];
                bool before = ld < old_ld; /* the new break is the first */
                th[3]       = before ? dc[i] : old_c;
                th[4]       = before ? ld : old_ld;
                th[5]       = before ? log(fs[f]) : old_lf;
                th[6]       = before ? old_c : dc[i];
                th[7]       = log(fabs(ld - old_ld));
                th[8]       = before ? old_lf : log(fs[f]);
                (*n_evaluated)++;
                enum sf_status st = fit_broken_push(pb, ws, th, 2, err);
                if (st != SF_OK) return st;
            }
        }
    }
    fit_search_sort(ws);
    return SF_OK;
}

static enum sf_status fit_broken1_search(const struct fit_problem    *pb,
                                         const struct fit_parameters *prm, struct fit_workspace *ws,
                                         size_t *n_evaluated, struct sf_error *err) {
    return fit_broken_search_k(pb, prm, ws, n_evaluated, 1, err);
}
static enum sf_status fit_broken2_search(const struct fit_problem    *pb,
                                         const struct fit_parameters *prm, struct fit_workspace *ws,
                                         size_t *n_evaluated, struct sf_error *err) {
    enum sf_status st = fit_broken_search_k(pb, prm, ws, n_evaluated, 2, err);
    return st == SF_OK ? fit_broken_stage_impl(pb, prm, ws, n_evaluated, err) : st;
}

static void fit_broken1_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n,
             "c0 in [%g, %g] step %g x 10 places of the break inside the range of x x c1 in "
             "{-1, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1} x f1 in {0.3, 1} (a, b by NNLS)",
             p->exp_min, p->exp_max, p->exp_step);
}
static void fit_broken2_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    snprintf(buf, n,
             "c0 in [%g, %g] in 16 steps x pairs of 6 places inside the range of x x c1, c2 in "
             "{-0.5, -0.2, 0.2, 0.5}, f1 = f2 = 1 (a, b by NNLS)",
             p->exp_min, p->exp_max);
}

static const struct fit_law_form fit_broken1_form = {
    .lnpred    = fit_broken1_lnpred,
    .natural   = fit_broken1_natural,
    .n_coef    = 2,
    .n_exp     = 2,
    .exp_theta = {2, 4},
    .grid      = fit_law_grid_positive,
    .grid_text = fit_broken1_grid_text,
    .search    = fit_broken1_search,
    .target    = fit_broken1_target,
};

static const struct fit_law_form fit_broken2_form = {
    .lnpred    = fit_broken2_lnpred,
    .natural   = fit_broken2_natural,
    .n_coef    = 2,
    .n_exp     = 2,
    .exp_theta = {2, 4},
    .grid      = fit_law_grid_positive,
    .grid_text = fit_broken2_grid_text,
    .search    = fit_broken2_search,
    .target    = fit_broken2_target,
};

/* The label's values: a, b, c0, then per break d_i, 1/f_i and the exponent -c_i f_i. */
static size_t fit_broken_label_values(const struct fit_result *r, double *v) {
    size_t k = (r->p - 3) / 3;
    for (size_t j = 0; j < 3; j++)
        v[j] = r->param[j].value.estimate;
    for (size_t i = 0; i < k; i++) {
        double c = r->param[3 + 3 * i].value.estimate, f = r->param[5 + 3 * i].value.estimate;
        v[3 + 3 * i] = r->param[4 + 3 * i].value.estimate;
        v[4 + 3 * i] = 1 / f;
        v[5 + 3 * i] = -c * f;
    }
    return 3 + 3 * k;
}

#define FIT_BROKEN_HEAD                                                                            \
    {"a", "nats/token", true, 0, false}, {"b", "nats/token x x^c0", true, -1, false}, {            \
        "c0", "", false, -1, false, FIT_EXPONENT_X1                                                \
    }
#define FIT_BROKEN_BREAK(c, d, f)                                                                  \
    {c, "", false, -1, false}, {d, "x", true, -1, false}, {                                        \
        f, "", true, -1, false                                                                     \
    }

const struct fit_law_desc fit_law_broken1 = {
    .name           = "broken1",
    .formula        = "L = a + b x^(-c0) (1 + (x/d1)^(1/f1))^(-c1 f1)",
    .n_theta        = 6,
    .n_vars         = 1,
    .n_report       = 6,
    .params         = {FIT_BROKEN_HEAD, FIT_BROKEN_BREAK("c1", "d1", "f1")},
    .can_bound      = {true},
    .term_exp       = {-1, -1, -1, -1, -1, -1},
    .has_constant   = true,
    .can_fix        = true,
    .fix            = {{0, -1}, {1, -1}, {2, -1}, {3, -1}, {4, -1}, {5, -1}},
    .var_options    = {"--x"},
    .var_fields     = {offsetof(struct fit_columns, x)},
    .label_constant = "a",
    .label          = "L = $0 + $1 $x^{-$2} (1 + ($x/$3)^{$4})^{$5}",
    .label_values   = fit_broken_label_values,
    .form           = &fit_broken1_form,
};

const struct fit_law_desc fit_law_broken2 = {
    .name         = "broken2",
    .formula      = "L = a + b x^(-c0) prod_i=1,2 (1 + (x/d_i)^(1/f_i))^(-c_i f_i)",
    .n_theta      = 9,
    .n_vars       = 1,
    .n_report     = 9,
    .params       = {FIT_BROKEN_HEAD, FIT_BROKEN_BREAK("c1", "d1", "f1"),
                     FIT_BROKEN_BREAK("c2", "d2", "f2")},
    .can_bound    = {true},
    .term_exp     = {-1, -1, -1, -1, -1, -1, -1, -1, -1},
    .has_constant = true,
    .can_fix      = true,
    /* d2 sits past d1 by an entry of its own: it cannot be held alone */
    .fix = {{0, -1}, {1, -1}, {2, -1}, {3, -1}, {4, -1}, {5, -1}, {6, -1}, {-1, -1}, {8, -1}},
    .var_options    = {"--x"},
    .var_fields     = {offsetof(struct fit_columns, x)},
    .label_constant = "a",
    .label          = "L = $0 + $1 $x^{-$2} (1 + ($x/$3)^{$4})^{$5} (1 + ($x/$6)^{$7})^{$8}",
    .label_values   = fit_broken_label_values,
    .form           = &fit_broken2_form,
};
