/*
 * points.c — what figures 1 to 3 take from a fit: its points (the data, two-variable laws at
 * C = 6ND, or a frontier's envelope), the forecasts, the fitted law and its band at an x (for
 * two-variable laws along the compute-optimal allocation, which is law knowledge kept here until
 * the law table in src/fit gives it), and the x range they span.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The compute-optimal allocation of a two-variable law at compute C = 6ND: chinchilla's
 * N_opt = G (C/6)^a_opt (Hoffmann 2022, Approach 3); for kaplan-nd the minimum over N of
 * L(N, C/(6N)), which has the closed form N^(p+1) = p N_c^p C / (6 D_c), p = alpha_N/alpha_D. */
void figures_allocation(const struct fit_result *r, double c, double *n, double *dd) {
    if (r->law == FIT_LAW_CHINCHILLA) {
        double a = r->derived[0].estimate, g = r->derived[2].estimate;
        *n  = g * pow(c / 6, a);
        *dd = c / 6 / *n;
        return;
    }
    double nc = figures_param(r, "N_c"), an = figures_param(r, "alpha_N");
    double dc = figures_param(r, "D_c"), ad = figures_param(r, "alpha_D");
    double p = an / ad;
    *n       = exp((log(p) + p * log(nc) + log(c) - log(6) - log(dc)) / (p + 1));
    *dd      = c / 6 / *n;
}

/* True when the law has a compute-optimal allocation to draw (finite, positive). */
bool figures_has_allocation(const struct fit_result *r) {
    double n, dd;
    if (r->law != FIT_LAW_CHINCHILLA && r->law != FIT_LAW_KAPLAN_ND) return false;
    figures_allocation(r, 1e20, &n, &dd);
    return isfinite(n) && n > 0 && isfinite(dd) && dd > 0;
}

/* The fitted loss (or with `reducible` the law less its constant, with its own band: each
 * replicate less its own constant) and its band at x of figures 1 and 2 (two-variable laws: at
 * compute x, along the compute-optimal allocation). */
void figures_eval(const struct figures_fit *cf, double x, bool reducible, double *loss, double *lo,
                  double *hi) {
    double n = x, dd = 0;
    if (cf->two_var) figures_allocation(cf->r, x, &n, &dd);
    if (reducible)
        fit_result_reducible_curve(cf->r, &n, dd, 1, loss, lo, hi);
    else
        fit_result_curve(cf->r, &n, dd, 1, loss, lo, hi);
}

/* The points of figures 1-3: the data (two-variable laws at C = 6ND), or for the frontier the
 * envelope it was fitted to. */
size_t figures_n_points(const struct figures_fit *cf) {
    return cf->frontier ? cf->r->frontier.n_env : cf->d->n;
}

void figures_point(const struct figures_fit *cf, size_t i, double *x, double *y, bool *held) {
    if (cf->frontier) {
        *x = cf->r->frontier.env_c[i], *y = cf->r->frontier.env_l[i], *held = false;
        return;
    }
    *x    = cf->two_var ? 6 * cf->d->x1[i] * cf->d->x2[i] : cf->d->x1[i];
    *y    = cf->d->y[i];
    *held = cf->d->held_out[i];
}

double figures_forecast_x(const struct figures_fit *cf, size_t k) {
    const struct fit_point_request *p = &cf->r->req.predict[k];
    return cf->two_var ? 6 * p->x1 * p->x2 : p->x1;
}

double figures_param(const struct fit_result *r, const char *name) {
    for (size_t j = 0; j < r->p; j++)
        if (r->param[j].name && strcmp(r->param[j].name, name) == 0)
            return r->param[j].value.estimate;
    return NAN;
}

/* The x range of figures 1-3: the points and the forecasts. */
struct figures_range figures_x_range(const struct figures_fit *cf,
                                     struct figures_range     *data_only) {
    struct figures_range xr = figures_range_new(true);
    for (size_t i = 0; i < figures_n_points(cf); i++) {
        double x, y;
        bool   held;
        figures_point(cf, i, &x, &y, &held);
        figures_range_add(&xr, x);
    }
    if (data_only) *data_only = xr;
    for (size_t k = 0; k < cf->r->req.n_predict; k++)
        figures_range_add(&xr, figures_forecast_x(cf, k));
    return xr;
}
