/*
 * finish.c — what follows the training of a sweep: each named fit made from the collected
 * tables into OUT/fits/NAME/ (fit.yaml, figures, report.md), the sweep's own figures in
 * OUT/figures/, and OUT/report.md. Problems go to the caller's diagnostics list; the text for
 * the terminal (each fit's summary line, where the report is) to a buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "internal.h"

/* Makes fit `i` of the sweep and writes its folder; false when the folder could not be
 * written. A fit that cannot be made is a warning, recorded in its outcome. */
static bool sweep_finish_fit_impl(const struct sweep_spec *spec, size_t i, const char *out,
                                  const struct sweep_finish_info *info,
                                  struct sweep_fit_outcome *outcome, struct fit_data *data,
                                  struct fit_result **result, struct sf_buf *text, bool *disk_full,
                                  struct sf_diags *diags) {
    const struct sweep_fit *f = &spec->fits[i];
    struct sf_error         err;
    struct fit_request      req;
    struct sweep_fit_runs   runs;
    if (sweep_fit_prepare(spec, f, out, data, &req, &runs, &err) != SF_OK) {
        snprintf(outcome->error, sizeof outcome->error, "%.500s", err.message);
        sf_diag_add(diags, false, NULL, "fit %s not made: %s", f->name, err.message);
        return true;
    }
    *result = fit_run(data, &req, NULL, &err);
    if (*result == NULL) {
        snprintf(outcome->error, sizeof outcome->error, "%.500s", err.message);
        sf_diag_add(diags, false, NULL, "fit %s failed: %s", f->name, err.message);
        sweep_fit_runs_free(&runs);
        return true;
    }
    outcome->result = *result;
    char *dir       = sf_strdup_printf("%s/fits/%s", out, f->name);
    char *src       = sf_path_join(out, sweep_fit_table(f));
    char  sha[65]   = "";
    if (src) sf_sha256_file(src, sha, &err);
    struct fit_provenance prov = {.version      = info->version,
                                  .command      = info->command,
                                  .input_path   = src,
                                  .input_sha256 = sha,
                                  .rows_read    = runs.rows_read,
                                  .rows_used    = data->n};
    /* The filters and held-out rows the sweep file gave, as written there. */
    const char *filters[SWEEP_FIT_FILTERS_MAX];
    for (size_t k = 0; k < f->n_filters; k++)
        filters[k] = f->filters[k];
    prov.filters   = filters;
    prov.n_filters = f->n_filters;
    prov.holdout   = f->holdout_where[0] != '\0' ? f->holdout_where : NULL;
    /* Which runs it used and why it left the others out. */
    static const char *const none[] = {NULL};
    prov.runs                       = runs.used ? (const char *const *)runs.used : none;
    prov.n_runs                     = runs.n_used;
    prov.left_out                   = (const char *const *)runs.left_out;
    prov.n_left_out                 = runs.n_left_out;
    bool ok                         = dir != NULL;
    if (dir == NULL)
        sf_diag_add(diags, true, NULL, "out of memory");
    else if (figures_fit_write(*result, &prov, dir, spec->plots, diags, &err) != SF_OK) {
        sf_diag_add(diags, true, err.where, "%s", err.message);
        ok = false;
        if (err.sys_errno == ENOSPC || err.sys_errno == EDQUOT) *disk_full = true;
    }
    free(dir);
    free(src);
    fit_summary(*result, f->name, text);
    /* The request's target lived in runs: its outcome stays in the result's targets[0]. */
    (*result)->req.target_reducible = NULL;
    (*result)->req.n_target         = 0;
    sweep_fit_runs_free(&runs);
    return ok;
}

/* The first fit of each role the sweep's figures draw: a law fitted to the loss's learning
 * curves (the frontier), the measured KL on its compute frontier without a constant, the measured
 * KL (y best_eval_kl) as a law of N without a constant, and a law of N with a constant fitted to
 * the runs (its L(N) − L_inf is the reducible loss it implies). A law of N is one whose x is
 * params_nonembed, the size the "kl" figure draws its points at. */
static void sweep_finish_role_impl(const struct sweep_fit *f, const struct fit_result *r,
                                   struct figures_sweep_fits *sf) {
    if (r == NULL) return;
    bool one_var = fit_law_n_vars(f->law) == 1 && !fit_law_fits_curves(f->law) &&
                   strcmp(f->x, "params_nonembed") == 0;
    bool kl = strcmp(f->y, "best_eval_kl") == 0 || strcmp(f->y, "eval_kl") == 0;
    if (strcmp(f->stage, "main") == 0 && fit_law_fits_curves(f->law) &&
        sweep_divergence_of(f->y) < 0 && sf->frontier == NULL)
        sf->frontier = r;
    if (fit_law_fits_curves(f->law) && kl && !fit_law_has_constant(f->law) &&
        sf->kl_frontier == NULL)
        sf->kl_frontier = r, sf->kl_frontier_name = f->name;
    if (one_var && !fit_law_has_constant(f->law) && strcmp(f->y, "best_eval_kl") == 0 &&
        sf->kl == NULL)
        sf->kl = r, sf->kl_name = f->name;
    bool main_grid = strcmp(f->stage, "main") == 0;
    bool other_y   = strstr(f->y, "extrap") != NULL || strstr(f->y, "error") != NULL;
    if (main_grid && one_var && fit_law_has_constant(f->law) && !other_y && sf->reducible == NULL)
        sf->reducible = r, sf->reducible_name = f->name;
    /* A stage's laws of N: its error rate, or its loss. */
    bool error = strcmp(f->y, "final_eval_error") == 0 || strcmp(f->y, "best_eval_error") == 0;
    if (!main_grid && one_var && error && sf->class_error == NULL)
        sf->class_error = r, sf->class_error_name = f->name;
    if (!main_grid && one_var && !error && !kl && f->law != FIT_LAW_LOG && sf->class_loss == NULL)
        sf->class_loss = r, sf->class_loss_name = f->name;
    if (main_grid && f->law == FIT_LAW_LOG && strcmp(f->y, "final_mi") == 0 && sf->mi == NULL)
        sf->mi = r, sf->mi_name = f->name;
    if (main_grid && one_var && strcmp(f->y, "final_extrap_loss") == 0 && sf->extrap == NULL)
        sf->extrap = r, sf->extrap_name = f->name;
    int d = sweep_divergence_of(f->y);
    if (main_grid && d >= 0 && !fit_law_has_constant(f->law)) {
        bool c = fit_law_fits_curves(f->law);
        if (c && sf->div_c[d] == NULL) sf->div_c[d] = r, sf->div_c_names[d] = f->name;
        if (!c && one_var && sf->div_n[d] == NULL) sf->div_n[d] = r, sf->div_n_names[d] = f->name;
    }
    int64_t R = sweep_fit_resolution(f);
    if (main_grid && one_var && fit_law_has_constant(f->law) && R > 0 && !other_y &&
        r->req.tokens_per_sample > 0 && sf->n_resolutions < 8) {
        sf->resolution_laws[sf->n_resolutions] = r;
        sf->resolutions[sf->n_resolutions++]   = (double)R;
        if (f->target_per_sample > 0) sf->resolution_target = f->target_per_sample;
    }
}

enum sf_status sweep_finish(const struct sweep_spec *spec, const struct sweep_run *runs, size_t n,
                            const char *out, const struct sweep_finish_info *info,
                            struct sf_buf *text, struct sf_diags *diags) {
    const double              t_post  = sf_now();
    struct sweep_fit_outcome *outs    = calloc(spec->n_fits ? spec->n_fits : 1, sizeof *outs);
    struct fit_result       **results = calloc(spec->n_fits ? spec->n_fits : 1, sizeof *results);
    struct fit_data          *datas   = calloc(spec->n_fits ? spec->n_fits : 1, sizeof *datas);
    if (!outs || !results || !datas) {
        free(outs), free(results), free(datas);
        sf_diag_add(diags, true, NULL, "out of memory");
        return SF_ENOMEM;
    }
    enum sf_status            st        = SF_OK;
    bool                      disk_full = false;
    struct figures_sweep_fits sf        = {0};
    sf.sample_unit                      = model_source_get(spec->base.data.source)->sample_unit;
    for (size_t i = 0; i < spec->n_fits; i++) {
        outs[i].fit = &spec->fits[i];
        if (info->stop && *info->stop) break; /* Ctrl-C while fitting: rerun to fit */
        if (!sweep_finish_fit_impl(spec, i, out, info, &outs[i], &datas[i], &results[i], text,
                                   &disk_full, diags))
            st = SF_EIO;
        sweep_finish_role_impl(&spec->fits[i], results[i], &sf);
    }
    if (info->stop && *info->stop) st = SF_EINTERRUPTED;
    struct figures_list figs;
    if (spec->plots && st != SF_EINTERRUPTED)
        figures_sweep_draw(out, &sf, &figs, diags); /* sets up the list */
    else
        figures_list_init(&figs);
    struct sweep_report_info rep = {info->version,
                                    info->command,
                                    info->wall_seconds,
                                    info->train_seconds,
                                    sf_now() - t_post,
                                    info->loop_seconds,
                                    info->jobs,
                                    (const char *const *)figs.drawn,
                                    (const char *const *)figs.missing};
    struct sf_error          err;
    if (figs.disk_full) {
        sf_diag_add(diags, true, figs.full.where, "%s", figs.full.message);
        disk_full = true;
        st        = figs.full.code;
    }
    /* A full disk leaves the report as it was: the figures and fits it names stay in place. */
    if (st != SF_EINTERRUPTED && !disk_full &&
        sweep_report_write(spec, runs, n, out, outs, spec->n_fits, &rep, &err) != SF_OK) {
        sf_diag_add(diags, true, err.where, "%s", err.message);
        st = err.code;
    }
    figures_list_free(&figs);
    sf_buf_printf(text, "report: %s/report.md\n", out);
    for (size_t i = 0; i < spec->n_fits; i++) {
        fit_result_free(results[i]);
        fit_data_free(&datas[i]);
    }
    free(outs);
    free(results);
    free(datas);
    return st;
}
