/*
 * fuzz_run_yaml.c — libFuzzer harness: a run.yaml (model_config_load: libyaml's parse, every key
 * read and checked, the source's checks) from whatever bytes the fuzzer gives, written to an
 * in-memory file that the loader opens by its /proc/self/fd path; a configuration that loads is
 * emitted and hashed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int  fd = fuzz_file("run.yaml", data, size, path);
    if (fd < 0) return 0;
    struct model_config cfg;
    struct sf_diags     diags;
    sf_diag_init(&diags);
    if (model_config_load(path, &cfg, &diags) == SF_OK) {
        char           *text = NULL;
        char            hex[65];
        struct sf_error err;
        if (model_config_emit(&cfg, &text, &err) == SF_OK) free(text);
        (void)model_config_hash(&cfg, hex, &err);
    }
    sf_diag_free(&diags);
    close(fd);
    return 0;
}
