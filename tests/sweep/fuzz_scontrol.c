/*
 * fuzz_scontrol.c — libFuzzer harness: the reader of `scontrol show job -o` output
 * (sweep_slurm_parse_jobs, with and without the script filter) and its field lookup, on whatever
 * bytes the fuzzer gives (made a string: the reader takes one).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size]             = '\0';
    const char *scripts[2] = {NULL, "/tmp/sweep/slurm/array-1.sh"};
    for (int k = 0; k < 2; k++) {
        struct sweep_slurm_task *tasks = NULL;
        size_t                   n     = 0;
        bool                     ours  = false;
        struct sf_error          err;
        if (sweep_slurm_parse_jobs(text, scripts[k], &tasks, &n, &ours, &err) == SF_OK) free(tasks);
    }
    char buf[256];
    (void)sweep_slurm_field(text, "JobState", buf, sizeof buf);
    free(text);
    return 0;
}
