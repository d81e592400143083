/*
 * range.c — the numbers behind the axes: ranges of data values (log or linear), padded and
 * band-clipped; setting an axis from a range; evenly spaced grids in log; the size of a curve.
 */
#include <math.h>

#include "internal.h"

struct figures_range figures_range_new(bool log_axis) {
    struct figures_range r = {INFINITY, -INFINITY, log_axis};
    return r;
}

void figures_range_add(struct figures_range *r, double v) {
    if (!isfinite(v) || (r->log_axis && !(v > 0))) return;
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

bool figures_range_ok(const struct figures_range *r) {
    return r->lo <= r->hi;
}

/* Pads a range (a fraction of its span; a flat range gets a small span of its own). */
static struct figures_range figures_range_padded(struct figures_range r, double frac) {
    if (!figures_range_ok(&r)) return r;
    if (r.log_axis) {
        double a = log10(r.lo), b = log10(r.hi);
        double pad = b - a > 0 ? frac * (b - a) : 0.05;
        r.lo = pow(10, a - pad), r.hi = pow(10, b + pad);
    } else {
        double pad = r.hi - r.lo > 0 ? frac * (r.hi - r.lo) : (r.hi != 0 ? 0.1 * fabs(r.hi) : 1);
        r.lo -= pad, r.hi += pad;
    }
    return r;
}

/* Adds a band value to a y range only as far as FIGURES_BAND_ROOM allows past `core`. */
void figures_range_add_band(struct figures_range *r, const struct figures_range *core, double v) {
    if (!isfinite(v) || !(v > 0) || !figures_range_ok(core)) return;
    double span = log(core->hi / core->lo);
    double room = FIGURES_BAND_ROOM * (span > 0 ? span : 0.1);
    double lo = core->lo * exp(-room), hi = core->hi * exp(room);
    figures_range_add(r, v < lo ? lo : v > hi ? hi : v);
}

void figures_axis(struct plot_figure *fig, const char *axis, struct figures_range r) {
    if (figures_range_ok(&r) && !(r.hi > r.lo)) {
        /* One value: a span around it (a factor of two, or +-1 on a linear axis at 0). */
        if (r.log_axis)
            r.lo /= 2, r.hi *= 2;
        else if (r.lo != 0)
            r.lo -= fabs(r.lo) / 2, r.hi += fabs(r.hi) / 2;
        else
            r.lo = -1, r.hi = 1;
    }
    r = figures_range_padded(r, FIGURES_LOG_PAD);
    if (!figures_range_ok(&r)) r.lo = 1, r.hi = 10;
    plot_figure_set_axis(fig, axis, r.lo, r.hi, r.log_axis);
}

void figures_axis_span(struct plot_figure *fig, const char *axis, double lo, double hi,
                       bool log_axis) {
    struct figures_range r = figures_range_new(log_axis);
    figures_range_add(&r, lo);
    figures_range_add(&r, hi);
    figures_axis(fig, axis, r);
}

/* n values spaced evenly in log between lo and hi. */
void figures_logspace(double lo, double hi, size_t n, double *x) {
    for (size_t i = 0; i < n; i++) {
        double t = n > 1 ? (double)i / (double)(n - 1) : 0;
        x[i]     = exp(log(lo) + t * (log(hi) - log(lo)));
    }
    if (n > 1) x[0] = lo, x[n - 1] = hi;
}

/* Points of a fitted curve: the fit's curve_points setting. */
size_t figures_grid_size(const struct fit_result *r) {
    double n = r->req.params.curve_points;
    return n >= FIGURES_MIN_GRID ? (size_t)n : FIGURES_MIN_GRID;
}

/* qsort order of doubles, ascending. */
int figures_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
