/*
 * sweep.h — the public interface of scalefit's sweeps (prefix sweep_): the sweep file (YAML,
 * parsed with libyaml and validated with every problem reported at once), its expansion into
 * runs with stable ids, the sweep directory, the executors (local processes; Slurm job arrays),
 * the collection of results.csv and curves.csv, the named fits built from them, and the sweep's
 * report.
 *
 * Training itself always runs as its own process (`scalefit train --run-dir DIR`); this module
 * only uses the engine's public header for shapes, parameter counts and run.yaml. Figures are
 * drawn by src/figures, from the sweep's finish, which passes their names to the report.
 */
#ifndef SF_SWEEP_H
#define SF_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "fit.h"
#include "model.h"

// ---- the sweep file ----

#define SWEEP_NAME_MAX 128
#define SWEEP_FIT_FILTERS_MAX 8 /* row filters of one sweep fit */

enum sweep_budget_kind {
    SWEEP_BUDGET_KIND_STEPS,            /* train.steps */
    SWEEP_BUDGET_KIND_TOKENS,           /* train.tokens */
    SWEEP_BUDGET_KIND_FLOPS,            /* train.flops: C = 6·N·tokens per run */
    SWEEP_BUDGET_KIND_TOKENS_PER_PARAM, /* train.tokens_per_param: tokens = k·N */
};

enum sweep_lr_rule {
    SWEEP_LR_RULE_CONSTANT, /* lr: 0.003 */
    SWEEP_LR_RULE_D_MODEL,  /* lr = base·(d_ref/d_model)^power */
    SWEEP_LR_RULE_PARAMS,   /* lr = base·(n_ref/N)^power */
};

enum sweep_executor { SWEEP_EXECUTOR_LOCAL, SWEEP_EXECUTOR_SLURM };

/* One model shape of the sweep, explicit or chosen for a target size. */
struct sweep_shape {
    int64_t n_layer, d_model, n_head, d_ff, d_attn;
    double  target; /* target non-embedding parameters, or 0 for an explicit shape */
    char    where[256];
};

/* A named fit of the sweep (fits/NAME/). */
struct sweep_fit {
    char              name[64];
    enum fit_law_kind law;
    char              x[32];       /* power, power+const: a results.csv column (default
                                      params_nonembed); chinchilla, kaplan-nd: N column */
    char   d[32];                  /* two-variable laws: the D column (default tokens) */
    char   y[32];                  /* results.csv column (default best_eval_loss, or its _cv) */
    double min_params, max_params; /* exclusions (0: none) */
    double min_tokens, min_flops;  /* frontier: drop warm-up points */
    double holdout_min_params;     /* hold out runs with N >= this (0: none) */
    double target_per_sample;      /* per-run laws of N with a constant: the size that reaches this
                                      reducible loss per sample (image, frame, problem; 0: none) */
    char stage[64];                /* the runs it fits: "main" (the grid) or a stage's name */
    bool frontier_hull;      /* frontier: fit L(C) to the hull (default: every frontier point) */
    bool frontier_fit_given; /* `frontier_fit` was in the sweep file */
    char where[256];         /* the entry's place in the sweep file (FILE:LINE:COL) */
    /* The options `scalefit fit` has: loss (default: the law's), Huber delta (0: the default for
     * the loss), residual space, row filters on the fit's table ("COL=VALUE" keeps equal rows,
     * "COL>=V", "COL>V", "COL<=V", "COL<V" compare numbers) and rows held out ("COL>=V"...). */
    enum fit_loss  loss;
    double         delta;
    enum fit_space space;
    char           filters[SWEEP_FIT_FILTERS_MAX][128];
    size_t         n_filters;
    char           holdout_where[128]; /* empty: none */
};

/* A stage of the sweep (`stages:`): for every run of the stage it continues (`from`, the main
 * grid or an earlier stage), one run that starts from that run's weights (run.yaml's
 * init_from) once it is done, with the stage's data settings and training. */
#define SWEEP_STAGES_MAX 8
#define SWEEP_MAX_STUDENTS 8

struct sweep_stage {
    char                name[64];
    int                 from; /* index of the stage it continues; -1: the main grid */
    struct model_config cfg;  /* the sweep's settings with the stage's data and train keys;
                                 its length (steps or tokens) is the stage's */
    bool    lr_given;         /* train.lr given; else each run keeps its parent's */
    int64_t n_ctx;            /* 0: the parent's */
    char    where[256];
    /* `students`: target sizes; then the stage makes, for every run it continues, one run of
     * each of these shapes that distils from it (its `teacher`) instead of starting from its
     * weights. 0: a stage of init_from runs. */
    struct sweep_shape students[SWEEP_MAX_STUDENTS];
    size_t             n_students;
};

/* Slurm settings (runner.slurm). Strings empty when not given. */
struct sweep_slurm {
    char    partition[128], time[32], account[128], qos[128], mem[32];
    int64_t cpus_per_task;  /* default: the run's threads */
    char    extra[16][256]; /* extra sbatch options, each one argument */
    size_t  n_extra;
    int64_t signal_seconds; /* --signal=B:TERM@this (default 60) */
    int64_t max_resubmits;  /* per run (default 3) */
    int64_t poll_seconds;   /* squeue/scontrol polling interval (default 5) */
};

/* The parsed sweep. Arrays owned; free with sweep_spec_free. */
#define SWEEP_MAX_RESOLUTIONS 8

struct sweep_spec {
    char               *path;     /* the sweep file as given */
    char               *base_dir; /* its folder (data paths are relative to it) */
    char                name[SWEEP_NAME_MAX];
    struct model_config base; /* data source and training defaults of every run */
    /* `data.resolution` as a list: one grid per resolution (base holds the first), each with
     * n_ctx = its sample's tokens − 1; n_resolutions 0 when a single value was given. */
    int64_t resolutions[SWEEP_MAX_RESOLUTIONS];
    size_t  n_resolutions;
    /* `train.objective` as a list: one grid per objective (base holds the first); 0: one. */
    enum model_objective objectives[SWEEP_MAX_RESOLUTIONS];
    size_t               n_objectives;
    bool                 n_ctx_given; /* model.n_ctx was in the file */
    /* model */
    struct sweep_shape *shapes;
    size_t              n_shapes;
    double              aspect;   /* d_model / n_layer for target sizes */
    int64_t             head_dim; /* n_head = max(min_heads, d_model / head_dim) */
    int64_t             min_heads;
    double              d_ff_mult;   /* d_ff = d_ff_mult · d_model */
    double              d_attn_mult; /* d_attn = d_attn_mult · d_model */
    /* training */
    enum sweep_budget_kind budget_kind;
    double                *budgets;
    size_t                 n_budgets;
    enum sweep_lr_rule     lr_rule;
    double                 lr_base, lr_ref, lr_power;
    uint64_t              *seeds;
    size_t                 n_seeds;
    /* runner */
    enum sweep_executor executor;
    int64_t             jobs; /* 0: the number of cores */
    struct sweep_slurm  slurm;
    /* stages: runs that start from other runs' weights */
    struct sweep_stage *stages;
    size_t              n_stages;
    /* fits */
    struct sweep_fit *fits;
    size_t            n_fits;
    size_t            bootstrap;
    uint64_t          fit_seed;
    double            level;
    /* figures */
    bool plots;
};

/* Reads and validates a sweep file. Every problem goes into `diags` with its FILE:LINE:COL
 * (unknown keys with "did you mean", wrong types, values out of range, shapes that cannot
 * exist, missing data files or packages); returns SF_EINVAL when there is at least one error,
 * SF_EIO when unreadable, SF_OK otherwise. On SF_OK free `spec` with sweep_spec_free. */
enum sf_status sweep_spec_load(const char *path, struct sweep_spec *spec, struct sf_diags *diags);
void           sweep_spec_free(struct sweep_spec *spec);
/* Writes the sweep with every default filled in (sweep.resolved.yaml's text; caller frees). */
enum sf_status sweep_spec_emit_resolved(const struct sweep_spec *spec, char **text,
                                        struct sf_error *err);

// ---- runs ----

/* One run of the sweep. */
struct sweep_run {
    char                id[48]; /* stable: derived from the resolved run.yaml text */
    struct model_config cfg;
    size_t              shape_index, budget_index;
    uint64_t            seed;
    int64_t             params, params_nonembed, steps, tokens;
    double              flops_6n;    /* 6·N·tokens */
    double              flops_exact; /* the engine's exact count for the whole run */
    double              target;      /* the shape's target size (0 for explicit shapes) */
    char                stage[64];   /* "main", or the stage that made it */
    bool                has_parent;  /* a stage's run: it starts from runs[parent]'s weights */
    size_t              parent;
};

/* Expands the sweep into its runs (shapes × budgets × seeds), longest first is NOT applied
 * here: runs come in a fixed order (shape, budget, seed), then each stage's runs in the order of
 * the runs they continue (a parent always comes before its children). *runs is a fresh array
 * (caller frees with free()). Shapes that cannot meet a target, or budgets below one step, are
 * SF_EINVAL with the place in `diags`. */
enum sf_status sweep_expand(const struct sweep_spec *spec, struct sweep_run **runs, size_t *n,
                            struct sf_diags *diags);

/* The id of a configuration (what sweep_expand assigns). */
enum sf_status sweep_run_id(const struct model_config *cfg, char id[48], struct sf_error *err);

/* Estimated training time of each run on this machine (seconds; NAN when a probe fails): a short
 * timed probe of each distinct shape times the run's steps. Evaluations are not counted. */
void sweep_estimate_seconds(const struct sweep_run *runs, size_t n, double *seconds);

// ---- the sweep directory ----

/* States of a run, as in status files, results.csv and `scalefit status`. */
enum sweep_state {
    SWEEP_STATE_PENDING,
    SWEEP_STATE_RUNNING,
    SWEEP_STATE_DONE,
    SWEEP_STATE_DIVERGED,
    SWEEP_STATE_FAILED,
    SWEEP_STATE_INTERRUPTED,
};

const char *sweep_state_name(enum sweep_state s);
/* The state a name spells (as sweep_state_name writes it); false when it is none. */
bool sweep_state_from_name(const char *name, enum sweep_state *s);

/* What a run directory says about its run. */
struct sweep_run_state {
    enum sweep_state state;
    char             reason[512];
    int64_t          step;      /* last evaluated step (0 before the first evaluation) */
    double           last_loss; /* last eval loss (NAN before) */
    bool             locked;    /* a trainer holds the run's lock now */
};

/* Creates OUT (default runs/NAME), copies the sweep file to OUT/sweep.yaml, writes
 * OUT/sweep.resolved.yaml and, for every run, OUT/runs/ID/run.yaml and a `pending` status when
 * the run directory is new. Existing run directories are kept as they are (resume). */
enum sf_status sweep_dir_prepare(const struct sweep_spec *spec, const struct sweep_run *runs,
                                 size_t n, const char *out_dir, struct sf_error *err);

/* Reads the state of run `id` in OUT (status file, last metrics line, whether it is locked). */
void sweep_run_state_read(const char *out_dir, const char *id, struct sweep_run_state *st);

/* The run's directory OUT/runs/ID (fresh string, caller frees). */
char *sweep_run_dir(const char *out_dir, const char *id);

// ---- executing ----

/* A progress event for the display: called by the executors on every change of state and at
 * most every second with fresh per-run numbers. */
struct sweep_progress {
    size_t n_runs, n_done, n_running, n_pending, n_failed; /* failed: failed or diverged */
    double elapsed_s, eta_s;                               /* NAN when unknown */
    size_t n_active;                                       /* entries below */
    const char *const *active_ids;
    const int64_t     *active_step, *active_steps;
    const double      *active_loss;
};

/* Options of an executor run. Pointers borrowed; may be NULL unless said. */
struct sweep_exec_options {
    const char                  *scalefit; /* the scalefit executable (required) */
    int64_t                      jobs;     /* concurrent runs (>= 1) */
    const volatile sig_atomic_t *stop;     /* set by a signal handler: stop cleanly */
    void (*on_progress)(void *ctx, const struct sweep_progress *p);
    void                   *progress_ctx;
    const struct sf_logger *log;
    /* Slurm: asked once on a stop request when the command runs on a terminal; returns true to
     * cancel the jobs (scancel), false to leave them running. NULL: leave them running. */
    bool (*ask_cancel)(void *ctx);
    void *ask_ctx;
};

/* The outcome of executing a sweep. */
struct sweep_exec_result {
    size_t n_done, n_diverged, n_failed, n_interrupted, n_skipped; /* skipped: locked elsewhere */
    double train_seconds; /* wall time the trainers ran (sum over runs) */
    double loop_seconds;  /* of which inside their training loops (by their summary.yaml) */
    double wall_seconds;  /* wall time of the executor */
};

/* Runs every run not yet finished with up to `jobs` `scalefit train` processes at once
 * (fork/exec, never a shell), longest first; a failed or diverged run is recorded and the
 * others go on. A run whose lock another process holds is skipped and waited for at the end.
 * When `stop` is set, the trainers are asked to checkpoint (SIGTERM) and the call returns
 * SF_EINTERRUPTED once they have exited. */
enum sf_status sweep_run_local(const struct sweep_spec *spec, const struct sweep_run *runs,
                               size_t n, const char *out_dir, const struct sweep_exec_options *opt,
                               struct sweep_exec_result *res, struct sf_error *err);

/* The Slurm executor (docs/slurm.md): submits the unfinished runs as a job array
 * (`sbatch --array=0-K%M`, M = jobs), each task running `scalefit train --run-dir` for its run;
 * attaches to an array of this sweep that is still queued or running instead of submitting
 * again; polls squeue/scontrol; resubmits runs that were stopped before their time limit (capped
 * per run); reports each failure with Slurm's state, reason and the tail of the task's log. The
 * batch scripts, job ids, the task → run map and task logs live in OUT/slurm/. Returns like
 * sweep_run_local; SF_EINTERRUPTED when stopped (jobs left running or cancelled as asked). */
enum sf_status sweep_run_slurm(const struct sweep_spec *spec, const struct sweep_run *runs,
                               size_t n, const char *out_dir, const struct sweep_exec_options *opt,
                               struct sweep_exec_result *res, struct sf_error *err);
/* The batch script sweep_run_slurm would submit for the unfinished runs (for --dry-run); *text
 * is a fresh string (caller frees). */
enum sf_status sweep_slurm_script(const struct sweep_spec *spec, const struct sweep_run *runs,
                                  size_t n, const char *out_dir, const char *scalefit, int64_t jobs,
                                  char **text, struct sf_error *err);

// ---- collecting and fitting ----

/* Writes OUT/results.csv, OUT/curves.csv (DESIGN.md's columns) and OUT/positions.csv (each
 * run's loss by position), atomically, from the run directories of `runs`. */
enum sf_status sweep_collect(const struct sweep_run *runs, size_t n, const char *out_dir,
                             struct sf_error *err);

/* The column a fit's y resolves to ("best_eval_loss_cv", "eval_loss", ...). */
const char *sweep_fit_y(const struct sweep_spec *spec, const struct sweep_fit *fit);

/* What the sweep's finish needs besides the spec and the runs. Strings borrowed. */
struct sweep_finish_info {
    const char                  *version, *command; /* for provenance and the report */
    int64_t                      jobs;
    double                       wall_seconds, train_seconds, loop_seconds; /* the executor's */
    const volatile sig_atomic_t *stop; /* set by a signal handler: stop before the next fit */
};

/* The finish of a sweep whose runs are collected in OUT: makes each named fit into
 * OUT/fits/NAME/ (fit.yaml, figures when the sweep has plots, report.md), draws the sweep's
 * figures (src/figures) and writes OUT/report.md. Appends to `text` each fit's summary line and
 * where the report is, for the terminal; a fit that cannot be made is a warning in `diags`,
 * a file that cannot be written an error there. Returns SF_EINTERRUPTED when `stop` was set
 * (no figures, no report: run again to fit), SF_EIO when a fit's folder could not be written,
 * the report's error status, SF_ENOMEM, or SF_OK. */
enum sf_status sweep_finish(const struct sweep_spec *spec, const struct sweep_run *runs, size_t n,
                            const char *out, const struct sweep_finish_info *info,
                            struct sf_buf *text, struct sf_diags *diags);

/* Writes the `scalefit status` listing of the sweep in OUT to `out`. */
enum sf_status sweep_status_print(const char *out_dir, FILE *out, struct sf_error *err);

#endif /* SF_SWEEP_H */
