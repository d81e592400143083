/*
 * local.c — the local executor: up to `jobs` `scalefit train --run-dir DIR` processes at once
 * (the common child-process runner: fork/exec, never a shell), the longest runs first. A diverged
 * or crashed run is recorded and the sweep goes on; a run whose lock another process holds is
 * waited for, never trained twice; on a stop request the trainers are asked to checkpoint (SIGTERM)
 * and waited for. Each trainer's stdout and stderr go to OUT/runs/ID/stderr.txt.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How often the executor looks at its children and the clock. */
static const double sweep_poll_seconds     = 0.1;
static const double sweep_progress_seconds = 0.5;
/* Times a run whose trainer could not take its lock is queued again. */
static const unsigned char sweep_max_retries = 3;

struct sweep_child {
    pid_t  pid;
    size_t run;
    double start;
    /* Its metrics.csv as first and last seen (step, the trainer's elapsed_s) and when the last
     * step was seen: the measured pace that corrects the estimates for the ETA. */
    int64_t                step0, step1;
    double                 elapsed0, elapsed1, seen1;
    struct sweep_loop_mark mark; /* summary.yaml's timing before it started */
};

/* The ETA in seconds. Each run this process is to train (runs another process holds are left
 * out) has its seconds left: a running run with two metrics lines seen, its steps to go at its
 * own measured pace; any other, its estimate × `left` (the fraction of its steps to go) ×
 * `scale` (measured over estimated time of all runs). A running run's time since its last
 * metrics line counts as done. The sum is shared by the jobs, but the ETA is never less than the
 * longest single run left. NAN when a run has no estimate. */
static double sweep_eta_impl(const struct sweep_run *runs, const double *est, const double *left,
                             const bool *finished, size_t n, const size_t *waiting,
                             size_t n_waiting, const struct sweep_child *child, size_t n_child,
                             double scale, size_t jobs, double now) {
    double sum = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        bool elsewhere = false;
        for (size_t w = 0; w < n_waiting; w++)
            elsewhere |= waiting[w] == i;
        if (finished[i] || elsewhere) continue;
        if (!isfinite(est[i])) return NAN;
        double t = est[i] * left[i] * scale;
        for (size_t c = 0; c < n_child; c++) {
            const struct sweep_child *ch = &child[c];
            if (ch->run != i || ch->step0 < 0 || ch->step1 <= ch->step0) continue;
            double per_step = (ch->elapsed1 - ch->elapsed0) / (double)(ch->step1 - ch->step0);
            if (isfinite(per_step) && per_step > 0)
                t = per_step * (double)(runs[i].steps - ch->step1);
            t = fmax(0, t - (now - ch->seen1));
        }
        sum += t;
        longest = fmax(longest, t);
    }
    return fmax(sum / (double)jobs, longest);
}

/* Starts one trainer (`scalefit train --run-dir DIR`, its stdout and stderr appended to
 * DIR/stderr.txt). Returns its pid, or -1 with err set. */
static pid_t sweep_spawn_impl(const char *scalefit, const char *run_dir, struct sf_error *err) {
    char *log = sf_path_join(run_dir, "stderr.txt");
    if (log == NULL) {
        SF_SET(err, SF_ENOMEM, "out of memory");
        return -1;
    }
    char *argv[] = {(char *)"scalefit", (char *)"train", (char *)"--run-dir", (char *)run_dir,
                    NULL};
    struct sf_process_spec spec = {.argv = argv, .program = scalefit, .log_path = log};
    pid_t                  pid  = -1;
    enum sf_status         st   = sf_process_start(&spec, &pid, err);
    free(log);
    return st == SF_OK ? pid : -1;
}

/* Records a failure the trainer could not record itself (it crashed or could not start). */
static void sweep_write_failed_impl(const char *run_dir, const char *reason) {
    char           *path = sf_path_join(run_dir, "status");
    char           *text = sf_strdup_printf("failed: %s\n", reason);
    struct sf_error err;
    if (path && text) sf_write_atomic(path, text, strlen(text), &err);
    free(path);
    free(text);
}

/* Order of runs: longest (most exact FLOPs) first; ties by sweep order. */
struct sweep_order {
    double flops;
    size_t index;
};

static int sweep_order_cmp_impl(const void *a, const void *b) {
    const struct sweep_order *x = a, *y = b;
    if (x->flops != y->flops) return x->flops < y->flops ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Appends run i to the queue (capacity n: a run is queued at most once at a time), moving the
 * live entries to the front when the end is reached. */
static void sweep_queue_push_impl(size_t *queue, size_t cap, size_t *head, size_t *n_queue,
                                  size_t i) {
    if (*n_queue == cap) {
        memmove(queue, queue + *head, (*n_queue - *head) * sizeof *queue);
        *n_queue -= *head;
        *head = 0;
    }
    SF_ASSERT(*n_queue < cap);
    queue[(*n_queue)++] = i;
}

static void sweep_sleep_impl(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* The executor's state: the runs, what is queued, waiting (held by another process), running
 * and finished, and the measured pace. */
struct sweep_local {
    const struct sweep_run          *runs;
    size_t                           n, jobs;
    const char                      *out_dir;
    const struct sweep_exec_options *opt;
    struct sweep_exec_result        *res;
    double                           t0;
    struct sweep_order              *order;
    size_t                          *queue, *waiting;
    size_t                           n_queue, n_waiting, head;
    bool                            *finished;
    unsigned char                   *retries;
    struct sweep_child              *child;
    size_t                           n_child;
    /* The display's rows (one per running trainer). */
    const char **ids;
    int64_t     *steps, *total;
    double      *loss;
    /* Time estimates order the runs (longest first) and give the ETA. */
    double *est, *left;
    double  took_real, took_est; /* trained here: measured against estimated seconds */
    bool    stopping;
};

static bool sweep_local_alloc_impl(struct sweep_local *x) {
    size_t n = x->n ? x->n : 1, jobs = x->jobs;
    x->order    = calloc(n, sizeof *x->order);
    x->queue    = calloc(n, sizeof *x->queue);
    x->waiting  = calloc(n, sizeof *x->waiting);
    x->finished = calloc(n, sizeof *x->finished);
    x->retries  = calloc(n, sizeof *x->retries);
    x->child    = calloc(jobs, sizeof *x->child);
    x->ids      = calloc(jobs, sizeof *x->ids);
    x->steps    = calloc(jobs, sizeof *x->steps);
    x->total    = calloc(jobs, sizeof *x->total);
    x->loss     = calloc(jobs, sizeof *x->loss);
    x->est      = calloc(n, sizeof *x->est);
    x->left     = calloc(n, sizeof *x->left);
    return x->order && x->queue && x->waiting && x->finished && x->retries && x->child && x->ids &&
           x->steps && x->total && x->loss && x->est && x->left;
}

static void sweep_local_free_impl(struct sweep_local *x) {
    free(x->order), free(x->queue), free(x->waiting), free(x->finished), free(x->retries);
    free(x->child), free(x->ids), free(x->steps), free(x->total), free(x->loss), free(x->est);
    free(x->left);
}

static void sweep_local_push_impl(struct sweep_local *x, size_t i) {
    sweep_queue_push_impl(x->queue, x->n, &x->head, &x->n_queue, i);
}

/* Orders the runs longest first and sorts them into finished, waiting (locked by another
 * process) and queued. */
static void sweep_local_plan_impl(struct sweep_local *x) {
    const struct sweep_run *runs = x->runs;
    sweep_estimate_seconds(runs, x->n, x->est);
    for (size_t i = 0; i < x->n; i++)
        x->order[i] =
            (struct sweep_order){isfinite(x->est[i]) ? x->est[i] : runs[i].flops_exact, i};
    qsort(x->order, x->n, sizeof *x->order, sweep_order_cmp_impl);
    for (size_t k = 0; k < x->n; k++) {
        size_t                 i = x->order[k].index;
        struct sweep_run_state st;
        sweep_run_state_read(x->out_dir, runs[i].id, &st);
        if (st.state == SWEEP_STATE_DONE || st.state == SWEEP_STATE_DIVERGED) {
            x->finished[i] = true;
            continue;
        }
        if (st.locked)
            x->waiting[x->n_waiting++] = i;
        else
            sweep_local_push_impl(x, i);
        /* A run resumed from a checkpoint has only the rest of its steps to go. */
        x->left[i] = runs[i].steps > 0 ? 1 - fmin(1, (double)st.step / (double)runs[i].steps) : 1;
    }
}

/* Asks every trainer to checkpoint and stop. */
static void sweep_local_stop_impl(struct sweep_local *x) {
    x->stopping = true;
    for (size_t c = 0; c < x->n_child; c++)
        sf_process_signal(x->child[c].pid, false, SIGTERM);
}

/* Runs locked elsewhere: takes them back when their holder is gone. */
static void sweep_local_take_back_impl(struct sweep_local *x) {
    for (size_t w = 0; w < x->n_waiting;) {
        size_t                 i = x->waiting[w];
        struct sweep_run_state st;
        sweep_run_state_read(x->out_dir, x->runs[i].id, &st);
        if (st.locked) {
            w++;
            continue;
        }
        x->waiting[w] = x->waiting[--x->n_waiting];
        if (st.state == SWEEP_STATE_DONE || st.state == SWEEP_STATE_DIVERGED) {
            x->finished[i] = true;
            if (st.state == SWEEP_STATE_DONE)
                x->res->n_done++;
            else
                x->res->n_diverged++;
        } else {
            sweep_local_push_impl(x, i);
        }
    }
}

/* Whether run p is still to be trained by this executor: running, queued or waiting. */
static bool sweep_local_coming_impl(const struct sweep_local *x, size_t p) {
    for (size_t c = 0; c < x->n_child; c++)
        if (x->child[c].run == p) return true;
    for (size_t k = x->head; k < x->n_queue; k++)
        if (x->queue[k] == p) return true;
    for (size_t w = 0; w < x->n_waiting; w++)
        if (x->waiting[w] == p) return true;
    return false;
}

/* What to do with queued run i of a stage, whose parent must be done first. */
enum sweep_local_gate { SWEEP_GATE_GO, SWEEP_GATE_LATER, SWEEP_GATE_DROP, SWEEP_GATE_FAILED };

static enum sweep_local_gate sweep_local_gate_impl(struct sweep_local *x, size_t i) {
    const struct sweep_run *r = &x->runs[i];
    if (!r->has_parent) return SWEEP_GATE_GO;
    size_t p = r->parent;
    if (!x->finished[p]) return sweep_local_coming_impl(x, p) ? SWEEP_GATE_LATER : SWEEP_GATE_DROP;
    struct sweep_run_state st;
    sweep_run_state_read(x->out_dir, x->runs[p].id, &st);
    if (st.state == SWEEP_STATE_DONE) return SWEEP_GATE_GO;
    /* A parent that ended failed or diverged: its children cannot start from it. */
    char *dir = sweep_run_dir(x->out_dir, r->id);
    char *reason =
        sf_strdup_printf("parent run %s ended %s", x->runs[p].id, sweep_state_name(st.state));
    if (dir && reason) sweep_write_failed_impl(dir, reason);
    sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s", r->id,
           reason ? reason : "its parent did not end done");
    free(dir);
    free(reason);
    x->res->n_failed++;
    x->finished[i] = true;
    return SWEEP_GATE_FAILED;
}

/* Starts queued runs while fewer than `jobs` trainers run. A stage's run waits in the queue until
 * its parent is done; it is failed when the parent failed or diverged, and left pending (out of
 * the queue) when the parent will not be trained this time (interrupted). */
static enum sf_status sweep_local_start_impl(struct sweep_local *x, struct sf_error *err) {
    enum sf_status status   = SF_OK;
    size_t         deferred = 0;
    while (!x->stopping && x->n_child < x->jobs && x->head < x->n_queue &&
           deferred < x->n_queue - x->head) {
        size_t                i    = x->queue[x->head++];
        enum sweep_local_gate gate = sweep_local_gate_impl(x, i);
        if (gate == SWEEP_GATE_LATER) {
            sweep_local_push_impl(x, i);
            deferred++;
            continue;
        }
        if (gate == SWEEP_GATE_DROP)
            sf_log(x->opt->log, SF_LOG_LEVEL_INFO,
                   "run %s stays pending: its parent run %s will not finish in this invocation",
                   x->runs[i].id, x->runs[x->runs[i].parent].id);
        if (gate != SWEEP_GATE_GO) continue;
        deferred  = 0;
        char *dir = sweep_run_dir(x->out_dir, x->runs[i].id);
        if (dir == NULL) {
            /* Out of memory: stop like on a signal, so the trainers are reaped. */
            status = SF_SET(err, SF_ENOMEM, "out of memory");
            sweep_local_stop_impl(x);
            break;
        }
        if (sweep_run_locked(dir, NULL)) {
            x->waiting[x->n_waiting++] = i;
            free(dir);
            continue;
        }
        struct sf_error        e;
        struct sweep_loop_mark mark = sweep_loop_mark_read(dir);
        pid_t                  pid  = sweep_spawn_impl(x->opt->scalefit, dir, &e);
        if (pid < 0) {
            sweep_write_failed_impl(dir, e.message);
            x->res->n_failed++;
            x->finished[i] = true;
            sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s: %s", x->runs[i].id, e.message);
        } else {
            x->child[x->n_child++] =
                (struct sweep_child){pid, i, sf_now(), -1, -1, NAN, NAN, NAN, mark};
            sf_log(x->opt->log, SF_LOG_LEVEL_DEBUG, "run %s started (pid %ld)", x->runs[i].id,
                   (long)pid);
        }
        free(dir);
    }
    return status;
}

/* Judges run i whose trainer ended (`ended`: with wait status `ws`; else it could not be waited
 * for) and counts it; *trained is set when its whole run was trained (done or diverged). Returns
 * what happened, in words (`buf` may hold it). */
static const char *sweep_local_judge_impl(struct sweep_local *x, size_t i, bool ended, int ws,
                                          const char *dir, bool *trained, char *buf, size_t n) {
    struct sweep_exec_result *res = x->res;
    struct sweep_run_state    st;
    sweep_run_state_read(x->out_dir, x->runs[i].id, &st);
    bool exited = ended && WIFEXITED(ws), signaled = ended && WIFSIGNALED(ws);
    int  code = exited ? WEXITSTATUS(ws) : -1;
    *trained  = false;
    if (exited && code == 0) {
        res->n_done++;
        x->finished[i] = *trained = true;
        return "done";
    }
    if (exited && code == 3) {
        res->n_diverged++;
        x->finished[i] = *trained = true;
        return "diverged";
    }
    if (exited && code == 4) {
        res->n_interrupted++;
        return "interrupted (checkpointed)";
    }
    if (signaled && (WTERMSIG(ws) == SIGTERM || WTERMSIG(ws) == SIGINT || WTERMSIG(ws) == SIGHUP)) {
        /* A stop request that arrived before the trainer could catch it: nothing was lost
         * beyond the last checkpoint, and the run resumes next time. */
        res->n_interrupted++;
        snprintf(buf, n,
                 "stopped by signal %d before it could checkpoint (resumes from its last "
                 "checkpoint)",
                 WTERMSIG(ws));
        return buf;
    }
    if (st.locked) {
        /* Another process took the run first: wait for it instead. */
        x->waiting[x->n_waiting++] = i;
        return "held by another process; waiting for it";
    }
    if (exited && code == 1 && (st.state == SWEEP_STATE_DONE || st.state == SWEEP_STATE_DIVERGED)) {
        /* Another process held the run and has finished it meanwhile. */
        x->finished[i] = true;
        if (st.state == SWEEP_STATE_DONE)
            res->n_done++;
        else
            res->n_diverged++;
        return "finished by another process";
    }
    if (exited && code == 1 && st.state != SWEEP_STATE_FAILED &&
        x->retries[i]++ < sweep_max_retries) {
        /* The trainer failed without recording why (its lock was taken by another process that
         * has gone since): try again. */
        sweep_local_push_impl(x, i);
        return "could not take its lock; queued again";
    }
    char reason[640];
    if (signaled)
        snprintf(reason, sizeof reason, "the trainer was killed by signal %d (%s)", WTERMSIG(ws),
                 strsignal(WTERMSIG(ws)));
    else
        snprintf(reason, sizeof reason, "%s",
                 st.state == SWEEP_STATE_FAILED && st.reason[0] ? st.reason : "the trainer failed");
    if (signaled && dir) sweep_write_failed_impl(dir, reason);
    res->n_failed++;
    x->finished[i] = true;
    sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s (see %s/stderr.txt)",
           x->runs[i].id, reason, dir ? dir : "its folder");
    return "failed";
}

/* Reaps the trainers that have ended, judges their runs and adds their pace to the measured. */
static void sweep_local_reap_impl(struct sweep_local *x) {
    const struct sweep_run *runs = x->runs;
    for (size_t c = 0; c < x->n_child;) {
        struct sweep_child   *ch = &x->child[c];
        int                   ws = 0;
        enum sf_process_state ps = sf_process_reap(ch->pid, false, &ws);
        if (ps == SF_PROCESS_STATE_RUNNING) {
            c++;
            continue;
        }
        size_t i   = ch->run;
        char  *dir = sweep_run_dir(x->out_dir, runs[i].id);
        x->res->train_seconds += sf_now() - ch->start;
        if (dir) x->res->loop_seconds += sweep_loop_added(ch->mark, sweep_loop_mark_read(dir));
        char        what_buf[160];
        bool        trained;
        const char *what = sweep_local_judge_impl(x, i, ps == SF_PROCESS_STATE_ENDED, ws, dir,
                                                  &trained, what_buf, sizeof what_buf);
        if (x->finished[i]) {
            /* Its pace from its first metrics line seen here to its last, in the trainer's own
             * clock (a run that ended before a line was seen gives no sample). */
            int64_t step_end = 0;
            double  unused, elapsed_end = NAN;
            if (dir) sweep_metrics_tail(dir, &step_end, &unused, &elapsed_end);
            if (trained && ch->step0 >= 0 && step_end > ch->step0 && isfinite(elapsed_end) &&
                runs[i].steps > 0 && isfinite(x->est[i])) {
                x->took_real += elapsed_end - ch->elapsed0;
                x->took_est += x->est[i] * (double)(step_end - ch->step0) / (double)runs[i].steps;
            }
            x->left[i] = 0;
        }
        sf_log(x->opt->log, SF_LOG_LEVEL_INFO, "run %s: %s", runs[i].id, what);
        free(dir);
        x->child[c] = x->child[--x->n_child];
    }
}

/* Reads each running trainer's metrics (its step, loss and pace) and shows the progress. */
static void sweep_local_progress_impl(struct sweep_local *x, double now) {
    const struct sweep_run *runs      = x->runs;
    double                  pace_real = x->took_real, pace_est = x->took_est;
    for (size_t c = 0; c < x->n_child; c++) {
        struct sweep_child *ch      = &x->child[c];
        size_t              i       = ch->run;
        char               *dir     = sweep_run_dir(x->out_dir, runs[i].id);
        double              elapsed = NAN;
        x->ids[c]                   = runs[i].id;
        x->total[c]                 = runs[i].steps;
        x->steps[c]                 = 0;
        x->loss[c]                  = NAN;
        if (dir) sweep_metrics_tail(dir, &x->steps[c], &x->loss[c], &elapsed);
        free(dir);
        if (isfinite(elapsed) && ch->step0 < 0) {
            ch->step0 = x->steps[c], ch->elapsed0 = elapsed;
        } else if (isfinite(elapsed) && x->steps[c] > ch->step0 && x->steps[c] != ch->step1) {
            ch->step1 = x->steps[c], ch->elapsed1 = elapsed, ch->seen1 = now;
        }
        if (x->total[c] > 0) x->left[i] = 1 - fmin(1, (double)x->steps[c] / (double)x->total[c]);
        if (ch->step1 > ch->step0 && ch->step0 >= 0 && isfinite(x->est[i]) && x->total[c] > 0) {
            pace_real += ch->elapsed1 - ch->elapsed0;
            pace_est += x->est[i] * (double)(ch->step1 - ch->step0) / (double)x->total[c];
        }
    }
    size_t n_finished = 0;
    for (size_t i = 0; i < x->n; i++)
        n_finished += x->finished[i];
    struct sweep_progress p;
    memset(&p, 0, sizeof p);
    p.n_runs     = x->n;
    p.n_done     = n_finished;
    p.n_running  = x->n_child;
    p.n_pending  = x->n - n_finished - x->n_child;
    p.n_failed   = x->res->n_failed + x->res->n_diverged;
    p.elapsed_s  = now - x->t0;
    double scale = pace_est > 0 ? pace_real / pace_est : 1;
    p.eta_s    = sweep_eta_impl(runs, x->est, x->left, x->finished, x->n, x->waiting, x->n_waiting,
                                x->child, x->n_child, scale, x->jobs, now);
    p.n_active = x->n_child;
    p.active_ids   = x->ids;
    p.active_step  = x->steps;
    p.active_steps = x->total;
    p.active_loss  = x->loss;
    x->opt->on_progress(x->opt->progress_ctx, &p);
}

enum sf_status sweep_run_local(const struct sweep_spec *spec, const struct sweep_run *runs,
                               size_t n, const char *out_dir, const struct sweep_exec_options *opt,
                               struct sweep_exec_result *res, struct sf_error *err) {
    (void)spec;
    memset(res, 0, sizeof *res);
    struct sweep_local x      = {.runs    = runs,
                                 .n       = n,
                                 .jobs    = opt->jobs > 0 ? (size_t)opt->jobs : 1,
                                 .out_dir = out_dir,
                                 .opt     = opt,
                                 .res     = res,
                                 .t0      = sf_now()};
    enum sf_status     status = SF_OK;
    if (!sweep_local_alloc_impl(&x)) {
        status = SF_SET(err, SF_ENOMEM, "out of memory starting the sweep");
        goto done;
    }
    sweep_local_plan_impl(&x);
    double last_display = -1e300;
    for (;;) {
        if (opt->stop != NULL && *opt->stop && !x.stopping) {
            sf_log(opt->log, SF_LOG_LEVEL_INFO, "stopping: asking %zu trainer%s to checkpoint",
                   x.n_child, x.n_child == 1 ? "" : "s");
            sweep_local_stop_impl(&x);
        }
        sweep_local_take_back_impl(&x);
        enum sf_status st = sweep_local_start_impl(&x, err);
        if (st != SF_OK) status = st;
        sweep_local_reap_impl(&x);
        bool   more = x.n_child > 0 || (!x.stopping && (x.head < x.n_queue || x.n_waiting > 0));
        double now  = sf_now();
        if (opt->on_progress != NULL && (now - last_display >= sweep_progress_seconds || !more)) {
            last_display = now;
            sweep_local_progress_impl(&x, now);
        }
        if (!more) break;
        sweep_sleep_impl(sweep_poll_seconds);
    }
    res->n_skipped    = x.n_waiting;
    res->wall_seconds = sf_now() - x.t0;
    bool unfinished   = false;
    for (size_t i = 0; i < n; i++)
        unfinished |= !x.finished[i];
    if (status == SF_OK && x.stopping && unfinished)
        status = SF_SET(err, SF_EINTERRUPTED,
                        "stopped: the unfinished runs are checkpointed; run the "
                        "same command again to resume");
done:
    sweep_local_free_impl(&x);
    return status;
}
