/*
 * fuzz_sweep.c — libFuzzer harness: a sweep file (sweep_spec_load: parse and validate) and, when
 * it loads, its expansion into runs (sweep_expand), from whatever bytes the fuzzer gives, written
 * to an in-memory file opened by its /proc/self/fd path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("sweep.yaml", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct sweep_spec spec;
    struct sf_diags   diags;
    sf_diag_init(&diags);
    if (sweep_spec_load(path, &spec, &diags) == SF_OK) {
        struct sweep_run *runs = NULL;
        size_t            n    = 0;
        struct sf_diags   more;
        sf_diag_init(&more);
        if (sweep_expand(&spec, &runs, &n, &more) == SF_OK) free(runs);
        sf_diag_free(&more);
        sweep_spec_free(&spec);
    }
    sf_diag_free(&diags);
    close(fd);
    return 0;
}
