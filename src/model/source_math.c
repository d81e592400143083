/*
 * source_math.c — the `math` source: arithmetic problems and their answers as text tokens,
 * generated from a seed (Henighan et al. 2020's mathematics domain, after Saxton et al.'s
 * modules), one problem per window: pads, the prompt up to `=`, the answer, its end `.`, pads
 * (the problem at a random offset, so that every position of the context is trained).
 *
 * Modules: add, sub, mul, compare, sort (three numbers), rem; a difficulty d is the digits of
 * every operand (exactly d; 0..9 for d = 1; rem's divisor has ⌈d/2⌉ digits and is at least 1).
 * The loss counts the answer's tokens only (its end included, so a model must know where an
 * answer stops). Answers are a function of their problems: the true predictive is one-hot and the
 * data's entropy is exactly zero.
 *
 * Splits. Training draws the difficulties of `difficulty`; a problem whose keyed hash falls below
 * `holdout` is never drawn for training (rejected and drawn again) and the eval set (the
 * interpolation split) draws only such problems, so every eval problem is unseen and from the
 * training distribution. The extrapolation split draws the difficulties of `extrapolate`, all
 * above the training ones, so its problems have longer operands than any training problem.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const model_math_module_names[] = {"add", "sub", "mul", "compare", "sort", "rem", NULL};

/* Draws before a group with no held-out problem is reported (the group is too small). */
#define MODEL_MATH_MAX_TRIES 100000

char model_math_token_char(int32_t tok) {
    static const char text[] = "0123456789+-*%<>=,?s._";
    return tok >= 0 && tok < MODEL_MATH_VOCAB ? text[tok] : '#';
}

static uint64_t model_math_pow10_impl(int e) {
    uint64_t p = 1;
    for (int i = 0; i < e; i++)
        p *= 10;
    return p;
}

/* Digits of rem's divisor at difficulty d. */
static int model_math_divisor_digits_impl(int d) {
    return (d + 1) / 2;
}

size_t model_math_max_len(enum model_math_module m, int d) {
    size_t n = (size_t)d;
    switch (m) {
    case MODEL_MATH_ADD: return 2 * n + 2 + (n + 1) + 1;
    case MODEL_MATH_SUB: return 2 * n + 2 + (n + 1) + 1;
    case MODEL_MATH_MUL: return 2 * n + 2 + 2 * n + 1;
    case MODEL_MATH_COMPARE: return 2 * n + 2 + 1 + 1;
    case MODEL_MATH_SORT: return 2 * (3 * n + 2) + 2 + 1;
    case MODEL_MATH_REM: {
        size_t e = (size_t)model_math_divisor_digits_impl(d);
        return n + 1 + e + 1 + e + 1;
    }
    case MODEL_MATH_MODULE_COUNT: break;
    }
    return 0;
}

/* An operand of exactly d digits (0..9 for d = 1). */
static uint64_t model_math_operand_impl(int d, struct model_rng *r) {
    if (d == 1) return model_rng_below(r, 10);
    uint64_t lo = model_math_pow10_impl(d - 1);
    return lo + model_rng_below(r, 9 * lo);
}

void model_math_draw(struct model_math_problem *p, enum model_math_module m, int d,
                     struct model_rng *r) {
    memset(p, 0, sizeof *p);
    p->module     = m;
    p->difficulty = d;
    size_t n      = m == MODEL_MATH_SORT ? 3 : 2;
    for (size_t i = 0; i < n; i++)
        p->a[i] = model_math_operand_impl(d, r);
    if (m == MODEL_MATH_REM) {
        int e   = model_math_divisor_digits_impl(d);
        p->a[1] = e == 1 ? 1 + model_rng_below(r, 9) : model_math_operand_impl(e, r);
    }
}

bool model_math_held_out(const struct model_math_problem *p, uint64_t key, double holdout) {
    uint64_t h = sf_seed_derive(key, (uint64_t)p->module * 16 + (uint64_t)p->difficulty);
    for (size_t i = 0; i < 3; i++)
        h = sf_seed_derive(h, p->a[i]);
    return (double)(h >> 11) * 0x1.0p-53 < holdout;
}

/* Appends the decimal digits of v. */
static size_t model_math_number_impl(uint64_t v, int32_t *out) {
    char   buf[24];
    int    n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < n; i++)
        out[k++] = buf[i] - '0';
    return k;
}

static int model_math_cmp_impl(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

size_t model_math_render(const struct model_math_problem *p, int32_t *out, size_t *prompt) {
    static const int32_t op[MODEL_MATH_MODULE_COUNT] = {MODEL_MATH_PLUS,  MODEL_MATH_MINUS,
                                                        MODEL_MATH_TIMES, MODEL_MATH_QUERY,
                                                        MODEL_MATH_COMMA, MODEL_MATH_PERCENT};
    uint64_t             a = p->a[0], b = p->a[1];
    size_t               k = 0;
    if (p->module == MODEL_MATH_SORT) {
        out[k++] = MODEL_MATH_SORT_MARK;
        for (size_t i = 0; i < 3; i++) {
            if (i > 0) out[k++] = MODEL_MATH_COMMA;
            k += model_math_number_impl(p->a[i], out + k);
        }
    } else {
        k += model_math_number_impl(a, out + k);
        out[k++] = op[p->module];
        k += model_math_number_impl(b, out + k);
    }
    out[k++] = MODEL_MATH_EQUALS;
    *prompt  = k;
    switch (p->module) {
    case MODEL_MATH_ADD: k += model_math_number_impl(a + b, out + k); break;
    case MODEL_MATH_SUB:
        if (a < b) out[k++] = MODEL_MATH_MINUS;
        k += model_math_number_impl(a < b ? b - a : a - b, out + k);
        break;
    case MODEL_MATH_MUL: k += model_math_number_impl(a * b, out + k); break;
    case MODEL_MATH_COMPARE:
        out[k++] = a < b ? MODEL_MATH_LESS : a > b ? MODEL_MATH_GREATER : MODEL_MATH_EQUALS;
        break;
    case MODEL_MATH_SORT: {
        uint64_t s[3] = {p->a[0], p->a[1], p->a[2]};
        qsort(s, 3, sizeof s[0], model_math_cmp_impl);
        for (size_t i = 0; i < 3; i++) {
            if (i > 0) out[k++] = MODEL_MATH_COMMA;
            k += model_math_number_impl(s[i], out + k);
        }
        break;
    }
    case MODEL_MATH_REM: k += model_math_number_impl(a % b, out + k); break;
    case MODEL_MATH_MODULE_COUNT: break;
    }
    out[k++] = MODEL_MATH_END;
    return k;
}

void model_math_classify(const int32_t *w, enum model_math_module *m, int *difficulty) {
    size_t i = 0, d = 0;
    while (w[i] == MODEL_MATH_PAD)
        i++;
    bool sort = w[i] == MODEL_MATH_SORT_MARK;
    i += sort;
    while (w[i + d] >= 0 && w[i + d] <= 9)
        d++;
    *difficulty = (int)d;
    if (sort) {
        *m = MODEL_MATH_SORT;
        return;
    }
    switch (w[i + d]) {
    case MODEL_MATH_PLUS: *m = MODEL_MATH_ADD; break;
    case MODEL_MATH_MINUS: *m = MODEL_MATH_SUB; break;
    case MODEL_MATH_TIMES: *m = MODEL_MATH_MUL; break;
    case MODEL_MATH_QUERY: *m = MODEL_MATH_COMPARE; break;
    default: *m = MODEL_MATH_REM; break;
    }
}

// ---- the splits ----

/* The (module, difficulty) groups of a mask of difficulties, module-major: their number. */
static size_t model_math_groups_impl(const struct model_data_config *d, uint32_t diffs,
                                     enum model_math_module *gm, int *gd) {
    size_t n = 0;
    for (int m = 0; m < MODEL_MATH_MODULE_COUNT; m++)
        for (int k = 1; k <= MODEL_MATH_MAX_DIFFICULTY; k++)
            if ((d->math_modules >> m & 1u) && (diffs >> (k - 1) & 1u)) {
                gm[n]   = (enum model_math_module)m;
                gd[n++] = k;
            }
    return n;
}

/* Writes a problem's window (W tokens): pads, the problem at an offset drawn uniformly from
 * those where it fits (so every position of the context is trained), pads. Returns its answer's
 * tokens. */
static size_t model_math_window_impl(const struct model_math_problem *p, int32_t *w, size_t W,
                                     struct model_rng *r) {
    int32_t buf[MODEL_MATH_MAX_WINDOW];
    size_t  prompt, n = model_math_render(p, buf, &prompt);
    size_t  off = (size_t)model_rng_below(r, W - n + 1);
    for (size_t i = 0; i < W; i++)
        w[i] = i >= off && i < off + n ? buf[i - off] : MODEL_MATH_PAD;
    return n - prompt;
}

/* Draws a problem of group (m, k) that is (want = true) or is not held out; false when
 * MODEL_MATH_MAX_TRIES draws found none. */
static bool model_math_draw_split_impl(const struct model_data *d, enum model_math_module m, int k,
                                       bool want, struct model_rng *r,
                                       struct model_math_problem *p) {
    for (int i = 0; i < MODEL_MATH_MAX_TRIES; i++) {
        model_math_draw(p, m, k, r);
        if (model_math_held_out(p, d->math.holdout_key, d->config.holdout) == want) return true;
    }
    return false;
}

static void model_math_batch_impl(const struct model_data *d, struct model_rng *r, size_t B,
                                  int32_t *inputs, int32_t *targets) {
    enum model_math_module gm[MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY];
    int                    gd[MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY];
    size_t  ng = model_math_groups_impl(&d->config, d->config.math_difficulty, gm, gd);
    size_t  T  = d->T;
    int32_t w[MODEL_MATH_MAX_WINDOW];
    for (size_t b = 0; b < B; b++) {
        size_t                    g = (size_t)model_rng_below(r, ng);
        struct model_math_problem p;
        /* open checked that every group has problems outside the held-out set. */
        bool found = model_math_draw_split_impl(d, gm[g], gd[g], false, r, &p);
        SF_ASSERT(found);
        model_math_window_impl(&p, w, T + 1, r);
        memcpy(inputs + b * T, w, T * sizeof *w);
        memcpy(targets + b * T, w + 1, T * sizeof *w);
    }
}

/* Fills n windows, round-robin over the groups of `diffs`, held-out problems only when
 * held_out; the mean answer tokens (its end included) into *answer. */
static enum sf_status model_math_fill_impl(struct model_data *d, uint32_t diffs, bool held_out,
                                           uint64_t stream, int32_t *wins, size_t n, double *answer,
                                           struct sf_error *err) {
    enum model_math_module gm[MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY];
    int                    gd[MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY];
    size_t                 ng = model_math_groups_impl(&d->config, diffs, gm, gd), W = d->T + 1;
    struct model_rng       r;
    model_rng_seed(&r, sf_seed_derive(d->config.seed, stream));
    double tokens = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t                    g = i % ng;
        struct model_math_problem p;
        if (held_out ? !model_math_draw_split_impl(d, gm[g], gd[g], true, &r, &p)
                     : (model_math_draw(&p, gm[g], gd[g], &r), false))
            SF_FAIL(err, SF_EINVAL,
                    "data.holdout: no problem of module %s at difficulty %d is held out in %d "
                    "draws: raise holdout or drop that difficulty",
                    model_math_module_names[gm[g]], gd[g], MODEL_MATH_MAX_TRIES);
        tokens += (double)model_math_window_impl(&p, wins + i * W, W, &r);
    }
    *answer = tokens / (double)n;
    return SF_OK;
}

static enum sf_status model_math_open_impl(struct model_data *d, const struct model_config *cfg,
                                           const char *base_dir, struct sf_error *err) {
    (void)base_dir;
    size_t V = MODEL_MATH_VOCAB, T = d->T;
    d->math.holdout_key = sf_seed_derive(cfg->data.seed, MODEL_STREAM_HOLDOUT);
    d->math.onehot      = calloc(V * V, sizeof *d->math.onehot);
    d->eval_true_loss   = calloc(d->n_eval_win * T, sizeof *d->eval_true_loss);
    if (d->math.onehot == NULL || d->eval_true_loss == NULL)
        SF_FAIL(err, SF_ENOMEM, "out of memory for the math source");
    for (size_t x = 0; x < V; x++)
        d->math.onehot[x * V + x] = 1.0;
    /* Training must find problems outside the held-out set in every group (the splits' draws
     * also check the other side). */
    enum model_math_module gm[MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY];
    int                    gd[MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY];
    size_t           ng = model_math_groups_impl(&cfg->data, cfg->data.math_difficulty, gm, gd);
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(cfg->data.seed, MODEL_STREAM_HOLDOUT));
    for (size_t g = 0; g < ng; g++) {
        struct model_math_problem p;
        if (!model_math_draw_split_impl(d, gm[g], gd[g], false, &r, &p))
            SF_FAIL(err, SF_EINVAL,
                    "data.holdout: every problem of module %s at difficulty %d is held out: "
                    "lower holdout",
                    model_math_module_names[gm[g]], gd[g]);
    }
    enum sf_status st =
        model_math_fill_impl(d, cfg->data.math_difficulty, true, MODEL_STREAM_EVAL, d->eval_win,
                             d->n_eval_win, &d->info.sample_tokens, err);
    if (st != SF_OK) return st;
    if (cfg->data.math_extrapolate != 0) {
        d->n_extrap_win = d->n_eval_win;
        d->extrap_win   = malloc(d->n_extrap_win * (T + 1) * sizeof *d->extrap_win);
        if (d->extrap_win == NULL)
            SF_FAIL(err, SF_ENOMEM, "out of memory for the extrapolation split");
        st = model_math_fill_impl(d, cfg->data.math_extrapolate, false, MODEL_STREAM_EXTRAP,
                                  d->extrap_win, d->n_extrap_win, &d->info.extrap_sample_tokens,
                                  err);
        if (st != SF_OK) return st;
    }
    d->info.entropy_rate = 0.0;
    d->info.bayes_loss   = 0.0;
    /* The configuration is the source: hash its settings as numbers. */
    double        s[5]     = {(double)cfg->data.math_modules, (double)cfg->data.math_difficulty,
                              (double)cfg->data.math_extrapolate, cfg->data.holdout, (double)cfg->data.seed};
    const double *parts[1] = {s};
    size_t        sizes[1] = {5};
    model_sha256_doubles(parts, sizes, 1, d->info.sha256);
    return SF_OK;
}

static void model_math_close_impl(struct model_data *d) {
    free(d->math.onehot);
    free(d->extrap_win);
    d->math.onehot  = NULL;
    d->extrap_win   = NULL;
    d->n_extrap_win = 0;
}

/* The answer's predictions count: from the one of `=` (the prompt's end) to the one of `.`. */
static bool model_math_counted_impl(const struct model_data *d, const int32_t *inputs, size_t t,
                                    int32_t target) {
    (void)d;
    if (target == MODEL_MATH_PAD) return false;
    for (size_t i = 0; i <= t; i++)
        if (inputs[i] == MODEL_MATH_EQUALS) return true;
    return false;
}

/* The answer is a function of the problem: the true next token of an answer is the window's. */
static const double *model_math_predictive_impl(const struct model_data *d, const int32_t *w,
                                                size_t t, double *plogp) {
    if (plogp != NULL) *plogp = 0.0;
    return d->math.onehot + (size_t)w[t + 1] * MODEL_MATH_VOCAB;
}

// ---- problems.csv ----

static enum sf_status model_math_problems_csv_impl(const struct model_data *d, const char *path,
                                                   const double *loss, const size_t *count,
                                                   const bool *exact, struct sf_error *err) {
    enum { NG = MODEL_MATH_MODULE_COUNT * MODEL_MATH_MAX_DIFFICULTY };
    double s_loss[2][NG] = {{0}};
    size_t s_tok[2][NG] = {{0}}, s_n[2][NG] = {{0}}, s_ok[2][NG] = {{0}};
    size_t W = d->T + 1;
    for (size_t i = 0; i < d->n_eval_win + d->n_extrap_win; i++) {
        bool           ex = i >= d->n_eval_win;
        const int32_t *w  = ex ? d->extrap_win + (i - d->n_eval_win) * W : d->eval_win + i * W;
        enum model_math_module m;
        int                    k;
        model_math_classify(w, &m, &k);
        size_t g = (size_t)m * MODEL_MATH_MAX_DIFFICULTY + (size_t)(k - 1);
        s_loss[ex][g] += loss[i];
        s_tok[ex][g] += count[i];
        s_n[ex][g]++;
        s_ok[ex][g] += exact[i];
    }
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_puts(&b, "split,module,difficulty,problems,answer_tokens,loss_per_token,"
                    "loss_per_problem,exact_match\n");
    for (int ex = 0; ex < 2; ex++)
        for (size_t g = 0; g < NG; g++) {
            if (s_n[ex][g] == 0) continue;
            double n = (double)s_n[ex][g];
            sf_buf_printf(&b, "%s,%s,%zu,%zu,%.17g,%.17g,%.17g,%.17g\n",
                          ex ? "extrapolation" : "interpolation",
                          model_math_module_names[g / MODEL_MATH_MAX_DIFFICULTY],
                          g % MODEL_MATH_MAX_DIFFICULTY + 1, s_n[ex][g], (double)s_tok[ex][g] / n,
                          s_loss[ex][g] / (double)s_tok[ex][g], s_loss[ex][g] / n,
                          (double)s_ok[ex][g] / n);
        }
    enum sf_status st = b.failed ? SF_SET(err, SF_ENOMEM, "out of memory")
                                 : sf_write_atomic(path, b.data, b.len, err);
    sf_buf_free(&b);
    return st;
}

// ---- the entry ----

static const char *const model_math_keys[] = {"modules", "difficulty", "extrapolate",
                                              "holdout", "seed",       NULL};

/* The longest window of a configuration's problems (training and extrapolation). */
static size_t model_math_longest_impl(const struct model_data_config *d, const char **module,
                                      int *difficulty) {
    size_t   best = 0;
    uint32_t all  = d->math_difficulty | d->math_extrapolate;
    for (int m = 0; m < MODEL_MATH_MODULE_COUNT; m++)
        for (int k = 1; k <= MODEL_MATH_MAX_DIFFICULTY; k++) {
            if (!(d->math_modules >> m & 1u) || !(all >> (k - 1) & 1u)) continue;
            size_t n = model_math_max_len((enum model_math_module)m, k);
            if (n > best) best = n, *module = model_math_module_names[m], *difficulty = k;
        }
    return best;
}

static void model_math_validate_impl(const struct model_config *cfg, struct sf_diags *out) {
    const struct model_data_config *d    = &cfg->data;
    uint32_t                        diff = (1u << MODEL_MATH_MAX_DIFFICULTY) - 1;
    if (d->math_modules == 0 || d->math_modules >> MODEL_MATH_MODULE_COUNT != 0)
        sf_diag_add(out, true, "data.modules", "'modules' must name at least one module of %s",
                    "add, sub, mul, compare, sort, rem");
    if (d->math_difficulty == 0 || (d->math_difficulty & ~diff) != 0)
        sf_diag_add(out, true, "data.difficulty",
                    "'difficulty' must be a list of difficulties from 1 to %d",
                    MODEL_MATH_MAX_DIFFICULTY);
    if ((d->math_extrapolate & ~diff) != 0)
        sf_diag_add(out, true, "data.extrapolate",
                    "'extrapolate' must be a list of difficulties from 1 to %d",
                    MODEL_MATH_MAX_DIFFICULTY);
    if (!(d->holdout > 0.0 && d->holdout <= 0.5))
        sf_diag_add(out, true, "data.holdout", "'holdout' must be in (0, 0.5], not %g", d->holdout);
    if (out->n_errors > 0) return;
    int hardest = 0, easiest = MODEL_MATH_MAX_DIFFICULTY + 1;
    for (int k = 1; k <= MODEL_MATH_MAX_DIFFICULTY; k++) {
        if (d->math_difficulty >> (k - 1) & 1u) hardest = k;
        if ((d->math_extrapolate >> (k - 1) & 1u) && k < easiest) easiest = k;
    }
    if (d->math_extrapolate != 0 && easiest <= hardest)
        sf_diag_add(out, true, "data.extrapolate",
                    "the extrapolation split's difficulties must all be above the training ones: "
                    "%d is not above %d",
                    easiest, hardest);
    const char *module = "";
    int         k      = 0;
    size_t      need   = model_math_longest_impl(d, &module, &k);
    if ((size_t)cfg->n_ctx + 1 < need)
        sf_diag_add(out, true, "n_ctx",
                    "n_ctx %lld is too short for module %s at difficulty %d: its problems take up "
                    "to %zu tokens, so n_ctx must be at least %zu",
                    (long long)cfg->n_ctx, module, k, need, need - 1);
}

/* A mask of difficulties as a list. */
static void model_math_emit_mask_impl(struct sf_yaml_out *y, const char *key, uint32_t mask,
                                      const char *const *names, int first, int n) {
    sf_yaml_plain(y, key);
    sf_yaml_seq_begin(y, true);
    for (int i = 0; i < n; i++)
        if (mask >> i & 1u) {
            if (names != NULL)
                sf_yaml_str(y, names[i]);
            else
                sf_yaml_int(y, first + i);
        }
    sf_yaml_seq_end(y);
}

static void model_math_emit_impl(struct sf_yaml_out *y, const struct model_data_config *d) {
    model_math_emit_mask_impl(y, "modules", d->math_modules, model_math_module_names, 0,
                              MODEL_MATH_MODULE_COUNT);
    model_math_emit_mask_impl(y, "difficulty", d->math_difficulty, NULL, 1,
                              MODEL_MATH_MAX_DIFFICULTY);
    model_math_emit_mask_impl(y, "extrapolate", d->math_extrapolate, NULL, 1,
                              MODEL_MATH_MAX_DIFFICULTY);
    sf_yaml_kv_double(y, "holdout", d->holdout);
    sf_yaml_kv_int(y, "seed", (long long)d->seed);
}

static int64_t model_math_n_vocab_impl(const struct model_data_config *d) {
    (void)d;
    return MODEL_MATH_VOCAB;
}

/* The difficulties of a mask in words ("1, 2"). */
static void model_math_describe_mask_impl(struct sf_buf *b, uint32_t mask) {
    bool first = true;
    for (int k = 1; k <= MODEL_MATH_MAX_DIFFICULTY; k++)
        if (mask >> (k - 1) & 1u) {
            sf_buf_printf(b, first ? "%d" : ", %d", k);
            first = false;
        }
}

static void model_math_describe_impl(struct sf_buf *b, const struct model_data_config *d) {
    sf_buf_puts(b, "generated arithmetic problems (modules ");
    bool first = true;
    for (int m = 0; m < MODEL_MATH_MODULE_COUNT; m++)
        if (d->math_modules >> m & 1u) {
            sf_buf_printf(b, first ? "%s" : ", %s", model_math_module_names[m]);
            first = false;
        }
    sf_buf_puts(b, "; trained at difficulties ");
    model_math_describe_mask_impl(b, d->math_difficulty);
    if (d->math_extrapolate != 0) {
        sf_buf_puts(b, ", extrapolated to ");
        model_math_describe_mask_impl(b, d->math_extrapolate);
    }
    sf_buf_printf(b, "; %g of the problems held out; seed %llu)", d->holdout,
                  (unsigned long long)d->seed);
}

static const int32_t model_math_end = MODEL_MATH_END;

static const struct model_source_ops model_math_ops = {
    .validate     = model_math_validate_impl,
    .emit         = model_math_emit_impl,
    .open         = model_math_open_impl,
    .batch        = model_math_batch_impl,
    .close        = model_math_close_impl,
    .counted      = model_math_counted_impl,
    .predictive   = model_math_predictive_impl,
    .answer_end   = &model_math_end,
    .problems_csv = model_math_problems_csv_impl,
};

const struct model_source_entry model_source_math = {
    .id                = MODEL_SOURCE_MATH,
    .name              = "math",
    .keys              = model_math_keys,
    .files             = false,
    .exact             = true,
    .loss_unit         = "nats/token",
    .sample_unit       = "problem",
    .n_vocab           = model_math_n_vocab_impl,
    .tokens_per_sample = model_source_one_token,
    .describe          = model_math_describe_impl,
    .ops               = &model_math_ops,
};
