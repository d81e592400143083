/*
 * slurm_cancel.c — the Slurm executor on a stop request: it asks whether to cancel the sweep's
 * arrays (scancel) and waits for their tasks to checkpoint, or leaves them running for a later
 * `scalefit run` to attach to.
 */
#include <stdlib.h>
#include <time.h>

#include "internal.h"

/* After scancel, how long to wait for the tasks to end so that their runs record it. */
static const double sweep_slurm_cancel_wait_seconds = 90;

/* Stops on a request: cancels the arrays (when asked to) and waits for their tasks to end, or
 * leaves them running. Returns SF_EINTERRUPTED with the message to show. */
enum sf_status sweep_slurm_stop(struct sweep_slurm_exec *x, struct sf_error *err) {
    x->stopping = true;
    struct sf_buf ids;
    sf_buf_init(&ids);
    size_t n_jobs = sweep_slurm_jobs_in_use(x, &ids);
    if (n_jobs == 0) {
        sf_buf_free(&ids);
        SF_FAIL(err, SF_EINTERRUPTED,
                "stopped: nothing of the sweep is queued in Slurm; run the same "
                "command again to submit the unfinished runs");
    }
    bool cancel = x->opt->ask_cancel != NULL && x->opt->ask_cancel(x->opt->ask_ctx);
    if (!cancel) {
        sweep_slurm_event(x, "stopped watching; array job%s %s left running",
                          n_jobs == 1 ? "" : "s", ids.data);
        sf_error_set(
            err, SF_EINTERRUPTED, NULL, __FILE__, __LINE__,
            "stopped watching the sweep; its Slurm job%s (%s) keep%s running: run the same command "
            "again to attach to %s (%s/jobs records them)",
            n_jobs == 1 ? "" : "s", ids.data, n_jobs == 1 ? "s" : "", n_jobs == 1 ? "it" : "them",
            x->sdir);
        sf_buf_free(&ids);
        return SF_EINTERRUPTED;
    }
    /* scancel JOB... for every array still in use. */
    char **argv = calloc(n_jobs + 2, sizeof *argv);
    size_t a    = 0;
    if (argv) {
        argv[a++] = (char *)"scancel";
        for (size_t k = 0; k < x->n_subs; k++)
            if (sweep_slurm_sub_in_use(x, k) && x->subs[k].job[0]) argv[a++] = x->subs[k].job;
        struct sf_buf o, e;
        sf_buf_init(&o);
        sf_buf_init(&e);
        int             rc = 0;
        struct sf_error er;
        if (sweep_slurm_command(argv, &o, &e, &rc, &er) != SF_OK || rc != 0) {
            char *line = sweep_slurm_first_line(&e);
            sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "scancel failed: %s",
                   line ? line : er.message);
            free(line);
        }
        sf_buf_free(&o);
        sf_buf_free(&e);
        free(argv);
    }
    sweep_slurm_event(x, "stopped: cancelled array job%s %s", n_jobs == 1 ? "" : "s", ids.data);
    sf_log(x->opt->log, SF_LOG_LEVEL_WARNING,
           "cancelled the sweep's Slurm job%s (%s); waiting for the "
           "trainers to checkpoint",
           n_jobs == 1 ? "" : "s", ids.data);
    double until = sf_now() + sweep_slurm_cancel_wait_seconds;
    for (;;) {
        sweep_slurm_refresh(x);
        bool any = false;
        for (size_t i = 0; i < x->n; i++)
            any |= x->ri[i].phase == SWEEP_SLURM_PHASE_ACTIVE;
        if (!any || sf_now() > until) break;
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
    sf_error_set(
        err, SF_EINTERRUPTED, NULL, __FILE__, __LINE__,
        "stopped: cancelled the sweep's Slurm job%s (%s); the unfinished runs are checkpointed: "
        "run the same command again to resubmit them",
        n_jobs == 1 ? "" : "s", ids.data);
    sf_buf_free(&ids);
    return SF_EINTERRUPTED;
}
