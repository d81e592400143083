/*
 * optimum.c — the compute-optimal point of a law of N and D from any theta (each bootstrap
 * replicate's as well as the estimate's), found numerically so that it serves every such law:
 * at compute C (= 6ND) the loss L(N, C/(6N)) is minimised over ln N by golden-section search;
 * and the compute at which that least loss less the law's constant reaches a target reducible
 * loss, by bisection on ln C (the least loss never rises with C). Used by --target-reducible
 * for two-variable laws.
 */
#include <math.h>

#include "internal.h"

/* Bracket of ln N around ln sqrt(C/6), and the tolerances of both searches (in logs). */
static const double fit_opt_half_width = 30.0;
static const double fit_opt_tol        = 1e-10;

/* ln L at the point (ln N, ln C) of the compute line. */
static double fit_opt_lnl_impl(const struct fit_law_desc *law, const double *theta,
                               const bool *active, double lnn, double lnc) {
    return fit_law_lnpred(law, theta, active, lnn, lnc - log(6.0) - lnn, INFINITY, NULL);
}

double fit_law_optimal_lnn(const struct fit_law_desc *law, const double *theta, const bool *active,
                           double lnc) {
    const double g   = 0.5 * (sqrt(5.0) - 1);
    double       mid = 0.5 * (lnc - log(6.0));
    double       a = mid - fit_opt_half_width, b = mid + fit_opt_half_width;
    double       x1 = b - g * (b - a), x2 = a + g * (b - a);
    double       f1 = fit_opt_lnl_impl(law, theta, active, x1, lnc);
    double       f2 = fit_opt_lnl_impl(law, theta, active, x2, lnc);
    while (b - a > fit_opt_tol) {
        if (f1 <= f2) {
            b = x2, x2 = x1, f2 = f1;
            x1 = b - g * (b - a);
            f1 = fit_opt_lnl_impl(law, theta, active, x1, lnc);
        } else {
            a = x1, x1 = x2, f1 = f2;
            x2 = a + g * (b - a);
            f2 = fit_opt_lnl_impl(law, theta, active, x2, lnc);
        }
    }
    return 0.5 * (a + b);
}

/* The least reducible loss at ln C less the target. */
static double fit_opt_excess_impl(const struct fit_law_desc *law, const double *theta,
                                  const bool *active, double lnc, double constant,
                                  double reducible) {
    double lnn = fit_law_optimal_lnn(law, theta, active, lnc);
    return exp(fit_opt_lnl_impl(law, theta, active, lnn, lnc)) - constant - reducible;
}

bool fit_law_target_nd(const struct fit_law_desc *law, const double *theta, const bool *active,
                       double reducible, double *c, double *n, double *d) {
    double constant = law->has_constant ? fit_law_constant(law, theta, active) : 0;
    if (!(reducible > 0) || !isfinite(constant)) return false;
    /* ln C from 1 FLOP to 1e130 FLOP: the excess falls with C. */
    double lo = 0, hi = 300;
    double flo = fit_opt_excess_impl(law, theta, active, lo, constant, reducible);
    double fhi = fit_opt_excess_impl(law, theta, active, hi, constant, reducible);
    if (!(flo > 0) || !(fhi < 0)) return false;
    while (hi - lo > fit_opt_tol * fmax(1.0, fabs(hi))) {
        double mid = 0.5 * (lo + hi);
        double f   = fit_opt_excess_impl(law, theta, active, mid, constant, reducible);
        if (!isfinite(f)) return false;
        if (f > 0)
            lo = mid;
        else
            hi = mid;
    }
    double lnc = 0.5 * (lo + hi), lnn = fit_law_optimal_lnn(law, theta, active, lnc);
    *c = exp(lnc);
    *n = exp(lnn);
    *d = *c / (6 * *n);
    return true;
}
