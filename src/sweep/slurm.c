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
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How long one Slurm command may take before it is given up (a controller that does not answer
 * makes scontrol retry for a while by itself). */
static const double sweep_slurm_command_seconds = 120;
/* The executor's own clock: checks for a stop request and redraws the display. */
static const double sweep_slurm_tick_seconds     = 0.2;
static const double sweep_slurm_progress_seconds = 1.0;
/* After scancel, how long to wait for the tasks to end so that their runs record it. */
static const double sweep_slurm_cancel_wait_seconds = 90;
/* Lines of a task's log quoted in a failure (the status file gets them on one line). */
static const size_t sweep_slurm_tail_lines = 6;
/* tmpfs's magic number (statfs(2)): a sweep directory there is seen by this machine only. */
static const long sweep_slurm_tmpfs_magic = 0x01021994;

// ---- running Slurm's commands (fork/exec, no shell) ----

/* Reads everything a child writes to `fd_out` and `fd_err` until both close or `deadline`. */
static bool sweep_slurm_drain_impl(int fd_out, int fd_err, struct sf_buf *out, struct sf_buf *errb,
                                   double deadline) {
    struct pollfd pf[2]    = {{fd_out, POLLIN, 0}, {fd_err, POLLIN, 0}};
    int           open_fds = 2;
    char          buf[4096];
    while (open_fds > 0) {
        double left = deadline - sf_now();
        if (left <= 0) return false;
        int r = poll(pf, 2, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return false;
        for (int k = 0; k < 2; k++) {
            if (pf[k].fd < 0 || pf[k].revents == 0) continue;
            ssize_t got = read(pf[k].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                pf[k].fd = -1;
                open_fds--;
                continue;
            }
            sf_buf_append(k == 0 ? out : errb, buf, (size_t)got);
        }
    }
    return true;
}

/* Runs argv (argv[0] looked up on PATH) with stdin from /dev/null, in a process group of its
 * own (a Ctrl-C on the terminal must not kill an sbatch half-way). Its stdout and stderr are
 * appended to `out` and `errb`; *exit_status is its exit status, 128+N when killed by signal N,
 * 127 when it could not be started (errb says why). SF_EIO when it could not be run at all or
 * took longer than the limit. */
static enum sf_status sweep_slurm_command_impl(char *const argv[], struct sf_buf *out,
                                               struct sf_buf *errb, int *exit_status,
                                               struct sf_error *err) {
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0)
        SF_FAIL(err, SF_EIO, "cannot run %s: %s", argv[0], strerror(errno));
    if (pipe2(pe, O_CLOEXEC) != 0) {
        int e = errno;
        close(po[0]), close(po[1]);
        SF_FAIL(err, SF_EIO, "cannot run %s: %s", argv[0], strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        SF_FAIL(err, SF_EIO, "cannot run %s: %s", argv[0], strerror(e));
    }
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        /* The command line's handlers do not belong to Slurm's tools. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "cannot run %s: %s%s", argv[0], strerror(errno),
                errno == ENOENT ? " (Slurm's client commands are not on PATH; Debian: slurm-client)"
                                : "");
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    bool finished =
        sweep_slurm_drain_impl(po[0], pe[0], out, errb, sf_now() + sweep_slurm_command_seconds);
    close(po[0]);
    close(pe[0]);
    if (!finished) kill(-pid, SIGKILL);
    int   ws;
    pid_t got;
    while ((got = waitpid(pid, &ws, 0)) < 0 && errno == EINTR) {
    }
    if (!finished)
        SF_FAIL(err, SF_EIO, "%s did not answer within %.0f s", argv[0],
                sweep_slurm_command_seconds);
    if (got < 0) SF_FAIL(err, SF_EIO, "cannot wait for %s: %s", argv[0], strerror(errno));
    *exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return SF_OK;
}

/* The first line of a command's stderr, for messages (a fresh string; NULL on ENOMEM). */
static char *sweep_slurm_first_line_impl(const struct sf_buf *b) {
    const char *s = b->data ? b->data : "";
    while (*s == '\n')
        s++;
    size_t len = strcspn(s, "\n");
    return sf_strdup_printf("%.*s", (int)(len > 400 ? 400 : len), s);
}

// ---- small file helpers ----

/* The current time as 2025-01-31T12:00:00Z. */
static void sweep_slurm_utc_impl(char *buf, size_t n) {
    time_t    t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

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

/* The run's progress for the "did it advance" test: the larger of summary.yaml's step (the
 * checkpointed step when the trainer stopped on a signal, its start step otherwise) and the last
 * metrics row. */
static int64_t sweep_slurm_step_impl(const char *run_dir) {
    int64_t                  step = 0;
    double                   loss, summary_step;
    static const char *const key[] = {"step"};
    sweep_metrics_last(run_dir, &step, &loss);
    sweep_summary_numbers(run_dir, key, &summary_step, 1);
    if (summary_step > (double)step) step = (int64_t)summary_step;
    return step;
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

// ---- the record of submissions (OUT/slurm/jobs and submit-N.tasks) ----

struct sweep_slurm_sub {
    int64_t number;
    char    job[32];  /* the array job id; "" while unknown */
    bool    resubmit; /* made automatically (counts toward max_resubmits) */
    int64_t throttle;
    size_t  n_tasks;
    char (*run_ids)[48]; /* task → run */
    int64_t *steps;      /* the run's step when submitted */
    char     when[32];
    /* What the last poll saw. */
    struct sweep_slurm_task *tasks;
    size_t                   n_seen;
    bool                     polled, active, gone;
};

static void sweep_slurm_sub_free_impl(struct sweep_slurm_sub *s) {
    free(s->run_ids);
    free(s->steps);
    free(s->tasks);
    memset(s, 0, sizeof *s);
}

/* Reads submit-N.tasks ("INDEX RUN STEP" lines). */
static bool sweep_slurm_map_read_impl(const char *sdir, struct sweep_slurm_sub *s) {
    char           *path = sf_strdup_printf("%s/submit-%lld.tasks", sdir, (long long)s->number);
    char           *text = NULL;
    size_t          len;
    struct sf_error e;
    bool            ok = path && sf_read_file(path, &text, &len, &e) == SF_OK;
    free(path);
    if (!ok) return false;
    size_t cap = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#') continue;
        long long idx, step;
        char      id[48];
        if (sscanf(l, "%lld %47s %lld", &idx, id, &step) != 3 || idx != (long long)s->n_tasks)
            continue;
        if (s->n_tasks == cap) {
            cap            = cap ? 2 * cap : 16;
            char(*ids)[48] = realloc(s->run_ids, cap * sizeof *ids);
            if (ids) s->run_ids = ids;
            int64_t *st = realloc(s->steps, cap * sizeof *st);
            if (st) s->steps = st;
            if (!ids || !st) {
                free(text);
                return false;
            }
        }
        snprintf(s->run_ids[s->n_tasks], 48, "%s", id);
        s->steps[s->n_tasks++] = step;
    }
    free(text);
    return s->n_tasks > 0;
}

/* Reads OUT/slurm/jobs and each submission's map into *subs (fresh array). A missing file is
 * no submission at all. */
static enum sf_status sweep_slurm_records_read_impl(const char *sdir, struct sweep_slurm_sub **subs,
                                                    size_t *n, struct sf_error *err) {
    *subs       = NULL;
    *n          = 0;
    char  *path = sf_path_join(sdir, "jobs");
    char  *text = NULL;
    size_t len, cap = 0;
    if (path == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    if (!sf_path_exists(path)) {
        free(path);
        return SF_OK;
    }
    enum sf_status st = sf_read_file(path, &text, &len, err);
    free(path);
    if (st != SF_OK) return st;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#') continue;
        struct sweep_slurm_sub s;
        memset(&s, 0, sizeof s);
        long long num, thr;
        char      job[32], kind[16], when[32];
        if (sscanf(l, "%lld %31s %15s %lld %*u %31s", &num, job, kind, &thr, when) != 5) continue;
        s.number   = num;
        s.throttle = thr;
        s.resubmit = strcmp(kind, "resubmit") == 0;
        snprintf(s.job, sizeof s.job, "%s", strcmp(job, "-") == 0 ? "" : job);
        snprintf(s.when, sizeof s.when, "%s", when);
        if (!sweep_slurm_map_read_impl(sdir, &s)) {
            sweep_slurm_sub_free_impl(&s);
            continue;
        }
        if (*n == cap) {
            cap                       = cap ? 2 * cap : 8;
            struct sweep_slurm_sub *g = realloc(*subs, cap * sizeof *g);
            if (g == NULL) {
                sweep_slurm_sub_free_impl(&s);
                for (size_t k = 0; k < *n; k++)
                    sweep_slurm_sub_free_impl(&(*subs)[k]);
                free(*subs);
                *subs = NULL;
                *n    = 0;
                free(text);
                SF_FAIL(err, SF_ENOMEM, "out of memory reading %s/jobs", sdir);
            }
            *subs = g;
        }
        (*subs)[(*n)++] = s;
    }
    free(text);
    return SF_OK;
}

static enum sf_status sweep_slurm_records_write_impl(const char                   *sdir,
                                                     const struct sweep_slurm_sub *subs, size_t n,
                                                     struct sf_error *err) {
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_puts(
        &b,
        "# The Slurm submissions of this sweep, written by scalefit run: number, array job id,\n"
        "# fresh or resubmit, the array's concurrency limit, tasks, time (UTC). Task i of\n"
        "# submission N trains the run on line i of submit-N.tasks; logs/JOB_i.log is its log.\n");
    for (size_t i = 0; i < n; i++)
        sf_buf_printf(&b, "%lld %s %s %lld %zu %s\n", (long long)subs[i].number,
                      subs[i].job[0] ? subs[i].job : "-", subs[i].resubmit ? "resubmit" : "fresh",
                      (long long)subs[i].throttle, subs[i].n_tasks, subs[i].when);
    enum sf_status st = sf_write_buf_at(sdir, "jobs", &b, err);
    sf_buf_free(&b);
    return st;
}

// ---- the executor's state ----

enum sweep_slurm_phase {
    SWEEP_SLURM_PHASE_TODO,   /* to be submitted */
    SWEEP_SLURM_PHASE_ACTIVE, /* its task is queued or running */
    SWEEP_SLURM_PHASE_HELD,   /* a trainer seen from here holds it (not ours): wait */
    SWEEP_SLURM_PHASE_END,    /* finished for this command (done, failed, ...) */
};

struct sweep_slurm_runinfo {
    enum sweep_slurm_phase phase;
    bool                   resubmit; /* TODO because its task stopped early */
    long                   sub;      /* its latest submission (index into subs), -1: none */
    size_t                 task;
    int64_t                resubmits; /* automatic resubmissions since its last fresh one */
    int64_t                restarts;  /* Slurm's requeues seen in its current task */
    char                   pending_reason[160]; /* the unusual waiting reason last reported */
    struct timespec status_mtime;    /* of its status file when its task was submitted or found */
    struct sweep_loop_mark mark;     /* summary.yaml's timing then */
    bool                   finished; /* done or diverged (for the display) */
    bool                   before;   /* already finished when the command started */
};

struct sweep_slurm_exec {
    const struct sweep_spec         *spec;
    const struct sweep_run          *runs;
    size_t                           n;
    const struct sweep_exec_options *opt;
    struct sweep_exec_result        *res;
    char                            *out;  /* absolute */
    char                            *sdir; /* OUT/slurm */
    int                              lock_fd;
    struct sweep_slurm_sub          *subs;
    size_t                           n_subs;
    struct sweep_slurm_runinfo      *ri;
    bool                             stopping;
    double                           last_unreachable;
};

/* Appends one line to OUT/slurm/events.log (best effort: it is a diary, not a state). */
static void sweep_slurm_event_impl(struct sweep_slurm_exec *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sweep_slurm_event_impl(struct sweep_slurm_exec *x, const char *fmt, ...) {
    char    when[32];
    va_list ap;
    va_start(ap, fmt);
    char *msg = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    sweep_slurm_utc_impl(when, sizeof when);
    char *line = msg ? sf_strdup_printf("%s %s\n", when, msg) : NULL;
    char *path = sf_path_join(x->sdir, "events.log");
    int   fd   = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (fd >= 0 && line) {
        ssize_t w = write(fd, line, strlen(line));
        (void)w;
    }
    if (fd >= 0) close(fd);
    free(path);
    free(line);
    free(msg);
}

/* Writes a run's status line (the trainer could not). */
static void sweep_slurm_status_impl(struct sweep_slurm_exec *x, size_t i, const char *state,
                                    const char *reason) {
    char *dir  = sweep_run_dir(x->out, x->runs[i].id);
    char *path = dir ? sf_path_join(dir, "status") : NULL;
    char *text =
        reason ? sf_strdup_printf("%s: %s\n", state, reason) : sf_strdup_printf("%s\n", state);
    struct sf_error e;
    if (path && text && sf_write_atomic(path, text, strlen(text), &e) != SF_OK)
        sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "cannot record run %s's state: %s", x->runs[i].id,
               e.message);
    free(dir);
    free(path);
    free(text);
}

/* The status file's modification time (zero when it cannot be read). */
static struct timespec sweep_slurm_status_mtime_impl(const struct sweep_slurm_exec *x, size_t i) {
    struct timespec t    = {0, 0};
    char           *dir  = sweep_run_dir(x->out, x->runs[i].id);
    char           *path = dir ? sf_path_join(dir, "status") : NULL;
    struct stat     sb;
    if (path && stat(path, &sb) == 0) t = sb.st_mtim;
    free(path);
    free(dir);
    return t;
}

/* Run i's summary.yaml timing marks (what its trainer has spent inside its loop so far). */
static struct sweep_loop_mark sweep_slurm_mark_impl(const struct sweep_slurm_exec *x, size_t i) {
    char                  *dir = sweep_run_dir(x->out, x->runs[i].id);
    struct sweep_loop_mark m = dir ? sweep_loop_mark_read(dir) : (struct sweep_loop_mark){NAN, NAN};
    free(dir);
    return m;
}

static const struct sweep_slurm_task *sweep_slurm_task_impl(const struct sweep_slurm_sub *s,
                                                            size_t                        task) {
    if (s->gone || !s->polled) return NULL;
    for (size_t k = 0; k < s->n_seen; k++)
        if (s->tasks[k].index == (int64_t)task) return &s->tasks[k];
    return NULL;
}

/* Asks Slurm about submission s. A job id Slurm does not know (purged after MinJobAge, or from
 * another cluster) or one that runs another script makes the submission `gone`; an unreachable
 * controller leaves what the last poll saw. */
static void sweep_slurm_poll_impl(struct sweep_slurm_exec *x, struct sweep_slurm_sub *s) {
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
    enum sf_status  st = sweep_slurm_command_impl(argv, &out, &errb, &rc, &e);
    if (st == SF_OK && rc != 0 && errb.data && strstr(errb.data, "Invalid job id")) {
        s->gone = true, s->active = false, s->polled = true;
    } else if (st != SF_OK || rc != 0) {
        double now = sf_now();
        if (now - x->last_unreachable > 60) {
            char *line = sweep_slurm_first_line_impl(&errb);
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
static void sweep_slurm_recover_impl(struct sweep_slurm_exec *x, struct sweep_slurm_sub *s) {
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
    if (script && sweep_slurm_command_impl(argv, &out, &errb, &rc, &e) == SF_OK && rc == 0 &&
        out.data) {
        for (char *save = NULL, *l = strtok_r(out.data, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            char *sp = strchr(l, ' ');
            if (sp && strcmp(sp + 1, script) == 0) {
                snprintf(s->job, sizeof s->job, "%.*s", (int)(sp - l), l);
                sweep_slurm_event_impl(x, "submission %lld: found its array job %s in the queue",
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
static void sweep_slurm_assign_impl(struct sweep_slurm_exec *x) {
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

/* The path of task `t` of submission `s`'s log (fresh string). */
static char *sweep_slurm_log_path_impl(const struct sweep_slurm_exec *x,
                                       const struct sweep_slurm_sub *s, size_t t) {
    return sf_strdup_printf("%s/logs/%s_%zu.log", x->sdir, s->job[0] ? s->job : "unknown", t);
}

// ---- submitting ----

/* Runs sbatch for one submission and records it. `todo` lists the runs (indices into runs). */
static enum sf_status sweep_slurm_submit_impl(struct sweep_slurm_exec *x, const size_t *todo,
                                              size_t n_todo, bool resubmit, struct sf_error *err) {
    /* The array's limit: the sweep's concurrency less what other arrays of it still run. */
    int64_t busy = 0;
    for (size_t k = 0; k < x->n_subs; k++)
        if (x->subs[k].active)
            for (size_t t = 0; t < x->subs[k].n_seen; t++)
                if (!sweep_slurm_state_terminal(x->subs[k].tasks[t].state)) busy++;
    int64_t throttle = x->opt->jobs - busy;
    if (throttle < 1) throttle = 1;
    if (throttle > (int64_t)n_todo) throttle = (int64_t)n_todo;
    struct sweep_slurm_sub s;
    memset(&s, 0, sizeof s);
    s.number         = x->n_subs ? x->subs[x->n_subs - 1].number + 1 : 1;
    s.resubmit       = resubmit;
    s.throttle       = throttle;
    s.n_tasks        = n_todo;
    s.run_ids        = calloc(n_todo, sizeof *s.run_ids);
    s.steps          = calloc(n_todo, sizeof *s.steps);
    const char **ids = calloc(n_todo, sizeof *ids);
    sweep_slurm_utc_impl(s.when, sizeof s.when);
    char *script_path = sf_strdup_printf("%s/submit-%lld.sh", x->sdir, (long long)s.number);
    if (!s.run_ids || !s.steps || !ids || !script_path) {
        free(ids), free(script_path), sweep_slurm_sub_free_impl(&s);
        SF_FAIL(err, SF_ENOMEM, "out of memory submitting to Slurm");
    }
    struct sf_buf map;
    sf_buf_init(&map);
    sf_buf_puts(&map, "# task run step-when-submitted\n");
    for (size_t t = 0; t < n_todo; t++) {
        const struct sweep_run *r   = &x->runs[todo[t]];
        char                   *dir = sweep_run_dir(x->out, r->id);
        snprintf(s.run_ids[t], 48, "%s", r->id);
        s.steps[t] = dir ? sweep_slurm_step_impl(dir) : 0;
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
     * next one follows (sweep_slurm_recover_impl). */
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
            st   = sweep_slurm_records_write_impl(x->sdir, x->subs, x->n_subs, err);
        }
    }
    struct sf_buf out, errb;
    sf_buf_init(&out);
    sf_buf_init(&errb);
    int rc = 0;
    if (st == SF_OK) st = sweep_slurm_command_impl(argv, &out, &errb, &rc, err);
    if (st == SF_OK && rc != 0) {
        char *line = sweep_slurm_first_line_impl(&errb);
        if (rc == 127 && line && strncmp(line, "cannot run ", 11) == 0)
            st = SF_SET(err, SF_EIO, "%s", line);
        else
            st = SF_SET(err, SF_EIO,
                        "sbatch refused the sweep's job array (exit %d): %s (the batch script "
                        "is %s)",
                        rc, line ? line : "", script_path);
        free(line);
    }
    if (st == SF_OK) {
        /* --parsable prints "JOBID" or "JOBID;CLUSTER". */
        const char *o = out.data ? out.data : "";
        size_t      k = strspn(o, "0123456789");
        if (k == 0 || k >= sizeof mine->job)
            st = SF_SET(err, SF_EIO, "sbatch printed no job id ('%.100s')", o);
        else
            snprintf(mine->job, sizeof mine->job, "%.*s", (int)k, o);
    }
    if (st != SF_OK && mine != NULL) {
        /* Nothing was submitted (or nothing we can follow): forget the record. */
        sweep_slurm_sub_free_impl(mine);
        x->n_subs--;
        mine = NULL;
        struct sf_error ignored;
        sweep_slurm_records_write_impl(x->sdir, x->subs, x->n_subs, &ignored);
    }
    if (st == SF_OK) st = sweep_slurm_records_write_impl(x->sdir, x->subs, x->n_subs, err);
    if (st == SF_OK) {
        mine->polled = false;
        mine->active = true;
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
            if (rs.state == SWEEP_STATE_FAILED) sweep_slurm_status_impl(x, i, "pending", NULL);
            x->ri[i].status_mtime = sweep_slurm_status_mtime_impl(x, i);
        }
        sf_log(x->opt->log, SF_LOG_LEVEL_INFO,
               "submitted %zu run%s to Slurm as array job %s (%s, at most %lld at a time)", n_todo,
               n_todo == 1 ? "" : "s", mine->job, script_path, (long long)throttle);
        sweep_slurm_event_impl(
            x, "submission %lld: array job %s, %zu task%s (%s), at most %lld at a time",
            (long long)mine->number, mine->job, n_todo, n_todo == 1 ? "" : "s",
            resubmit ? "resubmitted" : "fresh", (long long)throttle);
    }
    sf_buf_free(&out);
    sf_buf_free(&errb);
    sf_buf_free(&map);
    sweep_slurm_args_free(argv);
    free(script);
    free(name);
    free(ids);
    free(script_path);
    sweep_slurm_sub_free_impl(&s);
    return st;
}

/* Submits the runs waiting for it (fresh or resubmitted) under OUT/slurm/lock, after reading
 * the record again: another `scalefit run` on this sweep may have submitted them meanwhile. */
static enum sf_status sweep_slurm_submit_due_impl(struct sweep_slurm_exec *x,
                                                  struct sf_error         *err) {
    size_t n_due = 0;
    for (size_t i = 0; i < x->n; i++)
        n_due += x->ri[i].phase == SWEEP_SLURM_PHASE_TODO;
    if (n_due == 0) return SF_OK;
    while (flock(x->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            SF_FAIL(err, SF_EIO, "cannot lock %s/lock: %s", x->sdir, strerror(errno));
    struct sweep_slurm_sub *subs;
    size_t                  n_subs;
    enum sf_status          st = sweep_slurm_records_read_impl(x->sdir, &subs, &n_subs, err);
    if (st == SF_OK) {
        /* Submissions made by someone else since we last looked. */
        int64_t last = x->n_subs ? x->subs[x->n_subs - 1].number : 0;
        for (size_t k = 0; k < n_subs; k++) {
            if (subs[k].number <= last) {
                sweep_slurm_sub_free_impl(&subs[k]);
                continue;
            }
            struct sweep_slurm_sub *g = realloc(x->subs, (x->n_subs + 1) * sizeof *g);
            if (g == NULL) {
                sweep_slurm_sub_free_impl(&subs[k]);
                continue;
            }
            x->subs            = g;
            x->subs[x->n_subs] = subs[k];
            sweep_slurm_poll_impl(x, &x->subs[x->n_subs]);
            x->n_subs++;
            for (size_t t = 0; t < subs[k].n_tasks; t++)
                for (size_t i = 0; i < x->n; i++)
                    if (x->ri[i].phase == SWEEP_SLURM_PHASE_TODO &&
                        strcmp(subs[k].run_ids[t], x->runs[i].id) == 0) {
                        x->ri[i].phase        = SWEEP_SLURM_PHASE_ACTIVE;
                        x->ri[i].sub          = (long)(x->n_subs - 1);
                        x->ri[i].task         = t;
                        x->ri[i].status_mtime = sweep_slurm_status_mtime_impl(x, i);
                        x->ri[i].mark         = sweep_slurm_mark_impl(x, i);
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
                    if (why) sweep_slurm_status_impl(x, i, "interrupted", why);
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

// ---- judging what ended ----

/* Handles run i whose task ended (or that Slurm no longer knows). */
static void sweep_slurm_ended_impl(struct sweep_slurm_exec *x, size_t i) {
    struct sweep_slurm_runinfo    *r   = &x->ri[i];
    struct sweep_slurm_sub        *s   = &x->subs[r->sub];
    const struct sweep_slurm_task *tk  = sweep_slurm_task_impl(s, r->task);
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
        .step_now      = dir ? sweep_slurm_step_impl(dir) : 0,
        .resubmits     = r->resubmits,
        .max_resubmits = x->spec->slurm.max_resubmits,
    };
    enum sweep_slurm_verdict v = sweep_slurm_judge(&c);
    if (v == SWEEP_SLURM_VERDICT_WAIT) goto out;
    if (tk) x->res->train_seconds += tk->run_seconds;
    if (dir) x->res->loop_seconds += sweep_loop_added(r->mark, sweep_loop_mark_read(dir));
    /* "Slurm: TIMEOUT (exit 0:15, reason TimeLimit) in task 12_3". */
    char slurm[320];
    if (tk)
        snprintf(slurm, sizeof slurm, "Slurm: %s (exit %d:%d, reason %s) in task %s_%zu", tk->state,
                 tk->exit_code, tk->exit_signal, tk->reason[0] ? tk->reason : "none", s->job,
                 r->task);
    else
        snprintf(slurm, sizeof slurm, "Slurm no longer knows task %s_%zu", s->job[0] ? s->job : "?",
                 r->task);
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
        if (reason) sweep_slurm_status_impl(x, i, "interrupted", reason);
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
            if (reason) sweep_slurm_status_impl(x, i, "interrupted", reason);
        }
        what = "stopped before its end; resubmitting it (it resumes from its checkpoint)";
        break;
    case SWEEP_SLURM_VERDICT_STALLED:
    case SWEEP_SLURM_VERDICT_EXHAUSTED:
    case SWEEP_SLURM_VERDICT_LOST:
        r->phase = SWEEP_SLURM_PHASE_END;
        x->res->n_failed++;
        if (v == SWEEP_SLURM_VERDICT_STALLED)
            reason = sf_strdup_printf(
                "%s: no progress in this attempt (still at step %lld), so it is not "
                "resubmitted; give it more time (runner.slurm.time) or checkpoint "
                "more often (train.checkpoint_every)",
                slurm, (long long)c.step_now);
        else if (v == SWEEP_SLURM_VERDICT_EXHAUSTED)
            reason = sf_strdup_printf(
                "%s at step %lld, after %lld resubmission%s (runner.slurm.max_resubmits); "
                "run the same command again to continue it",
                slurm, (long long)c.step_now, (long long)r->resubmits,
                r->resubmits == 1 ? "" : "s");
        else
            reason = sf_strdup_printf("%s%s; the task's log ends: %s", slurm,
                                      tk && strcmp(tk->state, "OUT_OF_MEMORY") == 0
                                          ? ": the task ran out of memory (raise runner.slurm.mem)"
                                          : "",
                                      tail_flat.len ? tail_flat.data : "(empty)");
        if (reason) sweep_slurm_status_impl(x, i, "failed", reason);
        sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "run %s failed: %s; %s ends with:\n%s", run->id,
               reason ? reason : slurm, log ? log : "its log",
               tail_lines.data ? tail_lines.data : "");
        what = v == SWEEP_SLURM_VERDICT_STALLED     ? "failed (no progress)"
               : v == SWEEP_SLURM_VERDICT_EXHAUSTED ? "failed (resubmissions used up)"
                                                    : "failed";
        break;
    }
    sf_log(x->opt->log, SF_LOG_LEVEL_INFO, "run %s: %s", run->id, what);
    sweep_slurm_event_impl(x, "run %s, %s: %s; step %lld (was %lld when submitted)", run->id, slurm,
                           what, (long long)c.step_now, (long long)c.step_before);
    free(reason);
out:
    sf_buf_free(&tail_lines);
    sf_buf_free(&tail_flat);
    free(dir);
    free(log);
}

/* Polls the active submissions and judges every run whose task has ended since. */
static void sweep_slurm_refresh_impl(struct sweep_slurm_exec *x) {
    for (size_t k = 0; k < x->n_subs; k++)
        if (x->subs[k].active || !x->subs[k].polled) {
            bool needed = false;
            for (size_t i = 0; i < x->n && !needed; i++)
                needed = x->ri[i].phase == SWEEP_SLURM_PHASE_ACTIVE && x->ri[i].sub == (long)k;
            if (needed) sweep_slurm_poll_impl(x, &x->subs[k]);
        }
    for (size_t i = 0; i < x->n; i++) {
        struct sweep_slurm_runinfo *r = &x->ri[i];
        if (r->phase != SWEEP_SLURM_PHASE_ACTIVE) continue;
        struct sweep_slurm_sub *s = &x->subs[r->sub];
        if (!s->polled) continue;
        const struct sweep_slurm_task *tk = sweep_slurm_task_impl(s, r->task);
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
                sweep_slurm_event_impl(x, "run %s: Slurm requeued task %s_%zu (restart %lld)",
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
            if (sweep_slurm_command_impl(argv, &o, &e, &rc, &er) == SF_OK && rc == 0) {
                sweep_slurm_event_impl(x,
                                       "submission %lld: array job %s may now run %lld at a time",
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
static bool sweep_slurm_ending_impl(const struct sweep_slurm_exec *x) {
    bool ending = false;
    for (size_t i = 0; i < x->n && !ending; i++) {
        const struct sweep_slurm_runinfo *r = &x->ri[i];
        if (r->phase != SWEEP_SLURM_PHASE_ACTIVE) continue;
        if (!x->subs[r->sub].polled) return true;
        struct timespec t = sweep_slurm_status_mtime_impl(x, i);
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
        const struct sweep_slurm_task *tk = sweep_slurm_task_impl(&x->subs[r->sub], r->task);
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

/* Stops on a request: cancels the arrays (when asked to) and waits for their tasks to end, or
 * leaves them running. Returns SF_EINTERRUPTED with the message to show. */
static enum sf_status sweep_slurm_stop_impl(struct sweep_slurm_exec *x, struct sf_error *err) {
    x->stopping = true;
    struct sf_buf ids;
    sf_buf_init(&ids);
    size_t n_jobs = 0;
    for (size_t k = 0; k < x->n_subs; k++) {
        bool used = false;
        for (size_t i = 0; i < x->n && !used; i++)
            used = x->ri[i].phase == SWEEP_SLURM_PHASE_ACTIVE && x->ri[i].sub == (long)k;
        if (!used || x->subs[k].job[0] == '\0') continue;
        sf_buf_printf(&ids, "%s%s", n_jobs++ ? ", " : "", x->subs[k].job);
    }
    if (n_jobs == 0) {
        sf_buf_free(&ids);
        SF_FAIL(err, SF_EINTERRUPTED,
                "stopped: nothing of the sweep is queued in Slurm; run the same "
                "command again to submit the unfinished runs");
    }
    bool cancel = x->opt->ask_cancel != NULL && x->opt->ask_cancel(x->opt->ask_ctx);
    if (!cancel) {
        sweep_slurm_event_impl(x, "stopped watching; array job%s %s left running",
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
        for (size_t k = 0; k < x->n_subs; k++) {
            bool used = false;
            for (size_t i = 0; i < x->n && !used; i++)
                used = x->ri[i].phase == SWEEP_SLURM_PHASE_ACTIVE && x->ri[i].sub == (long)k;
            if (used && x->subs[k].job[0]) argv[a++] = x->subs[k].job;
        }
        struct sf_buf o, e;
        sf_buf_init(&o);
        sf_buf_init(&e);
        int             rc = 0;
        struct sf_error er;
        if (sweep_slurm_command_impl(argv, &o, &e, &rc, &er) != SF_OK || rc != 0) {
            char *line = sweep_slurm_first_line_impl(&e);
            sf_log(x->opt->log, SF_LOG_LEVEL_WARNING, "scancel failed: %s",
                   line ? line : er.message);
            free(line);
        }
        sf_buf_free(&o);
        sf_buf_free(&e);
        free(argv);
    }
    sweep_slurm_event_impl(x, "stopped: cancelled array job%s %s", n_jobs == 1 ? "" : "s",
                           ids.data);
    sf_log(x->opt->log, SF_LOG_LEVEL_WARNING,
           "cancelled the sweep's Slurm job%s (%s); waiting for the "
           "trainers to checkpoint",
           n_jobs == 1 ? "" : "s", ids.data);
    double until = sf_now() + sweep_slurm_cancel_wait_seconds;
    for (;;) {
        sweep_slurm_refresh_impl(x);
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
    if ((st = sweep_slurm_dirs_impl(out_dir, &x.out, &x.sdir, err)) != SF_OK) return st;
    char *logs = sf_path_join(x.sdir, "logs"), *lock = sf_path_join(x.sdir, "lock");
    x.ri = calloc(n ? n : 1, sizeof *x.ri);
    if (!logs || !lock || !x.ri) {
        st = SF_SET(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = sf_mkdir_p(logs, err)) != SF_OK) goto done;
    x.lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (x.lock_fd < 0) {
        st = SF_SET(err, SF_EIO, "cannot open %s: %s", lock, strerror(errno));
        goto done;
    }
    struct statfs fs;
    if (statfs(x.out, &fs) == 0 && (long)fs.f_type == sweep_slurm_tmpfs_magic)
        sf_log(opt->log, SF_LOG_LEVEL_WARNING,
               "%s is on a tmpfs, which only this machine sees; tasks on "
               "other nodes will not find their runs (docs/slurm.md)",
               x.out);
    /* What was submitted before, and which of it Slurm still runs. */
    while (flock(x.lock_fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            st = SF_SET(err, SF_EIO, "cannot lock %s: %s", lock, strerror(errno));
            goto done;
        }
    st             = sweep_slurm_records_read_impl(x.sdir, &x.subs, &x.n_subs, err);
    bool recovered = false;
    for (size_t k = 0; st == SF_OK && k < x.n_subs; k++)
        if (x.subs[k].job[0] == '\0') {
            sweep_slurm_recover_impl(&x, &x.subs[k]);
            recovered |= x.subs[k].job[0] != '\0';
        }
    if (st == SF_OK && recovered)
        st = sweep_slurm_records_write_impl(x.sdir, x.subs, x.n_subs, err);
    flock(x.lock_fd, LOCK_UN);
    if (st != SF_OK) goto done;
    sweep_slurm_assign_impl(&x);
    double flops_todo = 0;
    size_t n_attached = 0;
    for (size_t i = 0; i < n; i++) {
        struct sweep_slurm_runinfo *r = &x.ri[i];
        struct sweep_run_state      rs;
        sweep_run_state_read(x.out, runs[i].id, &rs);
        if (rs.state == SWEEP_STATE_DONE || rs.state == SWEEP_STATE_DIVERGED) {
            r->phase    = SWEEP_SLURM_PHASE_END;
            r->finished = r->before = true;
            continue;
        }
        flops_todo += runs[i].flops_exact;
        if (r->sub >= 0) {
            struct sweep_slurm_sub *s = &x.subs[r->sub];
            if (!s->polled) sweep_slurm_poll_impl(&x, s);
            const struct sweep_slurm_task *tk = sweep_slurm_task_impl(s, r->task);
            if (tk && !sweep_slurm_state_terminal(tk->state)) {
                r->phase        = SWEEP_SLURM_PHASE_ACTIVE;
                r->restarts     = tk->restarts;
                r->status_mtime = sweep_slurm_status_mtime_impl(&x, i);
                r->mark         = sweep_slurm_mark_impl(&x, i);
                n_attached++;
                continue;
            }
        }
        if (rs.locked) {
            r->phase = SWEEP_SLURM_PHASE_HELD;
            sf_log(opt->log, SF_LOG_LEVEL_INFO, "run %s: a trainer here holds it; waiting for it",
                   runs[i].id);
            continue;
        }
        r->phase     = SWEEP_SLURM_PHASE_TODO;
        r->resubmit  = false;
        r->resubmits = 0;
    }
    if (n_attached > 0) {
        struct sf_buf ids;
        sf_buf_init(&ids);
        size_t n_jobs = 0;
        for (size_t k = 0; k < x.n_subs; k++) {
            bool used = false;
            for (size_t i = 0; i < n && !used; i++)
                used = x.ri[i].phase == SWEEP_SLURM_PHASE_ACTIVE && x.ri[i].sub == (long)k;
            if (used) sf_buf_printf(&ids, "%s%s", n_jobs++ ? ", " : "", x.subs[k].job);
        }
        sf_log(opt->log, SF_LOG_LEVEL_WARNING,
               "attached to the sweep's Slurm array job%s %s (%zu run%s queued "
               "or running); nothing of it is submitted again",
               n_jobs == 1 ? "" : "s", ids.data ? ids.data : "", n_attached,
               n_attached == 1 ? "" : "s");
        sweep_slurm_event_impl(&x, "attached to array job%s %s", n_jobs == 1 ? "" : "s",
                               ids.data ? ids.data : "");
        sf_buf_free(&ids);
    }
    double next_poll = sf_now() + (double)spec->slurm.poll_seconds, last_display = -1e300;
    for (;;) {
        if (opt->stop != NULL && *opt->stop) {
            st = sweep_slurm_stop_impl(&x, err);
            break;
        }
        if ((st = sweep_slurm_submit_due_impl(&x, err)) != SF_OK) break;
        double now = sf_now();
        if (now >= next_poll) {
            sweep_slurm_refresh_impl(&x);
            next_poll = now + (double)spec->slurm.poll_seconds;
            continue; /* submit what the poll made due before sleeping */
        }
        bool more = false;
        for (size_t i = 0; i < n; i++)
            more |= x.ri[i].phase != SWEEP_SLURM_PHASE_END;
        if (now - last_display >= sweep_slurm_progress_seconds || !more) {
            last_display = now;
            sweep_slurm_progress_impl(&x, t0, flops_todo, !more);
            /* A trainer that has just written its final status: ask Slurm now (at most once a
             * second) rather than at the next scheduled poll. */
            if (more && sweep_slurm_ending_impl(&x)) next_poll = now;
        }
        if (!more) break;
        struct timespec ts = {0, (long)(sweep_slurm_tick_seconds * 1e9)};
        nanosleep(&ts, NULL);
    }
done:
    res->wall_seconds = sf_now() - t0;
    if (x.lock_fd >= 0) close(x.lock_fd);
    for (size_t k = 0; k < x.n_subs; k++)
        sweep_slurm_sub_free_impl(&x.subs[k]);
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
    st                             = sweep_slurm_records_read_impl(sdir, &subs, &n_subs, err);
    int64_t number                 = n_subs ? subs[n_subs - 1].number + 1 : 1;
    for (size_t k = 0; k < n_subs; k++)
        sweep_slurm_sub_free_impl(&subs[k]);
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
