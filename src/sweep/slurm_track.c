/*
 * slurm_track.c — following the Slurm executor's arrays: polling `scontrol show job` for each
 * submission, finding an array whose id was never recorded, pointing each run at its latest
 * task, and judging each task that ends (done, diverged, failed, or stopped before its end and
 * so due for resubmission), with the pending reasons and requeues worth saying on the way.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Lines of a task's log quoted in a failure (the status file gets them on one line). */
static const size_t sweep_slurm_tail_lines = 6;

// ---- asking Slurm ----

const struct sweep_slurm_task *sweep_slurm_task_find(const struct sweep_slurm_sub *s, size_t task) {
    if (s->gone || !s->polled) return NULL;
    for (size_t k = 0; k < s->n_seen; k++)
        if (s->tasks[k].index == (int64_t)task) return &s->tasks[k];
    return NULL;
}

/* Asks Slurm about submission s. A job id Slurm does not know (purged after MinJobAge, or from
 * another cluster) or one that runs another script makes the submission `gone`; an unreachable
 * controller leaves what the last poll saw. */
void sweep_slurm_poll(struct sweep_slurm_exec *x, struct sweep_slurm_sub *s) {
    if (s->job[0] == '\0') {
        s->gone   = true;
        s->polled = true;
        s->active = false;
        return;
    }
    char *const   argv[] = {(char *)"scontrol", (char *)"show", (char *)"job",
                            (char *)"-o",       s->job,         NULL};
    struct sf_buf out, errb;
    sf_buf_init(&out);
    sf_buf_init(&errb);
    int             rc;
    struct sf_error e;
    enum sf_status  st = sweep_slurm_command(argv, &out, &errb, &rc, &e);
    if (st == SF_OK && rc != 0 && errb.data && strstr(errb.data, "Invalid job id")) {
        s->gone = true, s->active = false, s->polled = true;
    } else if (st != SF_OK || rc != 0) {
        double now = sf_now();
        if (now - x->last_unreachable > 60) {
            char *line = sweep_slurm_first_line(&errb);
            sf_log(x->opt->log, SF_LOG_LEVEL_WARNING,
                   "cannot ask Slurm about job %s: %s; trying again", s->job,
                   st != SF_OK ? e.message
                   : line      ? line
                               : "scontrol failed");
            free(line);
            x->last_unreachable = now;
        }
    } else {
        char *script = sf_strdup_printf("%s/submit-%lld.sh", x->sdir, (long long)s->number);
        struct sweep_slurm_task *tasks;
        size_t                   n;
        bool                     ours;
        if (script && sweep_slurm_parse_jobs(out.data ? out.data : "", script, &tasks, &n, &ours,
                                             &e) == SF_OK) {
            free(s->tasks);
            s->tasks  = ours ? tasks : NULL;
            s->n_seen = ours ? n : 0;
            if (!ours) free(tasks);
            s->gone   = !ours;
            s->polled = true;
            s->active = false;
            for (size_t k = 0; k < s->n_seen; k++)
                if (!sweep_slurm_state_terminal(s->tasks[k].state)) s->active = true;
        }
        free(script);
    }
    sf_buf_free(&out);
    sf_buf_free(&errb);
}

/* Finds the array job of a submission whose id was never recorded (the command was killed
 * between sbatch and writing the id down): the queue's job of this sweep's name whose command
 * is the submission's script. */
void sweep_slurm_recover(struct sweep_slurm_exec *x, struct sweep_slurm_sub *s) {
    char *script = sf_strdup_printf("%s/submit-%lld.sh", x->sdir, (long long)s->number);
    char  name[160], name_arg[176];
    sweep_slurm_job_name(x->spec->name, name, sizeof name);
    snprintf(name_arg, sizeof name_arg, "--name=%s", name);
    char *const   argv[] = {(char *)"squeue",
                            (char *)"--noheader",
                            (char *)"--all",
                            (char *)"--states=all",
                            name_arg,
                            (char *)"--format=%F %o",
                            NULL};
    struct sf_buf out, errb;
    sf_buf_init(&out);
    sf_buf_init(&errb);
    int             rc;
    struct sf_error e;
    if (script && sweep_slurm_command(argv, &out, &errb, &rc, &e) == SF_OK && rc == 0 && out.data) {
        for (char *save = NULL, *l = strtok_r(out.data, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            char *sp = strchr(l, ' ');
            if (sp && strcmp(sp + 1, script) == 0) {
                snprintf(s->job, sizeof s->job, "%.*s", (int)(sp - l), l);
                sweep_slurm_event(x, "submission %lld: found its array job %s in the queue",
                                  (long long)s->number, s->job);
                break;
            }
        }
    }
    sf_buf_free(&out);
    sf_buf_free(&errb);
    free(script);
}

/* Points each run at its latest submission and counts its automatic resubmissions since its
 * last fresh one. */
void sweep_slurm_assign(struct sweep_slurm_exec *x) {
    for (size_t i = 0; i < x->n; i++) {
        x->ri[i].sub       = -1;
        x->ri[i].resubmits = 0;
    }
    for (size_t k = 0; k < x->n_subs; k++) {
        const struct sweep_slurm_sub *s = &x->subs[k];
        for (size_t t = 0; t < s->n_tasks; t++)
            for (size_t i = 0; i < x->n; i++)
                if (strcmp(s->run_ids[t], x->runs[i].id) == 0) {
                    x->ri[i].sub       = (long)k;
                    x->ri[i].task      = t;
                    x->ri[i].resubmits = s->resubmit ? x->ri[i].resubmits + 1 : 0;
                }
    }
}

bool sweep_slurm_sub_in_use(const struct sweep_slurm_exec *x, size_t k) {
    for (size_t i = 0; i < x->n; i++)
        if (x->ri[i].phase == SWEEP_SLURM_PHASE_ACTIVE && x->ri[i].sub == (long)k) return true;
    return false;
}

size_t sweep_slurm_jobs_in_use(const struct sweep_slurm_exec *x, struct sf_buf *ids) {
    size_t n_jobs = 0;
    for (size_t k = 0; k < x->n_subs; k++)
        if (sweep_slurm_sub_in_use(x, k) && x->subs[k].job[0] != '\0')
            sf_buf_printf(ids, "%s%s", n_jobs++ ? ", " : "", x->subs[k].job);
    return n_jobs;
}

// ---- judging what ended ----

/* The path of task `t` of submission `s`'s log (fresh string). */
static char *sweep_slurm_log_path_impl(const struct sweep_slurm_exec *x,
                                       const struct sweep_slurm_sub *s, size_t t) {
    return sf_strdup_printf("%s/logs/%s_%zu.log", x->sdir, s->job[0] ? s->job : "unknown", t);
}

/* The last lines of a task's log: `lines` gets them one per line, `flat` on one line joined by
 * " | " with control characters blanked (for the status file). Both may be NULL. */
static void sweep_slurm_tail_impl(const char *log, struct sf_buf *lines, struct sf_buf *flat) {
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char        buf[4096];
    struct stat sb;
    off_t       from = fstat(fd, &sb) == 0 && sb.st_size > (off_t)sizeof buf - 1
                           ? sb.st_size - (off_t)sizeof buf + 1
                           : 0;
    ssize_t     got  = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (got < 0) got = 0;
    buf[got] = '\0';
    /* Walk back over the last non-empty lines. */
    const char *start[16];
    size_t      len[16], k = 0;
    char       *end = buf + got;
    while (k < sweep_slurm_tail_lines && end > buf) {
        while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
            end--;
        char *b = end;
        while (b > buf && b[-1] != '\n')
            b--;
        if (end > b) {
            start[k] = b;
            len[k++] = (size_t)(end - b);
        }
        end = b;
    }
    for (size_t i = k; i-- > 0;) {
        if (lines) sf_buf_printf(lines, "    %.*s\n", (int)len[i], start[i]);
        if (flat) {
            if (flat->len > 0) sf_buf_puts(flat, " | ");
            for (size_t c = 0; c < len[i] && flat->len < 600; c++) {
                char ch = start[i][c];
                sf_buf_append(flat, (unsigned char)ch < 0x20 ? " " : &ch, 1);
            }
        }
    }
}

/* What Slurm says of a task, for messages: "Slurm: TIMEOUT (exit 0:15, reason TimeLimit) in task
 * 12_3", or that it no longer knows the task. */
static void sweep_slurm_describe_impl(const struct sweep_slurm_task *tk,
                                      const struct sweep_slurm_sub *s, size_t task, char *buf,
                                      size_t n) {
    if (tk)
        snprintf(buf, n, "Slurm: %s (exit %d:%d, reason %s) in task %s_%zu", tk->state,
                 tk->exit_code, tk->exit_signal, tk->reason[0] ? tk->reason : "none", s->job, task);
    else
        snprintf(buf, n, "Slurm no longer knows task %s_%zu", s->job[0] ? s->job : "?", task);
}

/* The reason written into the status of a run that failed where its trainer could not say why
 * (stalled, out of resubmissions, or lost). Fresh string; NULL on ENOMEM. */
static char *sweep_slurm_failure_impl(enum sweep_slurm_verdict v, const char *slurm,
                                      const struct sweep_slurm_case *c, int64_t resubmits,
                                      const struct sweep_slurm_task *tk,
                                      const struct sf_buf           *tail_flat) {
    if (v == SWEEP_SLURM_VERDICT_STALLED)
        return sf_strdup_printf(
            "%s: no progress in this attempt (still at step %lld), so it is not "
            "resubmitted; give it more time (runner.slurm.time) or checkpoint "
            "more often (train.checkpoint_every)",
            slurm, (long long)c->step_now);
    if (v == SWEEP_SLURM_VERDICT_EXHAUSTED)
        return sf_strdup_printf(
            "%s at step %lld, after %lld resubmission%s (runner.slurm.max_resubmits); "
            "run the same command again to continue it",
            slurm, (long long)c->step_now, (long long)resubmits, resubmits == 1 ? "" : "s");
    return sf_strdup_printf("%s%s; the task's log ends: %s", slurm,
                            tk && strcmp(tk->state, "OUT_OF_MEMORY") == 0
                                ? ": the task ran out of memory (raise runner.slurm.mem)"
                                : "",
                            tail_flat->len ? tail_flat->data : "(empty)");
}

/* Handles run i whose task ended (or that Slurm no longer knows). */
static void sweep_slurm_ended_impl(struct sweep_slurm_exec *x, size_t i) {
    struct sweep_slurm_runinfo    *r   = &x->ri[i];
    struct sweep_slurm_sub        *s   = &x->subs[r->sub];
    const struct sweep_slurm_task *tk  = sweep_slurm_task_find(s, r->task);
    const struct sweep_run        *run = &x->runs[i];
    char                          *dir = sweep_run_dir(x->out, run->id);
    char                          *log = sweep_slurm_log_path_impl(x, s, r->task);
    struct sweep_run_state         rs;
    sweep_run_state_read(x->out, run->id, &rs);
    struct sf_buf tail_lines, tail_flat;
    sf_buf_init(&tail_lines);
    sf_buf_init(&tail_flat);
    if (log) sweep_slurm_tail_impl(log, &tail_lines, &tail_flat);
    struct sweep_slurm_case c = {
        .state        = tk ? tk->state : NULL,
        .exit_code    = tk ? tk->exit_code : 0,
        .exit_signal  = tk ? tk->exit_signal : 0,
        .run_state    = rs.state,
        .locked       = rs.locked,
        .lock_refused = tk && tk->exit_code == 1 && tail_flat.data &&
                        strstr(tail_flat.data, "holds this run's lock"),
        .step_before   = s->steps[r->task],
        .step_now      = dir ? sweep_slurm_step(dir) : 0,
        .resubmits     = r->resubmits,
        .max_resubmits = x->spec->slurm.max_resubmits,
    };
    enum sweep_slurm_verdict v = sweep_slurm_judge(&c);
    if (v == SWEEP_SLURM_VERDICT_WAIT) goto out;
    if (tk) x->res->train_seconds += tk->run_seconds;
    if (dir) x->res->loop_seconds += sweep_loop_added(r->mark, sweep_loop_mark_read(dir));
    char slurm[320];
    sweep_slurm_describe_impl(tk, s, r->task, slurm, sizeof slurm);
    char       *reason = NULL;
    const char *what   = sweep_slurm_verdict_name(v);
    if (x->stopping && v == SWEEP_SLURM_VERDICT_RESUBMIT) v = SWEEP_SLURM_VERDICT_CANCELLED;
    switch (v) {
    case SWEEP_SLURM_VERDICT_WAIT: break;
    case SWEEP_SLURM_VERDICT_DONE:
        r->phase = SWEEP_SLURM_PHASE_END, r->finished = true;
        x->res->n_done++;
        what = "done";
        break;
    case SWEEP_SLURM_VERDICT_DIVERGED:
        r->phase = SWEEP_SLURM_PHASE_END, r->finished = true;
        x->res->n_diverged++;
        what = "diverged";
        break;
    case SWEEP_SLURM_VERDICT_HELD:
        r->phase = SWEEP_SLURM_PHASE_HELD;
        what     = "its task ended but a trainer here still holds the run; waiting for it";
        break;
    case SWEEP_SLURM_VERDICT_FAILED:
        r->phase = SWEEP_SLURM_PHASE_END;
        x->res->n_failed++;
        sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s (%s); %s ends with:\n%s",
               run->id, rs.reason[0] ? rs.reason : "the trainer failed", slurm,
               log ? log : "its log", tail_lines.data ? tail_lines.data : "");
        what = "failed (recorded by the trainer)";
        break;
    case SWEEP_SLURM_VERDICT_ELSEWHERE:
        r->phase = SWEEP_SLURM_PHASE_END;
        x->res->n_skipped++;
        sf_log(x->opt->log, SF_LOG_LEVEL_WARNING,
               "run %s: another trainer held its lock, so task %s_%zu "
               "did nothing; run the same command again once that trainer has finished",
               run->id, s->job, r->task);
        what = "skipped (another trainer held the run)";
        break;
    case SWEEP_SLURM_VERDICT_CANCELLED:
        r->phase = SWEEP_SLURM_PHASE_END;
        x->res->n_interrupted++;
        reason = sf_strdup_printf("%s%s at step %lld; run the same command again to resubmit it",
                                  slurm, x->stopping ? ", stopped with the sweep" : ", cancelled",
                                  (long long)c.step_now);
        if (reason) sweep_slurm_status_write(x, i, "interrupted", reason);
        sf_log(x->opt->log, x->stopping ? SF_LOG_LEVEL_INFO : SF_LOG_LEVEL_WARNING,
               "run %s was stopped in Slurm (%s) at step %lld; it resumes from its checkpoint when "
               "the "
               "command runs again",
               run->id, slurm, (long long)c.step_now);
        what = "interrupted (cancelled in Slurm)";
        break;
    case SWEEP_SLURM_VERDICT_RESUBMIT:
        r->phase    = SWEEP_SLURM_PHASE_TODO;
        r->resubmit = true;
        if (rs.state != SWEEP_STATE_INTERRUPTED) {
            reason = sf_strdup_printf("%s at step %lld; resubmitted", slurm, (long long)c.step_now);
            if (reason) sweep_slurm_status_write(x, i, "interrupted", reason);
        }
        what = "stopped before its end; resubmitting it (it resumes from its checkpoint)";
        break;
    case SWEEP_SLURM_VERDICT_STALLED:
    case SWEEP_SLURM_VERDICT_EXHAUSTED:
    case SWEEP_SLURM_VERDICT_LOST:
        r->phase = SWEEP_SLURM_PHASE_END;
        x->res->n_failed++;
        reason = sweep_slurm_failure_impl(v, slurm, &c, r->resubmits, tk, &tail_flat);
        if (reason) sweep_slurm_status_write(x, i, "failed", reason);
        sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s; %s ends with:\n%s", run->id,
               reason ? reason : slurm, log ? log : "its log",
               tail_lines.data ? tail_lines.data : "");
        what = v == SWEEP_SLURM_VERDICT_STALLED     ? "failed (no progress)"
               : v == SWEEP_SLURM_VERDICT_EXHAUSTED ? "failed (resubmissions used up)"
                                                    : "failed";
        break;
    }
    sf_log(x->opt->log, SF_LOG_LEVEL_INFO, "run %s: %s", run->id, what);
    sweep_slurm_event(x, "run %s, %s: %s; step %lld (was %lld when submitted)", run->id, slurm,
                      what, (long long)c.step_now, (long long)c.step_before);
    free(reason);
out:
    sf_buf_free(&tail_lines);
    sf_buf_free(&tail_flat);
    free(dir);
    free(log);
}

/* Polls the active submissions and judges every run whose task has ended since. */
void sweep_slurm_refresh(struct sweep_slurm_exec *x) {
    for (size_t k = 0; k < x->n_subs; k++)
        if (x->subs[k].active || !x->subs[k].polled) {
            if (sweep_slurm_sub_in_use(x, k)) sweep_slurm_poll(x, &x->subs[k]);
        }
    for (size_t i = 0; i < x->n; i++) {
        struct sweep_slurm_runinfo *r = &x->ri[i];
        if (r->phase != SWEEP_SLURM_PHASE_ACTIVE) continue;
        struct sweep_slurm_sub *s = &x->subs[r->sub];
        if (!s->polled) continue;
        const struct sweep_slurm_task *tk = sweep_slurm_task_find(s, r->task);
        if (tk && !sweep_slurm_state_terminal(tk->state)) {
            /* Why a task waits, when it is not the ordinary waiting (say it once per reason). */
            bool ordinary = strcmp(tk->state, "PENDING") != 0 || strcmp(tk->reason, "None") == 0 ||
                            strcmp(tk->reason, "Priority") == 0 ||
                            strcmp(tk->reason, "Resources") == 0 ||
                            strcmp(tk->reason, "JobArrayTaskLimit") == 0 ||
                            strcmp(tk->reason, "BeginTime") == 0;
            bool held = strstr(tk->state, "HOLD") != NULL ||
                        strcmp(tk->state, "SPECIAL_EXIT") == 0 ||
                        strstr(tk->reason, "Held") != NULL || strstr(tk->reason, "held") != NULL;
            if ((held || !ordinary) && strcmp(r->pending_reason, tk->reason) != 0) {
                snprintf(r->pending_reason, sizeof r->pending_reason, "%s", tk->reason);
                sf_log(x->opt->log, held ? SF_LOG_LEVEL_WARNING : SF_LOG_LEVEL_INFO,
                       "run %s: task %s_%zu is %s (reason %s)%s", x->runs[i].id, s->job, r->task,
                       tk->state, tk->reason,
                       held ? "; it runs once released (scontrol release)" : "");
            }
            if (tk->restarts > r->restarts) {
                r->restarts = tk->restarts;
                sf_log(x->opt->log, SF_LOG_LEVEL_INFO,
                       "run %s: Slurm requeued task %s_%zu (restart %lld); "
                       "it resumes from its checkpoint",
                       x->runs[i].id, s->job, r->task, (long long)tk->restarts);
                sweep_slurm_event(x, "run %s: Slurm requeued task %s_%zu (restart %lld)",
                                  x->runs[i].id, s->job, r->task, (long long)tk->restarts);
            }
            continue;
        }
        sweep_slurm_ended_impl(x, i);
    }
    /* Runs a trainer here held: take them back once it is gone. */
    for (size_t i = 0; i < x->n; i++) {
        if (x->ri[i].phase != SWEEP_SLURM_PHASE_HELD) continue;
        struct sweep_run_state rs;
        sweep_run_state_read(x->out, x->runs[i].id, &rs);
        if (rs.locked) continue;
        if (rs.state == SWEEP_STATE_DONE || rs.state == SWEEP_STATE_DIVERGED) {
            x->ri[i].phase    = SWEEP_SLURM_PHASE_END;
            x->ri[i].finished = true;
            if (rs.state == SWEEP_STATE_DONE)
                x->res->n_done++;
            else
                x->res->n_diverged++;
            sf_log(x->opt->log, SF_LOG_LEVEL_INFO, "run %s: finished by another process",
                   x->runs[i].id);
        } else if (!x->stopping) {
            x->ri[i].phase    = SWEEP_SLURM_PHASE_TODO;
            x->ri[i].resubmit = true;
        }
    }
    /* One array left with tasks waiting for its limit while the others have ended: give it the
     * sweep's whole concurrency again. */
    long   only     = -1;
    size_t n_active = 0;
    for (size_t k = 0; k < x->n_subs; k++)
        if (x->subs[k].active && !x->subs[k].gone) only = (long)k, n_active++;
    if (n_active == 1) {
        struct sweep_slurm_sub *s = &x->subs[only];
        int64_t want = x->opt->jobs < (int64_t)s->n_tasks ? x->opt->jobs : (int64_t)s->n_tasks;
        if (s->throttle < want) {
            char value[64];
            snprintf(value, sizeof value, "ArrayTaskThrottle=%lld", (long long)want);
            char jobarg[48];
            snprintf(jobarg, sizeof jobarg, "JobId=%s", s->job);
            char *const   argv[] = {(char *)"scontrol", (char *)"update", jobarg, value, NULL};
            struct sf_buf o, e;
            sf_buf_init(&o);
            sf_buf_init(&e);
            int             rc;
            struct sf_error er;
            if (sweep_slurm_command(argv, &o, &e, &rc, &er) == SF_OK && rc == 0) {
                sweep_slurm_event(x, "submission %lld: array job %s may now run %lld at a time",
                                  (long long)s->number, s->job, (long long)want);
                s->throttle = want;
            }
            sf_buf_free(&o);
            sf_buf_free(&e);
        }
    }
}

/* True when a poll now would find out sooner than the next scheduled one: an array was submitted
 * since the last poll, or a run's trainer has written a final status (done, diverged, failed,
 * interrupted) since its task was submitted or attached to, so that task is ending. */
bool sweep_slurm_ending(const struct sweep_slurm_exec *x) {
    bool ending = false;
    for (size_t i = 0; i < x->n && !ending; i++) {
        const struct sweep_slurm_runinfo *r = &x->ri[i];
        if (r->phase != SWEEP_SLURM_PHASE_ACTIVE) continue;
        if (!x->subs[r->sub].polled) return true;
        struct timespec t = sweep_slurm_status_mtime(x, i);
        if (t.tv_sec == r->status_mtime.tv_sec && t.tv_nsec == r->status_mtime.tv_nsec) continue;
        char           *dir  = sweep_run_dir(x->out, x->runs[i].id);
        char           *path = dir ? sf_path_join(dir, "status") : NULL;
        char           *text = NULL;
        size_t          len;
        struct sf_error e;
        if (path && sf_read_file(path, &text, &len, &e) == SF_OK)
            ending = strncmp(text, "done", 4) == 0 || strncmp(text, "diverged", 8) == 0 ||
                     strncmp(text, "failed", 6) == 0 || strncmp(text, "interrupted", 11) == 0;
        free(text);
        free(path);
        free(dir);
    }
    return ending;
}
