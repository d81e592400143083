/*
 * fuzz_data.c — libFuzzer harness: the readers of the file sources' data (each source's decode:
 * text bytes, uint16 token files, IDX image files gzip-compressed or not) and the IDX label
 * reader beside the images (model_idx_labels) on whatever bytes the fuzzer gives. The first byte
 * picks the reader, the next two its setting (tokens: n_vocab; image: resolution and levels;
 * labels: the images' count and the classes); the rest is the file, written to an in-memory file
 * and read by its /proc/self/fd path as a data file is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "internal.h"

static struct model_data_config fuzz_cfg; /* large (its paths): not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    static const enum model_source sources[3] = {MODEL_SOURCE_TEXT, MODEL_SOURCE_TOKENS,
                                                 MODEL_SOURCE_IMAGE};
    fuzz_cfg.source                           = sources[data[0] % 3];
    fuzz_cfg.n_vocab                          = 1 + (data[1] | data[2] << 8);
    fuzz_cfg.resolution                       = 1 + data[1] % 8;
    fuzz_cfg.levels                           = 2 + data[2] % 255;
    char path[64];
    int  fd = fuzz_file("data", data + 3, size - 3, path);
    if (fd < 0) return 0;
    if (data[0] % 4 == 3) {
        uint8_t        *lab;
        struct sf_error e;
        if (model_idx_labels(path, "images", (size_t)data[1] + 1, 2 + data[2] % 30, &lab, &e) ==
            SF_OK)
            free(lab);
        close(fd);
        return 0;
    }
    uint16_t                        *v = NULL;
    size_t                           n = 0, cap = 0;
    const struct model_token_buf     out = {&v, &n, &cap};
    struct sf_error                  err;
    const struct model_source_entry *src = model_source_get(fuzz_cfg.source);
    (void)src->ops->decode(&fuzz_cfg, path, (const char *)data + 3, size - 3, &out, &err);
    free(v);
    close(fd);
    return 0;
}
