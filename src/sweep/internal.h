/*
 * internal.h — private to src/sweep and its tests: the checks that the sweep file's parser
 * calls once it has every key (fits, shapes, data, Slurm settings), and the small helpers the
 * executors share.
 */
#ifndef SF_SWEEP_INTERNAL_H
#define SF_SWEEP_INTERNAL_H

#include "sweep.h"

/* A fit with the defaults of its law (columns, no exclusions). */
void sweep_fit_defaults(struct sweep_fit *f, enum fit_law_kind law);
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

/* The absolute form of a data path of the sweep (relative to the sweep file's folder). Fresh
 * string; NULL on ENOMEM. */
char *sweep_abs_path(const struct sweep_spec *spec, const char *p);

/* True when a trainer holds the flock of OUT/runs/ID/lock (read from /proc/locks, so that the
 * check never takes the lock itself); *pid receives the holder's pid when known. */
bool sweep_run_locked(const char *run_dir, long *pid);

/* Reads the last complete line of a run's metrics.csv: its step and eval loss (NAN when empty). */
void sweep_metrics_last(const char *run_dir, int64_t *step, double *eval_loss);

#endif /* SF_SWEEP_INTERNAL_H */
