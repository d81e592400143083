/*
 * expand.c — from a sweep to its runs: shapes × budgets × seeds, each a complete engine
 * configuration with absolute data paths, its learning rate from the sweep's rule, and an id
 * derived from the configuration's run.yaml text (so an edited sweep keeps its finished runs and
 * a changed run gets a new id). Also the resolved sweep (every default filled in).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum sf_status sweep_run_id(const struct model_config *cfg, char id[48], struct sf_error *err) {
    char          *text;
    enum sf_status st = model_config_emit(cfg, &text, err);
    if (st != SF_OK) return st;
    char hex[65];
    sf_sha256_hex(text, strlen(text), hex);
    free(text);
    /* A readable prefix (shape) and 12 hex digits of the hash (48 bits: no collisions in any
     * sweep of a sane size). */
    snprintf(id, 48, "d%lldl%lld-%.12s", (long long)cfg->d_model, (long long)cfg->n_layer, hex);
    return SF_OK;
}

/* A fit's options as `scalefit fit` names them, with the defaults filled in: the loss, the
 * Huber delta it uses (Huber only), the residual space, row filters and held-out rows. */
static void sweep_emit_fit_options_impl(struct sf_yaml_out *y, const struct sweep_fit *f) {
    struct fit_request req;
    fit_request_init(&req, f->law);
    bool huber = f->loss == FIT_LOSS_HUBER;
    sf_yaml_kv_str(y, "loss", fit_loss_name(f->loss));
    if (huber) sf_yaml_kv_double(y, "delta", f->delta > 0 ? f->delta : req.delta);
    sf_yaml_kv_str(y, "space", fit_space_name(f->space));
    if (f->n_filters > 0) {
        sf_yaml_plain(y, "where");
        sf_yaml_seq_begin(y, true);
        for (size_t k = 0; k < f->n_filters; k++)
            sf_yaml_str(y, f->filters[k]);
        sf_yaml_seq_end(y);
    }
    if (f->holdout_where[0] != '\0') sf_yaml_kv_str(y, "holdout_where", f->holdout_where);
}

/* The learning rate of a shape under the sweep's rule. */
double sweep_lr_for(const struct sweep_spec *s, int64_t d_model, int64_t params) {
    switch (s->lr_rule) {
    case SWEEP_LR_RULE_CONSTANT: return s->lr_base;
    case SWEEP_LR_RULE_D_MODEL: return s->lr_base * pow(s->lr_ref / (double)d_model, s->lr_power);
    case SWEEP_LR_RULE_PARAMS: return s->lr_base * pow(s->lr_ref / (double)params, s->lr_power);
    }
    return s->lr_base;
}

/* The runs of one grid (shapes × budgets × seeds) of `base`'s data, appended at runs + *m. */
static void sweep_expand_grid_impl(const struct sweep_spec *s, const struct model_config *base,
                                   struct sweep_run *runs, size_t *m_io, struct sf_diags *diags) {
    size_t m = *m_io;
    for (size_t i = 0; i < s->n_shapes; i++) {
        const struct sweep_shape *sh = &s->shapes[i];
        for (size_t b = 0; b < s->n_budgets; b++) {
            for (size_t k = 0; k < s->n_seeds; k++) {
                struct sweep_run *r   = &runs[m];
                r->cfg                = *base;
                r->cfg.n_layer        = sh->n_layer;
                r->cfg.d_model        = sh->d_model;
                r->cfg.n_head         = sh->n_head;
                r->cfg.d_ff           = sh->d_ff == 4 * sh->d_model ? 0 : sh->d_ff;
                r->cfg.d_attn         = sh->d_attn == sh->d_model ? 0 : sh->d_attn;
                r->cfg.seed           = s->seeds[k];
                struct model_shape ms = model_config_shape(&r->cfg);
                r->params_nonembed    = model_params_nonembed(&ms);
                r->params             = model_params_total(&ms);
                r->cfg.lr             = sweep_lr_for(s, sh->d_model, r->params_nonembed);
                double budget         = s->budgets[b];
                double tokens         = 0;
                switch (s->budget_kind) {
                case SWEEP_BUDGET_KIND_STEPS:
                    r->cfg.steps  = (int64_t)budget;
                    r->cfg.tokens = 0;
                    break;
                case SWEEP_BUDGET_KIND_TOKENS: tokens = budget; break;
                case SWEEP_BUDGET_KIND_FLOPS:
                    tokens = budget / (6.0 * (double)r->params_nonembed);
                    break;
                case SWEEP_BUDGET_KIND_TOKENS_PER_PARAM:
                    tokens = budget * (double)r->params_nonembed;
                    break;
                }
                if (s->budget_kind != SWEEP_BUDGET_KIND_STEPS) {
                    r->cfg.steps  = 0;
                    r->cfg.tokens = (int64_t)llround(tokens);
                    if (r->cfg.tokens < 1) {
                        sf_diag_add(
                            diags, true, sh->where,
                            "budget %g gives shape d_model %lld, n_layer %lld fewer than one "
                            "token",
                            budget, (long long)sh->d_model, (long long)sh->n_layer);
                        continue;
                    }
                }
                r->steps        = model_config_steps(&r->cfg);
                r->tokens       = r->steps * r->cfg.batch * r->cfg.n_ctx;
                r->flops_6n     = model_flops_6n(&ms, (double)r->tokens);
                r->flops_exact  = model_flops_per_token(&ms) * (double)r->tokens;
                r->shape_index  = i;
                r->budget_index = b;
                r->seed         = s->seeds[k];
                r->target       = sh->target;
                snprintf(r->stage, sizeof r->stage, "main");
                struct sf_error err;
                if (sweep_run_id(&r->cfg, r->id, &err) != SF_OK) {
                    sf_diag_add(diags, true, s->path, "%s", err.message);
                    continue;
                }
                for (size_t q = 0; q < m; q++)
                    if (strcmp(runs[q].id, r->id) == 0)
                        sf_diag_add(diags, true, sh->where,
                                    "two runs of the sweep are the same run (id %s): budgets or "
                                    "shapes repeat",
                                    r->id);
                m++;
            }
        }
    }
    *m_io = m;
}

enum sf_status sweep_expand(const struct sweep_spec *s, struct sweep_run **out, size_t *n_out,
                            struct sf_diags *diags) {
    *out                    = NULL;
    *n_out                  = 0;
    size_t            n_res = s->n_resolutions > 0 ? s->n_resolutions : 1;
    size_t            n_obj = s->n_objectives > 0 ? s->n_objectives : 1;
    size_t            n     = s->n_shapes * s->n_budgets * s->n_seeds * n_res * n_obj;
    struct sweep_run *runs  = calloc(n ? n : 1, sizeof *runs);
    if (runs == NULL) {
        sf_diag_add(diags, true, s->path, "out of memory expanding the sweep");
        return SF_ENOMEM;
    }
    size_t before = diags->n_errors, m = 0;
    /* Data paths become absolute: runs live in their own folders. */
    struct model_config       base = s->base;
    struct model_data_config *d    = &base.data;
    for (size_t j = 0; j < d->n_paths + d->n_eval_paths; j++) {
        char *p  = j < d->n_paths ? d->paths[j] : d->eval_paths[j - d->n_paths];
        char *ab = sweep_abs_path(s, p);
        if (ab == NULL || strlen(ab) >= MODEL_PATH_MAX) {
            sf_diag_add(diags, true, s->path, "data path %s is too long once made absolute", p);
        } else {
            snprintf(p, MODEL_PATH_MAX, "%s", ab);
        }
        free(ab);
    }
    /* With a list of resolutions, the grid once per resolution, each window one sample; with a
     * list of objectives, once per objective. */
    for (size_t ri = 0; ri < n_res; ri++) {
        if (s->n_resolutions > 0) {
            d->resolution = s->resolutions[ri];
            base.n_ctx    = model_source_get(d->source)->tokens_per_sample(d) - 1;
        }
        for (size_t oi = 0; oi < n_obj; oi++) {
            if (s->n_objectives > 0) base.objective = s->objectives[oi];
            sweep_expand_grid_impl(s, &base, runs, &m, diags);
        }
    }
    if (diags->n_errors == before && s->n_stages > 0) sweep_expand_stages(s, &runs, &m, diags);
    if (diags->n_errors > before) {
        free(runs);
        return SF_EINVAL;
    }
    *out   = runs;
    *n_out = m;
    return SF_OK;
}

static const char *sweep_budget_name_impl(enum sweep_budget_kind k) {
    switch (k) {
    case SWEEP_BUDGET_KIND_STEPS: return "steps";
    case SWEEP_BUDGET_KIND_TOKENS: return "tokens";
    case SWEEP_BUDGET_KIND_FLOPS: return "flops";
    case SWEEP_BUDGET_KIND_TOKENS_PER_PARAM: return "tokens_per_param";
    }
    return "tokens";
}

enum sf_status sweep_spec_emit_resolved(const struct sweep_spec *s, char **text,
                                        struct sf_error *err) {
    struct sf_yaml_out y;
    sf_yaml_out_init(&y);
    sf_yaml_map_begin(&y, false);
    sf_yaml_kv_str(&y, "name", s->name);
    /* The run settings every run starts from, as the engine writes them. */
    char          *base;
    enum sf_status st = model_config_emit(&s->base, &base, err);
    if (st != SF_OK) {
        sf_yaml_out_free(&y);
        return st;
    }
    sf_yaml_plain(&y, "run_defaults");
    sf_yaml_literal(&y, base);
    free(base);
    if (s->n_objectives > 0) {
        /* One grid per objective; run_defaults shows the first. */
        sf_yaml_plain(&y, "objectives");
        sf_yaml_seq_begin(&y, true);
        for (size_t i = 0; i < s->n_objectives; i++)
            sf_yaml_str(&y, model_objective_names[s->objectives[i]]);
        sf_yaml_seq_end(&y);
    }
    if (s->n_resolutions > 0) {
        /* One grid per resolution; run_defaults shows the first. */
        sf_yaml_plain(&y, "resolutions");
        sf_yaml_seq_begin(&y, true);
        for (size_t i = 0; i < s->n_resolutions; i++)
            sf_yaml_int(&y, s->resolutions[i]);
        sf_yaml_seq_end(&y);
    }
    sf_yaml_plain(&y, "model");
    sf_yaml_map_begin(&y, false);
    sf_yaml_kv_double(&y, "aspect", s->aspect);
    sf_yaml_kv_int(&y, "head_dim", s->head_dim);
    sf_yaml_kv_int(&y, "min_heads", s->min_heads);
    sf_yaml_kv_double(&y, "d_ff", s->d_ff_mult);
    sf_yaml_kv_double(&y, "d_attn", s->d_attn_mult);
    sf_yaml_plain(&y, "shapes");
    sf_yaml_seq_begin(&y, false);
    for (size_t i = 0; i < s->n_shapes; i++) {
        const struct sweep_shape *sh = &s->shapes[i];
        struct model_config       c  = s->base;
        c.n_layer = sh->n_layer, c.d_model = sh->d_model, c.n_head = sh->n_head;
        c.d_ff = sh->d_ff, c.d_attn = sh->d_attn;
        struct model_shape ms = model_config_shape(&c);
        sf_yaml_map_begin(&y, true);
        if (sh->target > 0) sf_yaml_kv_double(&y, "target", sh->target);
        sf_yaml_kv_int(&y, "n_layer", sh->n_layer);
        sf_yaml_kv_int(&y, "d_model", sh->d_model);
        sf_yaml_kv_int(&y, "n_head", sh->n_head);
        sf_yaml_kv_int(&y, "d_ff", sh->d_ff);
        sf_yaml_kv_int(&y, "d_attn", sh->d_attn);
        sf_yaml_kv_int(&y, "params_nonembed", model_params_nonembed(&ms));
        sf_yaml_kv_int(&y, "params", model_params_total(&ms));
        sf_yaml_map_end(&y);
    }
    sf_yaml_seq_end(&y);
    sf_yaml_map_end(&y);
    sf_yaml_plain(&y, "train");
    sf_yaml_map_begin(&y, false);
    sf_yaml_plain(&y, sweep_budget_name_impl(s->budget_kind));
    sf_yaml_seq_begin(&y, true);
    for (size_t b = 0; b < s->n_budgets; b++)
        sf_yaml_double(&y, s->budgets[b]);
    sf_yaml_seq_end(&y);
    sf_yaml_plain(&y, "lr");
    if (s->lr_rule == SWEEP_LR_RULE_CONSTANT) {
        sf_yaml_double(&y, s->lr_base);
    } else {
        sf_yaml_map_begin(&y, true);
        sf_yaml_kv_double(&y, "base", s->lr_base);
        sf_yaml_kv_double(&y, s->lr_rule == SWEEP_LR_RULE_D_MODEL ? "d_ref" : "n_ref", s->lr_ref);
        sf_yaml_kv_double(&y, "power", s->lr_power);
        sf_yaml_map_end(&y);
    }
    sf_yaml_plain(&y, "seeds");
    sf_yaml_seq_begin(&y, true);
    for (size_t k = 0; k < s->n_seeds; k++)
        sf_yaml_int(&y, (long long)s->seeds[k]);
    sf_yaml_seq_end(&y);
    sf_yaml_map_end(&y);
    sf_yaml_plain(&y, "runner");
    sf_yaml_map_begin(&y, false);
    sf_yaml_kv_str(&y, "executor", s->executor == SWEEP_EXECUTOR_SLURM ? "slurm" : "local");
    if (s->jobs > 0)
        sf_yaml_kv_int(&y, "jobs", s->jobs);
    else
        sf_yaml_kv_str(&y, "jobs", "cores");
    sf_yaml_kv_int(&y, "threads", s->base.threads);
    sf_yaml_map_end(&y);
    sf_yaml_plain(&y, "fit");
    sf_yaml_map_begin(&y, false);
    sf_yaml_kv_int(&y, "bootstrap", (long long)s->bootstrap);
    sf_yaml_kv_int(&y, "seed", (long long)s->fit_seed);
    sf_yaml_kv_double(&y, "level", s->level);
    sf_yaml_plain(&y, "laws");
    sf_yaml_seq_begin(&y, false);
    for (size_t i = 0; i < s->n_fits; i++) {
        const struct sweep_fit *f = &s->fits[i];
        sf_yaml_map_begin(&y, true);
        sf_yaml_kv_str(&y, "name", f->name);
        sf_yaml_kv_str(&y, "law", fit_law_name(f->law));
        sf_yaml_kv_str(&y, "x", f->x);
        if (fit_law_n_vars(f->law) == 2) sf_yaml_kv_str(&y, "d", f->d);
        sf_yaml_kv_str(&y, "y", f->y[0] ? f->y : "auto");
        if (f->min_params > 0) sf_yaml_kv_double(&y, "min_params", f->min_params);
        if (f->max_params > 0) sf_yaml_kv_double(&y, "max_params", f->max_params);
        if (f->min_tokens > 0) sf_yaml_kv_double(&y, "min_tokens", f->min_tokens);
        if (f->min_flops > 0) sf_yaml_kv_double(&y, "min_flops", f->min_flops);
        if (f->holdout_min_params > 0)
            sf_yaml_kv_double(&y, "holdout_min_params", f->holdout_min_params);
        if (f->target_per_sample > 0)
            sf_yaml_kv_double(&y, "target_reducible_per_sample", f->target_per_sample);
        if (fit_law_fits_curves(f->law))
            sf_yaml_kv_str(&y, "frontier_fit", f->frontier_hull ? "hull" : "envelope");
        sf_yaml_kv_str(&y, "stage", f->stage);
        sweep_emit_fit_options_impl(&y, f);
        sf_yaml_map_end(&y);
    }
    sf_yaml_seq_end(&y);
    sf_yaml_map_end(&y);
    sf_yaml_kv_bool(&y, "plots", s->plots);
    if (s->n_stages > 0) {
        sf_yaml_plain(&y, "stages");
        sf_yaml_seq_begin(&y, false);
        for (size_t k = 0; k < s->n_stages && st == SF_OK; k++) {
            const struct sweep_stage *g = &s->stages[k];
            sf_yaml_map_begin(&y, false);
            sf_yaml_kv_str(&y, "name", g->name);
            sf_yaml_kv_str(&y, "from", g->from < 0 ? "main" : s->stages[g->from].name);
            if (g->n_ctx > 0)
                sf_yaml_kv_int(&y, "n_ctx", g->n_ctx);
            else
                sf_yaml_kv_str(&y, "n_ctx", "parent's");
            sf_yaml_kv_str(&y, "lr",
                           g->lr_given         ? "stage's"
                           : g->n_students > 0 ? "rule's"
                                               : "parent's");
            if (g->n_students > 0) {
                /* each a shape of its own, distilling from every run of `from` */
                sf_yaml_plain(&y, "students");
                sf_yaml_seq_begin(&y, false);
                for (size_t j = 0; j < g->n_students; j++) {
                    const struct sweep_shape *sh = &g->students[j];
                    sf_yaml_map_begin(&y, true);
                    sf_yaml_kv_double(&y, "target", sh->target);
                    sf_yaml_kv_int(&y, "n_layer", sh->n_layer);
                    sf_yaml_kv_int(&y, "d_model", sh->d_model);
                    sf_yaml_kv_int(&y, "n_head", sh->n_head);
                    sf_yaml_map_end(&y);
                }
                sf_yaml_seq_end(&y);
            }
            char *text_k = NULL;
            if ((st = model_config_emit(&g->cfg, &text_k, err)) == SF_OK) {
                sf_yaml_plain(&y, "run_defaults");
                sf_yaml_literal(&y, text_k);
            }
            free(text_k);
            sf_yaml_map_end(&y);
        }
        sf_yaml_seq_end(&y);
    }
    sf_yaml_map_end(&y);
    if (st != SF_OK) {
        sf_yaml_out_free(&y);
        return st;
    }
    st = sf_yaml_out_finish(&y, text, err);
    sf_yaml_out_free(&y);
    return st;
}
