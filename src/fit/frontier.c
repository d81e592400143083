/*
 * frontier.c — the compute frontier of a set of learning curves (Henighan 2020, Kaplan 2020):
 * the running minimum over compute, the lowest loss any run reached at compute <= C, on a
 * log-spaced compute grid (every curve interpolated linearly in (ln C, ln L)) plus the runs'
 * own points where they set a new lowest loss; where it ends in a flat tail; and the lower
 * convex hull in (ln C, ln L) of the part before the tail, whose owners are the compute-optimal
 * runs. Fitting the laws to them happens in fit.c; this file neither fits nor resamples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A point's compute and index, sorted together (qsort has no context argument). */
struct fit_by_compute {
    double c;
    size_t i;
};

static int fit_by_compute_impl(const void *a, const void *b) {
    const struct fit_by_compute *x = a, *y = b;
    if (x->c != y->c) return (x->c > y->c) - (x->c < y->c);
    return (x->i > y->i) - (x->i < y->i);
}

void fit_runs_free(struct fit_runs *runs) {
    if (runs == NULL) return;
    free(runs->start);
    free(runs->pts);
    free(runs->lc);
    free(runs->ll);
    free(runs->by_c);
    free(runs->by_c_run);
    memset(runs, 0, sizeof *runs);
}

enum sf_status fit_runs_build(const struct fit_data *d, struct fit_runs *runs,
                              struct sf_error *err) {
    memset(runs, 0, sizeof *runs);
    runs->n_runs = d->n_runs;
    runs->start  = calloc(d->n_runs + 1, sizeof *runs->start);
    runs->pts    = malloc((d->n ? d->n : 1) * sizeof *runs->pts);
    runs->lc     = malloc((d->n ? d->n : 1) * sizeof *runs->lc);
    runs->ll     = malloc((d->n ? d->n : 1) * sizeof *runs->ll);
    if (runs->start == NULL || runs->pts == NULL || runs->lc == NULL || runs->ll == NULL) {
        fit_runs_free(runs);
        SF_FAIL(err, SF_ENOMEM, "out of memory grouping learning curves");
    }
    for (size_t i = 0; i < d->n; i++) {
        runs->lc[i] = log(d->x1[i]);
        runs->ll[i] = log(d->y[i]);
    }
    for (size_t i = 0; i < d->n; i++)
        if (!d->held_out[i]) runs->start[d->run[i] + 1]++;
    for (size_t k = 0; k < d->n_runs; k++)
        runs->start[k + 1] += runs->start[k];
    size_t *fill = calloc(d->n_runs ? d->n_runs : 1, sizeof *fill);
    if (fill == NULL) {
        fit_runs_free(runs);
        SF_FAIL(err, SF_ENOMEM, "out of memory grouping learning curves");
    }
    for (size_t i = 0; i < d->n; i++) {
        if (d->held_out[i]) continue;
        size_t k                              = d->run[i];
        runs->pts[runs->start[k] + fill[k]++] = i;
    }
    free(fill);
    struct fit_by_compute *tmp = malloc((d->n ? d->n : 1) * sizeof *tmp);
    if (tmp == NULL) {
        fit_runs_free(runs);
        SF_FAIL(err, SF_ENOMEM, "out of memory sorting learning curves");
    }
    for (size_t k = 0; k < d->n_runs; k++) {
        size_t a0 = runs->start[k], len = runs->start[k + 1] - a0;
        for (size_t m = 0; m < len; m++) {
            tmp[m].i = runs->pts[a0 + m];
            tmp[m].c = d->x1[tmp[m].i];
        }
        qsort(tmp, len, sizeof *tmp, fit_by_compute_impl);
        for (size_t m = 0; m < len; m++)
            runs->pts[a0 + m] = tmp[m].i;
        for (size_t m = runs->start[k] + 1; m < runs->start[k + 1]; m++) {
            size_t a = runs->pts[m - 1], b = runs->pts[m];
            if (d->x1[a] == d->x1[b]) {
                free(tmp);
                enum sf_status st = sf_error_set(
                    err, SF_EINVAL, NULL, __FILE__, __LINE__,
                    "run '%s' has two points at compute %.17g (lines %zu and %zu): a learning "
                    "curve must have one loss per compute value",
                    d->run_names[k], d->x1[b], d->line[a], d->line[b]);
                fit_runs_free(runs);
                return st;
            }
        }
    }
    /* Every point of the runs with at least two, in order of compute (ties by row), for the
     * running minimum's merge with the grid. */
    runs->by_c     = malloc((d->n ? d->n : 1) * sizeof *runs->by_c);
    runs->by_c_run = malloc((d->n ? d->n : 1) * sizeof *runs->by_c_run);
    if (runs->by_c == NULL || runs->by_c_run == NULL) {
        free(tmp);
        fit_runs_free(runs);
        SF_FAIL(err, SF_ENOMEM, "out of memory sorting learning curves");
    }
    size_t m = 0;
    for (size_t k = 0; k < d->n_runs; k++) {
        if (runs->start[k + 1] - runs->start[k] < 2) continue;
        for (size_t p = runs->start[k]; p < runs->start[k + 1]; p++) {
            tmp[m].i = runs->pts[p];
            tmp[m].c = d->x1[runs->pts[p]];
            m++;
        }
    }
    qsort(tmp, m, sizeof *tmp, fit_by_compute_impl);
    for (size_t p = 0; p < m; p++) {
        runs->by_c[p]     = tmp[p].i;
        runs->by_c_run[p] = d->run[tmp[p].i];
    }
    runs->n_by_c = m;
    free(tmp);
    return SF_OK;
}

size_t fit_frontier_hull_runs(const struct fit_frontier *fr, size_t *runs) {
    size_t m = 0;
    for (size_t h = 0; h < fr->n_hull; h++) {
        size_t run  = fr->env_run[fr->hull[h]];
        bool   seen = false;
        for (size_t g = 0; g < m; g++)
            seen = seen || runs[g] == run;
        if (!seen) runs[m++] = run;
    }
    return m;
}

/* The compute range covered by the runs with at least two points, in ln C. */
static bool fit_frontier_range_impl(const struct fit_runs *runs, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < runs->n_runs; k++) {
        size_t a = runs->start[k], b = runs->start[k + 1];
        if (b - a < 2) continue;
        double first = runs->lc[runs->pts[a]], last = runs->lc[runs->pts[b - 1]];
        if (first < *lo) *lo = first;
        if (last > *hi) *hi = last;
    }
    return *lo < *hi;
}

static size_t fit_frontier_n_impl(double lo, double hi, double ppd) {
    double n = ceil(ppd * (hi - lo) / log(10.0)) + 1;
    return n < 2 ? 2 : (size_t)n;
}

size_t fit_frontier_capacity(const struct fit_runs *runs, double points_per_decade) {
    double lo, hi;
    if (!fit_frontier_range_impl(runs, &lo, &hi)) return 0;
    return fit_frontier_n_impl(lo, hi, points_per_decade) + runs->n_by_c;
}

/* The lowest loss of run k at ln C = lc by linear interpolation in (ln C, ln L); INFINITY
 * outside its range. */
static double fit_frontier_interp_impl(const struct fit_runs *runs, size_t k, double lc) {
    size_t a = runs->start[k], b = runs->start[k + 1];
    if (b - a < 2) return INFINITY;
    double first = runs->lc[runs->pts[a]], last = runs->lc[runs->pts[b - 1]];
    if (lc < first || lc > last) return INFINITY;
    /* The segment holding lc: the last point with ln C <= lc (binary search). */
    size_t l = a, r = b - 1;
    while (r - l > 1) {
        size_t mid = l + (r - l) / 2;
        if (runs->lc[runs->pts[mid]] <= lc)
            l = mid;
        else
            r = mid;
    }
    double c0 = runs->lc[runs->pts[l]], c1 = runs->lc[runs->pts[r]];
    double l0 = runs->ll[runs->pts[l]], l1 = runs->ll[runs->pts[r]];
    double t = (lc - c0) / (c1 - c0);
    return l0 + t * (l1 - l0);
}

/* Appends a frontier point (in ln C, ln L) and, when it lies below the one before, moves the
 * last drop to it. */
static void fit_frontier_push_impl(struct fit_frontier *fr, size_t cap, double lc, double ll,
                                   size_t owner, double *prev, size_t *last_drop) {
    if (fr->n_env >= cap) return;
    fr->env_c[fr->n_env]   = exp(lc);
    fr->env_l[fr->n_env]   = exp(ll);
    fr->env_run[fr->n_env] = owner;
    if (ll < *prev) {
        *prev      = ll;
        *last_drop = fr->n_env;
    }
    fr->n_env++;
}

void fit_frontier_compute(const struct fit_runs *runs, const struct fit_parameters *prm, size_t cap,
                          struct fit_frontier *fr) {
    fr->n_env   = 0;
    fr->n_front = 0;
    fr->n_hull  = 0;
    double lo, hi;
    if (!fit_frontier_range_impl(runs, &lo, &hi)) return;
    size_t n = fit_frontier_n_impl(lo, hi, prm->frontier_points_per_decade);
    /* The running minimum: a merge of the grid with the runs' points in order of compute. At
     * each, the lowest of the running minimum, the point itself and the curves that cover its
     * compute. A run's point that is that lowest value, below the running minimum before it, is
     * a frontier point of its own (a corner: the annealed end of a run is one), so that the hull's
     * vertices sit at the compute where a run reached them, not at the next grid point; every grid
     * point is one. Since each curve is linear between its points, its lowest loss up to C is at
     * one of them or at C, so these values are the exact running minimum at those computes. */
    double best = INFINITY, prev = INFINITY, gap = prm->frontier_corner_gap, lc_prev = -INFINITY;
    size_t owner = 0, j = 0, last_drop = 0;
    for (size_t g = 0; g < n; g++) {
        double lc = g + 1 == n ? hi : lo + (hi - lo) * (double)g / (double)(n - 1);
        for (; j < runs->n_by_c && runs->lc[runs->by_c[j]] <= lc; j++) {
            size_t i = runs->by_c[j], o = runs->by_c_run[j];
            double v   = runs->ll[i];
            bool   own = true;
            for (size_t k = 0; k < runs->n_runs; k++) {
                double u = fit_frontier_interp_impl(runs, k, runs->lc[i]);
                if (u < v) v = u, o = k, own = false;
            }
            if (v >= best) continue;
            best  = v;
            owner = o;
            /* A corner is a point of the run that is lowest there; a point on (or a rounding
             * away from) a grid point is that grid point's. */
            if (own && runs->lc[i] < lc - gap && runs->lc[i] > lc_prev + gap)
                fit_frontier_push_impl(fr, cap, runs->lc[i], best, owner, &prev, &last_drop);
        }
        lc_prev = lc;
        for (size_t k = 0; k < runs->n_runs; k++) {
            double v = fit_frontier_interp_impl(runs, k, lc);
            if (v < best) {
                best  = v;
                owner = k;
            }
        }
        fit_frontier_push_impl(fr, cap, lc, best, owner, &prev, &last_drop);
    }
    /* The flat tail: past the point where the lowest loss of all is first reached, the running
     * minimum only repeats it (the best run has ended, and runs that go on are smaller models
     * above it). Those points say nothing about how loss falls with compute and would pull the
     * fit flat, so L(C) and the hull stop at that point; the figure still draws the tail. */
    fr->n_front = fr->n_env ? last_drop + 1 : 0;
    /* Lower convex hull by the monotone chain: keep only left turns that stand clear of
     * rounding (grid points on one straight piece of a curve are collinear, and their cross
     * products are noise of either sign). The frontier never rises, so the hull falls
     * everywhere; the start of an inner flat stretch (a run's last point) can be a vertex, its
     * other points lie above the chord to the next drop and are not. */
    size_t h = 0;
    for (size_t i = 0; i < fr->n_front; i++) {
        double px = log(fr->env_c[i]), py = log(fr->env_l[i]);
        while (h >= 2) {
            double ax = log(fr->env_c[fr->hull[h - 2]]), ay = log(fr->env_l[fr->hull[h - 2]]);
            double bx = log(fr->env_c[fr->hull[h - 1]]), by = log(fr->env_l[fr->hull[h - 1]]);
            double p1 = (bx - ax) * (py - ay), p2 = (by - ay) * (px - ax);
            if (p1 - p2 > prm->hull_collinear_tol * (fabs(p1) + fabs(p2))) break;
            h--;
        }
        fr->hull[h++] = i;
    }
    fr->n_hull = h;
}
