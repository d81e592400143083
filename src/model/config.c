/*
 * config.c — run.yaml: the defaults, the parser (libyaml documents, every problem collected
 * into an sf_diags list with FILE:LINE:COL from the node marks), the semantic checks shared by
 * the parser and model_config_validate(), the emitter (every applicable key in a fixed order,
 * doubles in shortest round-trip form, so that load(emit(x)) == x) and the config hash.
 *
 * Which `data:` keys a source takes, its checks and its keys' text come from its entry
 * (model_source_get). Not here: what the values do (model.c, data.c, run.c). The key reference for
 * users is docs/run-format.md; the two must change together.
 */
#include "internal.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- defaults and names ----

struct model_config model_config_default(void) {
    struct model_config c;
    memset(&c, 0, sizeof c);
    c.data.source           = MODEL_SOURCE_MARKOV;
    c.data.n_vocab          = 4;
    c.data.order            = 5;
    c.data.generator        = MODEL_MARKOV_GENERATOR_LOGLINEAR;
    c.data.scale            = 1.5;
    c.data.decay            = 0.7;
    c.data.concentration    = 0.5;
    c.data.seed             = 1;
    c.data.eval_fraction    = 0.1;
    c.data.tasks            = 4096;
    c.data.zipf             = 1.6;
    c.data.symbols          = 8;
    c.data.resolution       = 8;
    c.data.levels           = 16;
    c.data.classes          = 10;
    c.data.blank_fraction   = 0;
    c.data.math_modules     = (1u << MODEL_MATH_MODULE_COUNT) - 1;
    c.data.math_difficulty  = 3u; /* 1, 2 */
    c.data.math_extrapolate = 4u; /* 3 */
    c.data.holdout          = 0.1;
    c.data.frames           = 4;
    c.data.item             = 4;
    c.data.speed            = 1;
    c.n_layer               = 2;
    c.d_model               = 64;
    c.n_head                = 2;
    c.d_ff                  = 0;
    c.d_attn                = 0;
    c.n_ctx                 = 64;
    c.tie_embeddings        = true;
    c.steps                 = 1000;
    c.tokens                = 0;
    c.batch                 = 32;
    c.lr                    = 3e-3;
    c.lr_floor              = 0.1;
    c.lr_warmup             = 0.05;
    c.lr_schedule           = MODEL_LR_SCHEDULE_COSINE;
    c.objective             = MODEL_OBJECTIVE_TOKENS;
    c.objective_weight      = 0.5;
    c.beta1                 = 0.9;
    c.beta2                 = 0.95;
    c.eps                   = 1e-8;
    c.weight_decay          = 0.1;
    c.weight_decay_all      = false;
    c.grad_clip             = 1.0;
    c.diverge_factor        = 4.0;
    c.eval_every            = 0;
    c.eval_points           = 20;
    c.eval_tokens           = 8192;
    c.checkpoint_every      = 500;
    c.seed                  = 1;
    c.threads               = 1;
    return c;
}

static const char *const model_schedule_names[]     = {"cosine", "linear", "constant", NULL};
const char *const        model_objective_names[]    = {"tokens", "forward_kl", "reverse_kl",
                                                       "js",     "mix",        NULL};
static const char *const model_generator_names[]    = {"loglinear", "dirichlet", NULL};
const char *const        model_image_layout_names[] = {"image", "image_label", "caption_image",
                                                       "image_caption", NULL};

const char *model_source_name(enum model_source s) {
    return model_source_get(s)->name;
}
const char *model_lr_schedule_name(enum model_lr_schedule s) {
    return model_schedule_names[s];
}
const char *model_markov_generator_name(enum model_markov_generator g) {
    return model_generator_names[g];
}

const char *const model_config_keys[] = {"data",
                                         "n_layer",
                                         "d_model",
                                         "n_head",
                                         "d_ff",
                                         "d_attn",
                                         "n_ctx",
                                         "tie_embeddings",
                                         "steps",
                                         "tokens",
                                         "batch",
                                         "lr",
                                         "lr_floor",
                                         "lr_warmup",
                                         "lr_schedule",
                                         "beta1",
                                         "beta2",
                                         "eps",
                                         "weight_decay",
                                         "weight_decay_all",
                                         "grad_clip",
                                         "diverge_factor",
                                         "eval_every",
                                         "eval_points",
                                         "eval_tokens",
                                         "checkpoint_every",
                                         "seed",
                                         "threads",
                                         "init_from",
                                         "objective",
                                         "objective_weight",
                                         "teacher",
                                         NULL};
const char *const model_data_keys[]   = {
      "source",        "n_vocab", "order",      "generator",      "scale",         "decay",
      "concentration", "seed",    "paths",      "eval_paths",     "eval_fraction", "resolution",
      "levels",        "layout",  "classes",    "blank_fraction", "tasks",         "zipf",
      "symbols",       "modules", "difficulty", "extrapolate",    "holdout",       "frames",
      "item",          "speed",   NULL};

/* Limits that are not physical: they keep sizes sane and products inside size_t. */
#define MODEL_CFG_MAX_DIM (INT64_C(1) << 20)
#define MODEL_CFG_MAX_VOCAB 65536
#define MODEL_CFG_MAX_THREADS 1024

// ---- places ----

/* Marks of the keys seen while parsing, for messages about values and their relations. */
#define MODEL_PLACES_MAX 96
struct model_places {
    const char *path;
    size_t      n;
    char        key[MODEL_PLACES_MAX][48];
    yaml_mark_t mark[MODEL_PLACES_MAX];
    yaml_mark_t fallback; /* the root mapping */
    yaml_mark_t data_map; /* the data mapping, or the root when absent */
    bool        has_data_map;
};

static void model_places_add_impl(struct model_places *pl, const char *key, yaml_mark_t mark) {
    if (pl == NULL || pl->n >= MODEL_PLACES_MAX) return;
    snprintf(pl->key[pl->n], sizeof pl->key[pl->n], "%s", key);
    pl->mark[pl->n] = mark;
    pl->n++;
}

static bool model_places_has_impl(const struct model_places *pl, const char *key) {
    if (pl == NULL) return false;
    for (size_t i = 0; i < pl->n; i++)
        if (strcmp(pl->key[i], key) == 0) return true;
    return false;
}

/* "PATH:LINE:COL" of `key` (or of the fallback mark); "" without places. */
static void model_where_impl(char *buf, size_t n, const struct model_places *pl, const char *key) {
    buf[0] = '\0';
    if (pl == NULL || pl->path == NULL) return;
    yaml_mark_t m = strncmp(key, "data.", 5) == 0 ? pl->data_map : pl->fallback;
    for (size_t i = 0; i < pl->n; i++)
        if (strcmp(pl->key[i], key) == 0) {
            m = pl->mark[i];
            break;
        }
    sf_where(buf, n, pl->path, m.line + 1, m.column + 1);
}

#define MODEL_DIAG(diags, pl, key, ...)                                                            \
    do {                                                                                           \
        char w_[SF_WHERE_LEN];                                                                     \
        model_where_impl(w_, sizeof w_, (pl), (key));                                              \
        sf_diag_add((diags), true, w_, __VA_ARGS__);                                               \
    } while (0)

// ---- value ranges ----

/* The ranges of run.yaml's numbers (the readers and the checks word them alike). */
#define MODEL_RANGE_POSITIVE sf_range_of(0, true, INFINITY, false)
#define MODEL_RANGE_NONNEG sf_range_of(0, false, INFINITY, false)
#define MODEL_RANGE_UNIT_CLOSED sf_range_of(0, false, 1, false)
#define MODEL_RANGE_UNIT_HALF sf_range_of(0, false, 1, true)
#define MODEL_RANGE_UNIT_OPEN sf_range_of(0, true, 1, true)

/* A string or a list of strings into a fixed path array. */
static bool model_get_paths_impl(const struct sf_yaml_reader *rd, const char *name,
                                 const yaml_node_t *v, char (*out)[MODEL_PATH_MAX], size_t *n_out,
                                 struct model_places *pl) {
    const yaml_node_t *items[MODEL_DATA_MAX_PATHS + 1];
    size_t             n = 0;
    if (v->type == YAML_SCALAR_NODE) {
        items[n++] = v;
    } else if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            if (n == MODEL_DATA_MAX_PATHS) {
                sf_yaml_error(rd, v, "'%s' has more than %d entries (use glob patterns)", name,
                              MODEL_DATA_MAX_PATHS);
                return false;
            }
            items[n++] = yaml_document_get_node(rd->doc, *it);
        }
        if (n == 0) {
            sf_yaml_error(rd, v, "'%s' is an empty list", name);
            return false;
        }
    } else {
        sf_yaml_error(rd, v, "'%s' must be a file name or a list of them, not %s", name,
                      sf_yaml_kind(v));
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *s = sf_yaml_scalar(items[i]);
        if (s == NULL || s[0] == '\0' || sf_yaml_is_null(items[i])) {
            sf_yaml_error(rd, items[i], "'%s' entries must be file names", name);
            ok = false;
            continue;
        }
        if (strlen(s) >= MODEL_PATH_MAX) {
            sf_yaml_error(rd, items[i], "file name longer than %d characters", MODEL_PATH_MAX - 1);
            ok = false;
            continue;
        }
        snprintf(out[i], MODEL_PATH_MAX, "%s", s);
        char key[32];
        snprintf(key, sizeof key, "data.%s[%zu]", name, i);
        model_places_add_impl(pl, key, items[i]->start_mark);
    }
    if (ok) *n_out = n;
    return ok;
}

// ---- parsing ----

/* True when `key` is one of the NULL-terminated `list` (a NULL list holds nothing). */
static bool model_in_list_impl(const char *key, const char *const *list) {
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        if (strcmp(list[i], key) == 0) return true;
    return false;
}

/* The key and value nodes of a mapping pair and the key's place; reports a key that is not a
 * plain scalar (`what` names the mapping) and returns NULL for it. */
static const char *model_pair_key_impl(const char *path, yaml_document_t *doc,
                                       const yaml_node_pair_t *p, yaml_node_t **kn,
                                       yaml_node_t **vn, char *kw, size_t kw_len, const char *what,
                                       struct sf_diags *diags) {
    *kn             = yaml_document_get_node(doc, p->key);
    *vn             = yaml_document_get_node(doc, p->value);
    const char *key = sf_yaml_scalar(*kn);
    sf_yaml_where(kw, kw_len, path, *kn);
    if (key == NULL) sf_diag_add(diags, true, kw, "keys %s must be plain names", what);
    return key;
}

/* A set read from a name or a number, or a list of them, as a mask: names from `names`
 * (bit = index), or (names NULL) integers lo..hi (bit = value − lo). An empty list is the empty
 * set where empty_ok, else an error; false on any error (reported at its item). */
static bool model_get_mask_impl(const struct sf_yaml_reader *rd, const char *name,
                                const yaml_node_t *v, const char *const *names, int64_t lo,
                                int64_t hi, bool empty_ok, uint32_t *out) {
    const yaml_node_t *items[32];
    size_t             n = 0;
    if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            if (n == 32) {
                sf_yaml_error(rd, v, "'%s' has more than 32 entries", name);
                return false;
            }
            items[n++] = yaml_document_get_node(rd->doc, *it);
        }
        if (n == 0 && !empty_ok) {
            sf_yaml_error(rd, v, "'%s' is an empty list", name);
            return false;
        }
    } else {
        items[n++] = v;
    }
    uint32_t mask = 0;
    bool     ok   = true;
    for (size_t i = 0; i < n; i++) {
        int     e;
        int64_t iv;
        if (names != NULL ? !sf_yaml_read_enum(rd, name, items[i], names, &e)
                          : !sf_yaml_read_int(rd, name, items[i], lo, hi, &iv)) {
            ok = false;
            continue;
        }
        unsigned bit = names != NULL ? (unsigned)e : (unsigned)(iv - lo);
        if (mask >> bit & 1u) {
            sf_yaml_error(rd, items[i], "'%s' lists %s twice", name, sf_yaml_scalar(items[i]));
            ok = false;
        }
        mask |= 1u << bit;
    }
    if (ok) *out = mask;
    return ok;
}

/* Whether a data key applies to the configured source: one of its entry's keys, not excluded by
 * its other settings (*why then says which setting it needs). */
static bool model_data_key_applies_impl(const char *key, const struct model_data_config *d,
                                        const char **why) {
    const struct model_source_entry *src = model_source_get(d->source);
    *why                                 = NULL;
    if (strcmp(key, "source") == 0) return true;
    if (!model_in_list_impl(key, src->keys)) return false;
    if (src->ops->key_excluded != NULL) *why = src->ops->key_excluded(d, key);
    return *why == NULL;
}

static void model_parse_data_impl(const char *path, yaml_document_t *doc, const yaml_node_t *map,
                                  struct model_config *cfg, struct model_places *pl,
                                  struct sf_diags *diags) {
    struct model_data_config *d  = &cfg->data;
    struct sf_yaml_reader     rd = {path, doc, diags};
    char                      where[SF_WHERE_LEN];
    sf_yaml_where(where, sizeof where, path, map);
    if (map->type != YAML_MAPPING_NODE) {
        struct sf_buf names;
        sf_buf_init(&names);
        sf_buf_join(&names, model_source_names, "|");
        sf_diag_add(
            diags, true, where, "'data' must be a mapping (source: %s and its settings), not %s",
            names.failed || names.data == NULL ? "a source name" : names.data, sf_yaml_kind(map));
        sf_buf_free(&names);
        return;
    }
    pl->data_map     = map->start_mark;
    pl->has_data_map = true;
    /* Source and generator first: they decide which other keys apply. */
    const yaml_node_t *src = sf_yaml_map_get(doc, map, "source");
    if (src != NULL) {
        int v;
        if (sf_yaml_read_enum(&rd, "source", src, model_source_names, &v))
            d->source = (enum model_source)v;
        else
            return; /* without a source the other keys cannot be judged */
    }
    const yaml_node_t *gen = sf_yaml_map_get(doc, map, "generator");
    if (gen != NULL && model_in_list_impl("generator", model_source_get(d->source)->keys)) {
        int v;
        if (sf_yaml_read_enum(&rd, "generator", gen, model_generator_names, &v))
            d->generator = (enum model_markov_generator)v;
    }
    const yaml_node_t *lay = sf_yaml_map_get(doc, map, "layout");
    if (lay != NULL && model_in_list_impl("layout", model_source_get(d->source)->keys)) {
        int v;
        if (sf_yaml_read_enum(&rd, "layout", lay, model_image_layout_names, &v))
            d->layout = (enum model_image_layout)v;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn, *vn;
        char         kw[SF_WHERE_LEN];
        const char  *key =
            model_pair_key_impl(path, doc, p, &kn, &vn, kw, sizeof kw, "of 'data'", diags);
        if (key == NULL) continue;
        if (!model_in_list_impl(key, model_data_keys)) {
            const char *hint = sf_did_you_mean(key, model_data_keys);
            if (hint)
                sf_diag_add(diags, true, kw, "unknown key 'data.%s' (did you mean '%s'?)", key,
                            hint);
            else
                sf_diag_add(diags, true, kw, "unknown key 'data.%s'", key);
            continue;
        }
        char full[40];
        snprintf(full, sizeof full, "data.%s", key);
        if (model_places_has_impl(pl, full)) {
            sf_diag_add(diags, true, kw, "key 'data.%s' given twice", key);
            continue;
        }
        model_places_add_impl(pl, full, vn->start_mark);
        const char *why;
        if (!model_data_key_applies_impl(key, d, &why)) {
            if (why)
                sf_diag_add(diags, true, kw, "'data.%s' applies to %s only", key, why);
            else
                sf_diag_add(diags, true, kw, "'data.%s' does not apply to source %s", key,
                            model_source_name(d->source));
            continue;
        }
        if (strcmp(key, "source") == 0 || strcmp(key, "generator") == 0 ||
            strcmp(key, "layout") == 0)
            continue;
        int64_t iv;
        double  dv;
        if (strcmp(key, "n_vocab") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 2, MODEL_CFG_MAX_VOCAB, &iv)) d->n_vocab = iv;
        } else if (strcmp(key, "order") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 1, 64, &iv)) d->order = iv;
        } else if (strcmp(key, "scale") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, MODEL_RANGE_POSITIVE, &dv)) d->scale = dv;
        } else if (strcmp(key, "decay") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, MODEL_RANGE_POSITIVE, &dv)) d->decay = dv;
        } else if (strcmp(key, "concentration") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, MODEL_RANGE_POSITIVE, &dv)) d->concentration = dv;
        } else if (strcmp(key, "seed") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 0, INT64_MAX, &iv)) d->seed = (uint64_t)iv;
        } else if (strcmp(key, "paths") == 0) {
            model_get_paths_impl(&rd, key, vn, d->paths, &d->n_paths, pl);
        } else if (strcmp(key, "eval_paths") == 0) {
            model_get_paths_impl(&rd, key, vn, d->eval_paths, &d->n_eval_paths, pl);
        } else if (strcmp(key, "eval_fraction") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, MODEL_RANGE_UNIT_OPEN, &dv))
                d->eval_fraction = dv;
        } else if (strcmp(key, "tasks") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 2, INT64_C(1) << 24, &iv)) d->tasks = iv;
        } else if (strcmp(key, "zipf") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, MODEL_RANGE_POSITIVE, &dv)) d->zipf = dv;
        } else if (strcmp(key, "symbols") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 2, 1024, &iv)) d->symbols = iv;
        } else if (strcmp(key, "resolution") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 1, 256, &iv)) d->resolution = iv;
        } else if (strcmp(key, "levels") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 2, MODEL_CFG_MAX_VOCAB, &iv)) d->levels = iv;
        } else if (strcmp(key, "classes") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 2, 256, &iv)) d->classes = iv;
        } else if (strcmp(key, "blank_fraction") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, sf_range_of(0, false, 1, true), &dv))
                d->blank_fraction = dv;
        } else if (strcmp(key, "modules") == 0) {
            model_get_mask_impl(&rd, key, vn, model_math_module_names, 0, 0, false,
                                &d->math_modules);
        } else if (strcmp(key, "difficulty") == 0) {
            model_get_mask_impl(&rd, key, vn, NULL, 1, MODEL_MATH_MAX_DIFFICULTY, false,
                                &d->math_difficulty);
        } else if (strcmp(key, "extrapolate") == 0) {
            model_get_mask_impl(&rd, key, vn, NULL, 1, MODEL_MATH_MAX_DIFFICULTY, true,
                                &d->math_extrapolate);
        } else if (strcmp(key, "frames") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 1, 64, &iv)) d->frames = iv;
        } else if (strcmp(key, "item") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 1, 64, &iv)) d->item = iv;
        } else if (strcmp(key, "speed") == 0) {
            if (sf_yaml_read_int(&rd, key, vn, 0, 64, &iv)) d->speed = iv;
        } else if (strcmp(key, "holdout") == 0) {
            if (sf_yaml_read_double(&rd, key, vn, sf_range_of(0, true, 0.5, false), &dv))
                d->holdout = dv;
        }
    }
    const struct model_source_ops *ops = model_source_get(d->source)->ops;
    char                           need[40];
    snprintf(need, sizeof need, "data.%s", ops->required_key ? ops->required_key : "");
    if (ops->required_key != NULL && !model_places_has_impl(pl, need))
        sf_diag_add(diags, true, where, "source %s needs '%s' (%s)", model_source_name(d->source),
                    ops->required_key, ops->required_what);
}

/* One top-level key. */
static void model_parse_key_impl(const char *path, const char *key, const yaml_node_t *vn,
                                 struct model_config *c, struct sf_diags *diags) {
    struct sf_yaml_reader rd = {path, NULL, diags};
    int64_t               iv;
    double                dv;
    bool                  bv;
    int                   ev;
    const int64_t         D = MODEL_CFG_MAX_DIM;
    struct {
        const char *name;
        int64_t    *field;
        int64_t     lo, hi;
        bool        nullable;
    } ints[] = {
        {"n_layer", &c->n_layer, 1, 4096, false},
        {"d_model", &c->d_model, 1, D, false},
        {"n_head", &c->n_head, 1, D, false},
        {"d_ff", &c->d_ff, 1, D, true},
        {"d_attn", &c->d_attn, 1, D, true},
        {"n_ctx", &c->n_ctx, 1, D, false},
        {"steps", &c->steps, 1, INT64_MAX, false},
        {"tokens", &c->tokens, 1, INT64_MAX, false},
        {"batch", &c->batch, 1, D, false},
        {"eval_every", &c->eval_every, 1, INT64_MAX, false},
        {"eval_points", &c->eval_points, 1, 100000, false},
        {"eval_tokens", &c->eval_tokens, 1, INT64_C(1) << 40, false},
        {"checkpoint_every", &c->checkpoint_every, 0, INT64_MAX, false},
        {"threads", &c->threads, 1, MODEL_CFG_MAX_THREADS, false},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i].name) != 0) continue;
        if (ints[i].nullable && sf_yaml_is_null(vn)) {
            *ints[i].field = 0;
            return;
        }
        if (sf_yaml_read_int(&rd, key, vn, ints[i].lo, ints[i].hi, &iv)) *ints[i].field = iv;
        return;
    }
    struct {
        const char     *name;
        double         *field;
        struct sf_range range;
    } dbls[] = {
        {"lr", &c->lr, MODEL_RANGE_POSITIVE},
        {"lr_floor", &c->lr_floor, MODEL_RANGE_UNIT_CLOSED},
        {"lr_warmup", &c->lr_warmup, MODEL_RANGE_UNIT_HALF},
        {"beta1", &c->beta1, MODEL_RANGE_UNIT_HALF},
        {"beta2", &c->beta2, MODEL_RANGE_UNIT_HALF},
        {"eps", &c->eps, MODEL_RANGE_POSITIVE},
        {"weight_decay", &c->weight_decay, MODEL_RANGE_NONNEG},
        {"grad_clip", &c->grad_clip, MODEL_RANGE_NONNEG},
        {"diverge_factor", &c->diverge_factor, MODEL_RANGE_NONNEG},
    };
    for (size_t i = 0; i < sizeof dbls / sizeof dbls[0]; i++) {
        if (strcmp(key, dbls[i].name) != 0) continue;
        if (sf_yaml_read_double(&rd, key, vn, dbls[i].range, &dv)) *dbls[i].field = dv;
        return;
    }
    if (strcmp(key, "tie_embeddings") == 0) {
        if (sf_yaml_read_bool(&rd, key, vn, &bv)) c->tie_embeddings = bv;
    } else if (strcmp(key, "weight_decay_all") == 0) {
        if (sf_yaml_read_bool(&rd, key, vn, &bv)) c->weight_decay_all = bv;
    } else if (strcmp(key, "lr_schedule") == 0) {
        if (sf_yaml_read_enum(&rd, key, vn, model_schedule_names, &ev))
            c->lr_schedule = (enum model_lr_schedule)ev;
    } else if (strcmp(key, "seed") == 0) {
        if (sf_yaml_read_int(&rd, key, vn, 0, INT64_MAX, &iv)) c->seed = (uint64_t)iv;
    } else if (strcmp(key, "init_from") == 0) {
        sf_yaml_read_string(&rd, key, vn, c->init_from, sizeof c->init_from);
    } else if (strcmp(key, "objective") == 0) {
        if (sf_yaml_read_enum(&rd, key, vn, model_objective_names, &ev))
            c->objective = (enum model_objective)ev;
    } else if (strcmp(key, "objective_weight") == 0) {
        if (sf_yaml_read_double(&rd, key, vn, MODEL_RANGE_UNIT_CLOSED, &dv))
            c->objective_weight = dv;
    } else if (strcmp(key, "teacher") == 0) {
        sf_yaml_read_string(&rd, key, vn, c->teacher, sizeof c->teacher);
    }
}

// ---- semantic checks ----

/* True when `pattern` (relative to base_dir) matches at least one regular file. */
static bool model_pattern_matches_impl(const char *pattern, const char *base_dir) {
    char *full = (pattern[0] == '/' || base_dir == NULL) ? sf_strdup(pattern)
                                                         : sf_path_join(base_dir, pattern);
    if (full == NULL) return false;
    glob_t g;
    bool   found = false;
    if (glob(full, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++)
            found = !sf_is_dir(g.gl_pathv[i]);
        globfree(&g);
    }
    free(full);
    return found;
}

/* Semantic checks. `relations` covers the checks between keys, which are only meaningful when
 * every key parsed (else a default stands in for a value the user got wrong); checks of one
 * value (data files, diverge_factor) always run. */
static void model_validate_impl(const struct model_config *c, const struct model_places *pl,
                                const char *base_dir, bool check_files, bool relations,
                                struct sf_diags *diags) {
    const struct model_data_config *d = &c->data;
    struct model_shape              s = model_config_shape(c);
    if (c->diverge_factor != 0.0 && c->diverge_factor <= 1.0)
        MODEL_DIAG(diags, pl, "diverge_factor",
                   "'diverge_factor' must be 0 (off) or greater than 1, not %g", c->diverge_factor);
    if (!relations) goto files;
    if (s.n_head > 0 && s.d_attn > 0 && s.d_attn % s.n_head != 0) {
        if (c->d_attn > 0)
            MODEL_DIAG(diags, pl, "n_head", "n_head %lld does not divide d_attn %lld",
                       (long long)s.n_head, (long long)s.d_attn);
        else
            MODEL_DIAG(diags, pl, "n_head",
                       "n_head %lld does not divide d_attn %lld (d_attn defaults to d_model)",
                       (long long)s.n_head, (long long)s.d_attn);
    }
    if (c->steps > 0 && c->tokens > 0)
        MODEL_DIAG(diags, pl, "tokens", "give 'steps' or 'tokens', not both");
    if (c->steps <= 0 && c->tokens <= 0)
        MODEL_DIAG(diags, pl, "steps", "give 'steps' or 'tokens' (the length of the run)");
    if (c->eval_every > 0 && c->eval_points > 0)
        MODEL_DIAG(diags, pl, "eval_points", "give 'eval_every' or 'eval_points', not both");
    if (c->eval_every <= 0 && c->eval_points <= 0)
        MODEL_DIAG(diags, pl, "eval_points", "give 'eval_every' or 'eval_points'");
    /* Ranges of single values: the parser enforces them key by key, so these fire only for a
     * configuration built in memory (a sweep's), where they are the only check. */
    const int64_t D = MODEL_CFG_MAX_DIM;
    struct {
        const char *name;
        int64_t     v, lo, hi;
    } ints[] = {
        {"n_layer", c->n_layer, 1, 4096},
        {"d_model", c->d_model, 1, D},
        {"n_head", c->n_head, 1, D},
        {"d_ff", c->d_ff, 0, D},
        {"d_attn", c->d_attn, 0, D},
        {"n_ctx", c->n_ctx, 1, D},
        {"batch", c->batch, 1, D},
        {"steps", c->steps, 0, INT64_MAX},
        {"tokens", c->tokens, 0, INT64_MAX},
        {"eval_every", c->eval_every, 0, INT64_MAX},
        {"eval_points", c->eval_points, 0, 100000},
        {"eval_tokens", c->eval_tokens, 1, INT64_C(1) << 40},
        {"checkpoint_every", c->checkpoint_every, 0, INT64_MAX},
        {"threads", c->threads, 1, MODEL_CFG_MAX_THREADS},
        {"data.resolution", d->resolution, 1, 256},
        {"data.tasks", d->tasks, 2, INT64_C(1) << 24},
        {"data.symbols", d->symbols, 2, 1024},
        {"data.levels", d->levels, 2, MODEL_CFG_MAX_VOCAB},
        {"data.classes", d->classes, 2, 256},
        {"data.order", d->order, 1, 64},
        {"data.frames", d->frames, 1, 64},
        {"data.item", d->item, 1, 64},
        {"data.speed", d->speed, 0, 64},
    };
    if (c->seed > (uint64_t)INT64_MAX)
        MODEL_DIAG(diags, pl, "seed", "'seed' must be at most %lld", (long long)INT64_MAX);
    if (d->seed > (uint64_t)INT64_MAX)
        MODEL_DIAG(diags, pl, "data.seed", "'data.seed' must be at most %lld",
                   (long long)INT64_MAX);
    char range[128];
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (ints[i].v >= ints[i].lo && ints[i].v <= ints[i].hi) continue;
        sf_int_range_text(range, sizeof range, ints[i].lo, ints[i].hi);
        MODEL_DIAG(diags, pl, ints[i].name, "'%s' must be %s, not %lld", ints[i].name, range,
                   (long long)ints[i].v);
    }
    struct {
        const char     *name;
        double          v;
        struct sf_range range;
    } dbls[] = {
        {"lr", c->lr, MODEL_RANGE_POSITIVE},
        {"lr_floor", c->lr_floor, MODEL_RANGE_UNIT_CLOSED},
        {"lr_warmup", c->lr_warmup, MODEL_RANGE_UNIT_HALF},
        {"beta1", c->beta1, MODEL_RANGE_UNIT_HALF},
        {"beta2", c->beta2, MODEL_RANGE_UNIT_HALF},
        {"eps", c->eps, MODEL_RANGE_POSITIVE},
        {"weight_decay", c->weight_decay, MODEL_RANGE_NONNEG},
        {"grad_clip", c->grad_clip, MODEL_RANGE_NONNEG},
        {"data.scale", d->scale, MODEL_RANGE_POSITIVE},
        {"data.decay", d->decay, MODEL_RANGE_POSITIVE},
        {"data.concentration", d->concentration, MODEL_RANGE_POSITIVE},
        {"data.zipf", d->zipf, MODEL_RANGE_POSITIVE},
        {"data.eval_fraction", d->eval_fraction, MODEL_RANGE_UNIT_OPEN},
        {"data.blank_fraction", d->blank_fraction, MODEL_RANGE_UNIT_HALF},
    };
    for (size_t i = 0; i < sizeof dbls / sizeof dbls[0]; i++) {
        if (sf_range_has(dbls[i].range, dbls[i].v)) continue;
        sf_range_text(range, sizeof range, dbls[i].range);
        MODEL_DIAG(diags, pl, dbls[i].name, "'%s' must be %s, not %g", dbls[i].name, range,
                   dbls[i].v);
    }
    /* The source's own checks of its settings as a whole, each at its key's place. */
    struct sf_diags own;
    sf_diag_init(&own);
    model_source_get(d->source)->ops->validate(c, &own);
    for (size_t i = 0; i < own.n; i++)
        MODEL_DIAG(diags, pl, own.items[i].where, "%s", own.items[i].message);
    sf_diag_free(&own);
files:;
    /* Distillation: the teacher it names, or the source's own distribution, which must exist and
     * (for reverse KL) give every token a probability above 0. */
    const struct model_source_entry *src     = model_source_get(d->source);
    bool                             reverse = c->objective == MODEL_OBJECTIVE_REVERSE_KL ||
                   (c->objective == MODEL_OBJECTIVE_MIX && c->objective_weight < 1.0);
    if (c->objective == MODEL_OBJECTIVE_TOKENS && c->teacher[0] != '\0')
        MODEL_DIAG(diags, pl, "teacher",
                   "'teacher' applies to distillation only (objective forward_kl, reverse_kl, js "
                   "or mix)");
    if (c->objective != MODEL_OBJECTIVE_MIX && c->objective_weight != 0.5)
        MODEL_DIAG(diags, pl, "objective_weight",
                   "'objective_weight' applies to objective mix only");
    if (c->objective != MODEL_OBJECTIVE_TOKENS && c->teacher[0] == '\0' && !src->exact)
        MODEL_DIAG(diags, pl, "objective",
                   "distillation onto the truth needs a source that knows its next-token "
                   "distribution (markov, tasks, math), not %s: name a trained run as 'teacher'",
                   src->name);
    else if (reverse && c->teacher[0] == '\0' && !src->full_support)
        MODEL_DIAG(diags, pl, "objective",
                   "reverse KL onto a teacher with zeros is refused: source %s gives some tokens "
                   "probability 0, where KL(model ‖ teacher) is infinite (use forward_kl or js)",
                   src->name);
    /* The runs it names must exist: the one whose weights start it, the teacher it distils from
     * (a run directory, whose checkpoint.bin may come later when a sweep trains it first, or a
     * checkpoint file). */
    const struct {
        const char *key, *value;
    } runs[2] = {{"init_from", c->init_from}, {"teacher", c->teacher}};
    for (size_t k = 0; check_files && k < 2; k++) {
        if (runs[k].value[0] == '\0') continue;
        char *full = (runs[k].value[0] == '/' || base_dir == NULL)
                         ? sf_strdup(runs[k].value)
                         : sf_path_join(base_dir, runs[k].value);
        if (full != NULL && !sf_path_exists(full))
            MODEL_DIAG(diags, pl, runs[k].key,
                       "'%s' names '%s', which does not exist (a run directory or a checkpoint "
                       "file, relative to the folder of run.yaml)",
                       runs[k].key, runs[k].value);
        free(full);
    }
    if (model_source_get(d->source)->files) {
        if (check_files) {
            for (size_t i = 0; i < d->n_paths + d->n_eval_paths; i++) {
                bool        ev  = i >= d->n_paths;
                size_t      k   = ev ? i - d->n_paths : i;
                const char *pat = ev ? d->eval_paths[k] : d->paths[k];
                if (model_pattern_matches_impl(pat, base_dir)) continue;
                char key[40];
                snprintf(key, sizeof key, "data.%s[%zu]", ev ? "eval_paths" : "paths", k);
                MODEL_DIAG(diags, pl, key, "data file '%s' not found%s", pat,
                           strpbrk(pat, "*?[") ? " (the pattern matches no file)" : "");
            }
        }
    }
}

/* The keys of one mapping of run.yaml keys (a run.yaml's root, or a sweep's mapping of run
 * settings), into cfg; keys named in `skip` are left to the caller. Records places in pl. */
static void model_parse_mapping_impl(const char *path, yaml_document_t *doc,
                                     const yaml_node_t *root, const char *const *skip,
                                     struct model_config *cfg, struct model_places *pl,
                                     struct sf_diags *diags) {
    bool steps_seen = false, tokens_seen = false, every_seen = false, points_seen = false;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn, *vn;
        char         kw[SF_WHERE_LEN];
        const char  *key = model_pair_key_impl(path, doc, p, &kn, &vn, kw, sizeof kw,
                                               "of run "
                                                "settings",
                                               diags);
        if (key == NULL || model_in_list_impl(key, skip)) continue;
        if (!model_in_list_impl(key, model_config_keys)) {
            /* A data key at the top level is a common slip: say where it belongs. */
            bool        is_data = model_in_list_impl(key, model_data_keys);
            const char *hint    = sf_did_you_mean(key, model_config_keys);
            if (hint)
                sf_diag_add(diags, true, kw, "unknown key '%s' (did you mean '%s'?)", key, hint);
            else if (is_data)
                sf_diag_add(diags, true, kw, "unknown key '%s' (it belongs under 'data:')", key);
            else
                sf_diag_add(diags, true, kw, "unknown key '%s'", key);
            continue;
        }
        if (model_places_has_impl(pl, key)) {
            sf_diag_add(diags, true, kw, "key '%s' given twice", key);
            continue;
        }
        model_places_add_impl(pl, key, kn->start_mark);
        steps_seen |= strcmp(key, "steps") == 0;
        tokens_seen |= strcmp(key, "tokens") == 0;
        every_seen |= strcmp(key, "eval_every") == 0;
        points_seen |= strcmp(key, "eval_points") == 0;
        if (strcmp(key, "data") == 0)
            model_parse_data_impl(path, doc, vn, cfg, pl, diags);
        else
            model_parse_key_impl(path, key, vn, cfg, diags);
    }
    /* Each pair of alternatives: giving one clears the other's default. */
    if (tokens_seen && !steps_seen) cfg->steps = 0;
    if (every_seen && !points_seen) cfg->eval_points = 0;
}

void model_config_parse_mapping(const char *path, yaml_document_t *doc, const yaml_node_t *map,
                                const char *const *skip, struct model_config *cfg,
                                struct sf_diags *diags) {
    struct model_places *pl = calloc(1, sizeof *pl);
    if (pl == NULL) {
        sf_diag_add(diags, true, path, "out of memory");
        return;
    }
    pl->path     = path;
    pl->fallback = map->start_mark;
    pl->data_map = map->start_mark;
    if (map->type != YAML_MAPPING_NODE) {
        char where[SF_WHERE_LEN];
        sf_yaml_where(where, sizeof where, path, map);
        sf_diag_add(diags, true, where, "expected a mapping of run settings, not %s",
                    sf_yaml_kind(map));
    } else {
        model_parse_mapping_impl(path, doc, map, skip, cfg, pl, diags);
    }
    free(pl);
}

enum sf_status model_config_validate(const struct model_config *cfg, const char *base_dir,
                                     struct sf_diags *diags) {
    size_t before = diags->n_errors;
    model_validate_impl(cfg, NULL, base_dir, base_dir != NULL, true, diags);
    return diags->n_errors > before ? SF_EINVAL : SF_OK;
}

enum sf_status model_config_load(const char *path, struct model_config *cfg,
                                 struct sf_diags *diags) {
    *cfg                   = model_config_default();
    size_t          before = diags->n_errors;
    yaml_document_t doc;
    struct sf_error err;
    sf_error_clear(&err);
    enum sf_status st = sf_yaml_load(path, &doc, &err);
    if (st != SF_OK) {
        sf_diag_add(diags, true, err.where, "%s", err.message);
        return st;
    }
    struct model_places *pl = calloc(1, sizeof *pl);
    if (pl == NULL) {
        yaml_document_delete(&doc);
        sf_diag_add(diags, true, path, "out of memory");
        return SF_ENOMEM;
    }
    pl->path          = path;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    pl->fallback      = root->start_mark;
    pl->data_map      = root->start_mark;
    char where[SF_WHERE_LEN];
    sf_yaml_where(where, sizeof where, path, root);
    if (root->type != YAML_MAPPING_NODE) {
        sf_diag_add(diags, true, where, "run.yaml must be a mapping of keys to values, not %s",
                    sf_yaml_kind(root));
        goto done;
    }
    model_parse_mapping_impl(path, &doc, root, NULL, cfg, pl, diags);
    {
        bool        parsed   = diags->n_errors == before;
        char       *dir_copy = sf_strdup(path);
        char       *slash    = dir_copy ? strrchr(dir_copy, '/') : NULL;
        const char *base     = ".";
        if (slash != NULL) {
            *slash = '\0';
            base   = dir_copy[0] ? dir_copy : "/";
        }
        model_validate_impl(cfg, pl, base, true, parsed, diags);
        free(dir_copy);
    }
done:
    free(pl);
    yaml_document_delete(&doc);
    return diags->n_errors > before ? SF_EINVAL : SF_OK;
}

// ---- emitting ----

static void model_emit_impl(struct sf_yaml_out *y, const struct model_config *c, bool for_hash) {
    const struct model_data_config *d = &c->data;
    sf_yaml_map_begin(y, false);
    sf_yaml_plain(y, "data");
    sf_yaml_map_begin(y, false);
    sf_yaml_kv_str(y, "source", model_source_name(d->source));
    model_source_get(d->source)->ops->emit(y, d);
    sf_yaml_map_end(y);
    sf_yaml_kv_int(y, "n_layer", c->n_layer);
    sf_yaml_kv_int(y, "d_model", c->d_model);
    sf_yaml_kv_int(y, "n_head", c->n_head);
    sf_yaml_plain(y, "d_ff");
    if (c->d_ff > 0)
        sf_yaml_int(y, c->d_ff);
    else
        sf_yaml_null(y);
    sf_yaml_plain(y, "d_attn");
    if (c->d_attn > 0)
        sf_yaml_int(y, c->d_attn);
    else
        sf_yaml_null(y);
    sf_yaml_kv_int(y, "n_ctx", c->n_ctx);
    sf_yaml_kv_bool(y, "tie_embeddings", c->tie_embeddings);
    if (c->steps > 0) sf_yaml_kv_int(y, "steps", c->steps);
    if (c->tokens > 0) sf_yaml_kv_int(y, "tokens", c->tokens);
    sf_yaml_kv_int(y, "batch", c->batch);
    sf_yaml_kv_double(y, "lr", c->lr);
    sf_yaml_kv_double(y, "lr_floor", c->lr_floor);
    sf_yaml_kv_double(y, "lr_warmup", c->lr_warmup);
    sf_yaml_kv_str(y, "lr_schedule", model_lr_schedule_name(c->lr_schedule));
    sf_yaml_kv_double(y, "beta1", c->beta1);
    sf_yaml_kv_double(y, "beta2", c->beta2);
    sf_yaml_kv_double(y, "eps", c->eps);
    sf_yaml_kv_double(y, "weight_decay", c->weight_decay);
    sf_yaml_kv_bool(y, "weight_decay_all", c->weight_decay_all);
    sf_yaml_kv_double(y, "grad_clip", c->grad_clip);
    sf_yaml_kv_double(y, "diverge_factor", c->diverge_factor);
    if (c->eval_every > 0) sf_yaml_kv_int(y, "eval_every", c->eval_every);
    if (c->eval_points > 0) sf_yaml_kv_int(y, "eval_points", c->eval_points);
    sf_yaml_kv_int(y, "eval_tokens", c->eval_tokens);
    if (!for_hash) sf_yaml_kv_int(y, "checkpoint_every", c->checkpoint_every);
    sf_yaml_kv_int(y, "seed", (long long)c->seed);
    if (!for_hash) sf_yaml_kv_int(y, "threads", c->threads);
    if (c->init_from[0] != '\0') sf_yaml_kv_str(y, "init_from", c->init_from);
    /* Only when not the default: the runs trained on tokens keep their ids. */
    if (c->objective != MODEL_OBJECTIVE_TOKENS)
        sf_yaml_kv_str(y, "objective", model_objective_names[c->objective]);
    if (c->objective == MODEL_OBJECTIVE_MIX)
        sf_yaml_kv_double(y, "objective_weight", c->objective_weight);
    if (c->teacher[0] != '\0') sf_yaml_kv_str(y, "teacher", c->teacher);
    sf_yaml_map_end(y);
}

static enum sf_status model_emit_text_impl(const struct model_config *cfg, bool for_hash,
                                           char **text, struct sf_error *err) {
    struct sf_yaml_out y;
    sf_yaml_out_init(&y);
    model_emit_impl(&y, cfg, for_hash);
    enum sf_status st = sf_yaml_out_finish(&y, text, err);
    sf_yaml_out_free(&y);
    return st;
}

enum sf_status model_config_emit(const struct model_config *cfg, char **text,
                                 struct sf_error *err) {
    return model_emit_text_impl(cfg, false, text, err);
}

bool model_config_equal(const struct model_config *a, const struct model_config *b) {
    /* The emitted text holds every field that applies, each in a form that reads back to the
     * same value, so two configs mean the same run exactly when their texts agree. */
    char *ta = NULL, *tb = NULL;
    bool  eq = model_emit_text_impl(a, false, &ta, NULL) == SF_OK &&
              model_emit_text_impl(b, false, &tb, NULL) == SF_OK && strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return eq;
}

enum sf_status model_config_hash(const struct model_config *cfg, char hex[65],
                                 struct sf_error *err) {
    char          *text;
    enum sf_status st = model_emit_text_impl(cfg, true, &text, err);
    if (st != SF_OK) return st;
    sf_sha256_hex(text, strlen(text), hex);
    free(text);
    return SF_OK;
}
