/*
 * spec.c — reading a sweep file: one YAML document with name, data, model, train, runner, fit
 * and plots. The run settings (`data:` and the engine's keys under `train:`) are parsed by the
 * engine's own rules (model_config_parse_mapping); everything else is checked here. Every
 * problem is collected with its FILE:LINE:COL before anything runs. docs/sweep-format.md is the
 * reference of every key.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

// ---- value helpers (each reports its own problem at the node, with sf_yaml_error) ----

/* Checks the keys of a mapping against a list; reports unknown ones with a hint, and misplaced
 * ones (listed in `elsewhere` as "key", "where it belongs" pairs) with their home. */
static bool sweep_check_keys_impl(struct sf_yaml_reader *c, const char *section,
                                  const yaml_node_t *map, const char *const *known,
                                  const char *const *elsewhere) {
    if (map->type != YAML_MAPPING_NODE) {
        sf_yaml_error(c, map, "'%s' must be a mapping, not %s", section, sf_yaml_kind(map));
        return false;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn  = yaml_document_get_node(c->doc, p->key);
        const char  *key = sf_yaml_scalar(kn);
        if (key == NULL) {
            sf_yaml_error(c, kn, "keys of '%s' must be plain names", section);
            continue;
        }
        bool ok = false;
        for (size_t i = 0; known[i]; i++)
            ok |= strcmp(known[i], key) == 0;
        if (ok) {
            for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
                const char *other = sf_yaml_scalar(yaml_document_get_node(c->doc, q->key));
                if (other && strcmp(other, key) == 0)
                    sf_yaml_error(c, kn, "key '%s' given twice", key);
            }
            continue;
        }
        const char *home = NULL;
        for (size_t i = 0; elsewhere && elsewhere[i]; i += 2)
            if (strcmp(elsewhere[i], key) == 0) home = elsewhere[i + 1];
        const char *hint = sf_did_you_mean(key, known);
        if (home)
            sf_yaml_error(c, kn, "'%s' does not belong in '%s' (it goes %s)", key, section, home);
        else if (hint)
            sf_yaml_error(c, kn, "unknown key '%s' in '%s' (did you mean '%s'?)", key, section,
                          hint);
        else
            sf_yaml_error(c, kn, "unknown key '%s' in '%s'", key, section);
    }
    return true;
}

/* A number or a list of numbers (each > lo_open bound). */
static bool sweep_get_numbers_impl(struct sf_yaml_reader *c, const char *name, const yaml_node_t *v,
                                   double lo, double **out, size_t *n) {
    *out = NULL;
    *n   = 0;
    if (v->type == YAML_SCALAR_NODE) {
        double d;
        if (!sf_yaml_read_double(c, name, v, sf_range_of(lo, true, INFINITY, false), &d))
            return false;
        *out = malloc(sizeof **out);
        if (*out == NULL) return false;
        (*out)[0] = d;
        *n        = 1;
        return true;
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        sf_yaml_error(c, v, "'%s' must be a number or a list of numbers, not %s", name,
                      sf_yaml_kind(v));
        return false;
    }
    size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (cnt == 0) {
        sf_yaml_error(c, v, "'%s' is an empty list", name);
        return false;
    }
    *out = malloc(cnt * sizeof **out);
    if (*out == NULL) return false;
    bool ok = true;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *it = yaml_document_get_node(c->doc, v->data.sequence.items.start[i]);
        double       d;
        if (!sf_yaml_read_double(c, name, it, sf_range_of(lo, true, INFINITY, false), &d)) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < *n; j++)
            if ((*out)[j] == d) {
                sf_yaml_error(c, it, "'%s' lists %s twice", name, sf_yaml_scalar(it));
                ok = false;
            }
        (*out)[(*n)++] = d;
    }
    return ok;
}

/* A plain folder name: not empty, not hidden, no separator, blank or control character (the
 * name also lands in Slurm job names and batch scripts). */
static bool sweep_plain_name_impl(const char *s) {
    if (s[0] == '\0' || s[0] == '.') return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 32 || *p == 127 || *p == '/' || *p == '\\' || *p == ' ') return false;
    return true;
}

// ---- sections ----

/* A run setting given as a list in the sweep file (an axis: one grid per value): its values
 * into out (integers lo..hi, or with `names` their indices), *n of them (0 when the key is not a
 * list), and the pair made to name the first, which the engine's parser then reads (and checks)
 * as the one value it knows. */
static void sweep_parse_axis_impl(const struct sf_yaml_reader *c, const yaml_node_t *map,
                                  const char *key, const char *const *names, int64_t lo, int64_t hi,
                                  int64_t *out, size_t *n_out) {
    if (map->type != YAML_MAPPING_NODE) return;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char  *k = sf_yaml_scalar(yaml_document_get_node(c->doc, p->key));
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (k == NULL || strcmp(k, key) != 0 || v->type != YAML_SEQUENCE_NODE) continue;
        size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (n == 0 || n > SWEEP_MAX_RESOLUTIONS) {
            sf_yaml_error(c, v, "'%s' lists 1 to %d values, not %zu", key, SWEEP_MAX_RESOLUTIONS,
                          n);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *it = yaml_document_get_node(c->doc, v->data.sequence.items.start[i]);
            int64_t      x;
            int          e;
            if (names != NULL ? !sf_yaml_read_enum(c, key, it, names, &e)
                              : !sf_yaml_read_int(c, key, it, lo, hi, &x))
                continue;
            if (names != NULL) x = e;
            for (size_t j = 0; j < *n_out; j++)
                if (out[j] == x)
                    sf_yaml_error(c, it, "'%s' lists %s twice", key, sf_yaml_scalar(it));
            out[(*n_out)++] = x;
        }
        p->value = v->data.sequence.items.start[0];
    }
}

/* `train.objective` as a list: one grid per objective. */
static void sweep_parse_objectives_impl(const struct sf_yaml_reader *c, const yaml_node_t *train,
                                        struct sweep_spec *s) {
    int64_t v[SWEEP_MAX_RESOLUTIONS];
    size_t  n = 0;
    sweep_parse_axis_impl(c, train, "objective", model_objective_names, 0, 0, v, &n);
    for (size_t i = 0; i < n; i++)
        s->objectives[s->n_objectives++] = (enum model_objective)v[i];
}

/* `data.resolution` as a list: one grid per resolution. */
static void sweep_parse_resolutions_impl(const struct sf_yaml_reader *c, const yaml_node_t *data,
                                         struct sweep_spec *s) {
    sweep_parse_axis_impl(c, data, "resolution", NULL, 1, 256, s->resolutions, &s->n_resolutions);
}

static const char *const sweep_root_keys[]  = {"name", "data",  "model",  "train", "runner",
                                               "fit",  "plots", "stages", NULL};
static const char *const sweep_model_keys[] = {"sizes",          "shapes", "aspect", "head_dim",
                                               "min_heads",      "d_ff",   "d_attn", "n_ctx",
                                               "tie_embeddings", NULL};
static const char *const sweep_shape_keys[] = {"n_layer", "d_model", "n_head",
                                               "d_ff",    "d_attn",  NULL};

/* The sweep's own keys under train; the engine's run.yaml keys are accepted there too. */
static const char *const sweep_train_own[]       = {"steps", "tokens", "flops", "tokens_per_param",
                                                    "lr",    "seeds",  NULL};
static const char *const sweep_train_elsewhere[] = {"n_layer",
                                                    "under 'model' (shapes or sizes)",
                                                    "d_model",
                                                    "under 'model' (shapes or sizes)",
                                                    "n_head",
                                                    "under 'model' (head_dim or shapes)",
                                                    "d_ff",
                                                    "under 'model'",
                                                    "d_attn",
                                                    "under 'model'",
                                                    "n_ctx",
                                                    "under 'model'",
                                                    "tie_embeddings",
                                                    "under 'model'",
                                                    "threads",
                                                    "under 'runner'",
                                                    "seed",
                                                    "as 'seeds' (a list or a count)",
                                                    "data",
                                                    "at the top level",
                                                    NULL};
static const char *const sweep_runner_keys[]     = {"executor", "jobs", "threads", "slurm", NULL};
static const char *const sweep_slurm_keys[]      = {
         "partition", "time",           "cpus_per_task", "mem",          "account", "qos",
         "extra",     "signal_seconds", "max_resubmits", "poll_seconds", NULL};
static const char *const sweep_fit_keys[] = {"bootstrap", "seed", "level", "laws", NULL};
static const char *const sweep_law_keys[] = {"name",
                                             "law",
                                             "x",
                                             "d",
                                             "y",
                                             "min_params",
                                             "max_params",
                                             "min_tokens",
                                             "min_flops",
                                             "holdout_min_params",
                                             "frontier_fit",
                                             "loss",
                                             "delta",
                                             "space",
                                             "where",
                                             "holdout_where",
                                             "stage",
                                             "target_reducible_per_sample",
                                             NULL};

static void sweep_parse_model_impl(struct sf_yaml_reader *c, const yaml_node_t *m,
                                   struct sweep_spec *s) {
    if (!sweep_check_keys_impl(c, "model", m, sweep_model_keys, NULL)) return;
    const yaml_node_t *v;
    int64_t            iv;
    double             dv;
    if ((v = sf_yaml_map_get(c->doc, m, "aspect")) &&
        sf_yaml_read_double(c, "aspect", v, sf_range_of(0, true, 1e6, false), &dv))
        s->aspect = dv;
    if ((v = sf_yaml_map_get(c->doc, m, "head_dim")) &&
        sf_yaml_read_int(c, "head_dim", v, 1, 1 << 20, &iv))
        s->head_dim = iv;
    if ((v = sf_yaml_map_get(c->doc, m, "min_heads")) &&
        sf_yaml_read_int(c, "min_heads", v, 1, 1 << 20, &iv))
        s->min_heads = iv;
    if ((v = sf_yaml_map_get(c->doc, m, "d_ff")) &&
        sf_yaml_read_double(c, "d_ff", v, sf_range_of(0, true, 1e3, false), &dv))
        s->d_ff_mult = dv;
    if ((v = sf_yaml_map_get(c->doc, m, "d_attn")) &&
        sf_yaml_read_double(c, "d_attn", v, sf_range_of(0, true, 1e3, false), &dv))
        s->d_attn_mult = dv;
    if ((v = sf_yaml_map_get(c->doc, m, "n_ctx")) &&
        sf_yaml_read_int(c, "n_ctx", v, 1, 1 << 20, &iv))
        s->base.n_ctx = iv;
    s->n_ctx_given = v != NULL;
    bool bv;
    if ((v = sf_yaml_map_get(c->doc, m, "tie_embeddings")) &&
        sf_yaml_read_bool(c, "tie_embeddings", v, &bv))
        s->base.tie_embeddings = bv;
    const yaml_node_t *sizes  = sf_yaml_map_get(c->doc, m, "sizes");
    const yaml_node_t *shapes = sf_yaml_map_get(c->doc, m, "shapes");
    if (sizes && shapes) {
        sf_yaml_error(c, shapes, "give 'sizes' or 'shapes', not both");
        return;
    }
    if (!sizes && !shapes) {
        sf_yaml_error(c, m,
                      "'model' needs 'sizes' (target non-embedding parameter counts) or "
                      "'shapes' (explicit n_layer and d_model)");
        return;
    }
    if (sizes) {
        double *t;
        size_t  n;
        if (!sweep_get_numbers_impl(c, "sizes", sizes, 0, &t, &n)) {
            free(t);
            return;
        }
        s->shapes = calloc(n, sizeof *s->shapes);
        if (s->shapes == NULL) {
            free(t);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            s->shapes[i].target = t[i];
            const yaml_node_t *it =
                sizes->type == YAML_SEQUENCE_NODE
                    ? yaml_document_get_node(c->doc, sizes->data.sequence.items.start[i])
                    : sizes;
            sf_yaml_where(s->shapes[i].where, sizeof s->shapes[i].where, c->path, it);
        }
        s->n_shapes = n;
        free(t);
        return;
    }
    if (shapes->type != YAML_SEQUENCE_NODE ||
        shapes->data.sequence.items.top == shapes->data.sequence.items.start) {
        sf_yaml_error(c, shapes, "'shapes' must be a non-empty list of {n_layer, d_model, ...}");
        return;
    }
    size_t n  = (size_t)(shapes->data.sequence.items.top - shapes->data.sequence.items.start);
    s->shapes = calloc(n, sizeof *s->shapes);
    if (s->shapes == NULL) return;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *sh = yaml_document_get_node(c->doc, shapes->data.sequence.items.start[i]);
        struct sweep_shape *o = &s->shapes[s->n_shapes++];
        sf_yaml_where(o->where, sizeof o->where, c->path, sh);
        if (!sweep_check_keys_impl(c, "shapes", sh, sweep_shape_keys, NULL)) continue;
        const char *need[] = {"n_layer", "d_model"};
        int64_t    *dst[]  = {&o->n_layer, &o->d_model};
        for (size_t k = 0; k < 2; k++) {
            const yaml_node_t *x = sf_yaml_map_get(c->doc, sh, need[k]);
            if (x == NULL)
                sf_yaml_error(c, sh, "a shape needs '%s'", need[k]);
            else
                sf_yaml_read_int(c, need[k], x, 1, 1 << 20, dst[k]);
        }
        const char *opt[]  = {"n_head", "d_ff", "d_attn"};
        int64_t    *odst[] = {&o->n_head, &o->d_ff, &o->d_attn};
        for (size_t k = 0; k < 3; k++) {
            const yaml_node_t *x = sf_yaml_map_get(c->doc, sh, opt[k]);
            if (x) sf_yaml_read_int(c, opt[k], x, 1, 1 << 20, odst[k]);
        }
    }
}

static void sweep_parse_lr_impl(struct sf_yaml_reader *c, const yaml_node_t *v,
                                struct sweep_spec *s) {
    double d;
    if (v->type == YAML_SCALAR_NODE) {
        if (sf_yaml_read_double(c, "lr", v, sf_range_of(0, true, 10, false), &d)) {
            s->lr_rule = SWEEP_LR_RULE_CONSTANT;
            s->lr_base = d;
        }
        return;
    }
    static const char *const keys[] = {"base", "d_ref", "n_ref", "power", NULL};
    if (!sweep_check_keys_impl(c, "lr", v, keys, NULL)) return;
    const yaml_node_t *base = sf_yaml_map_get(c->doc, v, "base");
    const yaml_node_t *dref = sf_yaml_map_get(c->doc, v, "d_ref");
    const yaml_node_t *nref = sf_yaml_map_get(c->doc, v, "n_ref");
    const yaml_node_t *pw   = sf_yaml_map_get(c->doc, v, "power");
    if (base == NULL)
        sf_yaml_error(c, v, "the lr rule needs 'base' (the lr at the reference size)");
    else if (sf_yaml_read_double(c, "lr.base", base, sf_range_of(0, true, 10, false), &d))
        s->lr_base = d;
    if ((dref == NULL) == (nref == NULL)) {
        sf_yaml_error(c, v,
                      "the lr rule needs exactly one of 'd_ref' (lr = base·(d_ref/d_model)^power) "
                      "and 'n_ref' (lr = base·(n_ref/N)^power)");
        return;
    }
    s->lr_rule = dref ? SWEEP_LR_RULE_D_MODEL : SWEEP_LR_RULE_PARAMS;
    if (sf_yaml_read_double(c, dref ? "lr.d_ref" : "lr.n_ref", dref ? dref : nref,
                            sf_range_of(0, true, INFINITY, false), &d))
        s->lr_ref = d;
    s->lr_power = 0.5;
    if (pw && sf_yaml_read_double(c, "lr.power", pw, sf_range_of(-10, false, 10, false), &d))
        s->lr_power = d;
}

static void sweep_parse_train_impl(struct sf_yaml_reader *c, const yaml_node_t *t,
                                   struct sweep_spec *s) {
    if (t->type != YAML_MAPPING_NODE) {
        sf_yaml_error(c, t, "'train' must be a mapping, not %s", sf_yaml_kind(t));
        return;
    }
    /* Keys that belong elsewhere are reported here and kept from the engine's parser. */
    const char *skip[64];
    size_t      n_skip = 0;
    for (size_t i = 0; sweep_train_own[i]; i++)
        skip[n_skip++] = sweep_train_own[i];
    for (yaml_node_pair_t *p = t->data.mapping.pairs.start; p < t->data.mapping.pairs.top; p++) {
        yaml_node_t *kn  = yaml_document_get_node(c->doc, p->key);
        const char  *key = sf_yaml_scalar(kn);
        if (key == NULL) continue;
        for (size_t i = 0; sweep_train_elsewhere[i]; i += 2)
            if (strcmp(sweep_train_elsewhere[i], key) == 0) {
                sf_yaml_error(c, kn, "'%s' does not belong in 'train' (it goes %s)", key,
                              sweep_train_elsewhere[i + 1]);
                if (n_skip < 63) skip[n_skip++] = sweep_train_elsewhere[i];
            }
    }
    skip[n_skip] = NULL;
    sweep_parse_objectives_impl(c, t, s);
    model_config_parse_mapping(c->path, c->doc, t, skip, &s->base, c->diags);
    /* The length of each run: exactly one kind, a value or a list of budgets. */
    static const char *const kinds[] = {"steps", "tokens", "flops", "tokens_per_param"};
    const yaml_node_t       *found   = NULL;
    for (size_t k = 0; k < 4; k++) {
        const yaml_node_t *v = sf_yaml_map_get(c->doc, t, kinds[k]);
        if (v == NULL) continue;
        if (found) {
            sf_yaml_error(c, v,
                          "give one of steps, tokens, flops and tokens_per_param, not several");
            continue;
        }
        found          = v;
        s->budget_kind = (enum sweep_budget_kind)k;
        sweep_get_numbers_impl(c, kinds[k], v, 0, &s->budgets, &s->n_budgets);
        if (k == SWEEP_BUDGET_KIND_STEPS)
            for (size_t i = 0; i < s->n_budgets; i++)
                if (s->budgets[i] != floor(s->budgets[i]))
                    sf_yaml_error(c, v, "'steps' must be whole numbers");
    }
    if (found == NULL)
        sf_yaml_error(c, t,
                      "'train' needs the length of each run: steps, tokens, flops (C = 6·N·tokens "
                      "per run) or tokens_per_param; a list gives several budgets");
    const yaml_node_t *lr = sf_yaml_map_get(c->doc, t, "lr");
    if (lr) sweep_parse_lr_impl(c, lr, s);
    const yaml_node_t *seeds = sf_yaml_map_get(c->doc, t, "seeds");
    if (seeds && seeds->type == YAML_SCALAR_NODE) {
        int64_t k;
        if (sf_yaml_read_int(c, "seeds", seeds, 1, 1000, &k)) {
            free(s->seeds);
            s->seeds   = calloc((size_t)k, sizeof *s->seeds);
            s->n_seeds = s->seeds ? (size_t)k : 0;
            for (size_t i = 0; i < s->n_seeds; i++)
                s->seeds[i] = i + 1;
        }
    } else if (seeds) {
        double *v;
        size_t  n;
        if (sweep_get_numbers_impl(c, "seeds", seeds, -1, &v, &n)) {
            free(s->seeds);
            s->seeds   = calloc(n, sizeof *s->seeds);
            s->n_seeds = s->seeds ? n : 0;
            for (size_t i = 0; i < s->n_seeds; i++) {
                if (v[i] != floor(v[i])) sf_yaml_error(c, seeds, "'seeds' must be whole numbers");
                s->seeds[i] = (uint64_t)v[i];
            }
        }
        free(v);
    }
}

static void sweep_parse_runner_impl(struct sf_yaml_reader *c, const yaml_node_t *r,
                                    struct sweep_spec *s) {
    if (!sweep_check_keys_impl(c, "runner", r, sweep_runner_keys, NULL)) return;
    const yaml_node_t       *v;
    int64_t                  iv;
    static const char *const executors[] = {"local", "slurm", NULL}; /* enum sweep_executor */
    int                      ex;
    if ((v = sf_yaml_map_get(c->doc, r, "executor")) &&
        sf_yaml_read_enum(c, "executor", v, executors, &ex))
        s->executor = (enum sweep_executor)ex;
    if ((v = sf_yaml_map_get(c->doc, r, "jobs")) && sf_yaml_read_int(c, "jobs", v, 1, 4096, &iv))
        s->jobs = iv;
    if ((v = sf_yaml_map_get(c->doc, r, "threads")) &&
        sf_yaml_read_int(c, "threads", v, 1, 1024, &iv))
        s->base.threads = iv;
    const yaml_node_t *sl = sf_yaml_map_get(c->doc, r, "slurm");
    if (sl == NULL || !sweep_check_keys_impl(c, "slurm", sl, sweep_slurm_keys, NULL)) return;
    struct sweep_slurm *o = &s->slurm;
    struct {
        const char *key;
        char       *dst;
        size_t      n;
    } strs[] = {{"partition", o->partition, sizeof o->partition},
                {"time", o->time, sizeof o->time},
                {"account", o->account, sizeof o->account},
                {"qos", o->qos, sizeof o->qos},
                {"mem", o->mem, sizeof o->mem}};
    for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
        if ((v = sf_yaml_map_get(c->doc, sl, strs[k].key)))
            sf_yaml_read_string(c, strs[k].key, v, strs[k].dst, strs[k].n);
    if ((v = sf_yaml_map_get(c->doc, sl, "cpus_per_task")) &&
        sf_yaml_read_int(c, "cpus_per_task", v, 1, 4096, &iv))
        o->cpus_per_task = iv;
    if ((v = sf_yaml_map_get(c->doc, sl, "signal_seconds")) &&
        sf_yaml_read_int(c, "signal_seconds", v, 1, 86400, &iv))
        o->signal_seconds = iv;
    if ((v = sf_yaml_map_get(c->doc, sl, "max_resubmits")) &&
        sf_yaml_read_int(c, "max_resubmits", v, 0, 100, &iv))
        o->max_resubmits = iv;
    if ((v = sf_yaml_map_get(c->doc, sl, "poll_seconds")) &&
        sf_yaml_read_int(c, "poll_seconds", v, 1, 3600, &iv))
        o->poll_seconds = iv;
    if ((v = sf_yaml_map_get(c->doc, sl, "extra"))) {
        if (v->type != YAML_SEQUENCE_NODE) {
            sf_yaml_error(c, v, "'extra' must be a list of sbatch options, one argument each");
        } else {
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++) {
                yaml_node_t *x = yaml_document_get_node(c->doc, *it);
                if (o->n_extra == 16) {
                    sf_yaml_error(c, x, "at most 16 extra sbatch options");
                    break;
                }
                if (sf_yaml_read_string(c, "extra", x, o->extra[o->n_extra], sizeof o->extra[0]))
                    o->n_extra++;
            }
        }
    }
    sweep_slurm_validate(s, c->path, c->doc, sl, c->diags);
}

/* Reads one row filter of a sweep fit (`key`: where, holdout_where) into dst: "COL=VALUE"
 * keeps rows whose COL is VALUE, "COL>=V", "COL>V", "COL<=V", "COL<V" compare numbers
 * (holdout_where: comparisons only). Checked here with the fitter's own parser, so that a
 * mistake is reported at its place before anything runs; dst is left empty on a mistake. */
static void sweep_read_filter_impl(struct sf_yaml_reader *c, const char *key, const yaml_node_t *v,
                                   bool compare_only, char *dst, size_t n) {
    if (!sf_yaml_read_string(c, key, v, dst, n)) return;
    struct fit_filter f;
    struct sf_error   e;
    if (!fit_filter_parse(dst, compare_only ? FIT_FILTER_FORM_COMPARE : FIT_FILTER_FORM_ANY, key,
                          &f, &e)) {
        sf_yaml_error(c, v, "%s", e.message);
        dst[0] = '\0';
        return;
    }
    fit_filter_free(&f);
}

/* The options a sweep fit shares with `scalefit fit`: loss, delta, space, where, holdout_where. */
static void sweep_read_fit_options_impl(struct sf_yaml_reader *c, const yaml_node_t *ln,
                                        struct sweep_fit *o) {
    static const char *const losses[] = {"squares", "huber", NULL};
    static const char *const spaces[] = {"log", "linear", NULL};
    const yaml_node_t       *v;
    int                      k;
    if ((v = sf_yaml_map_get(c->doc, ln, "loss")) && sf_yaml_read_enum(c, "loss", v, losses, &k))
        o->loss = k == 1 ? FIT_LOSS_HUBER : FIT_LOSS_SQUARES;
    if ((v = sf_yaml_map_get(c->doc, ln, "space")) && sf_yaml_read_enum(c, "space", v, spaces, &k))
        o->space = k == 1 ? FIT_SPACE_LINEAR : FIT_SPACE_LOG;
    if ((v = sf_yaml_map_get(c->doc, ln, "delta")))
        sf_yaml_read_double(c, "delta", v, sf_range_of(0, true, INFINITY, false), &o->delta);
    if ((v = sf_yaml_map_get(c->doc, ln, "holdout_where")))
        sweep_read_filter_impl(c, "holdout_where", v, true, o->holdout_where,
                               sizeof o->holdout_where);
    if ((v = sf_yaml_map_get(c->doc, ln, "where")) == NULL) return;
    if (v->type == YAML_SCALAR_NODE) {
        sweep_read_filter_impl(c, "where", v, false, o->filters[0], sizeof o->filters[0]);
        o->n_filters = o->filters[0][0] != '\0';
        return;
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        sf_yaml_error(c, v, "'where' must be a filter or a list of filters, not %s",
                      sf_yaml_kind(v));
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (o->n_filters == SWEEP_FIT_FILTERS_MAX) {
            sf_yaml_error(c, item, "at most %d filters in 'where'", SWEEP_FIT_FILTERS_MAX);
            return;
        }
        char *dst = o->filters[o->n_filters];
        sweep_read_filter_impl(c, "where", item, false, dst, sizeof o->filters[0]);
        if (dst[0] != '\0') o->n_filters++;
    }
}

static void sweep_parse_fit_impl(struct sf_yaml_reader *c, const yaml_node_t *f,
                                 struct sweep_spec *s) {
    if (!sweep_check_keys_impl(c, "fit", f, sweep_fit_keys, NULL)) return;
    const yaml_node_t *v;
    int64_t            iv;
    double             dv;
    if ((v = sf_yaml_map_get(c->doc, f, "bootstrap")) &&
        sf_yaml_read_int(c, "bootstrap", v, 0, 1000000, &iv))
        s->bootstrap = (size_t)iv;
    if ((v = sf_yaml_map_get(c->doc, f, "seed")) &&
        sf_yaml_read_int(c, "seed", v, 0, INT64_MAX, &iv))
        s->fit_seed = (uint64_t)iv;
    if ((v = sf_yaml_map_get(c->doc, f, "level")) &&
        sf_yaml_read_double(c, "level", v, sf_range_of(0, true, 1, true), &dv))
        s->level = dv;
    const yaml_node_t *laws = sf_yaml_map_get(c->doc, f, "laws");
    if (laws == NULL) return;
    if (laws->type != YAML_SEQUENCE_NODE) {
        sf_yaml_error(c, laws, "'laws' must be a list of {name, law, ...}");
        return;
    }
    size_t n = (size_t)(laws->data.sequence.items.top - laws->data.sequence.items.start);
    free(s->fits);
    s->fits   = calloc(n ? n : 1, sizeof *s->fits);
    s->n_fits = 0;
    if (s->fits == NULL) return;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t      *ln = yaml_document_get_node(c->doc, laws->data.sequence.items.start[i]);
        struct sweep_fit *o  = &s->fits[s->n_fits++];
        sweep_fit_defaults(o, "power+const"); /* until 'law' is read */
        sf_yaml_where(o->where, sizeof o->where, c->path, ln);
        if (!sweep_check_keys_impl(c, "laws", ln, sweep_law_keys, NULL)) continue;
        char buf[64];
        if ((v = sf_yaml_map_get(c->doc, ln, "law")) == NULL) {
            struct sf_buf names;
            sf_buf_init(&names);
            sf_buf_join(&names, fit_law_names(), ", ");
            sf_yaml_error(c, ln, "a fit needs 'law' (%s)", names.data ? names.data : "");
            sf_buf_free(&names);
        } else if (sf_yaml_read_string(c, "law", v, buf, sizeof buf)) {
            enum fit_law_kind k;
            if (!fit_law_from_name(buf, &k)) {
                const char *hint = sf_did_you_mean(buf, fit_law_names());
                sf_yaml_error(c, v, "unknown law '%s'%s%s%s", buf, hint ? " (did you mean '" : "",
                              hint ? hint : "", hint ? "'?)" : "");
            } else {
                sweep_fit_defaults(o, buf);
            }
        }
        if ((v = sf_yaml_map_get(c->doc, ln, "name")) == NULL)
            sf_yaml_error(c, ln, "a fit needs 'name' (its folder under fits/)");
        else if (sf_yaml_read_string(c, "name", v, o->name, sizeof o->name)) {
            if (!sweep_plain_name_impl(o->name))
                sf_yaml_error(c, v, "fit name '%s' must be a plain folder name", o->name);
            for (size_t j = 0; j + 1 < s->n_fits; j++)
                if (strcmp(s->fits[j].name, o->name) == 0)
                    sf_yaml_error(c, v, "fit name '%s' used twice", o->name);
        }
        struct {
            const char *key;
            char       *dst;
        } cols[] = {{"x", o->x}, {"d", o->d}, {"y", o->y}};
        for (size_t k = 0; k < 3; k++)
            if ((v = sf_yaml_map_get(c->doc, ln, cols[k].key)))
                sf_yaml_read_string(c, cols[k].key, v, cols[k].dst, 32);
        struct {
            const char *key;
            double     *dst;
        } nums[] = {{"min_params", &o->min_params},
                    {"max_params", &o->max_params},
                    {"min_tokens", &o->min_tokens},
                    {"min_flops", &o->min_flops},
                    {"holdout_min_params", &o->holdout_min_params},
                    {"target_reducible_per_sample", &o->target_per_sample}};
        for (size_t k = 0; k < 6; k++)
            if ((v = sf_yaml_map_get(c->doc, ln, nums[k].key)))
                sf_yaml_read_double(c, nums[k].key, v, sf_range_of(0, true, INFINITY, false),
                                    nums[k].dst);
        static const char *const frontier_fits[] = {"hull", "envelope", NULL};
        int                      ff;
        if ((v = sf_yaml_map_get(c->doc, ln, "frontier_fit")) &&
            sf_yaml_read_enum(c, "frontier_fit", v, frontier_fits, &ff)) {
            o->frontier_hull      = ff == 0;
            o->frontier_fit_given = true;
        }
        if ((v = sf_yaml_map_get(c->doc, ln, "stage")))
            sf_yaml_read_string(c, "stage", v, o->stage, sizeof o->stage);
        sweep_read_fit_options_impl(c, ln, o);
        sweep_fit_check(o, c->path, ln, c->diags);
    }
}

// ---- the whole file ----

void sweep_spec_free(struct sweep_spec *s) {
    if (s == NULL) return;
    free(s->path);
    free(s->base_dir);
    free(s->shapes);
    free(s->budgets);
    free(s->seeds);
    free(s->fits);
    free(s->stages);
    memset(s, 0, sizeof *s);
}

/* Defaults of everything the file may leave out. */
static void sweep_spec_defaults_impl(struct sweep_spec *s) {
    s->base                 = model_config_default();
    s->aspect               = 10; /* Henighan's models: d_model / n_layer about 10 */
    s->head_dim             = 64; /* n_head = max(2, d_model / 64), as Henighan */
    s->min_heads            = 2;
    s->d_ff_mult            = 4;
    s->d_attn_mult          = 1;
    s->lr_rule              = SWEEP_LR_RULE_CONSTANT;
    s->lr_base              = s->base.lr;
    s->jobs                 = 0;
    s->executor             = SWEEP_EXECUTOR_LOCAL;
    s->bootstrap            = 1000;
    s->fit_seed             = 1;
    s->level                = 0.95;
    s->plots                = true;
    s->slurm.signal_seconds = 60;
    s->slurm.max_resubmits  = 3;
    s->slurm.poll_seconds   = 5;
}

enum sf_status sweep_spec_load(const char *path, struct sweep_spec *s, struct sf_diags *diags) {
    memset(s, 0, sizeof *s);
    sweep_spec_defaults_impl(s);
    size_t          before = diags->n_errors;
    yaml_document_t doc;
    struct sf_error err;
    enum sf_status  st = sf_yaml_load(path, &doc, &err);
    if (st != SF_OK) {
        sf_diag_add(diags, true, err.where, "%s", err.message);
        return st;
    }
    s->path     = sf_strdup(path);
    char *slash = strrchr(path, '/');
    s->base_dir = slash ? sf_strdup_printf("%.*s", (int)(slash - path), path) : sf_strdup(".");
    if (s->base_dir && s->base_dir[0] == '\0') {
        free(s->base_dir);
        s->base_dir = sf_strdup("/");
    }
    struct sf_yaml_reader c    = {path, &doc, diags};
    yaml_node_t          *root = yaml_document_get_root_node(&doc);
    if (sweep_check_keys_impl(&c, "the sweep", root, sweep_root_keys, NULL)) {
        const yaml_node_t *v;
        if ((v = sf_yaml_map_get(&doc, root, "name")) == NULL)
            sf_yaml_error(&c, root,
                          "the sweep needs a 'name' (the default output folder is runs/NAME)");
        else if (sf_yaml_read_string(&c, "name", v, s->name, sizeof s->name) &&
                 !sweep_plain_name_impl(s->name))
            sf_yaml_error(&c, v, "'name' must be a plain folder name, not '%s'", s->name);
        const yaml_node_t *data = sf_yaml_map_get(&doc, root, "data");
        if (data == NULL)
            sf_yaml_error(&c, root, "the sweep needs 'data' (the data source, as in run.yaml)");
        else {
            /* The engine parses `data:` by its rules; every other top-level key is ours (and
             * unknown ones have been reported already). */
            const char *skip[64];
            size_t      n_skip = 0;
            for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
                 p < root->data.mapping.pairs.top && n_skip < 63; p++) {
                const char *k = sf_yaml_scalar(yaml_document_get_node(&doc, p->key));
                if (k != NULL && strcmp(k, "data") != 0) skip[n_skip++] = k;
            }
            skip[n_skip] = NULL;
            sweep_parse_resolutions_impl(&c, data, s);
            model_config_parse_mapping(path, &doc, root, skip, &s->base, diags);
        }
        const yaml_node_t *model = sf_yaml_map_get(&doc, root, "model");
        if (model == NULL)
            sf_yaml_error(&c, root, "the sweep needs 'model' (sizes or shapes)");
        else
            sweep_parse_model_impl(&c, model, s);
        const yaml_node_t *train = sf_yaml_map_get(&doc, root, "train");
        if (train == NULL)
            sf_yaml_error(&c, root, "the sweep needs 'train' (at least the length of each run)");
        else
            sweep_parse_train_impl(&c, train, s);
        if ((v = sf_yaml_map_get(&doc, root, "runner"))) sweep_parse_runner_impl(&c, v, s);
        if ((v = sf_yaml_map_get(&doc, root, "fit"))) sweep_parse_fit_impl(&c, v, s);
        if ((v = sf_yaml_map_get(&doc, root, "plots")))
            sf_yaml_read_bool(&c, "plots", v, &s->plots);
        if ((v = sf_yaml_map_get(&doc, root, "stages"))) sweep_parse_stages(&c, v, s);
        if (s->n_resolutions > 0 && s->n_ctx_given)
            sf_yaml_error(&c, sf_yaml_map_get(&doc, sf_yaml_map_get(&doc, root, "model"), "n_ctx"),
                          "with a list of resolutions each grid's n_ctx is its sample's tokens "
                          "less one (one sample per window): leave out 'n_ctx'");
        else if (s->n_resolutions > 0)
            s->base.n_ctx =
                model_source_get(s->base.data.source)->tokens_per_sample(&s->base.data) - 1;
        /* A fit names the main grid or a stage. */
        for (size_t i = 0; i < s->n_fits; i++) {
            bool known = strcmp(s->fits[i].stage, "main") == 0;
            for (size_t k = 0; k < s->n_stages; k++)
                known |= strcmp(s->fits[i].stage, s->stages[k].name) == 0;
            if (!known)
                sf_diag_add(diags, true, s->fits[i].where,
                            "'stage: %s' names no stage of the sweep (main, or one of 'stages')",
                            s->fits[i].stage);
        }
        if (s->n_seeds == 0) {
            s->seeds   = calloc(1, sizeof *s->seeds);
            s->n_seeds = s->seeds ? 1 : 0;
            if (s->seeds) s->seeds[0] = s->base.seed;
        }
        if (s->n_fits == 0) sweep_fits_default(s);
        /* What only the whole picture can tell: data files present, shapes possible. */
        if (data != NULL && diags->n_errors == before) {
            char where[SF_WHERE_LEN];
            sf_yaml_where(where, sizeof where, path, data);
            sweep_check_data(s, where, diags);
        }
        sweep_check_shapes(s, diags);
    }
    yaml_document_delete(&doc);
    if (diags->n_errors > before) {
        sweep_spec_free(s);
        return SF_EINVAL;
    }
    return SF_OK;
}
