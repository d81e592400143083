/*
 * internal.h — private to src/fit and its tests: the law entry (struct fit_law_desc, one per
 * law in law_*.c, listed by the table in law.c) with the laws' internal parameterisation and
 * derivatives, the residual/objective machinery, the non-negative linear solve, the grid search,
 * the polish on GSL and the per-thread workspace. Nothing outside src/fit includes it.
 *
 * Internal parameters ("theta") are logs of the positive coefficients plus the exponents, so
 * that ln L-hat is a log-sum-exp computed stably (STYLE.md §20):
 *   power        theta = (a, alpha)               ln L = a - alpha ln x
 *   power+const  theta = (e, a, alpha)            ln L = LSE(e, a - alpha ln x)
 *   chinchilla   theta = (e, a, alpha, b, beta)   ln L = LSE(e, a - alpha ln N, b - beta ln D)
 *   kaplan-nd    theta = (c1, alpha_N, c2, alpha_D)
 *                ln L = alpha_D LSE((alpha_N/alpha_D)(c1 - ln N), c2 - ln D)
 * with c1 = ln N_c, c2 = ln D_c. A coefficient held at its bound (0) is "inactive": its term is
 * left out of the sum and its theta entry is not optimised.
 */
#ifndef SF_FIT_INTERNAL_H
#define SF_FIT_INTERNAL_H

#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_rng.h>

#include "fit.h"

#define FIT_MAX_THETA 9

struct fit_problem;
struct fit_candidate;
struct fit_state;
struct fit_workspace;

/* One reported parameter of a law. */
struct fit_law_param {
    const char       *name;
    const char       *unit;        /* "x": the unit is the x column's name */
    bool              positive;    /* positive by construction: intervals on the log scale */
    int               bound_theta; /* theta entry whose bound status it follows (-1: never bound) */
    bool              term_exponent; /* an exponent: not determined when its term is held at 0 */
    enum fit_exponent exponent_of;   /* what it is the exponent of (FIT_EXPONENT_NONE: none) */
};

/* The columns of one search cell at exponents (e1, e2), as the linear solve and the scoring
 * need them: u = x1^-e1 (or N^-(e1/e2) for FIT_COLS_ROOT), v = D^-e2 (or 1/D), and for
 * FIT_COLS_ROOT q = y^(-1/e2). */
struct fit_cell_cols {
    const double *u, *v, *q;
};

/* How the search builds a cell's columns. */
enum fit_search_cols {
    FIT_COLS_POWERS, /* u = x1^-e1 and v = x2^-e2: the law is linear in its coefficients */
    FIT_COLS_ROOT,   /* L^(1/e2) is linear in N^-(e1/e2) and 1/D (kaplan-nd); e1, e2 > 0 */
    FIT_COLS_LOG,    /* u = ln x1 - e1 (log: L = lambda (ln x - ln N_c)); a cell where some
                        u <= 0 is skipped */
};

/* A polish result that leaves the law with no reducible term (fit_law_form.flat_term). */
#define FIT_TERM_INVALID (-2)

/* True when an exponent left the range of a scaling term (polish.c explains). */
static inline bool fit_exponent_out(double e, const struct fit_parameters *prm) {
    return e <= prm->exp_min || e > prm->exp_polish_max;
}

/* A law's function: ln L-hat with its gradient, the search's columns, the polish's tests and
 * the inverse for targets. The frontier's L(C) has power+const's. */
struct fit_law_form {
    /* ln L-hat at one point and, when grad != NULL, its gradient in theta (inactive 0). lx3 is
     * the log of a law's third column (the unique tokens U of data-constrained), INFINITY when
     * the row has none (unlimited), and ignored by the other laws. */
    double (*lnpred)(const double *theta, const bool *active, double lx1, double lx2, double lx3,
                     double *grad);
    /* theta to the law's own parameters in natural units (an inactive coefficient is 0). */
    void (*natural)(const double *theta, const bool *active, double *natural);

    /* The search by variable projection: n_coef non-negative coefficients for n_exp exponents
     * on the grid (lo, hi, step) over theta entries exp_theta. */
    size_t               n_coef, n_exp;
    size_t               exp_theta[2];
    enum fit_search_cols cols;
    void (*grid)(const struct fit_parameters *prm, double *lo, double *hi, double *step);
    /* The search grid in one line, for fit.yaml. */
    void (*grid_text)(const struct fit_parameters *prm, char *buf, size_t n);
    /* Row i of the linear solve: the columns (n_coef) scaled by the row scale sc, and the
     * target t (already the row's; a law may replace it). */
    void (*cell_row)(const struct fit_problem *pb, size_t i, double sc, double e2,
                     const struct fit_cell_cols *cc, double *col, double *t);
    /* The linear prediction at point i from the coefficients. */
    double (*cell_pred)(const double *coef, const struct fit_cell_cols *cc, size_t i);
    /* The candidate's theta and active set from the coefficients; false: not this law. */
    bool (*cell_theta)(const double *coef, double e1, double e2, struct fit_candidate *c);

    /* The polish: a coefficient whose term went flat (its theta index), FIT_TERM_INVALID when
     * the law's only reducible term did, or -1. NULL: no such test. */
    int (*flat_term)(const double *theta, const bool *active, const struct fit_parameters *prm);

    /* The variable at which the reducible loss equals `reducible`; NULL: no targets. */
    double (*target)(const double *natural, double reducible);

    /* A search of the law's own in place of the grid above (the broken power laws): fills
     * ws->cells sorted best first, as fit_search does. NULL: the grid above. */
    enum sf_status (*search)(const struct fit_problem *pb, const struct fit_parameters *prm,
                             struct fit_workspace *ws, size_t *n_evaluated, struct sf_error *err);
};

/* A law: everything the fitter, the reports and the callers know of it, in one entry of the
 * table in law.c. Each law's entry and functions live in its own file (law_<name>.c); adding a
 * law is adding such a file, its line in the table, its name below and its kind in fit.h. */
struct fit_law_desc {
    const char          *name;
    const char          *formula;
    size_t               n_theta;  /* internal parameters */
    size_t               n_vars;   /* 1 or 2 */
    size_t               n_report; /* reported parameters */
    struct fit_law_param params[FIT_MAX_PARAMS];
    bool                 can_bound[FIT_MAX_THETA]; /* theta[j] is a log-coefficient that may be 0 */
    /* The term of a coefficient that may be 0: the theta entry of its exponent (held at the
     * bound with it) and the variable (1 or 2) it multiplies; -1 and 0 for the constant. */
    int  term_exp[FIT_MAX_THETA];
    int  term_var[FIT_MAX_THETA];
    bool has_constant;  /* theta[0] is the log of a constant (L_inf or E), reported first */
    bool huber_default; /* fitted with Huber's loss (and huber_delta_chinchilla) by default */
    bool curves;        /* the data are learning curves, fitted on their compute frontier (the
                           bootstrap resamples each curve's noise), with an optimal-size law */
    const struct fit_law_desc *nopt_law; /* curves: the optimal-size law N_opt(C) */
    const char *var_options[2]; /* the options naming the variables' columns ("--n", "--d") */
    size_t      var_fields[2];  /* offsetof(struct fit_columns, ...) of those columns' names */
    /* A third column the law reads (data-constrained's unique tokens: "--u"), or NULL; its
     * field in struct fit_columns. */
    const char *aux_option;
    size_t      aux_field;
    const char *x_name;         /* NULL, or the variable's name in reports ("compute") */
    const char *x_heading;      /* with x_name: its heading in tables ("compute (FLOP)") */
    const char *label_constant; /* the constant's name in figure labels ("L_∞", "E") */
    const char *note;           /* NULL, or what report.md says of the law's variables */
    /* --fix: reported parameter j is theta entry fix[j].theta alone (-1: it cannot be fixed),
     * its log for a positive parameter, or, when fix[j].scale_of >= 0, a scale x_c with
     * theta = theta[scale_of] ln x_c (fixable only together with that exponent). */
    bool can_fix;
    struct {
        int theta, scale_of;
    } fix[FIT_MAX_PARAMS];
    /* The formula as a figure label (fit_law_label) and its values: NULL gives the reported
     * estimates in order. */
    const char *label;
    size_t (*label_values)(const struct fit_result *r, double *v);
    /* The compute-optimal allocation as a figure key (fit_law_optimal_label): "$k" is derived
     * value k; NULL when the law has none. */
    const char *optimal_label;
    /* curves: the optimal-size law as a figure label, "$k" as in `label`. */
    const char *nopt_label;
    /* The compute-optimal (N, D = C/(6N)) at compute c from the point estimate; NULL: none. */
    void (*optimal_nd)(const struct fit_result *r, double c, double *n, double *d);

    const struct fit_law_form *form; /* its function (shared by laws of the same form) */

    /* Derived quantities (NULL when the law has none). alloc: the compute-optimal allocation
     * at compute c (which: 0..n_derived-1 the derived values, then N_opt, D_opt, tokens per
     * parameter). */
    double (*alloc)(const double *natural, size_t which, double c);
    size_t      n_derived;
    const char *derived_names[3];  /* fit.yaml keys */
    const char *derived_labels[3]; /* report.md rows */
    /* Theta entries of two exponents whose correlation is checked (report names alike);
     * NULL when not checked. */
    const size_t *inseparable;
};

/* The entries (law_*.c); the table in law.c lists them. */
extern const struct fit_law_desc fit_law_power, fit_law_power_const, fit_law_chinchilla,
    fit_law_kaplan_nd, fit_law_frontier, fit_law_frontier_power, fit_law_log, fit_law_kaplan_ns,
    fit_law_kaplan_ns_const, fit_law_broken1, fit_law_broken2, fit_law_datacon;

/* The name of the column of the law's variable k (< n_vars) in `cols` (NULL: not given). */
const char *fit_law_var_column(const struct fit_law_desc *law, const struct fit_columns *cols,
                               size_t k);

/* The entry of a kind, and the kind (index in the table) of an entry. */
const struct fit_law_desc *fit_law_desc(enum fit_law_kind kind);
enum fit_law_kind          fit_law_kind_of(const struct fit_law_desc *law);

/* ln L-hat at one point and, when grad != NULL, its gradient with respect to theta (inactive
 * entries get 0). lx1, lx2 are ln x (ln N, ln D). */
static inline double fit_law_lnpred(const struct fit_law_desc *law, const double *theta,
                                    const bool *active, double lx1, double lx2, double lx3,
                                    double *grad) {
    return law->form->lnpred(theta, active, lx1, lx2, lx3, grad);
}
/* Converts theta to the reported parameters (natural units; an inactive coefficient is 0). */
static inline void fit_law_natural(const struct fit_law_desc *law, const double *theta,
                                   const bool *active, double *natural) {
    law->form->natural(theta, active, natural);
}
/* A law of N and D at compute C = 6ND (optimum.c): the ln N that minimises L(N, C/(6N)) at ln C;
 * and the compute, N and D at that optimum where the least loss less the law's constant (the
 * loss itself for a law without one) equals `reducible` (false when no compute between 1 and
 * 1e130 FLOP reaches it). */
double fit_law_optimal_lnn(const struct fit_law_desc *law, const double *theta, const bool *active,
                           double lnc);
bool   fit_law_target_nd(const struct fit_law_desc *law, const double *theta, const bool *active,
                         double reducible, double *c, double *n, double *d);
/* The constant term (L_inf or E) from theta; 0 when inactive, NAN for laws without one. */
double fit_law_constant(const struct fit_law_desc *law, const double *theta, const bool *active);

/* Shared by the laws' files: log-sum-exp of up to three terms (skipping those with use[k]
 * false), with the softmax weights in p; -INFINITY when no term is used. */
double fit_law_lse(const double *t, const bool *use, size_t k, double *p);
/* The exponent grid of the one-exponent and chinchilla searches: [exp_min, exp_max]. */
void fit_law_grid_positive(const struct fit_parameters *prm, double *lo, double *hi, double *step);
/* chinchilla's functions (law_chinchilla.c), which the learning-curve laws L(N, S) share: theta
 * = (e, a, alpha, b, beta), ln L = LSE(e, a - alpha ln x1, b - beta ln x2), coefficients
 * (E, A, B) projected out of the search; a law without the constant keeps e inactive. */
double fit_chinchilla_lnpred(const double *th, const bool *active, double lx1, double lx2,
                             double lx3, double *grad);
void   fit_chinchilla_cell_row(const struct fit_problem *pb, size_t i, double sc, double e2,
                               const struct fit_cell_cols *cc, double *col, double *t);
double fit_chinchilla_cell_pred(const double *coef, const struct fit_cell_cols *cc, size_t i);
bool   fit_chinchilla_cell_theta(const double *coef, double e1, double e2, struct fit_candidate *c);
int    fit_chinchilla_flat_term(const double *th, const bool *active,
                                const struct fit_parameters *prm);
/* power+const's form, which the frontier's L(C) law shares. */
extern const struct fit_law_form fit_law_power_const_form, fit_law_power_form;

// ---- the problem and objective ----

/* One fitting problem: a law and the points it is fitted to (arrays borrowed, length n). */
struct fit_problem {
    const struct fit_law_desc *law;
    size_t                     n;
    const double              *lx1, *lx2; /* ln x, ln D (lx2 NULL for one variable) */
    const double              *lx3;       /* ln U of a law with a third column, else NULL */
    const double              *y, *ly;    /* loss and its log */
    const double              *w;         /* weights */
    enum fit_space             space;
    enum fit_loss              loss;
    double                     delta;
    bool                       fixed[FIT_MAX_THETA];       /* --fix: held, never polished */
    double                     fixed_theta[FIT_MAX_THETA]; /* -INFINITY: a coefficient at 0 */
};

/* The theta entries that req's fixes hold and their values (fit_problem's fixed and
 * fixed_theta). False, with the reason in `why`, when a fix cannot be applied to the law. */
bool fit_law_fix_theta(const struct fit_law_desc *law, const struct fit_request *req, bool *fixed,
                       double *theta, char *why, size_t why_len);
/* Puts a problem's fixed values into a start: theta and the active set (a coefficient held at 0
 * is inactive, with its exponent). */
void fit_problem_fix_start(const struct fit_problem *pb, double *theta, bool *active);

/* Residual r_i of the chosen space at theta, and dr_i/dtheta (row-major n x n_theta, full
 * width; inactive columns zero) when J != NULL. Returns false when a prediction is not finite. */
bool fit_problem_residuals(const struct fit_problem *pb, const double *theta, const bool *active,
                           double *r, double *J);
/* Huber's h_δ and its transform ψ with ψ² = 2h (sign kept), and dψ/dr. */
double fit_huber(double r, double delta);
/* The objective's term for one residual: r² for squares, h_δ(r) for Huber. */
static inline double fit_rho(enum fit_loss loss, double r, double delta) {
    return loss == FIT_LOSS_HUBER ? fit_huber(r, delta) : r * r;
}
double fit_huber_psi(double r, double delta, double *dpsi);

// ---- non-negative least squares for up to three columns ----

#define FIT_NNLS_MAX 3

/* Workspace of the small NNLS (GSL views over fixed storage; no allocation). */
struct fit_nnls {
    double G[FIT_NNLS_MAX * FIT_NNLS_MAX]; /* Gram matrix XᵀX */
    double h[FIT_NNLS_MAX];                /* Xᵀt */
    double tt;                             /* tᵀt */
    size_t k;
};

/* Resets the accumulators for k columns. */
void fit_nnls_reset(struct fit_nnls *s, size_t k);
/* Adds one row x (k) with target t. */
void fit_nnls_add(struct fit_nnls *s, const double *x, double t);
/* Solves min ||X c - t|| subject to c >= 0 exactly (every support is tried). Writes c (k) and
 * returns the residual sum of squares; returns INFINITY when no support can be solved. */
double fit_nnls_solve(const struct fit_nnls *s, double *c);

// ---- workspace ----

/* Per-thread scratch for one dataset shape: buffers for residuals and Jacobians and one GSL
 * nonlinear workspace per number of active parameters (created on first use). Never shared
 * between threads; never owns another workspace. */
struct fit_workspace {
    size_t      n;                            /* points */
    double     *r, *J, *Jfull;                /* (n), (n x FIT_MAX_THETA) x2 */
    gsl_matrix *svd_a, *svd_v;                /* (n x FIT_MAX_THETA), (FIT_MAX_THETA^2) */
    gsl_vector *svd_s, *svd_work;             /* (FIT_MAX_THETA) */
    double     *lx1, *lx2, *lx3, *y, *ly, *w; /* (n) a replicate's resampled problem */
    gsl_multifit_nlinear_workspace *nl[FIT_MAX_THETA + 1];   /* by active count */
    size_t                          nl_n[FIT_MAX_THETA + 1]; /* n each was made for */
    gsl_rng                        *rng;
    /* Grid search scratch: candidates, column tables, row scales of the linear solve. */
    struct fit_candidate *cells;
    size_t                n_cells, cap_cells;
    double               *tab;
    size_t                tab_cap;
    double               *row_s, *row_t; /* (n) */
};

/* Allocates a workspace for up to n points. NULL on allocation failure. Caller frees. */
struct fit_workspace *fit_workspace_alloc(size_t n);
void                  fit_workspace_free(struct fit_workspace *ws);

// ---- search and polish ----

/* A point of the search: exponents, theta and the true objective there. */
struct fit_candidate {
    double theta[FIT_MAX_THETA];
    bool   active[FIT_MAX_THETA];
    double objective;
};

/* The outcome of a polish from one start. */
struct fit_polish_out {
    double theta[FIT_MAX_THETA];
    bool   active[FIT_MAX_THETA];
    double objective;
    double gradient_norm; /* ||∇ objective|| over active parameters */
    bool   converged;     /* stationary to the tolerance and well determined */
    int    gsl_status, info;
    size_t iterations, nevalf;
    char   status[64];
};

/* Runs the variable-projection grid (or the multi-start grid for power/kaplan-nd) and returns
 * the candidates in ws->cells sorted by objective (best first). Records the number of cells
 * evaluated in *n_evaluated. */
enum sf_status fit_search(const struct fit_problem *pb, const struct fit_parameters *prm,
                          struct fit_workspace *ws, size_t *n_evaluated, struct sf_error *err);

/* For laws with a search of their own: appends a candidate to ws->cells (growing it), and
 * sorts ws->cells by objective, best first. */
enum sf_status fit_search_push(struct fit_workspace *ws, const struct fit_candidate *c,
                               struct sf_error *err);
void           fit_search_sort(struct fit_workspace *ws);
/* The row scales and targets of a linear solve for the coefficients (ws->row_s, ws->row_t):
 * log space weights rows by 1/L so that the linear residual approximates the log one. */
void fit_search_rows(const struct fit_problem *pb, struct fit_workspace *ws);
/* True when two comparison entries' groups are the same (both NULL: no --by). */
bool fit_same_group(const char *a, const char *b);

/* Picks distinct starts among the sorted candidates: exponents at least half a coarse step from
 * every earlier pick, best first. Writes up to `max` indices into ws->cells; returns how many. */
size_t fit_search_pick(const struct fit_problem *pb, const struct fit_parameters *prm,
                       const struct fit_workspace *ws, size_t *pick, size_t max);

/* A residual function for the generic polish: r (n) and J (n x p, row-major) at theta (p). */
struct fit_residual_fn {
    size_t n, p;
    bool (*fn)(const double *theta, double *r, double *J, void *ctx);
    void *ctx;
};

/* Minimises Σ w ρ(r(theta)) from theta0 with gsl_multifit_nlinear (trust region,
 * Levenberg-Marquardt, Moré scaling), analytic Jacobian, restarting when it stops short of a
 * stationary point. Huber is handled exactly through the transform ψ (½Σψ² = Σh). `w` may be
 * NULL (unit weights). The generic path also serves the certified NIST problems. */
enum sf_status fit_polish_generic(const struct fit_residual_fn *rf, const double *w,
                                  enum fit_loss loss, double delta, const double *theta0,
                                  const struct fit_parameters *prm, struct fit_workspace *ws,
                                  struct fit_polish_out *out, struct sf_error *err);

/* Polishes one candidate of a law problem: a coefficient whose term falls below the bound
 * threshold, or whose exponent falls to the bottom of its range (the term turns into the
 * constant), is held at 0 with its exponent and the rest polished again. A start whose only
 * reducible term goes flat ends with an infinite objective (another start wins). Bound terms are
 * not tried again: the other starts of the search, with every term active, cover that. */
enum sf_status fit_polish_law(const struct fit_problem *pb, const struct fit_candidate *start,
                              const struct fit_parameters *prm, struct fit_workspace *ws,
                              struct fit_polish_out *out, struct sf_error *err);

/* The full point estimate: search, then polish of the best distinct candidates; the best
 * polished result wins (ties: the earlier candidate). Stages are appended to `stages` when it
 * is not NULL (capacity FIT_MAX_STAGES). */
#define FIT_MAX_STAGES 24
#define FIT_MAX_POLISH_STARTS 64 /* polish_starts is capped at this */
enum sf_status fit_estimate_point(const struct fit_problem *pb, const struct fit_parameters *prm,
                                  struct fit_workspace *ws, struct fit_polish_out *best,
                                  struct fit_stage *stages, size_t *n_stages, struct sf_error *err);

// ---- the law problem as a residual function of its active parameters ----

struct fit_law_rf {
    const struct fit_problem *pb;
    const bool               *active;
    const double             *fixed; /* full theta: values of the inactive entries */
    size_t                    map[FIT_MAX_THETA];
    size_t                    p;
    double                   *Jfull; /* (n x n_theta) scratch */
};

/* Sets up `ctx` and `rf` for the active entries of `active` (borrowed arrays). */
void fit_law_rf_init(struct fit_law_rf *ctx, struct fit_residual_fn *rf,
                     const struct fit_problem *pb, const bool *active, const double *fixed,
                     double *Jfull);

// ---- covariance ----

/* Covariance (p x p) of a generic residual function's parameters at theta; see covariance.c
 * for the formulas. Returns false when singular, with the reason in `method`. */
bool fit_covariance_generic(const struct fit_residual_fn *rf, const double *w, enum fit_loss loss,
                            double delta, const double *theta, struct fit_workspace *ws,
                            double *cov, char *method, size_t method_len);

/* Covariance of the active theta at the optimum (p_active x p_active in the full
 * FIT_MAX_THETA x FIT_MAX_THETA layout, zero elsewhere). Squares: s² (JᵀWJ)⁻¹ with
 * s² = Σ w r² / (n - p). Huber: Huber's (1981) M-estimator formula. Writes a description of
 * the method into `method`. Returns false when the matrix is singular. */
bool fit_covariance(const struct fit_problem *pb, const struct fit_polish_out *opt,
                    struct fit_workspace *ws, double *cov, char *method, size_t method_len);

// ---- frontier ----

/* --holdout K of a law fitted to curves (frontier_holdout.c): the runs owning the K
 * largest-compute vertices of the hull leave the fit, and the frontier points they own become
 * d's held-out rows (the rows are rebuilt). SF_EINVAL at `option` when fewer than two runs
 * owning the hull would stay. */
enum sf_status fit_frontier_holdout(struct fit_data *d, size_t k, const char *option,
                                    struct sf_error *err);

/* --shape of a law fitted to curves (seeds.c): the runs of one shape (run_shape, per run) are
 * seeds, averaged into one curve per shape over the compute range they all cover; d's rows and
 * runs are rebuilt (run names become the shapes) and d->runs_read keeps the count of runs. */
enum sf_status fit_frontier_average_seeds(struct fit_data *d, char **run_shape,
                                          struct sf_error *err);

/* The distinct runs that own the hull's vertices, in the order of the vertices: writes their
 * indices into data->run_names to runs (capacity n_hull) and returns the count. */
size_t fit_frontier_hull_runs(const struct fit_frontier *fr, size_t *runs);

/* The learning curves of a frontier table: for each run, its points sorted by compute
 * (compressed rows: the points of run k are pts[start[k]] .. pts[start[k+1]-1]). */
struct fit_runs {
    size_t  n_runs;
    size_t *start;           /* (n_runs + 1) */
    size_t *pts;             /* (n points used) indices into the data arrays */
    double *lc, *ll;         /* (n data rows) ln C and ln L of each row, computed once */
    size_t  n_by_c;          /* points of the runs with at least two */
    size_t *by_c, *by_c_run; /* (n_by_c) those points' rows in order of compute, their runs */
};

/* Groups the fitted points of `d` by run and sorts each run by compute; SF_EINVAL when a run
 * repeats a compute value (with the line). Caller frees with fit_runs_free. */
enum sf_status fit_runs_build(const struct fit_data *d, struct fit_runs *runs,
                              struct sf_error *err);
void           fit_runs_free(struct fit_runs *runs);

/* The compute frontier of the runs with at least two points (frontier.c says how): the running
 * minimum of their losses over compute on the log-spaced compute grid and at the runs' own
 * points where it falls, into fr->env_c/env_l/env_run (capacity `cap` each; n_env); the part
 * before its flat tail (n_front); and that part's lower convex hull in (ln C, ln L) into
 * fr->hull (capacity `cap`; n_hull). The arrays are the caller's; nothing is allocated. */
void fit_frontier_compute(const struct fit_runs *runs, const struct fit_parameters *prm, size_t cap,
                          struct fit_frontier *fr);
/* The most points fit_frontier_compute can write: the grid plus every point of the runs. */
size_t fit_frontier_capacity(const struct fit_runs *runs, double points_per_decade);

// ---- the result's private state ----

struct fit_state {
    const struct fit_law_desc *law; /* the fitted law (frontier: power+const in C) */
    size_t                     n;   /* points of the problem */
    double                    *lx1, *lx2, *lx3, *y, *ly, *w; /* (n) the problem's arrays (owned) */
    double                    *run_size; /* frontier: (n_runs) model size of each run */
    double                     theta[FIT_MAX_THETA];
    bool                       active[FIT_MAX_THETA];
    size_t                     p_active;
    double                     cov[FIT_MAX_THETA * FIT_MAX_THETA];
    bool                       have_cov;
    double                     t_quantile;  /* for covariance intervals */
    size_t                     n_rep;       /* usable bootstrap replicates */
    bool                       boot_usable; /* percentile intervals come from them */
    double                    *rep_theta;   /* (n_rep x FIT_MAX_THETA) */
    bool                      *rep_active;  /* (n_rep x FIT_MAX_THETA) */
    double                    *rep_nopt;    /* (n_rep x 2): NAN when not fitted */
    /* frontier: the optimal-size power law, ln N = a - alpha ln C (theta of `power`) */
    double nopt_theta[2];
    double nopt_cov[4];
    bool   nopt_have;
    /* frontier, for the bootstrap of the learning curves (fit.c): each data row's value on
     * its run's local smoother (ln L) and its residual from it, r_i/sqrt(1-h_ii) centred (a run
     * too short to fit keeps its losses as centre and draws from the pooled residuals of the
     * others); and the fit to the frontier of the smooth curves, the
     * centre the replicates scatter around (pivot_have false: the point estimate is). */
    double *row_hat, *row_res; /* (data->n) */
    bool   *run_smooth;        /* (n_runs) the run has its smooth fit */
    size_t *pool;              /* (n_pool) the rows of the runs that have one */
    size_t  n_pool;
    double  pivot_theta[FIT_MAX_THETA];
    bool    pivot_active[FIT_MAX_THETA];
    double  pivot_nopt[2]; /* NAN when not fitted */
    bool    pivot_have;
};

/* report.md of a comparison (report_md.c), written by fit_write_comparison. */
enum sf_status fit_write_comparison_report(const struct fit_comparison_entry *e, size_t n,
                                           const size_t *rank, const enum fit_rank_by *by,
                                           const struct fit_provenance *prov, const char *dir,
                                           struct sf_error *err);

#endif /* SF_FIT_INTERNAL_H */
