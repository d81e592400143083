/*
 * fuzz_checkpoint.c — libFuzzer harness: the checkpoint reader (model_checkpoint_load) and the
 * start from another run's weights (model_init_from: the header's shape, then the load) on
 * whatever bytes the fuzzer gives, for a tiny model and a fixed configuration hash. The CRC-32
 * in the trailer is recomputed over the bytes before it (all but the last 8), so mutations get
 * past the checksum into the checks behind it. With SCALEFIT_FUZZ_SEED=PATH set, the harness
 * first writes a valid checkpoint of its model there (how tests/fuzz/corpus/checkpoint/ is made).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz_file.h"
#include "internal.h"

static const char fuzz_hash[65] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static struct model *fuzz_model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const struct model_shape shape = {
        .n_layer = 1, .d_model = 4, .n_head = 1, .d_ff = 8, .d_attn = 4, .n_ctx = 4, .n_vocab = 3};
    struct sf_error err;
    fuzz_model = model_alloc(&shape, 1, &err);
    if (fuzz_model == NULL) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err.message);
        exit(1);
    }
    model_init_params(fuzz_model, 7);
    const char *seed = getenv("SCALEFIT_FUZZ_SEED");
    if (seed != NULL) {
        struct model_train_state st = {.step           = 3,
                                       .data_cursor    = 3,
                                       .batch_key      = 11,
                                       .loss_sum       = 2.5,
                                       .loss_count     = 2,
                                       .loss_min       = 1.2,
                                       .elapsed_s      = 0.5,
                                       .eval_step      = 2,
                                       .last_eval_loss = 1.1};
        if (model_checkpoint_save(seed, fuzz_model, &st, fuzz_hash, &err) != SF_OK) {
            fprintf(stderr, "fuzz_checkpoint: %s\n", err.message);
            exit(1);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *bytes = malloc(size > 0 ? size : 1);
    if (bytes == NULL) return 0;
    memcpy(bytes, data, size);
    if (size >= 8) {
        uLong crc = crc32(crc32(0L, Z_NULL, 0), bytes, (uInt)(size - 8));
        for (int k = 0; k < 4; k++)
            bytes[size - 8 + k] = (uint8_t)(crc >> (8 * k));
    }
    char path[64];
    int  fd = fuzz_file("checkpoint.bin", bytes, size, path);
    if (fd >= 0) {
        struct model_train_state st;
        struct sf_error          err;
        (void)model_checkpoint_load(path, fuzz_model, &st, fuzz_hash, &err);
        struct model_shape from;
        int64_t            step;
        (void)model_init_from(fuzz_model, path, &from, &step, &err);
        close(fd);
    }
    free(bytes);
    return 0;
}
