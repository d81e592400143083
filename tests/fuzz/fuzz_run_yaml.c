/*
 * fuzz_run_yaml.c — libFuzzer harness: a run.yaml (model_config_load: libyaml's parse, every key
 * read and checked, the source's checks) from whatever bytes the fuzzer gives, written to an
 * in-memory file that the loader opens by its /proc/self/fd path; a configuration that loads is
 * emitted and hashed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("run.yaml", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
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
