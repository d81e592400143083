/*
 * source_text.c — the `text` data source: the bytes of text files (or glob patterns), one token
 * per byte, vocabulary 256. Opening, splits and batches are the file sources' (data.c).
 */
#include "internal.h"

/* Bytes per chunk appended at a time. */
#define MODEL_TEXT_CHUNK 4096

static const char *const model_text_keys[] = {MODEL_FILES_KEYS, NULL};

static enum sf_status model_text_decode_impl(const struct model_data_config *d, const char *name,
                                             const char *bytes, size_t len,
                                             const struct model_token_buf *out,
                                             struct sf_error              *err) {
    (void)d;
    uint16_t buf[MODEL_TEXT_CHUNK];
    for (size_t k = 0; k < len; k += MODEL_TEXT_CHUNK) {
        size_t m = len - k < MODEL_TEXT_CHUNK ? len - k : MODEL_TEXT_CHUNK;
        for (size_t j = 0; j < m; j++)
            buf[j] = (uint8_t)bytes[k + j];
        if (!model_tokens_append(out, buf, m))
            SF_FAIL(err, SF_ENOMEM, "out of memory loading %s", name);
    }
    return SF_OK;
}

static int64_t model_text_n_vocab_impl(const struct model_data_config *d) {
    (void)d;
    return 256;
}

static const struct model_source_ops model_text_ops = {
    .validate = model_files_validate,
    .emit     = model_files_emit,
    .open     = model_files_open,
    .batch    = model_files_batch,
    .decode   = model_text_decode_impl,
};

const struct model_source_entry model_source_text = {
    .id                = MODEL_SOURCE_TEXT,
    .name              = "text",
    .keys              = model_text_keys,
    .files             = true,
    .exact             = false,
    .loss_unit         = "nats/token",
    .n_vocab           = model_text_n_vocab_impl,
    .tokens_per_sample = model_source_one_token,
    .describe          = model_files_describe,
    .ops               = &model_text_ops,
};
