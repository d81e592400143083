/*
 * slurm_submit.c — submitting runs to Slurm: one job array per submission (its batch script and
 * task map written and recorded before sbatch runs, so that a command killed in between leaves a
 * trace), fresh runs and resubmissions apart, under OUT/slurm/lock after reading the record
 * again so that two `scalefit run` on one sweep never submit a run twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "internal.h"

/* The array's limit: the sweep's concurrency less what other arrays of it still run. */
static int64_t sweep_slurm_throttle_impl(const struct sweep_slurm_exec *x, size_t n_todo) {
    int64_t busy = 0;
    for (size_t k = 0; k < x->n_subs; k++)
        if (x->subs[k].active)
            for (size_t t = 0; t < x->subs[k].n_seen; t++)
                if (!sweep_slurm_state_terminal(x->subs[k].tasks[t].state)) busy++;
    int64_t throttle = x->opt->jobs - busy;
    if (throttle < 1) throttle = 1;
    if (throttle > (int64_t)n_todo) throttle = (int64_t)n_todo;
    return throttle;
}

/* Runs sbatch (argv) and reads the array job id it prints into job[n]. */
static enum sf_status sweep_slurm_sbatch_impl(char **argv, const char *script_path, char *job,
                                              size_t n, struct sf_error *err) {
    struct sf_buf out, errb;
    sf_buf_init(&out);
    sf_buf_init(&errb);
    int            rc = 0;
    enum sf_status st = sweep_slurm_command(argv, &out, &errb, &rc, err);
    if (st == SF_OK && rc != 0) {
        char *line = sweep_slurm_first_line(&errb);
        st         = SF_SET(err, SF_EIO,
                            "sbatch refused the sweep's job array (exit %d): %s (the batch script "
                                    "is %s)",
                            rc, line ? line : "", script_path);
        free(line);
    }
    if (st == SF_OK) {
        /* --parsable prints "JOBID" or "JOBID;CLUSTER". */
        const char *o = out.data ? out.data : "";
        size_t      k = strspn(o, "0123456789");
        if (k == 0 || k >= n)
            st = SF_SET(err, SF_EIO, "sbatch printed no job id ('%.100s')", o);
        else
            snprintf(job, n, "%.*s", (int)k, o);
    }
    sf_buf_free(&out);
    sf_buf_free(&errb);
    return st;
}

/* Marks the runs of a submission made (the latest, `mine`) as queued in Slurm and says so. */
static void sweep_slurm_activate_impl(struct sweep_slurm_exec *x, const size_t *todo, size_t n_todo,
                                      bool resubmit, const struct sweep_slurm_sub *mine,
                                      const char *script_path) {
    for (size_t t = 0; t < n_todo; t++) {
        size_t i           = todo[t];
        x->ri[i].phase     = SWEEP_SLURM_PHASE_ACTIVE;
        x->ri[i].sub       = (long)(x->n_subs - 1);
        x->ri[i].task      = t;
        x->ri[i].restarts  = 0;
        x->ri[i].resubmits = resubmit ? x->ri[i].resubmits + 1 : 0;
        x->ri[i].resubmit  = false;
        /* A failure recorded by an earlier attempt is history now. */
        struct sweep_run_state rs;
        sweep_run_state_read(x->out, x->runs[i].id, &rs);
        if (rs.state == SWEEP_STATE_FAILED) sweep_slurm_status_write(x, i, "pending", NULL);
        x->ri[i].status_mtime = sweep_slurm_status_mtime(x, i);
    }
    sf_log(x->opt->log, SF_LOG_LEVEL_INFO,
           "submitted %zu run%s to Slurm as array job %s (%s, at most %lld at a time)", n_todo,
           n_todo == 1 ? "" : "s", mine->job, script_path, (long long)mine->throttle);
    sweep_slurm_event(x, "submission %lld: array job %s, %zu task%s (%s), at most %lld at a time",
                      (long long)mine->number, mine->job, n_todo, n_todo == 1 ? "" : "s",
                      resubmit ? "resubmitted" : "fresh", (long long)mine->throttle);
}

/* Runs sbatch for one submission and records it. `todo` lists the runs (indices into runs). */
static enum sf_status sweep_slurm_submit_impl(struct sweep_slurm_exec *x, const size_t *todo,
                                              size_t n_todo, bool resubmit, struct sf_error *err) {
    int64_t                throttle = sweep_slurm_throttle_impl(x, n_todo);
    struct sweep_slurm_sub s;
    memset(&s, 0, sizeof s);
    s.number         = x->n_subs ? x->subs[x->n_subs - 1].number + 1 : 1;
    s.resubmit       = resubmit;
    s.throttle       = throttle;
    s.n_tasks        = n_todo;
    s.run_ids        = calloc(n_todo, sizeof *s.run_ids);
    s.steps          = calloc(n_todo, sizeof *s.steps);
    const char **ids = calloc(n_todo, sizeof *ids);
    sweep_slurm_utc(s.when, sizeof s.when);
    char *script_path = sf_strdup_printf("%s/submit-%lld.sh", x->sdir, (long long)s.number);
    if (!s.run_ids || !s.steps || !ids || !script_path) {
        free(ids), free(script_path), sweep_slurm_sub_free(&s);
        SF_FAIL(err, SF_ENOMEM, "out of memory submitting to Slurm");
    }
    struct sf_buf map;
    sf_buf_init(&map);
    sf_buf_puts(&map, "# task run step-when-submitted\n");
    for (size_t t = 0; t < n_todo; t++) {
        const struct sweep_run *r   = &x->runs[todo[t]];
        char                   *dir = sweep_run_dir(x->out, r->id);
        snprintf(s.run_ids[t], 48, "%s", r->id);
        s.steps[t] = dir ? sweep_slurm_step(dir) : 0;
        if (dir) x->ri[todo[t]].mark = sweep_loop_mark_read(dir);
        ids[t] = r->id;
        sf_buf_printf(&map, "%zu %s %lld\n", t, r->id, (long long)s.steps[t]);
        free(dir);
    }
    const struct sweep_spec  *spec   = x->spec;
    struct sweep_slurm_submit sub    = {&spec->slurm,
                                        spec->name,
                                        x->out,
                                        x->opt->scalefit,
                                        script_path,
                                        s.number,
                                        throttle,
                                     spec->slurm.cpus_per_task > 0
                                            ? spec->slurm.cpus_per_task
                                            : (spec->base.threads > 0 ? spec->base.threads : 1),
                                        ids,
                                        n_todo};
    char                     *script = NULL, **argv = NULL, *name = NULL;
    enum sf_status            st = sweep_slurm_submission(&sub, &script, &argv, err);
    if (st == SF_OK && (name = sf_strdup_printf("submit-%lld.tasks", (long long)s.number)) == NULL)
        st = SF_SET(err, SF_ENOMEM, "out of memory");
    if (st == SF_OK) st = sf_write_buf_at(x->sdir, name, &map, err);
    if (st == SF_OK) st = sf_write_atomic(script_path, script, strlen(script), err);
    if (st == SF_OK) chmod(script_path, 0755);
    /* Recorded before sbatch runs, so that a command killed in between leaves a trace that the
     * next one follows (sweep_slurm_recover). */
    struct sweep_slurm_sub *mine = NULL;
    if (st == SF_OK) {
        struct sweep_slurm_sub *g = realloc(x->subs, (x->n_subs + 1) * sizeof *g);
        if (g == NULL) {
            st = SF_SET(err, SF_ENOMEM, "out of memory");
        } else {
            x->subs              = g;
            x->subs[x->n_subs++] = s;
            memset(&s, 0, sizeof s);
            mine = &x->subs[x->n_subs - 1];
            st   = sweep_slurm_records_write(x->sdir, x->subs, x->n_subs, err);
        }
    }
    if (st == SF_OK)
        st = sweep_slurm_sbatch_impl(argv, script_path, mine->job, sizeof mine->job, err);
    if (st != SF_OK && mine != NULL) {
        /* Nothing was submitted (or nothing we can follow): forget the record. */
        sweep_slurm_sub_free(mine);
        x->n_subs--;
        mine = NULL;
        struct sf_error ignored;
        sweep_slurm_records_write(x->sdir, x->subs, x->n_subs, &ignored);
    }
    if (st == SF_OK) st = sweep_slurm_records_write(x->sdir, x->subs, x->n_subs, err);
    if (st == SF_OK) {
        mine->polled = false;
        mine->active = true;
        sweep_slurm_activate_impl(x, todo, n_todo, resubmit, mine, script_path);
    }
    sf_buf_free(&map);
    sweep_slurm_args_free(argv);
    free(script);
    free(name);
    free(ids);
    free(script_path);
    sweep_slurm_sub_free(&s);
    return st;
}

/* The runs of stages, which wait for their parents: due once the parent is done, failed when
 * it ended failed or diverged, left pending (ended for this command) when it ended otherwise
 * (interrupted, skipped). */
static void sweep_slurm_gate_impl(struct sweep_slurm_exec *x) {
    for (size_t i = 0; i < x->n; i++) {
        struct sweep_slurm_runinfo *r = &x->ri[i];
        if (!x->runs[i].has_parent ||
            (r->phase != SWEEP_SLURM_PHASE_TODO && r->phase != SWEEP_SLURM_PHASE_WAIT))
            continue;
        size_t p = x->runs[i].parent;
        if (x->ri[p].phase != SWEEP_SLURM_PHASE_END) {
            r->phase = SWEEP_SLURM_PHASE_WAIT;
            continue;
        }
        struct sweep_run_state ps;
        sweep_run_state_read(x->out, x->runs[p].id, &ps);
        if (ps.state == SWEEP_STATE_DONE) {
            r->phase = SWEEP_SLURM_PHASE_TODO;
        } else if (ps.state == SWEEP_STATE_FAILED || ps.state == SWEEP_STATE_DIVERGED) {
            r->phase  = SWEEP_SLURM_PHASE_END;
            char *why = sf_strdup_printf("parent run %s ended %s", x->runs[p].id,
                                         sweep_state_name(ps.state));
            x->res->n_failed++;
            if (why) sweep_slurm_status_write(x, i, "failed", why);
            sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s", x->runs[i].id,
                   why ? why : "its parent did not end done");
            free(why);
        } else {
            r->phase = SWEEP_SLURM_PHASE_END;
            sf_log(x->opt->log, SF_LOG_LEVEL_INFO, "run %s stays pending: its parent run %s is %s",
                   x->runs[i].id, x->runs[p].id, sweep_state_name(ps.state));
        }
    }
}

/* Submits the runs waiting for it (fresh or resubmitted) under OUT/slurm/lock, after reading
 * the record again: another `scalefit run` on this sweep may have submitted them meanwhile. A
 * stage's run is due once its parent is done. */
enum sf_status sweep_slurm_submit_due(struct sweep_slurm_exec *x, struct sf_error *err) {
    sweep_slurm_gate_impl(x);
    size_t n_due = 0;
    for (size_t i = 0; i < x->n; i++)
        n_due += x->ri[i].phase == SWEEP_SLURM_PHASE_TODO;
    if (n_due == 0) return SF_OK;
    while (flock(x->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            SF_FAIL(err, SF_EIO, "cannot lock %s/lock: %s", x->sdir, strerror(errno));
    struct sweep_slurm_sub *subs;
    size_t                  n_subs;
    enum sf_status          st = sweep_slurm_records_read(x->sdir, &subs, &n_subs, err);
    if (st == SF_OK) {
        /* Submissions made by someone else since we last looked. */
        int64_t last = x->n_subs ? x->subs[x->n_subs - 1].number : 0;
        for (size_t k = 0; k < n_subs; k++) {
            if (subs[k].number <= last) {
                sweep_slurm_sub_free(&subs[k]);
                continue;
            }
            struct sweep_slurm_sub *g = realloc(x->subs, (x->n_subs + 1) * sizeof *g);
            if (g == NULL) {
                sweep_slurm_sub_free(&subs[k]);
                continue;
            }
            x->subs            = g;
            x->subs[x->n_subs] = subs[k];
            sweep_slurm_poll(x, &x->subs[x->n_subs]);
            x->n_subs++;
            for (size_t t = 0; t < subs[k].n_tasks; t++)
                for (size_t i = 0; i < x->n; i++)
                    if (x->ri[i].phase == SWEEP_SLURM_PHASE_TODO &&
                        strcmp(subs[k].run_ids[t], x->runs[i].id) == 0) {
                        x->ri[i].phase        = SWEEP_SLURM_PHASE_ACTIVE;
                        x->ri[i].sub          = (long)(x->n_subs - 1);
                        x->ri[i].task         = t;
                        x->ri[i].status_mtime = sweep_slurm_status_mtime(x, i);
                        x->ri[i].mark         = sweep_slurm_mark(x, i);
                        sf_log(x->opt->log, SF_LOG_LEVEL_INFO,
                               "run %s: submitted meanwhile by another "
                               "scalefit run (array job %s); following it",
                               x->runs[i].id, subs[k].job);
                    }
        }
        free(subs);
        for (int pass = 0; pass < 2 && st == SF_OK; pass++) {
            bool    resubmit = pass == 1;
            size_t *todo     = calloc(x->n, sizeof *todo);
            size_t  n_todo   = 0;
            if (todo == NULL) {
                st = SF_SET(err, SF_ENOMEM, "out of memory");
                break;
            }
            /* Longest first, as the local executor does: the array starts tasks in index order. */
            for (size_t i = 0; i < x->n; i++)
                if (x->ri[i].phase == SWEEP_SLURM_PHASE_TODO && x->ri[i].resubmit == resubmit)
                    todo[n_todo++] = i;
            for (size_t a = 1; a < n_todo; a++)
                for (size_t b = a;
                     b > 0 && x->runs[todo[b]].flops_exact > x->runs[todo[b - 1]].flops_exact;
                     b--) {
                    size_t tmp  = todo[b];
                    todo[b]     = todo[b - 1];
                    todo[b - 1] = tmp;
                }
            if (n_todo > 0) st = sweep_slurm_submit_impl(x, todo, n_todo, resubmit, err);
            if (st != SF_OK && resubmit) {
                /* The sweep's other arrays may still run: give these runs up for this command
                 * (they are checkpointed) rather than abandon everything. */
                for (size_t t = 0; t < n_todo; t++) {
                    size_t i       = todo[t];
                    x->ri[i].phase = SWEEP_SLURM_PHASE_END;
                    x->res->n_interrupted++;
                    char *why = sf_strdup_printf(
                        "its resubmission failed: %s; run the same command again", err->message);
                    if (why) sweep_slurm_status_write(x, i, "interrupted", why);
                    free(why);
                }
                sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "could not resubmit %zu run%s: %s",
                       n_todo, n_todo == 1 ? "" : "s", err->message);
                st = SF_OK;
            }
            free(todo);
        }
    }
    flock(x->lock_fd, LOCK_UN);
    return st;
}
