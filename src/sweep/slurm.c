/*
 * slurm.c — the Slurm executor (docs/slurm.md): the unfinished runs of a sweep go to Slurm as one
 * job array per submission (`sbatch --array=0-K%M`, sbatch run without a shell), each task
 * exec'ing `scalefit train --run-dir` for its run; the executor then polls `scontrol show job`
 * (no accounting database needed), shows the same progress as the local executor, and judges
 * each task that ends: done, diverged, failed (with Slurm's state, reason and the tail of the
 * task's log, written into the run's status where the trainer could not write it), or stopped
 * before its end (time limit, node failure, preemption), in which case the run is resubmitted
 * and resumes from its checkpoint, at most runner.slurm.max_resubmits times and never when a
 * time-limited attempt made no progress.
 *
 * Everything it knows lives in OUT/slurm/: `jobs` (one line per submission: number, array job
 * id, fresh or resubmit, throttle, tasks, time), `submit-N.sh` (the batch script), `submit-N.tasks`
 * (task index → run, with the run's step when submitted), `logs/JOB_TASK.log` (each task's
 * output) and `events.log` (what happened to each task). A second `scalefit run` reads `jobs`,
 * checks each id with Slurm (the job must run this sweep's script) and attaches to the arrays
 * still queued or running instead of submitting their runs again; OUT/slurm/lock serialises
 * submissions between two such processes. It never trains anything itself, and on a stop
 * request it leaves the jobs running or cancels them (scancel), as asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The executor's own clock: checks for a stop request and redraws the display. */
static const double sweep_slurm_tick_seconds     = 0.2;
static const double sweep_slurm_progress_seconds = 1.0;

/* tmpfs's magic number (statfs(2)): a sweep directory there is seen by this machine only. */
static const long sweep_slurm_tmpfs_magic = 0x01021994;

// ---- paths ----

/* `p` as an absolute path without resolving links (a link may be what every node shares):
 * relative paths are joined to $PWD when that is this folder, else to getcwd(). */
static char *sweep_slurm_abs_impl(const char *p) {
    if (p[0] == '/') return sf_strdup(p);
    char        cwd[4096];
    const char *pwd = getenv("PWD");
    struct stat a, b;
    if (pwd == NULL || pwd[0] != '/' || stat(pwd, &a) != 0 || stat(".", &b) != 0 ||
        a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        if (getcwd(cwd, sizeof cwd) == NULL) return NULL;
        pwd = cwd;
    }
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    if (strcmp(p, ".") == 0) return sf_strdup(pwd);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        len--;
    return sf_strdup_printf("%s%s%.*s", pwd, strcmp(pwd, "/") == 0 ? "" : "/", (int)len, p);
}

// ---- the display ----

static void sweep_slurm_progress_impl(struct sweep_slurm_exec *x, double t0, double flops_todo,
                                      bool final) {
    if (x->opt->on_progress == NULL) return;
    size_t       n_active = 0;
    const char **ids      = calloc(x->n ? x->n : 1, sizeof *ids);
    int64_t     *steps    = calloc(x->n ? x->n : 1, sizeof *steps);
    int64_t     *total    = calloc(x->n ? x->n : 1, sizeof *total);
    double      *loss     = calloc(x->n ? x->n : 1, sizeof *loss);
    if (!ids || !steps || !total || !loss) {
        free(ids), free(steps), free(total), free(loss);
        return;
    }
    size_t n_finished = 0, n_running = 0;
    double done = 0;
    for (size_t i = 0; i < x->n; i++) {
        const struct sweep_slurm_runinfo *r = &x->ri[i];
        if (r->phase == SWEEP_SLURM_PHASE_END) {
            n_finished++;
            if (r->finished && !r->before) done += x->runs[i].flops_exact;
            continue;
        }
        if (r->phase != SWEEP_SLURM_PHASE_ACTIVE) continue;
        const struct sweep_slurm_task *tk = sweep_slurm_task_find(&x->subs[r->sub], r->task);
        if (tk == NULL || !sweep_slurm_state_running(tk->state)) continue;
        n_running++;
        char *dir       = sweep_run_dir(x->out, x->runs[i].id);
        ids[n_active]   = x->runs[i].id;
        total[n_active] = x->runs[i].steps;
        if (dir)
            sweep_metrics_last(dir, &steps[n_active], &loss[n_active]);
        else
            steps[n_active] = 0, loss[n_active] = NAN;
        free(dir);
        if (total[n_active] > 0)
            done += x->runs[i].flops_exact * (double)steps[n_active] / (double)total[n_active];
        n_active++;
    }
    struct sweep_progress p;
    memset(&p, 0, sizeof p);
    p.n_runs       = x->n;
    p.n_done       = n_finished;
    p.n_running    = final ? 0 : n_running;
    p.n_pending    = final ? 0 : x->n - n_finished - n_running;
    p.n_failed     = x->res->n_failed + x->res->n_diverged;
    p.elapsed_s    = sf_now() - t0;
    p.eta_s        = done > 0 && flops_todo > done ? p.elapsed_s * (flops_todo - done) / done : NAN;
    p.n_active     = final ? 0 : n_active;
    p.active_ids   = ids;
    p.active_step  = steps;
    p.active_steps = total;
    p.active_loss  = loss;
    x->opt->on_progress(x->opt->progress_ctx, &p);
    free(ids), free(steps), free(total), free(loss);
}

// ---- the executor ----

/* Checks what can be checked before anything is submitted: the time limit against the warning
 * signal. */
static enum sf_status sweep_slurm_check_settings_impl(const struct sweep_spec *spec,
                                                      struct sf_error         *err) {
    const struct sweep_slurm *o = &spec->slurm;
    int64_t                   limit;
    if (o->time[0] && sweep_slurm_time_seconds(o->time, &limit) && limit > 0 &&
        o->signal_seconds >= limit)
        SF_FAIL(err, SF_EINVAL,
                "runner.slurm.signal_seconds (%lld) must be shorter than the time limit "
                "'%s' (%lld s): the task would be told to stop as soon as it starts",
                (long long)o->signal_seconds, o->time, (long long)limit);
    return SF_OK;
}

/* The absolute sweep directory and OUT/slurm (fresh strings). */
static enum sf_status sweep_slurm_dirs_impl(const char *out_dir, char **out, char **sdir,
                                            struct sf_error *err) {
    *out  = sweep_slurm_abs_impl(out_dir);
    *sdir = *out ? sf_path_join(*out, "slurm") : NULL;
    if (*sdir == NULL) {
        free(*out);
        *out = NULL;
        SF_FAIL(err, SF_EIO, "cannot make %s an absolute path: %s", out_dir, strerror(errno));
    }
    if (!sweep_slurm_text_ok(*out)) {
        free(*out), free(*sdir);
        *out = *sdir = NULL;
        SF_FAIL(err, SF_EINVAL,
                "the sweep directory's path has a control character (a newline?); "
                "the Slurm executor cannot name it in a batch script");
    }
    return SF_OK;
}

/* Opens the executor's state: the absolute sweep directory, OUT/slurm/logs, OUT/slurm/lock, and
 * under the lock the record of earlier submissions, with the ids of any never written down found
 * in the queue. `logs` and `lock` are fresh strings for the caller to free. */
static enum sf_status sweep_slurm_open_impl(struct sweep_slurm_exec *x, const char *out_dir,
                                            char **logs, char **lock, struct sf_error *err) {
    enum sf_status st = sweep_slurm_dirs_impl(out_dir, &x->out, &x->sdir, err);
    if (st != SF_OK) return st;
    *logs = sf_path_join(x->sdir, "logs"), *lock = sf_path_join(x->sdir, "lock");
    x->ri = calloc(x->n ? x->n : 1, sizeof *x->ri);
    if (!*logs || !*lock || !x->ri) SF_FAIL(err, SF_ENOMEM, "out of memory");
    if ((st = sf_mkdir_p(*logs, err)) != SF_OK) return st;
    x->lock_fd = open(*lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (x->lock_fd < 0) SF_FAIL(err, SF_EIO, "cannot open %s: %s", *lock, strerror(errno));
    struct statfs fs;
    if (statfs(x->out, &fs) == 0 && (long)fs.f_type == sweep_slurm_tmpfs_magic)
        sf_log(x->opt->log, SF_LOG_LEVEL_WARNING,
               "%s is on a tmpfs, which only this machine sees; tasks on "
               "other nodes will not find their runs (docs/slurm.md)",
               x->out);
    /* What was submitted before, and which of it Slurm still runs. */
    while (flock(x->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR) SF_FAIL(err, SF_EIO, "cannot lock %s: %s", *lock, strerror(errno));
    st             = sweep_slurm_records_read(x->sdir, &x->subs, &x->n_subs, err);
    bool recovered = false;
    for (size_t k = 0; st == SF_OK && k < x->n_subs; k++)
        if (x->subs[k].job[0] == '\0') {
            sweep_slurm_recover(x, &x->subs[k]);
            recovered |= x->subs[k].job[0] != '\0';
        }
    if (st == SF_OK && recovered) st = sweep_slurm_records_write(x->sdir, x->subs, x->n_subs, err);
    flock(x->lock_fd, LOCK_UN);
    return st;
}

/* Sorts the runs into finished, attached (their task is still queued or running), held by a
 * trainer here, and to be submitted; says which arrays it attached to. Returns the FLOPs of the
 * unfinished runs (for the ETA). */
static double sweep_slurm_attach_impl(struct sweep_slurm_exec *x) {
    const struct sweep_run *runs       = x->runs;
    double                  flops_todo = 0;
    size_t                  n_attached = 0;
    sweep_slurm_assign(x);
    for (size_t i = 0; i < x->n; i++) {
        struct sweep_slurm_runinfo *r = &x->ri[i];
        struct sweep_run_state      rs;
        sweep_run_state_read(x->out, runs[i].id, &rs);
        if (rs.state == SWEEP_STATE_DONE || rs.state == SWEEP_STATE_DIVERGED) {
            r->phase    = SWEEP_SLURM_PHASE_END;
            r->finished = r->before = true;
            continue;
        }
        flops_todo += runs[i].flops_exact;
        if (r->sub >= 0) {
            struct sweep_slurm_sub *s = &x->subs[r->sub];
            if (!s->polled) sweep_slurm_poll(x, s);
            const struct sweep_slurm_task *tk = sweep_slurm_task_find(s, r->task);
            if (tk && !sweep_slurm_state_terminal(tk->state)) {
                r->phase        = SWEEP_SLURM_PHASE_ACTIVE;
                r->restarts     = tk->restarts;
                r->status_mtime = sweep_slurm_status_mtime(x, i);
                r->mark         = sweep_slurm_mark(x, i);
                n_attached++;
                continue;
            }
        }
        if (rs.locked) {
            r->phase = SWEEP_SLURM_PHASE_HELD;
            sf_log(x->opt->log, SF_LOG_LEVEL_INFO,
                   "run %s: a trainer here holds it; waiting for it", runs[i].id);
            continue;
        }
        r->phase     = SWEEP_SLURM_PHASE_TODO;
        r->resubmit  = false;
        r->resubmits = 0;
    }
    if (n_attached == 0) return flops_todo;
    struct sf_buf ids;
    sf_buf_init(&ids);
    size_t n_jobs = sweep_slurm_jobs_in_use(x, &ids);
    sf_log(x->opt->log, SF_LOG_LEVEL_WARNING,
           "attached to the sweep's Slurm array job%s %s (%zu run%s queued "
           "or running); nothing of it is submitted again",
           n_jobs == 1 ? "" : "s", ids.data ? ids.data : "", n_attached,
           n_attached == 1 ? "" : "s");
    sweep_slurm_event(x, "attached to array job%s %s", n_jobs == 1 ? "" : "s",
                      ids.data ? ids.data : "");
    sf_buf_free(&ids);
    return flops_todo;
}

/* The executor's loop: submits what is due, polls Slurm every poll_seconds (sooner when a
 * trainer has just written its final status), redraws the display, until every run has ended
 * for this command or a stop is requested. */
static enum sf_status sweep_slurm_loop_impl(struct sweep_slurm_exec *x, double t0,
                                            double flops_todo, struct sf_error *err) {
    const struct sweep_exec_options *opt = x->opt;
    enum sf_status                   st  = SF_OK;
    double next_poll = sf_now() + (double)x->spec->slurm.poll_seconds, last_display = -1e300;
    for (;;) {
        if (opt->stop != NULL && *opt->stop) return sweep_slurm_stop(x, err);
        if ((st = sweep_slurm_submit_due(x, err)) != SF_OK) return st;
        double now = sf_now();
        if (now >= next_poll) {
            sweep_slurm_refresh(x);
            next_poll = now + (double)x->spec->slurm.poll_seconds;
            continue; /* submit what the poll made due before sleeping */
        }
        bool more = false;
        for (size_t i = 0; i < x->n; i++)
            more |= x->ri[i].phase != SWEEP_SLURM_PHASE_END;
        if (now - last_display >= sweep_slurm_progress_seconds || !more) {
            last_display = now;
            sweep_slurm_progress_impl(x, t0, flops_todo, !more);
            /* A trainer that has just written its final status: ask Slurm now (at most once a
             * second) rather than at the next scheduled poll. */
            if (more && sweep_slurm_ending(x)) next_poll = now;
        }
        if (!more) return SF_OK;
        struct timespec ts = {0, (long)(sweep_slurm_tick_seconds * 1e9)};
        nanosleep(&ts, NULL);
    }
}

enum sf_status sweep_run_slurm(const struct sweep_spec *spec, const struct sweep_run *runs,
                               size_t n, const char *out_dir, const struct sweep_exec_options *opt,
                               struct sweep_exec_result *res, struct sf_error *err) {
    memset(res, 0, sizeof *res);
    const double t0 = sf_now();
    SF_ASSERT(opt->scalefit != NULL);
    enum sf_status st = sweep_slurm_check_settings_impl(spec, err);
    if (st != SF_OK) return st;
    struct sweep_slurm_exec x;
    memset(&x, 0, sizeof x);
    x.spec = spec, x.runs = runs, x.n = n, x.opt = opt, x.res = res, x.lock_fd = -1;
    x.last_unreachable = -1e300;
    char *logs = NULL, *lock = NULL;
    st = sweep_slurm_open_impl(&x, out_dir, &logs, &lock, err);
    if (st == SF_OK) {
        double flops_todo = sweep_slurm_attach_impl(&x);
        st                = sweep_slurm_loop_impl(&x, t0, flops_todo, err);
    }
    res->wall_seconds = sf_now() - t0;
    if (x.lock_fd >= 0) close(x.lock_fd);
    for (size_t k = 0; k < x.n_subs; k++)
        sweep_slurm_sub_free(&x.subs[k]);
    free(x.subs);
    free(x.ri);
    free(x.out);
    free(x.sdir);
    free(logs);
    free(lock);
    return st;
}

enum sf_status sweep_slurm_script(const struct sweep_spec *spec, const struct sweep_run *runs,
                                  size_t n, const char *out_dir, const char *scalefit, int64_t jobs,
                                  char **text, struct sf_error *err) {
    *text             = NULL;
    enum sf_status st = sweep_slurm_check_settings_impl(spec, err);
    if (st != SF_OK) return st;
    char *out, *sdir;
    if ((st = sweep_slurm_dirs_impl(out_dir, &out, &sdir, err)) != SF_OK) return st;
    struct sweep_slurm_sub *subs   = NULL;
    size_t                  n_subs = 0;
    st                             = sweep_slurm_records_read(sdir, &subs, &n_subs, err);
    int64_t number                 = n_subs ? subs[n_subs - 1].number + 1 : 1;
    for (size_t k = 0; k < n_subs; k++)
        sweep_slurm_sub_free(&subs[k]);
    free(subs);
    /* The unfinished runs, longest first (what a fresh submission would hold). */
    const char **ids   = calloc(n ? n : 1, sizeof *ids);
    size_t      *ord   = calloc(n ? n : 1, sizeof *ord);
    size_t       n_ids = 0;
    char        *path  = sf_strdup_printf("%s/submit-%lld.sh", sdir, (long long)number);
    if (st == SF_OK && (!ids || !ord || !path)) st = SF_SET(err, SF_ENOMEM, "out of memory");
    if (st == SF_OK) {
        for (size_t i = 0; i < n; i++) {
            struct sweep_run_state rs;
            sweep_run_state_read(out, runs[i].id, &rs);
            if (rs.state != SWEEP_STATE_DONE && rs.state != SWEEP_STATE_DIVERGED) ord[n_ids++] = i;
        }
        for (size_t a = 1; a < n_ids; a++)
            for (size_t b = a; b > 0 && runs[ord[b]].flops_exact > runs[ord[b - 1]].flops_exact;
                 b--) {
                size_t tmp = ord[b];
                ord[b]     = ord[b - 1];
                ord[b - 1] = tmp;
            }
        for (size_t k = 0; k < n_ids; k++)
            ids[k] = runs[ord[k]].id;
        if (n_ids == 0) {
            *text = sf_strdup("# every run of the sweep is finished: nothing to submit\n");
            if (*text == NULL) st = SF_SET(err, SF_ENOMEM, "out of memory");
        } else {
            char   *abs_self = sweep_slurm_abs_impl(scalefit);
            int64_t throttle = jobs < 1 ? 1 : jobs > (int64_t)n_ids ? (int64_t)n_ids : jobs;
            struct sweep_slurm_submit sub = {
                &spec->slurm,
                spec->name,
                out,
                abs_self ? abs_self : scalefit,
                path,
                number,
                throttle,
                spec->slurm.cpus_per_task > 0 ? spec->slurm.cpus_per_task
                                              : (spec->base.threads > 0 ? spec->base.threads : 1),
                ids,
                n_ids};
            char **argv = NULL;
            st          = sweep_slurm_submission(&sub, text, &argv, err);
            sweep_slurm_args_free(argv);
            free(abs_self);
        }
    }
    free(ids);
    free(ord);
    free(path);
    free(out);
    free(sdir);
    return st;
}
