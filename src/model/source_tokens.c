/*
 * source_tokens.c — the `tokens` data source: flat files of little-endian uint16 token ids, each
 * below the `n_vocab` the configuration must give. Opening, splits and batches are the file
 * sources' (data.c).
 */
#include "internal.h"

/* Tokens per chunk appended at a time. */
#define MODEL_TOKENS_CHUNK 4096

static const char *const model_tokens_keys[] = {"n_vocab", MODEL_FILES_KEYS, NULL};

static enum sf_status model_tokens_decode_impl(const struct model_data_config *d, const char *name,
                                               const char *bytes, size_t len,
                                               const struct model_token_buf *out,
                                               struct sf_error              *err) {
    if (len % 2 != 0)
        SF_FAIL_AT(err, SF_EINVAL, name,
                   "token file has %zu bytes, not a whole number of uint16 tokens", len);
    uint16_t buf[MODEL_TOKENS_CHUNK];
    for (size_t k = 0; k < len / 2; k += MODEL_TOKENS_CHUNK) {
        size_t m = len / 2 - k < MODEL_TOKENS_CHUNK ? len / 2 - k : MODEL_TOKENS_CHUNK;
        for (size_t j = 0; j < m; j++) {
            const uint8_t *b = (const uint8_t *)bytes + 2 * (k + j);
            buf[j]           = (uint16_t)(b[0] | b[1] << 8);
            if (buf[j] >= d->n_vocab) {
                size_t at = k + j;
                SF_FAIL_AT(err, SF_EINVAL, name,
                           "token %zu (byte offset %zu) is %u, not below n_vocab %lld", at, 2 * at,
                           (unsigned)buf[j], (long long)d->n_vocab);
            }
        }
        if (!model_tokens_append(out, buf, m))
            SF_FAIL(err, SF_ENOMEM, "out of memory loading %s", name);
    }
    return SF_OK;
}

static int64_t model_tokens_n_vocab_impl(const struct model_data_config *d) {
    return d->n_vocab;
}

static void model_tokens_validate_impl(const struct model_config *cfg, struct sf_diags *out) {
    const struct model_data_config *d = &cfg->data;
    model_files_validate(cfg, out);
    if (d->n_vocab < 2)
        sf_diag_add(out, true, "data.n_vocab", "source tokens needs 'n_vocab' >= 2");
}

static void model_tokens_emit_impl(struct sf_yaml_out *y, const struct model_data_config *d) {
    sf_yaml_kv_int(y, "n_vocab", d->n_vocab);
    model_files_emit(y, d);
}

static const struct model_source_ops model_tokens_ops = {
    .required_key  = "n_vocab",
    .required_what = "the vocabulary size",
    .validate      = model_tokens_validate_impl,
    .emit          = model_tokens_emit_impl,
    .open          = model_files_open,
    .batch         = model_files_batch,
    .decode        = model_tokens_decode_impl,
};

const struct model_source_entry model_source_tokens = {
    .id                = MODEL_SOURCE_TOKENS,
    .name              = "tokens",
    .keys              = model_tokens_keys,
    .files             = true,
    .exact             = false,
    .loss_unit         = "nats/token",
    .n_vocab           = model_tokens_n_vocab_impl,
    .tokens_per_sample = model_source_one_token,
    .describe          = model_files_describe,
    .ops               = &model_tokens_ops,
};
