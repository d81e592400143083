/*
 * local.c — the local executor: up to `jobs` `scalefit train --run-dir DIR` processes at once
 * (fork/exec, never a shell), the longest runs first. A diverged or crashed run is recorded and
 * the sweep goes on; a run whose lock another process holds is waited for, never trained twice;
 * on a stop request the trainers are asked to checkpoint (SIGTERM) and waited for. Each
 * trainer's stdout and stderr go to OUT/runs/ID/stderr.txt.
 */
#include <errno.h>
#include <fcntl.h>
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

/* Starts one trainer. Returns its pid, or -1 with err set. */
static pid_t sweep_spawn_impl(const char *scalefit, const char *run_dir, struct sf_error *err) {
    char *log = sf_path_join(run_dir, "stderr.txt");
    if (log == NULL) {
        SF_SET(err, SF_ENOMEM, "out of memory");
        return -1;
    }
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    free(log);
    if (fd < 0) {
        SF_SET(err, SF_EIO, "cannot open %s/stderr.txt: %s", run_dir, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd);
        SF_SET(err, SF_ERUNTIME, "cannot start a trainer: %s", strerror(e));
        return -1;
    }
    if (pid == 0) {
        /* The child: output to the run's file, then the trainer itself. */
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0 && devnull != STDIN_FILENO) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        char *argv[] = {(char *)"scalefit", (char *)"train", (char *)"--run-dir", (char *)run_dir,
                        NULL};
        execv(scalefit, argv);
        dprintf(STDERR_FILENO, "scalefit: error: cannot run %s: %s\n", scalefit, strerror(errno));
        _exit(127);
    }
    close(fd);
    return pid;
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

enum sf_status sweep_run_local(const struct sweep_spec *spec, const struct sweep_run *runs,
                               size_t n, const char *out_dir, const struct sweep_exec_options *opt,
                               struct sweep_exec_result *res, struct sf_error *err) {
    (void)spec;
    memset(res, 0, sizeof *res);
    const double        t0       = sf_now();
    size_t              jobs     = opt->jobs > 0 ? (size_t)opt->jobs : 1;
    struct sweep_order *order    = calloc(n ? n : 1, sizeof *order);
    size_t             *queue    = calloc(n ? n : 1, sizeof *queue);
    size_t             *waiting  = calloc(n ? n : 1, sizeof *waiting);
    bool               *finished = calloc(n ? n : 1, sizeof *finished);
    unsigned char      *retries  = calloc(n ? n : 1, sizeof *retries);
    struct sweep_child *child    = calloc(jobs, sizeof *child);
    const char        **ids      = calloc(jobs, sizeof *ids);
    int64_t            *steps = calloc(jobs, sizeof *steps), *total = calloc(jobs, sizeof *total);
    double             *loss = calloc(jobs, sizeof *loss);
    /* Time estimates order the runs (longest first) and give the ETA. */
    double        *est    = calloc(n ? n : 1, sizeof *est);
    double        *left   = calloc(n ? n : 1, sizeof *left);
    enum sf_status status = SF_OK;
    if (!order || !queue || !waiting || !finished || !retries || !child || !ids || !steps ||
        !total || !loss || !est || !left) {
        status = SF_SET(err, SF_ENOMEM, "out of memory starting the sweep");
        goto done;
    }
    sweep_estimate_seconds(runs, n, est);
    for (size_t i = 0; i < n; i++)
        order[i] = (struct sweep_order){isfinite(est[i]) ? est[i] : runs[i].flops_exact, i};
    qsort(order, n, sizeof *order, sweep_order_cmp_impl);
    size_t n_queue = 0, n_waiting = 0, head = 0, n_child = 0;
    double took_real = 0, took_est = 0; /* trained here: measured against estimated seconds */
    for (size_t k = 0; k < n; k++) {
        size_t                 i = order[k].index;
        struct sweep_run_state st;
        sweep_run_state_read(out_dir, runs[i].id, &st);
        if (st.state == SWEEP_STATE_DONE || st.state == SWEEP_STATE_DIVERGED) {
            finished[i] = true;
            continue;
        }
        if (st.locked)
            waiting[n_waiting++] = i;
        else
            sweep_queue_push_impl(queue, n, &head, &n_queue, i);
        /* A run resumed from a checkpoint has only the rest of its steps to go. */
        left[i] = runs[i].steps > 0 ? 1 - fmin(1, (double)st.step / (double)runs[i].steps) : 1;
    }
    bool   stopping     = false;
    double last_display = -1e300;
    for (;;) {
        if (opt->stop != NULL && *opt->stop && !stopping) {
            stopping = true;
            sf_log(opt->log, SF_LOG_LEVEL_INFO, "stopping: asking %zu trainer%s to checkpoint",
                   n_child, n_child == 1 ? "" : "s");
            for (size_t c = 0; c < n_child; c++)
                kill(child[c].pid, SIGTERM);
        }
        /* Runs locked elsewhere: take them back when their holder is gone. */
        for (size_t w = 0; w < n_waiting;) {
            size_t                 i = waiting[w];
            struct sweep_run_state st;
            sweep_run_state_read(out_dir, runs[i].id, &st);
            if (st.locked) {
                w++;
                continue;
            }
            waiting[w] = waiting[--n_waiting];
            if (st.state == SWEEP_STATE_DONE || st.state == SWEEP_STATE_DIVERGED) {
                finished[i] = true;
                if (st.state == SWEEP_STATE_DONE)
                    res->n_done++;
                else
                    res->n_diverged++;
            } else {
                sweep_queue_push_impl(queue, n, &head, &n_queue, i);
            }
        }
        while (!stopping && n_child < jobs && head < n_queue) {
            size_t i   = queue[head++];
            char  *dir = sweep_run_dir(out_dir, runs[i].id);
            if (dir == NULL) {
                /* Out of memory: stop like on a signal, so the trainers are reaped. */
                status   = SF_SET(err, SF_ENOMEM, "out of memory");
                stopping = true;
                for (size_t c = 0; c < n_child; c++)
                    kill(child[c].pid, SIGTERM);
                break;
            }
            if (sweep_run_locked(dir, NULL)) {
                waiting[n_waiting++] = i;
                free(dir);
                continue;
            }
            struct sf_error        e;
            struct sweep_loop_mark mark = sweep_loop_mark_read(dir);
            pid_t                  pid  = sweep_spawn_impl(opt->scalefit, dir, &e);
            if (pid < 0) {
                sweep_write_failed_impl(dir, e.message);
                res->n_failed++;
                finished[i] = true;
                sf_log(opt->log, SF_LOG_LEVEL_WARNING, "run %s: %s", runs[i].id, e.message);
            } else {
                child[n_child++] =
                    (struct sweep_child){pid, i, sf_now(), -1, -1, NAN, NAN, NAN, mark};
                sf_log(opt->log, SF_LOG_LEVEL_DEBUG, "run %s started (pid %ld)", runs[i].id,
                       (long)pid);
            }
            free(dir);
        }
        /* Reap what has ended. */
        for (size_t c = 0; c < n_child;) {
            int   ws;
            pid_t got = waitpid(child[c].pid, &ws, WNOHANG);
            if (got == 0 || (got < 0 && errno == EINTR)) {
                c++;
                continue;
            }
            size_t i   = child[c].run;
            char  *dir = sweep_run_dir(out_dir, runs[i].id);
            res->train_seconds += sf_now() - child[c].start;
            if (dir)
                res->loop_seconds += sweep_loop_added(child[c].mark, sweep_loop_mark_read(dir));
            struct sweep_run_state st;
            sweep_run_state_read(out_dir, runs[i].id, &st);
            const char *what;
            char        what_buf[160];
            bool        trained = false; /* done or diverged: its whole run was trained */
            if (got > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
                res->n_done++;
                finished[i] = trained = true;
                what                  = "done";
            } else if (got > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 3) {
                res->n_diverged++;
                finished[i] = trained = true;
                what                  = "diverged";
            } else if (got > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 4) {
                res->n_interrupted++;
                what = "interrupted (checkpointed)";
            } else if (got > 0 && WIFSIGNALED(ws) &&
                       (WTERMSIG(ws) == SIGTERM || WTERMSIG(ws) == SIGINT ||
                        WTERMSIG(ws) == SIGHUP)) {
                /* A stop request that arrived before the trainer could catch it: nothing was
                 * lost beyond the last checkpoint, and the run resumes next time. */
                res->n_interrupted++;
                snprintf(what_buf, sizeof what_buf,
                         "stopped by signal %d before it could checkpoint (resumes from its last "
                         "checkpoint)",
                         WTERMSIG(ws));
                what = what_buf;
            } else if (st.locked) {
                /* Another process took the run first: wait for it instead. */
                waiting[n_waiting++] = i;
                what                 = "held by another process; waiting for it";
            } else if (got > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 1 &&
                       (st.state == SWEEP_STATE_DONE || st.state == SWEEP_STATE_DIVERGED)) {
                /* Another process held the run and has finished it meanwhile. */
                finished[i] = true;
                if (st.state == SWEEP_STATE_DONE)
                    res->n_done++;
                else
                    res->n_diverged++;
                what = "finished by another process";
            } else if (got > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 1 &&
                       st.state != SWEEP_STATE_FAILED && retries[i]++ < sweep_max_retries) {
                /* The trainer failed without recording why (its lock was taken by another
                 * process that has gone since): try again. */
                sweep_queue_push_impl(queue, n, &head, &n_queue, i);
                what = "could not take its lock; queued again";
            } else {
                char reason[640];
                if (got > 0 && WIFSIGNALED(ws))
                    snprintf(reason, sizeof reason, "the trainer was killed by signal %d (%s)",
                             WTERMSIG(ws), strsignal(WTERMSIG(ws)));
                else
                    snprintf(reason, sizeof reason, "%s",
                             st.state == SWEEP_STATE_FAILED && st.reason[0] ? st.reason
                                                                            : "the trainer failed");
                if (got > 0 && WIFSIGNALED(ws) && dir) sweep_write_failed_impl(dir, reason);
                res->n_failed++;
                finished[i] = true;
                what        = "failed";
                sf_log(opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s (see %s/stderr.txt)",
                       runs[i].id, reason, dir ? dir : "its folder");
            }
            if (finished[i]) {
                /* Its pace from its first metrics line seen here to its last, in the trainer's
                 * own clock (a run that ended before a line was seen gives no sample). */
                int64_t step_end = 0;
                double  unused, elapsed_end = NAN;
                if (dir) sweep_metrics_tail(dir, &step_end, &unused, &elapsed_end);
                if (trained && child[c].step0 >= 0 && step_end > child[c].step0 &&
                    isfinite(elapsed_end) && runs[i].steps > 0 && isfinite(est[i])) {
                    took_real += elapsed_end - child[c].elapsed0;
                    took_est +=
                        est[i] * (double)(step_end - child[c].step0) / (double)runs[i].steps;
                }
                left[i] = 0;
            }
            sf_log(opt->log, SF_LOG_LEVEL_INFO, "run %s: %s", runs[i].id, what);
            free(dir);
            child[c] = child[--n_child];
        }
        bool   more = n_child > 0 || (!stopping && (head < n_queue || n_waiting > 0));
        double now  = sf_now();
        if (opt->on_progress != NULL && (now - last_display >= sweep_progress_seconds || !more)) {
            last_display     = now;
            double pace_real = took_real, pace_est = took_est;
            for (size_t c = 0; c < n_child; c++) {
                struct sweep_child *ch      = &child[c];
                size_t              i       = ch->run;
                char               *dir     = sweep_run_dir(out_dir, runs[i].id);
                double              elapsed = NAN;
                ids[c]                      = runs[i].id;
                total[c]                    = runs[i].steps;
                steps[c]                    = 0;
                loss[c]                     = NAN;
                if (dir) sweep_metrics_tail(dir, &steps[c], &loss[c], &elapsed);
                free(dir);
                if (isfinite(elapsed) && ch->step0 < 0) {
                    ch->step0 = steps[c], ch->elapsed0 = elapsed;
                } else if (isfinite(elapsed) && steps[c] > ch->step0 && steps[c] != ch->step1) {
                    ch->step1 = steps[c], ch->elapsed1 = elapsed, ch->seen1 = now;
                }
                if (total[c] > 0) left[i] = 1 - fmin(1, (double)steps[c] / (double)total[c]);
                if (ch->step1 > ch->step0 && ch->step0 >= 0 && isfinite(est[i]) && total[c] > 0) {
                    pace_real += ch->elapsed1 - ch->elapsed0;
                    pace_est += est[i] * (double)(ch->step1 - ch->step0) / (double)total[c];
                }
            }
            size_t n_finished = 0, n_bad = 0;
            for (size_t i = 0; i < n; i++)
                n_finished += finished[i];
            n_bad = res->n_failed + res->n_diverged;
            struct sweep_progress p;
            memset(&p, 0, sizeof p);
            p.n_runs       = n;
            p.n_done       = n_finished;
            p.n_running    = n_child;
            p.n_pending    = n - n_finished - n_child;
            p.n_failed     = n_bad;
            p.elapsed_s    = now - t0;
            double scale   = pace_est > 0 ? pace_real / pace_est : 1;
            p.eta_s        = sweep_eta_impl(runs, est, left, finished, n, waiting, n_waiting, child,
                                            n_child, scale, jobs, now);
            p.n_active     = n_child;
            p.active_ids   = ids;
            p.active_step  = steps;
            p.active_steps = total;
            p.active_loss  = loss;
            opt->on_progress(opt->progress_ctx, &p);
        }
        if (!more) break;
        sweep_sleep_impl(sweep_poll_seconds);
    }
    res->n_skipped    = n_waiting;
    res->wall_seconds = sf_now() - t0;
    bool unfinished   = false;
    for (size_t i = 0; i < n; i++)
        unfinished |= !finished[i];
    if (status == SF_OK && stopping && unfinished)
        status = SF_SET(err, SF_EINTERRUPTED,
                        "stopped: the unfinished runs are checkpointed; run the "
                        "same command again to resume");
done:
    free(order), free(queue), free(waiting), free(finished), free(retries), free(child);
    free(ids), free(steps), free(total), free(loss), free(est), free(left);
    return status;
}
