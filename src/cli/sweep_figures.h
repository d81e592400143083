/*
 * sweep_figures.h — private to the command: the figures of a sweep directory (DESIGN.md "A
 * sweep directory"): figure 7, the learning curves of curves.csv against tokens coloured by
 * model size, and figure 5, the compute frontier of the sweep's frontier fit, both drawn into
 * OUT/figures/. The fits' own figures go to OUT/fits/NAME/figures/ through fit_figures.h.
 */
#ifndef SF_CLI_SWEEP_FIGURES_H
#define SF_CLI_SWEEP_FIGURES_H

#include "fit.h"
#include "fit_figures.h"

/* Draws the sweep's figures into SWEEP_DIR/figures/: "curves" from SWEEP_DIR/curves.csv (with
 * the data's entropy from results.csv's bayes_loss when every run gives the same value), and
 * "frontier" from `frontier` when it is not NULL (a FIT_LAW_FRONTIER result, borrowed). The
 * lists in `out` are set up here (free with cli_fit_figures_free). Never fails the sweep: a
 * figure that cannot be drawn is listed as missing with the reason and printed as a warning. */
void cli_sweep_figures_draw(const char *sweep_dir, const struct fit_result *frontier,
                            struct cli_fit_figures *out);

#endif /* SF_CLI_SWEEP_FIGURES_H */
