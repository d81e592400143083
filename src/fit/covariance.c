/*
 * covariance.c — the covariance of the parameters at the optimum. Least squares:
 * s² (JᵀWJ)⁻¹ with s² = Σ w r² / (n - p), the estimator NIST's certified standard deviations
 * use (weights are taken as relative, so the residual scale is estimated, never assumed to be
 * 1). Huber: Huber's (1981, §7.6) M-estimator covariance
 * K² [Σ w ψ²/(n - p)] / m² · (JᵀWJ)⁻¹ with ψ = clip(r, ±δ), m the weighted share of points
 * inside ±δ and K = 1 + (p/n) m(1 - m) / m²; with no point inside ±δ it falls back to the
 * least-squares formula and says so.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <string.h>

#include "internal.h"

bool fit_covariance_generic(const struct fit_residual_fn *rf, const double *w, enum fit_loss loss,
                            double delta, const double *theta, struct fit_workspace *ws,
                            double *cov, char *method, size_t method_len) {
    const size_t n = rf->n, p = rf->p;
    memset(cov, 0, p * p * sizeof *cov);
    if (p == 0 || n <= p) {
        snprintf(method, method_len, "none: fewer points than parameters plus one");
        return false;
    }
    if (!rf->fn(theta, ws->r, ws->J, rf->ctx)) {
        snprintf(method, method_len, "none: the optimum's predictions are not finite");
        return false;
    }
    double M[FIT_MAX_THETA * FIT_MAX_THETA] = {0};
    double sw = 0, s_in = 0, rss = 0, psi2 = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, r = ws->r[i];
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                M[a * p + b] += wi * ws->J[i * p + a] * ws->J[i * p + b];
        sw += wi;
        rss += wi * r * r;
        if (loss == FIT_LOSS_HUBER) {
            double c = fabs(r) <= delta ? r : (r < 0 ? -delta : delta);
            psi2 += wi * c * c;
            if (fabs(r) <= delta) s_in += wi;
        }
    }
    const double dof    = (double)(n - p);
    double       factor = rss / dof;
    if (loss == FIT_LOSS_HUBER) {
        double m = s_in / sw;
        if (m > 0) {
            double K = 1 + ((double)p / (double)n) * m * (1 - m) / (m * m);
            factor   = K * K * (psi2 / dof) / (m * m);
            snprintf(method, method_len,
                     "Huber M-estimator K^2 [sum w psi^2/(n-p)] / m^2 (J'WJ)^-1 with psi = "
                     "clip(r, +-delta), m = %.3g (weight share inside +-delta), K = %.4g",
                     m, K);
        } else {
            snprintf(method, method_len,
                     "s^2 (J'WJ)^-1 with s^2 = sum w r^2/(n-p): no residual lies inside "
                     "+-delta, so Huber's formula does not apply");
        }
    } else {
        snprintf(method, method_len, "s^2 (J'WJ)^-1 with s^2 = sum w r^2/(n-p) = %.4g", factor);
    }
    /* Invert the column-scaled matrix by Cholesky. */
    double d[FIT_MAX_THETA];
    for (size_t a = 0; a < p; a++) {
        d[a] = sqrt(M[a * p + a]);
        if (!(d[a] > 0)) {
            snprintf(method, method_len, "none: a parameter does not affect the fit");
            return false;
        }
    }
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++)
            M[a * p + b] /= d[a] * d[b];
    gsl_matrix_view Mv = gsl_matrix_view_array(M, p, p);
    if (gsl_linalg_cholesky_decomp1(&Mv.matrix) != GSL_SUCCESS ||
        gsl_linalg_cholesky_invert(&Mv.matrix) != GSL_SUCCESS) {
        snprintf(method, method_len, "none: J'WJ is singular (parameters not separable)");
        return false;
    }
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++)
            cov[a * p + b] = factor * M[a * p + b] / (d[a] * d[b]);
    return true;
}

bool fit_covariance(const struct fit_problem *pb, const struct fit_polish_out *opt,
                    struct fit_workspace *ws, double *cov, char *method, size_t method_len) {
    struct fit_law_rf      ctx;
    struct fit_residual_fn rf;
    fit_law_rf_init(&ctx, &rf, pb, opt->active, opt->theta, ws->Jfull);
    double x[FIT_MAX_THETA], small[FIT_MAX_THETA * FIT_MAX_THETA];
    for (size_t j = 0; j < ctx.p; j++)
        x[j] = opt->theta[ctx.map[j]];
    memset(cov, 0, FIT_MAX_THETA * FIT_MAX_THETA * sizeof *cov);
    if (!fit_covariance_generic(&rf, pb->w, pb->loss, pb->delta, x, ws, small, method, method_len))
        return false;
    for (size_t a = 0; a < ctx.p; a++)
        for (size_t b = 0; b < ctx.p; b++)
            cov[ctx.map[a] * FIT_MAX_THETA + ctx.map[b]] = small[a * ctx.p + b];
    return true;
}
