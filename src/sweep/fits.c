/*
 * fits.c — a sweep's named fits as fit data: the rows of results.csv (or the learning curves of
 * curves.csv for the frontier) of the runs that are done, with the fit's exclusions and
 * hold-outs, through the same loading code as `scalefit fit`. Where the data source knows its
 * Bayes loss, the control-variate columns are fitted and the Bayes loss is the true entropy the
 * report compares L_inf with.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Whether the sweep's data source knows its true next-token distribution (its entry says). */
static bool sweep_source_exact_impl(const struct sweep_spec *s) {
    return model_source_get(s->base.data.source)->exact;
}

const char *sweep_fit_y(const struct sweep_spec *s, const struct sweep_fit *f) {
    if (f->y[0] != '\0') return f->y;
    if (fit_law_fits_curves(f->law))
        return sweep_source_exact_impl(s) ? "eval_loss_cv" : "eval_loss";
    return sweep_source_exact_impl(s) ? "best_eval_loss_cv" : "best_eval_loss";
}

const char *sweep_fit_table(const struct sweep_fit *f) {
    return fit_law_fits_curves(f->law) ? "curves.csv" : "results.csv";
}

/* Without exclusions of its own, a frontier fit leaves out the first 1/this of the smallest
 * budget's tokens: the warm-up and the first plateau of every learning curve. */
static const double sweep_warmup_divisor = 8;

/* Adds COL >= V to the bounds when V > 0 (0: no bound). */
static bool sweep_filter_min_impl(struct fit_filters *fs, const char *col, double v,
                                  const char *option, struct sf_error *err) {
    return !(v > 0) || fit_filters_compare(fs, col, FIT_FILTER_OP_GE, v, option, err);
}

void sweep_fit_runs_free(struct sweep_fit_runs *r) {
    sf_names_free(r->used);
    sf_names_free(r->left_out);
    memset(r, 0, sizeof *r);
}

/* Appends a string to a NULL-terminated list of *n (false when out of memory). */
static bool sweep_list_add_impl(char ***list, size_t *n, char *s) {
    char **grown = s ? realloc(*list, (*n + 2) * sizeof *grown) : NULL;
    if (grown == NULL) {
        free(s);
        return false;
    }
    grown[(*n)++] = s;
    grown[*n]     = NULL;
    *list         = grown;
    return true;
}

/* Why a done run's results row is not in the fit: the first of `bounds` it fails (per-run laws),
 * or, for a law fitted to curves (bounds NULL), that no point of its curve passed the fit's
 * exclusions. Fresh string (caller frees); NULL when out of memory. */
static char *sweep_fit_why_impl(const struct sf_csv *results, size_t row,
                                const struct fit_filters *bounds, struct sf_error *err) {
    static const char *const ops[] = {[FIT_FILTER_OP_EQ_STR] = "=",
                                      [FIT_FILTER_OP_GE]     = ">=",
                                      [FIT_FILTER_OP_GT]     = ">",
                                      [FIT_FILTER_OP_LE]     = "<=",
                                      [FIT_FILTER_OP_LT]     = "<"};
    for (size_t k = 0; bounds != NULL && k < bounds->n; k++) {
        const struct fit_filter *b = &bounds->v[k];
        bool                     match;
        if (fit_filter_row(results, b, row, &match, err) != SF_OK || match) continue;
        return sf_strdup_printf("left out by %s (%s %s %s)", b->option, b->column, ops[b->op],
                                b->text);
    }
    return sf_strdup(bounds ? "left out by the fit's exclusions"
                            : "no point of its curve passes the fit's exclusions");
}

/* Fills `runs` from results.csv: each run whose rows are in `data` is used; every other run is
 * left out with its reason (its state when it is not done). */
static enum sf_status sweep_fit_account_impl(const struct sf_csv *results, long c_status,
                                             long c_run, const struct fit_filters *bounds,
                                             const struct fit_data *data,
                                             struct sweep_fit_runs *runs, struct sf_error *err) {
    for (size_t i = 0; i < results->n_rows; i++) {
        const char *run    = results->rows[i].fields[c_run];
        const char *status = results->rows[i].fields[c_status];
        bool        used   = false;
        for (size_t j = 0; bounds != NULL && j < data->n && !used; j++)
            used = data->line[j] == results->rows[i].line;
        for (size_t k = 0; bounds == NULL && k < data->n_runs && !used; k++)
            used = strcmp(data->run_names[k], run) == 0;
        char *why = NULL;
        bool  ok;
        if (used) {
            ok = sweep_list_add_impl(&runs->used, &runs->n_used, sf_strdup(run));
        } else if (strcmp(status, "done") != 0) {
            ok = sweep_list_add_impl(&runs->left_out, &runs->n_left_out,
                                     sf_strdup_printf("%s: %s, not done", run, status));
        } else {
            struct sf_error ignored;
            why = sweep_fit_why_impl(results, i, bounds, &ignored);
            ok  = why != NULL && sweep_list_add_impl(&runs->left_out, &runs->n_left_out,
                                                     sf_strdup_printf("%s: %s", run, why));
        }
        free(why);
        if (!ok) {
            sweep_fit_runs_free(runs);
            return SF_SET(err, SF_ENOMEM, "out of memory");
        }
    }
    return SF_OK;
}

/* Without exclusions of its own, a frontier fit leaves out the first eighth of the smallest
 * budget of the runs done (warm-up and the first plateau of every curve): that many tokens, or 0
 * when results.csv gives none. */
static double sweep_warmup_tokens_impl(const struct sf_csv *results, long c_status) {
    double min_tokens = 0;
    long   c_tok      = sf_csv_column(results, "tokens");
    for (size_t i = 0; c_tok >= 0 && i < results->n_rows; i++) {
        double v;
        if (strcmp(results->rows[i].fields[c_status], "done") == 0 &&
            sf_parse_double(results->rows[i].fields[c_tok], &v) &&
            (min_tokens == 0 || v / sweep_warmup_divisor < min_tokens))
            min_tokens = v / sweep_warmup_divisor;
    }
    return min_tokens;
}

/* The exclusions every law of the sweep takes, in the order the fit reports the first one a
 * run fails: min_params, the row filters of `where`, max_params; and the rows held out by
 * holdout_where into `hold`. False with err set when one cannot be added. */
static bool sweep_fit_bounds_impl(const struct sweep_fit *f, struct fit_filters *bounds,
                                  struct fit_filters *hold, struct sf_error *err) {
    if (!sweep_filter_min_impl(bounds, "params_nonembed", f->min_params, "min_params", err))
        return false;
    for (size_t k = 0; k < f->n_filters; k++)
        if (!fit_filters_parse(bounds, f->filters[k], FIT_FILTER_FORM_ANY, "where", err))
            return false;
    if (f->holdout_where[0] != '\0' &&
        !fit_filters_parse(hold, f->holdout_where, FIT_FILTER_FORM_COMPARE, "holdout_where", err))
        return false;
    return f->max_params <= 0 || fit_filters_compare(bounds, "params_nonembed", FIT_FILTER_OP_LE,
                                                     f->max_params, "max_params", err);
}

/* The tokens of one sample (results.csv's sample_tokens, or extrap_sample_tokens for the
 * extrapolation split's loss) when every run the fit uses has the same, so that it can state its
 * losses per sample too (per image, per frame, per problem); 0 otherwise. */
static double sweep_fit_sample_tokens_impl(const struct sf_csv *results, long c_run,
                                           const struct sweep_fit_runs *runs, const char *y) {
    long c = sf_csv_column(results, strstr(y, "extrap") ? "extrap_sample_tokens" : "sample_tokens");
    double k = 0;
    for (size_t u = 0; c >= 0 && u < runs->n_used; u++)
        for (size_t i = 0; i < results->n_rows; i++) {
            double v;
            if (strcmp(results->rows[i].fields[c_run], runs->used[u]) != 0) continue;
            if (!sf_parse_double(results->rows[i].fields[c], &v) || !(v > 0) || (k > 0 && v != k))
                return 0;
            k = v;
        }
    return k;
}

/* The Bayes loss that the first run done records (NaN where its source does not know it). */
static double sweep_done_bayes_impl(const struct sf_csv *results, long c_status, long c_bayes) {
    double bayes = NAN;
    for (size_t i = 0; i < results->n_rows; i++) {
        if (strcmp(results->rows[i].fields[c_status], "done") != 0) continue;
        double b;
        if (isnan(bayes) && sf_parse_double(results->rows[i].fields[c_bayes], &b)) bayes = b;
    }
    return bayes;
}

enum sf_status sweep_fit_prepare(const struct sweep_spec *s, const struct sweep_fit *f,
                                 const char *out_dir, struct fit_data *data,
                                 struct fit_request *req, struct sweep_fit_runs *runs,
                                 struct sf_error *err) {
    memset(data, 0, sizeof *data);
    memset(runs, 0, sizeof *runs);
    struct sf_csv results, curves;
    memset(&results, 0, sizeof results);
    memset(&curves, 0, sizeof curves);
    struct fit_filters where = {0}, bounds = {0}, hold = {0};
    struct fit_groups  groups;
    memset(&groups, 0, sizeof groups);
    char          *rp = sf_path_join(out_dir, "results.csv");
    char          *cp = sf_path_join(out_dir, "curves.csv");
    enum sf_status st =
        rp && cp ? sf_csv_read(rp, &results, err) : SF_SET(err, SF_ENOMEM, "out of memory");
    if (st != SF_OK) goto done;
    long c_status = sf_csv_column(&results, "status"), c_run = sf_csv_column(&results, "run");
    long c_bayes = sf_csv_column(&results, "bayes_loss");
    if (c_status < 0 || c_run < 0 || c_bayes < 0) {
        st = SF_SET_AT(err, SF_EINVAL, rp, "results.csv lacks DESIGN.md's columns");
        goto done;
    }
    /* The runs of the fit's stage (tables from before stages existed hold the main grid). */
    long               c_stage = sf_csv_column(&results, "stage");
    const char        *stage   = f->stage[0] ? f->stage : "main";
    double             bayes   = sweep_done_bayes_impl(&results, c_status, c_bayes);
    const char        *y       = sweep_fit_y(s, f);
    struct fit_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.y = y;
    const struct sf_csv *table;
    if (fit_law_fits_curves(f->law)) {
        if ((st = sf_csv_read(cp, &curves, err)) != SF_OK) goto done;
        table    = &curves;
        cols.run = "run", cols.c = "flops_6n", cols.n = "params_nonembed";
        /* Only the learning curves of runs that are done. */
        for (size_t i = 0; i < results.n_rows; i++) {
            if (strcmp(results.rows[i].fields[c_status], "done") != 0) continue;
            const char *rs = c_stage >= 0 ? results.rows[i].fields[c_stage] : "main";
            if (strcmp(rs, stage) != 0) continue;
            if (!fit_filters_equals(&where, "run", results.rows[i].fields[c_run], "fit", err))
                goto fail;
        }
        double min_tokens = f->min_tokens;
        if (f->min_flops == 0 && min_tokens == 0)
            min_tokens = sweep_warmup_tokens_impl(&results, c_status);
        if (!sweep_filter_min_impl(&bounds, "tokens", min_tokens, "min_tokens", err) ||
            !sweep_filter_min_impl(&bounds, "flops_6n", f->min_flops, "min_flops", err))
            goto fail;
    } else {
        table = &results;
        if (fit_law_n_vars(f->law) == 1)
            cols.x = f->x;
        else
            cols.n = f->x, cols.d = f->d;
        if (!fit_filters_equals(&where, "status", "done", "fit", err)) goto fail;
        if (c_stage >= 0 && !fit_filters_equals(&where, "stage", stage, "fit", err)) goto fail;
        if (f->holdout_min_params > 0) {
            if (!fit_filters_compare(&hold, "params_nonembed", FIT_FILTER_OP_GE,
                                     f->holdout_min_params, "holdout_min_params", err))
                goto fail;
        }
    }
    if (where.n == 0) {
        st = SF_SET(err, SF_EINVAL, "no run is done yet");
        goto done;
    }
    if (!fit_law_fits_curves(f->law)) {
        /* Per-run laws: runs with fewer tokens or less compute than asked are left out (to fit
         * L(N) on the largest budget of a sweep that has several). */
        if (!sweep_filter_min_impl(&bounds, "tokens", f->min_tokens, "min_tokens", err) ||
            !sweep_filter_min_impl(&bounds, "flops_6n", f->min_flops, "min_flops", err))
            goto fail;
    }
    if (!sweep_fit_bounds_impl(f, &bounds, &hold, err)) goto fail;
    struct fit_selection sel = {where.v, where.n, bounds.v, bounds.n, hold.v, hold.n, 0, NULL};
    if ((st = fit_select_rows(table, &sel, &groups, err)) != SF_OK) goto done;
    if (groups.n == 0) {
        st = SF_SET(err, SF_EINVAL, "no row of %s passes the fit's exclusions", sweep_fit_table(f));
        goto done;
    }
    if ((st = fit_data_build(table, groups.rows[0], groups.n_rows[0], f->law, &cols, &sel, data,
                             err)) != SF_OK)
        goto done;
    runs->rows_read = table->n_rows;
    if ((st = sweep_fit_account_impl(&results, c_status, c_run,
                                     fit_law_fits_curves(f->law) ? NULL : &bounds, data, runs,
                                     err)) != SF_OK)
        goto done;
    fit_request_init(req, f->law);
    req->loss  = f->loss;
    req->space = f->space;
    if (f->delta > 0) req->delta = f->delta;
    req->params.bootstrap  = s->bootstrap;
    req->params.seed       = s->fit_seed;
    req->params.level      = s->level;
    req->true_entropy      = bayes;
    req->frontier_hull     = f->frontier_hull;
    req->tokens_per_sample = sweep_fit_sample_tokens_impl(&results, c_run, runs, y);
    if (f->target_per_sample > 0) {
        if (!(req->tokens_per_sample > 0)) {
            st = SF_SET(err, SF_EINVAL,
                        "target_reducible_per_sample needs runs whose samples have one size "
                        "(results.csv's sample_tokens)");
            goto done;
        }
        runs->target_per_token = f->target_per_sample / req->tokens_per_sample;
        req->target_reducible  = &runs->target_per_token;
        req->n_target          = 1;
    }
    goto done;
fail:
    st = err->code;
done:
    fit_groups_free(&groups);
    fit_filters_free(&where);
    fit_filters_free(&bounds);
    fit_filters_free(&hold);
    sf_csv_free(&results);
    sf_csv_free(&curves);
    free(rp);
    free(cp);
    return st;
}
