/*
 * test_config.c — run.yaml and the accounting the sweep relies on:
 *   - load(emit(x)) == x for configurations of every source and every alternative key
 *     (steps/tokens, eval_every/eval_points, null d_ff/d_attn, eval_paths/eval_fraction);
 *   - a hand-written run.yaml reads to the expected values, with defaults elsewhere;
 *   - model_config_validate catches the same relations as the loader, without places;
 *   - the config hash ignores threads and checkpoint_every and nothing else;
 *   - parameter counts against hand counts (Kaplan's 12·L·d² plus biases and LayerNorms) and
 *     the engine's own allocation; FLOPs per token against a direct count;
 *   - the learning-rate schedule and the evaluation steps;
 *   - the table of data sources: every entry in its place, named as run.yaml spells it, taking
 *     only keys of `data:`, with the facts the sweep asks of it (exact, unit, tokens per sample,
 *     vocabulary, description).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static char tmpdir[] = "/tmp/sf_config_XXXXXX";

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Emits, writes, loads back and compares. */
static void roundtrip(const char *label, const struct model_config *c) {
    char           *text = NULL;
    struct sf_error err;
    if (!check(model_config_emit(c, &text, &err) == SF_OK, "%s: emit", label)) return;
    write_file("rt.yaml", text);
    char path[512];
    snprintf(path, sizeof path, "%s/rt.yaml", tmpdir);
    struct model_config back;
    struct sf_diags     d;
    sf_diag_init(&d);
    enum sf_status st = model_config_load(path, &back, &d);
    if (st != SF_OK) sf_diag_print(&d, stdout);
    check(st == SF_OK, "%s: emitted text loads", label);
    check(model_config_equal(c, &back), "%s: load(emit(x)) == x", label);
    /* Field by field for what the equality is built on. */
    check(back.steps == c->steps && back.tokens == c->tokens && back.eval_every == c->eval_every &&
              back.eval_points == c->eval_points && back.d_ff == c->d_ff &&
              back.d_attn == c->d_attn && back.lr == c->lr && back.seed == c->seed &&
              back.data.source == c->data.source && back.data.n_paths == c->data.n_paths,
          "%s: fields survive", label);
    sf_diag_free(&d);
    free(text);
}

static void test_roundtrips(void) {
    struct model_config c = model_config_default();
    roundtrip("default", &c);

    c.data.generator     = MODEL_MARKOV_GENERATOR_DIRICHLET;
    c.data.concentration = 0.37;
    c.data.n_vocab       = 8;
    c.data.order         = 2;
    c.data.seed          = 12345678901234ull;
    c.d_ff = 100, c.d_attn = 32, c.n_head = 4, c.tie_embeddings = false;
    c.steps = 0, c.tokens = 10000000;
    c.eval_points = 0, c.eval_every = 250;
    c.lr = 1.0 / 3.0, c.lr_floor = 0.0, c.lr_warmup = 0.0, c.lr_schedule = MODEL_LR_SCHEDULE_LINEAR;
    c.beta2 = 0.999, c.eps = 1e-10, c.weight_decay = 0.0, c.weight_decay_all = true;
    c.grad_clip = 0.0, c.diverge_factor = 0.0, c.checkpoint_every = 0, c.threads = 2;
    c.seed = 9;
    roundtrip("dirichlet, tokens, eval_every", &c);

    struct model_config t = model_config_default();
    write_file("a.txt", "hello world\n");
    write_file("b.txt", "second file\n");
    t.data.source  = MODEL_SOURCE_TEXT;
    t.data.n_paths = 2;
    snprintf(t.data.paths[0], MODEL_PATH_MAX, "a.txt");
    snprintf(t.data.paths[1], MODEL_PATH_MAX, "*.txt");
    t.data.eval_fraction = 0.25;
    roundtrip("text with a glob", &t);

    t.data.source       = MODEL_SOURCE_IMAGE;
    t.data.n_eval_paths = 1;
    snprintf(t.data.eval_paths[0], MODEL_PATH_MAX, "b.txt");
    t.data.resolution = 4, t.data.levels = 5;
    roundtrip("image with eval_paths", &t);

    t.data.source  = MODEL_SOURCE_TOKENS;
    t.data.n_vocab = 300;
    roundtrip("tokens", &t);

    t.data.source     = MODEL_SOURCE_VIDEO;
    t.data.resolution = 6, t.data.levels = 8, t.data.frames = 3, t.data.item = 4;
    t.data.speed = 2, t.data.seed = 7;
    t.n_ctx = 3 * 36 - 1;
    roundtrip("video", &t);

    struct model_config m   = model_config_default();
    m.data.source           = MODEL_SOURCE_MATH;
    m.data.math_modules     = 1u << MODEL_MATH_SORT | 1u << MODEL_MATH_REM;
    m.data.math_difficulty  = 1u << 0 | 1u << 2; /* 1, 3 */
    m.data.math_extrapolate = 0;
    m.data.holdout          = 0.25;
    m.n_ctx                 = 30;
    roundtrip("math without an extrapolation split", &m);
}

static void test_load_values(void) {
    write_file("run.yaml", "# a run\n"
                           "data:\n"
                           "  source: markov\n"
                           "  n_vocab: 3\n"
                           "  order: 2\n"
                           "  decay: 0.5\n"
                           "n_layer: 3\n"
                           "d_model: 48\n"
                           "n_head: 3\n"
                           "tokens: 1e6\n"
                           "eval_every: 100\n"
                           "lr: 2.5e-3\n"
                           "lr_schedule: linear\n"
                           "tie_embeddings: false\n");
    char path[512];
    snprintf(path, sizeof path, "%s/run.yaml", tmpdir);
    struct model_config c;
    struct sf_diags     d;
    sf_diag_init(&d);
    enum sf_status st = model_config_load(path, &c, &d);
    sf_diag_print(&d, stdout);
    check(st == SF_OK && d.n == 0, "hand-written run.yaml loads without diagnostics");
    struct model_config def = model_config_default();
    check(c.data.n_vocab == 3 && c.data.order == 2 && c.data.decay == 0.5 &&
              c.data.scale == def.data.scale,
          "data values, defaults elsewhere");
    check(c.n_layer == 3 && c.d_model == 48 && c.n_head == 3 && c.d_ff == 0 && c.d_attn == 0,
          "shape values");
    check(c.tokens == 1000000 && c.steps == 0, "tokens given: steps cleared");
    check(c.eval_every == 100 && c.eval_points == 0, "eval_every given: eval_points cleared");
    check(c.lr == 2.5e-3 && c.lr_schedule == MODEL_LR_SCHEDULE_LINEAR && !c.tie_embeddings,
          "training values");
    check(model_config_steps(&c) == (1000000 + 32 * 64 - 1) / (32 * 64),
          "steps = ceil(tokens / (batch·n_ctx)) = %lld", (long long)model_config_steps(&c));
    struct model_shape s = model_config_shape(&c);
    check(s.d_ff == 192 && s.d_attn == 48 && s.n_vocab == 3, "resolved shape d_ff 4·d, d_attn d");
    sf_diag_free(&d);
}

static void test_validate(void) {
    struct model_config c = model_config_default();
    struct sf_diags     d;
    sf_diag_init(&d);
    check(model_config_validate(&c, NULL, &d) == SF_OK && d.n == 0, "the default validates");
    c.n_head     = 3;  /* 64 % 3 != 0 */
    c.tokens     = 5;  /* with steps: both */
    c.data.order = 20; /* 4^21 entries */
    check(model_config_validate(&c, NULL, &d) == SF_EINVAL && d.n_errors == 3,
          "validate reports all three problems (got %zu)", d.n_errors);
    sf_diag_print(&d, stdout);
    bool has_heads = false;
    for (size_t i = 0; i < d.n; i++)
        has_heads |= strstr(d.items[i].message, "does not divide") != NULL;
    check(has_heads, "the heads message names the relation");
    sf_diag_free(&d);
    /* Ranges of single values, for configurations built in memory. */
    sf_diag_init(&d);
    c            = model_config_default();
    c.beta2      = 1.5;
    c.lr_floor   = NAN;
    c.seed       = UINT64_MAX;
    c.data.decay = -1.0;
    c.threads    = 0;
    check(model_config_validate(&c, NULL, &d) == SF_EINVAL && d.n_errors == 5,
          "validate reports the five out-of-range values (got %zu)", d.n_errors);
    sf_diag_print(&d, stdout);
    sf_diag_free(&d);
    sf_diag_init(&d);
    c              = model_config_default();
    c.data.source  = MODEL_SOURCE_TEXT;
    c.data.n_paths = 1;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "no-such-file.txt");
    check(model_config_validate(&c, tmpdir, &d) == SF_EINVAL && d.n_errors == 1 &&
              strstr(d.items[0].message, "not found") != NULL,
          "validate with a base folder finds the missing file");
    sf_diag_free(&d);
}

static void test_hash(void) {
    struct model_config a = model_config_default(), b = a;
    char                ha[65], hb[65];
    b.threads          = 2;
    b.checkpoint_every = 7;
    model_config_hash(&a, ha, NULL);
    model_config_hash(&b, hb, NULL);
    check(strcmp(ha, hb) == 0, "hash ignores threads and checkpoint_every");
    b.lr = a.lr * (1 + 1e-15);
    model_config_hash(&b, hb, NULL);
    check(strcmp(ha, hb) != 0 || b.lr == a.lr, "hash sees a change in the last digit of lr");
    b           = a;
    b.data.seed = 2;
    model_config_hash(&b, hb, NULL);
    check(strcmp(ha, hb) != 0, "hash sees the source seed");
}

static void test_accounting(void) {
    /* Kaplan's shape: d_attn = d, d_ff = 4d: per layer 12d² weights + 9d biases + 4d LN. */
    struct model_shape s = {4, 256, 4, 1024, 256, 128, 512, true};
    int64_t            d = 256, L = 4;
    int64_t            n = L * (12 * d * d + 13 * d) + 2 * d;
    check(model_params_nonembed(&s) == n, "N = L(12d²+13d)+2d = %lld (got %lld)", (long long)n,
          (long long)model_params_nonembed(&s));
    check(model_params_total(&s) == n + 512 * d + 128 * d, "total adds wte and wpe");
    s.tie_embeddings = false;
    check(model_params_total(&s) == n + 2 * 512 * d + 128 * d, "untied adds the head");
    /* The engine allocates exactly the total. */
    struct sf_error    err;
    struct model_shape small = {2, 24, 2, 24, 16, 9, 11, false};
    struct model      *m     = model_alloc(&small, 2, &err);
    check(m != NULL && (int64_t)m->n_params == model_params_total(&small),
          "allocated parameters = model_params_total (%zu)", m ? m->n_params : 0);
    int64_t embed = 0;
    for (int i = 0; i < MODEL_TENSOR_COUNT; i++)
        if (m->tensors[i].embedding) embed += (int64_t)m->tensors[i].size;
    check(model_params_total(&small) - embed == model_params_nonembed(&small),
          "N = total minus the embedding tensors");
    model_free(m);
    /* GPT-2 initialisation: N(0, 0.02), residual projections N(0, 0.02/sqrt(2L)), biases 0,
     * LayerNorm gains 1. Sample standard deviations over thousands of weights are within 5%. */
    struct model_shape big = {3, 64, 2, 256, 64, 32, 50, false};
    m                      = model_alloc(&big, 1, &err);
    model_init_params(m, 11);
    struct {
        enum model_tensor_id id;
        double               std;
    } want[] = {{MODEL_TENSOR_WTE, 0.02},
                {MODEL_TENSOR_QKVW, 0.02},
                {MODEL_TENSOR_FCW, 0.02},
                {MODEL_TENSOR_HEADW, 0.02},
                {MODEL_TENSOR_ATTPROJW, 0.02 / sqrt(6.0)},
                {MODEL_TENSOR_FCPROJW, 0.02 / sqrt(6.0)}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct model_tensor *t  = &m->tensors[want[i].id];
        double                     s2 = 0.0, s1 = 0.0;
        for (size_t k = 0; k < t->size; k++) {
            s1 += m->params[t->offset + k];
            s2 += (double)m->params[t->offset + k] * m->params[t->offset + k];
        }
        double sd = sqrt(s2 / (double)t->size - (s1 / (double)t->size) * (s1 / (double)t->size));
        check_rel(sd, want[i].std, 0.05, "init: %s std", t->name);
    }
    bool                 ones = true, zeros = true;
    enum model_tensor_id gains[]  = {MODEL_TENSOR_LN1W, MODEL_TENSOR_LN2W, MODEL_TENSOR_LNFW};
    enum model_tensor_id biases[] = {MODEL_TENSOR_LN1B,   MODEL_TENSOR_LN2B,     MODEL_TENSOR_LNFB,
                                     MODEL_TENSOR_QKVB,   MODEL_TENSOR_ATTPROJB, MODEL_TENSOR_FCB,
                                     MODEL_TENSOR_FCPROJB};
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < m->tensors[gains[i]].size; k++)
            ones &= m->params[m->tensors[gains[i]].offset + k] == 1.0f;
    for (size_t i = 0; i < 7; i++)
        for (size_t k = 0; k < m->tensors[biases[i]].size; k++)
            zeros &= m->params[m->tensors[biases[i]].offset + k] == 0.0f;
    check(ones && zeros, "init: LayerNorm gains 1, every bias 0");
    model_free(m);
    /* Henighan's image shape: d_attn = d/4, d_ff = d. */
    struct model_shape h = {4, 64, 2, 64, 16, 64, 16, true};
    int64_t            per =
        2 * 64 + (3 * 16 * 64 + 48) + (64 * 16 + 64) + 2 * 64 + (64 * 64 + 64) + (64 * 64 + 64);
    check(model_params_nonembed(&h) == 4 * per + 128, "Henighan shape N = %lld",
          (long long)(4 * per + 128));
    /* FLOPs: 6 × weight MACs + 6 × causal attention MACs, per token. */
    struct model_shape f    = {2, 32, 4, 128, 16, 10, 50, true};
    double             macs = 2.0 * (3 * 16 * 32 + 16 * 32 + 2 * 128 * 32) + 50.0 * 32;
    double             att  = 2.0 * 2 * 16 * (10 + 1) / 2.0;
    check_rel(model_flops_per_token(&f), 6 * macs + 6 * att, 1e-15, "flops per token");
    check_rel(model_flops_6n(&f, 1000.0), 6.0 * (double)model_params_nonembed(&f) * 1000.0, 1e-15,
              "C = 6·N·tokens");
}

static void test_schedule(void) {
    struct model_config c = model_config_default();
    c.lr = 1.0, c.lr_floor = 0.1, c.lr_warmup = 0.1;
    int64_t n = 100;
    check_rel(model_lr_at(&c, 5, n), 0.5, 1e-15, "warm-up is linear: step 5 of 10");
    check_rel(model_lr_at(&c, 10, n), 1.0, 1e-15, "peak at the end of the warm-up");
    check_rel(model_lr_at(&c, 55, n), 0.55, 1e-12, "cosine half-way: floor + (1-floor)/2");
    check_rel(model_lr_at(&c, 100, n), 0.1, 1e-12, "cosine ends at the floor");
    c.lr_schedule = MODEL_LR_SCHEDULE_LINEAR;
    check_rel(model_lr_at(&c, 55, n), 0.55, 1e-12, "linear half-way");
    check_rel(model_lr_at(&c, 100, n), 0.1, 1e-12, "linear ends at the floor (Henighan 1/10)");
    c.lr_schedule = MODEL_LR_SCHEDULE_CONSTANT;
    check_rel(model_lr_at(&c, 70, n), 1.0, 1e-15, "constant after warm-up");

    int64_t *s;
    size_t   k;
    c.eval_points = 5, c.eval_every = 0;
    model_eval_steps(&c, 10000, &s, &k, NULL);
    int64_t expect[] = {1, 10, 100, 1000, 10000};
    check(k == 5 && memcmp(s, expect, sizeof expect) == 0, "eval_points 5 over 10000: decades");
    free(s);
    c.eval_points = 30;
    model_eval_steps(&c, 20, &s, &k, NULL);
    bool inc = true;
    for (size_t i = 1; i < k; i++)
        inc &= s[i] > s[i - 1];
    check(inc && s[k - 1] == 20 && k <= 20, "dense eval points deduplicate (%zu steps)", k);
    free(s);
    c.eval_points = 0, c.eval_every = 30;
    model_eval_steps(&c, 100, &s, &k, NULL);
    int64_t e2[] = {30, 60, 90, 100};
    check(k == 4 && memcmp(s, e2, sizeof e2) == 0, "eval_every 30 over 100 + the last step");
    free(s);
}

/* True when `key` is in the NULL-terminated list. */
static bool in_list(const char *key, const char *const *list) {
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], key) == 0) return true;
    return false;
}

static void test_sources(void) {
    for (int i = 0; i < MODEL_SOURCE_COUNT; i++) {
        const struct model_source_entry *e = model_source_get((enum model_source)i);
        check(e != NULL && (int)e->id == i && strcmp(e->name, model_source_names[i]) == 0 &&
                  strcmp(model_source_name((enum model_source)i), e->name) == 0,
              "source %d: its entry in its place, named '%s'", i, model_source_names[i]);
        bool keys_ok = e->keys != NULL;
        for (size_t k = 0; keys_ok && e->keys[k] != NULL; k++)
            keys_ok = in_list(e->keys[k], model_data_keys) && strcmp(e->keys[k], "source") != 0;
        check(keys_ok, "%s: takes only keys of data:", e->name);
        check(e->files == in_list("paths", e->keys), "%s: reads files exactly when it takes paths",
              e->name);
        check(e->ops->validate && e->ops->emit && e->ops->open && e->ops->batch &&
                  (!e->files || e->ops->decode) && e->n_vocab && e->tokens_per_sample &&
                  e->describe && strcmp(e->loss_unit, "nats/token") == 0,
              "%s: every operation it needs, unit nats/token", e->name);
        check(!e->ops->required_key || in_list(e->ops->required_key, e->keys),
              "%s: a required key is one of its keys", e->name);
    }
    struct model_config c = model_config_default();
    check(model_source_get(MODEL_SOURCE_MARKOV)->exact &&
              model_source_get(MODEL_SOURCE_TASKS)->exact &&
              !model_source_get(MODEL_SOURCE_TEXT)->exact &&
              !model_source_get(MODEL_SOURCE_IMAGE)->exact &&
              !model_source_get(MODEL_SOURCE_TOKENS)->exact &&
              model_source_get(MODEL_SOURCE_MATH)->exact &&
              !model_source_get(MODEL_SOURCE_VIDEO)->exact,
          "only markov, tasks and math know their true distribution");
    c.data.resolution = 8;
    check(model_source_get(MODEL_SOURCE_IMAGE)->tokens_per_sample(&c.data) == 64 &&
              model_source_get(MODEL_SOURCE_TEXT)->tokens_per_sample(&c.data) == 1,
          "tokens per sample: an 8×8 image 64, text 1");
    struct sf_buf b;
    sf_buf_init(&b);
    model_source_get(MODEL_SOURCE_MARKOV)->describe(&b, &c.data);
    check(b.data && strcmp(b.data, "a synthetic order-5 Markov source over 4 symbols (loglinear "
                                   "generator, seed 1)") == 0,
          "markov describes itself: %s", b.data ? b.data : "");
    sf_buf_free(&b);
    sf_buf_init(&b);
    c.data.source  = MODEL_SOURCE_TEXT;
    c.data.n_paths = 1;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "a.txt");
    model_source_get(MODEL_SOURCE_TEXT)->describe(&b, &c.data);
    check(b.data && strcmp(b.data, "source `text`, 1 file pattern (first: `a.txt`)") == 0,
          "text describes itself: %s", b.data ? b.data : "");
    sf_buf_free(&b);
    struct model_adamw o = model_config_adamw(&c);
    check(o.beta1 == c.beta1 && o.beta2 == c.beta2 && o.eps == c.eps &&
              o.weight_decay == c.weight_decay && o.weight_decay_all == c.weight_decay_all &&
              o.grad_clip == c.grad_clip,
          "AdamW settings from the configuration");
}

int main(void) {
    if (mkdtemp(tmpdir) == NULL) return 1;
    test_sources();
    test_roundtrips();
    test_load_values();
    test_validate();
    test_hash();
    test_accounting();
    test_schedule();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 1;
    return check_summary();
}
