/*
 * fit_figures.c — the figures of a fit. Until src/plot is part of the build this only reports
 * that no figure could be drawn; the fit itself still succeeds.
 */
#include <stdlib.h>

#include "cli.h"
#include "fit_figures.h"

void cli_fit_figures_draw(const struct fit_result *r, const char *dir, bool enabled,
                          struct cli_fit_figures *out) {
    (void)r;
    (void)dir;
    out->drawn   = calloc(1, sizeof *out->drawn);
    out->missing = calloc(2, sizeof *out->missing);
    if (enabled && out->missing != NULL) {
        out->missing[0] = sf_strdup("all figures: this build of scalefit has no plot module");
        fprintf(stderr, "scalefit: warning: figures not drawn: this build has no plot module\n");
    }
}

void cli_fit_figures_free(struct cli_fit_figures *f) {
    for (size_t i = 0; f->drawn && f->drawn[i]; i++) free(f->drawn[i]);
    for (size_t i = 0; f->missing && f->missing[i]; i++) free(f->missing[i]);
    free(f->drawn);
    free(f->missing);
}
