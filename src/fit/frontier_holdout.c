/*
 * frontier_holdout.c — `--holdout K` for laws fitted to learning curves: the runs that own the
 * K largest-compute vertices of the frontier's lower convex hull (over every run) are held out
 * whole: their learning curves leave the fit, and in their place the frontier points they own
 * (before its flat tail) become the held-out points, so that the held-out error measures how
 * well L(C), fitted without those runs, predicts the frontier they set.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The frontier of every run of `d` (frontier.c), with its arrays allocated here. */
static enum sf_status fit_holdout_frontier_impl(const struct fit_data       *d,
                                                const struct fit_parameters *prm,
                                                struct fit_frontier *fr, struct sf_error *err) {
    struct fit_runs runs;
    enum sf_status  st = fit_runs_build(d, &runs, err);
    if (st != SF_OK) return st;
    size_t cap  = fit_frontier_capacity(&runs, prm->frontier_points_per_decade);
    cap         = cap ? cap : 1;
    fr->env_c   = malloc(cap * sizeof *fr->env_c);
    fr->env_l   = malloc(cap * sizeof *fr->env_l);
    fr->env_run = malloc(cap * sizeof *fr->env_run);
    fr->hull    = malloc(cap * sizeof *fr->hull);
    if (!fr->env_c || !fr->env_l || !fr->env_run || !fr->hull) {
        fit_runs_free(&runs);
        SF_FAIL(err, SF_ENOMEM, "out of memory for the frontier's hold-out");
    }
    fit_frontier_compute(&runs, prm, cap, fr);
    fit_runs_free(&runs);
    return SF_OK;
}

/* Marks in `held` (n_runs) the runs owning the k largest-compute hull vertices; returns how
 * many runs own hull vertices at all. */
static size_t fit_holdout_pick_impl(const struct fit_frontier *fr, size_t k, bool *held,
                                    size_t n_runs) {
    size_t picked = 0, owners = 0;
    bool  *seen = calloc(n_runs ? n_runs : 1, sizeof *seen);
    if (seen == NULL) return 0;
    for (size_t h = fr->n_hull; h-- > 0;) {
        size_t run = fr->env_run[fr->hull[h]];
        if (seen[run]) continue;
        seen[run] = true;
        owners++;
        if (picked < k) held[run] = true, picked++;
    }
    free(seen);
    return owners;
}

enum sf_status fit_frontier_holdout(struct fit_data *d, size_t k, const char *option,
                                    struct sf_error *err) {
    struct fit_parameters prm = fit_default_parameters();
    struct fit_frontier   fr;
    memset(&fr, 0, sizeof fr);
    bool          *held   = calloc(d->n_runs ? d->n_runs : 1, sizeof *held);
    enum sf_status st     = held ? fit_holdout_frontier_impl(d, &prm, &fr, err)
                                 : SF_SET(err, SF_ENOMEM, "out of memory for the hold-out");
    size_t         owners = st == SF_OK ? fit_holdout_pick_impl(&fr, k, held, d->n_runs) : 0;
    if (st == SF_OK && owners < k + 2)
        st = SF_SET_AT(err, SF_EINVAL, option,
                       "holds out %zu of the %zu runs that own the frontier's hull: at least two "
                       "must stay to fit it",
                       k, owners);
    /* The new rows: the kept rows of the other runs, then the held runs' frontier points. */
    size_t n_new = 0;
    for (size_t i = 0; st == SF_OK && i < d->n; i++)
        n_new += !held[d->run[i]];
    size_t n_front = 0;
    for (size_t e = 0; st == SF_OK && e < fr.n_front; e++)
        n_front += held[fr.env_run[e]];
    size_t  m  = n_new + n_front;
    double *x1 = NULL, *y = NULL, *w = NULL, *size = NULL;
    size_t *line = NULL, *run = NULL;
    bool   *ho = NULL;
    if (st == SF_OK) {
        x1   = malloc((m ? m : 1) * sizeof *x1);
        y    = malloc((m ? m : 1) * sizeof *y);
        w    = malloc((m ? m : 1) * sizeof *w);
        line = malloc((m ? m : 1) * sizeof *line);
        run  = malloc((m ? m : 1) * sizeof *run);
        ho   = calloc(m ? m : 1, sizeof *ho);
        size = d->size ? malloc((m ? m : 1) * sizeof *size) : NULL;
        if (!x1 || !y || !w || !line || !run || !ho || (d->size && !size))
            st = SF_SET(err, SF_ENOMEM, "out of memory for the hold-out");
    }
    if (st == SF_OK) {
        size_t j = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (held[d->run[i]]) continue;
            x1[j] = d->x1[i], y[j] = d->y[i], w[j] = d->w[i], line[j] = d->line[i];
            run[j] = d->run[i], ho[j] = d->held_out[i];
            if (size) size[j] = d->size[i];
            j++;
        }
        for (size_t e = 0; e < fr.n_front; e++) {
            size_t r = fr.env_run[e];
            if (!held[r]) continue;
            /* The line of the run's last point at or below this compute (its first otherwise). */
            size_t at = d->n, first = d->n;
            for (size_t i = 0; i < d->n; i++) {
                if (d->run[i] != r) continue;
                if (first == d->n || d->x1[i] < d->x1[first]) first = i;
                if (d->x1[i] <= fr.env_c[e] * (1 + 1e-12) && (at == d->n || d->x1[i] > d->x1[at]))
                    at = i;
            }
            size_t src = at < d->n ? at : first;
            x1[j] = fr.env_c[e], y[j] = fr.env_l[e], w[j] = 1, line[j] = d->line[src];
            run[j] = r, ho[j] = true;
            if (size) size[j] = d->size[src];
            j++;
        }
        free(d->x1), free(d->y), free(d->w), free(d->line), free(d->run), free(d->held_out);
        free(d->size);
        d->x1 = x1, d->y = y, d->w = w, d->line = line, d->run = run, d->held_out = ho;
        d->size = size;
        d->n    = m;
    } else {
        free(x1), free(y), free(w), free(line), free(run), free(ho), free(size);
    }
    free(held);
    free(fr.env_c), free(fr.env_l), free(fr.env_run), free(fr.hull);
    return st;
}
