/*
 * status.c — `scalefit status DIR`: every run of a sweep directory with its state (pending,
 * running, done, diverged, failed, interrupted, and the reason), its progress in steps and its
 * last eval loss, then the sweep's totals. The run list is the sweep's results.csv, which the
 * runner writes before anything trains; the live state comes from each run's own folder.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum sf_status sweep_status_print(const char *out_dir, FILE *out, struct sf_error *err) {
    if (!sf_is_dir(out_dir)) SF_FAIL_AT(err, SF_EINVAL, out_dir, "no such sweep directory");
    char         *rp = sf_path_join(out_dir, "results.csv");
    struct sf_csv t;
    if (rp == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    if (!sf_path_exists(rp)) {
        free(rp);
        SF_FAIL_AT(err, SF_EINVAL, out_dir,
                   "not a sweep directory (no results.csv): run "
                   "`scalefit run SWEEP.yaml --out %s` first",
                   out_dir);
    }
    enum sf_status st = sf_csv_read(rp, &t, err);
    free(rp);
    if (st != SF_OK) return st;
    long c_run = sf_csv_column(&t, "run"), c_n = sf_csv_column(&t, "params_nonembed");
    if (c_run < 0 || c_n < 0) {
        sf_csv_free(&t);
        SF_FAIL_AT(err, SF_EINVAL, out_dir, "results.csv lacks DESIGN.md's columns");
    }
    size_t counts[6] = {0};
    fprintf(out, "%-24s %-11s %15s %10s %12s  %s\n", "run", "state", "step", "eval loss", "N",
            "reason");
    for (size_t i = 0; i < t.n_rows; i++) {
        const char            *id = t.rows[i].fields[c_run];
        struct sweep_run_state rs;
        sweep_run_state_read(out_dir, id, &rs);
        counts[rs.state]++;
        /* The planned steps, from the run's own configuration. */
        char               *dir  = sweep_run_dir(out_dir, id);
        char               *yml  = dir ? sf_path_join(dir, "run.yaml") : NULL;
        int64_t             plan = 0;
        struct model_config cfg;
        struct sf_diags     diags;
        sf_diag_init(&diags);
        if (yml && model_config_load(yml, &cfg, &diags) == SF_OK) plan = model_config_steps(&cfg);
        sf_diag_free(&diags);
        free(yml);
        free(dir);
        char step[48], loss[32];
        snprintf(step, sizeof step, "%lld/%lld", (long long)rs.step, (long long)plan);
        if (isfinite(rs.last_loss))
            snprintf(loss, sizeof loss, "%.5f", rs.last_loss);
        else
            snprintf(loss, sizeof loss, "-");
        fprintf(out, "%-24s %-11s %15s %10s %12s  %s\n", id, sweep_state_name(rs.state), step, loss,
                t.rows[i].fields[c_n], rs.reason);
    }
    fprintf(out,
            "%zu runs: %zu done, %zu running, %zu pending, %zu diverged, %zu failed, %zu "
            "interrupted\n",
            t.n_rows, counts[SWEEP_STATE_DONE], counts[SWEEP_STATE_RUNNING],
            counts[SWEEP_STATE_PENDING], counts[SWEEP_STATE_DIVERGED], counts[SWEEP_STATE_FAILED],
            counts[SWEEP_STATE_INTERRUPTED]);
    sf_csv_free(&t);
    return SF_OK;
}
