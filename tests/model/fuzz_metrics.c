/*
 * fuzz_metrics.c — libFuzzer harness: the trainer's reading of a run's metrics.csv when it
 * resumes (model_metrics_cut: keep the complete rows up to the checkpoint's step, convert rows
 * under an older header) on whatever bytes the fuzzer gives. The first 2 bytes are the step; the
 * rest is the file, written into a scratch folder made once (the cut rewrites it atomically).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

static char fuzz_dir[4000], fuzz_path[4096];

static void fuzz_cleanup(void) {
    unlink(fuzz_path);
    rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/scalefit-fuzz-metrics.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(fuzz_dir) == NULL) {
        perror("fuzz_metrics: mkdtemp");
        exit(1);
    }
    snprintf(fuzz_path, sizeof fuzz_path, "%s/metrics.csv", fuzz_dir);
    atexit(fuzz_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    FILE *f = fopen(fuzz_path, "wb");
    if (f == NULL) return 0;
    size_t wrote = fwrite(data + 2, 1, size - 2, f);
    if (fclose(f) != 0 || wrote != size - 2) return 0;
    struct sf_error err;
    (void)model_metrics_cut(fuzz_path, (int64_t)(data[0] | data[1] << 8), &err);
    return 0;
}
