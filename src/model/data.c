/*
 * data.c — the data sources behind `data:` in run.yaml: the table of their entries (each entry
 * lives in its source's file: markov.c, source_text.c, source_image.c, source_tokens.c), opening
 * a source into a train stream (or a generator) and a fixed, materialised eval set of windows of
 * n_ctx+1 tokens, the training batches, and what the file sources share.
 *
 * Splits of the file sources are deterministic: explicit `eval_paths`, else by file (every file
 * whose share of the running count crosses an integer goes to eval), else — a single file — its
 * last `eval_fraction`. Training batches are drawn from (run seed, step) alone; eval windows are
 * evenly spaced over the eval stream (markov: drawn from the source seed), so every run of a
 * sweep sees the same eval set. The sha256 recorded is of the input files' bytes (train then
 * eval, each list sorted) or, for markov, of its transition table.
 *
 * Also here: the exact KL of a model's predictions on an eval window, for exact sources, from the
 * source's own predictive (model_data_window_kl).
 *
 * Not here: batching for evaluation and the metrics (run.c).
 */
#include "internal.h"

#include <glob.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

// ---- the table ----

/* The entries, each in its source's file. A new source: its file, its line here and in the two
 * lists below, its value in enum model_source, its file in meson.build. */
extern const struct model_source_entry model_source_markov;
extern const struct model_source_entry model_source_text;
extern const struct model_source_entry model_source_image;
extern const struct model_source_entry model_source_tokens;
extern const struct model_source_entry model_source_tasks;
extern const struct model_source_entry model_source_math;
extern const struct model_source_entry model_source_video;

static const struct model_source_entry *const model_sources[MODEL_SOURCE_COUNT] = {
    [MODEL_SOURCE_MARKOV] = &model_source_markov, [MODEL_SOURCE_TEXT] = &model_source_text,
    [MODEL_SOURCE_IMAGE] = &model_source_image,   [MODEL_SOURCE_TOKENS] = &model_source_tokens,
    [MODEL_SOURCE_TASKS] = &model_source_tasks,   [MODEL_SOURCE_MATH] = &model_source_math,
    [MODEL_SOURCE_VIDEO] = &model_source_video,
};
const char *const model_source_names[MODEL_SOURCE_COUNT + 1] = {"markov", "text", "image", "tokens",
                                                                "tasks",  "math", "video", NULL};

const struct model_source_entry *model_source_get(enum model_source s) {
    SF_ASSERT((int)s >= 0 && s < MODEL_SOURCE_COUNT);
    return model_sources[s];
}

void model_sha256_doubles(const double *const *parts, const size_t *sizes, size_t n_parts,
                          char hex[65]) {
    struct sha256_ctx sha;
    sha256_init(&sha);
    for (size_t p = 0; p < n_parts; p++)
        for (size_t i = 0; i < sizes[p]; i++) {
            uint64_t bits;
            memcpy(&bits, &parts[p][i], sizeof bits);
            uint8_t le[8];
            for (int k = 0; k < 8; k++)
                le[k] = (uint8_t)(bits >> (8 * k));
            sha256_update(&sha, sizeof le, le);
        }
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&sha, SHA256_DIGEST_SIZE, digest);
    sf_hex_bytes(digest, SHA256_DIGEST_SIZE, hex);
}

int64_t model_source_one_token(const struct model_data_config *d) {
    (void)d;
    return 1;
}

// ---- file lists ----

/* A list of expanded file names (owned). */
struct model_files {
    char **names;
    size_t n;
};

static void model_files_free_impl(struct model_files *f) {
    for (size_t i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    f->names = NULL;
    f->n     = 0;
}

static int model_strcmp_impl(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands patterns (relative to base_dir) into a sorted list without duplicates. Every pattern
 * must match at least one regular file. */
static enum sf_status model_files_expand_impl(struct model_files *out,
                                              const char (*patterns)[MODEL_PATH_MAX],
                                              size_t n_patterns, const char *base_dir,
                                              struct sf_error *err) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n_patterns; i++) {
        char *full = (patterns[i][0] == '/' || base_dir == NULL)
                         ? sf_strdup(patterns[i])
                         : sf_path_join(base_dir, patterns[i]);
        if (full == NULL) {
            model_files_free_impl(out);
            SF_FAIL(err, SF_ENOMEM, "out of memory");
        }
        glob_t g;
        int    rc    = glob(full, GLOB_NOSORT, NULL, &g);
        size_t added = 0;
        if (rc == 0) {
            char **names = realloc(out->names, (out->n + g.gl_pathc) * sizeof *names);
            if (names == NULL) {
                globfree(&g);
                free(full);
                model_files_free_impl(out);
                SF_FAIL(err, SF_ENOMEM, "out of memory");
            }
            out->names = names;
            for (size_t k = 0; k < g.gl_pathc; k++) {
                if (sf_is_dir(g.gl_pathv[k])) continue;
                out->names[out->n] = sf_strdup(g.gl_pathv[k]);
                if (out->names[out->n] == NULL) {
                    globfree(&g);
                    free(full);
                    model_files_free_impl(out);
                    SF_FAIL(err, SF_ENOMEM, "out of memory");
                }
                out->n++;
                added++;
            }
            globfree(&g);
        }
        if (added == 0) {
            enum sf_status st =
                sf_error_set(err, SF_EINVAL, NULL, __FILE__, __LINE__,
                             "data file '%s' not found (no file matches %s)", patterns[i], full);
            free(full);
            model_files_free_impl(out);
            return st;
        }
        free(full);
    }
    qsort(out->names, out->n, sizeof *out->names, model_strcmp_impl);
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (w > 0 && strcmp(out->names[w - 1], out->names[i]) == 0) {
            free(out->names[i]);
            continue;
        }
        out->names[w++] = out->names[i];
    }
    out->n = w;
    return SF_OK;
}

bool model_tokens_append(const struct model_token_buf *buf, const uint16_t *src, size_t count) {
    if (*buf->n + count > *buf->cap) {
        size_t c = *buf->cap ? *buf->cap : 4096;
        while (c < *buf->n + count)
            c *= 2;
        uint16_t *a = realloc(*buf->v, c * sizeof *a);
        if (a == NULL) return false;
        *buf->v   = a;
        *buf->cap = c;
    }
    memcpy(*buf->v + *buf->n, src, count * sizeof *src);
    *buf->n += count;
    return true;
}

// ---- loading a file list ----

/* Loads the files of `files` as tokens through the source's decoder, appending to out, and
 * hashes the bytes. */
static enum sf_status model_load_files_impl(const struct model_config    *cfg,
                                            const struct model_files     *files,
                                            const struct model_token_buf *out, size_t **file_ends,
                                            struct sha256_ctx *sha, struct sf_error *err) {
    const struct model_source_entry *src = model_source_get(cfg->data.source);
    if (file_ends != NULL) {
        *file_ends = malloc((files->n > 0 ? files->n : 1) * sizeof **file_ends);
        if (*file_ends == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < files->n; i++) {
        char          *bytes;
        size_t         len;
        enum sf_status st = sf_read_file(files->names[i], &bytes, &len, err);
        if (st != SF_OK) return st;
        sha256_update(sha, len, (const uint8_t *)bytes);
        st = src->ops->decode(&cfg->data, files->names[i], bytes, len, out, err);
        free(bytes);
        if (st != SF_OK) return st;
        if (file_ends != NULL) (*file_ends)[i] = *out->n;
    }
    return SF_OK;
}

/* Splits train files into train and eval by file (i goes to eval when floor((i+1)·f) >
 * floor(i·f)), or cuts the last fraction of a single file's tokens (aligned to whole images). */
static enum sf_status model_split_impl(struct model_data *d, const struct model_config *cfg,
                                       const size_t *file_ends, size_t n_files,
                                       struct sf_error *err) {
    double    f   = cfg->data.eval_fraction;
    uint16_t *all = d->train;
    size_t    n   = d->n_train;
    if (n_files >= 2) {
        uint16_t *tr = malloc(n * sizeof *tr), *ev = malloc(n * sizeof *ev);
        if (tr == NULL || ev == NULL) {
            free(tr);
            free(ev);
            SF_FAIL(err, SF_ENOMEM, "out of memory splitting the data");
        }
        size_t nt = 0, ne = 0, start = 0;
        bool   any = false;
        for (size_t i = 0; i < n_files; i++) {
            bool to_eval = floor((double)(i + 1) * f) > floor((double)i * f);
            if (i == n_files - 1 && !any) to_eval = true; /* at least one eval file */
            any |= to_eval;
            size_t len = file_ends[i] - start;
            memcpy(to_eval ? ev + ne : tr + nt, all + start, len * sizeof *all);
            if (to_eval)
                ne += len;
            else
                nt += len;
            start = file_ends[i];
        }
        free(all);
        d->train   = tr;
        d->n_train = nt;
        d->eval    = ev;
        d->n_eval  = ne;
        return SF_OK;
    }
    size_t units = n / d->align;
    size_t ne    = (size_t)ceil((double)units * f) * d->align;
    if (ne >= n) ne = n;
    d->eval = malloc((ne > 0 ? ne : 1) * sizeof *d->eval);
    if (d->eval == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory splitting the data");
    memcpy(d->eval, all + (n - ne), ne * sizeof *all);
    d->n_eval  = ne;
    d->n_train = n - ne;
    return SF_OK;
}

// ---- the file sources ----

enum sf_status model_files_open(struct model_data *d, const struct model_config *cfg,
                                const char *base_dir, struct sf_error *err) {
    const struct model_data_config *dc = &cfg->data;
    struct model_files              train_files, eval_files = {0};
    enum sf_status                  st =
        model_files_expand_impl(&train_files, dc->paths, dc->n_paths, base_dir, err);
    if (st != SF_OK) return st;
    if (dc->n_eval_paths > 0) {
        st = model_files_expand_impl(&eval_files, dc->eval_paths, dc->n_eval_paths, base_dir, err);
        if (st != SF_OK) {
            model_files_free_impl(&train_files);
            return st;
        }
    }
    struct sha256_ctx sha;
    sha256_init(&sha);
    size_t                 cap = 0, *ends = NULL;
    struct model_token_buf train = {&d->train, &d->n_train, &cap};
    st = model_load_files_impl(cfg, &train_files, &train, &ends, &sha, err);
    if (st == SF_OK) {
        if (dc->n_eval_paths > 0) {
            size_t                 ecap = 0;
            struct model_token_buf eval = {&d->eval, &d->n_eval, &ecap};
            st = model_load_files_impl(cfg, &eval_files, &eval, NULL, &sha, err);
        } else {
            st = model_split_impl(d, cfg, ends, train_files.n, err);
        }
    }
    free(ends);
    model_files_free_impl(&train_files);
    model_files_free_impl(&eval_files);
    if (st != SF_OK) return st;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&sha, SHA256_DIGEST_SIZE, digest);
    sf_hex_bytes(digest, SHA256_DIGEST_SIZE, d->info.sha256);

    size_t W = d->T + 1;
    if (d->n_train < W)
        SF_FAIL(err, SF_EINVAL, "the training split has %zu tokens, fewer than n_ctx+1 = %zu",
                d->n_train, W);
    if (d->n_eval < W)
        SF_FAIL(err, SF_EINVAL,
                "the eval split has %zu tokens, fewer than n_ctx+1 = %zu (raise eval_fraction or "
                "give eval_paths)",
                d->n_eval, W);
    /* Eval windows evenly spaced over the eval stream, starting on aligned positions. */
    size_t max_start = (d->n_eval - W) / d->align;
    for (size_t i = 0; i < d->n_eval_win; i++) {
        size_t s = d->n_eval_win > 1
                       ? (size_t)((double)i * (double)max_start / (double)(d->n_eval_win - 1))
                       : 0;
        if (s > max_start) s = max_start;
        for (size_t k = 0; k < W; k++)
            d->eval_win[i * W + k] = d->eval[s * d->align + k];
    }
    d->info.train_tokens = (int64_t)d->n_train;
    return SF_OK;
}

void model_files_batch(const struct model_data *d, struct model_rng *r, size_t B, int32_t *inputs,
                       int32_t *targets) {
    size_t T         = d->T;
    size_t max_start = (d->n_train - (T + 1)) / d->align;
    for (size_t b = 0; b < B; b++) {
        size_t          s = (size_t)model_rng_below(r, max_start + 1) * d->align;
        const uint16_t *w = d->train + s;
        for (size_t t = 0; t < T; t++) {
            inputs[b * T + t]  = w[t];
            targets[b * T + t] = w[t + 1];
        }
    }
}

void model_files_validate(const struct model_config *cfg, struct sf_diags *out) {
    const struct model_data_config *d = &cfg->data;
    if (d->n_paths == 0)
        sf_diag_add(out, true, "data.paths", "source %s needs 'paths' (files or glob patterns)",
                    model_source_names[d->source]);
}

static void model_emit_paths_impl(struct sf_yaml_out *y, const char          *key,
                                  const char (*paths)[MODEL_PATH_MAX], size_t n) {
    sf_yaml_plain(y, key);
    sf_yaml_seq_begin(y, true);
    for (size_t i = 0; i < n; i++)
        sf_yaml_str(y, paths[i]);
    sf_yaml_seq_end(y);
}

void model_files_emit(struct sf_yaml_out *y, const struct model_data_config *d) {
    model_emit_paths_impl(y, "paths", d->paths, d->n_paths);
    if (d->n_eval_paths > 0)
        model_emit_paths_impl(y, "eval_paths", d->eval_paths, d->n_eval_paths);
    else
        sf_yaml_kv_double(y, "eval_fraction", d->eval_fraction);
}

void model_files_describe(struct sf_buf *b, const struct model_data_config *d) {
    sf_buf_printf(b, "source `%s`, %zu file pattern%s (first: `%s`)", model_source_names[d->source],
                  d->n_paths, d->n_paths == 1 ? "" : "s", d->n_paths ? d->paths[0] : "");
}

// ---- open, batches, free ----

enum sf_status model_data_open(struct model_data *d, const struct model_config *cfg,
                               const char *base_dir, struct sf_error *err) {
    memset(d, 0, sizeof *d);
    struct model_shape shape     = model_config_shape(cfg);
    d->entry                     = model_source_get(cfg->data.source);
    d->config                    = cfg->data;
    d->n_vocab                   = shape.n_vocab;
    d->T                         = (size_t)cfg->n_ctx;
    d->align                     = (size_t)d->entry->tokens_per_sample(&cfg->data);
    d->batch_key                 = sf_seed_derive(cfg->seed, MODEL_STREAM_BATCH);
    d->info.n_vocab              = shape.n_vocab;
    d->info.entropy_rate         = NAN;
    d->info.bayes_loss           = NAN;
    d->info.caption_entropy      = NAN;
    d->info.mutual_information   = NAN;
    d->info.sample_tokens        = NAN;
    d->info.extrap_sample_tokens = NAN;
    size_t T                     = d->T;
    d->n_eval_win                = (size_t)((cfg->eval_tokens + (int64_t)T - 1) / (int64_t)T);
    if (d->n_eval_win < 1) d->n_eval_win = 1;
    d->eval_win = malloc(d->n_eval_win * (T + 1) * sizeof *d->eval_win);
    if (d->eval_win == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the eval set");
    d->info.eval_tokens = (int64_t)(d->n_eval_win * T);
    d->div_scratch      = malloc((size_t)shape.n_vocab * sizeof *d->div_scratch);
    if (d->div_scratch == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the eval set");
    /* A source that says it is exact gives its true predictive, and only such a source. */
    SF_ASSERT(d->entry->exact == (d->entry->ops->predictive != NULL));
    enum sf_status st = d->entry->ops->open(d, cfg, base_dir, err);
    if (st != SF_OK) {
        model_data_free(d);
        return st;
    }
    for (size_t i = 0; i < d->n_eval_win; i++)
        for (size_t t = 0; t < T; t++)
            d->n_eval_counted += model_data_counted(d, d->eval_win + i * (T + 1), t);
    for (size_t i = 0; i < d->n_extrap_win; i++)
        for (size_t t = 0; t < T; t++)
            d->n_extrap_counted += model_data_counted(d, d->extrap_win + i * (T + 1), t);
    /* Paired parts: the eval windows again, each with its first part blanked. */
    if (d->entry->ops->pair != NULL) {
        size_t W          = T + 1;
        d->eval_win_blank = malloc(d->n_eval_win * W * sizeof *d->eval_win_blank);
        if (d->eval_win_blank == NULL) {
            model_data_free(d);
            SF_FAIL(err, SF_ENOMEM, "out of memory for the blanked eval windows");
        }
        memcpy(d->eval_win_blank, d->eval_win, d->n_eval_win * W * sizeof *d->eval_win_blank);
        bool paired = true;
        for (size_t i = 0; i < d->n_eval_win && paired; i++)
            paired = d->entry->ops->pair(d, d->eval_win_blank + i * W, &d->pair_p0, &d->pair_p1);
        if (!paired) {
            free(d->eval_win_blank);
            d->eval_win_blank = NULL;
        }
    }
    return SF_OK;
}

void model_data_free(struct model_data *d) {
    if (d == NULL) return;
    if (d->entry != NULL && d->entry->ops->close != NULL) d->entry->ops->close(d);
    free(d->train);
    free(d->eval);
    free(d->eval_win);
    free(d->eval_win_blank);
    free(d->eval_true_loss);
    free(d->div_scratch);
    memset(d, 0, sizeof *d);
}

void model_data_batch(const struct model_data *d, int64_t step, size_t B, int32_t *inputs,
                      int32_t *targets) {
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(d->batch_key, (uint64_t)step));
    d->entry->ops->batch(d, &r, B, inputs, targets);
    if (d->entry->ops->counted == NULL) return;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < d->T; t++)
            if (!d->entry->ops->counted(d, inputs + b * d->T, t, targets[b * d->T + t]))
                targets[b * d->T + t] = MODEL_IGNORE;
}

bool model_data_counted(const struct model_data *d, const int32_t *w, size_t t) {
    return d->entry->ops->counted == NULL || d->entry->ops->counted(d, w, t, w[t + 1]);
}

double model_data_window_kl(const struct model_data *d, const int32_t *w, const float *logits) {
    struct model_divergences sum = {0};
    model_data_window_divergences(d, w, logits, &sum, NULL);
    return sum.kl;
}

void model_divergences_add(const double *p, const double *logp, const float *l, size_t n,
                           double *scratch, struct model_divergences *sum) {
    float mx = l[0];
    for (size_t x = 1; x < n; x++)
        mx = l[x] > mx ? l[x] : mx;
    double se = 0.0;
    for (size_t x = 0; x < n; x++)
        se += scratch[x] = exp((double)l[x] - (double)mx);
    double lse = log(se), kl = 0, rkl = 0, js = 0, tv = 0, spq = 0, spp = 0, sqq = 0, rpq = 0;
    for (size_t x = 0; x < n; x++) {
        double lq = (double)l[x] - (double)mx - lse, q = scratch[x] / se, px = p[x];
        if (px > 0) {
            double lp = logp != NULL ? logp[x] : log(px), lm = log(0.5 * (px + q));
            kl += px * (lp - lq);
            rkl += q * (lq - lp);
            js += 0.5 * px * (lp - lm) + (q > 0 ? 0.5 * q * (lq - lm) : 0.0);
            rpq += sqrt(px * q);
        } else if (q > 0) {
            rkl = INFINITY;
            js += 0.5 * q * M_LN2; /* m = q/2 */
        }
        tv += 0.5 * fabs(px - q);
        spq += px * q, spp += px * px, sqq += q * q;
    }
    sum->kl += kl;
    sum->rkl += rkl;
    sum->js += js;
    sum->tv += tv;
    /* 1 − Σ√(pq): its rounding, about n·1e-16, stays far below the divergences measured */
    sum->h2 += 1.0 - rpq;
    sum->cs += log(spp) + log(sqq) - 2.0 * log(spq);
}

void model_divergences_sum(struct model_divergences *sum, const struct model_divergences *one) {
    sum->kl += one->kl, sum->rkl += one->rkl, sum->js += one->js;
    sum->tv += one->tv, sum->h2 += one->h2, sum->cs += one->cs;
}

void model_data_window_divergences(const struct model_data *d, const int32_t *w,
                                   const float *logits, struct model_divergences *sum,
                                   double *per_t) {
    SF_ASSERT(d->entry->ops->predictive != NULL);
    size_t T = d->T, V = (size_t)d->n_vocab;
    for (size_t t = 0; t < T; t++) {
        if (!model_data_counted(d, w, t)) continue;
        const double *p = d->entry->ops->predictive(d, w, t, NULL); // (V)
        const double *lp =
            d->entry->ops->predictive_log ? d->entry->ops->predictive_log(d, w, t) : NULL;
        struct model_divergences one = {0};
        model_divergences_add(p, lp, logits + t * V, V, d->div_scratch, &one);
        model_divergences_sum(sum, &one);
        if (per_t != NULL) per_t[t] += one.kl;
    }
}

enum sf_status model_source_describe(const struct model_config *cfg, const char *base_dir,
                                     struct model_source_info *info, struct sf_error *err) {
    struct model_data d;
    enum sf_status    st = model_data_open(&d, cfg, base_dir, err);
    if (st != SF_OK) return st;
    *info = d.info;
    model_data_free(&d);
    return SF_OK;
}
