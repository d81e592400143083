/*
 * test_frontier_coverage.c (suite long) — honest uncertainty for the compute frontier: learning
 * curves drawn from Hoffmann et al.'s (2022) fitted law L(N, D) = E + A/N^alpha + B/D^beta
 * (E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28) with multiplicative log-normal
 * noise per point, on the sizes and budgets of a sweep; the law `frontier` is fitted to them
 * with L(C) on the hull and on every frontier point (frontier_fit hull and envelope), and the
 * 95% intervals of L_inf, alpha_C and beta_opt must cover the exact frontier's values in at
 * least 90% of the seeds for the default (fit_request_init's). Both are measured and printed,
 * with the bias left by the discrete sizes, so that docs/results/frontier/README.md can quote
 * them; it does not test the frontier's construction (test_recovery, golden do).
 *
 * The exact frontier, with N continuous. At compute C = 6ND, D = C/(6N) and
 *   L(N) = E + A N^-alpha + B (C/6)^-beta N^beta.
 * dL/dN = 0 gives alpha A N^-alpha = beta B (C/6)^-beta N^beta, so
 *   N_opt = G (C/6)^b,  D_opt = (C/6)^a / G,  G = (alpha A / (beta B))^(1/(alpha+beta)),
 * with a = alpha/(alpha+beta), b = beta/(alpha+beta); there the two terms stand in the ratio
 * A N^-alpha : B D^-beta = beta : alpha, so
 *   L*(C) = E + (1 + alpha/beta) A G^-alpha (C/6)^-alpha_C,  alpha_C = alpha beta/(alpha+beta),
 * that is L* = E + K C^-alpha_C with K = (1 + alpha/beta) A G^-alpha 6^alpha_C, or in the law's
 * own form L_inf = E, C0 = K^(1/alpha_C); and N_opt = (C/C_n)^beta_opt with beta_opt = b and
 * C_n = 6 G^(-1/b).
 *
 * The sweep: SIZES sizes log-spaced over [N_LO, N_HI]; the run of size N trains on
 * BUDGET x D_opt(N) tokens (a little past its compute-optimal point, as a sweep must for its
 * curve to reach the frontier) and is evaluated at POINTS log-spaced token counts over the
 * last EVAL_DECADES decades of its budget. Points outside the compute window
 * [C_opt(N_LO), C_opt(N_HI)] are left out, as one does with --min/--max on compute: before the
 * smallest model's optimum the frontier is that model's under-trained curve, and past the
 * largest one's it is that model's over-trained curve, neither compute-optimal.
 *
 * The bias the discrete sizes leave (fitted minus true on the noise-free curves, printed as
 * "noise-free bias"; 10 sizes over two decades), measured: hull L_inf +0.00006, alpha_C
 * +0.00001, beta_opt +0.00272; envelope (the default) L_inf +0.00094, alpha_C +0.00009,
 * beta_opt +0.00099 — each under a tenth of its interval's mean width (hull 0.213, 0.0233,
 * 0.065; envelope 0.108, 0.0097, 0.044). The noise itself pulls the hull's estimates further
 * (mean bias +0.042 in L_inf: the hull picks the luckiest points); the intervals take that out.
 * docs/results/frontier/README.md has a full run's output.
 *
 * With --dips the curves have the dip of a learning rate that decays to the end of each run
 * (as real sweeps train): the last DIP_SPAN of each run's evaluated span in ln D (its last
 * third of evaluations) has its reducible loss multiplied by 1 - DIP_DEPTH u^2, u going from 0
 * where the span starts to 1 at the run's end, so that the end lies DIP_DEPTH below the
 * constant-rate curve. A per-run power law cannot
 * follow that dip (the bootstrap's smoother must). The frontier's L_inf is still E; that its
 * interval covers E in at least 90% of the seeds is checked for the default setting (the
 * hull's first vertex is the smallest run's point before its end, off the annealed ends' law,
 * which leaves it a noise-free bias that no interval can see; it is printed). alpha_C and
 * beta_opt are printed against the smooth law's values for information only: the hull's
 * vertices, the runs' annealed ends, lie on E + 0.8 K' C^-alpha_C with the smooth law's
 * exponents, but the envelope's other points do not.
 *
 * In both forms every reported parameter's interval must contain its estimate in every seed.
 *
 * usage: test_frontier_coverage [--dips] [SEEDS]   (default 100)
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "fit.h"

/* Hoffmann et al. (2022), approach 3. */
static const double law_E = 1.69, law_A = 406.4, law_B = 410.7, law_alpha = 0.34, law_beta = 0.28;

enum {
    SIZES      = 10,  /* model sizes of the sweep */
    POINTS     = 20,  /* evaluation points per learning curve */
    REPLICATES = 200, /* bootstrap replicates per fit */
    SEEDS      = 100, /* noisy sweeps */
};
static const double N_LO = 1e7, N_HI = 1e9; /* sizes (parameters) */
static const double BUDGET       = 2.0;     /* tokens trained, in units of D_opt(N) */
static const double EVAL_DECADES = 2.0;     /* the evaluated span of each curve, in tokens */
static const double SIGMA        = 0.005;   /* log-normal noise of each evaluated loss */
static const double DIP_SPAN     = 1.0 / 3; /* --dips: the annealed share of each run's span */
static const double DIP_DEPTH    = 0.2;     /* --dips: the reducible loss's drop at the end */

/* The true values: L_inf, alpha_C, beta_opt (reported parameters 0, 2, 4) and C0, C_n. */
struct truth {
    double linf, c0, alpha_c, c_n, beta_opt;
    double g; /* G of the derivation above */
};

static struct truth truth_make(void) {
    struct truth t;
    double       ab = law_alpha + law_beta;
    t.g             = pow(law_alpha * law_A / (law_beta * law_B), 1 / ab);
    t.alpha_c       = law_alpha * law_beta / ab;
    t.beta_opt      = law_beta / ab;
    double k = (1 + law_alpha / law_beta) * law_A * pow(t.g, -law_alpha) * pow(6.0, t.alpha_c);
    t.linf   = law_E;
    t.c0     = pow(k, 1 / t.alpha_c);
    t.c_n    = 6 * pow(t.g, -1 / t.beta_opt);
    return t;
}

/* The compute at which N is the optimal size. */
static double c_opt(const struct truth *t, double n) {
    return 6 * pow(n / t->g, 1 / t->beta_opt);
}

/* The size of run k and its j-th evaluated token count (j < POINTS). */
static double run_size(size_t k) {
    return N_LO * pow(N_HI / N_LO, (double)k / (SIZES - 1));
}

static double run_tokens(const struct truth *t, size_t k, size_t j) {
    double n = run_size(k), d_end = BUDGET * c_opt(t, n) / (6 * n);
    return d_end * pow(10.0, -EVAL_DECADES * (double)(POINTS - 1 - j) / (POINTS - 1));
}

/* The compute window: from the smallest run's first evaluation at or past its optimum to the
 * largest run's last one at or before its optimum, so that each end of the frontier is a point
 * of the run that is compute-optimal there. With dips the compute-optimal points are the runs'
 * annealed ends (which lie on E + (1 - DIP_DEPTH) K' C^-alpha_C, K' that of a run's end at
 * BUDGET x D_opt), so the window runs from the smallest run's last two evaluations to the
 * largest run's end. */
static void sweep_window(const struct truth *t, bool dips, double *lo, double *hi) {
    *lo = INFINITY, *hi = 0;
    if (dips) {
        *lo = 6 * N_LO * run_tokens(t, 0, POINTS - 2);
        *hi = 6 * N_HI * run_tokens(t, SIZES - 1, POINTS - 1);
        return;
    }
    for (size_t j = 0; j < POINTS; j++) {
        double c0 = 6 * N_LO * run_tokens(t, 0, j), c1 = 6 * N_HI * run_tokens(t, SIZES - 1, j);
        if (c0 >= c_opt(t, N_LO) && c0 < *lo) *lo = c0;
        if (c1 <= c_opt(t, N_HI) && c1 > *hi) *hi = c1;
    }
}

/* The factor on the reducible loss at the j-th evaluation of run k: 1, or with dips the
 * annealing's 1 - DIP_DEPTH u^2 over the last DIP_SPAN of the run's evaluated span in ln D (its
 * last third of evaluations), u going from 0 to 1 at the run's end. */
static double dip_factor(size_t j, bool dips) {
    double u = ((double)j / (POINTS - 1) - (1 - DIP_SPAN)) / DIP_SPAN;
    return dips && u > 0 ? 1 - DIP_DEPTH * u * u : 1;
}

/* One sweep's learning curves (sigma 0: noise-free), clipped to the compute window. */
static void sweep_make(const struct truth *t, gsl_rng *rng, double sigma, bool dips,
                       struct fit_data *d) {
    memset(d, 0, sizeof *d);
    size_t cap   = SIZES * POINTS;
    d->x1        = malloc(cap * sizeof *d->x1);
    d->y         = malloc(cap * sizeof *d->y);
    d->w         = malloc(cap * sizeof *d->w);
    d->line      = malloc(cap * sizeof *d->line);
    d->held_out  = calloc(cap, sizeof *d->held_out);
    d->run       = malloc(cap * sizeof *d->run);
    d->size      = malloc(cap * sizeof *d->size);
    d->run_names = malloc(SIZES * sizeof *d->run_names);
    d->n_runs    = SIZES;
    double c_lo, c_hi;
    sweep_window(t, dips, &c_lo, &c_hi);
    for (size_t k = 0; k < SIZES; k++) {
        double n        = run_size(k);
        d->run_names[k] = sf_strdup_printf("N%zu", k);
        for (size_t p = 0; p < POINTS; p++) {
            double tokens = run_tokens(t, k, p);
            double c      = 6 * n * tokens;
            double clean  = law_E + dip_factor(p, dips) * (law_A * pow(n, -law_alpha) +
                                                          law_B * pow(tokens, -law_beta));
            /* The draw happens for every point, kept or not, so that the window does not
             * change the noise of the points it keeps. */
            double noise = sigma > 0 ? gsl_ran_gaussian(rng, sigma) : 0;
            if (c < c_lo * (1 - 1e-12) || c > c_hi * (1 + 1e-12)) continue;
            size_t i   = d->n++;
            d->x1[i]   = c;
            d->y[i]    = clean * exp(noise);
            d->w[i]    = 1;
            d->line[i] = i + 2;
            d->run[i]  = k;
            d->size[i] = n;
        }
    }
}

/* What one frontier_fit setting gives over the seeds. */
struct tally {
    size_t fitted, cover[3], below[3], above[3];
    size_t outside; /* intervals of reported parameters that miss their own estimate */
    double width[3], bias[3], noise_free[3], sq[3]; /* sq: sum of squared errors, then sd */
};

static const size_t param_index[3] = {0, 2, 4}; /* L_inf, alpha_C, beta_opt */

static struct fit_result *fit_one(const struct fit_data *d, bool hull, size_t replicates,
                                  unsigned long seed) {
    struct fit_request req;
    fit_request_init(&req, FIT_LAW_FRONTIER);
    req.frontier_hull    = hull;
    req.params.bootstrap = replicates;
    req.params.seed      = seed;
    struct sf_error    err;
    struct fit_result *r = fit_run(d, &req, NULL, &err);
    if (r == NULL) fprintf(stderr, "fit failed: %s\n", err.message);
    return r;
}

static void measure(const struct truth *t, bool hull, bool dips, size_t seeds, struct tally *ty) {
    const double want[3] = {t->linf, t->alpha_c, t->beta_opt};
    memset(ty, 0, sizeof *ty);
    struct fit_data d;
    sweep_make(t, NULL, 0, dips, &d);
    struct fit_result *r = fit_one(&d, hull, 0, 1);
    for (size_t q = 0; q < 3; q++)
        ty->noise_free[q] = r ? r->param[param_index[q]].value.estimate - want[q] : NAN;
    fit_result_free(r);
    fit_data_free(&d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (unsigned long seed = 1; seed <= seeds; seed++) {
        gsl_rng_set(rng, seed);
        sweep_make(t, rng, SIGMA, dips, &d);
        r = fit_one(&d, hull, REPLICATES, seed);
        if (r != NULL) {
            ty->fitted++;
            for (size_t q = 0; q < 3; q++) {
                const struct fit_estimate *e = &r->param[param_index[q]].value;
                if (e->lo <= want[q] && want[q] <= e->hi) ty->cover[q]++;
                if (e->hi < want[q]) ty->below[q]++;
                if (e->lo > want[q]) ty->above[q]++;
                ty->width[q] += e->hi - e->lo;
                ty->bias[q] += e->estimate - want[q];
                ty->sq[q] += (e->estimate - want[q]) * (e->estimate - want[q]);
            }
            for (size_t j = 0; j < r->p; j++) {
                const struct fit_estimate *e = &r->param[j].value;
                if (!(e->lo <= e->estimate && e->estimate <= e->hi)) {
                    ty->outside++;
                    printf("  seed %lu: %s = %.6g outside its interval [%.6g, %.6g]\n", seed,
                           r->param[j].name, e->estimate, e->lo, e->hi);
                }
            }
            fit_result_free(r);
        }
        fit_data_free(&d);
    }
    gsl_rng_free(rng);
    for (size_t q = 0; q < 3; q++) {
        ty->width[q] /= (double)(ty->fitted ? ty->fitted : 1);
        ty->bias[q] /= (double)(ty->fitted ? ty->fitted : 1);
        ty->sq[q] = sqrt(
            fmax(0, ty->sq[q] / (double)(ty->fitted ? ty->fitted : 1) - ty->bias[q] * ty->bias[q]));
    }
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    bool dips = argc > 1 && strcmp(argv[1], "--dips") == 0;
    if (dips) argc--, argv++;
    size_t seeds = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : SEEDS;
    if (seeds == 0) seeds = SEEDS;
    struct truth t = truth_make();
    double       lo, hi;
    sweep_window(&t, dips, &lo, &hi);
    printf("truth: L_inf %.6g, C0 %.6g, alpha_C %.6g, C_n %.6g, beta_opt %.6g; window C in "
           "[%.4g, %.4g]\n",
           t.linf, t.c0, t.alpha_c, t.c_n, t.beta_opt, lo, hi);
    printf("sweep: %d sizes in [%g, %g], budget %g x D_opt, %d points over the last %g decades "
           "of tokens, noise sigma %g; %zu seeds x %d replicates\n",
           SIZES, N_LO, N_HI, BUDGET, POINTS, EVAL_DECADES, SIGMA, seeds, REPLICATES);
    if (dips)
        printf("dips: the reducible loss over each run's last %.3g of evaluations times 1 - %g u^2 "
               "(alpha_C and beta_opt: against the smooth law's values, for information)\n",
               DIP_SPAN, DIP_DEPTH);
    struct fit_request def;
    fit_request_init(&def, FIT_LAW_FRONTIER);
    const char *names[3] = {"L_inf", "alpha_C", "beta_opt"};
    size_t      need     = (seeds * 9 + 9) / 10;
    for (int mode = 0; mode < 2; mode++) {
        bool         hull = mode == 0;
        struct tally ty;
        measure(&t, hull, dips, seeds, &ty);
        const char *label = hull ? "hull" : "envelope";
        printf("frontier_fit %s%s: %zu of %zu sweeps fitted; %zu intervals miss their estimate\n",
               label, hull == def.frontier_hull ? " (default)" : "", ty.fitted, seeds, ty.outside);
        for (size_t q = 0; q < 3; q++)
            printf("  %-8s coverage %3zu/%zu (true value below the interval %zu, above %zu); "
                   "mean bias %+.5f; noise-free bias %+.5f; mean width %.5f; sd of the "
                   "estimates %.5f (width / 3.92 = %.5f)\n",
                   names[q], ty.cover[q], seeds, ty.above[q], ty.below[q], ty.bias[q],
                   ty.noise_free[q], ty.width[q], ty.sq[q], ty.width[q] / 3.92);
        /* Every interval holds its estimate, in both settings and both forms. */
        check(ty.outside == 0, "%s: every interval contains its estimate (%zu do not)", label,
              ty.outside);
        /* With dips, L_inf is checked for the default setting only: the hull's first vertex
         * is the smallest run's point before its end, off the annealed ends' law, which leaves
         * a noise-free bias (printed) that no interval can see. The exponents have no
         * closed-form truth on the envelope. */
        if (dips) {
            if (hull != def.frontier_hull) continue;
            check(ty.fitted == seeds, "%s: all %zu sweeps fitted (%zu)", label, seeds, ty.fitted);
            check(ty.cover[0] >= need,
                  "%s, dips: the 95%% interval of L_inf covers E in %zu of %zu (>= %zu)", label,
                  ty.cover[0], seeds, need);
            continue;
        }
        if (hull != def.frontier_hull) continue;
        /* The threshold: a correct 95% interval covers ~95 of 100; 90 leaves room for
         * the percentile bootstrap's undercoverage at these sizes. */
        check(ty.fitted == seeds, "%s: all %zu sweeps fitted (%zu)", label, seeds, ty.fitted);
        for (size_t q = 0; q < 3; q++)
            check(ty.cover[q] >= need,
                  "%s: the 95%% interval of %s covers the truth in %zu of %zu "
                  "(>= %zu)",
                  label, names[q], ty.cover[q], seeds, need);
    }
    return check_summary();
}
