/*
 * objective.c — residuals of a law problem in log or linear space with their Jacobian, the
 * summed objective (squares or Huber), and the transform ψ that turns the Huber objective into
 * a sum of squares so that GSL's least-squares solver minimises it exactly: ψ(r) = r for
 * |r| <= δ, sign(r)·sqrt(2δ|r| - δ²) beyond, so that ψ²/2 = h_δ and ψ is continuously
 * differentiable.
 */
#include <math.h>

#include "internal.h"

bool fit_problem_residuals(const struct fit_problem *pb, const double *theta, const bool *active,
                           double *r, double *J) {
    const size_t p = pb->law->n_theta;
    double       g[FIT_MAX_THETA];
    for (size_t i = 0; i < pb->n; i++) {
        double lx2 = pb->lx2 ? pb->lx2[i] : 0, lx3 = pb->lx3 ? pb->lx3[i] : INFINITY;
        double lp = fit_law_lnpred(pb->law, theta, active, pb->lx1[i], lx2, lx3, J ? g : NULL);
        if (!isfinite(lp)) return false;
        double scale = 1;
        if (pb->space == FIT_SPACE_LOG) {
            r[i] = lp - pb->ly[i];
        } else {
            double pred = exp(lp);
            if (!isfinite(pred)) return false;
            r[i]  = pred - pb->y[i];
            scale = pred;
        }
        if (J) {
            for (size_t j = 0; j < p; j++)
                J[i * p + j] = scale * g[j];
        }
    }
    return true;
}

double fit_huber(double r, double delta) {
    double a = fabs(r);
    return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}

double fit_huber_psi(double r, double delta, double *dpsi) {
    double a = fabs(r);
    if (a <= delta) {
        if (dpsi) *dpsi = 1;
        return r;
    }
    double v = sqrt(2 * delta * a - delta * delta);
    if (dpsi) *dpsi = delta / v;
    return r < 0 ? -v : v;
}
