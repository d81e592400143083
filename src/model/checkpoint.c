/*
 * checkpoint.c — checkpoint.bin: a 256-byte little-endian header (magic, version, the config
 * hash, the shape, the training state), then the parameter, AdamW m and AdamW v blocks as
 * float32, then a CRC-32 (zlib) of everything before it and an end magic. Written to a temporary
 * file, fsynced and renamed over the old one (then the folder fsynced), so a process killed at
 * any moment leaves the old checkpoint or the new one, never a part. Loading checks every field
 * and names found vs expected with a fix-it hint.
 *
 * Not here: when checkpoints are taken (run.c).
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define MODEL_CKPT_HEADER_BYTES 256
#define MODEL_CKPT_END_MAGIC UINT32_C(0x444E4553) /* "SEND" */
#define MODEL_CKPT_HINT "remove checkpoint.bin to start the run over"

// ---- little-endian fields ----

static void model_put_u32_impl(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void model_put_u64_impl(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void model_put_f64_impl(uint8_t *p, double d) {
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    model_put_u64_impl(p, v);
}
static uint32_t model_get_u32_impl(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t model_get_u64_impl(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static double model_get_f64_impl(const uint8_t *p) {
    uint64_t v = model_get_u64_impl(p);
    double   d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* Header layout (byte offsets). */
enum {
    CK_MAGIC        = 0,
    CK_VERSION      = 4,
    CK_HEADER_BYTES = 8,
    CK_HASH         = 16, /* 64 hex chars */
    CK_N_LAYER      = 80,
    CK_D_MODEL      = 88,
    CK_N_HEAD       = 96,
    CK_D_FF         = 104,
    CK_D_ATTN       = 112,
    CK_N_CTX        = 120,
    CK_N_VOCAB      = 128,
    CK_TIE          = 136,
    CK_N_PARAMS     = 144,
    CK_STEP         = 152,
    CK_ADAM_T       = 160,
    CK_CURSOR       = 168,
    CK_BATCH_KEY    = 176,
    CK_LOSS_SUM     = 184,
    CK_LOSS_COUNT   = 192,
    CK_LOSS_MIN     = 200,
    CK_ELAPSED      = 208,
    CK_EVAL_ELAPSED = 216,
    CK_EVAL_STEP    = 224,
    CK_LAST_EVAL    = 232
};

static void model_ckpt_header_impl(uint8_t *h, const struct model *m,
                                   const struct model_train_state *st, const char *hash) {
    memset(h, 0, MODEL_CKPT_HEADER_BYTES);
    model_put_u32_impl(h + CK_MAGIC, MODEL_CKPT_MAGIC);
    model_put_u32_impl(h + CK_VERSION, MODEL_CKPT_VERSION);
    model_put_u32_impl(h + CK_HEADER_BYTES, MODEL_CKPT_HEADER_BYTES);
    memcpy(h + CK_HASH, hash, 64);
    const struct model_shape *s = &m->shape;
    model_put_u64_impl(h + CK_N_LAYER, (uint64_t)s->n_layer);
    model_put_u64_impl(h + CK_D_MODEL, (uint64_t)s->d_model);
    model_put_u64_impl(h + CK_N_HEAD, (uint64_t)s->n_head);
    model_put_u64_impl(h + CK_D_FF, (uint64_t)s->d_ff);
    model_put_u64_impl(h + CK_D_ATTN, (uint64_t)s->d_attn);
    model_put_u64_impl(h + CK_N_CTX, (uint64_t)s->n_ctx);
    model_put_u64_impl(h + CK_N_VOCAB, (uint64_t)s->n_vocab);
    model_put_u64_impl(h + CK_TIE, s->tie_embeddings ? 1u : 0u);
    model_put_u64_impl(h + CK_N_PARAMS, (uint64_t)m->n_params);
    model_put_u64_impl(h + CK_STEP, (uint64_t)st->step);
    model_put_u64_impl(h + CK_ADAM_T, (uint64_t)m->adam_t);
    model_put_u64_impl(h + CK_CURSOR, (uint64_t)st->data_cursor);
    model_put_u64_impl(h + CK_BATCH_KEY, st->batch_key);
    model_put_f64_impl(h + CK_LOSS_SUM, st->loss_sum);
    model_put_u64_impl(h + CK_LOSS_COUNT, (uint64_t)st->loss_count);
    model_put_f64_impl(h + CK_LOSS_MIN, st->loss_min);
    model_put_f64_impl(h + CK_ELAPSED, st->elapsed_s);
    model_put_f64_impl(h + CK_EVAL_ELAPSED, st->eval_elapsed_s);
    model_put_u64_impl(h + CK_EVAL_STEP, (uint64_t)st->eval_step);
    model_put_f64_impl(h + CK_LAST_EVAL, st->last_eval_loss);
}

/* Adds a block to a running CRC-32 (zlib takes uInt lengths: fed in chunks). */
static void model_crc_update_impl(uLong *crc, const void *data, size_t len) {
    const uint8_t *p = data;
    for (size_t left = len; left > 0;) {
        uInt c = (uInt)(left > (1u << 30) ? (1u << 30) : left);
        *crc   = crc32(*crc, p, c);
        p += c;
        left -= c;
    }
}

/* Appends a block to the checkpoint, adding it to the running CRC-32 when crc is not NULL. */
static enum sf_status model_ckpt_put_impl(struct sf_atomic_file *f, const void *data, size_t len,
                                          uLong *crc, struct sf_error *err) {
    if (crc != NULL) model_crc_update_impl(crc, data, len);
    return sf_atomic_write(f, data, len, err);
}

enum sf_status model_checkpoint_save(const char *path, const struct model *m,
                                     const struct model_train_state *st, const char *config_hash,
                                     struct sf_error *err) {
    uint8_t h[MODEL_CKPT_HEADER_BYTES];
    model_ckpt_header_impl(h, m, st, config_hash);
    struct sf_atomic_file f;
    enum sf_status        rc = sf_atomic_open(&f, path, err);
    if (rc != SF_OK) return rc;
    uLong   crc = crc32(0L, Z_NULL, 0);
    size_t  nb  = m->n_params * sizeof(float);
    uint8_t tr[8];
    if ((rc = model_ckpt_put_impl(&f, h, sizeof h, &crc, err)) != SF_OK ||
        (rc = model_ckpt_put_impl(&f, m->params, nb, &crc, err)) != SF_OK ||
        (rc = model_ckpt_put_impl(&f, m->adam_m, nb, &crc, err)) != SF_OK ||
        (rc = model_ckpt_put_impl(&f, m->adam_v, nb, &crc, err)) != SF_OK) {
        sf_atomic_abort(&f);
        return rc;
    }
    model_put_u32_impl(tr, (uint32_t)crc);
    model_put_u32_impl(tr + 4, MODEL_CKPT_END_MAGIC);
    if ((rc = model_ckpt_put_impl(&f, tr, sizeof tr, NULL, err)) != SF_OK) {
        sf_atomic_abort(&f);
        return rc;
    }
    return sf_atomic_commit(&f, err);
}

static bool model_read_all_impl(FILE *f, void *buf, size_t n, uLong *crc) {
    if (fread(buf, 1, n, f) != n) return false;
    model_crc_update_impl(crc, buf, n);
    return true;
}

enum sf_status model_checkpoint_load(const char *path, struct model *m,
                                     struct model_train_state *st, const char *config_hash,
                                     struct sf_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) SF_FAIL_AT(err, SF_EIO, path, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        SF_FAIL_AT(err, SF_EIO, path, "cannot stat: %s", strerror(errno));
    }
    long long size = (long long)sb.st_size;
    long long expected =
        MODEL_CKPT_HEADER_BYTES + 3LL * (long long)(m->n_params * sizeof(float)) + 8;
    uint8_t h[MODEL_CKPT_HEADER_BYTES];
    uLong   crc = crc32(0L, Z_NULL, 0);
    if (size < 8) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "not a scalefit checkpoint: %lld bytes; %s", size,
                   MODEL_CKPT_HINT);
    }
    size_t   got   = fread(h, 1, sizeof h, f);
    uint32_t magic = model_get_u32_impl(h + CK_MAGIC);
    if (magic != MODEL_CKPT_MAGIC) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "not a scalefit checkpoint: magic 0x%08x, expected 0x%08x; %s", magic,
                   MODEL_CKPT_MAGIC, MODEL_CKPT_HINT);
    }
    uint32_t version = model_get_u32_impl(h + CK_VERSION);
    if (version != MODEL_CKPT_VERSION) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "checkpoint version %u, this scalefit reads version %d; %s", version,
                   MODEL_CKPT_VERSION, MODEL_CKPT_HINT);
    }
    if (got != sizeof h) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "truncated checkpoint: %lld bytes, expected %lld; %s",
                   size, expected, MODEL_CKPT_HINT);
    }
    crc = crc32(crc, h, sizeof h);
    if (config_hash != NULL && memcmp(h + CK_HASH, config_hash, 64) != 0) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "checkpoint was written for another configuration (config hash %.12s..., "
                   "run.yaml gives %.12s...); restore the run.yaml it was made with, or %s",
                   (const char *)(h + CK_HASH), config_hash, MODEL_CKPT_HINT);
    }
    uint64_t n_params = model_get_u64_impl(h + CK_N_PARAMS);
    if (n_params != m->n_params) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "checkpoint holds %llu parameters, the model has %zu; %s",
                   (unsigned long long)n_params, m->n_params, MODEL_CKPT_HINT);
    }
    if (size != expected) {
        fclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "%s checkpoint: %lld bytes, expected %lld; %s",
                   size < expected ? "truncated" : "oversized", size, expected, MODEL_CKPT_HINT);
    }
    size_t nb = m->n_params * sizeof(float);
    bool   ok = model_read_all_impl(f, m->params, nb, &crc) &&
              model_read_all_impl(f, m->adam_m, nb, &crc) &&
              model_read_all_impl(f, m->adam_v, nb, &crc);
    uint8_t tr[8];
    ok = ok && fread(tr, 1, sizeof tr, f) == sizeof tr;
    fclose(f);
    if (!ok) SF_FAIL_AT(err, SF_EIO, path, "read error");
    uint32_t stored = model_get_u32_impl(tr);
    if (stored != (uint32_t)crc || model_get_u32_impl(tr + 4) != MODEL_CKPT_END_MAGIC)
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "checkpoint checksum mismatch (CRC-32 0x%08x stored, 0x%08x computed): the "
                   "file is corrupt; %s",
                   stored, (uint32_t)crc, MODEL_CKPT_HINT);
    /* A valid checksum over weights that are not finite (written by a run that went wrong, or
     * made by hand) would train on from garbage: refuse it. */
    const float *const blocks[3] = {m->params, m->adam_m, m->adam_v};
    const char *const  names[3]  = {"parameter", "first AdamW moment", "second AdamW moment"};
    for (size_t b = 0; b < 3; b++)
        for (size_t i = 0; i < m->n_params; i++)
            if (!isfinite(blocks[b][i]))
                SF_FAIL_AT(err, SF_EINVAL, path, "checkpoint %s %zu is %g, not a finite number; %s",
                           names[b], i, (double)blocks[b][i], MODEL_CKPT_HINT);
    m->adam_t          = (int64_t)model_get_u64_impl(h + CK_ADAM_T);
    st->step           = (int64_t)model_get_u64_impl(h + CK_STEP);
    st->data_cursor    = (int64_t)model_get_u64_impl(h + CK_CURSOR);
    st->batch_key      = model_get_u64_impl(h + CK_BATCH_KEY);
    st->loss_sum       = model_get_f64_impl(h + CK_LOSS_SUM);
    st->loss_count     = (int64_t)model_get_u64_impl(h + CK_LOSS_COUNT);
    st->loss_min       = model_get_f64_impl(h + CK_LOSS_MIN);
    st->elapsed_s      = model_get_f64_impl(h + CK_ELAPSED);
    st->eval_elapsed_s = model_get_f64_impl(h + CK_EVAL_ELAPSED);
    st->eval_step      = (int64_t)model_get_u64_impl(h + CK_EVAL_STEP);
    st->last_eval_loss = model_get_f64_impl(h + CK_LAST_EVAL);
    return SF_OK;
}

// ---- starting from another run ----

enum sf_status model_checkpoint_shape(const char *path, struct model_shape *s, int64_t *step,
                                      struct sf_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) SF_FAIL_AT(err, SF_EINVAL, path, "cannot open: %s", strerror(errno));
    uint8_t h[MODEL_CKPT_HEADER_BYTES];
    size_t  got = fread(h, 1, sizeof h, f);
    fclose(f);
    if (got != sizeof h || model_get_u32_impl(h + CK_MAGIC) != MODEL_CKPT_MAGIC)
        SF_FAIL_AT(err, SF_EINVAL, path, "not a scalefit checkpoint");
    if (model_get_u32_impl(h + CK_VERSION) != MODEL_CKPT_VERSION)
        SF_FAIL_AT(err, SF_EINVAL, path, "checkpoint version %u, this scalefit reads version %d",
                   model_get_u32_impl(h + CK_VERSION), MODEL_CKPT_VERSION);
    /* Sizes beyond what run.yaml allows are a damaged header, not a model to allocate. */
    uint64_t v[7];
    int      at[7] = {CK_N_LAYER, CK_D_MODEL, CK_N_HEAD, CK_D_FF, CK_D_ATTN, CK_N_CTX, CK_N_VOCAB};
    for (int i = 0; i < 7; i++) {
        v[i] = model_get_u64_impl(h + at[i]);
        if (v[i] == 0 || v[i] > (UINT64_C(1) << 20))
            SF_FAIL_AT(err, SF_EINVAL, path, "checkpoint header gives a model size of %llu",
                       (unsigned long long)v[i]);
    }
    *s    = (struct model_shape){.n_layer        = (int64_t)v[0],
                                 .d_model        = (int64_t)v[1],
                                 .n_head         = (int64_t)v[2],
                                 .d_ff           = (int64_t)v[3],
                                 .d_attn         = (int64_t)v[4],
                                 .n_ctx          = (int64_t)v[5],
                                 .n_vocab        = (int64_t)v[6],
                                 .tie_embeddings = model_get_u64_impl(h + CK_TIE) != 0};
    *step = (int64_t)model_get_u64_impl(h + CK_STEP);
    return SF_OK;
}

void model_shape_text(char *buf, size_t n, const struct model_shape *s) {
    snprintf(buf, n,
             "n_layer %lld, d_model %lld, n_head %lld, d_ff %lld, d_attn %lld, n_ctx %lld, "
             "n_vocab %lld, %s head",
             (long long)s->n_layer, (long long)s->d_model, (long long)s->n_head, (long long)s->d_ff,
             (long long)s->d_attn, (long long)s->n_ctx, (long long)s->n_vocab,
             s->tie_embeddings ? "tied" : "untied");
}

/* Copies the first `rows` rows of width C of a tensor into the (as large or larger) same
 * tensor of another model. */
static void model_copy_rows_impl(float *dst, const float *src, size_t rows, size_t C) {
    memcpy(dst, src, rows * C * sizeof *dst);
}

enum sf_status model_init_from(struct model *m, const char *path, struct model_shape *from,
                               int64_t *step, struct sf_error *err) {
    char *file = sf_is_dir(path) ? sf_path_join(path, "checkpoint.bin") : sf_strdup(path);
    if (file == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    if (!sf_path_exists(file)) {
        SF_SET_AT(err, SF_EINVAL, path,
                  "init_from: no checkpoint.bin in this run directory (the run has not been "
                  "trained)");
        free(file);
        return SF_EINVAL;
    }
    enum sf_status st = model_checkpoint_shape(file, from, step, err);
    if (st != SF_OK) {
        free(file);
        return st;
    }
    const struct model_shape *to = &m->shape;
    if (from->n_layer != to->n_layer || from->d_model != to->d_model ||
        from->n_head != to->n_head || from->d_ff != to->d_ff || from->d_attn != to->d_attn ||
        from->tie_embeddings != to->tie_embeddings || from->n_vocab > to->n_vocab ||
        from->n_ctx > to->n_ctx) {
        char a[256], b[256];
        model_shape_text(a, sizeof a, from);
        model_shape_text(b, sizeof b, to);
        SF_SET_AT(err, SF_EINVAL, file,
                  "init_from: the checkpoint's model (%s) does not fit this run's (%s): only "
                  "n_vocab and n_ctx may grow",
                  a, b);
        free(file);
        return SF_EINVAL;
    }
    struct model *src = model_alloc(from, 1, err);
    if (src == NULL) {
        free(file);
        return err->code;
    }
    struct model_train_state ignored;
    st = model_checkpoint_load(file, src, &ignored, NULL, err);
    free(file);
    if (st != SF_OK) {
        model_free(src);
        return st;
    }
    /* Same-shaped tensors are copied whole; the embeddings' first rows (tokens, positions, an
     * untied head) are the checkpoint's, the rows past them keep m's initial values. */
    size_t C = (size_t)to->d_model;
    for (int i = 0; i < MODEL_TENSOR_COUNT; i++) {
        float       *d = m->params + m->tensors[i].offset;
        const float *s = src->params + src->tensors[i].offset;
        if (i == MODEL_TENSOR_WTE || i == MODEL_TENSOR_HEADW)
            model_copy_rows_impl(d, s, src->tensors[i].size / C, C);
        else if (i == MODEL_TENSOR_WPE)
            model_copy_rows_impl(d, s, (size_t)from->n_ctx, C);
        else
            memcpy(d, s, m->tensors[i].size * sizeof *d);
    }
    model_free(src);
    return SF_OK;
}
