/*
 * fuzz_rundir.c — libFuzzer harness: the sweep's readers of what runs and the executors left in
 * the sweep directory, on whatever bytes the fuzzer gives. The input is cut at lines "----" into
 * up to six files: a run's metrics.csv, summary.yaml and status, the sweep's results.csv, and
 * the Slurm records slurm/jobs and slurm/submit-1.tasks (a part left out is a file that is
 * absent). Then: `scalefit status` on the given results.csv, the collection of results.csv and
 * curves.csv (sweep_collect), `scalefit status` on what it wrote, the metrics tail and the
 * summary's marks that progress reads, and the Slurm records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define FUZZ_PARTS 6
static const char *const fuzz_names[FUZZ_PARTS] = {"runs/r1/metrics.csv", "runs/r1/summary.yaml",
                                                   "runs/r1/status",      "results.csv",
                                                   "slurm/jobs",          "slurm/submit-1.tasks"};
static char              fuzz_dir[4000];
static char              fuzz_paths[FUZZ_PARTS][4096];
static struct sweep_run  fuzz_run;
static FILE             *fuzz_null;

static void fuzz_cleanup(void) {
    for (size_t i = 0; i < FUZZ_PARTS; i++)
        unlink(fuzz_paths[i]);
    char              p[4096];
    const char *const files[] = {"curves.csv", "runs/r1", "runs", "slurm", ""};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_dir, files[i]);
        if (unlink(p) != 0) rmdir(p);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/scalefit-fuzz-rundir.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(fuzz_dir) == NULL) {
        perror("fuzz_rundir: mkdtemp");
        exit(1);
    }
    const char *const dirs[2] = {"runs/r1", "slurm"};
    for (size_t i = 0; i < 2; i++) {
        char            p[4096];
        struct sf_error err;
        snprintf(p, sizeof p, "%s/%s", fuzz_dir, dirs[i]);
        if (sf_mkdir_p(p, &err) != SF_OK) {
            fprintf(stderr, "fuzz_rundir: %s\n", err.message);
            exit(1);
        }
    }
    for (size_t i = 0; i < FUZZ_PARTS; i++)
        snprintf(fuzz_paths[i], sizeof fuzz_paths[i], "%s/%s", fuzz_dir, fuzz_names[i]);
    snprintf(fuzz_run.id, sizeof fuzz_run.id, "r1");
    fuzz_run.cfg = model_config_default();
    fuzz_null    = fopen("/dev/null", "w");
    atexit(fuzz_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = (const char *)data, *end = p + size;
    for (size_t i = 0; i < FUZZ_PARTS; i++) {
        if (p == NULL) {
            unlink(fuzz_paths[i]);
            continue;
        }
        const char *cut = memmem(p, (size_t)(end - p), "\n----\n", 6);
        size_t      n   = cut ? (size_t)(cut - p) + 1 : (size_t)(end - p);
        FILE       *f   = fopen(fuzz_paths[i], "wb");
        if (f == NULL) return 0;
        size_t wrote = fwrite(p, 1, n, f);
        if (fclose(f) != 0 || wrote != n) return 0;
        p = cut ? cut + 6 : NULL;
    }
    struct sf_error err;
    (void)sweep_status_print(fuzz_dir, fuzz_null, &err);
    if (sweep_collect(&fuzz_run, 1, fuzz_dir, &err) == SF_OK)
        (void)sweep_status_print(fuzz_dir, fuzz_null, &err);
    char run_dir[4096];
    snprintf(run_dir, sizeof run_dir, "%s/runs/r1", fuzz_dir);
    int64_t step;
    double  loss, elapsed;
    sweep_metrics_tail(run_dir, &step, &loss, &elapsed);
    (void)sweep_loop_mark_read(run_dir);
    struct sweep_slurm_sub *subs = NULL;
    size_t                  n    = 0;
    char                    sdir[4096];
    snprintf(sdir, sizeof sdir, "%s/slurm", fuzz_dir);
    if (sweep_slurm_records_read(sdir, &subs, &n, &err) == SF_OK) {
        for (size_t i = 0; i < n; i++)
            sweep_slurm_sub_free(&subs[i]);
        free(subs);
    }
    return 0;
}
