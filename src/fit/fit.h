/*
 * fit.h — the public interface of scalefit's fitter (prefix fit_): scaling laws
 * (power, power+const, chinchilla, kaplan-nd, frontier, frontier-power, log, kaplan-ns,
 * kaplan-ns+const, broken1, broken2, data-constrained), loading a loss table
 * into fit data, the global search by variable projection and the polish on the true objective
 * (GSL's gsl_multifit_nlinear), standard errors and bootstrap intervals, the entropy/KL split,
 * forecasts, and the fit.yaml / report.md writers (DESIGN.md's schema).
 *
 * It does not draw figures (src/plot does, from tables the caller writes with
 * fit_result_curve()), and it does not parse command lines (src/cli/fit.c does).
 */
#ifndef SF_FIT_H
#define SF_FIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

// ---- laws and settings ----

enum fit_law_kind {
    FIT_LAW_POWER,           /* L = (x0/x)^alpha */
    FIT_LAW_POWER_CONST,     /* L = L_inf + (x0/x)^alpha */
    FIT_LAW_CHINCHILLA,      /* L = E + A/N^alpha + B/D^beta */
    FIT_LAW_KAPLAN_ND,       /* L = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D */
    FIT_LAW_FRONTIER,        /* power+const on the compute frontier, and N_opt = (C/C_n)^beta_opt */
    FIT_LAW_FRONTIER_POWER,  /* a pure power on the compute frontier (a quantity that vanishes,
                                such as the measured KL), and N_opt as for frontier */
    FIT_LAW_LOG,             /* L = lambda ln(x/N_c): a quantity that grows as the log of x (the
                                mutual information between image and caption, Henighan) */
    FIT_LAW_KAPLAN_NS,       /* L = (N_c/N)^alpha_N + (S_c/S)^alpha_S: learning curves (Kaplan) */
    FIT_LAW_KAPLAN_NS_CONST, /* the same plus a constant E */
    FIT_LAW_BROKEN1,         /* a broken power law with one break (Caballero et al.) */
    FIT_LAW_BROKEN2,         /* and with two */
    FIT_LAW_DATACON,         /* L(N, D, U) with repeated data (Muennighoff et al.) */
    FIT_LAW_COUNT
};

/* The most parameters any law has (broken2 reports nine). */
#define FIT_MAX_PARAMS 9

enum fit_space { FIT_SPACE_LOG, FIT_SPACE_LINEAR };
enum fit_loss { FIT_LOSS_SQUARES, FIT_LOSS_HUBER };
/* The names `scalefit fit`, sweep files and fit.yaml give a residual space ("log", "linear") and
 * a loss ("squares", "huber"); static strings. */
const char *fit_space_name(enum fit_space space);
const char *fit_loss_name(enum fit_loss loss);

/* Looks a law up by its command-line name ("power+const"); false when unknown. */
bool fit_law_from_name(const char *name, enum fit_law_kind *kind);
/* The law's name, formula, number of reported parameters, and parameter names. */
const char *fit_law_name(enum fit_law_kind kind);
const char *fit_law_formula(enum fit_law_kind kind);
size_t      fit_law_n_params(enum fit_law_kind kind);
const char *fit_law_param_name(enum fit_law_kind kind, size_t j);
/* Number of input variables (1 or 2; frontier: 1, compute). */
size_t fit_law_n_vars(enum fit_law_kind kind);
/* The option naming the column of variable k (< n_vars): "--x", "--n", "--d", "--step", "--c". */
const char *fit_law_var_option(enum fit_law_kind kind, size_t k);
/* The option naming a third column the law reads ("--u"), or NULL. */
const char *fit_law_aux_option(enum fit_law_kind kind);
/* True when the law has an irreducible constant (L_inf or E). */
bool fit_law_has_constant(enum fit_law_kind kind);
/* What a reported parameter is the exponent of, for comparing it with a prediction. */
enum fit_exponent {
    FIT_EXPONENT_NONE,    /* not an exponent */
    FIT_EXPONENT_X1,      /* of the first variable (x, or N of the joint laws) */
    FIT_EXPONENT_X2,      /* of the second variable (D of the joint laws) */
    FIT_EXPONENT_COMPUTE, /* of compute on the frontier (alpha_C) */
    FIT_EXPONENT_NOPT,    /* of the optimal size in compute (beta_opt) */
};
enum fit_exponent fit_law_param_exponent(enum fit_law_kind kind, size_t j);
/* The loss a law is fitted with when none is asked for (chinchilla: Huber, with Hoffmann's
 * delta; the others: squares). */
enum fit_loss fit_law_default_loss(enum fit_law_kind kind);
/* Names of all laws in the table's order, NULL-terminated (options, help, messages). */
const char *const *fit_law_names(void);
/* True when --compute gives compute-optimal allocations (chinchilla). */
bool fit_law_has_allocation(enum fit_law_kind kind);
/* True when the law is fitted to learning curves (--run, --c) on their compute frontier. */
bool fit_law_fits_curves(enum fit_law_kind kind);
/* The constant's name in figure labels ("L_∞", "E"); NULL for laws without one. */
const char *fit_law_constant_label(enum fit_law_kind kind);
/* The formula as a figure label with the fitted values left out: "$k" stands for value k of
 * fit_result_label_values() and "$x" for the variable's symbol ("L = $0 + ($1/$x)^{$2}"). */
const char *fit_law_label(enum fit_law_kind kind);
/* The compute-optimal allocation (fit_result_optimal_nd) as a figure key, "$k" standing for
 * the derived value k (fit_result's derived[k]); NULL for laws without one. */
const char *fit_law_optimal_label(enum fit_law_kind kind);
/* Laws that fit curves: the optimal-size law N_opt(C) as a figure label, "$k" as in
 * fit_law_label ("N_{opt} = (C/$3)^{$4}"); NULL for other laws. */
const char *fit_law_nopt_label(enum fit_law_kind kind);

/* Tuning constants: tolerances, grids, iteration limits and defaults. Every report records the
 * values used. Obtain with fit_default_parameters() and change fields as needed. */
struct fit_parameters {
    double exp_min, exp_max, exp_step; /* exponent grid of the global search */
    double exp_min_signed;             /* `power` searches [exp_min_signed, exp_max] */
    double exp_polish_max;             /* an exponent the polish drives above this makes its
                                          term vanish but at the smallest point: bound */
    double kaplan_exp_min, kaplan_exp_max, kaplan_exp_step; /* alpha_N, alpha_D grid */
    size_t refine_cells;                                    /* best cells refined on a finer grid */
    size_t refine_divisions;       /* the fine grid's step is exp_step / this */
    size_t polish_starts;          /* distinct candidates polished on the true objective */
    size_t max_iter;               /* iteration limit of one polish */
    size_t huber_switch_iter;      /* trust-region iterations before a Huber fit switches
                                      to Newton steps on its inlier/outlier partition */
    size_t max_restarts;           /* restarts of a polish that stops short */
    double xtol, gtol, ftol;       /* gsl_multifit_nlinear_test tolerances */
    double stationary_tol;         /* gradient norm (relative) accepted as stationary */
    double residual_floor;         /* residual norm treated as an exact fit */
    double rank_tol;               /* relative singular value below which the Jacobian
                                      counts as singular (parameters not determined) */
    double bound_log_drop;         /* a coefficient below exp(-this)·min(L) is at its bound */
    double fd_step;                /* relative step of finite differences (delta method) */
    double huber_delta;            /* default delta when --loss huber has no --delta */
    double huber_delta_chinchilla; /* Hoffmann's delta, the chinchilla default */
    double level;                  /* interval level */
    size_t bootstrap;              /* replicates */
    double bootstrap_max_lost;     /* share of failed or bound replicates above which
                                      intervals come from the covariance instead */
    uint64_t seed;                 /* bootstrap seed */
    double   frontier_points_per_decade; /* compute grid of the frontier */
    double   frontier_corner_gap;        /* a run's point closer than this (in ln C) to a grid
                                            point is that grid point's, not a corner of its own */
    double hull_collinear_tol;           /* relative cross product below which hull points
                                            count as collinear (and are dropped) */
    size_t frontier_smooth_points;       /* the bootstrap's smoother of a learning curve: the
                                            points of each local polynomial (fit.c) */
    size_t frontier_smooth_degree;       /* and its degree (at most 3) */
    double curve_points;                 /* points of a fitted curve table for figures */
    double span_warn;                    /* warn when x spans less than this factor */
    double inseparable_corr;             /* warn when two exponents correlate more than this */
};

struct fit_parameters fit_default_parameters(void);

/* A reported parameter held at a value instead of fitted (--fix NAME=VALUE). */
struct fit_fix {
    size_t param; /* index among the law's reported parameters */
    double value; /* in the parameter's own units */
};
/* Reads NAME=VALUE for `law` into `fix`. SF_EINVAL with the reason (an unknown name, with the
 * law's parameters; not a number; not positive where the parameter must be) and `option` as
 * the place. */
enum sf_status fit_fix_parse(const char *text, enum fit_law_kind law, const char *option,
                             struct fit_fix *fix, struct sf_error *err);

// ---- data ----

/* One fit's data: the points it uses and the points it holds out. x2 is NULL for
 * one-variable laws. For `frontier`, x1 is compute, `run` names each point's learning curve
 * and `size` its model size (NAN when the table has no size column). */
struct fit_data {
    size_t  n;         /* number of points (fitted and held out) */
    double *x1, *x2;   /* (n) x or N (or C); D */
    double *x3;        /* (n) a law's third column (U, --u), else NULL */
    double *y;         /* (n) loss in nats per token */
    double *w;         /* (n) weights (1 when none given) */
    size_t *line;      /* (n) physical CSV line of each point */
    bool   *held_out;  /* (n) true for held-out points */
    size_t *run;       /* (n) frontier: index of the point's run in run_names; else NULL */
    double *size;      /* (n) frontier: the run's model size; else NULL */
    char  **run_names; /* (n_runs) owned strings */
    size_t  n_runs;
    size_t  runs_read; /* --shape: the runs read, whose seeds were averaged into n_runs shapes
                          (0: no --shape) */
    char *x1_name, *x2_name, *x3_name, *y_name; /* column names (owned) */
};

void fit_data_free(struct fit_data *d);
/* Number of points used by the fit (not held out). */
size_t fit_data_n_fit(const struct fit_data *d);

/* A row filter: COL=VALUE (string equality), COL>=V, COL>V, COL<=V, COL<V (numeric). */
enum fit_filter_op {
    FIT_FILTER_OP_EQ_STR,
    FIT_FILTER_OP_GE,
    FIT_FILTER_OP_GT,
    FIT_FILTER_OP_LE,
    FIT_FILTER_OP_LT,
};

struct fit_filter {
    char              *column; /* owned */
    enum fit_filter_op op;
    char              *text;   /* owned: the value as written */
    double             value;  /* numeric ops */
    char              *option; /* owned: the option it came from, for messages ("--min") */
};

/* How a filter's text is read (src/fit/filter.c). */
enum fit_filter_form {
    FIT_FILTER_FORM_EQUALS,   /* COL=VALUE: string equality (--where) */
    FIT_FILTER_FORM_AT_LEAST, /* COL=V with a number V: keeps COL >= V (--min) */
    FIT_FILTER_FORM_AT_MOST,  /* COL=V with a number V: keeps COL <= V (--max) */
    FIT_FILTER_FORM_COMPARE,  /* COL>=V, COL>V, COL<=V or COL<V (--holdout-where) */
    FIT_FILTER_FORM_ANY,      /* COL=VALUE or a comparison, by its operator (a sweep's where) */
};

/* Parses `text` in the given form. `option` names the option for messages. Returns false with
 * `err` set (its place is the option; nothing printed). On success the caller frees `f` with
 * fit_filter_free. */
bool fit_filter_parse(const char *text, enum fit_filter_form form, const char *option,
                      struct fit_filter *f, struct sf_error *err);
void fit_filter_free(struct fit_filter *f);

/* A growable list of filters (zero-initialise; free with fit_filters_free). Each adder appends
 * one filter or returns false with `err` set: parsed from `text` as fit_filter_parse does, or
 * built in code (no text parsed): COL equal to the string `value`, or COL OP `value`
 * (numeric). Strings borrowed (copied into the filter); false when out of memory. */
struct fit_filters {
    struct fit_filter *v; /* (n) owned */
    size_t             n, cap;
};

bool fit_filters_parse(struct fit_filters *fs, const char *text, enum fit_filter_form form,
                       const char *option, struct sf_error *err);
bool fit_filters_equals(struct fit_filters *fs, const char *column, const char *value,
                        const char *option, struct sf_error *err);
bool fit_filters_compare(struct fit_filters *fs, const char *column, enum fit_filter_op op,
                         double value, const char *option, struct sf_error *err);
void fit_filters_free(struct fit_filters *fs);

/* What to read from a table. Column names are borrowed. */
struct fit_columns {
    const char *x, *n, *d; /* --x for one-variable laws; --n --d for two-variable laws */
    const char *step;      /* --step: the training step of learning-curve laws (with --n) */
    const char *u;         /* --u: the unique tokens of data-constrained (with --n, --d) */
    const char *y;         /* default "loss" */
    const char *weight;    /* NULL: unit weights */
    const char *run, *c;   /* frontier: --run and --c (and --n for sizes, optional) */
    const char *shape;     /* frontier: --shape, runs sharing it are seeds of one shape */
    bool        y_in_bits; /* --y-unit bits: loss is converted to nats */
};

/* Row selection. Rows must pass every `where` column (OR among values of one column) and every
 * min/max bound. Held-out rows pass the selection and then either match `holdout` (any of it)
 * or are among the `holdout_k` largest in x (ties by row order). All arrays borrowed. */
struct fit_selection {
    const struct fit_filter *where;
    size_t                   n_where;
    const struct fit_filter *bounds;
    size_t                   n_bounds; /* --min is GE, --max is LE */
    const struct fit_filter *holdout;
    size_t                   n_holdout;
    size_t                   holdout_k;
    const char              *group_column; /* --by: NULL for one group */
};

/* Groups of rows (one per distinct value of --by, in order of first appearance). */
struct fit_groups {
    size_t   n;
    char   **names;  /* (n) owned; "all" when there is no --by */
    size_t  *n_rows; /* (n) */
    size_t **rows;   /* (n) owned arrays of CSV row indices */
};

void fit_groups_free(struct fit_groups *g);

/* Applies the selection's where and bound filters and splits the rows into groups. Every
 * problem (a missing column, a bound on a non-number) is SF_EINVAL with its place. On SF_OK the
 * caller frees `groups` with fit_groups_free; on failure it is left empty. */
enum sf_status fit_select_rows(const struct sf_csv *csv, const struct fit_selection *sel,
                               struct fit_groups *groups, struct sf_error *err);
/* Whether row `row` of `csv` passes filter `f` (*match). SF_EINVAL with its place when the
 * column is missing or the field is not a number where the filter compares numbers. */
enum sf_status fit_filter_row(const struct sf_csv *csv, const struct fit_filter *f, size_t row,
                              bool *match, struct sf_error *err);

/* Builds the data of `law` from the given rows of `csv`: converts the columns, checks every
 * value (a non-number, NaN or inf, a non-positive value where a log is taken: SF_EINVAL at
 * LINE:COL naming the column), marks held-out rows and checks there are at least
 * (parameters + 1) points to fit. `d` is freed by the caller with fit_data_free. */
enum sf_status fit_data_build(const struct sf_csv *csv, const size_t *rows, size_t n_rows,
                              enum fit_law_kind law, const struct fit_columns *cols,
                              const struct fit_selection *sel, struct fit_data *d,
                              struct sf_error *err);

// ---- requests and results ----

/* A forecast point: values of the law's variables by column name ("params=7e10,tokens=1.4e12"). */
struct fit_point_request {
    char  *text;   /* owned: as written */
    double x1, x2; /* resolved against the law's variables */
    double x3;     /* a law's third column (U of data-constrained); 0: not given */
};

/* Resolves a forecast point as written ("COL=V[,COL=V]", every V positive) against the
 * variables of `law` (the columns in `cols`) into `pr` (pr->text a copy: the caller frees it).
 * `option` names where it was given, for messages ("--predict"). SF_EINVAL with `err` when a
 * name is not a variable of the law, a value is not a positive number or a variable is missing. */
enum sf_status fit_point_parse(const char *text, enum fit_law_kind law,
                               const struct fit_columns *cols, const char *option,
                               struct fit_point_request *pr, struct sf_error *err);

/* Everything one fit needs besides the data. */
struct fit_request {
    enum fit_law_kind               law;
    enum fit_space                  space;
    enum fit_loss                   loss;
    double                          delta; /* Huber delta (used when loss is huber) */
    struct fit_parameters           params;
    const struct fit_point_request *predict;
    size_t                          n_predict;
    const double                   *target_reducible;
    size_t                          n_target;
    const double                   *compute;
    size_t                          n_compute;    /* chinchilla allocations */
    double                          true_entropy; /* NAN when unknown */
    bool frontier_hull;        /* frontier: fit L(C) and N_opt to the hull vertices only (false,
                                  the default: to every frontier point before its flat tail) */
    double tokens_per_sample;  /* 0 when not given */
    size_t rollout_first;      /* 0: no rollout; else the sizes the rollout's first split fits
                                  (fit_rollout_run) */
    const struct fit_fix *fix; /* (n_fix) reported parameters held at given values (--fix) */
    size_t                n_fix;
};

/* Fills a request with the defaults for `law` (chinchilla: Huber with Hoffmann's delta;
 * others: squares), log space, and fit_default_parameters(). */
void fit_request_init(struct fit_request *req, enum fit_law_kind law);

/* How one stage of the fit went (the grid search, each polish). */
struct fit_stage {
    char   name[16];   /* "grid", "refine", "polish" */
    size_t points;     /* grid: cells evaluated */
    size_t start;      /* polish: candidate index (1-based) */
    int    gsl_status; /* polish: GSL's status */
    char   status[64]; /* polish: "success", gsl_strerror(), "maxiter", ... */
    int    info;       /* polish: GSL's convergence reason */
    size_t iterations; /* polish: iterations (all restarts) */
    size_t nevalf;     /* polish: function evaluations */
    double objective;  /* best objective after the stage */
    bool   converged;
};

/* An estimate with its interval. */
struct fit_estimate {
    double estimate, se; /* se: NAN when not available */
    double lo, hi;       /* interval at the request's level */
};

/* One reported parameter. */
struct fit_param {
    const char         *name;
    struct fit_estimate value;
    bool                at_bound; /* a coefficient held at 0 */
    bool                fixed;    /* held at a given value (--fix): no error, no interval */
    const char         *unit;
};

/* Per-point output. */
struct fit_point_out {
    double predicted;
    double lo, hi;       /* interval of the prediction */
    double residual_log; /* ln(predicted) - ln(y) */
    double rel_error;    /* (predicted - y) / y */
    double reducible;    /* y - constant (laws with a constant); NAN otherwise */
};

/* The compute frontier, its hull and the optimal-size fit (laws that fit curves only). The
 * frontier is the running minimum over compute: at each C, the lowest loss any run reached at
 * compute <= C, so it never rises; past a curve's end it keeps that curve's last loss and owner
 * until another run goes lower. Its points are the log-spaced compute grid and the runs' own
 * points where it falls (for historical reasons the arrays and fit.yaml call it the envelope).
 * Points from n_front on are its flat tail (the lowest loss of all, repeated): neither the fit
 * nor the hull uses them. */
struct fit_frontier {
    size_t  n_env;
    double *env_c, *env_l; /* (n_env) frontier points, compute increasing, loss non-increasing */
    size_t *env_run;       /* (n_env) owner run index into data->run_names */
    size_t  n_front;       /* points before the flat tail: the fit's range */
    size_t  n_hull;
    size_t *hull;           /* (n_hull) indices into the frontier arrays (all < n_front) */
    double  nopt_objective; /* least-squares objective of the optimal-size fit (log space) */
    size_t  nopt_points;    /* hull vertices used (with a known size) */
    bool    nopt_fitted;
};

/* Statistics of the bootstrap. */
struct fit_bootstrap_info {
    size_t   replicates, failed, degenerate, used;
    uint64_t seed;
};

/* Rolling-origin extrapolation (fit_rollout_run): each split's fit and each prediction. */
struct fit_rollout_split {
    size_t fitted_sizes;       /* the split fits the rows of this many smallest sizes */
    double fitted_max;         /* the largest of them */
    double predicted_size;     /* and predicts the rows of this one */
    size_t n_fit, n_predicted; /* rows */
    bool   converged;
    double rmse_log; /* RMSE of its predictions' log residuals */
};
struct fit_rollout_point {
    size_t split, line;          /* the split (index) and the row's line in the table */
    double x1, x2;               /* x (or N) and D (NAN for one-variable laws) */
    double x3;                   /* a law's third column (U); NAN without one */
    double y, predicted, lo, hi; /* the loss, its prediction and the prediction's interval */
    double residual_log;         /* ln(predicted) - ln(y) */
    bool   inside;               /* lo <= y <= hi */
};
struct fit_rollout {
    size_t                    first; /* sizes fitted by the first split */
    size_t                    n_splits, n_points;
    struct fit_rollout_split *splits;   /* (n_splits) owned */
    struct fit_rollout_point *points;   /* (n_points) owned */
    double                    rmse_log; /* over all predictions */
    size_t                    covered;  /* predictions whose interval holds the loss */
};

/* Runs the rollout of `req` (req->rollout_first sizes in the first split) on the rows of `d`
 * not held out: every split is a fit of its own with req's settings (its bootstrap gives the
 * predictions' intervals). SF_EINVAL for a law fitted to curves or too few sizes (fewer than
 * rollout_first + 1), or when a split's fit fails (its message says which). *out is freed with
 * fit_rollout_free. */
enum sf_status fit_rollout_run(const struct fit_data *d, const struct fit_request *req,
                               struct fit_rollout **out, struct sf_error *err);
void           fit_rollout_free(struct fit_rollout *ro);

/* A finished fit. Allocated by fit_run(), freed with fit_result_free(). */
struct fit_result {
    enum fit_law_kind         law;
    struct fit_request        req;   /* a copy; its pointer fields are not owned */
    const struct fit_data    *data;  /* borrowed: valid while the caller keeps it */
    size_t                    n_fit; /* points fitted */
    size_t                    p;     /* reported parameters */
    struct fit_param          param[FIT_MAX_PARAMS];
    double                    objective, gradient_norm;
    bool                      converged;
    char                      status[64]; /* the winning polish's status ("success", ...) */
    struct fit_stage         *stages;     /* (n_stages) owned */
    size_t                    n_stages;
    struct fit_bootstrap_info boot;
    bool                      intervals_bootstrap; /* intervals are bootstrap percentiles (else from
                                                      the covariance, with Student's t) */
    char                  cov_method[160];
    double                r2_log, rmse_log, aic, bic;
    double                heldout_rmse_log; /* NAN without held-out points */
    struct fit_point_out *points;           /* (data->n) owned */
    struct fit_estimate   entropy;          /* laws with a constant: L_inf or E */
    struct fit_estimate  *forecasts;        /* (req.n_predict) */
    struct fit_estimate  *targets;          /* (req.n_target) size or compute at the reducible loss;
                                               two variables: (3 req.n_target) the compute, N and D
                                               of the compute-optimal point that reaches it */
    struct fit_estimate *alloc;      /* (3 * req.n_compute): N_opt, D_opt, tokens per param */
    struct fit_estimate  derived[3]; /* chinchilla: a_opt, b_opt, G */
    struct fit_frontier  frontier;
    char               **warnings; /* (n_warnings) owned */
    size_t               n_warnings;
    struct fit_rollout  *rollout; /* req.rollout_first > 0: the rollout of the same rows */
    /* Internal state used to evaluate curves and bands (opaque to callers). */
    struct fit_state *state;
};

/* Fits `data` as `req` asks: search, polish, covariance, bootstrap (in parallel with OpenMP
 * when built with it; identical results for any thread count), diagnostics, forecasts.
 * Returns NULL and sets `err` on failure (SF_EINVAL for unusable data, SF_ENOMEM, ...). A fit
 * that does not converge is still returned, with converged false and a warning. `log` may be
 * NULL. `data` is borrowed and must outlive the result. */
struct fit_result *fit_run(const struct fit_data *data, const struct fit_request *req,
                           const struct sf_logger *log, struct sf_error *err);
void               fit_result_free(struct fit_result *r);

/* The fitted curve and its band at `n` values of x (or N at fixed D = x2; for frontier, C):
 * loss, lower and upper bound at the request's level. `x2` is ignored by one-variable laws.
 * Arrays (n) are caller-owned. */
void fit_result_curve(const struct fit_result *r, const double *x, double x2, size_t n,
                      double *loss, double *lo, double *hi);
/* The reducible part L - L_inf (or L - E) of the fitted law and its own band (each bootstrap
 * replicate's curve less its own constant), at n values as fit_result_curve; NAN for laws
 * without a constant. Arrays (n) caller-owned. */
void fit_result_reducible_curve(const struct fit_result *r, const double *x, double x2, size_t n,
                                double *red, double *lo, double *hi);
/* The values of the law's figure label (fit_law_label) at the point estimate, into v
 * (capacity FIT_MAX_PARAMS); returns how many. */
size_t fit_result_label_values(const struct fit_result *r, double *v);
/* The compute-optimal allocation at compute c from the point estimate, with D = C/(6N):
 * chinchilla's N_opt = G (C/6)^a_opt (Hoffmann 2022, Approach 3), kaplan-nd's minimum over N
 * of L(N, C/(6N)). False (n, d untouched) when the law has none. */
bool fit_result_optimal_nd(const struct fit_result *r, double c, double *n, double *d);
/* The optimal-size law N_opt(C) and its band at n values of C (frontier only). */
void fit_result_nopt_curve(const struct fit_result *r, const double *c, size_t n, double *nopt,
                           double *lo, double *hi);

// ---- reports ----

/* Provenance written into fit.yaml. Strings borrowed. */
struct fit_provenance {
    const char        *version, *command;
    const char        *input_path, *input_sha256;
    size_t             rows_read, rows_used;
    const char *const *filters;
    size_t             n_filters;
    const char        *holdout; /* as written, or NULL */
    const char        *weights; /* column name or NULL */
    const char        *group;   /* --by value, or NULL */
    /* A sweep's fit: the runs whose rows it used, and "RUN: why" for each run it left out.
     * runs NULL: not a sweep's fit, neither list written; a sweep's fit always passes a list
     * (maybe empty), and left_out may be NULL when n_left_out is 0. */
    const char *const *runs;
    size_t             n_runs;
    const char *const *left_out;
    size_t             n_left_out;
};

/* fit.yaml's text (DESIGN.md's schema) in a fresh string (caller frees). */
enum sf_status fit_yaml_text(const struct fit_result *r, const struct fit_provenance *prov,
                             char **text, struct sf_error *err);
/* Writes fit.yaml (DESIGN.md's schema) into `dir` atomically. */
enum sf_status fit_write_yaml(const struct fit_result *r, const struct fit_provenance *prov,
                              const char *dir, struct sf_error *err);
/* Writes report.md for a person into `dir` atomically. `figures` lists figure base names
 * (without extension) that exist under dir/figures/ (NULL-terminated; may be NULL), and
 * `missing_figures` those that could not be drawn with the reason. */
enum sf_status fit_write_report(const struct fit_result *r, const struct fit_provenance *prov,
                                const char *const *figures, const char *const *missing_figures,
                                const char *dir, struct sf_error *err);
/* Appends the short stdout summary of a fit to `b`. */
void fit_summary(const struct fit_result *r, const char *label, struct sf_buf *b);

/* One entry of a comparison of several fits of the same rows (or groups side by side). */
struct fit_comparison_entry {
    const char              *group; /* NULL without --by */
    const char              *dir;   /* relative folder of the fit */
    const struct fit_result *result;
};

/* What a ranking of fits goes by: the held-out RMSE of the log loss, the rollout's RMSE of
 * its predictions (--rollout), or AIC. */
enum fit_rank_by { FIT_RANK_HELDOUT, FIT_RANK_ROLLOUT, FIT_RANK_AIC };
/* Its name in comparison.yaml ("heldout_rmse_log", "rollout_rmse_log", "aic") and in text. */
const char *fit_rank_by_key(enum fit_rank_by by);
const char *fit_rank_by_text(enum fit_rank_by by);
/* Ranks fits of several laws within each group (entries with the same group): converged fits
 * first, then by the first of held-out RMSE, rollout RMSE and AIC that every fit of the group
 * has (by[i]); ties by AIC, then BIC, then order. rank[i] is 1 for the best. */
void fit_comparison_rank(const struct fit_comparison_entry *e, size_t n, size_t *rank,
                         enum fit_rank_by *by);

/* Kaplan et al.'s early-stopping step S_stop(N, D) = S_c / [L(N, D) - L(N, inf)]^(1/alpha_S)
 * (early_stop.c), from a kaplan-nd fit and a kaplan-ns (or kaplan-ns+const) fit of the same
 * runs: fit_early_stop_pair says whether (a, b) are such fits; fit_early_stop writes, for each
 * model size of the L(N, D) fit (increasing) with the most tokens its rows of that size saw,
 * the step (NAN where L(N, D) is not above its limit), at most cap of them, and returns how
 * many. Point estimates of both fits. */
struct fit_early_stop {
    double n, d, steps;
};
bool   fit_early_stop_pair(const struct fit_result *a, const struct fit_result *b);
size_t fit_early_stop(const struct fit_result *nd, const struct fit_result *ns,
                      struct fit_early_stop *out, size_t cap);

/* Writes comparison.yaml and report.md into `dir` comparing the fits (objective, AIC, BIC,
 * held-out error, parameters side by side, and each fit's rank in its group). */
enum sf_status fit_write_comparison(const struct fit_comparison_entry *e, size_t n,
                                    const struct fit_provenance *prov, const char *dir,
                                    struct sf_error *err);

#endif /* SF_FIT_H */
