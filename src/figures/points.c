/*
 * points.c — what figures 1 to 3 take from a fit: its points (the data, two-variable laws at
 * C = 6ND, or the frontier points L(C) was fitted to), the forecasts, the fitted law and its band
 * at an x (for two-variable laws along the compute-optimal allocation the law table gives), and the
 * x range they span.
 */
#include <math.h>

#include "internal.h"

/* True when the law has a compute-optimal allocation to draw (finite, positive). */
bool figures_has_allocation(const struct fit_result *r) {
    double n, dd;
    if (!fit_result_optimal_nd(r, 1e20, &n, &dd)) return false;
    return isfinite(n) && n > 0 && isfinite(dd) && dd > 0;
}

/* The fitted loss (or with `reducible` the law less its constant, with its own band: each
 * replicate less its own constant) and its band at x of figures 1 and 2 (two-variable laws: at
 * compute x, along the compute-optimal allocation). */
void figures_eval(const struct figures_fit *cf, double x, bool reducible, double *loss, double *lo,
                  double *hi) {
    double n = x, dd = 0;
    if (cf->two_var) fit_result_optimal_nd(cf->r, x, &n, &dd);
    if (reducible)
        fit_result_reducible_curve(cf->r, &n, dd, 1, loss, lo, hi);
    else
        fit_result_curve(cf->r, &n, dd, 1, loss, lo, hi);
}

/* The points of figures 1-3: the data (two-variable laws at C = 6ND), or for the frontier the
 * points L(C) was fitted to (the hull's vertices, or every frontier point before its tail). */
size_t figures_n_points(const struct figures_fit *cf) {
    const struct fit_frontier *fr = &cf->r->frontier;
    if (!cf->frontier) return cf->d->n;
    return cf->r->req.frontier_hull ? fr->n_hull : fr->n_front;
}

void figures_point(const struct figures_fit *cf, size_t i, double *x, double *y, bool *held) {
    if (cf->frontier) {
        const struct fit_frontier *fr = &cf->r->frontier;
        size_t                     k  = cf->r->req.frontier_hull ? fr->hull[i] : i;
        *x = fr->env_c[k], *y = fr->env_l[k], *held = false;
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
