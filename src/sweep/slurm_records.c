/*
 * slurm_records.c — what the Slurm executor reads and writes besides Slurm itself: Slurm's
 * commands run through the common child-process runner (no shell), the record of submissions
 * (OUT/slurm/jobs and submit-N.tasks), the diary OUT/slurm/events.log, and a run's status file,
 * step and timing marks as the executor sees them.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How long one Slurm command may take before it is given up (a controller that does not answer
 * makes scontrol retry for a while by itself). */
static const double sweep_slurm_command_seconds = 120;

// ---- running Slurm's commands ----

enum sf_status sweep_slurm_command(char *const argv[], struct sf_buf *out, struct sf_buf *errb,
                                   int *exit_status, struct sf_error *err) {
    struct sf_process_spec spec = {
        .argv         = argv,
        .capture_out  = true,
        .capture_err  = true,
        .own_group    = true,
        .timeout_s    = sweep_slurm_command_seconds,
        .missing_hint = "Slurm's client commands are not on PATH; Debian: slurm-client",
    };
    struct sf_process_result res;
    enum sf_status           st = sf_process_run(&spec, &res, err);
    if (st == SF_OK) {
        sf_buf_append(out, res.out.data ? res.out.data : "", res.out.len);
        sf_buf_append(errb, res.err.data ? res.err.data : "", res.err.len);
        *exit_status = res.exit_code;
    }
    sf_process_result_free(&res);
    return st;
}

/* The first line of a command's stderr, for messages (a fresh string; NULL on ENOMEM). */
char *sweep_slurm_first_line(const struct sf_buf *b) {
    const char *s = b->data ? b->data : "";
    while (*s == '\n')
        s++;
    size_t len = strcspn(s, "\n");
    return sf_strdup_printf("%.*s", (int)(len > 400 ? 400 : len), s);
}

// ---- small file helpers ----

/* The current time as 2025-01-31T12:00:00Z. */
void sweep_slurm_utc(char *buf, size_t n) {
    time_t    t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The run's progress for the "did it advance" test: the larger of summary.yaml's step (the
 * checkpointed step when the trainer stopped on a signal, its start step otherwise) and the last
 * metrics row. */
int64_t sweep_slurm_step(const char *run_dir) {
    int64_t                  step = 0;
    double                   loss, summary_step;
    static const char *const key[] = {"step"};
    sweep_metrics_last(run_dir, &step, &loss);
    sweep_summary_numbers(run_dir, key, &summary_step, 1);
    if (summary_step > (double)step) step = (int64_t)summary_step;
    return step;
}

// ---- the record of submissions (OUT/slurm/jobs and submit-N.tasks) ----

void sweep_slurm_sub_free(struct sweep_slurm_sub *s) {
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
enum sf_status sweep_slurm_records_read(const char *sdir, struct sweep_slurm_sub **subs, size_t *n,
                                        struct sf_error *err) {
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
            sweep_slurm_sub_free(&s);
            continue;
        }
        if (*n == cap) {
            cap                       = cap ? 2 * cap : 8;
            struct sweep_slurm_sub *g = realloc(*subs, cap * sizeof *g);
            if (g == NULL) {
                sweep_slurm_sub_free(&s);
                for (size_t k = 0; k < *n; k++)
                    sweep_slurm_sub_free(&(*subs)[k]);
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

enum sf_status sweep_slurm_records_write(const char *sdir, const struct sweep_slurm_sub *subs,
                                         size_t n, struct sf_error *err) {
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

// ---- the diary and the runs' side ----

void sweep_slurm_event(struct sweep_slurm_exec *x, const char *fmt, ...) {
    char    when[32];
    va_list ap;
    va_start(ap, fmt);
    char *msg = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    sweep_slurm_utc(when, sizeof when);
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
void sweep_slurm_status_write(struct sweep_slurm_exec *x, size_t i, const char *state,
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
struct timespec sweep_slurm_status_mtime(const struct sweep_slurm_exec *x, size_t i) {
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
struct sweep_loop_mark sweep_slurm_mark(const struct sweep_slurm_exec *x, size_t i) {
    char                  *dir = sweep_run_dir(x->out, x->runs[i].id);
    struct sweep_loop_mark m = dir ? sweep_loop_mark_read(dir) : (struct sweep_loop_mark){NAN, NAN};
    free(dir);
    return m;
}
