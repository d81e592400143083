/*
 * test_coverage.c (suite long) — honest uncertainty: for each law, 100 noisy data sets drawn
 * from known parameters (log-normal noise, seeds 1..100), each fitted with 200 bootstrap
 * replicates; the 95% intervals must cover the true constant (L_inf or E, for laws with one) and
 * the true exponent in at least 90% of the data sets (the threshold; a correct 95%
 * interval covers ~95 of 100, and 90 leaves room for the percentile bootstrap's known
 * undercoverage at these sample sizes).
 *
 * (200 data sets for the cheap one-variable laws).
 *
 * usage: test_coverage [LAW]   (default: every law but frontier, whose curves have no exact
 * "true" envelope parameters)
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fit.h"
#include "law_cases.h"

enum { REPLICATES = 200 };

static void coverage(enum fit_law_kind law, const struct law_case *lc) {
    const double *truth = lc->truth;
    const double  sigma = lc->sigma;
    const size_t  seeds = lc->seeds;
    const int     ic = lc->constant, ie = lc->exponent;
    size_t        cover_c = 0, cover_e = 0, fitted = 0;
    gsl_rng      *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (unsigned long seed = 1; seed <= seeds; seed++) {
        gsl_rng_set(rng, seed);
        struct fit_data d;
        memset(&d, 0, sizeof d);
        size_t n   = fit_law_n_vars(law) == 1 ? 30 : 48;
        d.n        = n;
        d.x1       = malloc(n * sizeof(double));
        d.x2       = fit_law_n_vars(law) == 2 ? malloc(n * sizeof(double)) : NULL;
        d.y        = malloc(n * sizeof(double));
        d.w        = malloc(n * sizeof(double));
        d.line     = malloc(n * sizeof(size_t));
        d.held_out = calloc(n, sizeof(bool));
        for (size_t i = 0; i < n; i++) {
            if (d.x2 == NULL) {
                d.x1[i] = pow(10.0, 4 + 5.0 * (double)i / (double)(n - 1));
            } else {
                d.x1[i] = pow(10.0, 7 + 3.0 * (double)(i / 6) / 7.0);
                d.x2[i] = d.x1[i] * pow(10.0, 0.3 + 0.4 * (double)(i % 6));
            }
            double clean = lc->value(truth, d.x1[i], d.x2 ? d.x2[i] : 0);
            d.y[i]       = clean * exp(gsl_ran_gaussian(rng, sigma));
            d.w[i]       = 1;
            d.line[i]    = i + 2;
        }
        law_case_add_unique(lc, &d);
        struct fit_request req;
        fit_request_init(&req, law);
        req.params.bootstrap = REPLICATES;
        req.params.seed      = seed;
        struct sf_error    err;
        struct fit_result *r = fit_run(&d, &req, NULL, &err);
        if (r != NULL) {
            fitted++;
            if (ic >= 0 && r->param[ic].value.lo <= truth[ic] && truth[ic] <= r->param[ic].value.hi)
                cover_c++;
            if (ie >= 0 && r->param[ie].value.lo <= truth[ie] && truth[ie] <= r->param[ie].value.hi)
                cover_e++;
            fit_result_free(r);
        }
        fit_data_free(&d);
    }
    gsl_rng_free(rng);
    size_t need = (seeds * 9 + 9) / 10;
    check(fitted == seeds, "%s: all %zu noisy data sets fitted (%zu)", fit_law_name(law), seeds,
          fitted);
    if (ic >= 0)
        check(cover_c >= need,
              "%s: the 95%% interval of %s covers the truth in %zu of %zu (>= %zu)",
              fit_law_name(law), fit_law_param_name(law, (size_t)ic), cover_c, seeds, need);
    check(cover_e >= need, "%s: the 95%% interval of %s covers the truth in %zu of %zu (>= %zu)",
          fit_law_name(law), fit_law_param_name(law, (size_t)ie), cover_e, seeds, need);
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    const char *only = argc > 1 ? argv[1] : NULL;
    for (int k = 0; k < FIT_LAW_COUNT; k++) {
        enum fit_law_kind law = (enum fit_law_kind)k;
        if (fit_law_fits_curves(law) || (only && strcmp(only, fit_law_name(law)) != 0)) continue;
        const struct law_case *lc = law_case_find(fit_law_name(law));
        if (!check(lc != NULL && lc->value != NULL, "%s: the law has a case in law_cases.h",
                   fit_law_name(law)))
            continue;
        if (lc->seeds == 0) { /* its coverage is not measured here (law_cases.h says why) */
            printf("SKIP %s: no coverage case\n", fit_law_name(law));
            continue;
        }
        coverage(law, lc);
    }
    return check_summary();
}
