/*
 * test_run.c — whole runs through model_run() and through the `scalefit train` command:
 *   - a run leaves run.yaml, status "done", metrics.csv with DESIGN.md's columns and one row per
 *     evaluation step, checkpoint.bin, summary.yaml (with bayes_loss and the parameter counts)
 *     and log.txt;
 *   - determinism: the same run.yaml twice gives identical metrics.csv apart from the timing
 *     columns, and identical parameters and AdamW moments;
 *   - a run stopped at a step (the stop flag) or by SIGTERM (exit status 4, status
 *     "interrupted") and resumed ends bit-identical to the uninterrupted one; so does a run
 *     killed with SIGKILL at random moments, again and again, and restarted each time;
 *   - a diverging run stops with exit status 3 and "diverged: step S: ..." and stays diverged;
 *   - corrupt or mismatched checkpoints (truncated, wrong magic, flipped payload byte, another
 *     configuration) and a bad run.yaml give exit status 2 and the expected messages;
 *   - one batch, overfitted, drives the loss near zero; file sources train end to end.
 * Usage: test_run SCALEFIT [--long] (the binary for the subprocess checks).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "internal.h"

static char        root[] = "/tmp/sf_run_XXXXXX";
static const char *scalefit;

/* A run small enough for a test: markov V4 K3, one layer of width 32. */
static const char *small_yaml = "data: {source: markov, n_vocab: 4, order: 3}\n"
                                "n_layer: 1\nd_model: 32\nn_head: 2\nn_ctx: 16\nbatch: 8\n"
                                "steps: 120\nlr: 0.01\neval_points: 6\neval_tokens: 256\n"
                                "checkpoint_every: 25\n";

static char *path_in(const char *dir, const char *name) {
    static char buf[4][1024];
    static int  k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void make_run(const char *dir, const char *yaml) {
    mkdir(dir, 0755);
    FILE *f = fopen(path_in(dir, "run.yaml"), "w");
    fputs(yaml, f);
    fclose(f);
}

static char *slurp(const char *path, size_t *len) {
    char           *data = NULL;
    size_t          l    = 0;
    struct sf_error err;
    if (sf_read_file(path, &data, &l, &err) != SF_OK) return NULL;
    if (len) *len = l;
    return data;
}

static enum sf_status run_inproc(const char *dir, int64_t stop_after) {
    struct model_run_options o = {0};
    o.stop_after_step          = stop_after;
    struct sf_diags d;
    struct sf_error e;
    sf_diag_init(&d);
    sf_error_clear(&e);
    enum sf_status st = model_run(dir, &o, &d, &e);
    if (st != SF_OK && st != SF_EINTERRUPTED) {
        sf_diag_print(&d, stdout);
        sf_error_print(&e, stdout);
    }
    sf_diag_free(&d);
    return st;
}

/* metrics.csv without the two timing columns (the first 14: step … grad_norm). */
static char *metrics_untimed(const char *dir) {
    char *t = slurp(path_in(dir, "metrics.csv"), NULL);
    if (t == NULL) return NULL;
    struct sf_buf out;
    sf_buf_init(&out);
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        int   commas = 0;
        char *p      = line;
        for (; *p && commas < 14; p++)
            commas += *p == ',';
        sf_buf_append(&out, line, (size_t)(p - line));
        sf_buf_puts(&out, "\n");
    }
    free(t);
    return sf_buf_take(&out);
}

/* The checkpoint's parameter and moment blocks (the header holds timing fields). */
static bool same_payload(const char *a, const char *b) {
    size_t la, lb;
    char  *x  = slurp(path_in(a, "checkpoint.bin"), &la),
         *y   = slurp(path_in(b, "checkpoint.bin"), &lb);
    bool same = x && y && la == lb && la > 264 && memcmp(x + 256, y + 256, la - 264) == 0 &&
                memcmp(x + 152, y + 152, 32) == 0; /* step, adam_t, cursor, batch key */
    free(x);
    free(y);
    return same;
}

static void check_identical(const char *label, const char *ref, const char *dir) {
    char *m1 = metrics_untimed(ref), *m2 = metrics_untimed(dir);
    check(m1 && m2 && strcmp(m1, m2) == 0, "%s: metrics.csv identical apart from timing", label);
    if (m1 && m2 && strcmp(m1, m2) != 0) printf("---- ref ----\n%s---- got ----\n%s", m1, m2);
    check(same_payload(ref, dir), "%s: parameters and AdamW moments bit-identical", label);
    free(m1);
    free(m2);
}

static char *first_line(const char *path) {
    char *t = slurp(path, NULL);
    if (t) {
        char *nl = strchr(t, '\n');
        if (nl) *nl = '\0';
    }
    return t;
}

/* Runs scalefit train on dir, stderr into errfile (when given); with hold > 0 the trainer freezes
 * itself (SIGSTOP) once step `hold` is done (SCALEFIT_TEST_HOLD_STEP, docs/run-format.md), so
 * that the fault tests signal it at a known step, never at a moment measured by a clock. Returns
 * the child pid. */
static pid_t spawn_train_held(const char *dir, const char *errfile, int64_t hold) {
    pid_t pid = fork();
    if (pid == 0) {
        if (hold > 0) {
            char h[32];
            snprintf(h, sizeof h, "%lld", (long long)hold);
            setenv("SCALEFIT_TEST_HOLD_STEP", h, 1);
        }
        if (errfile) {
            FILE *f = freopen(errfile, "w", stderr);
            (void)f;
        }
        execl(scalefit, scalefit, "train", "--run-dir", dir, "--quiet", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static pid_t spawn_train(const char *dir, const char *errfile) {
    return spawn_train_held(dir, errfile, 0);
}

static int wait_exit(pid_t pid) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int train_cli(const char *dir, const char *errfile) {
    return wait_exit(spawn_train(dir, errfile));
}

// ---- the checks ----

static void test_reference_run(const char *ref) {
    make_run(ref, small_yaml);
    check(run_inproc(ref, 0) == SF_OK, "reference run completes");
    char *st = first_line(path_in(ref, "status"));
    check(st && strcmp(st, "done") == 0, "status is 'done' (%s)", st ? st : "missing");
    free(st);
    char             *m = slurp(path_in(ref, "metrics.csv"), NULL);
    static const char header[] =
        "step,tokens,flops_6n,flops_exact,lr,train_loss,eval_loss,"
        "eval_true_loss,eval_loss_cv,eval_kl,eval_error,eval_part_loss,"
        "eval_part_loss_blank,eval_extrap_loss,eval_extrap_error,"
        "eval_rkl,eval_js,eval_tv,eval_h2,eval_cs,eval_teacher_kl,eval_teacher_rkl,"
        "eval_teacher_js,eval_teacher_tv,eval_teacher_h2,eval_teacher_cs,"
        "grad_norm,elapsed_s,tokens_per_s\n";
    check(m && strncmp(m, header, strlen(header)) == 0, "metrics.csv header as DESIGN.md");
    int rows = 0;
    for (char *p = m; p && *p; p++)
        rows += *p == '\n';
    check(rows - 1 == 6, "one row per evaluation (%d rows for eval_points 6)", rows - 1);
    /* The last row: step 120, tokens 120·8·16, every column filled. */
    char *last = m ? strstr(m, "\n120,15360,") : NULL;
    check(last != NULL, "last row at step 120 with tokens 15360");
    if (last) {
        int fields = 1, empty = 0;
        for (char *p = last + 1; *p && *p != '\n'; p++) {
            if (*p == ',') {
                fields++;
                empty += p[1] == ',' || p[1] == '\n';
            }
        }
        check(fields == 29 && empty == 11,
              "29 fields, none empty on a markov run but eval_error, the two paired losses, "
              "the two extrapolation columns and the six divergences to a teacher");
    }
    /* positions.csv: every position of the last evaluation; averaged with their counts, the
     * losses give the last row's eval_loss and the KLs its eval_kl, to rounding. */
    double ev = NAN, kl = NAN;
    if (last)
        sscanf(last + 1, "%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%lf,%*[^,],%*[^,],%lf", &ev,
               &kl);
    struct sf_csv   pcsv;
    struct sf_error perr;
    if (check(sf_csv_read(path_in(ref, "positions.csv"), &pcsv, &perr) == SF_OK,
              "positions.csv written")) {
        double sl = 0, sk = 0, n = 0;
        bool   ok = pcsv.n_rows == 16;
        for (size_t r = 0; r < pcsv.n_rows; r++) {
            double pos, cnt, l, b, k;
            ok &= sf_parse_double(pcsv.rows[r].fields[0], &pos) && pos == (double)(r + 1) &&
                  sf_parse_double(pcsv.rows[r].fields[1], &cnt) &&
                  sf_parse_double(pcsv.rows[r].fields[2], &l) &&
                  sf_parse_double(pcsv.rows[r].fields[3], &b) &&
                  sf_parse_double(pcsv.rows[r].fields[4], &k);
            sl += cnt * l, sk += cnt * k, n += cnt;
        }
        check(ok, "16 positions, each with its count, loss, Bayes loss and KL");
        check(fabs(sl / n - ev) <= 1e-9 * ev && fabs(sk / n - kl) <= 1e-9 * kl,
              "the positions' losses average to eval_loss %.10g (%.10g) and KLs to eval_kl "
              "%.10g (%.10g)",
              ev, sl / n, kl, sk / n);
        sf_csv_free(&pcsv);
    }
    free(m);
    char               *sum = slurp(path_in(ref, "summary.yaml"), NULL);
    struct model_config c;
    struct sf_diags     d;
    sf_diag_init(&d);
    model_config_load(path_in(ref, "run.yaml"), &c, &d);
    sf_diag_free(&d);
    struct model_source_info info;
    struct sf_error          e;
    model_source_describe(&c, ref, &info, &e);
    struct model_shape s = model_config_shape(&c);
    char               want[256];
    snprintf(want, sizeof want, "params_nonembed: %lld\n", (long long)model_params_nonembed(&s));
    check(sum && strstr(sum, want), "summary.yaml has %s", want);
    char bl[64];
    snprintf(bl, sizeof bl, "bayes_loss: %s\n", sf_fmt_double((char[32]){0}, 32, info.bayes_loss));
    check(sum && strstr(sum, bl), "summary.yaml has the exact %s", bl);
    check(sum && strstr(sum, "status: done\n") && strstr(sum, "step: 120\n") &&
              strstr(sum, "tokens: 15360\n") && strstr(sum, info.sha256),
          "summary.yaml has status, final step/tokens and data_sha256");
    free(sum);
    check(sf_path_exists(path_in(ref, "log.txt")) && sf_path_exists(path_in(ref, "checkpoint.bin")),
          "log.txt and checkpoint.bin exist");
    /* A finished run is not trained again. */
    check(run_inproc(ref, 0) == SF_OK, "rerunning a finished run returns done");
}

static void test_determinism(const char *ref) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/again", root);
    make_run(dir, small_yaml);
    check(run_inproc(dir, 0) == SF_OK, "second identical run completes");
    check_identical("same config twice", ref, dir);
}

/* A number that summary.yaml in `dir` gives for `key` (NAN when absent). */
static double summary_number(const char *dir, const char *key) {
    char  *sum = slurp(path_in(dir, "summary.yaml"), NULL);
    char   want[64];
    double v = NAN;
    snprintf(want, sizeof want, "\n%s: ", key);
    char *at = sum ? strstr(sum, want) : NULL;
    if (at) v = strtod(at + strlen(want), NULL);
    free(sum);
    return v;
}

static void test_stop_resume(const char *ref) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/stopped", root);
    make_run(dir, small_yaml);
    check(run_inproc(dir, 57) == SF_EINTERRUPTED, "stop flag after step 57: interrupted");
    char *st = first_line(path_in(dir, "status"));
    check(st && strcmp(st, "interrupted") == 0, "status 'interrupted'");
    free(st);
    /* The training-loop clock: a fresh process starts from 0; the resumed one from the time the
     * checkpoint recorded, which is where the stopped one ended. */
    double start1 = summary_number(dir, "start_elapsed_s"), end1 = summary_number(dir, "elapsed_s");
    check(start1 == 0 && end1 > 0, "stopped: loop clock from 0 to %g", end1);
    check(run_inproc(dir, 0) == SF_OK, "resume completes");
    double start2 = summary_number(dir, "start_elapsed_s"), end2 = summary_number(dir, "elapsed_s");
    check(start2 == end1 && end2 > start2, "resumed: loop clock from %g (want %g) to %g", start2,
          end1, end2);
    check_identical("stopped at 57 and resumed", ref, dir);
}

/* The field k (0-based) of a CSV line into out (empty when missing). */
static void csv_field(const char *line, int k, char *out, size_t n) {
    for (int i = 0; i < k && line; i++) {
        line = strchr(line, ',');
        if (line) line++;
    }
    size_t len = line ? strcspn(line, ",\n") : 0;
    if (len >= n) len = n - 1;
    memcpy(out, line ? line : "", len);
    out[len] = '\0';
}

/* A run started by a scalefit whose metrics.csv had none of the columns from eval_kl to
 * eval_teacher_cs, resumed by this one: the file is rewritten in the current columns, the old
 * rows with eval_kl empty, and every other column as in the uninterrupted run. */
static void test_old_layout_resume(const char *ref) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/old_layout", root);
    make_run(dir, small_yaml);
    check(run_inproc(dir, 57) == SF_EINTERRUPTED, "old layout: stopped after step 57");
    /* Rewrite metrics.csv as the earlier layout: without fields 9 to 25 (eval_kl, eval_error,
     * eval_part_loss, eval_part_loss_blank, eval_extrap_loss, eval_extrap_error, the five
     * divergences to the truth after it and the six to a teacher). */
    char         *t = slurp(path_in(dir, "metrics.csv"), NULL);
    struct sf_buf old;
    sf_buf_init(&old);
    for (char *line = t ? strtok(t, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char *p = line;
        for (int commas = 0; *p && commas < 9; p++)
            commas += *p == ',';
        sf_buf_append(&old, line, (size_t)(p - line));
        char *q = p - 1;
        for (int k = 0; k < 17 && q; k++)
            q = strchr(q + 1, ',');
        sf_buf_puts(&old, q ? q + 1 : "");
        sf_buf_puts(&old, "\n");
    }
    free(t);
    struct sf_error e;
    sf_write_atomic(path_in(dir, "metrics.csv"), old.data, old.len, &e);
    check(old.data && strstr(old.data, "eval_loss_cv,grad_norm,"), "old layout written");
    sf_buf_free(&old);
    check(run_inproc(dir, 0) == SF_OK, "old layout: resume completes");
    char *m = metrics_untimed(dir), *r = metrics_untimed(ref);
    int   rows = 0, good = 0;
    for (char *a = m, *b = r; a && b && *a && *b; rows++) {
        char *na = strchr(a, '\n'), *nb = strchr(b, '\n');
        if (!na || !nb) break;
        char step[32], kl_a[64], kl_b[64];
        csv_field(a, 0, step, sizeof step);
        csv_field(a, 9, kl_a, sizeof kl_a);
        csv_field(b, 9, kl_b, sizeof kl_b);
        long long s = strtoll(step, NULL, 10);
        /* The header is the current one; rows up to the checkpoint lack their KL. */
        bool kl_ok = rows == 0 ? strcmp(kl_a, kl_b) == 0
                               : (s <= 57 ? kl_a[0] == '\0' : strcmp(kl_a, kl_b) == 0);
        /* Every other column equals the uninterrupted run's. */
        char *ka = strstr(a, ","), *kb = strstr(b, ",");
        for (int i = 1; i < 9 && ka && kb; i++) {
            ka = strchr(ka + 1, ',');
            kb = strchr(kb + 1, ',');
        }
        bool  head = ka && kb && ka - a == kb - b && memcmp(a, b, (size_t)(ka - a)) == 0;
        char *ta = strchr(ka ? ka + 1 : a, ','), *tb = strchr(kb ? kb + 1 : b, ',');
        bool  tail = ta && tb && na - ta == nb - tb && memcmp(ta, tb, (size_t)(na - ta)) == 0;
        good += kl_ok && head && tail;
        a = na + 1;
        b = nb + 1;
    }
    check(rows == 7 && good == rows,
          "old layout: %d of %d lines (header + 6 rows) in the current columns, eval_kl empty "
          "up to step 57 and as the uninterrupted run's after",
          good, rows);
    free(m);
    free(r);
}

/* The long version of the small run (3000 steps, about a second), so that signals land
 * mid-way. */
static void long_yaml(char *yaml, size_t n) {
    snprintf(yaml, n, "%s", small_yaml);
    char *p = strstr(yaml, "steps: 120\n");
    memmove(p + 11, p + 10, strlen(p + 10) + 1);
    memcpy(p, "steps: 3000", 11);
}

static int64_t checkpoint_step(const char *dir) {
    size_t  n;
    char   *d = slurp(path_in(dir, "checkpoint.bin"), &n);
    int64_t s = -1;
    if (d && n >= 160) memcpy(&s, d + 152, sizeof s);
    free(d);
    return s;
}

/* Waits (up to 20 s) until the trainer `pid` has written a checkpoint past `step`: true then,
 * false when it ended first (it is left to be reaped) or the time ran out. The faults below
 * are sent only after this, so they land mid-run on any machine, however fast. */
/* Waits until the child stops itself; false when it ended instead. */
static bool wait_stopped(pid_t pid) {
    int st;
    while (waitpid(pid, &st, WUNTRACED) < 0 && errno == EINTR) {
    }
    return WIFSTOPPED(st);
}

static void test_sigkill(const char *ref_long) {
    char dir[600], yaml[1024];
    snprintf(dir, sizeof dir, "%s/killed", root);
    long_yaml(yaml, sizeof yaml);
    make_run(dir, yaml);
    /* SIGKILL at fixed steps (checkpoints every 25): between checkpoints, right after one, and
     * one step before one. Each kill must find the trainer at its step and leave the checkpoint
     * of the last multiple of 25 at or below it. */
    static const int64_t holds[] = {13, 37, 50, 74, 140};
    for (size_t k = 0; k < sizeof holds / sizeof *holds; k++) {
        pid_t pid     = spawn_train_held(dir, path_in(root, "killed.err"), holds[k]);
        bool  stopped = wait_stopped(pid);
        kill(pid, SIGKILL);
        int     rc   = wait_exit(pid);
        int64_t kept = holds[k] / 25 * 25; /* -1 (no checkpoint file) before step 25 */
        if (kept == 0) kept = -1;
        check(
            stopped && rc == 128 + SIGKILL && checkpoint_step(dir) == kept,
            "SIGKILL at step %lld: killed there (exit %d), checkpoint step %lld kept (found %lld)",
            (long long)holds[k], rc, (long long)kept, (long long)checkpoint_step(dir));
    }
    check(train_cli(dir, path_in(root, "killed.err")) == 0, "after the SIGKILLs the run finishes");
    check_identical("killed with SIGKILL at five steps and resumed", ref_long, dir);
}

static void test_sigterm(const char *ref_long) {
    char dir[600], yaml[1024];
    snprintf(dir, sizeof dir, "%s/termed", root);
    long_yaml(yaml, sizeof yaml);
    make_run(dir, yaml);
    /* Frozen after step 40 (the last checkpoint is step 25's), then SIGTERM and SIGCONT: the
     * handler sets the flag, the loop sees it before step 41 and checkpoints step 40. */
    pid_t pid     = spawn_train_held(dir, path_in(root, "termed.err"), 40);
    bool  stopped = wait_stopped(pid);
    kill(pid, SIGTERM);
    kill(pid, SIGCONT);
    int     rc = wait_exit(pid);
    int64_t at = checkpoint_step(dir);
    check(stopped && at == 40,
          "SIGTERM to a trainer held after step 40 of 3000: it checkpointed step %lld",
          (long long)at);
    char *st = first_line(path_in(dir, "status"));
    check(rc == 4, "SIGTERM: exit status 4 (got %d)", rc);
    check(st && strcmp(st, "interrupted") == 0, "SIGTERM: status 'interrupted'");
    free(st);
    char *err = slurp(path_in(root, "termed.err"), NULL);
    check(err && strstr(err, "interrupted at step 40"), "SIGTERM: the message says so");
    free(err);
    check(train_cli(dir, NULL) == 0, "resume after SIGTERM completes");
    check_identical("SIGTERM and resumed", ref_long, dir);
}

static void test_diverged(void) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/diverged", root);
    make_run(dir, "data: {source: markov, n_vocab: 4, order: 3}\n"
                  "n_layer: 1\nd_model: 32\nn_head: 2\nn_ctx: 16\nbatch: 8\nsteps: 200\n"
                  "lr: 0.9\nlr_warmup: 0\ngrad_clip: 0\nbeta2: 0.5\ndiverge_factor: 1.5\n"
                  "eval_points: 4\neval_tokens: 128\n");
    int   rc = train_cli(dir, path_in(root, "diverged.err"));
    char *st = first_line(path_in(dir, "status"));
    check(rc == 3, "diverging run: exit status 3 (got %d)", rc);
    check(st && strncmp(st, "diverged: step ", 15) == 0, "status '%s'", st ? st : "");
    char  *m = slurp(path_in(dir, "metrics.csv"), NULL);
    size_t n = m ? strlen(m) : 0;
    check(n > 2 && m[n - 1] == '\n', "metrics.csv ends in a whole line");
    /* The last row: eval columns empty. */
    char *last = m;
    for (char *p = m; p && p + 1 < m + n; p++)
        if (*p == '\n') last = p + 1;
    check(last && strstr(last, ",,,") != NULL, "the divergence row has empty eval columns");
    free(m);
    check(train_cli(dir, NULL) == 3, "a diverged run stays diverged");
    free(st);
    /* With the spike test off, an absurd learning rate ends in a NaN loss: diverged too. */
    snprintf(dir, sizeof dir, "%s/nan", root);
    make_run(dir, "data: {source: markov, n_vocab: 4, order: 3}\n"
                  "n_layer: 1\nd_model: 32\nn_head: 2\nn_ctx: 16\nbatch: 8\nsteps: 200\n"
                  "lr: 1e30\nlr_warmup: 0\ngrad_clip: 0\ndiverge_factor: 0\n"
                  "eval_points: 4\neval_tokens: 128\n");
    rc        = train_cli(dir, path_in(root, "nan.err"));
    st        = first_line(path_in(dir, "status"));
    char *msg = slurp(path_in(root, "nan.err"), NULL);
    check(rc == 3 && st && strncmp(st, "diverged: step ", 15) == 0 && strstr(st, " nan"),
          "NaN loss: exit 3 and '%s'", st ? st : "");
    check(msg && strstr(msg, "scalefit: diverged: step ") && strstr(msg, "warning") == NULL,
          "NaN loss: one closing line on stderr");
    free(msg);
    free(st);
}

static void test_bad_checkpoints(const char *ref) {
    struct {
        const char *name, *expect;
    } cases[] = {
        {"truncated", "truncated checkpoint"},
        {"magic", "not a scalefit checkpoint: magic"},
        {"crc", "checkpoint checksum mismatch"},
        {"config", "checkpoint was written for another configuration"},
        {"tiny", "not a scalefit checkpoint"},
        {"version", "checkpoint version 99, this scalefit reads version"},
        {"nan", "checkpoint parameter 3 is nan, not a finite number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[600], errf[700];
        snprintf(dir, sizeof dir, "%s/ckpt_%s", root, cases[i].name);
        snprintf(errf, sizeof errf, "%s/ckpt_%s.err", root, cases[i].name);
        make_run(dir, small_yaml);
        size_t n = 0;
        char  *d = slurp(path_in(ref, "checkpoint.bin"), &n);
        if (strcmp(cases[i].name, "truncated") == 0) n = n / 2;
        if (strcmp(cases[i].name, "magic") == 0) d[0] ^= 0x5a;
        if (strcmp(cases[i].name, "crc") == 0) d[n / 2] ^= 0x01;
        if (strcmp(cases[i].name, "tiny") == 0) n = 5;
        if (strcmp(cases[i].name, "version") == 0) d[4] = 99, d[5] = d[6] = d[7] = 0;
        if (strcmp(cases[i].name, "nan") == 0) {
            /* A NaN weight under a valid checksum: the CRC-32 of everything before the 8-byte
             * trailer, recomputed (the weights start after the 256-byte header). */
            float nan_f = NAN;
            memcpy(d + 256 + 3 * sizeof(float), &nan_f, sizeof nan_f);
            uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)d, (uInt)(n - 8));
            for (int k = 0; k < 4; k++)
                d[n - 8 + (size_t)k] = (char)(c >> (8 * k));
        }
        if (strcmp(cases[i].name, "config") == 0) {
            FILE *y = fopen(path_in(dir, "run.yaml"), "a");
            fputs("seed: 2\n", y);
            fclose(y);
        }
        FILE *f = fopen(path_in(dir, "checkpoint.bin"), "wb");
        fwrite(d, 1, n, f);
        fclose(f);
        free(d);
        int   rc  = train_cli(dir, errf);
        char *msg = slurp(errf, NULL);
        char *st  = first_line(path_in(dir, "status"));
        check(rc == 2, "%s checkpoint: exit status 2 (got %d)", cases[i].name, rc);
        check(msg && strstr(msg, cases[i].expect) && strstr(msg, "checkpoint.bin: error: ") &&
                  strstr(msg, "remove checkpoint.bin"),
              "%s checkpoint: message names the file, '%s' and the fix", cases[i].name,
              cases[i].expect);
        check(st && strncmp(st, "failed: ", 8) == 0, "%s checkpoint: status '%s'", cases[i].name,
              st ? st : "");
        if (msg && i == 0) printf("message: %s", msg);
        free(msg);
        free(st);
    }
}

static void test_bad_yaml_cli(void) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/badyaml", root);
    make_run(dir, "n_layer: 2\nd_modle: 64\nn_head: 3\n");
    int   rc  = train_cli(dir, path_in(root, "badyaml.err"));
    char *msg = slurp(path_in(root, "badyaml.err"), NULL);
    char  want[800];
    snprintf(want, sizeof want,
             "scalefit: %s/run.yaml:2:1: error: unknown key 'd_modle' (did you mean 'd_model'?)\n",
             dir);
    check(rc == 2, "bad run.yaml: exit status 2 (got %d)", rc);
    check(msg && strcmp(msg, want) == 0, "bad run.yaml: exactly the message (%s)", msg ? msg : "");
    char *st = first_line(path_in(dir, "status"));
    check(st && strstr(st, "failed: bad run.yaml: ") == st && strstr(st, "d_modle"),
          "bad run.yaml: status '%s'", st ? st : "");
    free(st);
    free(msg);
    /* No run directory, or no --run-dir: usage errors. */
    check(train_cli(path_in(root, "no-such-dir"), NULL) == 2, "missing run directory: exit 2");
}

/* Two threads: the same bits twice, and across a stop and resume (the kernels partition work
 * so that no sum depends on the thread count; OpenBLAS splits its products the same way for a
 * given count). A model large enough for OpenBLAS to use both threads. */
static void test_two_threads(void) {
    static const char yaml[] = "data: {source: markov, n_vocab: 8, order: 2}\n"
                               "n_layer: 2\nd_model: 128\nn_head: 4\nn_ctx: 64\nbatch: 8\n"
                               "steps: 30\neval_points: 3\neval_tokens: 1024\nthreads: 2\n"
                               "checkpoint_every: 10\n";
    char              a[600], b[600], c[600];
    snprintf(a, sizeof a, "%s/t2a", root);
    snprintf(b, sizeof b, "%s/t2b", root);
    snprintf(c, sizeof c, "%s/t2c", root);
    make_run(a, yaml);
    make_run(b, yaml);
    make_run(c, yaml);
    check(run_inproc(a, 0) == SF_OK && run_inproc(b, 0) == SF_OK, "two runs at 2 threads complete");
    check_identical("2 threads, twice", a, b);
    check(run_inproc(c, 17) == SF_EINTERRUPTED && run_inproc(c, 0) == SF_OK,
          "2 threads: stopped at 17 and resumed");
    check_identical("2 threads, stopped and resumed", a, c);
    model_set_threads(1);
}

/* A second trainer on a directory whose lock is held fails with status 1 and says why. */
static void test_lock(const char *ref) {
    int fd = open(path_in(ref, "lock"), O_RDWR | O_CREAT, 0644);
    check(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "the test holds the run's lock");
    int   rc  = train_cli(ref, path_in(root, "lock.err"));
    char *msg = slurp(path_in(root, "lock.err"), NULL);
    check(rc == 1 && msg && strstr(msg, "another scalefit train holds this run's lock"),
          "a locked run directory: exit 1 and the reason (%d)", rc);
    free(msg);
    close(fd);
    char *st = first_line(path_in(ref, "status"));
    check(st && strcmp(st, "done") == 0, "the locked run's status is left alone");
    free(st);
}

static void test_overfit(void) {
    struct model_shape s = {2, 32, 2, 128, 32, 16, 13, true};
    struct sf_error    e;
    struct model      *m = model_alloc(&s, 4, &e);
    model_init_params(m, 3);
    int32_t          in[64], tg[64];
    struct model_rng r;
    model_rng_seed(&r, 5);
    for (int i = 0; i < 64; i++)
        in[i] = (int32_t)model_rng_below(&r, 13), tg[i] = (int32_t)model_rng_below(&r, 13);
    struct model_adamw opt   = {0.9, 0.95, 1e-8, 0.0, false, 1.0};
    double             first = NAN, loss = NAN;
    for (int step = 0; step < 300; step++) {
        loss = model_forward(m, in, tg, 4);
        if (step == 0) first = loss;
        model_zero_grad(m);
        model_backward(m);
        model_update(m, &opt, 1e-2);
    }
    loss = model_forward(m, in, tg, 4);
    check(fabs(first - log(13.0)) < 0.1, "initial loss near ln 13 = %.3f (%.4f)", log(13.0), first);
    check(loss < 0.05, "one batch overfitted in 300 steps: loss %.4g < 0.05", loss);
    model_free(m);
}

static void test_text_source(void) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/text", root);
    mkdir(dir, 0755);
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "part%d.txt", k);
        FILE *f = fopen(path_in(dir, name), "w");
        for (int i = 0; i < 200; i++)
            fprintf(f, "line %d of part %d: the quick brown fox.\n", i, k);
        fclose(f);
    }
    make_run(dir, "data: {source: text, paths: ['part*.txt'], eval_fraction: 0.34}\n"
                  "n_layer: 1\nd_model: 32\nn_head: 2\nn_ctx: 32\nbatch: 4\nsteps: 60\n"
                  "eval_every: 20\neval_tokens: 512\n");
    check(run_inproc(dir, 0) == SF_OK, "a text run completes");
    char *m   = slurp(path_in(dir, "metrics.csv"), NULL);
    char *sum = slurp(path_in(dir, "summary.yaml"), NULL);
    check(m && strstr(m, "\n60,7680,") && strstr(m, ",,,,"),
          "text metrics: step 60, markov columns empty");
    check(sum && strstr(sum, "bayes_loss: null") && strstr(sum, "n_vocab: 256"),
          "text summary: bayes_loss null, n_vocab 256");
    free(m);
    free(sum);
}

/* A full disk: the run (in a 2 MB tmpfs) is stopped at step 50 with its checkpoint, the disk is
 * filled but for 16 KB (room for status and metrics lines, not for a checkpoint), and the
 * resumed run must stop as interrupted (exit status 4's SF_EINTERRUPTED) at its next checkpoint,
 * saying "no space left on device" and the path, with the checkpoint of step 50 whole and no
 * temporary file left; once space is freed it resumes and ends bit-identical to the reference.
 * Returns 77 when the tmpfs cannot be mounted (not root), a failure under CI. */
static int test_full_disk(const char *ref) {
    char fs[600], dir[700], filler[700], cmd[1400];
    snprintf(fs, sizeof fs, "%s/fs", root);
    snprintf(dir, sizeof dir, "%s/run", fs);
    snprintf(filler, sizeof filler, "%s/filler", fs);
    mkdir(fs, 0755);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=2m tmpfs '%s' 2>/dev/null", fs);
    if (system(cmd) != 0) {
        printf("cannot mount a tmpfs at %s (root is needed)\n", fs);
        return getenv("CI") && getenv("CI")[0] ? 1 : 77;
    }
    make_run(dir, small_yaml);
    check(run_inproc(dir, 50) == SF_EINTERRUPTED && checkpoint_step(dir) == 50,
          "full disk: the run stops at step 50 with its checkpoint");
    /* Fill the disk but for 16 KB. */
    struct statvfs sv;
    FILE          *f = fopen(filler, "wb");
    static char    blk[4096];
    while (f && statvfs(fs, &sv) == 0 && (double)sv.f_bavail * (double)sv.f_frsize > 16384 &&
           fwrite(blk, 1, sizeof blk, f) == sizeof blk && fflush(f) == 0) {
    }
    if (f) fclose(f);
    struct model_run_options o = {0};
    struct sf_diags          d;
    struct sf_error          e;
    sf_diag_init(&d);
    sf_error_clear(&e);
    enum sf_status st  = model_run(dir, &o, &d, &e);
    char          *sta = first_line(path_in(dir, "status"));
    check(st == SF_EINTERRUPTED && strstr(e.message, "no space left on device") &&
              strstr(e.message, dir),
          "full disk: interrupted, saying so with the path (%s)", e.message);
    check(sta && strncmp(sta, "interrupted: no space left on device", 36) == 0,
          "full disk: status '%s'", sta ? sta : "");
    check(checkpoint_step(dir) == 50, "full disk: the checkpoint of step 50 is whole (step %lld)",
          (long long)checkpoint_step(dir));
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.tmp\\.' >/dev/null", dir);
    check(system(cmd) != 0, "full disk: no temporary file is left behind");
    free(sta);
    sf_diag_free(&d);
    unlink(filler);
    check(run_inproc(dir, 0) == SF_OK, "full disk: after space is freed the run resumes and ends");
    check_identical("full disk, then resumed", ref, dir);
    snprintf(cmd, sizeof cmd, "umount '%s'", fs);
    check(system(cmd) == 0, "full disk: the tmpfs is unmounted");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_run SCALEFIT [full-disk]\n");
        return 2;
    }
    scalefit = argv[1];
    if (mkdtemp(root) == NULL) return 1;
    model_set_threads(1);
    char ref[600];
    snprintf(ref, sizeof ref, "%s/ref", root);
    if (argc > 2 && strcmp(argv[2], "full-disk") == 0) {
        make_run(ref, small_yaml);
        check(run_inproc(ref, 0) == SF_OK, "reference run completes");
        int  rc = test_full_disk(ref);
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        if (rc == 77 || check_failures() == 0) (void)system(cmd);
        return rc == 77 && check_failures() == 0 ? 77 : rc ? rc : check_summary();
    }
    test_reference_run(ref);
    test_determinism(ref);
    test_stop_resume(ref);
    test_old_layout_resume(ref);
    char ref_long[600], yaml[1024];
    snprintf(ref_long, sizeof ref_long, "%s/ref_long", root);
    long_yaml(yaml, sizeof yaml);
    make_run(ref_long, yaml);
    check(run_inproc(ref_long, 0) == SF_OK, "long reference run completes");
    test_sigkill(ref_long);
    test_sigterm(ref_long);
    test_diverged();
    test_bad_checkpoints(ref);
    test_bad_yaml_cli();
    test_overfit();
    test_text_source();
    test_two_threads();
    test_lock(ref);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (check_failures() == 0 && system(cmd) != 0) return 1;
    if (check_failures() > 0) printf("run directories kept in %s\n", root);
    return check_summary();
}
