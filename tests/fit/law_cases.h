/*
 * law_cases.h — the fit suite's case for every law, found by the law's name: an independent
 * formula of L (written from the papers, not from src/fit), true parameters, and what each test
 * needs besides. The tests iterate over the table of laws (fit_law_names()) and fail on a law
 * that has no case here, so a new law cannot go untested.
 */
#ifndef SF_TESTS_FIT_LAW_CASES_H
#define SF_TESTS_FIT_LAW_CASES_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

struct law_case {
    const char *name;
    /* L at (x1, x2) from the reported parameters p; NULL for laws fitted to curves (their
     * tests build learning curves of their own). */
    double (*value)(const double *p, double x1, double x2);
    double truth[FIT_MAX_PARAMS]; /* recovery and coverage */
    bool   huber;                 /* recovery is also run with Huber's loss */
    /* coverage: log-normal noise, data sets, and the reported indices checked (-1: none) */
    double sigma;
    size_t seeds;
    int    constant, exponent;
    /* jacobian: a point in the internal parameterisation (internal.h) */
    double theta[FIT_MAX_PARAMS]; /* as many as internal.h's FIT_MAX_THETA (test_jacobian) */
    /* the search: parameters whose exponents lie on the coarse grid (all 0: not tested) */
    double grid_truth[FIT_MAX_PARAMS];
};

static inline double law_case_power(const double *p, double x1, double x2) {
    (void)x2;
    return pow(p[0] / x1, p[1]);
}
static inline double law_case_power_const(const double *p, double x1, double x2) {
    (void)x2;
    return p[0] + pow(p[1] / x1, p[2]);
}
static inline double law_case_chinchilla(const double *p, double x1, double x2) {
    return p[0] + p[1] / pow(x1, p[2]) + p[3] / pow(x2, p[4]);
}
static inline double law_case_log(const double *p, double x1, double x2) {
    (void)x2;
    return p[0] * log(x1 / p[1]);
}
static inline double law_case_kaplan(const double *p, double x1, double x2) {
    return pow(pow(p[0] / x1, p[1] / p[3]) + p[2] / x2, p[3]);
}
/* Kaplan et al. 2020, eq. 1.6: L(N, S) = (N_c/N)^alpha_N + (S_c/S)^alpha_S, and with E. */
static inline double law_case_kaplan_ns(const double *p, double x1, double x2) {
    return pow(p[0] / x1, p[1]) + pow(p[2] / x2, p[3]);
}
/* Caballero et al. 2022: y = a + b x^-c0 prod_i (1 + (x/d_i)^(1/f_i))^(-c_i f_i). */
static inline double law_case_broken(const double *p, double x, size_t breaks) {
    double y = p[1] * pow(x, -p[2]);
    for (size_t i = 0; i < breaks; i++)
        y *= pow(1 + pow(x / p[4 + 3 * i], 1 / p[5 + 3 * i]), -p[3 + 3 * i] * p[5 + 3 * i]);
    return p[0] + y;
}
static inline double law_case_broken1(const double *p, double x1, double x2) {
    (void)x2;
    return law_case_broken(p, x1, 1);
}
static inline double law_case_broken2(const double *p, double x1, double x2) {
    (void)x2;
    return law_case_broken(p, x1, 2);
}
/* Muennighoff et al. 2023: L(N, D, U) = E + A/N'^alpha + B/D'^beta (PAPERS.md's formulas);
 * p = (E, A, alpha, B, beta, R_D*, R_N*). u = INFINITY: unlimited unique data. */
static inline double law_case_datacon_u(const double *p, double n, double d, double u) {
    double ud = u < d ? u : d, rd = d / ud - 1;
    double dp = ud + ud * p[5] * (1 - exp(-rd / p[5]));
    double g  = pow(p[2] * p[1] / (p[4] * p[3]), 1 / (p[2] + p[4]));
    double no = pow(g, 1 + p[4] / p[2]) * pow(ud, p[4] / p[2]);
    double un = no < n ? no : n, rn = n / un - 1;
    double np = un + un * p[6] * (1 - exp(-rn / p[6]));
    return p[0] + p[1] / pow(np, p[2]) + p[3] / pow(dp, p[4]);
}
static inline double law_case_datacon(const double *p, double x1, double x2) {
    return law_case_datacon_u(p, x1, x2, INFINITY);
}
/* The unique tokens of the tests' point i of a law with a third column: its D over 1, 2, 4, 8,
 * 16 or 40 epochs. The tests' grids give point i the token ratio i % 6 at size i / 6, so the
 * epochs turn with both, and every ratio meets every number of epochs across the sizes. */
static inline double law_case_unique(double n, double d, size_t i) {
    (void)n;
    static const double epochs[6] = {1, 2, 4, 8, 16, 40};
    return d / epochs[(i + i / 6) % 6];
}

static inline double law_case_kaplan_ns_const(const double *p, double x1, double x2) {
    return p[0] + law_case_kaplan_ns(p + 1, x1, x2);
}

/* A law with a third column (data-constrained): gives the points of `d` their unique tokens
 * (law_case_unique) and rescales their losses from the law without repetition to the law with
 * it, keeping any noise. Other laws: nothing. */
static inline bool law_case_add_unique(const struct law_case *lc, struct fit_data *d) {
    if (strcmp(lc->name, "data-constrained") != 0) return true;
    d->x3      = malloc((d->n ? d->n : 1) * sizeof *d->x3);
    d->x3_name = malloc(sizeof "unique");
    if (d->x3 == NULL || d->x3_name == NULL) return false;
    memcpy(d->x3_name, "unique", sizeof "unique");
    for (size_t i = 0; i < d->n; i++) {
        d->x3[i] = law_case_unique(d->x1[i], d->x2[i], i);
        d->y[i] *= law_case_datacon_u(lc->truth, d->x1[i], d->x2[i], d->x3[i]) /
                   law_case_datacon(lc->truth, d->x1[i], d->x2[i]);
    }
    return true;
}

/* The case of the law called `name`, or NULL. */
static inline const struct law_case *law_case_find(const char *name) {
    /* Noise levels as real sweeps show (a few tenths of a percent to one percent). The cheap
     * one-variable laws use 200 data sets, which halves the binomial spread of the count (the
     * percentile bootstrap covers about 92% at n = 20 and p = 2, measured over 400 data
     * sets). High-entropy Jacobian points (STYLE.md §32): no round numbers. */
    static const struct law_case cases[] = {
        {"power", law_case_power, {8.8e13, 0.076}, false, 0.01, 200, -1, 1, {2.473, 0.0713}, {0}},
        {"power+const",
         law_case_power_const,
         {3.12, 80.0, 0.24},
         true,
         0.003,
         200,
         0,
         2,
         {0.713, 4.871, 0.3127},
         {0}},
        {"chinchilla",
         law_case_chinchilla,
         {1.69, 406.4, 0.34, 410.7, 0.28},
         true,
         0.005,
         100,
         0,
         2,
         {0.713, 4.871, 0.3127, 5.093, 0.2843},
         {1.7, 400, 0.3, 300, 0.2}},
        {"kaplan-nd",
         law_case_kaplan,
         {6.4e13, 0.076, 1.8e13, 0.103},
         false,
         0.005,
         100,
         -1,
         3,
         {31.19, 0.0781, 30.47, 0.1037},
         {1e6, 0.3, 1e8, 0.4}},
        /* L(C) shares power+const's parameterisation; recovery and coverage of curves are
         * test_recovery's recover_frontier and the golden frontier fixture. */
        {"frontier", NULL, {0}, false, 0, 0, -1, -1, {0.713, 4.871, 0.3127}, {0}},
        /* power's parameterisation on the frontier: test_recovery's recover_frontier_power. */
        {"frontier-power", NULL, {0}, false, 0, 0, -1, -1, {4.871, 0.3127}, {0}},
        /* Henighan's I(N) = lambda ln(N/N_c); theta = (ln lambda, ln N_c). */
        {"log", law_case_log, {0.31, 800.0}, false, 0.01, 200, -1, 0, {-1.1713, 6.6846}, {0}},
        /* The tests' second variable spans 2e7 to 5e12 (tokens for the other laws): scales
         * that keep both terms of L(N, S) visible there; theta as chinchilla's. */
        {"kaplan-ns",
         law_case_kaplan_ns,
         {8.3e11, 0.23, 4.1e9, 0.31},
         false,
         0.005,
         100,
         -1,
         3,
         {0.0, 5.871, 0.2317, 6.893, 0.3083},
         {0}},
        {"kaplan-ns+const",
         law_case_kaplan_ns_const,
         {1.69, 2.6e8, 0.34, 3.3e9, 0.28},
         true,
         0.005,
         100,
         0,
         2,
         {0.713, 4.871, 0.3127, 5.093, 0.2843},
         {1.7, 1e8, 0.3, 1e10, 0.2}},
        /* Muennighoff et al.'s C4 fit; the tests give every point unique tokens
         * (law_case_unique) and evaluate law_case_datacon_u. theta = (ln E, ln A, alpha, ln B,
         * beta, ln R_D*, ln R_N*). 60 data sets: each takes about a second with its bootstrap. */
        {"data-constrained",
         law_case_datacon,
         {1.87, 521.0, 0.3527, 1488.0, 0.3527, 15.4, 5.3},
         false,
         0.005,
         60,
         0,
         2,
         {0.6259, 6.2558, 0.3531, 7.3052, 0.3522, 2.7344, 1.6677},
         {0}},
        /* Breaks inside the tests' range of x (1e4 to 1e9); theta = (ln a, ln b, c0, then
         * c_i, ln d_i, ln f_i per break; broken2's second place is ln(ln d2 - ln d1)). Two
         * breaks have no coverage case (0 data sets): 30 points and a bootstrap of nine
         * parameters take too long for the suite. */
        {"broken1",
         law_case_broken1,
         {1.5, 30.0, 0.15, 0.35, 1e6, 0.5},
         true,
         0.003,
         100,
         0,
         2,
         {0.4137, 3.4012, 0.1531, 0.3487, 13.8155, -0.6931},
         {0}},
        {"broken2",
         law_case_broken2,
         {1.2, 20.0, 0.1, 0.3, 1e5, 0.5, -0.2, 1e7, 0.7},
         false,
         0.003,
         0,
         0,
         2,
         {0.1823, 2.9957, 0.1013, 0.2988, 11.5129, -0.6931, -0.1977, 1.5272, -0.3567},
         {0}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        if (strcmp(cases[k].name, name) == 0) return &cases[k];
    return NULL;
}

#endif /* SF_TESTS_FIT_LAW_CASES_H */
