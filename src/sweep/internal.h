/*
 * internal.h — private to src/sweep and its tests: the checks that the sweep file's parser
 * calls once it has every key (fits, shapes, data, Slurm settings), the small helpers the
 * executors share, the Slurm executor's pure pieces (parsing, the batch script, verdicts), and
 * what the sweep's finish uses (one fit's data and request, the report writer).
 */
#ifndef SF_SWEEP_INTERNAL_H
#define SF_SWEEP_INTERNAL_H

#include <time.h>

#include "sweep.h"

/* A fit with the defaults of the law named `law` (a name of fit_law_names(); columns, no
 * exclusions). */
void sweep_fit_defaults(struct sweep_fit *f, const char *law);
/* Checks a fit's columns and exclusions for its law; problems at the fit's node. */
void sweep_fit_check(const struct sweep_fit *f, const char *path, const yaml_node_t *node,
                     struct sf_diags *diags);
/* The fits a sweep gets when it names none: L(N) (power+const on the best eval loss), L(C)
 * (frontier) and, when the sweep has several budgets, L(N, D) (chinchilla). */
void sweep_fits_default(struct sweep_spec *spec);
/* Checks that the data source can be opened (files present, with the Debian package to install
 * when a known one is missing); problems at `where`. */
void sweep_check_data(const struct sweep_spec *spec, const char *where, struct sf_diags *diags);
/* Resolves every shape (targets to shapes by the stated rule; heads, d_ff and d_attn of explicit
 * shapes) and checks that each can exist; shapes that failed to parse are left alone. */
void sweep_check_shapes(struct sweep_spec *spec, struct sf_diags *diags);
/* Checks the Slurm settings (time and memory formats, names). */
void sweep_slurm_validate(const struct sweep_spec *spec, const char *path, yaml_document_t *doc,
                          const yaml_node_t *node, struct sf_diags *diags);

/* Reads `stages:` (a list of {name, from, data, n_ctx, train}) into spec->stages, after every
 * other section (each stage starts from the sweep's settings); problems at their places. */
void sweep_parse_stages(struct sf_yaml_reader *c, const yaml_node_t *v, struct sweep_spec *spec);
/* Appends each stage's runs to *runs (n of them so far, the main grid first): one per run of the
 * stage it continues, in their order. SF_EINVAL/SF_ENOMEM with the problem in diags. */
enum sf_status sweep_expand_stages(const struct sweep_spec *spec, struct sweep_run **runs,
                                   size_t *n, struct sf_diags *diags);

/* The absolute form of a data path of the sweep (relative to the sweep file's folder). Fresh
 * string; NULL on ENOMEM. */
char *sweep_abs_path(const struct sweep_spec *spec, const char *p);

/* True when a trainer holds the flock of OUT/runs/ID/lock (read from /proc/locks, so that the
 * check never takes the lock itself); *pid receives the holder's pid when known. */
bool sweep_run_locked(const char *run_dir, long *pid);

/* Reads the last complete line of a run's metrics.csv: its step and eval loss (NAN when empty),
 * and with sweep_metrics_tail also the seconds its training loop has run (elapsed_s). */
void sweep_metrics_last(const char *run_dir, int64_t *step, double *eval_loss);
void sweep_metrics_tail(const char *run_dir, int64_t *step, double *eval_loss, double *elapsed);

/* Numbers from a run's summary.yaml, one per key (NAN where the file, the key or a number is
 * missing, or the value is null). */
void sweep_summary_numbers(const char *run_dir, const char *const *keys, double *values, size_t n);

/* A trainer's timing marks from summary.yaml: the training-loop seconds its process started from
 * and has reached (NAN when unknown). Taken before a trainer starts and after it ends, they give
 * the seconds that process spent inside its training loop (sweep_loop_added: 0 when the marks
 * did not change, that is when the trainer never wrote its summary). */
struct sweep_loop_mark {
    double start, now;
};
struct sweep_loop_mark sweep_loop_mark_read(const char *run_dir);
double sweep_loop_added(struct sweep_loop_mark before, struct sweep_loop_mark after);

// ---- the Slurm executor's pure pieces (slurm_text.c; tested without a cluster) ----

/* Seconds of a Slurm time (sbatch --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S; also RunTime
 * values). False when `t` is none of these. 0 means no limit to Slurm. */
bool sweep_slurm_time_seconds(const char *t, int64_t *seconds);
/* Appends `s` to `b` single-quoted for a POSIX shell (nothing inside is interpreted). */
void sweep_slurm_quote(struct sf_buf *b, const char *s);
/* False when `s` holds a control character (a newline could end a comment line). */
bool sweep_slurm_text_ok(const char *s);

/* One task of a job array as `scontrol show job -o` describes it. */
struct sweep_slurm_task {
    int64_t index;       /* ArrayTaskId */
    char    job_id[32];  /* the task's own JobId ("" while it is in the unsplit pending rest) */
    char    state[32];   /* JobState: PENDING, RUNNING, COMPLETED, TIMEOUT, ... */
    char    reason[160]; /* Reason: None, BeginTime, TimeLimit, NonZeroExitCode, ... */
    int     exit_code, exit_signal; /* ExitCode=code:signal */
    int64_t restarts;               /* Restarts: times Slurm requeued the task */
    double  run_seconds;            /* RunTime */
};
/* True for Slurm's final job states (COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL,
 * PREEMPTED, BOOT_FAIL, OUT_OF_MEMORY, DEADLINE). */
bool sweep_slurm_state_terminal(const char *state);
/* True for the states in which the task's processes exist (RUNNING, COMPLETING, ...). */
bool sweep_slurm_state_running(const char *state);
/* The value of `key` in one line of `scontrol show job -o` ("" and false when absent). */
bool sweep_slurm_field(const char *line, const char *key, char *buf, size_t n);
/* Reads `scontrol show job -o` output into one record per array task (the unsplit pending rest,
 * "ArrayTaskId=3-9%2", becomes one PENDING record per index). *ours is set when a line's
 * Command is `script` (always when `script` is NULL): a job id recorded earlier may belong to
 * someone else on another cluster. *tasks is a fresh array (caller frees with free()). */
enum sf_status sweep_slurm_parse_jobs(const char *text, const char *script,
                                      struct sweep_slurm_task **tasks, size_t *n, bool *ours,
                                      struct sf_error *err);

/* The job name of a sweep's arrays: "scalefit-NAME", with characters other than letters, digits,
 * '_', '-' and '.' made '_'. */
void sweep_slurm_job_name(const char *sweep_name, char *buf, size_t n);

/* What one submission is made of. Pointers borrowed. */
struct sweep_slurm_submit {
    const struct sweep_slurm *settings;
    const char               *sweep_name;
    const char               *out_dir;     /* absolute */
    const char               *scalefit;    /* absolute */
    const char               *script_path; /* absolute: OUT/slurm/submit-N.sh */
    int64_t                   number;      /* N */
    int64_t                   throttle;    /* the array's %M */
    int64_t                   cpus_per_task;
    const char *const        *run_ids; /* task i trains run_ids[i] */
    size_t                    n_tasks;
};
/* The batch script of a submission and the sbatch command that submits it (argv[0] "sbatch",
 * NULL-terminated; free with sweep_slurm_args_free). The extra options come after the
 * executor's own. SF_EINVAL for paths that are not absolute or hold control characters. */
enum sf_status sweep_slurm_submission(const struct sweep_slurm_submit *s, char **script,
                                      char ***argv, struct sf_error *err);
void           sweep_slurm_args_free(char **argv);

/* The verdict on a run whose task has ended, from Slurm's state and the run's directory. */
enum sweep_slurm_verdict {
    SWEEP_SLURM_VERDICT_WAIT,      /* the task has not ended */
    SWEEP_SLURM_VERDICT_DONE,      /* the run is done */
    SWEEP_SLURM_VERDICT_DIVERGED,  /* the run diverged (a result) */
    SWEEP_SLURM_VERDICT_HELD,      /* a trainer seen from here still holds the run: wait for it */
    SWEEP_SLURM_VERDICT_FAILED,    /* the trainer recorded a failure */
    SWEEP_SLURM_VERDICT_ELSEWHERE, /* another trainer held the run's lock; the task did nothing */
    SWEEP_SLURM_VERDICT_CANCELLED, /* cancelled in Slurm: resumable, not resubmitted unasked */
    SWEEP_SLURM_VERDICT_RESUBMIT,  /* stopped before its end (time limit, node failure, ...) */
    SWEEP_SLURM_VERDICT_STALLED,   /* stopped by its time limit without advancing: reported */
    SWEEP_SLURM_VERDICT_EXHAUSTED, /* would be resubmitted, but max_resubmits is reached */
    SWEEP_SLURM_VERDICT_LOST,      /* failed where the trainer could not record it */
};
struct sweep_slurm_case {
    const char      *state; /* the task's JobState; NULL when Slurm no longer knows it */
    int              exit_code, exit_signal;
    enum sweep_state run_state;    /* the run's status file after the task */
    bool             locked;       /* a trainer holds the run's lock (seen from here) */
    bool             lock_refused; /* the task's log says another trainer held the lock */
    int64_t          step_before;  /* the run's step when the task was submitted */
    int64_t          step_now;     /* and now */
    int64_t          resubmits;    /* automatic resubmissions of the run so far */
    int64_t          max_resubmits;
};
enum sweep_slurm_verdict sweep_slurm_judge(const struct sweep_slurm_case *c);
const char              *sweep_slurm_verdict_name(enum sweep_slurm_verdict v);

// ---- the Slurm executor's state and steps (slurm*.c) ----
//   slurm.c          the entry points: sweep_run_slurm, sweep_slurm_script
//   slurm_records.c  Slurm's commands, OUT/slurm's record and diary, a run's status as seen here
//   slurm_submit.c   submitting job arrays
//   slurm_track.c    polling, attaching, judging the tasks that end
//   slurm_cancel.c   stopping on request
//   slurm_text.c     the pure pieces above (parsing, batch script, verdicts)

/* One submission (a job array) as recorded in OUT/slurm/jobs and submit-N.tasks, and what the
 * last poll saw of it. */
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

/* Where a run stands for this command. */
enum sweep_slurm_phase {
    SWEEP_SLURM_PHASE_TODO,   /* to be submitted */
    SWEEP_SLURM_PHASE_ACTIVE, /* its task is queued or running */
    SWEEP_SLURM_PHASE_HELD,   /* a trainer seen from here holds it (not ours): wait */
    SWEEP_SLURM_PHASE_END,    /* finished for this command (done, failed, ...) */
    SWEEP_SLURM_PHASE_WAIT,   /* a stage's run whose parent is not done yet */
};

/* What the executor knows of one run. */
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

/* The executor's state: the sweep, its runs, OUT/slurm's lock and record, each run's standing. */
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

/* Runs one of Slurm's commands (argv[0] looked up on PATH) through the common runner: stdin
 * from /dev/null, in a process group of its own (a Ctrl-C on the terminal must not kill an sbatch
 * half-way), at most two minutes. Its stdout and stderr are appended to `out` and `errb`;
 * *exit_status is its exit status, 128+N when killed by signal N. SF_EIO when it could not be
 * run or took longer than the limit. */
enum sf_status sweep_slurm_command(char *const argv[], struct sf_buf *out, struct sf_buf *errb,
                                   int *exit_status, struct sf_error *err);
/* The first line of a command's stderr, for messages (a fresh string; NULL on ENOMEM). */
char *sweep_slurm_first_line(const struct sf_buf *b);
/* The current time as 2025-01-31T12:00:00Z. */
void sweep_slurm_utc(char *buf, size_t n);
/* The run's progress for the "did it advance" test: the larger of summary.yaml's step (the
 * checkpointed step when the trainer stopped on a signal, its start step otherwise) and the last
 * metrics row. */
int64_t sweep_slurm_step(const char *run_dir);
/* Frees a submission's arrays and zeroes it. */
void sweep_slurm_sub_free(struct sweep_slurm_sub *s);
/* Reads OUT/slurm/jobs and each submission's map into *subs (fresh array). A missing file is
 * no submission at all. */
enum sf_status sweep_slurm_records_read(const char *sdir, struct sweep_slurm_sub **subs, size_t *n,
                                        struct sf_error *err);
/* Writes OUT/slurm/jobs (atomically) from the submissions. */
enum sf_status sweep_slurm_records_write(const char *sdir, const struct sweep_slurm_sub *subs,
                                         size_t n, struct sf_error *err);
/* Appends one line to OUT/slurm/events.log (best effort: it is a diary, not a state). */
void sweep_slurm_event(struct sweep_slurm_exec *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes a run's status line (the trainer could not). */
void sweep_slurm_status_write(struct sweep_slurm_exec *x, size_t i, const char *state,
                              const char *reason);
/* The status file's modification time (zero when it cannot be read). */
struct timespec sweep_slurm_status_mtime(const struct sweep_slurm_exec *x, size_t i);
/* Run i's summary.yaml timing marks (what its trainer has spent inside its loop so far). */
struct sweep_loop_mark sweep_slurm_mark(const struct sweep_slurm_exec *x, size_t i);
/* What the last poll saw of task `task` of submission s; NULL when unknown. */
const struct sweep_slurm_task *sweep_slurm_task_find(const struct sweep_slurm_sub *s, size_t task);
/* Asks Slurm about submission s. A job id Slurm does not know (purged after MinJobAge, or from
 * another cluster) or one that runs another script makes the submission `gone`; an unreachable
 * controller leaves what the last poll saw. */
void sweep_slurm_poll(struct sweep_slurm_exec *x, struct sweep_slurm_sub *s);
/* Finds the array job of a submission whose id was never recorded (the command was killed
 * between sbatch and writing the id down): the queue's job of this sweep's name whose command
 * is the submission's script. */
void sweep_slurm_recover(struct sweep_slurm_exec *x, struct sweep_slurm_sub *s);
/* Points each run at its latest submission and counts its automatic resubmissions since its
 * last fresh one. */
void sweep_slurm_assign(struct sweep_slurm_exec *x);
/* True when a run's current task belongs to submission k (index into x->subs). */
bool sweep_slurm_sub_in_use(const struct sweep_slurm_exec *x, size_t k);
/* Appends the array job ids in use ("J1, J2") to `ids`; returns how many. */
size_t sweep_slurm_jobs_in_use(const struct sweep_slurm_exec *x, struct sf_buf *ids);
/* Submits the runs waiting for it (fresh or resubmitted) under OUT/slurm/lock, after reading
 * the record again: another `scalefit run` on this sweep may have submitted them meanwhile. */
enum sf_status sweep_slurm_submit_due(struct sweep_slurm_exec *x, struct sf_error *err);
/* Polls the active submissions and judges every run whose task has ended since. */
void sweep_slurm_refresh(struct sweep_slurm_exec *x);
/* True when a poll now would find out sooner than the next scheduled one: an array was submitted
 * since the last poll, or a run's trainer has written a final status (done, diverged, failed,
 * interrupted) since its task was submitted or attached to, so that task is ending. */
bool sweep_slurm_ending(const struct sweep_slurm_exec *x);
/* Stops on a request: cancels the arrays (when asked to) and waits for their tasks to end, or
 * leaves them running. Returns SF_EINTERRUPTED with the message to show. */
enum sf_status sweep_slurm_stop(struct sweep_slurm_exec *x, struct sf_error *err);

// ---- the finish: one fit's data and request, the report (finish.c) ----

/* The runs a sweep fit used (whose rows are in its data, held out or not) and, for each run of
 * results.csv it left out, "RUN: why" (its state, or the first of the fit's exclusions that
 * removes it), with the rows of the table the fit read (fit.yaml's rows_read). Owned strings;
 * free with sweep_fit_runs_free. */
struct sweep_fit_runs {
    double target_per_token; /* the fit's target_reducible_per_sample per token (req's target) */
    size_t rows_read;
    char **used;
    size_t n_used;
    char **left_out;
    size_t n_left_out;
};
void sweep_fit_runs_free(struct sweep_fit_runs *r);

/* The data and request of one named fit, from the collected tables in OUT (results.csv, or
 * curves.csv for frontier), using the runs that are done. `data` is filled (free with
 * fit_data_free) and `req` gets the sweep's settings; where the source knows its Bayes loss the
 * control-variate columns are fitted and the Bayes loss is the request's true entropy. Returns
 * SF_EINVAL when the fit cannot be made (for example fewer runs than the law needs), with the
 * reason in err. */
enum sf_status sweep_fit_prepare(const struct sweep_spec *spec, const struct sweep_fit *fit,
                                 const char *out_dir, struct fit_data *data,
                                 struct fit_request *req, struct sweep_fit_runs *runs,
                                 struct sf_error *err);
/* The table a fit reads: "curves.csv" for a law fitted to learning curves, else "results.csv". */
const char *sweep_fit_table(const struct sweep_fit *fit);

/* One fit's outcome for the sweep report. */
struct sweep_fit_outcome {
    const struct sweep_fit  *fit;
    const struct fit_result *result; /* NULL when the fit could not be made */
    char                     error[512];
};

/* What the report needs besides the fits. */
struct sweep_report_info {
    const char        *version, *command;
    double             wall_seconds;  /* the executor's wall time */
    double             train_seconds; /* the trainers' processes, summed */
    double             post_seconds;  /* collection, fits and figures after training */
    double             loop_seconds;  /* of train_seconds, inside the training loops */
    int64_t            jobs;
    const char *const *figures;         /* OUT/figures/NAME.png names, NULL-terminated */
    const char *const *missing_figures; /* "NAME: reason", NULL-terminated */
};

/* Appends the section on the mutual information between a sample's two parts (results.csv's
 * final_mi and its bound or truth, the `log` law fitted to it) when runs measured it. */
void sweep_report_mi(struct sf_buf *b, const struct sf_csv *results,
                     const struct sweep_fit_outcome *fits, size_t n_fits);
/* Appends the section on the loss by position (OUT/positions.csv): each main run's first and
 * last position, L(t) fitted where the loss still falls with t, and the largest model against
 * the Bayes loss by position where the source knows it. Nothing when there is no table. */
void sweep_report_positions(struct sf_buf *b, const struct sweep_spec *spec, const char *out_dir);
/* Appends the section on the loss per frame (sources whose samples are frames: video): each main
 * run's positions.csv summed over each frame's positions. Nothing for other sources. */
void sweep_report_frames(struct sf_buf *b, const struct sweep_spec *spec, const char *out_dir);
/* The divergences to the truth a fit's y may name, forward KL first (each as curves.csv's
 * eval_NAME and results.csv's best_eval_NAME), and which of them y is (-1: none). */
#define SWEEP_N_DIVERGENCES 6
extern const char *const sweep_divergence_names[SWEEP_N_DIVERGENCES];
int                      sweep_divergence_of(const char *y);
/* The learning rate of a shape under the sweep's rule (train.lr). */
double sweep_lr_for(const struct sweep_spec *s, int64_t d_model, int64_t params);
/* The shape of the sweep's size rule closest to sh->target (its where kept), into *sh; false
 * with the error in diags when none is within the rule's tolerance. */
bool sweep_shape_for_target(const struct sweep_spec *s, struct sweep_shape *sh,
                            struct sf_diags *diags);
/* The resolution a fit keeps (its filter "resolution=R"), or 0. */
int64_t sweep_fit_resolution(const struct sweep_fit *f);
/* Appends the section on a sweep over several resolutions: each resolution's law of N per pixel
 * and per image, and the size its law needs for the fit's target reducible loss per image.
 * Nothing without a list of resolutions. */
void sweep_report_resolutions(struct sf_buf *b, const struct sweep_spec *spec,
                              const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                              size_t n_fits);
/* Appends the section on the divergences to the truth (results.csv's best_eval_ divergences
 * and the pure power laws fitted to each, in N and on its compute frontier): exponents and
 * their ratios to forward KL's, and each run's ratios of the divergences. Nothing when no run
 * has them. */
void sweep_report_divergences(struct sf_buf *b, const struct sf_csv *results,
                              const struct sweep_fit_outcome *fits, size_t n_fits);
/* Appends the section on a sweep over training objectives (train.objective as a list): each
 * objective's forward-KL exponents in N and C, and which objective is lowest at given compute.
 * Nothing without a list of objectives. */
void sweep_report_objectives(struct sf_buf *b, const struct sweep_spec *spec,
                             const struct sf_csv *results, const struct sf_csv *curves,
                             const struct sweep_fit_outcome *fits, size_t n_fits);
/* Appends a section for each stage of students: every teacher (a run the stage continues)
 * against every student size, the student's forward KL to the truth (or loss) and its forward
 * KL from the teacher on the eval set, beside the teacher's and the token-trained run of that
 * size. */
void sweep_report_students(struct sf_buf *b, const struct sweep_spec *spec,
                           const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                           size_t n_fits);
/* Appends the section on problems with answers (OUT/problems.csv: the math source): each main
 * run's loss per token and per problem and exact match on both splits, the laws of each split,
 * and every module and difficulty against N. Nothing when there is no table. */
void sweep_report_math(struct sf_buf *b, const struct sweep_spec *spec, const char *out_dir,
                       const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                       size_t n_fits);
/* Appends the section on classification after generative training (a stage whose runs have an
 * error rate, beside the main grid's loss, and the laws of N of both) when there is one. */
void sweep_report_classify(struct sf_buf *b, const struct sweep_spec *spec,
                           const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                           size_t n_fits);
/* Writes OUT/report.md: what ran (every run with its shape, N, tokens, FLOPs, state, losses),
 * timing (the trainers' time outside their training loops, and the run slots left empty),
 * the seed spread, each fit with its
 * intervals, the entropy / reducible-loss split with bayes_loss beside the fitted constant, the
 * exponents against theory, and the figures. */
enum sf_status sweep_report_write(const struct sweep_spec *spec, const struct sweep_run *runs,
                                  size_t n, const char *out_dir,
                                  const struct sweep_fit_outcome *fits, size_t n_fits,
                                  const struct sweep_report_info *info, struct sf_error *err);
/* Appends the report's "Exponents against theory" section where the data source's entry has a
 * theory (its predicted alpha_N and alpha_D): each fitted exponent of N, D, compute or the
 * optimal size beside its prediction, and whether its interval holds it. Nothing otherwise. */
void sweep_report_theory(struct sf_buf *b, const struct sweep_spec *spec,
                         const struct sweep_fit_outcome *fits, size_t n_fits);

/* True when `column` is one of the columns the sweep writes into `table` (results.csv or
 * curves.csv). */
bool sweep_table_has_column(const char *table, const char *column);

/* How much run's loss (curves.csv column `column`, e.g. eval_loss_cv) fell over the last
 * doubling of its tokens: the loss at its last evaluation at or below half its final tokens less
 * its final loss. NaN when the run has no such evaluation or the columns are missing. */
double sweep_curve_last_doubling_drop(const struct sf_csv *curves, const char *run,
                                      const char *column);

#endif /* SF_SWEEP_INTERNAL_H */
