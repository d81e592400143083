/*
 * slurm_text.c — the Slurm executor's pure pieces, kept apart so that they can be tested without
 * a cluster: Slurm's time formats, shell quoting, reading `scontrol show job -o` output into one
 * record per array task, the batch script and the sbatch arguments of a submission, and the
 * verdict on a run whose task has ended (done, failed, resubmit, ...). Nothing here runs a
 * process or touches a file; slurm.c and the other slurm_*.c files do that.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

// ---- Slurm's time formats ----

bool sweep_slurm_time_seconds(const char *t, int64_t *seconds) {
    /* M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (sbatch --time). */
    int64_t     v[4]      = {0, 0, 0, 0};
    size_t      nv        = 0;
    int64_t     days      = 0;
    bool        have_days = false;
    const char *p         = t;
    if (*p == '\0') return false;
    for (;;) {
        if (!isdigit((unsigned char)*p)) return false;
        int64_t x = 0;
        while (isdigit((unsigned char)*p)) {
            if (x > 100000000) return false;
            x = 10 * x + (*p++ - '0');
        }
        if (*p == '-') {
            if (have_days || nv > 0) return false;
            have_days = true;
            days      = x;
            p++;
            continue;
        }
        if (nv == 3) return false;
        v[nv++] = x;
        if (*p == '\0') break;
        if (*p != ':') return false;
        p++;
    }
    int64_t s;
    if (have_days) { /* D-H, D-H:M, D-H:M:S */
        s = days * 86400 + v[0] * 3600 + (nv > 1 ? v[1] * 60 : 0) + (nv > 2 ? v[2] : 0);
    } else if (nv == 1) { /* M */
        s = v[0] * 60;
    } else if (nv == 2) { /* M:S */
        s = v[0] * 60 + v[1];
    } else { /* H:M:S */
        s = v[0] * 3600 + v[1] * 60 + v[2];
    }
    *seconds = s;
    return true;
}

// ---- shell quoting ----

void sweep_slurm_quote(struct sf_buf *b, const char *s) {
    /* Inside single quotes the shell interprets nothing; a quote itself is closed, escaped
     * and reopened. */
    sf_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            sf_buf_puts(b, "'\\''");
        else
            sf_buf_append(b, p, 1);
    }
    sf_buf_puts(b, "'");
}

bool sweep_slurm_text_ok(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

// ---- scontrol show job -o ----

static const char *const sweep_slurm_terminal_states[] = {
    "COMPLETED", "FAILED",    "CANCELLED",     "TIMEOUT",  "NODE_FAIL",
    "PREEMPTED", "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE", NULL};

bool sweep_slurm_state_terminal(const char *state) {
    for (size_t i = 0; sweep_slurm_terminal_states[i]; i++)
        if (strcmp(state, sweep_slurm_terminal_states[i]) == 0) return true;
    return false;
}

bool sweep_slurm_state_running(const char *state) {
    return strcmp(state, "RUNNING") == 0 || strcmp(state, "COMPLETING") == 0 ||
           strcmp(state, "CONFIGURING") == 0 || strcmp(state, "SIGNALING") == 0 ||
           strcmp(state, "STAGE_OUT") == 0;
}

/* True when `p` starts a "Key=" token: letters, digits and a few signs up to '='. */
static bool sweep_slurm_key_start_impl(const char *p) {
    if (!isalpha((unsigned char)*p)) return false;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == ':' || *p == '/' || *p == '.')
        p++;
    return *p == '=';
}

bool sweep_slurm_field(const char *line, const char *key, char *buf, size_t n) {
    size_t klen = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p++) {
        if ((p != line && p[-1] != ' ') || p[klen] != '=') continue;
        const char *v = p + klen + 1, *e = v;
        /* The value runs to the next " Key=" (values such as Reason may hold spaces). */
        while (*e && *e != '\n' &&
               !(*e == ' ' && (e[1] == '\0' || e[1] == '\n' || sweep_slurm_key_start_impl(e + 1))))
            e++;
        size_t len = (size_t)(e - v);
        if (len >= n) len = n - 1;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return true;
    }
    if (n > 0) buf[0] = '\0';
    return false;
}

/* Seconds of a RunTime value: [D-]HH:MM:SS (one of the --time formats). */
static double sweep_slurm_runtime_impl(const char *v) {
    int64_t s;
    return sweep_slurm_time_seconds(v, &s) ? (double)s : 0;
}

/* Slurm's largest array index (MaxArraySize is at most 4000001), and the most array tasks one
 * reading of scontrol's output may expand to (a hundred times Slurm's default MaxArraySize):
 * without them a line such as "ArrayTaskId=4-6666666" on every line would expand to gigabytes. */
#define SWEEP_SLURM_MAX_INDEX 4000000
#define SWEEP_SLURM_MAX_TASKS 100000

/* Appends the tasks of an ArrayTaskId list ("3", "2-5%2", "1,4-7:3%2") to `tasks`. */
static bool sweep_slurm_expand_impl(const char *ids, const struct sweep_slurm_task *proto,
                                    struct sweep_slurm_task **tasks, size_t *n, size_t *cap) {
    char list[256];
    snprintf(list, sizeof list, "%s", ids);
    char *pct = strchr(list, '%');
    if (pct) *pct = '\0';
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        errno       = 0;
        long long a = strtoll(tok, &end, 10), b = a, step = 1;
        if (end == tok || errno) return false;
        if (*end == '-') {
            char *e2;
            b = strtoll(end + 1, &e2, 10);
            if (e2 == end + 1) return false;
            end = e2;
            if (*end == ':') {
                step = strtoll(end + 1, &e2, 10);
                if (e2 == end + 1 || step < 1) return false;
                end = e2;
            }
        }
        if (*end != '\0' || a < 0 || b < a || b > SWEEP_SLURM_MAX_INDEX) return false;
        for (long long k = a; k <= b; k += step) {
            if (*n >= SWEEP_SLURM_MAX_TASKS) return false;
            if (*n == *cap) {
                size_t                   ncap = *cap ? 2 * *cap : 16;
                struct sweep_slurm_task *t    = realloc(*tasks, ncap * sizeof *t);
                if (t == NULL) return false;
                *tasks = t;
                *cap   = ncap;
            }
            (*tasks)[*n]       = *proto;
            (*tasks)[*n].index = k;
            (*n)++;
        }
    }
    return true;
}

enum sf_status sweep_slurm_parse_jobs(const char *text, const char *script,
                                      struct sweep_slurm_task **tasks, size_t *n, bool *ours,
                                      struct sf_error *err) {
    *tasks     = NULL;
    *n         = 0;
    *ours      = false;
    size_t cap = 0;
    for (const char *line = text; line && *line;) {
        const char *nl  = strchr(line, '\n');
        size_t      len = nl ? (size_t)(nl - line) : strlen(line);
        char       *l   = malloc(len + 1);
        if (l == NULL) {
            free(*tasks);
            *tasks = NULL;
            *n     = 0;
            SF_FAIL(err, SF_ENOMEM, "out of memory reading scontrol's answer");
        }
        memcpy(l, line, len);
        l[len] = '\0';
        line   = nl ? nl + 1 : NULL;
        char ids[256], v[64];
        if (!sweep_slurm_field(l, "ArrayTaskId", ids, sizeof ids)) {
            free(l);
            continue;
        }
        if (script != NULL) {
            /* Compared as text, "Command=SCRIPT" then a blank or the end: a path may hold
             * spaces and '=' that no field reader could tell from the next key. */
            char *want = sf_strdup_printf(" Command=%s", script);
            for (const char *p = want ? strstr(l, want) : NULL; p; p = strstr(p + 1, want)) {
                char after = p[strlen(want)];
                if (after == ' ' || after == '\0') *ours = true;
            }
            free(want);
        } else {
            *ours = true;
        }
        struct sweep_slurm_task t;
        memset(&t, 0, sizeof t);
        sweep_slurm_field(l, "JobId", t.job_id, sizeof t.job_id);
        sweep_slurm_field(l, "JobState", t.state, sizeof t.state);
        sweep_slurm_field(l, "Reason", t.reason, sizeof t.reason);
        if (sweep_slurm_field(l, "ExitCode", v, sizeof v)) {
            char *colon   = strchr(v, ':');
            t.exit_code   = atoi(v);
            t.exit_signal = colon ? atoi(colon + 1) : 0;
        }
        if (sweep_slurm_field(l, "Restarts", v, sizeof v)) t.restarts = strtoll(v, NULL, 10);
        if (sweep_slurm_field(l, "RunTime", v, sizeof v))
            t.run_seconds = sweep_slurm_runtime_impl(v);
        bool single = strpbrk(ids, "-,%") == NULL;
        if (!single) t.job_id[0] = '\0'; /* the pending rest has no task ids of its own yet */
        bool ok = sweep_slurm_expand_impl(ids, &t, tasks, n, &cap);
        free(l);
        if (!ok) {
            free(*tasks);
            *tasks = NULL;
            *n     = 0;
            SF_FAIL(err, SF_ERUNTIME, "cannot read scontrol's ArrayTaskId '%s'", ids);
        }
    }
    return SF_OK;
}

// ---- the batch script and the sbatch arguments ----

void sweep_slurm_job_name(const char *sweep_name, char *buf, size_t n) {
    /* The sweep's name in the characters every tool shows cleanly. */
    snprintf(buf, n, "scalefit-%.128s", sweep_name);
    for (char *p = buf; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.", *p)) *p = '_';
}

void sweep_slurm_args_free(char **argv) {
    if (argv == NULL) return;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* Appends a fresh copy of a formatted argument; false when out of memory. */
static bool sweep_slurm_arg_impl(char **argv, size_t *n, const char *fmt, const char *value) {
    char *a = sf_strdup_printf(fmt, value);
    if (a == NULL) return false;
    argv[(*n)++] = a;
    return true;
}

/* `s` with every '%' doubled: sbatch reads %A, %a, ... in --output, and %% is a plain '%'. */
static char *sweep_slurm_pct_impl(const char *s) {
    struct sf_buf b;
    sf_buf_init(&b);
    for (const char *p = s; *p; p++) {
        if (*p == '%')
            sf_buf_puts(&b, "%%");
        else
            sf_buf_append(&b, p, 1);
    }
    if (b.failed) {
        sf_buf_free(&b);
        return NULL;
    }
    return sf_buf_take(&b);
}

enum sf_status sweep_slurm_submission(const struct sweep_slurm_submit *s, char **script,
                                      char ***argv_out, struct sf_error *err) {
    *script                     = NULL;
    *argv_out                   = NULL;
    const struct sweep_slurm *o = s->settings;
    if (!sweep_slurm_text_ok(s->out_dir) || !sweep_slurm_text_ok(s->scalefit))
        SF_FAIL(err, SF_EINVAL,
                "the sweep directory's path or scalefit's has a control character "
                "(a newline?); Slurm's files cannot name it safely");
    if (s->out_dir[0] != '/' || s->scalefit[0] != '/')
        SF_FAIL(err, SF_EINVAL, "the Slurm executor needs absolute paths (got '%s' and '%s')",
                s->out_dir, s->scalefit);
    if (s->n_tasks == 0) SF_FAIL(err, SF_EINVAL, "a submission needs at least one run");
    /* The arguments, each its own argv entry: sbatch runs without a shell. */
    size_t n = 0, cap = 24 + o->n_extra;
    char **argv = calloc(cap + 1, sizeof *argv);
    char  *logs = sweep_slurm_pct_impl(s->out_dir);
    char   name[160], num[64];
    sweep_slurm_job_name(s->sweep_name, name, sizeof name);
    bool ok = argv != NULL && logs != NULL;
    ok      = ok && sweep_slurm_arg_impl(argv, &n, "%s", "sbatch");
    ok      = ok && sweep_slurm_arg_impl(argv, &n, "%s", "--parsable");
    snprintf(num, sizeof num, "0-%zu%%%lld", s->n_tasks - 1, (long long)s->throttle);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "--array=%s", num);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "--job-name=%s", name);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "--chdir=%s", s->out_dir);
    if (ok) {
        char *out = sf_strdup_printf("--output=%s/slurm/logs/%%A_%%a.log", logs);
        ok        = out != NULL;
        if (ok) argv[n++] = out;
    }
    ok = ok && sweep_slurm_arg_impl(argv, &n, "%s", "--open-mode=append");
    ok = ok && sweep_slurm_arg_impl(argv, &n, "%s", "--ntasks=1");
    snprintf(num, sizeof num, "%lld", (long long)s->cpus_per_task);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "--cpus-per-task=%s", num);
    snprintf(num, sizeof num, "%lld", (long long)o->signal_seconds);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "--signal=B:TERM@%s", num);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "%s", "--requeue");
    if (o->partition[0]) ok = ok && sweep_slurm_arg_impl(argv, &n, "--partition=%s", o->partition);
    if (o->time[0]) ok = ok && sweep_slurm_arg_impl(argv, &n, "--time=%s", o->time);
    if (o->mem[0]) ok = ok && sweep_slurm_arg_impl(argv, &n, "--mem=%s", o->mem);
    if (o->account[0]) ok = ok && sweep_slurm_arg_impl(argv, &n, "--account=%s", o->account);
    if (o->qos[0]) ok = ok && sweep_slurm_arg_impl(argv, &n, "--qos=%s", o->qos);
    for (size_t i = 0; i < o->n_extra; i++)
        ok = ok && sweep_slurm_arg_impl(argv, &n, "%s", o->extra[i]);
    ok = ok && sweep_slurm_arg_impl(argv, &n, "%s", s->script_path);
    free(logs);
    if (!ok) {
        sweep_slurm_args_free(argv);
        SF_FAIL(err, SF_ENOMEM, "out of memory writing the batch script");
    }
    /* The script. Every value that comes from outside is single-quoted; the header's comment
     * lines are safe because no value holds a newline (checked above, and by the sweep file's
     * validation for the Slurm settings). */
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_puts(&b, "#!/bin/sh\n");
    sf_buf_printf(&b, "# scalefit: submission %lld of sweep ", (long long)s->number);
    sweep_slurm_quote(&b, s->sweep_name);
    sf_buf_printf(&b, ": %zu run%s as one Slurm job array, at most %lld at a time.\n", s->n_tasks,
                  s->n_tasks == 1 ? "" : "s", (long long)s->throttle);
    sf_buf_puts(&b, "# Written by `scalefit run`; submitted without a shell as these arguments "
                    "(quoted here):\n#  ");
    for (size_t i = 0; i < n; i++) {
        sf_buf_puts(&b, " ");
        sweep_slurm_quote(&b, argv[i]);
    }
    sf_buf_puts(
        &b,
        "\n# Task i trains run i of the list below (submit-N.tasks beside this script says the "
        "same).\n"
        "# Slurm sends SIGTERM before the time limit and the trainer checkpoints; a task that\n"
        "# Slurm requeues runs this script again and the trainer resumes from its checkpoint.\n");
    sf_buf_puts(&b, "out=");
    sweep_slurm_quote(&b, s->out_dir);
    sf_buf_puts(&b, "\nscalefit=");
    sweep_slurm_quote(&b, s->scalefit);
    sf_buf_puts(&b, "\ncase \"${SLURM_ARRAY_TASK_ID-}\" in\n");
    for (size_t i = 0; i < s->n_tasks; i++) {
        sf_buf_printf(&b, "%zu) run=", i);
        sweep_slurm_quote(&b, s->run_ids[i]);
        sf_buf_puts(&b, " ;;\n");
    }
    sf_buf_puts(
        &b, "*) echo \"scalefit: error: task '${SLURM_ARRAY_TASK_ID-}' is not part of this "
            "submission\" >&2; exit 2 ;;\n"
            "esac\n"
            "dir=\"$out/runs/$run\"\n"
            "if [ ! -d \"$dir\" ]; then\n"
            "    echo \"scalefit: error: $dir is not visible on $(hostname): the sweep directory "
            "must be on a filesystem every node sees\" >&2\n"
            "    exit 2\n"
            "fi\n"
            "if [ ! -x \"$scalefit\" ]; then\n"
            "    echo \"scalefit: error: $scalefit is not executable on $(hostname): scalefit "
            "must be installed where every node sees it\" >&2\n"
            "    exit 2\n"
            "fi\n"
            "echo \"scalefit: task ${SLURM_ARRAY_JOB_ID-}_${SLURM_ARRAY_TASK_ID-} (restart "
            "${SLURM_RESTART_COUNT:-0}) trains run $run on $(hostname)\"\n"
            "exec \"$scalefit\" train --run-dir \"$dir\"\n");
    if (b.failed) {
        sf_buf_free(&b);
        sweep_slurm_args_free(argv);
        SF_FAIL(err, SF_ENOMEM, "out of memory writing the batch script");
    }
    *script   = sf_buf_take(&b);
    *argv_out = argv;
    return SF_OK;
}

// ---- the verdict on an ended task ----

/* The "resumable" verdicts: resubmit unless capped or (when progress is checked) stalled. */
static enum sweep_slurm_verdict sweep_slurm_resumable_impl(const struct sweep_slurm_case *c,
                                                           bool check_progress) {
    if (c->resubmits >= c->max_resubmits) return SWEEP_SLURM_VERDICT_EXHAUSTED;
    if (check_progress && c->step_now <= c->step_before) return SWEEP_SLURM_VERDICT_STALLED;
    return SWEEP_SLURM_VERDICT_RESUBMIT;
}

enum sweep_slurm_verdict sweep_slurm_judge(const struct sweep_slurm_case *c) {
    if (c->state != NULL && !sweep_slurm_state_terminal(c->state)) return SWEEP_SLURM_VERDICT_WAIT;
    /* What the trainer recorded comes first: it knows best. */
    if (c->run_state == SWEEP_STATE_DONE) return SWEEP_SLURM_VERDICT_DONE;
    if (c->run_state == SWEEP_STATE_DIVERGED) return SWEEP_SLURM_VERDICT_DIVERGED;
    if (c->locked) return SWEEP_SLURM_VERDICT_HELD;
    if (c->run_state == SWEEP_STATE_FAILED) return SWEEP_SLURM_VERDICT_FAILED;
    if (c->lock_refused) return SWEEP_SLURM_VERDICT_ELSEWHERE;
    /* Slurm no longer knows the task (its record was purged): the run is unfinished. */
    if (c->state == NULL) return sweep_slurm_resumable_impl(c, false);
    const char *s = c->state;
    if (strcmp(s, "CANCELLED") == 0) return SWEEP_SLURM_VERDICT_CANCELLED;
    if (strcmp(s, "TIMEOUT") == 0) return sweep_slurm_resumable_impl(c, true);
    if (strcmp(s, "NODE_FAIL") == 0 || strcmp(s, "PREEMPTED") == 0 || strcmp(s, "BOOT_FAIL") == 0)
        return sweep_slurm_resumable_impl(c, false);
    if (strcmp(s, "FAILED") == 0 && c->run_state == SWEEP_STATE_INTERRUPTED &&
        (c->exit_code == 4 || c->exit_signal == 15 || c->exit_signal == 2))
        /* The trainer checkpointed on Slurm's warning signal (exit 4), or the signal came before
         * it could catch it: the run continues from its checkpoint. */
        return sweep_slurm_resumable_impl(c, true);
    /* OUT_OF_MEMORY, DEADLINE, a COMPLETED task whose run is not done, FAILED without a
     * checkpointed stop (the script could not start the trainer, or the trainer was killed). */
    return SWEEP_SLURM_VERDICT_LOST;
}

const char *sweep_slurm_verdict_name(enum sweep_slurm_verdict v) {
    switch (v) {
    case SWEEP_SLURM_VERDICT_WAIT: return "wait";
    case SWEEP_SLURM_VERDICT_DONE: return "done";
    case SWEEP_SLURM_VERDICT_DIVERGED: return "diverged";
    case SWEEP_SLURM_VERDICT_HELD: return "held";
    case SWEEP_SLURM_VERDICT_FAILED: return "failed";
    case SWEEP_SLURM_VERDICT_ELSEWHERE: return "elsewhere";
    case SWEEP_SLURM_VERDICT_CANCELLED: return "cancelled";
    case SWEEP_SLURM_VERDICT_RESUBMIT: return "resubmit";
    case SWEEP_SLURM_VERDICT_STALLED: return "stalled";
    case SWEEP_SLURM_VERDICT_EXHAUSTED: return "exhausted";
    case SWEEP_SLURM_VERDICT_LOST: return "lost";
    }
    return "?";
}
