/*
 * rollout.c — rolling-origin extrapolation (`scalefit fit --rollout`): the distinct sizes of the
 * fitted rows (x, or N of a two-variable law) in increasing order; split k fits the law to the
 * rows of the k smallest sizes and predicts every row of the next size, with the interval of
 * each prediction (the split's own bootstrap or covariance); k runs from the first split's
 * count to the last size but one. The result carries every prediction, each split's RMSE of
 * the log residuals, and the RMSE over all predictions: the error of extrapolating one size
 * ahead, judged the way the law will be used.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int fit_rollout_cmp_impl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The distinct sizes of the rows not held out, increasing, into a fresh array. */
static double *fit_rollout_sizes_impl(const struct fit_data *d, size_t *m) {
    double *s = malloc((d->n ? d->n : 1) * sizeof *s);
    if (s == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++)
        if (!d->held_out[i]) s[k++] = d->x1[i];
    qsort(s, k, sizeof *s, fit_rollout_cmp_impl);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || s[i] != s[u - 1]) s[u++] = s[i];
    *m = u;
    return s;
}

/* The data of one split: the rows at sizes <= fit_max (fitted) and at `next` (held out), in the
 * table's order; the column names are borrowed (the caller frees only the arrays). */
static bool fit_rollout_split_data_impl(const struct fit_data *d, double fit_max, double next,
                                        struct fit_data *s) {
    memset(s, 0, sizeof *s);
    size_t n    = d->n ? d->n : 1;
    s->x1       = malloc(n * sizeof *s->x1);
    s->x2       = d->x2 ? malloc(n * sizeof *s->x2) : NULL;
    s->x3       = d->x3 ? malloc(n * sizeof *s->x3) : NULL;
    s->y        = malloc(n * sizeof *s->y);
    s->w        = malloc(n * sizeof *s->w);
    s->line     = malloc(n * sizeof *s->line);
    s->held_out = malloc(n * sizeof *s->held_out);
    if (!s->x1 || (d->x2 && !s->x2) || (d->x3 && !s->x3) || !s->y || !s->w || !s->line ||
        !s->held_out)
        return false;
    for (size_t i = 0; i < d->n; i++) {
        if (d->held_out[i] || (d->x1[i] > fit_max && d->x1[i] != next)) continue;
        size_t k = s->n++;
        s->x1[k] = d->x1[i];
        if (d->x2) s->x2[k] = d->x2[i];
        if (d->x3) s->x3[k] = d->x3[i];
        s->y[k]        = d->y[i];
        s->w[k]        = d->w[i];
        s->line[k]     = d->line[i];
        s->held_out[k] = d->x1[i] == next;
    }
    s->x1_name = d->x1_name, s->x2_name = d->x2_name, s->x3_name = d->x3_name;
    s->y_name = d->y_name;
    return true;
}

static void fit_rollout_split_free_impl(struct fit_data *s) {
    free(s->x1), free(s->x2), free(s->x3), free(s->y), free(s->w), free(s->line), free(s->held_out);
    memset(s, 0, sizeof *s);
}

void fit_rollout_free(struct fit_rollout *ro) {
    if (ro == NULL) return;
    free(ro->splits);
    free(ro->points);
    free(ro);
}

enum sf_status fit_rollout_run(const struct fit_data *d, const struct fit_request *req,
                               struct fit_rollout **out, struct sf_error *err) {
    *out                           = NULL;
    const struct fit_law_desc *law = fit_law_desc(req->law);
    if (law->curves)
        SF_FAIL(err, SF_EINVAL, "--rollout does not apply to %s (its points are the frontier)",
                law->name);
    size_t  m;
    double *sizes = fit_rollout_sizes_impl(d, &m);
    if (sizes == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the rollout");
    size_t first = req->rollout_first;
    if (m < first + 1) {
        free(sizes);
        SF_FAIL(err, SF_EINVAL,
                "--rollout: the first split fits %zu sizes and predicts the next, but the rows "
                "have %zu distinct values of %s",
                first, m, d->x1_name ? d->x1_name : "x");
    }
    struct fit_rollout *ro = calloc(1, sizeof *ro);
    if (ro != NULL) {
        ro->first  = first;
        ro->splits = calloc(m - first, sizeof *ro->splits);
        ro->points = calloc(d->n ? d->n : 1, sizeof *ro->points);
    }
    if (ro == NULL || ro->splits == NULL || ro->points == NULL) {
        free(sizes);
        fit_rollout_free(ro);
        SF_FAIL(err, SF_ENOMEM, "out of memory for the rollout");
    }
    struct fit_request sreq = *req;
    sreq.rollout_first      = 0;
    sreq.n_predict = sreq.n_target = sreq.n_compute = 0;
    sreq.predict                                    = NULL;
    sreq.target_reducible = sreq.compute = NULL;
    double         sum_sq                = 0;
    enum sf_status st                    = SF_OK;
    for (size_t k = first; k < m && st == SF_OK; k++) {
        struct fit_rollout_split *sp = &ro->splits[ro->n_splits];
        sp->fitted_sizes             = k;
        sp->fitted_max               = sizes[k - 1];
        sp->predicted_size           = sizes[k];
        struct fit_data sd;
        if (!fit_rollout_split_data_impl(d, sizes[k - 1], sizes[k], &sd)) {
            fit_rollout_split_free_impl(&sd);
            st = SF_SET(err, SF_ENOMEM, "out of memory for the rollout");
            break;
        }
        struct fit_result *r = fit_run(&sd, &sreq, NULL, err);
        if (r == NULL) {
            sf_error_prefix(err, "--rollout, the fit to the %zu smallest sizes", k);
            st = err->code;
        } else {
            sp->n_fit     = r->n_fit;
            sp->converged = r->converged;
            sp->rmse_log  = r->heldout_rmse_log;
            for (size_t i = 0; i < sd.n; i++) {
                if (!sd.held_out[i]) continue;
                const struct fit_point_out *po = &r->points[i];
                struct fit_rollout_point   *pt = &ro->points[ro->n_points++];
                pt->split                      = ro->n_splits;
                pt->line                       = sd.line[i];
                pt->x1                         = sd.x1[i];
                pt->x2                         = sd.x2 ? sd.x2[i] : NAN;
                pt->x3                         = sd.x3 ? sd.x3[i] : NAN;
                pt->y                          = sd.y[i];
                pt->predicted                  = po->predicted;
                pt->lo                         = po->lo;
                pt->hi                         = po->hi;
                pt->residual_log               = po->residual_log;
                pt->inside                     = pt->lo <= pt->y && pt->y <= pt->hi;
                sum_sq += po->residual_log * po->residual_log;
                ro->covered += pt->inside;
                sp->n_predicted++;
            }
            ro->n_splits++;
        }
        fit_result_free(r);
        fit_rollout_split_free_impl(&sd);
    }
    free(sizes);
    if (st != SF_OK) {
        fit_rollout_free(ro);
        return st;
    }
    ro->rmse_log = ro->n_points ? sqrt(sum_sq / (double)ro->n_points) : NAN;
    *out         = ro;
    return SF_OK;
}
