/*
 * fit_figures.h — private to the command: the figures of one fit (which figure kinds apply to
 * its law, the data tables they plot, drawing them with src/plot into DIR/figures/).
 */
#ifndef SF_CLI_FIT_FIGURES_H
#define SF_CLI_FIT_FIGURES_H

#include <stdbool.h>
#include <stddef.h>

#include "fit.h"

/* What was drawn: figure base names (files DIR/figures/NAME.png and .svg) and, for each figure
 * that could not be drawn, "NAME: reason". Both NULL-terminated; free with
 * cli_fit_figures_free. */
struct cli_fit_figures {
    char **drawn;
    char **missing;
};

/* Draws the figures of `r` into DIR/figures/ when `enabled`. Never fails the fit: problems end
 * up in `missing` and are printed as warnings on stderr. */
void cli_fit_figures_draw(const struct fit_result *r, const char *dir, bool enabled,
                          struct cli_fit_figures *out);
void cli_fit_figures_free(struct cli_fit_figures *f);

#endif /* SF_CLI_FIT_FIGURES_H */
