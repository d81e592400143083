/*
 * data.c — the data sources behind `data:` in run.yaml: markov (generated), text (bytes of
 * files or glob patterns), image (IDX files, gzip or not, downsampled to R×R with Q levels, one
 * token per pixel in raster order) and tokens (flat little-endian uint16). Each is opened into a
 * train stream (or a generator) and a fixed, materialised eval set of windows of n_ctx+1 tokens.
 *
 * Splits are deterministic: explicit `eval_paths`, else by file (every file whose share of the
 * running count crosses an integer goes to eval), else — a single file — its last
 * `eval_fraction`. Training batches are drawn from (run seed, step) alone; eval windows are
 * evenly spaced over the eval stream (markov: drawn from the source seed), so every run of a
 * sweep sees the same eval set. The sha256 recorded is of the input files' bytes (train then
 * eval, each list sorted) or, for markov, of its transition table.
 *
 * Not here: batching for evaluation and the metrics (run.c).
 */
#include "internal.h"

#include <errno.h>
#include <glob.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Magic number of an IDX file of unsigned bytes with 3 dimensions (LeCun's MNIST format). */
#define MODEL_IDX_MAGIC_U8_3D 0x00000803u

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

/* Appends tokens to a growable uint16 array. */
static bool model_tokens_append_impl(uint16_t **arr, size_t *n, size_t *cap, const uint16_t *src,
                                     size_t count) {
    if (*n + count > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *n + count)
            c *= 2;
        uint16_t *a = realloc(*arr, c * sizeof *a);
        if (a == NULL) return false;
        *arr = a;
        *cap = c;
    }
    memcpy(*arr + *n, src, count * sizeof *src);
    *n += count;
    return true;
}

// ---- IDX images ----

static bool model_gz_read_impl(gzFile f, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        unsigned chunk = (unsigned)((n - got) > (1u << 30) ? (1u << 30) : (n - got));
        int      r     = gzread(f, (char *)buf + got, chunk);
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

enum sf_status model_idx_images(const char *path, int64_t R, int64_t Q, uint16_t **out,
                                size_t *n_images, struct sf_error *err) {
    *out      = NULL;
    *n_images = 0;
    gzFile f  = gzopen(path, "rb");
    if (f == NULL)
        SF_FAIL_AT(err, errno == ENOENT ? SF_EINVAL : SF_EIO, path, "cannot open: %s",
                   strerror(errno));
    uint8_t hdr[16];
    if (!model_gz_read_impl(f, hdr, sizeof hdr)) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "not an IDX image file: shorter than its 16-byte header");
    }
    uint32_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = (uint32_t)hdr[4 * i] << 24 | (uint32_t)hdr[4 * i + 1] << 16 |
               (uint32_t)hdr[4 * i + 2] << 8 | (uint32_t)hdr[4 * i + 3];
    if (v[0] != MODEL_IDX_MAGIC_U8_3D) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "not an IDX image file: magic 0x%08x, expected 0x%08x (unsigned bytes, 3 "
                   "dimensions, as MNIST's *-images-idx3-ubyte)",
                   v[0], MODEL_IDX_MAGIC_U8_3D);
    }
    size_t n = v[1], rows = v[2], cols = v[3];
    if (n == 0 || rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "IDX header gives %zu images of %zu×%zu", n, rows, cols);
    }
    /* Zero-pad to S×S, S the smallest multiple of R covering the image, then average S/R-square
     * blocks and cut [0, 255] into Q equal bins. */
    size_t    r   = (size_t)R;
    size_t    mx  = rows > cols ? rows : cols;
    size_t    S   = (mx + r - 1) / r * r;
    size_t    blk = S / r, top = (S - rows) / 2, left = (S - cols) / 2;
    uint16_t *toks = malloc(n * r * r * sizeof *toks);
    uint8_t  *img  = malloc(rows * cols);
    if (toks == NULL || img == NULL) {
        free(toks);
        free(img);
        gzclose(f);
        SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
    }
    for (size_t k = 0; k < n; k++) {
        if (!model_gz_read_impl(f, img, rows * cols)) {
            free(toks);
            free(img);
            gzclose(f);
            SF_FAIL_AT(err, SF_EINVAL, path,
                       "truncated: the header promises %zu images, the "
                       "file ends in image %zu",
                       n, k);
        }
        for (size_t by = 0; by < r; by++)
            for (size_t bx = 0; bx < r; bx++) {
                unsigned sum = 0;
                for (size_t y = by * blk; y < (by + 1) * blk; y++)
                    for (size_t x = bx * blk; x < (bx + 1) * blk; x++) {
                        if (y < top || y >= top + rows || x < left || x >= left + cols) continue;
                        sum += img[(y - top) * cols + (x - left)];
                    }
                /* level = floor(mean · Q / 256) with the mean over blk² pixels (pad counts 0). */
                uint64_t lev = (uint64_t)sum * (uint64_t)Q / (256u * blk * blk);
                if (lev > (uint64_t)Q - 1) lev = (uint64_t)Q - 1;
                toks[k * r * r + by * r + bx] = (uint16_t)lev;
            }
    }
    free(img);
    gzclose(f);
    *out      = toks;
    *n_images = n;
    return SF_OK;
}

// ---- loading a file list ----

/* Loads the files of `files` as tokens for source `src`, appending to arr, and hashes the bytes. */
static enum sf_status model_load_files_impl(const struct model_config *cfg,
                                            const struct model_files *files, uint16_t **arr,
                                            size_t *n, size_t *cap, size_t **file_ends,
                                            struct sha256_ctx *sha, struct sf_error *err) {
    const struct model_data_config *d = &cfg->data;
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
        bool ok = true;
        if (d->source == MODEL_SOURCE_TEXT) {
            uint16_t buf[4096];
            for (size_t k = 0; k < len && ok; k += 4096) {
                size_t m = len - k < 4096 ? len - k : 4096;
                for (size_t j = 0; j < m; j++)
                    buf[j] = (uint8_t)bytes[k + j];
                ok = model_tokens_append_impl(arr, n, cap, buf, m);
            }
        } else if (d->source == MODEL_SOURCE_TOKENS) {
            if (len % 2 != 0) {
                free(bytes);
                SF_FAIL_AT(err, SF_EINVAL, files->names[i],
                           "token file has %zu bytes, not a whole number of uint16 tokens", len);
            }
            uint16_t buf[4096];
            for (size_t k = 0; k < len / 2 && ok; k += 4096) {
                size_t m = len / 2 - k < 4096 ? len / 2 - k : 4096;
                for (size_t j = 0; j < m; j++) {
                    const uint8_t *b = (const uint8_t *)bytes + 2 * (k + j);
                    buf[j]           = (uint16_t)(b[0] | b[1] << 8);
                    if (buf[j] >= d->n_vocab) {
                        size_t at = k + j;
                        free(bytes);
                        SF_FAIL_AT(err, SF_EINVAL, files->names[i],
                                   "token %zu (byte offset %zu) is %u, not below n_vocab %lld", at,
                                   2 * at, (unsigned)buf[j], (long long)d->n_vocab);
                    }
                }
                ok = model_tokens_append_impl(arr, n, cap, buf, m);
            }
        } else { /* image */
            uint16_t *toks;
            size_t    n_img;
            st = model_idx_images(files->names[i], d->resolution, d->levels, &toks, &n_img, err);
            if (st != SF_OK) {
                free(bytes);
                return st;
            }
            ok = model_tokens_append_impl(arr, n, cap, toks,
                                          n_img * (size_t)(d->resolution * d->resolution));
            free(toks);
        }
        free(bytes);
        if (!ok) SF_FAIL(err, SF_ENOMEM, "out of memory loading %s", files->names[i]);
        if (file_ends != NULL) (*file_ends)[i] = *n;
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

// ---- open ----

static enum sf_status model_data_open_files_impl(struct model_data         *d,
                                                 const struct model_config *cfg,
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
    size_t cap = 0, *ends = NULL;
    st = model_load_files_impl(cfg, &train_files, &d->train, &d->n_train, &cap, &ends, &sha, err);
    if (st == SF_OK) {
        if (dc->n_eval_paths > 0) {
            size_t ecap = 0;
            st = model_load_files_impl(cfg, &eval_files, &d->eval, &d->n_eval, &ecap, NULL, &sha,
                                       err);
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

enum sf_status model_data_open(struct model_data *d, const struct model_config *cfg,
                               const char *base_dir, struct sf_error *err) {
    memset(d, 0, sizeof *d);
    struct model_shape shape = model_config_shape(cfg);
    d->source                = cfg->data.source;
    d->n_vocab               = shape.n_vocab;
    d->T                     = (size_t)cfg->n_ctx;
    d->align                 = 1;
    d->batch_key             = sf_seed_derive(cfg->seed, MODEL_STREAM_BATCH);
    d->info.n_vocab          = shape.n_vocab;
    d->info.entropy_rate     = NAN;
    d->info.bayes_loss       = NAN;
    size_t T                 = d->T;
    d->n_eval_win            = (size_t)((cfg->eval_tokens + (int64_t)T - 1) / (int64_t)T);
    if (d->n_eval_win < 1) d->n_eval_win = 1;
    d->eval_win = malloc(d->n_eval_win * (T + 1) * sizeof *d->eval_win);
    if (d->eval_win == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the eval set");
    d->info.eval_tokens = (int64_t)(d->n_eval_win * T);

    enum sf_status st = SF_OK;
    if (cfg->data.source == MODEL_SOURCE_MARKOV) {
        st = model_markov_init(&d->markov, &cfg->data, err);
        if (st != SF_OK) {
            model_data_free(d);
            return st;
        }
        d->eval_true_loss = malloc(d->n_eval_win * T * sizeof *d->eval_true_loss);
        if (d->eval_true_loss == NULL) {
            model_data_free(d);
            SF_FAIL(err, SF_ENOMEM, "out of memory for the eval set");
        }
        struct model_rng r;
        model_rng_seed(&r, sf_seed_derive(cfg->data.seed, MODEL_STREAM_EVAL));
        for (size_t i = 0; i < d->n_eval_win; i++) {
            model_markov_sample(&d->markov, &r, d->eval_win + i * (T + 1), T + 1);
            model_markov_true_losses(&d->markov, d->eval_win + i * (T + 1), T + 1,
                                     d->eval_true_loss + i * T);
        }
        d->info.entropy_rate = d->markov.entropy_rate;
        d->info.bayes_loss   = model_markov_bayes_loss(&d->markov, T);
        /* The table identifies the source: hash its little-endian doubles. */
        size_t            n = d->markov.n_ctx * (size_t)d->markov.V;
        struct sha256_ctx sha;
        sha256_init(&sha);
        for (size_t i = 0; i < n; i++) {
            uint64_t bits;
            memcpy(&bits, &d->markov.P[i], sizeof bits);
            uint8_t le[8];
            for (int k = 0; k < 8; k++)
                le[k] = (uint8_t)(bits >> (8 * k));
            sha256_update(&sha, sizeof le, le);
        }
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_digest(&sha, SHA256_DIGEST_SIZE, digest);
        sf_hex_bytes(digest, SHA256_DIGEST_SIZE, d->info.sha256);
        return SF_OK;
    }
    if (cfg->data.source == MODEL_SOURCE_IMAGE)
        d->align = (size_t)(cfg->data.resolution * cfg->data.resolution);
    st = model_data_open_files_impl(d, cfg, base_dir, err);
    if (st != SF_OK) model_data_free(d);
    return st;
}

void model_data_free(struct model_data *d) {
    if (d == NULL) return;
    model_markov_free(&d->markov);
    free(d->train);
    free(d->eval);
    free(d->eval_win);
    free(d->eval_true_loss);
    memset(d, 0, sizeof *d);
}

void model_data_batch(const struct model_data *d, int64_t step, size_t B, int32_t *inputs,
                      int32_t *targets) {
    size_t           T = d->T;
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(d->batch_key, (uint64_t)step));
    if (d->source == MODEL_SOURCE_MARKOV) {
        for (size_t b = 0; b < B; b++)
            model_markov_sample_pair(&d->markov, &r, inputs + b * T, targets + b * T, T);
        return;
    }
    size_t max_start = (d->n_train - (T + 1)) / d->align;
    for (size_t b = 0; b < B; b++) {
        size_t          s = (size_t)model_rng_below(&r, max_start + 1) * d->align;
        const uint16_t *w = d->train + s;
        for (size_t t = 0; t < T; t++) {
            inputs[b * T + t]  = w[t];
            targets[b * T + t] = w[t + 1];
        }
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
