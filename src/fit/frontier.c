/*
 * frontier.c — the compute frontier of a set of learning curves (Henighan 2020, Kaplan 2020):
 * every curve interpolated linearly in (ln C, ln L) and the lowest taken at each point of a
 * log-spaced compute grid; then the lower convex hull of that envelope in (ln C, ln L), whose
 * owners are the compute-optimal runs. Fitting the laws to them happens in fit.c.
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

/* The compute range covered by the used runs with at least two points, in ln C. */
static bool fit_frontier_range_impl(const struct fit_runs *runs, const bool *use, double *lo,
                                    double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < runs->n_runs; k++) {
        if (use && !use[k]) continue;
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

size_t fit_frontier_grid_size(const struct fit_runs *runs, double points_per_decade) {
    double lo, hi;
    if (!fit_frontier_range_impl(runs, NULL, &lo, &hi)) return 0;
    return fit_frontier_n_impl(lo, hi, points_per_decade);
}

void fit_frontier_compute(const struct fit_runs *runs, const bool *use,
                          const struct fit_parameters *prm, size_t cap, double *env_c,
                          double *env_l, size_t *env_run, size_t *n_env, size_t *hull,
                          size_t *n_hull) {
    *n_env  = 0;
    *n_hull = 0;
    double lo, hi;
    if (!fit_frontier_range_impl(runs, use, &lo, &hi)) return;
    size_t n = fit_frontier_n_impl(lo, hi, prm->frontier_points_per_decade);
    if (n > cap) n = cap;
    size_t m = 0;
    for (size_t g = 0; g < n; g++) {
        double lc    = g + 1 == n ? hi : lo + (hi - lo) * (double)g / (double)(n - 1);
        double best  = INFINITY;
        size_t owner = 0;
        for (size_t k = 0; k < runs->n_runs; k++) {
            if (use && !use[k]) continue;
            size_t a = runs->start[k], b = runs->start[k + 1];
            if (b - a < 2) continue;
            double first = runs->lc[runs->pts[a]], last = runs->lc[runs->pts[b - 1]];
            if (lc < first || lc > last) continue;
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
            double v = l0 + t * (l1 - l0);
            if (v < best) {
                best  = v;
                owner = k;
            }
        }
        if (!isfinite(best)) continue;
        env_c[m]   = exp(lc);
        env_l[m]   = exp(best);
        env_run[m] = owner;
        m++;
    }
    *n_env = m;
    /* Lower convex hull by the monotone chain: keep only left turns that stand clear of
     * rounding (grid points on one straight piece of a curve are collinear, and their cross
     * products are noise of either sign). */
    size_t h = 0;
    for (size_t i = 0; i < m; i++) {
        double px = log(env_c[i]), py = log(env_l[i]);
        while (h >= 2) {
            double ax = log(env_c[hull[h - 2]]), ay = log(env_l[hull[h - 2]]);
            double bx = log(env_c[hull[h - 1]]), by = log(env_l[hull[h - 1]]);
            double p1 = (bx - ax) * (py - ay), p2 = (by - ay) * (px - ax);
            if (p1 - p2 > prm->hull_collinear_tol * (fabs(p1) + fabs(p2))) break;
            h--;
        }
        hull[h++] = i;
    }
    *n_hull = h;
}
