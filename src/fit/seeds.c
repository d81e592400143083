/*
 * seeds.c — several seeds of one shape (`--shape COL` with a law fitted to learning curves):
 * the runs that share a shape are repeated measurements of one curve, not rivals. Taking the
 * frontier over them as separate runs would keep, at each compute, the luckiest seed (a
 * minimum of noisy values, biased low); instead their curves are averaged into one per shape
 * before the frontier is taken: at every compute point of any seed inside the range all seeds
 * cover, the mean of the seeds' losses, each interpolated linearly in (ln C, ln L) as the
 * frontier interpolates a curve. A shape with one run keeps its rows as they are.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The loss of run r at compute c by linear interpolation in (ln C, ln L) between its rows
 * (sorted by compute in idx[0..n-1]); NAN outside its range. */
static double fit_seed_interp_impl(const struct fit_data *d, const size_t *idx, size_t n,
                                   double c) {
    if (n == 0 || c < d->x1[idx[0]] || c > d->x1[idx[n - 1]]) return NAN;
    for (size_t k = 0; k + 1 < n; k++) {
        double c0 = d->x1[idx[k]], c1 = d->x1[idx[k + 1]];
        if (c > c1) continue;
        if (c == c0) return d->y[idx[k]];
        if (c == c1) return d->y[idx[k + 1]]; /* a point of the run: its own loss, exactly */
        double t = (log(c) - log(c0)) / (log(c1) - log(c0));
        return exp((1 - t) * log(d->y[idx[k]]) + t * log(d->y[idx[k + 1]]));
    }
    return d->y[idx[n - 1]];
}

/* A row and its compute, for sorting. */
struct fit_seed_pt {
    double c;
    size_t i;
};
static int fit_seed_cmp_impl(const void *a, const void *b) {
    const struct fit_seed_pt *x = a, *y = b;
    if (x->c != y->c) return (x->c > y->c) - (x->c < y->c);
    return (x->i > y->i) - (x->i < y->i);
}

enum sf_status fit_frontier_average_seeds(struct fit_data *d, char **run_shape,
                                          struct sf_error *err) {
    const size_t nr = d->n_runs, n = d->n;
    /* The shapes, in order of first appearance, and each run's shape. */
    size_t             *shape_of = malloc((nr ? nr : 1) * sizeof *shape_of);
    size_t             *first = malloc((nr ? nr : 1) * sizeof *first); /* first run of each shape */
    size_t             *order = malloc((n ? n : 1) * sizeof *order); /* rows by run, then compute */
    struct fit_seed_pt *pts   = malloc((n ? n : 1) * sizeof *pts);
    size_t             *start = calloc(nr + 1, sizeof *start);
    size_t              ns    = 0;
    if (!shape_of || !first || !order || !start || !pts) {
        free(shape_of), free(first), free(order), free(start), free(pts);
        SF_FAIL(err, SF_ENOMEM, "out of memory averaging seeds");
    }
    for (size_t r = 0; r < nr; r++) {
        size_t s = 0;
        while (s < ns && strcmp(run_shape[first[s]], run_shape[r]) != 0)
            s++;
        if (s == ns) first[ns++] = r;
        shape_of[r] = s;
    }
    for (size_t i = 0; i < n; i++)
        start[d->run[i] + 1]++;
    for (size_t r = 0; r < nr; r++)
        start[r + 1] += start[r];
    size_t *fill = calloc(nr ? nr : 1, sizeof *fill);
    if (fill == NULL) {
        free(shape_of), free(first), free(order), free(start), free(pts);
        SF_FAIL(err, SF_ENOMEM, "out of memory averaging seeds");
    }
    for (size_t i = 0; i < n; i++)
        order[start[d->run[i]] + fill[d->run[i]]++] = i;
    free(fill);
    for (size_t r = 0; r < nr; r++) {
        size_t a = start[r], len = start[r + 1] - a;
        for (size_t p = 0; p < len; p++)
            pts[p] = (struct fit_seed_pt){d->x1[order[a + p]], order[a + p]};
        qsort(pts, len, sizeof *pts, fit_seed_cmp_impl);
        for (size_t p = 0; p < len; p++)
            order[a + p] = pts[p].i;
    }
    /* At most every row survives: the new arrays have n places. */
    size_t         m = 0, cap = n ? n : 1;
    double        *x1 = malloc(cap * sizeof *x1), *y = malloc(cap * sizeof *y);
    double        *w = malloc(cap * sizeof *w), *size = d->size ? malloc(cap * sizeof *size) : NULL;
    size_t        *line = malloc(cap * sizeof *line), *run = malloc(cap * sizeof *run);
    bool          *ho    = calloc(cap, sizeof *ho);
    char         **names = calloc(ns ? ns : 1, sizeof *names);
    enum sf_status st    = SF_OK;
    if (!x1 || !y || !w || (d->size && !size) || !line || !run || !ho || !names)
        st = SF_SET(err, SF_ENOMEM, "out of memory averaging seeds");
    for (size_t s = 0; st == SF_OK && s < ns; s++) {
        names[s] = sf_strdup(run_shape[first[s]]);
        if (names[s] == NULL) st = SF_SET(err, SF_ENOMEM, "out of memory averaging seeds");
        /* The range every seed covers. */
        double lo = -INFINITY, hi = INFINITY;
        size_t k = 0;
        for (size_t r = 0; r < nr; r++) {
            if (shape_of[r] != s || start[r + 1] == start[r]) continue;
            lo = fmax(lo, d->x1[order[start[r]]]);
            hi = fmin(hi, d->x1[order[start[r + 1] - 1]]);
            k++;
        }
        /* The compute values of every seed inside that range, each value once. */
        size_t np = 0;
        for (size_t r = 0; r < nr; r++)
            for (size_t p = start[r]; shape_of[r] == s && p < start[r + 1]; p++)
                if (d->x1[order[p]] >= lo && d->x1[order[p]] <= hi)
                    pts[np++] = (struct fit_seed_pt){d->x1[order[p]], order[p]};
        qsort(pts, np, sizeof *pts, fit_seed_cmp_impl);
        for (size_t p = 0; st == SF_OK && p < np; p++) {
            if (p > 0 && pts[p].c == pts[p - 1].c) continue;
            size_t i = pts[p].i;
            double c = pts[p].c, sum = 0;
            for (size_t r = 0; r < nr; r++)
                if (shape_of[r] == s)
                    sum += fit_seed_interp_impl(d, order + start[r], start[r + 1] - start[r], c);
            x1[m] = c, y[m] = sum / (double)k, w[m] = d->w[i], line[m] = d->line[i];
            run[m] = s, ho[m] = d->held_out[i];
            if (size) size[m] = d->size[i];
            if (size && d->size[order[start[first[s]]]] != d->size[i])
                st = SF_SET(err, SF_EINVAL,
                            "runs of shape '%s' have different model sizes (%.17g and %.17g): "
                            "the seeds of one shape have one size",
                            names[s], d->size[order[start[first[s]]]], d->size[i]);
            m++;
        }
        if (st == SF_OK && k > 0 && !(lo <= hi))
            st = SF_SET(err, SF_EINVAL,
                        "the seeds of shape '%s' cover no common range of compute to average over",
                        names[s]);
    }
    free(shape_of), free(first), free(order), free(start), free(pts);
    if (st != SF_OK) {
        free(x1), free(y), free(w), free(size), free(line), free(run), free(ho);
        for (size_t s = 0; names && s < ns; s++)
            free(names[s]);
        free(names);
        return st;
    }
    free(d->x1), free(d->y), free(d->w), free(d->size), free(d->line), free(d->run);
    free(d->held_out);
    for (size_t r = 0; r < nr; r++)
        free(d->run_names[r]);
    free(d->run_names);
    d->x1 = x1, d->y = y, d->w = w, d->size = size, d->line = line, d->run = run;
    d->held_out  = ho;
    d->run_names = names;
    d->n         = m;
    d->runs_read = nr;
    d->n_runs    = ns;
    return SF_OK;
}
