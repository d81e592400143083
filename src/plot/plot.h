/*
 * plot.h — the public interface of scalefit's figure module (prefix plot_): a figure is a
 * gnuplot template from plots/ (one per figure kind), the variables that fill it in, and the
 * whitespace-separated data tables it plots. Drawing a figure writes NAME_*.dat and the
 * filled-in NAME.gp into a folder, runs gnuplot on that script (fork and exec, no shell) and
 * checks the PNG and SVG it wrote, so that `gnuplot NAME.gp` in that folder redraws the same
 * figure byte for byte.
 *
 * It knows nothing of fits or sweeps (src/figures turns results into tables and variables), and
 * it never prints: gnuplot's own messages come back as strings.
 */
#ifndef SF_PLOT_H
#define SF_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

// ---- where templates are and which gnuplot runs ----

/* How figures are drawn. Strings are borrowed. */
struct plot_context {
    const char *plots_dir;  /* folder of the templates; NULL: the lookup of plot_template_dir() */
    const char *gnuplot;    /* the program, looked up on PATH when it has no '/'; NULL: "gnuplot" */
    double      timeout_s;  /* a gnuplot run still going after this long is killed */
    bool        write_only; /* write the tables and the script only, running no gnuplot (a later
                               `scalefit plot` draws them); plot_figure_draw then stops there */
};

/* The defaults: template lookup, "gnuplot" (or $SCALEFIT_GNUPLOT when set) and a timeout. */
struct plot_context plot_context_default(void);

/* Finds the folder that holds the templates: ctx->plots_dir when set, else $SCALEFIT_PLOTS,
 * then the source tree's plots/ (a build that is not installed), then the installed data
 * directory (DESIGN.md). The folder must hold style.gp. On success *dir is a fresh string
 * (caller frees). SF_EIO when no candidate holds the templates (the message lists those tried);
 * SF_ENOMEM. */
enum sf_status plot_template_dir(const struct plot_context *ctx, char **dir, struct sf_error *err);

// ---- a figure: template, variables and tables ----

/* A figure being assembled. Opaque; allocated by plot_figure_alloc, freed by plot_figure_free. */
struct plot_figure;
/* One data table of a figure (owned by the figure). */
struct plot_table;

/* Starts a figure of template `kind` (plots/KIND.gp) whose files will be NAME.png, NAME.svg,
 * NAME.gp and NAME_*.dat. Both strings are copied; `name` must be a plain file stem
 * ([A-Za-z0-9_-]). Returns NULL when out of memory or when `name` is not a plain stem. */
struct plot_figure *plot_figure_alloc(const char *kind, const char *name);
/* Frees the figure and its tables. Accepts NULL. */
void plot_figure_free(struct plot_figure *f);

/* Sets a gnuplot variable of the filled-in script, in the order set (a later set of the same
 * name replaces the value). `var` must be a gnuplot identifier. Text values become
 * double-quoted gnuplot strings (backslash, quote and newline escaped); the caller escapes
 * enhanced-text characters with plot_enhanced_escape() where the text is a label. Numbers are
 * written in shortest round-trip form (NaN for the non-finite). Failures (memory, a bad name)
 * are remembered and reported by plot_figure_draw(). */
void plot_figure_set_text(struct plot_figure *f, const char *var, const char *value);
void plot_figure_set_textf(struct plot_figure *f, const char *var, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void plot_figure_set_num(struct plot_figure *f, const char *var, double value);
void plot_figure_set_int(struct plot_figure *f, const char *var, long long value);

/* Sets the range and tick marks of one axis ("x", "y" or "cb"): variables AXISmin, AXISmax
 * (numbers) and AXIStics (a gnuplot tic list, used as `set AXIStics @AXIStics`). On a log axis
 * spanning at least a decade the ticks are powers of ten labelled 10^{k}; otherwise 3 to 8
 * round values. lo < hi, both positive on a log axis. */
void plot_figure_set_axis(struct plot_figure *f, const char *axis, double lo, double hi,
                          bool log_axis);

/* Adds a table written as NAME_SUFFIX.dat, and the variable dat_SUFFIX naming that file.
 * A table left without rows is not written (an old file of that name is removed) and its
 * variable is the empty string, so that a template plots an optional table as
 * `for [f in dat_SUFFIX] f using ...`, which draws nothing and warns of nothing when empty.
 * `columns` names the columns (space separated) in the table's header comment; every row has
 * that many values. Returns NULL when out of memory or when the suffix is not a plain stem
 * (remembered as a failure). The table is owned by the figure. */
struct plot_table *plot_figure_table(struct plot_figure *f, const char *suffix,
                                     const char *columns);
/* Appends a row of as many values as the table has columns (non-finite values are written as
 * NaN, which gnuplot skips). */
void plot_table_row(struct plot_table *t, const double *values);
/* Starts a new data set in the table (two blank lines: gnuplot's `index`) with `label` as a
 * comment above it. The first data set needs no call. */
void plot_table_next_set(struct plot_table *t, const char *label);
/* Ends a block inside the current data set (one blank line): lines break there, and a grid
 * for `splot` starts its next row. */
void plot_table_break(struct plot_table *t);
/* Number of rows appended (all data sets). */
size_t plot_table_rows(const struct plot_table *t);

/* Writes NAME_*.dat and NAME.gp into `dir` (created when missing; each file atomically),
 * runs gnuplot there and checks NAME.png and NAME.svg. The script is the variables, the
 * output names, plots/style.gp and plots/KIND.gp, drawn once per terminal (pngcairo, svg).
 * Outputs replace earlier ones only when gnuplot succeeds.
 * On success *warnings (may be NULL) receives what gnuplot printed on stderr, or NULL when it
 * printed nothing (caller frees). Errors: SF_ENOMEM (also for an earlier remembered failure),
 * SF_EIO (a file could not be written; templates not found; gnuplot missing, failing,
 * timing out, or leaving a PNG or SVG that does not check out — the message carries
 * gnuplot's own), SF_EINVAL (an earlier set with a bad variable or table name). */
enum sf_status plot_figure_draw(const struct plot_figure *f, const struct plot_context *ctx,
                                const char *dir, char **warnings, struct sf_error *err);

// ---- redrawing stored figures ----

/* Runs gnuplot on the stored script DIR/NAME.gp (as plot_figure_draw does: outputs under
 * temporary names, checked, then renamed to NAME.png and NAME.svg). `name` is the stem.
 * *warnings as for plot_figure_draw. Errors: SF_EIO. */
enum sf_status plot_script_run(const struct plot_context *ctx, const char *dir, const char *name,
                               char **warnings, struct sf_error *err);

/* The stems of the figure scripts (*.gp) in `dir`, sorted, as a NULL-terminated array (caller
 * frees with sf_names_free); empty when there are none. SF_EIO when `dir` cannot be read. */
enum sf_status plot_dir_scripts(const char *dir, char ***names, size_t *n, struct sf_error *err);

// ---- helpers for labels and files ----

/* Appends `text` to `b` with gnuplot's enhanced-text characters (^ _ @ & ~ { } \) escaped, so
 * a column name such as loss_c4 prints as written. */
void plot_enhanced_escape(struct sf_buf *b, const char *text);
/* Appends a number for a label: `digits` significant digits, in scientific notation with an
 * enhanced-text exponent (4.1·10^{9}) when it is large or small, else plainly. */
void plot_label_number(struct sf_buf *b, double v, int digits);

/* Reads the width and height of a PNG file from its header (and checks its signature).
 * SF_EIO when it is not a readable PNG. */
enum sf_status plot_png_size(const char *path, unsigned *width, unsigned *height,
                             struct sf_error *err);

/* The size of every PNG drawn (pixels), set as png_width and png_height in each script. */
#define PLOT_PNG_WIDTH 1200
#define PLOT_PNG_HEIGHT 800

#endif /* SF_PLOT_H */
