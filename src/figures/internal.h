/*
 * internal.h — private to src/figures and its tests: the constants of the figures, the context
 * the figures of one fit share, and the pieces the figure files use from one another (ranges and
 * axes, labels, the points and curves of a fit, the list of figures drawn and missing).
 */
#ifndef SF_FIGURES_INTERNAL_H
#define SF_FIGURES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "figures.h"
#include "plot.h"

/* The most figures one fit draws (kinds 1 to 6, kind 4 as two figures). */
#define FIGURES_MAX 16
/* Grid of the iso-loss contours: points along each of log N and log D. */
#define FIGURES_CONTOUR_GRID 61
/* Contour levels drawn (at most), placed at quantiles of the observed losses. */
#define FIGURES_CONTOUR_LEVELS 7
/* With more distinct model sizes than this, fig. 4 draws curves at this many sizes spread
 * evenly in log N (every point is still shown, coloured by its size). */
#define FIGURES_MAX_SIZE_CURVES 10
/* Margin around the data on log axes, as a fraction of the span in decades. */
#define FIGURES_LOG_PAD 0.04
/* How far (fraction of the data's span, in log space) a band may widen the y range before it
 * is clipped at the frame instead: a very wide interval must not squash the data. */
#define FIGURES_BAND_ROOM 0.35
/* Significant digits of fitted values in titles and keys. */
#define FIGURES_DIGITS 3
/* The fewest points a fitted curve is drawn with. */
#define FIGURES_MIN_GRID 50
/* Sizes count as one model size when they agree to this relative tolerance. */
#define FIGURES_SAME_SIZE_RTOL 1e-9

// ---- the list of figures drawn and missing (list.c) ----

/* Draws an assembled figure into `figdir` with the default plot context and records the
 * outcome under `name` (gnuplot's warnings or the failure go to `diags`). Takes ownership of
 * `fig` (NULL, from a failed allocation, is recorded as missing). Returns true when drawn. */
bool figures_draw_one(struct plot_figure *fig, const char *name, const char *figdir,
                      struct figures_list *out, struct sf_diags *diags);
/* Records figure `name` as not drawn, with a reason, and adds the warning to `diags`. */
void figures_skip(struct figures_list *out, struct sf_diags *diags, const char *name,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

// ---- numbers (range.c) ----

/* A range of positive (log axis) or any (linear axis) finite values. */
struct figures_range {
    double lo, hi;
    bool   log_axis;
};

struct figures_range figures_range_new(bool log_axis);
void                 figures_range_add(struct figures_range *r, double v);
bool                 figures_range_ok(const struct figures_range *r);
/* Adds a band value to a y range only as far as FIGURES_BAND_ROOM allows past `core`. */
void figures_range_add_band(struct figures_range *r, const struct figures_range *core, double v);
/* Sets an axis of `fig` from a range, padded a little (on a log axis in decades). */
void figures_axis(struct plot_figure *fig, const char *axis, struct figures_range r);
/* The same from the range of its data [lo, hi]; a flat or empty range gets a span of its own. */
void figures_axis_span(struct plot_figure *fig, const char *axis, double lo, double hi,
                       bool log_axis);
/* n values spaced evenly in log between lo and hi. */
void figures_logspace(double lo, double hi, size_t n, double *x);
/* Points of a fitted curve: the fit's curve_points setting. */
size_t figures_grid_size(const struct fit_result *r);
/* qsort order of doubles, ascending. */
int figures_cmp_double(const void *a, const void *b);

/* Everything the figures of one fit share. */
struct figures_fit {
    const struct fit_result *r;
    const struct fit_data   *d;
    const char              *figdir;
    struct figures_list     *out;
    struct sf_diags         *diags;    /* where the warnings go */
    bool                     two_var;  /* a law of N and D */
    bool                     frontier; /* a law fitted to learning curves */
    const char              *x_unit;   /* unit of the x of figures 1-3 */
    const char              *x_column; /* its column name (for an unknown unit) */
    const char              *x_symbol; /* in formulas: N, D, C (a frontier's), x */
    const char              *x2_unit;  /* two-variable laws: "tokens" (D) or "steps" (S) */
    size_t                   n_grid;   /* points of a curve */
};

// ---- labels (labels.c) ----

/* The unit of a column, guessed from its name: "parameters", "tokens", "FLOP", "PF-days", or
 * NULL when the name does not say. */
const char *figures_unit(const char *column);
/* The symbol of a variable in formulas: N, D or C by unit, else x. */
const char *figures_symbol(const char *unit);
/* The unit of a frontier's compute column: PF-days when its name says so, else FLOP. */
const char *figures_compute_unit(const struct fit_data *d);
/* An axis label with its unit: "model size N (parameters)", or the column as given. */
void figures_axis_label(struct sf_buf *b, const char *unit, const char *column);
/* The x axis label of figures 1 and 2, and the loss axis label. */
void figures_xlabel(const struct figures_fit *cf, struct sf_buf *b);
void figures_ylabel(const struct figures_fit *cf, struct sf_buf *b);
/* Appends a law's label template: "$k" is v[k] (k < n), "$x" the symbol `sym`. */
void figures_label_expand(struct sf_buf *b, const char *t, const double *v, size_t n,
                          const char *sym);
/* Appends "L = 1.14 + 51.2/N^{0.187} + ..." with the fitted values. */
void figures_formula(const struct fit_result *r, const char *sym, struct sf_buf *b);
/* Appends "value [lo, hi]" (the interval only when it is known). */
void figures_estimate(struct sf_buf *b, const struct fit_estimate *e);
/* The name of the constant in labels: L_∞ or E. */
const char *figures_const_name(const struct fit_result *r);
/* The two-line title shared by figures of a fit: what was fitted, then the law's values. */
void figures_title(const struct figures_fit *cf, struct sf_buf *b, const char *what);
/* Sets text variable `var` of `fig` from `b`, and empties `b` for the next one. */
void figures_set_buf(struct plot_figure *fig, const char *var, struct sf_buf *b);

// ---- the points and curves of a fit (points.c) ----

/* True when the law has a compute-optimal allocation (fit_result_optimal_nd) to draw (finite,
 * positive). */
bool figures_has_allocation(const struct fit_result *r);
/* The fitted loss (or its reducible part) and its band at x of figures 1 and 2. */
void figures_eval(const struct figures_fit *cf, double x, bool reducible, double *loss, double *lo,
                  double *hi);
/* The points of figures 1-3, one by one, and the x of forecast k. */
size_t figures_n_points(const struct figures_fit *cf);
void   figures_point(const struct figures_fit *cf, size_t i, double *x, double *y, bool *held);
double figures_forecast_x(const struct figures_fit *cf, size_t k);
/* The x range of figures 1-3: the points and the forecasts (`data_only`: the points). */
struct figures_range figures_x_range(const struct figures_fit *cf, struct figures_range *data_only);

// ---- the figures ----

/* Figure 1 (reducible false) or 2 (reducible true): loss.c. */
void figures_loss(const struct figures_fit *cf, bool reducible);
/* Figure 3: residuals.c. */
void figures_residuals(const struct figures_fit *cf);
/* Figure 4 of two-variable laws: loss_tokens.c, isoloss.c. */
void figures_loss_tokens(const struct figures_fit *cf);
void figures_isoloss(const struct figures_fit *cf);
/* Figure 5 of a `frontier` fit (learning curves coloured by model size, envelope, hull
 * points, the L(C) law and its band, L_inf) into `figdir` as frontier.png/.svg. Used by the
 * fit's own figures and by the sweep's. Returns true when drawn. */
bool figures_frontier(const struct fit_result *r, const char *figdir, struct figures_list *out,
                      struct sf_diags *diags);
/* Figure 6 of a `frontier` fit: the optimal model size against compute (frontier.c). */
void figures_nopt(const struct figures_fit *cf);

// ---- the sweep's figures (sweep.c, kl.c) ----

/* What figures_sweep_lines drew: the runs drawn, those left out for want of a size, and the
 * ranges of x, y and the size over the points drawn. */
struct figures_sweep_set {
    size_t               drawn_runs, unsized;
    struct figures_range x, y, size;
};

/* One line per run of curves.csv into t (x, y, size; a data set per run, in order of first
 * appearance), from the columns c_x, c_y, c_size: points that cannot go on log axes are left
 * out, and a run without a size is left out whole. */
void figures_sweep_lines(const struct sf_csv *csv, long c_run, long c_x, long c_y, long c_size,
                         struct plot_table *t, struct figures_sweep_set *set);

/* Draws "kl" and "kl_compute" into figdir where SWEEP_DIR's results.csv and curves.csv have the
 * exact KL; nothing (and no message) for a source without it. */
void figures_sweep_kl(const char *sweep_dir, const char *figdir,
                      const struct figures_sweep_fits *fits, struct figures_list *out,
                      struct sf_diags *diags);

/* Reads SWEEP_DIR/NAME (results.csv or curves.csv) into *csv, with only the main grid's rows when
 * `main_only` (the table's `stage` column, where it has one). False, with nothing to free, when
 * it cannot be read. */
bool figures_sweep_table(const char *sweep_dir, const char *name, bool main_only,
                         struct sf_csv *csv);

/* The one-variable law r at n log-spaced x over xr into table t (x, value), less its constant
 * when `reducible`; values that cannot go on a log axis are left out; the values widen *yr. */
void figures_law_curve(const struct fit_result *r, bool reducible, struct figures_range xr,
                       size_t n, struct plot_table *t, struct figures_range *yr);

/* Draws "classify" into figdir where SWEEP_DIR's results.csv has runs of a stage with an error
 * rate; nothing (and no message) otherwise. */
void figures_sweep_classify(const char *sweep_dir, const char *figdir,
                            const struct figures_sweep_fits *fits, struct figures_list *out,
                            struct sf_diags *diags);

/* Draws "mi" and "mi_losses" into figdir where SWEEP_DIR's results.csv has the mutual
 * information of its runs; nothing (and no message) otherwise. */
void figures_sweep_mi(const char *sweep_dir, const char *figdir,
                      const struct figures_sweep_fits *fits, struct figures_list *out,
                      struct sf_diags *diags);

/* Draws "positions" into figdir where SWEEP_DIR has a positions.csv (the loss by position);
 * nothing (and no message) otherwise. */
void figures_sweep_positions(const char *sweep_dir, const char *figdir, struct figures_list *out,
                             struct sf_diags *diags);

/* Draws "frames" into figdir from SWEEP_DIR's positions.csv summed frame by frame (the frame's
 * pixels from results.csv's sample_tokens); nothing (and no message) without them. */
void figures_sweep_frames(const char *sweep_dir, const char *figdir, struct figures_list *out,
                          struct sf_diags *diags);
/* Draws "resolutions" into figdir from fits->resolution_laws (nothing without them). */
void figures_sweep_resolutions(const struct figures_sweep_fits *fits, const char *figdir,
                               struct figures_list *out, struct sf_diags *diags);
/* Draws "divergences" and "divergences_compute" into figdir where results.csv has the
 * divergences to the truth and fits->div_n, div_c their laws; nothing otherwise. */
void figures_sweep_divergences(const char *sweep_dir, const char *figdir,
                               const struct figures_sweep_fits *fits, struct figures_list *out,
                               struct sf_diags *diags);
/* Draws "problems" into figdir where SWEEP_DIR's results.csv has the loss of an extrapolation
 * split (the math source); nothing (and no message) otherwise. */
void figures_sweep_problems(const char *sweep_dir, const char *figdir,
                            const struct figures_sweep_fits *fits, struct figures_list *out,
                            struct sf_diags *diags);

#endif /* SF_FIGURES_INTERNAL_H */
