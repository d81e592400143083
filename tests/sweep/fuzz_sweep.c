/*
 * fuzz_sweep.c — libFuzzer harness: a sweep file (sweep_spec_load: parse and validate) and, when
 * it loads, its expansion into runs (sweep_expand), from whatever bytes the fuzzer gives, written
 * to an in-memory file opened by its /proc/self/fd path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int  fd = fuzz_file("sweep.yaml", data, size, path);
    if (fd < 0) return 0;
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
