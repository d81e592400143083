/*
 * run.c (cli) — `scalefit run SWEEP.yaml [--out DIR] [--jobs N] [--executor local|slurm]
 * [--dry-run]`: the main job. Reads and validates the sweep, expands it into runs, trains them
 * (src/sweep's executors), collects results.csv and curves.csv, fits the named laws, draws the
 * figures and writes the sweep's report. Running it again resumes: finished runs are kept,
 * unfinished ones continue from their checkpoints.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sweep.h"

static volatile sig_atomic_t cli_run_stop;

static void cli_run_on_signal(int sig) {
    (void)sig;
    cli_run_stop = 1;
}

/* The progress display: one block redrawn on a terminal, plain lines otherwise. */
struct cli_run_display {
    struct sf_progress progress;
};

/* The sweep's log lines (runs done or failed, submissions to Slurm). On a terminal each one is
 * written where the progress block was, which is then drawn again below it, so the lines stay on
 * screen above the display; elsewhere they are plain lines between the progress lines. */
static void cli_run_log(void *ctx, enum sf_log_level level, const char *message) {
    struct cli_run_display *d = ctx;
    if (level < SF_LOG_LEVEL_INFO) return;
    if (d->progress.tty && d->progress.lines_drawn > 0) {
        for (size_t i = 0; i < d->progress.lines_drawn; i++)
            fputs("\033[A", d->progress.out);
        fputs("\r\033[J", d->progress.out);
        d->progress.lines_drawn = 0;
        d->progress.last_draw   = -INFINITY;
    }
    if (level == SF_LOG_LEVEL_WARNING) fputs("scalefit: warning: ", stderr);
    if (level == SF_LOG_LEVEL_ERROR) fputs("scalefit: error: ", stderr);
    fprintf(stderr, "%s\n", message);
    fflush(stderr);
}

static void cli_run_progress(void *ctx, const struct sweep_progress *p) {
    struct cli_run_display *d = ctx;
    char                    lines[64][160];
    const char             *ptr[64];
    size_t                  n = 0;
    char                    el[32], eta[32];
    sf_format_duration(el, sizeof el, p->elapsed_s);
    sf_format_duration(eta, sizeof eta, p->eta_s);
    char bad[48] = "";
    if (p->n_failed) snprintf(bad, sizeof bad, " (%zu failed or diverged)", p->n_failed);
    snprintf(lines[n++], sizeof lines[0],
             "runs %zu/%zu done, %zu running, %zu pending%s  elapsed %s%s%s", p->n_done, p->n_runs,
             p->n_running, p->n_pending, bad, el, p->n_running + p->n_pending ? "  ETA " : "",
             p->n_running + p->n_pending ? (isfinite(p->eta_s) ? eta : "?") : "");
    for (size_t i = 0; i < p->n_active && n < 64; i++) {
        if (isfinite(p->active_loss[i]))
            snprintf(lines[n++], sizeof lines[0], "  %-22s step %6lld/%-6lld eval loss %.5f",
                     p->active_ids[i], (long long)p->active_step[i], (long long)p->active_steps[i],
                     p->active_loss[i]);
        else
            snprintf(lines[n++], sizeof lines[0], "  %-22s step %6lld/%lld", p->active_ids[i],
                     (long long)p->active_step[i], (long long)p->active_steps[i]);
    }
    for (size_t i = 0; i < n; i++)
        ptr[i] = lines[i];
    bool final = p->n_running == 0 && p->n_pending == 0;
    sf_progress_draw(&d->progress, ptr, n, final);
}

/* Asked on Ctrl-C when a Slurm sweep runs on a terminal: cancel the jobs or leave them. */
static bool cli_run_ask_cancel(void *ctx) {
    struct cli_run_display *d = ctx;
    d->progress.lines_drawn   = 0; /* the question goes below the block, which stays */
    FILE *tty                 = fopen("/dev/tty", "r+");
    if (tty == NULL) return false;
    fprintf(tty, "\nscalefit: cancel the sweep's Slurm jobs (c) or leave them running (l)? [l] ");
    fflush(tty);
    char line[64] = "";
    bool cancel   = fgets(line, sizeof line, tty) != NULL && (line[0] == 'c' || line[0] == 'C');
    fclose(tty);
    return cancel;
}

/* The path of this executable, for starting trainers (fresh string). */
static char *cli_run_self(const char *argv0) {
    char    buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return sf_strdup(buf);
    }
    return sf_strdup(argv0);
}

/* --dry-run: the table of runs with their estimated times, and on Slurm the batch script. */
static int cli_run_dry(const struct sweep_spec *spec, const struct sweep_run *runs, size_t n,
                       const char *out, int64_t jobs, const char *argv0) {
    size_t n_main = 0;
    for (size_t i = 0; i < n; i++)
        n_main += !runs[i].has_parent;
    printf("sweep %s: %zu runs (%zu shapes x %zu budgets x %zu seeds", spec->name, n,
           spec->n_shapes, spec->n_budgets, spec->n_seeds);
    if (spec->n_resolutions > 0) printf(" x %zu resolutions", spec->n_resolutions);
    if (n > n_main)
        printf(", then %zu in %zu stage%s", n - n_main, spec->n_stages,
               spec->n_stages == 1 ? "" : "s");
    printf(") into %s, %lld at a time\n", out, (long long)jobs);
    printf("%-22s %-10s %7s %7s %6s %6s %6s %11s %11s %9s %10s %10s %9s\n", "run", "stage",
           "n_layer", "d_model", "n_head", "d_ff", "d_attn", "N", "tokens", "steps", "C=6ND",
           "C exact", "est. time");
    double  total = 0, flops = 0;
    double *est = calloc(n ? n : 1, sizeof *est);
    if (est != NULL) sweep_estimate_seconds(runs, n, est);
    for (size_t i = 0; i < n; i++) {
        const struct sweep_run *r    = &runs[i];
        double                  secs = est ? est[i] : NAN;
        struct model_shape      s    = model_config_shape(&r->cfg);
        char                    dur[32];
        sf_format_duration(dur, sizeof dur, secs);
        printf("%-22s %-10s %7lld %7lld %6lld %6lld %6lld %11lld %11lld %9lld %10.3g %10.3g %9s\n",
               r->id, r->stage, (long long)s.n_layer, (long long)s.d_model, (long long)s.n_head,
               (long long)s.d_ff, (long long)s.d_attn, (long long)r->params_nonembed,
               (long long)r->tokens, (long long)r->steps, r->flops_6n, r->flops_exact, dur);
        if (isfinite(secs)) total += secs;
        flops += r->flops_exact;
    }
    free(est);
    char dur[32];
    sf_format_duration(dur, sizeof dur, total / (double)jobs);
    printf("total: %.3g FLOP; about %s of training with %lld at a time (from a timed probe of each "
           "shape on this machine; evaluations not counted)\n",
           flops, dur, (long long)jobs);
    if (spec->executor != SWEEP_EXECUTOR_SLURM) return 0;
    struct sf_error e;
    char           *script = NULL, *self = cli_run_self(argv0);
    int             rc = 0;
    if (sweep_slurm_script(spec, runs, n, out, self, jobs, &script, &e) != SF_OK)
        rc = cli_report(&e);
    else
        printf("\nthe batch script it would submit:\n\n%s", script);
    free(script);
    free(self);
    return rc;
}

/* The sweep's finish (fits, figures, report: src/sweep), with its messages and summary. */
static int cli_run_finish(const struct sweep_spec *spec, const struct sweep_run *runs, size_t n,
                          const char *out, int64_t jobs, double wall, double train,
                          double in_loops) {
    struct sweep_finish_info info = {cli_version(), cli_command_line(), jobs,         wall,
                                     train,         in_loops,           &cli_run_stop};
    struct sf_buf            text;
    struct sf_diags          diags;
    sf_buf_init(&text);
    sf_diag_init(&diags);
    enum sf_status st = sweep_finish(spec, runs, n, out, &info, &text, &diags);
    sf_diag_print(&diags, stderr);
    sf_diag_free(&diags);
    if (st == SF_EINTERRUPTED)
        fprintf(stderr, "scalefit: stopped while fitting: every run is done; run the same command "
                        "again to fit, plot and report\n");
    fputs(text.data ? text.data : "", stdout);
    sf_buf_free(&text);
    return sf_status_exit_code(st);
}

/* Everything parsed from the command line. */
struct cli_run_opts {
    const char *path, *out, *executor;
    size_t      jobs; /* 0: the sweep's runner.jobs, else the cores */
    bool        dry;
};

/* Reads the command line into `o`. False when the command is to end with *exit_status. */
static bool cli_run_parse(int argc, char **argv, struct cli_run_opts *o, int *exit_status) {
    memset(o, 0, sizeof *o);
    const struct cli_option table[] = {
        CLI_OPTION("--out", CLI_ARG_STRING, &o->out, "DIR", "the sweep directory"),
        CLI_OPTION("--jobs", CLI_ARG_SIZE, &o->jobs, "N",
                   "trainers at once (default: the sweep's runner.jobs, else the cores)",
                   .check = CLI_CHECK_BETWEEN, .lo = 1, .hi = 4096),
        CLI_OPTION("--executor", CLI_ARG_STRING, &o->executor, NULL,
                   "local (processes here) or slurm (a job array)", .choices = "local|slurm"),
        CLI_OPTION("--dry-run", CLI_ARG_FLAG, &o->dry, NULL,
                   "print the runs (shape, N, tokens, FLOPs, estimated time); train nothing"),
        CLI_END,
    };
    const struct cli_command cmd = {
        .name     = "run",
        .synopsis = "SWEEP.yaml [options]",
        .intro    = "Trains every run of a sweep (docs/sweep-format.md), resuming after any "
                    "interruption,\nthen collects results.csv and curves.csv, fits the sweep's "
                    "laws, draws the figures and\nwrites DIR/report.md (DIR defaults to runs/NAME).",
        .outro   = "Exit status: 0 every run done or diverged (a recorded result), 1 a run failed, "
                   "2 bad\ninput, 4 interrupted (checkpointed: run the same command again to "
                   "resume).",
        .options = table,
        .operand = "sweep file",
        .operand_at = &o->path,
    };
    return cli_parse(&cmd, argc, argv, exit_status);
}

int cli_run_main(int argc, char **argv) {
    struct cli_run_opts o;
    int                 prc;
    if (!cli_run_parse(argc, argv, &o, &prc)) return prc;
    const char       *path = o.path, *out_opt = o.out, *executor = o.executor;
    int64_t           jobs = (int64_t)o.jobs;
    bool              dry  = o.dry;
    struct sweep_spec spec;
    struct sf_diags   diags;
    sf_diag_init(&diags);
    enum sf_status st = sweep_spec_load(path, &spec, &diags);
    sf_diag_print(&diags, stderr);
    if (st != SF_OK) {
        sf_diag_free(&diags);
        return sf_status_exit_code(st);
    }
    sf_diag_free(&diags);
    sf_diag_init(&diags);
    if (executor)
        spec.executor =
            strcmp(executor, "slurm") == 0 ? SWEEP_EXECUTOR_SLURM : SWEEP_EXECUTOR_LOCAL;
    if (jobs == 0) jobs = spec.jobs;
    if (jobs == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        jobs       = cores > 0 ? cores : 1;
    }
    struct sweep_run *runs;
    size_t            n;
    st = sweep_expand(&spec, &runs, &n, &diags);
    sf_diag_print(&diags, stderr);
    sf_diag_free(&diags);
    if (st != SF_OK) {
        sweep_spec_free(&spec);
        return sf_status_exit_code(st);
    }
    char *out = out_opt ? sf_strdup(out_opt) : sf_strdup_printf("runs/%s", spec.name);
    int   rc  = 0;
    if (out == NULL) {
        fprintf(stderr, "scalefit: error: out of memory\n");
        rc = 1;
        goto done;
    }
    if (dry) {
        rc = cli_run_dry(&spec, runs, n, out, jobs, argv[0]);
        goto done;
    }
    struct sf_error err;
    if (sweep_dir_prepare(&spec, runs, n, out, &err) != SF_OK ||
        sweep_collect(runs, n, out, &err) != SF_OK) {
        rc = cli_report(&err);
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_run_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct cli_run_display disp;
    sf_progress_init(&disp.progress, stderr);
    struct sf_logger          logger = {cli_run_log, &disp};
    char                     *self   = cli_run_self(argv[0]);
    struct sweep_exec_options opt    = {self,
                                        jobs,
                                        &cli_run_stop,
                                        cli_run_progress,
                                        &disp,
                                        &logger,
                                     disp.progress.tty ? cli_run_ask_cancel : NULL,
                                        &disp};
    struct sweep_exec_result  res;
    fprintf(stderr, "sweep %s: %zu runs, %lld at a time, %s, in %s\n", spec.name, n,
            (long long)jobs, spec.executor == SWEEP_EXECUTOR_SLURM ? "on Slurm" : "here", out);
    if (spec.executor == SWEEP_EXECUTOR_SLURM)
        st = sweep_run_slurm(&spec, runs, n, out, &opt, &res, &err);
    else
        st = sweep_run_local(&spec, runs, n, out, &opt, &res, &err);
    sf_progress_finish(&disp.progress);
    free(self);
    if (st != SF_OK && st != SF_EINTERRUPTED) {
        rc = cli_report(&err);
        goto done;
    }
    if (sweep_collect(runs, n, out, &err) != SF_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (st == SF_EINTERRUPTED || cli_run_stop) {
        fprintf(stderr, "scalefit: warning: %s\n",
                st == SF_EINTERRUPTED ? err.message
                                      : "stopped: run the same command again to resume");
        rc = 4;
        goto done;
    }
    rc = cli_run_finish(&spec, runs, n, out, jobs, res.wall_seconds, res.train_seconds,
                        res.loop_seconds);
    if (rc == 0 && res.n_failed > 0) {
        fprintf(stderr,
                "scalefit: error: %zu run%s failed (see %s/report.md and each run's stderr.txt)\n",
                res.n_failed, res.n_failed == 1 ? "" : "s", out);
        rc = 1;
    } else if (rc == 0 && (res.n_interrupted > 0 || res.n_skipped > 0)) {
        fprintf(
            stderr, "scalefit: %zu run%s did not finish: run the same command again to resume\n",
            res.n_interrupted + res.n_skipped, res.n_interrupted + res.n_skipped == 1 ? "" : "s");
        rc = 4;
    }
done:
    free(out);
    free(runs);
    sweep_spec_free(&spec);
    return rc;
}
