/*
 * early_stop.c — Kaplan et al. (2020)'s early-stopping step, from an L(N, D) fit (kaplan-nd)
 * and an L(N, S) fit (kaplan-ns or kaplan-ns+const) of the same runs: training a model of N
 * parameters on D tokens should stop no sooner than S_stop(N, D) = S_c / [L(N, D) - L(N, inf)]^
 * (1/alpha_S), where L(N, inf) = (N_c/N)^alpha_N is L(N, D)'s limit of unlimited data. Given at
 * each model size of the L(N, D) fit with the most tokens any of its rows of that size saw, from
 * the two fits' point estimates.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The estimate of the parameter called `name`, or NAN. */
static double fit_early_param_impl(const struct fit_result *r, const char *name) {
    for (size_t j = 0; j < r->p; j++)
        if (strcmp(r->param[j].name, name) == 0) return r->param[j].value.estimate;
    return NAN;
}

bool fit_early_stop_pair(const struct fit_result *a, const struct fit_result *b) {
    return a->law == FIT_LAW_KAPLAN_ND &&
           (b->law == FIT_LAW_KAPLAN_NS || b->law == FIT_LAW_KAPLAN_NS_CONST);
}

size_t fit_early_stop(const struct fit_result *nd, const struct fit_result *ns,
                      struct fit_early_stop *out, size_t cap) {
    const struct fit_data *d = nd->data;
    double nc = fit_early_param_impl(nd, "N_c"), an = fit_early_param_impl(nd, "alpha_N");
    double sc = fit_early_param_impl(ns, "S_c"), as = fit_early_param_impl(ns, "alpha_S");
    size_t m = 0;
    for (size_t i = 0; i < d->n && m < cap; i++) {
        if (d->held_out[i]) continue;
        bool seen = false;
        for (size_t k = 0; k < m; k++)
            seen = seen || out[k].n == d->x1[i];
        if (seen) continue;
        double dmax = 0;
        for (size_t k = 0; k < d->n; k++)
            if (!d->held_out[k] && d->x1[k] == d->x1[i] && d->x2[k] > dmax) dmax = d->x2[k];
        double l = 0, lo = 0, hi = 0, n = d->x1[i];
        fit_result_curve(nd, &n, dmax, 1, &l, &lo, &hi);
        double gap   = l - pow(nc / n, an);
        out[m].n     = n;
        out[m].d     = dmax;
        out[m].steps = gap > 0 ? sc / pow(gap, 1 / as) : NAN;
        m++;
    }
    /* By model size. */
    for (size_t i = 1; i < m; i++)
        for (size_t k = i; k > 0 && out[k].n < out[k - 1].n; k--) {
            struct fit_early_stop t = out[k];
            out[k]                  = out[k - 1];
            out[k - 1]              = t;
        }
    return m;
}
