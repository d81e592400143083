/*
 * fit_figures.h — private to the command: the figures of one fit (which figure kinds apply to
 * its law, the data tables they plot, drawing them with src/plot into DIR/figures/), and the
 * pieces the sweep's figures reuse (the list of figures drawn and missing, figure 5).
 */
#ifndef SF_CLI_FIT_FIGURES_H
#define SF_CLI_FIT_FIGURES_H

#include <stdbool.h>
#include <stddef.h>

#include "fit.h"

struct plot_figure;

/* What was drawn: figure base names (files FIGDIR/NAME.png and .svg) and, for each figure
 * that could not be drawn, "NAME: reason". Both NULL-terminated; set up by
 * cli_fit_figures_init (or cli_fit_figures_draw), freed with cli_fit_figures_free. */
struct cli_fit_figures {
    char **drawn;
    char **missing;
    size_t n_drawn, n_missing;
};

/* Draws the figures of `r` into DIR/figures/ when `enabled` (the lists are set up either way).
 * Never fails the fit: problems end up in `missing` and are printed as warnings on stderr,
 * with gnuplot's own message. */
void cli_fit_figures_draw(const struct fit_result *r, const char *dir, bool enabled,
                          struct cli_fit_figures *out);
/* Empty lists (an allocation failure leaves them NULL; adding then does nothing). */
void cli_fit_figures_init(struct cli_fit_figures *f);
void cli_fit_figures_free(struct cli_fit_figures *f);

/* Draws an assembled figure into `figdir` with the default plot context and records the
 * outcome under `name` (printing gnuplot's warnings or the failure). Takes ownership of `fig`
 * (NULL, from a failed allocation, is recorded as missing). Returns true when drawn. */
bool cli_fit_figures_draw_one(struct plot_figure *fig, const char *name, const char *figdir,
                              struct cli_fit_figures *out);
/* Records figure `name` as not drawn, with a reason, and prints the warning. */
void cli_fit_figures_skip(struct cli_fit_figures *out, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets an axis of `fig` from the range of its data [lo, hi], padded a little (on a log axis
 * in decades), with powers-of-ten ticks on log axes (plot_figure_set_axis). A flat or empty
 * range gets a span of its own. */
void cli_fit_figures_axis(struct plot_figure *fig, const char *axis, double lo, double hi,
                          bool log_axis);

/* Figure 5 of a `frontier` fit (learning curves coloured by model size, envelope, hull
 * points, the L(C) law and its band, L_inf) into `figdir` as frontier.png/.svg. Used by the
 * fit's own figures and by the sweep's. Returns true when drawn. */
bool cli_fit_figure_frontier(const struct fit_result *r, const char *figdir,
                             struct cli_fit_figures *out);

#endif /* SF_CLI_FIT_FIGURES_H */
