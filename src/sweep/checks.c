/*
 * checks.c — what a sweep file's parser checks once every key is read: the named fits and
 * their columns, the data source (files present, with the Debian package named when a known
 * one is missing), the model shapes (target sizes resolved by the stated rule, heads dividing
 * the attention width) and the Slurm settings.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

// ---- fits ----

/* Columns a fit may name (results.csv for the per-run laws). */
static const char *const sweep_result_columns[] = {"params",
                                                   "params_nonembed",
                                                   "tokens",
                                                   "flops_6n",
                                                   "best_eval_loss",
                                                   "best_eval_loss_cv",
                                                   "best_eval_kl",
                                                   "final_eval_loss",
                                                   "best_eval_error",
                                                   "final_eval_error",
                                                   "final_part_loss",
                                                   "final_part_loss_blank",
                                                   "final_mi",
                                                   "final_extrap_loss",
                                                   "final_extrap_error",
                                                   "best_eval_rkl",
                                                   "best_eval_js",
                                                   "best_eval_tv",
                                                   "best_eval_h2",
                                                   "best_eval_cs",
                                                   "final_teacher_kl",
                                                   "final_teacher_rkl",
                                                   "final_teacher_js",
                                                   "final_teacher_tv",
                                                   "final_teacher_h2",
                                                   "final_teacher_cs",
                                                   NULL};
/* The loss columns of curves.csv a frontier fit may name as y. */
static const char *const sweep_curve_columns[] = {
    "eval_loss", "eval_loss_cv", "eval_kl", "eval_extrap_loss", "eval_rkl", "eval_js",
    "eval_tv",   "eval_h2",      "eval_cs", "eval_teacher_kl",  NULL};

void sweep_fit_defaults(struct sweep_fit *f, const char *law_name) {
    enum fit_law_kind law;
    bool              known = fit_law_from_name(law_name, &law);
    SF_ASSERT(known);
    char name[64], where[256];
    memcpy(name, f->name, sizeof name);
    memcpy(where, f->where, sizeof where);
    memset(f, 0, sizeof *f);
    memcpy(f->name, name, sizeof name);
    memcpy(f->where, where, sizeof where);
    f->law = law;
    snprintf(f->stage, sizeof f->stage, "main");
    snprintf(f->x, sizeof f->x, "%s", fit_law_fits_curves(law) ? "flops_6n" : "params_nonembed");
    snprintf(f->d, sizeof f->d, "tokens");
    f->frontier_hull = false;
    f->loss          = fit_law_default_loss(law);
    f->space         = FIT_SPACE_LOG;
    /* y stays empty: each run's best eval loss (or for the frontier the eval loss of the curves),
     * in its control-variate form where the source knows its entropy (sweep_fit_y). */
}

void sweep_fit_check(const struct sweep_fit *f, const char *path, const yaml_node_t *node,
                     struct sf_diags *diags) {
    char where[SF_WHERE_LEN];
    sf_yaml_where(where, sizeof where, path, node);
    const char *cols[3] = {f->x, fit_law_n_vars(f->law) == 2 ? f->d : NULL, f->y[0] ? f->y : NULL};
    const char *keys[3] = {"x", "d", "y"};
    if (f->delta > 0 && f->loss != FIT_LOSS_HUBER)
        sf_diag_add(diags, true, where, "'delta' applies to the Huber loss only (add loss: huber)");
    /* Row filters name a column of the table the fit reads. */
    for (size_t k = 0; k <= f->n_filters; k++) {
        const char *text = k < f->n_filters ? f->filters[k] : f->holdout_where;
        char        col[128];
        snprintf(col, sizeof col, "%.*s", (int)strcspn(text, "<>="), text);
        if (col[0] != '\0' && !sweep_table_has_column(sweep_fit_table(f), col))
            sf_diag_add(diags, true, where, "'%s' in '%s' is not a %s column", col,
                        k < f->n_filters ? "where" : "holdout_where", sweep_fit_table(f));
    }
    if (fit_law_fits_curves(f->law)) {
        if (strcmp(f->x, "flops_6n") != 0)
            sf_diag_add(diags, true, where,
                        "a %s fit uses curves.csv's flops_6n as compute: leave out x",
                        fit_law_name(f->law));
        bool y_ok = f->y[0] == '\0';
        for (size_t i = 0; sweep_curve_columns[i]; i++)
            y_ok |= strcmp(f->y, sweep_curve_columns[i]) == 0;
        if (!y_ok)
            sf_diag_add(diags, true, where,
                        "'y: %s' is not a loss column of curves.csv (eval_loss, eval_loss_cv, "
                        "eval_kl, eval_extrap_loss, or a divergence: eval_rkl, eval_js, eval_tv, "
                        "eval_h2, eval_cs)",
                        f->y);
        if (f->holdout_min_params > 0 || f->holdout_where[0] != '\0')
            sf_diag_add(diags, true, where, "'%s' does not apply to %s",
                        f->holdout_min_params > 0 ? "holdout_min_params" : "holdout_where",
                        fit_law_name(f->law));
        return;
    }
    if (f->frontier_fit_given) {
        sf_diag_add(diags, true, where, "'frontier_fit' applies to frontier only");
    }
    for (size_t k = 0; k < 3; k++) {
        if (cols[k] == NULL) continue;
        bool ok = false;
        for (size_t i = 0; sweep_result_columns[i]; i++)
            ok |= strcmp(cols[k], sweep_result_columns[i]) == 0;
        if (!ok) {
            const char *hint = sf_did_you_mean(cols[k], sweep_result_columns);
            sf_diag_add(diags, true, where, "'%s: %s' is not a results.csv column%s%s%s", keys[k],
                        cols[k], hint ? " (did you mean '" : "", hint ? hint : "",
                        hint ? "'?)" : "");
        }
    }
}

/* With several budgets, L(N) takes each size at the largest budget: one L(N) through every
 * budget would mix the data-limited smaller ones in. Budgets of tokens per parameter differ from
 * size to size and keep every run. Each run's tokens and compute are at least its budget's. */
static void sweep_fit_largest_budget_impl(const struct sweep_spec *s, struct sweep_fit *f) {
    double top = 0;
    for (size_t k = 0; k < s->n_budgets; k++)
        top = fmax(top, s->budgets[k]);
    const char *col = "tokens";
    switch (s->budget_kind) {
    case SWEEP_BUDGET_KIND_STEPS: top *= (double)s->base.batch * (double)s->base.n_ctx; break;
    case SWEEP_BUDGET_KIND_TOKENS: break;
    case SWEEP_BUDGET_KIND_FLOPS: col = "flops_6n"; break;
    case SWEEP_BUDGET_KIND_TOKENS_PER_PARAM: return;
    }
    snprintf(f->filters[0], sizeof f->filters[0], "%s>=%.17g", col, top);
    f->n_filters = 1;
}

/* With a list of resolutions: L_N_rR (power+const) and L_C_rR (frontier) of each resolution R. */
static void sweep_fits_default_resolutions_impl(struct sweep_spec *s) {
    s->fits = calloc(2 * s->n_resolutions, sizeof *s->fits);
    if (s->fits == NULL) return;
    s->n_fits = 2 * s->n_resolutions;
    for (size_t i = 0; i < s->n_resolutions; i++) {
        struct sweep_fit *f = &s->fits[2 * i];
        long long         r = (long long)s->resolutions[i];
        snprintf(f[0].name, sizeof f[0].name, "L_N_r%lld", r);
        sweep_fit_defaults(&f[0], "power+const");
        if (s->n_budgets > 1) sweep_fit_largest_budget_impl(s, &f[0]);
        snprintf(f[1].name, sizeof f[1].name, "L_C_r%lld", r);
        sweep_fit_defaults(&f[1], "frontier");
        for (size_t k = 0; k < 2; k++)
            snprintf(f[k].filters[f[k].n_filters++], sizeof f[k].filters[0], "resolution=%lld", r);
    }
}

/* With a list of objectives (a source that knows its truth): for each objective, each
 * divergence to the truth (forward KL first; reverse KL where the source's p has no zeros) as a
 * pure power law in N (KL_N_OBJ, JS_N_OBJ, ...) and on its compute frontier (KL_C_OBJ, ...). */
static void sweep_fits_default_objectives_impl(struct sweep_spec *s) {
    static const char *const div[6][2] = {{"KL", "kl"}, {"RKL", "rkl"}, {"JS", "js"},
                                          {"TV", "tv"}, {"H2", "h2"},   {"CS", "cs"}};
    bool                     full      = model_source_get(s->base.data.source)->full_support;
    size_t                   per       = full ? 6 : 5;
    s->fits                            = calloc(2 * per * s->n_objectives, sizeof *s->fits);
    if (s->fits == NULL) return;
    s->n_fits = 2 * per * s->n_objectives;
    size_t k  = 0;
    for (size_t i = 0; i < s->n_objectives; i++) {
        const char *o = model_objective_names[s->objectives[i]];
        for (size_t j = 0; j < 6; j++) {
            if (j == 1 && !full) continue;
            struct sweep_fit *f = &s->fits[k];
            snprintf(f[0].name, sizeof f[0].name, "%s_N_%s", div[j][0], o);
            sweep_fit_defaults(&f[0], "power");
            snprintf(f[0].y, sizeof f[0].y, "best_eval_%s", div[j][1]);
            if (s->n_budgets > 1) sweep_fit_largest_budget_impl(s, &f[0]);
            snprintf(f[1].name, sizeof f[1].name, "%s_C_%s", div[j][0], o);
            sweep_fit_defaults(&f[1], "frontier-power");
            snprintf(f[1].y, sizeof f[1].y, "eval_%s", div[j][1]);
            for (size_t q = 0; q < 2; q++)
                snprintf(f[q].filters[f[q].n_filters++], sizeof f[q].filters[0], "objective=%s", o);
            k += 2;
        }
    }
}

void sweep_fits_default(struct sweep_spec *s) {
    /* L_N and L_C always; L_ND with several budgets (then L_N and KL_N at the largest); KL_N and
     * KL_C where the source knows its true distribution: the measured KL as a pure power law in N
     * and on its compute frontier (the entropy is known, so the reducible loss needs no constant),
     * and the same of each other divergence to the truth (JS, TV, H2, CS, and RKL where the
     * source's p has no zeros).
     */
    bool exact = model_source_get(s->base.data.source)->exact;
    if (s->n_resolutions > 0) {
        sweep_fits_default_resolutions_impl(s);
        return;
    }
    if (s->n_objectives > 0 && exact) {
        sweep_fits_default_objectives_impl(s);
        return;
    }
    /* Reverse KL only where the source's p has no zeros (else it is infinite). */
    bool   full = exact && model_source_get(s->base.data.source)->full_support;
    size_t n    = 2 + (s->n_budgets > 1) + 2 * exact + 8 * exact + 2 * full;
    s->fits     = calloc(n, sizeof *s->fits);
    if (s->fits == NULL) return;
    s->n_fits = n;
    snprintf(s->fits[0].name, sizeof s->fits[0].name, "L_N");
    sweep_fit_defaults(&s->fits[0], "power+const");
    if (s->n_budgets > 1) sweep_fit_largest_budget_impl(s, &s->fits[0]);
    snprintf(s->fits[1].name, sizeof s->fits[1].name, "L_C");
    sweep_fit_defaults(&s->fits[1], "frontier");
    size_t k = 2;
    if (s->n_budgets > 1) {
        snprintf(s->fits[k].name, sizeof s->fits[k].name, "L_ND");
        sweep_fit_defaults(&s->fits[k++], "chinchilla");
    }
    if (exact) {
        snprintf(s->fits[k].name, sizeof s->fits[k].name, "KL_N");
        sweep_fit_defaults(&s->fits[k], "power");
        snprintf(s->fits[k].y, sizeof s->fits[k].y, "best_eval_kl");
        if (s->n_budgets > 1) sweep_fit_largest_budget_impl(s, &s->fits[k]);
        k++;
        snprintf(s->fits[k].name, sizeof s->fits[k].name, "KL_C");
        sweep_fit_defaults(&s->fits[k], "frontier-power");
        snprintf(s->fits[k].y, sizeof s->fits[k].y, "eval_kl");
        k++;
        /* The other divergences to the truth, each the same two ways. */
        static const char *const div[5][2] = {
            {"RKL", "rkl"}, {"JS", "js"}, {"TV", "tv"}, {"H2", "h2"}, {"CS", "cs"}};
        for (size_t j = full ? 0 : 1; j < 5; j++) {
            snprintf(s->fits[k].name, sizeof s->fits[k].name, "%s_N", div[j][0]);
            sweep_fit_defaults(&s->fits[k], "power");
            snprintf(s->fits[k].y, sizeof s->fits[k].y, "best_eval_%s", div[j][1]);
            if (s->n_budgets > 1) sweep_fit_largest_budget_impl(s, &s->fits[k]);
            k++;
            snprintf(s->fits[k].name, sizeof s->fits[k].name, "%s_C", div[j][0]);
            sweep_fit_defaults(&s->fits[k], "frontier-power");
            snprintf(s->fits[k].y, sizeof s->fits[k].y, "eval_%s", div[j][1]);
            k++;
        }
    }
}

// ---- data ----

char *sweep_abs_path(const struct sweep_spec *s, const char *p) {
    if (p[0] == '/') return sf_strdup(p);
    char *base = realpath(s->base_dir, NULL);
    if (base == NULL) return sf_path_join(s->base_dir, p);
    char *r = sf_path_join(base, p);
    free(base);
    return r;
}

/* Debian packages that provide data the example sweeps use. */
static const struct {
    const char *prefix, *package;
} sweep_packages[] = {
    {"/usr/share/datasets/fashion-mnist", "dataset-fashion-mnist"},
    {"/usr/share/doc/python3.11/html", "python3.11-doc"},
};

void sweep_check_data(const struct sweep_spec *s, const char *where, struct sf_diags *diags) {
    struct sf_diags tmp;
    sf_diag_init(&tmp);
    model_config_validate(&s->base, s->base_dir, &tmp);
    /* Each further resolution of a list, as its grid will run (its own n_ctx). */
    for (size_t r = 1; r < s->n_resolutions && tmp.n_errors == 0; r++) {
        struct model_config c = s->base;
        c.data.resolution     = s->resolutions[r];
        c.n_ctx               = model_source_get(c.data.source)->tokens_per_sample(&c.data) - 1;
        model_config_validate(&c, s->base_dir, &tmp);
    }
    /* And each further objective of a list. */
    for (size_t o = 1; o < s->n_objectives && tmp.n_errors == 0; o++) {
        struct model_config c = s->base;
        c.objective           = s->objectives[o];
        model_config_validate(&c, s->base_dir, &tmp);
    }
    for (size_t i = 0; i < tmp.n; i++) {
        const char                     *hint = NULL;
        const struct model_data_config *d    = &s->base.data;
        for (size_t k = 0; k < sizeof sweep_packages / sizeof sweep_packages[0]; k++)
            for (size_t j = 0; j < d->n_paths + d->n_eval_paths; j++) {
                const char *p = j < d->n_paths ? d->paths[j] : d->eval_paths[j - d->n_paths];
                if (strncmp(p, sweep_packages[k].prefix, strlen(sweep_packages[k].prefix)) == 0)
                    hint = sweep_packages[k].package;
            }
        if (hint)
            sf_diag_add(diags, tmp.items[i].is_error,
                        tmp.items[i].where[0] ? tmp.items[i].where : where,
                        "%s (the Debian package %s provides it: run scripts/setup.sh)",
                        tmp.items[i].message, hint);
        else
            sf_diag_add(diags, tmp.items[i].is_error,
                        tmp.items[i].where[0] ? tmp.items[i].where : where, "%s",
                        tmp.items[i].message);
    }
    sf_diag_free(&tmp);
}

// ---- shapes ----

/* A shape's heads, d_ff and d_attn by the sweep's rule, and whether the heads divide d_attn. */
static bool sweep_shape_fill_impl(const struct sweep_spec *s, struct sweep_shape *sh) {
    if (sh->n_head == 0) {
        int64_t h  = sh->d_model / s->head_dim;
        sh->n_head = h > s->min_heads ? h : s->min_heads;
    }
    if (sh->d_ff == 0) sh->d_ff = (int64_t)llround(s->d_ff_mult * (double)sh->d_model);
    if (sh->d_attn == 0) sh->d_attn = (int64_t)llround(s->d_attn_mult * (double)sh->d_model);
    return sh->d_ff >= 1 && sh->d_attn >= 1 && sh->d_attn % sh->n_head == 0;
}

static int64_t sweep_shape_params_impl(const struct sweep_spec *s, const struct sweep_shape *sh) {
    struct model_config c = s->base;
    c.n_layer = sh->n_layer, c.d_model = sh->d_model, c.n_head = sh->n_head;
    c.d_ff = sh->d_ff, c.d_attn = sh->d_attn;
    struct model_shape ms = model_config_shape(&c);
    return model_params_nonembed(&ms);
}

/* Largest d_model the size rule tries. */
static const int64_t sweep_max_d_model = 1 << 16;
/* A target is unreachable when the closest shape misses it by more than this factor. */
static const double sweep_size_tolerance = 1.5;

bool sweep_shape_for_target(const struct sweep_spec *s, struct sweep_shape *sh,
                            struct sf_diags *diags) {
    /* The rule: n_layer = max(1, round(d_model / aspect)), heads as above; the d_model whose
     * exact non-embedding count is closest to the target in ratio wins. */
    struct sweep_shape best;
    double             best_err = INFINITY;
    memset(&best, 0, sizeof best);
    for (int64_t d = 2; d <= sweep_max_d_model; d++) {
        struct sweep_shape c;
        memset(&c, 0, sizeof c);
        c.d_model = d;
        c.n_layer = (int64_t)llround((double)d / s->aspect);
        if (c.n_layer < 1) c.n_layer = 1;
        if (!sweep_shape_fill_impl(s, &c)) continue;
        double err = fabs(log((double)sweep_shape_params_impl(s, &c) / sh->target));
        if (err < best_err) {
            best_err = err;
            best     = c;
        }
    }
    if (!(best_err <= log(sweep_size_tolerance))) {
        sf_diag_add(diags, true, sh->where,
                    "no shape of the rule (d_model/n_layer = %g, n_head = max(%lld, d_model/%lld), "
                    "d_ff = %g·d_model) comes within a factor %g of %g non-embedding parameters",
                    s->aspect, (long long)s->min_heads, (long long)s->head_dim, s->d_ff_mult,
                    sweep_size_tolerance, sh->target);
        return false;
    }
    best.target = sh->target;
    memcpy(best.where, sh->where, sizeof best.where);
    *sh = best;
    return true;
}

void sweep_check_shapes(struct sweep_spec *s, struct sf_diags *diags) {
    for (size_t k = 0; k < s->n_stages; k++)
        for (size_t j = 0; j < s->stages[k].n_students; j++)
            sweep_shape_for_target(s, &s->stages[k].students[j], diags);
    for (size_t i = 0; i < s->n_shapes; i++) {
        struct sweep_shape *sh = &s->shapes[i];
        if (sh->target == 0 && (sh->n_layer == 0 || sh->d_model == 0)) continue; /* reported */
        if (sh->target == 0) {
            if (!sweep_shape_fill_impl(s, sh))
                sf_diag_add(diags, true, sh->where,
                            "this shape cannot exist: n_head %lld does not divide d_attn %lld",
                            (long long)sh->n_head, (long long)sh->d_attn);
            continue;
        }
        if (!sweep_shape_for_target(s, sh, diags)) continue;
        for (size_t j = 0; j < i; j++)
            if (s->shapes[j].d_model == sh->d_model && s->shapes[j].n_layer == sh->n_layer)
                sf_diag_add(
                    diags, true, sh->where,
                    "target %g gives the same shape as target %g (d_model %lld, n_layer %lld): "
                    "space the sizes further apart",
                    sh->target, s->shapes[j].target, (long long)sh->d_model,
                    (long long)sh->n_layer);
    }
}

// ---- Slurm settings ----

/* Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (digits only). */
static bool sweep_slurm_time_ok_impl(const char *t) {
    if (t[0] == '\0') return true;
    const char *p      = t;
    size_t      groups = 1;
    bool        dash   = false;
    for (; *p; p++) {
        if (*p == ':')
            groups++;
        else if (*p == '-') {
            if (dash || p == t) return false;
            dash = true;
        } else if (!isdigit((unsigned char)*p))
            return false;
    }
    return p[-1] != ':' && p[-1] != '-' && groups <= 3;
}

/* Memory: a whole number with an optional K, M, G or T suffix. */
static bool sweep_slurm_mem_ok_impl(const char *m) {
    if (m[0] == '\0') return true;
    const char *p = m;
    while (isdigit((unsigned char)*p))
        p++;
    if (p == m) return false;
    return *p == '\0' || (strchr("KMGTkmgt", *p) != NULL && p[1] == '\0');
}

/* Partition, account and QoS names: letters, digits, '_', '-', '.' and ',' (a partition list). */
static bool sweep_slurm_name_ok_impl(const char *n) {
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.,", *p)) return false;
    return true;
}

/* The place of `key` in the slurm mapping (of the mapping itself when absent). */
static void sweep_slurm_where_impl(char *buf, size_t n, const char *path, yaml_document_t *doc,
                                   const yaml_node_t *map, const char *key) {
    const yaml_node_t *v = sf_yaml_map_get(doc, map, key);
    sf_yaml_where(buf, n, path, v ? v : map);
}

void sweep_slurm_validate(const struct sweep_spec *s, const char *path, yaml_document_t *doc,
                          const yaml_node_t *node, struct sf_diags *diags) {
    char                      where[1200];
    const struct sweep_slurm *o = &s->slurm;
    sweep_slurm_where_impl(where, sizeof where, path, doc, node, "time");
    if (!sweep_slurm_time_ok_impl(o->time))
        sf_diag_add(
            diags, true, where,
            "slurm 'time' %s is not one of Slurm's formats (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S)",
            o->time);
    sweep_slurm_where_impl(where, sizeof where, path, doc, node, "mem");
    if (!sweep_slurm_mem_ok_impl(o->mem))
        sf_diag_add(diags, true, where, "slurm 'mem' %s is not a size such as 4G or 500M", o->mem);
    const char *names[3] = {o->partition, o->account, o->qos},
               *keys[3]  = {"partition", "account", "qos"};
    for (size_t k = 0; k < 3; k++) {
        sweep_slurm_where_impl(where, sizeof where, path, doc, node, keys[k]);
        if (!sweep_slurm_name_ok_impl(names[k]))
            sf_diag_add(diags, true, where, "slurm '%s' %s has characters Slurm names do not use",
                        keys[k], names[k]);
    }
    sweep_slurm_where_impl(where, sizeof where, path, doc, node, "extra");
    for (size_t i = 0; i < o->n_extra; i++)
        if (strncmp(o->extra[i], "--", 2) != 0 || strchr(o->extra[i], '\n') != NULL)
            sf_diag_add(diags, true, where,
                        "slurm 'extra' entries are long sbatch options (--name=value), not '%s'",
                        o->extra[i]);
}
