/*
 * internal.h — private to src/plot and its tests: the helpers that the figure assembly
 * (figure.c), the gnuplot runner (run.c) and the label and axis helpers (text.c) share. The
 * files depend one way: figure.c on run.c and text.c, run.c on text.c, text.c on nothing.
 */
#ifndef SF_PLOT_INTERNAL_H
#define SF_PLOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "plot.h"

/* (text.c) True for a plain file stem: letters, digits, '_' and '-', not starting with '.' or
 * '-'. */
bool plot_is_stem(const char *s);
/* Appends `s` as a double-quoted gnuplot string (backslash, quote, newline escaped). */
void plot_gp_quote(struct sf_buf *b, const char *s);
/* A number as gnuplot reads it back exactly: shortest round-trip form, NaN when not finite. */
void plot_fmt_number(char *buf, size_t n, double v);
/* The ticks of an axis: `tics` receives a gnuplot tic specification (an increment for a log
 * axis of a decade or more, a list of round values otherwise, "autofreq" for a linear axis),
 * `format` the label format ("10^{%L}" or "%g"). */
void plot_axis_tics(struct sf_buf *tics, struct sf_buf *format, double lo, double hi,
                    bool log_axis);
/* (run.c) Runs gnuplot on DIR/NAME.gp with the outputs under temporary names, checks them (the
 * PNG's size against PLOT_PNG_WIDTH x PLOT_PNG_HEIGHT when `check_size`), and renames them to
 * NAME.png and NAME.svg. See plot_script_run(). */
enum sf_status plot_script_draw(const struct plot_context *ctx, const char *dir, const char *name,
                                bool check_size, char **warnings, struct sf_error *err);

#endif /* SF_PLOT_INTERNAL_H */
