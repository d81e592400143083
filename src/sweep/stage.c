/*
 * stage.c — a sweep's stages (`stages:`): runs that start from the weights of other runs of the
 * sweep (the engine's init_from). Reading the stages from the sweep file, and expanding each into
 * one run per run of the stage it continues, with the stage's data settings and training, the
 * parent's shape, seed and (unless the stage sets one) learning rate.
 *
 * Not here: when a stage's run may start (the executors: local.c, the Slurm files).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const sweep_stage_keys[] = {"name",  "from",     "data", "n_ctx",
                                               "train", "students", NULL};
/* Keys of a stage's `train` that belong elsewhere or to the main grid only. */
static const char *const sweep_stage_train_elsewhere[] = {
    "n_layer", "d_model", "n_head",    "d_ff",  "d_attn",           "tie_embeddings",
    "threads", "seed",    "init_from", "flops", "tokens_per_param", "seeds",
    "data",    "n_ctx",   "teacher",   NULL};

/* The stage `name` refers to: -1 for the main grid, its index among the first n stages, or -2
 * when there is none. */
static int sweep_stage_find_impl(const struct sweep_stage *st, size_t n, const char *name) {
    if (strcmp(name, "main") == 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, name) == 0) return (int)i;
    return -2;
}

static void sweep_parse_stage_impl(struct sf_yaml_reader *c, const yaml_node_t *sn,
                                   struct sweep_spec *s, struct sweep_stage *st) {
    memset(st, 0, sizeof *st);
    st->cfg  = s->base;
    st->from = -1;
    sf_yaml_where(st->where, sizeof st->where, c->path, sn);
    if (sn->type != YAML_MAPPING_NODE) {
        sf_yaml_error(c, sn, "a stage must be a mapping {name, from, data, n_ctx, train}, not %s",
                      sf_yaml_kind(sn));
        return;
    }
    for (yaml_node_pair_t *p = sn->data.mapping.pairs.start; p < sn->data.mapping.pairs.top; p++) {
        yaml_node_t *kn  = yaml_document_get_node(c->doc, p->key);
        const char  *key = sf_yaml_scalar(kn);
        bool         ok  = false;
        for (size_t i = 0; key && sweep_stage_keys[i]; i++)
            ok |= strcmp(sweep_stage_keys[i], key) == 0;
        if (ok) continue;
        const char *hint = key ? sf_did_you_mean(key, sweep_stage_keys) : NULL;
        sf_yaml_error(c, kn, "unknown key '%s' in a stage%s%s%s", key ? key : "?",
                      hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    }
    const yaml_node_t *v;
    size_t             k = (size_t)(st - s->stages);
    if ((v = sf_yaml_map_get(c->doc, sn, "name")) == NULL)
        sf_yaml_error(c, sn, "a stage needs 'name' (results.csv's stage column)");
    else if (sf_yaml_read_string(c, "name", v, st->name, sizeof st->name)) {
        bool plain = st->name[0] != '\0' && strcmp(st->name, "main") != 0;
        for (const char *q = st->name; *q; q++)
            plain &= (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                     (*q >= '0' && *q <= '9') || *q == '_' || *q == '-';
        if (!plain)
            sf_yaml_error(c, v, "stage name '%s' must be letters, digits, '-' or '_', not 'main'",
                          st->name);
        if (sweep_stage_find_impl(s->stages, k, st->name) >= 0)
            sf_yaml_error(c, v, "stage name '%s' used twice", st->name);
    }
    char from[64] = "main";
    if ((v = sf_yaml_map_get(c->doc, sn, "from")) &&
        sf_yaml_read_string(c, "from", v, from, sizeof from)) {
        int f = sweep_stage_find_impl(s->stages, k, from);
        if (f == -2)
            sf_yaml_error(c, v, "'from: %s' names no earlier stage (main, or a stage above)", from);
        else
            st->from = f;
    }
    if ((v = sf_yaml_map_get(c->doc, sn, "n_ctx")))
        sf_yaml_read_int(c, "n_ctx", v, 1, INT64_C(1) << 20, &st->n_ctx);
    if ((v = sf_yaml_map_get(c->doc, sn, "students"))) {
        size_t n = v->type == YAML_SEQUENCE_NODE
                       ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
                       : 0;
        if (n == 0 || n > SWEEP_MAX_STUDENTS)
            sf_yaml_error(c, v, "'students' must be a list of 1 to %d target sizes",
                          SWEEP_MAX_STUDENTS);
        for (size_t i = 0; i < n && n <= SWEEP_MAX_STUDENTS; i++) {
            yaml_node_t *it = yaml_document_get_node(c->doc, v->data.sequence.items.start[i]);
            struct sweep_shape *sh = &st->students[st->n_students];
            memset(sh, 0, sizeof *sh);
            sf_yaml_where(sh->where, sizeof sh->where, c->path, it);
            if (sf_yaml_read_double(c, "students", it, sf_range_of(0, true, 1e15, false),
                                    &sh->target))
                st->n_students++;
        }
    }
    /* The stage's data settings onto the sweep's: the engine's parser reads `data:` alone (every
     * other key of the stage has been judged above). */
    const char *not_data[16];
    size_t      n_skip = 0;
    for (yaml_node_pair_t *p = sn->data.mapping.pairs.start;
         p < sn->data.mapping.pairs.top && n_skip < 15; p++) {
        const char *key = sf_yaml_scalar(yaml_document_get_node(c->doc, p->key));
        if (key != NULL && strcmp(key, "data") != 0) not_data[n_skip++] = key;
    }
    not_data[n_skip] = NULL;
    model_config_parse_mapping(c->path, c->doc, sn, not_data, &st->cfg, c->diags);
    const yaml_node_t *t = sf_yaml_map_get(c->doc, sn, "train");
    if (t == NULL || t->type != YAML_MAPPING_NODE) {
        sf_yaml_error(c, t ? t : sn,
                      "a stage needs 'train' with the length of its runs (steps or tokens)");
        return;
    }
    for (yaml_node_pair_t *p = t->data.mapping.pairs.start; p < t->data.mapping.pairs.top; p++) {
        yaml_node_t *kn  = yaml_document_get_node(c->doc, p->key);
        const char  *key = sf_yaml_scalar(kn);
        for (size_t i = 0; key && sweep_stage_train_elsewhere[i]; i++)
            if (strcmp(sweep_stage_train_elsewhere[i], key) == 0)
                sf_yaml_error(c, kn,
                              "'%s' does not belong in a stage's 'train' (a stage's runs take "
                              "their parents' shape, seed and threads, its data and n_ctx at "
                              "the stage's top, one length in steps or tokens)",
                              key);
    }
    st->cfg.steps = st->cfg.tokens = 0;
    model_config_parse_mapping(c->path, c->doc, t, sweep_stage_train_elsewhere, &st->cfg, c->diags);
    if (st->cfg.steps == 0 && st->cfg.tokens == 0)
        sf_yaml_error(c, t, "a stage's 'train' needs the length of its runs: steps or tokens");
    st->lr_given = sf_yaml_map_get(c->doc, t, "lr") != NULL;
    if (st->n_students > 0 && st->cfg.objective == MODEL_OBJECTIVE_TOKENS)
        sf_yaml_error(c, t,
                      "a stage of students distils from each run it continues: give its 'train' "
                      "an objective (forward_kl, reverse_kl, js or mix)");
    if (st->n_students == 0 && st->cfg.objective != MODEL_OBJECTIVE_TOKENS &&
        st->cfg.teacher[0] == '\0' && !model_source_get(st->cfg.data.source)->exact)
        sf_yaml_error(c, t,
                      "a stage that distils needs 'students' (or a source that knows its "
                      "truth)");
}

void sweep_parse_stages(struct sf_yaml_reader *c, const yaml_node_t *v, struct sweep_spec *s) {
    if (v->type != YAML_SEQUENCE_NODE) {
        sf_yaml_error(c, v, "'stages' must be a list of {name, from, data, n_ctx, train}");
        return;
    }
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > SWEEP_STAGES_MAX) {
        sf_yaml_error(c, v, "at most %d stages", SWEEP_STAGES_MAX);
        return;
    }
    free(s->stages);
    s->stages   = calloc(n ? n : 1, sizeof *s->stages);
    s->n_stages = 0;
    if (s->stages == NULL) return;
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *sn = yaml_document_get_node(c->doc, v->data.sequence.items.start[i]);
        sweep_parse_stage_impl(c, sn, s, &s->stages[s->n_stages++]);
    }
}

/* The configuration of a student of shape sh that distils from run `p` in stage st: its own
 * shape, learning rate (the stage's, or the sweep's rule for its shape) and initial weights, the
 * parent's context, seed and threads, the parent as its teacher. */
static struct model_config sweep_student_cfg_impl(const struct sweep_spec  *s,
                                                  const struct sweep_stage *st,
                                                  const struct sweep_shape *sh,
                                                  const struct sweep_run   *p) {
    struct model_config c = st->cfg;
    c.n_layer             = sh->n_layer;
    c.d_model             = sh->d_model;
    c.n_head              = sh->n_head;
    c.d_ff                = sh->d_ff == 4 * sh->d_model ? 0 : sh->d_ff;
    c.d_attn              = sh->d_attn == sh->d_model ? 0 : sh->d_attn;
    c.tie_embeddings      = p->cfg.tie_embeddings;
    c.n_ctx               = p->cfg.n_ctx;
    c.seed                = p->cfg.seed;
    c.threads             = p->cfg.threads;
    struct model_shape ms = model_config_shape(&c);
    if (!st->lr_given) c.lr = sweep_lr_for(s, sh->d_model, model_params_nonembed(&ms));
    c.init_from[0] = '\0';
    snprintf(c.teacher, sizeof c.teacher, "../%s", p->id);
    return c;
}

/* The configuration of the run that continues run `p` in stage st. */
static struct model_config sweep_stage_cfg_impl(const struct sweep_stage *st,
                                                const struct sweep_run   *p) {
    struct model_config c = st->cfg;
    c.n_layer             = p->cfg.n_layer;
    c.d_model             = p->cfg.d_model;
    c.n_head              = p->cfg.n_head;
    c.d_ff                = p->cfg.d_ff;
    c.d_attn              = p->cfg.d_attn;
    c.tie_embeddings      = p->cfg.tie_embeddings;
    c.n_ctx               = st->n_ctx > 0 ? st->n_ctx : p->cfg.n_ctx;
    c.seed                = p->cfg.seed;
    c.threads             = p->cfg.threads;
    if (!st->lr_given) c.lr = p->cfg.lr;
    /* The run directories are siblings: OUT/runs/ID. */
    snprintf(c.init_from, sizeof c.init_from, "../%s", p->id);
    return c;
}

enum sf_status sweep_expand_stages(const struct sweep_spec *s, struct sweep_run **runs, size_t *n,
                                   struct sf_diags *diags) {
    size_t before = diags->n_errors;
    for (size_t k = 0; k < s->n_stages; k++) {
        const struct sweep_stage *st   = &s->stages[k];
        const char               *from = st->from < 0 ? "main" : s->stages[st->from].name;
        /* Its data paths absolute, as the grid's. */
        struct sweep_stage        abs = *st;
        struct model_data_config *d   = &abs.cfg.data;
        for (size_t j = 0; j < d->n_paths + d->n_eval_paths; j++) {
            char *p  = j < d->n_paths ? d->paths[j] : d->eval_paths[j - d->n_paths];
            char *ab = p[0] == '/' ? NULL : sweep_abs_path(s, p);
            if (ab != NULL && strlen(ab) < MODEL_PATH_MAX) snprintf(p, MODEL_PATH_MAX, "%s", ab);
            free(ab);
        }
        size_t n0 = *n, added = 0, per = st->n_students > 0 ? st->n_students : 1;
        for (size_t i = 0; i < n0; i++)
            if (strcmp((*runs)[i].stage, from) == 0) added += per;
        struct sweep_run *more = realloc(*runs, (n0 + added ? n0 + added : 1) * sizeof **runs);
        if (more == NULL) {
            sf_diag_add(diags, true, s->path, "out of memory expanding the stages");
            return SF_ENOMEM;
        }
        *runs = more;
        for (size_t q = 0; q < n0 * per; q++) {
            size_t                  i = q / per;
            const struct sweep_run *p = &(*runs)[i];
            if (strcmp(p->stage, from) != 0) continue;
            struct sweep_run *r = &(*runs)[*n];
            memset(r, 0, sizeof *r);
            r->cfg = st->n_students > 0 ? sweep_student_cfg_impl(s, &abs, &abs.students[q % per], p)
                                        : sweep_stage_cfg_impl(&abs, p);
            struct model_shape ms = model_config_shape(&r->cfg);
            r->params_nonembed    = model_params_nonembed(&ms);
            r->params             = model_params_total(&ms);
            r->steps              = model_config_steps(&r->cfg);
            r->tokens             = r->steps * r->cfg.batch * r->cfg.n_ctx;
            r->flops_6n           = model_flops_6n(&ms, (double)r->tokens);
            r->flops_exact        = model_flops_per_token(&ms) * (double)r->tokens;
            r->shape_index        = p->shape_index;
            r->budget_index       = p->budget_index;
            r->seed               = p->seed;
            r->target             = p->target;
            if (st->n_students > 0) {
                /* a shape of its own: past the grid's, for the time probes */
                r->shape_index = s->n_shapes + k * SWEEP_MAX_STUDENTS + q % per;
                r->target      = abs.students[q % per].target;
            }
            r->has_parent = true;
            r->parent     = i;
            snprintf(r->stage, sizeof r->stage, "%s", st->name);
            struct sf_error err;
            if (sweep_run_id(&r->cfg, r->id, &err) != SF_OK) {
                sf_diag_add(diags, true, st->where, "%s", err.message);
                continue;
            }
            (*n)++;
        }
    }
    return diags->n_errors > before ? SF_EINVAL : SF_OK;
}
