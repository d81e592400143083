/*
 * report_yaml.c — fit.yaml, the machine-readable record of one fit, in DESIGN.md's schema and
 * order, through libyaml's emitter; and comparison.yaml for several fits. Numbers are written
 * in their shortest exact form; a value that does not exist is null.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void fit_y_num_impl(struct sf_yaml_out *y, double v) {
    if (isfinite(v))
        sf_yaml_double(y, v);
    else
        sf_yaml_null(y);
}

static void fit_y_kv_num_impl(struct sf_yaml_out *y, const char *key, double v) {
    sf_yaml_plain(y, key);
    fit_y_num_impl(y, v);
}

static void fit_y_ci_impl(struct sf_yaml_out *y, double lo, double hi) {
    sf_yaml_plain(y, "ci");
    sf_yaml_seq_begin(y, true);
    fit_y_num_impl(y, lo);
    fit_y_num_impl(y, hi);
    sf_yaml_seq_end(y);
}

static void fit_y_estimate_impl(struct sf_yaml_out *y, const char *key,
                                const struct fit_estimate *e, double level) {
    sf_yaml_plain(y, key);
    sf_yaml_map_begin(y, true);
    fit_y_kv_num_impl(y, "estimate", e->estimate);
    fit_y_kv_num_impl(y, "se", e->se);
    fit_y_ci_impl(y, e->lo, e->hi);
    sf_yaml_kv_double(y, "level", level);
    sf_yaml_map_end(y);
}

/* Names of the law's variables as the table calls them. */
static void fit_y_x_names_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    sf_yaml_seq_begin(y, true);
    sf_yaml_str(y, r->data->x1_name);
    if (r->data->x2_name) sf_yaml_str(y, r->data->x2_name);
    sf_yaml_seq_end(y);
}

/* Ends the document, writes it to DIR/NAME atomically and frees the writer. */
static enum sf_status fit_yaml_save_impl(struct sf_yaml_out *y, const char *dir, const char *name,
                                         struct sf_error *err) {
    char          *text;
    enum sf_status st = sf_yaml_out_finish(y, &text, err);
    sf_yaml_out_free(y);
    if (st != SF_OK) return st;
    st = sf_write_atomic_at(dir, name, text, strlen(text), err);
    free(text);
    return st;
}

static void fit_y_tuning_impl(struct sf_yaml_out *y, const struct fit_parameters *p) {
    sf_yaml_plain(y, "tuning");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_int(y, "polish_starts", (long long)p->polish_starts);
    sf_yaml_kv_int(y, "max_iter", (long long)p->max_iter);
    sf_yaml_kv_int(y, "huber_switch_iter", (long long)p->huber_switch_iter);
    sf_yaml_kv_int(y, "max_restarts", (long long)p->max_restarts);
    sf_yaml_kv_double(y, "xtol", p->xtol);
    sf_yaml_kv_double(y, "gtol", p->gtol);
    sf_yaml_kv_double(y, "ftol", p->ftol);
    sf_yaml_kv_double(y, "stationary_tol", p->stationary_tol);
    sf_yaml_kv_double(y, "exp_polish_max", p->exp_polish_max);
    sf_yaml_kv_double(y, "residual_floor", p->residual_floor);
    sf_yaml_kv_double(y, "rank_tol", p->rank_tol);
    sf_yaml_kv_double(y, "bound_log_drop", p->bound_log_drop);
    sf_yaml_kv_double(y, "fd_step", p->fd_step);
    sf_yaml_kv_double(y, "bootstrap_max_lost", p->bootstrap_max_lost);
    sf_yaml_kv_double(y, "span_warn", p->span_warn);
    sf_yaml_kv_double(y, "inseparable_corr", p->inseparable_corr);
    sf_yaml_kv_double(y, "frontier_points_per_decade", p->frontier_points_per_decade);
    sf_yaml_kv_double(y, "frontier_corner_gap", p->frontier_corner_gap);
    sf_yaml_kv_double(y, "hull_collinear_tol", p->hull_collinear_tol);
    sf_yaml_kv_int(y, "frontier_smooth_points", (long long)p->frontier_smooth_points);
    sf_yaml_kv_int(y, "frontier_smooth_degree", (long long)p->frontier_smooth_degree);
    sf_yaml_map_end(y);
}

/* A flow sequence of strings. */
static void fit_y_strings_impl(struct sf_yaml_out *y, const char *key, const char *const *s,
                               size_t n) {
    sf_yaml_plain(y, key);
    sf_yaml_seq_begin(y, true);
    for (size_t i = 0; i < n; i++)
        sf_yaml_str(y, s[i]);
    sf_yaml_seq_end(y);
}

/* scalefit: the version and command (fit.yaml and comparison.yaml). */
static void fit_y_scalefit_impl(struct sf_yaml_out *y, const struct fit_provenance *prov) {
    sf_yaml_plain(y, "scalefit");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_str(y, "version", prov->version);
    sf_yaml_kv_str(y, "command", prov->command);
    sf_yaml_map_end(y);
}

static void fit_y_input_impl(struct sf_yaml_out *y, const struct fit_provenance *prov) {
    sf_yaml_plain(y, "input");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_str(y, "path", prov->input_path);
    sf_yaml_kv_str(y, "sha256", prov->input_sha256);
    sf_yaml_kv_int(y, "rows_read", (long long)prov->rows_read);
    sf_yaml_kv_int(y, "rows_used", (long long)prov->rows_used);
    if (prov->group) sf_yaml_kv_str(y, "group", prov->group);
    fit_y_strings_impl(y, "filters", prov->filters, prov->n_filters);
    if (prov->runs != NULL) {
        fit_y_strings_impl(y, "runs", prov->runs, prov->n_runs);
        fit_y_strings_impl(y, "left_out", prov->left_out, prov->n_left_out);
    }
    sf_yaml_map_end(y);
}

static void fit_y_law_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    const struct fit_law_desc *law = r->state->law;
    sf_yaml_plain(y, "law");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_str(y, "name", law->name);
    sf_yaml_kv_str(y, "formula", law->formula);
    sf_yaml_plain(y, "x");
    fit_y_x_names_impl(y, r);
    sf_yaml_kv_str(y, "y", r->data->y_name);
    sf_yaml_map_end(y);
}

static void fit_y_settings_impl(struct sf_yaml_out *y, const struct fit_result *r,
                                const struct fit_provenance *prov) {
    const struct fit_law_desc *law = r->state->law;
    char                       grid[256];
    law->form->grid_text(&r->req.params, grid, sizeof grid);
    sf_yaml_plain(y, "settings");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_str(y, "loss", fit_loss_name(r->req.loss));
    if (r->req.loss == FIT_LOSS_HUBER)
        sf_yaml_kv_double(y, "delta", r->req.delta);
    else
        fit_y_kv_num_impl(y, "delta", NAN);
    sf_yaml_kv_str(y, "space", fit_space_name(r->req.space));
    sf_yaml_kv_double(y, "level", r->req.params.level);
    sf_yaml_kv_int(y, "bootstrap", (long long)r->req.params.bootstrap);
    sf_yaml_kv_int(y, "seed", (long long)r->req.params.seed);
    sf_yaml_kv_str(y, "grid", grid);
    sf_yaml_kv_str(y, "weights", prov->weights);
    sf_yaml_kv_str(y, "holdout", prov->holdout);
    fit_y_strings_impl(y, "filters", prov->filters, prov->n_filters);
    sf_yaml_kv_str(y, "covariance", r->cov_method);
    if (law->curves) sf_yaml_kv_str(y, "frontier_fit", r->req.frontier_hull ? "hull" : "envelope");
    if (r->data->runs_read > 0) {
        sf_yaml_kv_int(y, "seed_runs", (long long)r->data->runs_read);
        sf_yaml_kv_int(y, "shapes", (long long)r->data->n_runs);
    }
    fit_y_tuning_impl(y, &r->req.params);
    sf_yaml_map_end(y);
}

/* objective and stages: how the fit went. */
static void fit_y_stages_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    sf_yaml_plain(y, "objective");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_double(y, "value", r->objective);
    sf_yaml_kv_double(y, "gradient_norm", r->gradient_norm);
    sf_yaml_kv_bool(y, "converged", r->converged);
    sf_yaml_map_end(y);
    sf_yaml_plain(y, "stages");
    sf_yaml_seq_begin(y, false);
    for (size_t s = 0; s < r->n_stages; s++) {
        const struct fit_stage *st = &r->stages[s];
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_str(y, "name", st->name);
        if (strcmp(st->name, "grid") == 0) {
            sf_yaml_kv_int(y, "points", (long long)st->points);
            fit_y_kv_num_impl(y, "best", st->objective);
        } else {
            sf_yaml_kv_int(y, "start", (long long)st->start);
            sf_yaml_kv_str(y, "status", st->status);
            sf_yaml_kv_int(y, "gsl_status", st->gsl_status);
            sf_yaml_kv_int(y, "info", st->info);
            sf_yaml_kv_int(y, "iterations", (long long)st->iterations);
            sf_yaml_kv_int(y, "nevalf", (long long)st->nevalf);
            fit_y_kv_num_impl(y, "objective", st->objective);
            sf_yaml_kv_bool(y, "converged", st->converged);
        }
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
}

/* parameters, and the law's derived values when it has any. */
static void fit_y_parameters_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    const struct fit_law_desc *law = r->state->law;
    const double               lvl = r->req.params.level;
    sf_yaml_plain(y, "parameters");
    sf_yaml_map_begin(y, false);
    for (size_t j = 0; j < r->p; j++) {
        const struct fit_param *pp = &r->param[j];
        sf_yaml_plain(y, pp->name);
        sf_yaml_map_begin(y, true);
        fit_y_kv_num_impl(y, "estimate", pp->value.estimate);
        fit_y_kv_num_impl(y, "se", pp->value.se);
        fit_y_ci_impl(y, pp->value.lo, pp->value.hi);
        sf_yaml_kv_double(y, "level", lvl);
        sf_yaml_kv_str(y, "unit",
                       pp->unit[0] == 'x' && pp->unit[1] == '\0' ? r->data->x1_name : pp->unit);
        sf_yaml_kv_bool(y, "at_bound", pp->at_bound);
        sf_yaml_kv_bool(y, "fixed", pp->fixed);
        sf_yaml_map_end(y);
    }
    sf_yaml_map_end(y);
    if (law->n_derived > 0) {
        sf_yaml_plain(y, "derived");
        sf_yaml_map_begin(y, false);
        for (size_t j = 0; j < law->n_derived; j++)
            fit_y_estimate_impl(y, law->derived_names[j], &r->derived[j], lvl);
        sf_yaml_map_end(y);
    }
}

/* bootstrap and diagnostics. */
static void fit_y_diagnostics_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    sf_yaml_plain(y, "bootstrap");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_int(y, "replicates", (long long)r->boot.replicates);
    sf_yaml_kv_int(y, "seed", (long long)r->req.params.seed);
    sf_yaml_kv_int(y, "failed", (long long)r->boot.failed);
    sf_yaml_kv_int(y, "degenerate", (long long)r->boot.degenerate);
    sf_yaml_kv_int(y, "used", (long long)r->boot.used);
    sf_yaml_kv_str(y, "unit", r->state->law->curves ? "run" : "row");
    sf_yaml_kv_str(y, "intervals", r->intervals_bootstrap ? "bootstrap percentile" : "covariance");
    sf_yaml_map_end(y);
    sf_yaml_plain(y, "diagnostics");
    sf_yaml_map_begin(y, false);
    fit_y_kv_num_impl(y, "r2_log", r->r2_log);
    fit_y_kv_num_impl(y, "rmse_log", r->rmse_log);
    fit_y_kv_num_impl(y, "aic", r->aic);
    fit_y_kv_num_impl(y, "bic", r->bic);
    fit_y_kv_num_impl(y, "heldout_rmse_log", r->heldout_rmse_log);
    sf_yaml_kv_int(y, "points_fitted", (long long)r->n_fit);
    sf_yaml_plain(y, "warnings");
    sf_yaml_seq_begin(y, false);
    for (size_t i = 0; i < r->n_warnings; i++)
        sf_yaml_str(y, r->warnings[i]);
    sf_yaml_seq_end(y);
    sf_yaml_map_end(y);
}

/* entropy: laws with a constant only. */
static void fit_y_entropy_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    if (!r->state->law->has_constant) return;
    const struct fit_estimate *e = &r->entropy;
    sf_yaml_plain(y, "entropy");
    sf_yaml_map_begin(y, true);
    fit_y_kv_num_impl(y, "estimate", e->estimate);
    fit_y_ci_impl(y, e->lo, e->hi);
    fit_y_kv_num_impl(y, "bits_per_token", e->estimate / M_LN2);
    fit_y_kv_num_impl(y, "per_sample",
                      r->req.tokens_per_sample > 0 ? e->estimate * r->req.tokens_per_sample : NAN);
    fit_y_kv_num_impl(y, "true", r->req.true_entropy);
    sf_yaml_plain(y, "inside_ci");
    if (isfinite(r->req.true_entropy) && isfinite(e->lo))
        sf_yaml_bool(y, r->req.true_entropy >= e->lo && r->req.true_entropy <= e->hi);
    else
        sf_yaml_null(y);
    sf_yaml_map_end(y);
}

/* A point's variables, "x: {COL: V, ...}", by the table's column names. */
static void fit_y_point_x_impl(struct sf_yaml_out *y, const struct fit_data *d, double x1,
                               double x2, double x3) {
    sf_yaml_plain(y, "x");
    sf_yaml_map_begin(y, true);
    sf_yaml_kv_double(y, d->x1_name, x1);
    if (d->x2) sf_yaml_kv_double(y, d->x2_name, x2);
    if (d->x3) sf_yaml_kv_double(y, d->x3_name, x3);
    sf_yaml_map_end(y);
}

static void fit_y_points_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    const struct fit_data *d = r->data;
    sf_yaml_plain(y, "points");
    sf_yaml_seq_begin(y, false);
    for (size_t i = 0; i < d->n; i++) {
        const struct fit_point_out *po = &r->points[i];
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_int(y, "row", (long long)d->line[i]);
        if (d->run) sf_yaml_kv_str(y, "run", d->run_names[d->run[i]]);
        fit_y_point_x_impl(y, d, d->x1[i], d->x2 ? d->x2[i] : 0, d->x3 ? d->x3[i] : 0);
        sf_yaml_kv_double(y, "y", d->y[i]);
        sf_yaml_kv_double(y, "weight", d->w[i]);
        fit_y_kv_num_impl(y, "predicted", po->predicted);
        fit_y_ci_impl(y, po->lo, po->hi);
        fit_y_kv_num_impl(y, "residual_log", po->residual_log);
        fit_y_kv_num_impl(y, "rel_error", po->rel_error);
        fit_y_kv_num_impl(y, "reducible", po->reducible);
        sf_yaml_kv_bool(y, "held_out", d->held_out[i]);
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
}

/* rollout: each split and each prediction (only with --rollout). */
static void fit_y_rollout_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    const struct fit_rollout *ro = r->rollout;
    const struct fit_data    *d  = r->data;
    if (ro == NULL) return;
    sf_yaml_plain(y, "rollout");
    sf_yaml_map_begin(y, false);
    sf_yaml_kv_int(y, "first_sizes", (long long)ro->first);
    fit_y_kv_num_impl(y, "rmse_log", ro->rmse_log);
    sf_yaml_kv_int(y, "predictions", (long long)ro->n_points);
    sf_yaml_kv_int(y, "inside_interval", (long long)ro->covered);
    sf_yaml_kv_double(y, "level", r->req.params.level);
    sf_yaml_plain(y, "splits");
    sf_yaml_seq_begin(y, false);
    for (size_t k = 0; k < ro->n_splits; k++) {
        const struct fit_rollout_split *sp = &ro->splits[k];
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_int(y, "fitted_sizes", (long long)sp->fitted_sizes);
        sf_yaml_kv_double(y, "fitted_max", sp->fitted_max);
        sf_yaml_kv_double(y, "predicted_size", sp->predicted_size);
        sf_yaml_kv_int(y, "rows_fitted", (long long)sp->n_fit);
        sf_yaml_kv_int(y, "rows_predicted", (long long)sp->n_predicted);
        sf_yaml_kv_bool(y, "converged", sp->converged);
        fit_y_kv_num_impl(y, "rmse_log", sp->rmse_log);
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
    sf_yaml_plain(y, "points");
    sf_yaml_seq_begin(y, false);
    for (size_t i = 0; i < ro->n_points; i++) {
        const struct fit_rollout_point *pt = &ro->points[i];
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_int(y, "split", (long long)pt->split + 1);
        sf_yaml_kv_int(y, "row", (long long)pt->line);
        fit_y_point_x_impl(y, d, pt->x1, pt->x2, pt->x3);
        sf_yaml_kv_double(y, "y", pt->y);
        fit_y_kv_num_impl(y, "predicted", pt->predicted);
        fit_y_ci_impl(y, pt->lo, pt->hi);
        fit_y_kv_num_impl(y, "residual_log", pt->residual_log);
        sf_yaml_kv_bool(y, "inside", pt->inside);
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
    sf_yaml_map_end(y);
}

/* forecasts and targets. */
static void fit_y_forecasts_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    const struct fit_data     *d   = r->data;
    const struct fit_law_desc *law = r->state->law;
    sf_yaml_plain(y, "forecasts");
    sf_yaml_seq_begin(y, false);
    for (size_t i = 0; i < r->req.n_predict; i++) {
        sf_yaml_map_begin(y, true);
        sf_yaml_plain(y, "at");
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_double(y, law->x_name ? law->x_name : d->x1_name, r->req.predict[i].x1);
        if (d->x2) sf_yaml_kv_double(y, d->x2_name, r->req.predict[i].x2);
        sf_yaml_map_end(y);
        fit_y_kv_num_impl(y, "loss", r->forecasts[i].estimate);
        fit_y_ci_impl(y, r->forecasts[i].lo, r->forecasts[i].hi);
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
    sf_yaml_plain(y, "targets");
    sf_yaml_seq_begin(y, false);
    static const char *const nd_keys[3] = {"compute", "N", "D"};
    for (size_t i = 0; i < r->req.n_target; i++) {
        sf_yaml_map_begin(y, law->n_vars == 1);
        sf_yaml_kv_double(y, "reducible", r->req.target_reducible[i]);
        if (law->n_vars == 1) {
            fit_y_kv_num_impl(y, "x", r->targets[i].estimate);
            fit_y_ci_impl(y, r->targets[i].lo, r->targets[i].hi);
        } else {
            for (size_t k = 0; k < 3; k++)
                fit_y_estimate_impl(y, nd_keys[k], &r->targets[3 * i + k], r->req.params.level);
        }
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
}

/* allocations: laws with a compute-optimal allocation only. */
static void fit_y_allocations_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    if (r->state->law->alloc == NULL) return;
    static const char *const keys[3] = {"N_opt", "D_opt", "tokens_per_param"};
    sf_yaml_plain(y, "allocations");
    sf_yaml_seq_begin(y, false);
    for (size_t i = 0; i < r->req.n_compute; i++) {
        const struct fit_estimate *a = &r->alloc[3 * i];
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_double(y, "compute", r->req.compute[i]);
        for (size_t k = 0; k < 3; k++)
            fit_y_kv_num_impl(y, keys[k], a[k].estimate);
        sf_yaml_plain(y, "ci");
        sf_yaml_map_begin(y, true);
        for (size_t k = 0; k < 3; k++) {
            sf_yaml_plain(y, keys[k]);
            sf_yaml_seq_begin(y, true);
            fit_y_num_impl(y, a[k].lo);
            fit_y_num_impl(y, a[k].hi);
            sf_yaml_seq_end(y);
        }
        sf_yaml_map_end(y);
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
}

/* Frontier or hull points as a sequence of {C, L, run} (the frontier's key is `envelope`, its
 * name before it became the running minimum). */
static void fit_y_frontier_points_impl(struct sf_yaml_out *y, const char *key,
                                       const struct fit_result *r, const size_t *idx, size_t n) {
    const struct fit_frontier *fr = &r->frontier;
    sf_yaml_plain(y, key);
    sf_yaml_seq_begin(y, false);
    for (size_t h = 0; h < n; h++) {
        size_t i = idx ? idx[h] : h;
        sf_yaml_map_begin(y, true);
        sf_yaml_kv_double(y, "C", fr->env_c[i]);
        sf_yaml_kv_double(y, "L", fr->env_l[i]);
        sf_yaml_kv_str(y, "run", r->data->run_names[fr->env_run[i]]);
        sf_yaml_map_end(y);
    }
    sf_yaml_seq_end(y);
}

/* frontier: laws fitted to learning curves only. */
static void fit_y_frontier_impl(struct sf_yaml_out *y, const struct fit_result *r) {
    if (!r->state->law->curves) return;
    const struct fit_frontier *fr = &r->frontier;
    sf_yaml_plain(y, "frontier");
    sf_yaml_map_begin(y, false);
    fit_y_frontier_points_impl(y, "envelope", r, NULL, fr->n_env);
    sf_yaml_kv_int(y, "flat_tail_points", (long long)(fr->n_env - fr->n_front));
    fit_y_frontier_points_impl(y, "hull", r, fr->hull, fr->n_hull);
    sf_yaml_plain(y, "hull_runs");
    sf_yaml_seq_begin(y, true);
    size_t *hr = malloc((fr->n_hull ? fr->n_hull : 1) * sizeof *hr);
    size_t  nh = hr ? fit_frontier_hull_runs(fr, hr) : 0;
    for (size_t h = 0; h < nh; h++)
        sf_yaml_str(y, r->data->run_names[hr[h]]);
    free(hr);
    sf_yaml_seq_end(y);
    fit_y_kv_num_impl(y, "optimal_size_objective", fr->nopt_fitted ? fr->nopt_objective : NAN);
    sf_yaml_kv_int(y, "optimal_size_points", (long long)fr->nopt_points);
    sf_yaml_map_end(y);
}

/* fit.yaml's document, emitted into y. */
static void fit_yaml_doc_impl(struct sf_yaml_out *y, const struct fit_result *r,
                              const struct fit_provenance *prov);

enum sf_status fit_yaml_text(const struct fit_result *r, const struct fit_provenance *prov,
                             char **text, struct sf_error *err) {
    struct sf_yaml_out y;
    sf_yaml_out_init(&y);
    fit_yaml_doc_impl(&y, r, prov);
    enum sf_status st = sf_yaml_out_finish(&y, text, err);
    sf_yaml_out_free(&y);
    return st;
}

enum sf_status fit_write_yaml(const struct fit_result *r, const struct fit_provenance *prov,
                              const char *dir, struct sf_error *err) {
    char          *text;
    enum sf_status st = fit_yaml_text(r, prov, &text, err);
    if (st != SF_OK) return st;
    st = sf_write_atomic_at(dir, "fit.yaml", text, strlen(text), err);
    free(text);
    return st;
}

static void fit_yaml_doc_impl(struct sf_yaml_out *y, const struct fit_result *r,
                              const struct fit_provenance *prov) {
    sf_yaml_map_begin(y, false);
    fit_y_scalefit_impl(y, prov);
    fit_y_input_impl(y, prov);
    fit_y_law_impl(y, r);
    fit_y_settings_impl(y, r, prov);
    fit_y_stages_impl(y, r);
    fit_y_parameters_impl(y, r);
    fit_y_diagnostics_impl(y, r);
    fit_y_entropy_impl(y, r);
    fit_y_points_impl(y, r);
    fit_y_forecasts_impl(y, r);
    fit_y_rollout_impl(y, r);
    fit_y_allocations_impl(y, r);
    fit_y_frontier_impl(y, r);
    sf_yaml_map_end(y);
}

/* early_stopping: for each L(N, D) and L(N, S) fit of one group, Kaplan's step by model size. */
static void fit_y_early_stop_impl(struct sf_yaml_out *y, const struct fit_comparison_entry *e,
                                  size_t n) {
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (!fit_early_stop_pair(e[i].result, e[j].result) ||
                !fit_same_group(e[i].group, e[j].group))
                continue;
            if (!any) {
                sf_yaml_plain(y, "early_stopping");
                sf_yaml_seq_begin(y, false);
                any = true;
            }
            struct fit_early_stop s[64];
            size_t                m = fit_early_stop(e[i].result, e[j].result, s, 64);
            sf_yaml_map_begin(y, false);
            if (e[i].group) sf_yaml_kv_str(y, "group", e[i].group);
            sf_yaml_kv_str(y, "l_nd", e[i].dir);
            sf_yaml_kv_str(y, "l_ns", e[j].dir);
            sf_yaml_plain(y, "steps");
            sf_yaml_seq_begin(y, false);
            for (size_t k = 0; k < m; k++) {
                sf_yaml_map_begin(y, true);
                sf_yaml_kv_double(y, "N", s[k].n);
                sf_yaml_kv_double(y, "D", s[k].d);
                fit_y_kv_num_impl(y, "S_stop", s[k].steps);
                sf_yaml_map_end(y);
            }
            sf_yaml_seq_end(y);
            sf_yaml_map_end(y);
        }
    }
    if (any) sf_yaml_seq_end(y);
}

enum sf_status fit_write_comparison(const struct fit_comparison_entry *e, size_t n,
                                    const struct fit_provenance *prov, const char *dir,
                                    struct sf_error *err) {
    struct sf_yaml_out y;
    sf_yaml_out_init(&y);
    sf_yaml_map_begin(&y, false);
    fit_y_scalefit_impl(&y, prov);
    sf_yaml_plain(&y, "input");
    sf_yaml_map_begin(&y, true);
    sf_yaml_kv_str(&y, "path", prov->input_path);
    sf_yaml_kv_str(&y, "sha256", prov->input_sha256);
    sf_yaml_kv_int(&y, "rows_read", (long long)prov->rows_read);
    sf_yaml_map_end(&y);
    size_t           *rank = malloc((n ? n : 1) * sizeof *rank);
    enum fit_rank_by *by   = malloc((n ? n : 1) * sizeof *by);
    if (rank == NULL || by == NULL) {
        free(rank), free(by);
        sf_yaml_out_free(&y);
        SF_FAIL(err, SF_ENOMEM, "out of memory ranking %zu fits", n);
    }
    fit_comparison_rank(e, n, rank, by);
    sf_yaml_plain(&y, "fits");
    sf_yaml_seq_begin(&y, false);
    for (size_t i = 0; i < n; i++) {
        const struct fit_result *r = e[i].result;
        sf_yaml_map_begin(&y, false);
        if (e[i].group) sf_yaml_kv_str(&y, "group", e[i].group);
        sf_yaml_kv_str(&y, "law", r->state->law->name);
        sf_yaml_kv_int(&y, "rank", (long long)rank[i]);
        sf_yaml_kv_str(&y, "ranked_by", fit_rank_by_key(by[i]));
        sf_yaml_kv_str(&y, "dir", e[i].dir);
        sf_yaml_kv_int(&y, "points", (long long)r->n_fit);
        sf_yaml_kv_int(&y, "n_parameters", (long long)r->state->p_active);
        sf_yaml_kv_double(&y, "objective", r->objective);
        sf_yaml_kv_bool(&y, "converged", r->converged);
        fit_y_kv_num_impl(&y, "aic", r->aic);
        fit_y_kv_num_impl(&y, "bic", r->bic);
        fit_y_kv_num_impl(&y, "rmse_log", r->rmse_log);
        fit_y_kv_num_impl(&y, "heldout_rmse_log", r->heldout_rmse_log);
        if (r->rollout) fit_y_kv_num_impl(&y, "rollout_rmse_log", r->rollout->rmse_log);
        sf_yaml_plain(&y, "parameters");
        sf_yaml_map_begin(&y, true);
        for (size_t j = 0; j < r->p; j++)
            fit_y_kv_num_impl(&y, r->param[j].name, r->param[j].value.estimate);
        sf_yaml_map_end(&y);
        sf_yaml_map_end(&y);
    }
    sf_yaml_seq_end(&y);
    fit_y_early_stop_impl(&y, e, n);
    sf_yaml_map_end(&y);
    enum sf_status st = fit_yaml_save_impl(&y, dir, "comparison.yaml", err);
    if (st == SF_OK) st = fit_write_comparison_report(e, n, rank, by, prov, dir, err);
    free(rank), free(by);
    return st;
}
