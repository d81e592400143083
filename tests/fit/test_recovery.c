/*
 * test_recovery.c — exact data made from known parameters, for every law, must be recovered
 * to 1e-6 relative (the tolerance; the optimum is exact, so only the solver's
 * tolerances separate them), in log and linear space, with squares and Huber, and weighted
 * fitting with unit weights must equal unweighted fitting (GSL's test_fdf.c idea).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "internal.h"
#include "law_cases.h"

/* Builds fit_data of n points from arrays (copied). */
static void make_data(struct fit_data *d, size_t n, const double *x1, const double *x2,
                      const double *y) {
    memset(d, 0, sizeof *d);
    d->n        = n;
    d->x1       = malloc(n * sizeof(double));
    d->x2       = x2 ? malloc(n * sizeof(double)) : NULL;
    d->y        = malloc(n * sizeof(double));
    d->w        = malloc(n * sizeof(double));
    d->line     = malloc(n * sizeof(size_t));
    d->held_out = calloc(n, sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        d->x1[i] = x1[i];
        if (x2) d->x2[i] = x2[i];
        d->y[i]    = y[i];
        d->w[i]    = 1;
        d->line[i] = i + 2;
    }
}

static const char *name_of(enum fit_law_kind law) {
    return fit_law_name(law);
}

/* How many values a label template names: one more than its largest "$k". */
static size_t label_top(const char *t) {
    size_t top = 0;
    for (const char *c = t; c && *c; c++)
        if (c[0] == '$' && c[1] >= '0' && c[1] <= '9' && (size_t)(c[1] - '0') + 1 > top)
            top = (size_t)(c[1] - '0') + 1;
    return top;
}

/* The law's figure labels name only values it has (the formula and the optimal-size law its
 * label values, the allocation's key the three derived values), and a compute-optimal
 * allocation spends C (6ND = C) at the minimum of the law along C (the true law, at 0.1% either
 * side of N). */
static void label_and_allocation(const struct fit_result *r, const struct law_case *lc,
                                 const char *label) {
    const char *name = fit_law_name(r->law), *t = fit_law_label(r->law);
    double      v[FIT_MAX_PARAMS];
    size_t      nv = fit_result_label_values(r, v), top = label_top(t);
    check(t != NULL && top <= nv, "%s %s: the label names %zu values of %zu", name, label, top, nv);
    const char *nopt = fit_law_nopt_label(r->law);
    check((nopt != NULL) == fit_law_fits_curves(r->law) && label_top(nopt) <= nv,
          "%s %s: the optimal-size label is there for laws of curves, with values it has", name,
          label);
    double      n, d, c = 3.7e21;
    bool        has_opt = fit_result_optimal_nd(r, c, &n, &d);
    const char *opt     = fit_law_optimal_label(r->law);
    check((opt != NULL) == has_opt && label_top(opt) <= 3,
          "%s %s: the allocation's label is there when the allocation is", name, label);
    if (!has_opt) return;
    check_rel(6 * n * d, c, 1e-12, "%s %s: the allocation spends C", name, label);
    double l0 = lc->value(lc->truth, n, d), lm = lc->value(lc->truth, n * 0.999, d / 0.999),
           lp = lc->value(lc->truth, n * 1.001, d / 1.001);
    check(l0 <= lm && l0 <= lp,
          "%s %s: the allocation minimises L at fixed C (%.17g, %.17g, %.17g)", name, label, lm, l0,
          lp);
}

static void recover(enum fit_law_kind law, const struct law_case *lc, enum fit_space space,
                    enum fit_loss loss, const char *label) {
    const double *truth = lc->truth;
    double        x1[64], x2[64], y[64];
    size_t        n = 0;
    if (fit_law_n_vars(law) == 1) {
        for (size_t i = 0; i < 12; i++, n++) {
            x1[n] = pow(10.0, 4 + 0.45 * (double)i);
            y[n]  = lc->value(truth, x1[n], 0);
        }
    } else {
        for (size_t i = 0; i < 8; i++)
            for (size_t j = 0; j < 6; j++, n++) {
                x1[n] = pow(10.0, 7 + 0.45 * (double)i);
                x2[n] = x1[n] * pow(10.0, 0.3 + 0.4 * (double)j) * (1 + 0.1 * (double)(i % 3));
                y[n]  = lc->value(truth, x1[n], x2[n]);
            }
    }
    struct fit_data d;
    make_data(&d, n, x1, fit_law_n_vars(law) == 2 ? x2 : NULL, y);
    law_case_add_unique(lc, &d);
    struct fit_request req;
    fit_request_init(&req, law);
    req.space               = space;
    req.loss                = loss;
    req.params.bootstrap    = 0;
    const double targets[2] = {0.31, 0.047};
    bool         nd_target  = fit_law_n_vars(law) == 2 && fit_law_optimal_label(law) != NULL;
    if (nd_target) req.target_reducible = targets, req.n_target = 2;
    struct sf_error    err;
    struct fit_result *r = fit_run(&d, &req, NULL, &err);
    check(r != NULL, "%s %s: fit runs (%s)", fit_law_name(law), label, r ? "" : err.message);
    if (r != NULL) {
        check(r->converged, "%s %s: converged (gradient norm %.3g, %s)", fit_law_name(law), label,
              r->gradient_norm, r->stages[r->n_stages - 1].status);
        /* Exact data: the optimum is the truth; 1e-6 is the tolerance. */
        for (size_t j = 0; j < fit_law_n_params(law); j++)
            check_rel(r->param[j].value.estimate, truth[j], 1e-6, "%s %s: %s", fit_law_name(law),
                      label, r->param[j].name);
        label_and_allocation(r, lc, label);
        /* A target reducible loss of a law of N and D: at the compute found, the law's own
         * optimum (the closed form) has that N, and the true law less its constant is the
         * target there. */
        for (size_t i = 0; nd_target && i < 2; i++) {
            double c = r->targets[3 * i].estimate, nn = r->targets[3 * i + 1].estimate;
            double dd = r->targets[3 * i + 2].estimate, n_opt, d_opt;
            double e  = fit_law_has_constant(law) ? lc->truth[0] : 0;
            check(fit_result_optimal_nd(r, c, &n_opt, &d_opt), "%s %s: optimum", name_of(law),
                  label);
            check_rel(nn, n_opt, 1e-6, "%s %s: target %g: N is the optimum's at C = %.6g",
                      name_of(law), label, targets[i], c);
            check_rel(6 * nn * dd, c, 1e-12, "%s %s: target %g: 6ND = C", name_of(law), label,
                      targets[i]);
            check_rel(lc->value(lc->truth, nn, dd) - e, targets[i], 1e-8,
                      "%s %s: target %g: the reducible loss there", name_of(law), label,
                      targets[i]);
        }
        fit_result_free(r);
    }
    fit_data_free(&d);
}

/* Frontier: one run lies exactly on L(C) = L_inf + (C0/C)^alpha at every point of the envelope's
 * compute grid (16 per decade over 5.95 decades: 97 points), three others lie above it over parts
 * of the range, so the envelope is the exact law and its fit must recover it to 1e-6. For
 * frontier-power the same with L_inf = 0. */
static void recover_frontier(enum fit_law_kind law) {
    bool         pure     = law == FIT_LAW_FRONTIER_POWER;
    const double truth[3] = {pure ? 0.0 : 1.69, 3.0e9, 0.15};
    const size_t n_grid   = 97;
    double       lo = log(1e10), hi = lo + 5.95 * log(10.0); /* 95.2 grid steps: not an integer */
    size_t       n = n_grid + 3 * 20;
    double       x1[256], y[256];
    size_t       run[256];
    for (size_t k = 0; k < n_grid; k++) {
        double lc = k + 1 == n_grid ? hi : lo + (hi - lo) * (double)k / (double)(n_grid - 1);
        x1[k]     = exp(lc);
        y[k]      = truth[0] + pow(truth[1] / x1[k], truth[2]);
        run[k]    = 0;
    }
    for (size_t r = 0; r < 3; r++)
        for (size_t k = 0; k < 20; k++) {
            size_t i = n_grid + r * 20 + k;
            x1[i]    = pow(10.0, 10.5 + 1.5 * (double)r + 0.1 * (double)k);
            y[i]     = truth[0] + pow(truth[1] / x1[i], truth[2]) + 0.05 * (double)(r + 1);
            run[i]   = r + 1;
        }
    struct fit_data d;
    make_data(&d, n, x1, NULL, y);
    d.run       = malloc(n * sizeof(size_t));
    d.run_names = malloc(4 * sizeof(char *));
    d.n_runs    = 4;
    for (size_t i = 0; i < n; i++)
        d.run[i] = run[i];
    for (size_t r = 0; r < 4; r++)
        d.run_names[r] = sf_strdup_printf("run%zu", r);
    struct fit_request req;
    fit_request_init(&req, law);
    req.params.bootstrap = 0;
    struct sf_error    err;
    struct fit_result *res  = fit_run(&d, &req, NULL, &err);
    const char        *name = fit_law_name(law);
    if (check(res != NULL, "%s: fit runs (%s)", name, res ? "" : err.message)) {
        check(res->frontier.n_env == n_grid, "%s: %zu envelope points (97 expected)", name,
              res->frontier.n_env);
        for (size_t j = pure; j < 3; j++)
            check_rel(res->param[j - pure].value.estimate, truth[j], 1e-6, "%s: %s", name,
                      res->param[j - pure].name);
        fit_result_free(res);
    }
    fit_data_free(&d);
}

/* The frontier is the running minimum over compute. Run 0 ends at C = 1.5e12 with loss 3.0;
 * run 1 is above that there and falls through it near 3.3e12 (log-linear between its points
 * (1e12, 3.5) and (1e13, 2.6)), then ends at 1.3e14 with 2.2, the lowest loss of all; run 2 goes
 * on to 1e15 above it. So the frontier never rises; run 0's end is a point of its own (off the
 * grid) and stays, owned by run 0, until run 1 goes lower; run 1's end is the last point the
 * fit and the hull use, and after it the flat tail repeats 2.2, owned by run 1. Exact
 * comparisons: the frontier copies the runs' values (exp of log, so to rounding: 1e-12). */
static void frontier_running_minimum(void) {
    const double c[]   = {1e10, 1e11, 1.5e12, 1e11, 1e12, 1e13, 1.3e14, 1e13, 1e15};
    const double l[]   = {6.0, 4.2, 3.0, 6.0, 3.5, 2.6, 2.2, 4.0, 2.5};
    const size_t run[] = {0, 0, 0, 1, 1, 1, 1, 2, 2};
    const size_t n     = sizeof c / sizeof c[0];
    for (int hull = 0; hull < 2; hull++) {
        struct fit_data d;
        make_data(&d, n, c, NULL, l);
        d.run       = malloc(n * sizeof(size_t));
        d.run_names = malloc(3 * sizeof(char *));
        d.n_runs    = 3;
        for (size_t i = 0; i < n; i++)
            d.run[i] = run[i];
        for (size_t k = 0; k < 3; k++)
            d.run_names[k] = sf_strdup_printf("run%zu", k);
        struct fit_request req;
        fit_request_init(&req, FIT_LAW_FRONTIER);
        req.params.bootstrap = 0;
        req.frontier_hull    = hull;
        struct sf_error    err;
        struct fit_result *r = fit_run(&d, &req, NULL, &err);
        if (check(r != NULL, "running minimum (hull %d): fit runs (%s)", hull,
                  r ? "" : err.message)) {
            const struct fit_frontier *fr    = &r->frontier;
            bool                       order = true, flat = true, tail = true, corner = false;
            size_t                     n_flat = 0;
            for (size_t i = 1; i < fr->n_env; i++)
                order =
                    order && fr->env_c[i] > fr->env_c[i - 1] && fr->env_l[i] <= fr->env_l[i - 1];
            for (size_t i = 0; i < fr->n_env; i++) {
                double ci = fr->env_c[i], li = fr->env_l[i];
                if (fabs(ci / 1.5e12 - 1) < 1e-12)
                    corner = fabs(li / 3.0 - 1) < 1e-12 && fr->env_run[i] == 0;
                if (ci > 1.5e12 * (1 + 1e-12) && ci < 3.2e12) {
                    flat = flat && fabs(li / 3.0 - 1) < 1e-12 && fr->env_run[i] == 0;
                    n_flat++;
                }
                if (i + 1 >= fr->n_front)
                    tail = tail && fabs(li / 2.2 - 1) < 1e-12 && fr->env_run[i] == 1;
            }
            check(order, "running minimum: compute increases and loss never rises (%zu points)",
                  fr->n_env);
            check(corner, "running minimum: run 0's end (1.5e12, 3.0) is a frontier point");
            check(flat && n_flat >= 2,
                  "running minimum: past run 0's end it keeps 3.0, owned by run 0 (%zu points)",
                  n_flat);
            check(fr->n_front >= 1 && fr->n_front < fr->n_env &&
                      fabs(fr->env_c[fr->n_front - 1] / 1.3e14 - 1) < 1e-12,
                  "running minimum: the fitted part ends at run 1's end, 1.3e14 (%zu of %zu "
                  "points)",
                  fr->n_front, fr->n_env);
            check(tail, "running minimum: the flat tail repeats 2.2, owned by run 1");
            check(fr->n_hull >= 2 && fr->hull[fr->n_hull - 1] == fr->n_front - 1,
                  "running minimum: the hull ends where the tail begins");
            check(r->n_fit == (hull ? fr->n_hull : fr->n_front),
                  "running minimum (hull %d): L(C) is fitted to %zu points", hull, r->n_fit);
            fit_result_free(r);
        }
        fit_data_free(&d);
    }
}

/* The global search itself, law by law: exact data made with exponents that lie on the coarse
 * grid must put the best cell there with an objective at rounding level (1e-20: the cell is
 * the exact solution), in log and linear space. The polish could hide a broken search. */
static void search_finds_grid_point(enum fit_law_kind law, const double *truth,
                                    double (*value)(const double *, double, double),
                                    enum fit_space sp) {
    double lx1[64], lx2[64], y[64], ly[64];
    size_t n = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 6; j++, n++) {
            double N = pow(10.0, 6 + 0.5 * i), D = pow(10.0, 8 + 0.5 * j);
            lx1[n] = log(N), lx2[n] = log(D);
            y[n]  = value(truth, N, D);
            ly[n] = log(y[n]);
        }
    struct fit_problem    pb  = {.law   = fit_law_desc(law),
                                 .n     = n,
                                 .lx1   = lx1,
                                 .lx2   = fit_law_n_vars(law) == 2 ? lx2 : NULL,
                                 .y     = y,
                                 .ly    = ly,
                                 .space = sp,
                                 .loss  = FIT_LOSS_SQUARES};
    struct fit_parameters prm = fit_default_parameters();
    struct fit_workspace *ws  = fit_workspace_alloc(n);
    size_t                ev;
    struct sf_error       err;
    bool                  ok = fit_search(&pb, &prm, ws, &ev, &err) == SF_OK;
    check(ok && ws->cells[0].objective < 1e-20, "%s %s space: the grid's best cell is exact (%.3g)",
          fit_law_name(law), sp == FIT_SPACE_LOG ? "log" : "linear",
          ok ? ws->cells[0].objective : NAN);
    fit_workspace_free(ws);
}

/* Chinchilla on data without any N dependence (L = 1.7 + 410.7/D^0.28, 0.3% log-normal noise,
 * draw 13): the best fit to the noise puts a huge A/N^22 on the smallest point alone. Such a
 * term (exponent above exp_polish_max) is no scaling term: A must end on its bound with alpha
 * not determined, E and the D term recovered within the noise, and the fit converged. */
static void chinchilla_without_n(void) {
    double   x1[48], x2[48], y[48];
    size_t   n   = 0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 13);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 6; j++, n++) {
            x1[n] = pow(10.0, 7 + 0.4 * i);
            x2[n] = pow(10.0, 9 + 0.4 * j + 0.05 * i);
            y[n]  = (1.7 + 410.7 / pow(x2[n], 0.28)) * exp(gsl_ran_gaussian(rng, 0.003));
        }
    gsl_rng_free(rng);
    struct fit_data d;
    make_data(&d, n, x1, x2, y);
    struct fit_request req;
    fit_request_init(&req, FIT_LAW_CHINCHILLA);
    req.params.bootstrap = 0;
    struct sf_error    err;
    struct fit_result *r = fit_run(&d, &req, NULL, &err);
    if (check(r != NULL, "chinchilla without N: fit runs")) {
        check(r->converged, "chinchilla without N: converged");
        check(r->param[1].at_bound && r->param[1].value.estimate == 0,
              "chinchilla without N: A on its bound");
        check(r->param[2].at_bound && isnan(r->param[2].value.estimate),
              "chinchilla without N: alpha not determined (%g)", r->param[2].value.estimate);
        /* 0.3% noise over 48 points: E and beta within a few percent. */
        check_rel(r->param[0].value.estimate, 1.7, 0.05, "chinchilla without N: E");
        check_rel(r->param[4].value.estimate, 0.28, 0.05, "chinchilla without N: beta");
        fit_result_free(r);
    }
    fit_data_free(&d);
}

/* --fix on every fixable parameter of a law, one at a time (a scale with its exponent): on noisy
 * data from the case (0.5% log-normal), holding the parameter at the free fit's estimate gives
 * the same optimum (objective within 1e-9, every estimate within 1e-5), and holding it 10% low
 * gives a worse objective, the held value exactly, and no error for it. */
static void fixes(enum fit_law_kind law, const struct law_case *lc) {
    const char *name = fit_law_name(law);
    double      x1[64], x2[64], y[64];
    size_t      n   = 0;
    gsl_rng    *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    /* One variable: 5 points a parameter (at least 16) from 1e4 to 1e9; two: recover()'s 8 x 6
     * grid. */
    const size_t n_one = 5 * fit_law_n_params(law) > 16 ? 5 * fit_law_n_params(law) : 16;
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < (fit_law_n_vars(law) == 2 ? 6 : n_one / 8 + 1); j++) {
            if (fit_law_n_vars(law) == 1 && n == n_one) break;
            x1[n] = fit_law_n_vars(law) == 2 ? pow(10.0, 7 + 0.45 * (double)i)
                                             : pow(10.0, 4 + 5.0 * (double)n / (double)(n_one - 1));
            x2[n] = x1[n] * pow(10.0, 0.3 + 0.4 * (double)j) * (1 + 0.1 * (double)(i % 3));
            y[n]  = lc->value(lc->truth, x1[n], x2[n]) * exp(0.005 * gsl_ran_ugaussian(rng));
            n++;
        }
    gsl_rng_free(rng);
    struct fit_data d;
    make_data(&d, n, x1, fit_law_n_vars(law) == 2 ? x2 : NULL, y);
    law_case_add_unique(lc, &d);
    struct fit_request req;
    fit_request_init(&req, law);
    req.params.bootstrap = 0;
    struct sf_error    err;
    struct fit_result *free_fit = fit_run(&d, &req, NULL, &err);
    if (!check(free_fit != NULL && free_fit->converged, "%s --fix: the free fit converges", name)) {
        fit_result_free(free_fit);
        fit_data_free(&d);
        return;
    }
    const size_t p = fit_law_n_params(law);
    for (size_t j = 0; j < p; j++) {
        const char *pname = fit_law_param_name(law, j);
        /* A scale (x0, N_c of kaplan-ns) is held with its exponent, the next parameter. */
        for (int off = 0; off < 2; off++) {
            struct fit_fix fx[2];
            char           text[64];
            double         v = free_fit->param[j].value.estimate * (off ? 0.9 : 1.0);
            snprintf(text, sizeof text, "%s=%.17g", pname, v);
            if (fit_fix_parse(text, law, "--fix", &fx[0], &err) != SF_OK) {
                /* A parameter that is not one entry of the fit (broken2's d2) is refused. */
                check(strstr(err.message, "cannot be fixed") != NULL, "%s: %s is refused: %s", name,
                      text, err.message);
                continue;
            }
            req.fix              = fx;
            req.n_fix            = 1;
            struct fit_result *r = fit_run(&d, &req, NULL, &err);
            if (r == NULL && strstr(err.message, "together with") != NULL && j + 1 < p) {
                snprintf(text, sizeof text, "%s=%.17g", fit_law_param_name(law, j + 1),
                         free_fit->param[j + 1].value.estimate);
                fit_fix_parse(text, law, "--fix", &fx[1], &err);
                req.n_fix = 2;
                r         = fit_run(&d, &req, NULL, &err);
                if (req.n_fix == p) { /* nothing left to fit: refused with its reason */
                    check(r == NULL && strstr(err.message, "nothing left to fit") != NULL,
                          "%s --fix of every parameter is refused (%s)", name,
                          r ? "fitted" : err.message);
                    fit_result_free(r);
                    req.n_fix = 0;
                    continue;
                }
            }
            if (check(r != NULL, "%s --fix %s%s: fit runs (%s)", name, pname,
                      off ? " 10%% low" : "", r ? "" : err.message)) {
                check(r->param[j].fixed && r->param[j].value.estimate == v &&
                          isnan(r->param[j].value.se),
                      "%s --fix %s: held at %.17g, no error of its own", name, pname, v);
                if (off) {
                    check(r->objective > free_fit->objective,
                          "%s --fix %s 10%% low: worse objective (%.6g > %.6g)", name, pname,
                          r->objective, free_fit->objective);
                } else {
                    check_rel(r->objective, free_fit->objective, 1e-9,
                              "%s --fix %s at the free estimate: the same objective", name, pname);
                    for (size_t k = 0; k < p; k++)
                        check_rel(r->param[k].value.estimate, free_fit->param[k].value.estimate,
                                  1e-5, "%s --fix %s at the free estimate: %s", name, pname,
                                  fit_law_param_name(law, k));
                }
            }
            fit_result_free(r);
            req.fix   = NULL;
            req.n_fix = 0;
        }
    }
    fit_result_free(free_fit);
    fit_data_free(&d);
}

/* Every law of the table through its case: exact recovery (laws fitted to curves: from
 * learning curves), and the search where the case gives exponents on the grid. */
int main(void) {
    gsl_set_error_handler_off();
    for (int k = 0; k < FIT_LAW_COUNT; k++) {
        enum fit_law_kind      law = (enum fit_law_kind)k;
        const struct law_case *lc  = law_case_find(fit_law_name(law));
        check(strcmp(fit_law_names()[k], fit_law_name(law)) == 0,
              "%s: the list of names has the entry's name in its place", fit_law_name(law));
        if (!check(lc != NULL, "%s: the law has a case in law_cases.h", fit_law_name(law)))
            continue;
        if (fit_law_fits_curves(law)) {
            recover_frontier(law);
            if (law == FIT_LAW_FRONTIER) frontier_running_minimum();
            continue;
        }
        for (int s = 0; s < 2; s++) {
            enum fit_space sp = s ? FIT_SPACE_LINEAR : FIT_SPACE_LOG;
            recover(law, lc, sp, FIT_LOSS_SQUARES, s ? "linear squares" : "log squares");
            if (lc->huber) recover(law, lc, sp, FIT_LOSS_HUBER, s ? "linear huber" : "log huber");
            if (lc->grid_truth[0] != 0) search_finds_grid_point(law, lc->grid_truth, lc->value, sp);
        }
        fixes(law, lc);
    }
    chinchilla_without_n();
    return check_summary();
}
