/*
 * fit.c — the figures of one fit and the folder of one fit. Which figure kinds apply to the
 * fit's law (1 loss, 2 reducible loss, 3 residuals for every law; 4 loss against tokens and
 * iso-loss contours for two-variable laws; 5 frontier and 6 optimal size for the frontier),
 * drawn into DIR/figures/; and fit.yaml, the figures and report.md written together, for
 * `scalefit fit` and a sweep's fits alike.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void figures_fit_draw(const struct fit_result *r, const char *dir, bool enabled,
                      struct figures_list *out, struct sf_diags *diags) {
    figures_list_init(out);
    out->write_only = !enabled;
    if (out->drawn == NULL || out->missing == NULL) {
        sf_diag_add(diags, false, NULL, "figures not drawn: out of memory");
        return;
    }
    char *figdir = sf_path_join(dir, "figures");
    if (figdir == NULL) {
        figures_skip(out, diags, "all figures", "out of memory");
        return;
    }
    struct figures_fit cf;
    memset(&cf, 0, sizeof cf);
    cf.r        = r;
    cf.d        = r->data;
    cf.figdir   = figdir;
    cf.out      = out;
    cf.diags    = diags;
    cf.two_var  = fit_law_n_vars(r->law) == 2;
    cf.frontier = fit_law_fits_curves(r->law);
    cf.x_column = cf.d->x1_name;
    cf.x_unit   = cf.two_var    ? "parameters"
                  : cf.frontier ? figures_compute_unit(cf.d)
                                : figures_unit(cf.d->x1_name);
    cf.x_symbol = cf.frontier ? "C" : figures_symbol(cf.x_unit);
    cf.n_grid   = figures_grid_size(r);
    cf.x2_unit =
        cf.two_var && strcmp(fit_law_var_option(r->law, 1), "--step") == 0 ? "steps" : "tokens";
    if (cf.two_var && fit_law_optimal_label(r->law) == NULL) {
        /* Figures 1 and 2 of a two-variable law follow its compute-optimal allocation: a law
         * that has none (the learning-curve laws) has figure 4 alone. */
    } else if (cf.two_var && !figures_has_allocation(r)) {
        figures_skip(out, diags, "loss", "the fitted law has no finite compute-optimal allocation");
        if (fit_law_has_constant(r->law))
            figures_skip(out, diags, "reducible",
                         "the fitted law has no finite compute-optimal "
                         "allocation");
    } else {
        figures_loss(&cf, false);
        if (fit_law_has_constant(r->law)) figures_loss(&cf, true);
    }
    figures_residuals(&cf);
    if (cf.two_var) {
        figures_loss_tokens(&cf);
        figures_isoloss(&cf);
    }
    if (cf.frontier) {
        figures_frontier(r, figdir, out, diags);
        figures_nopt(&cf);
    }
    free(figdir);
}

enum sf_status figures_fit_write(const struct fit_result *r, const struct fit_provenance *prov,
                                 const char *dir, bool plot, struct sf_diags *diags,
                                 struct sf_error *err) {
    if (sf_mkdir_p(dir, err) != SF_OK) return err->code;
    if (fit_write_yaml(r, prov, dir, err) != SF_OK) return err->code;
    struct figures_list figs;
    figures_fit_draw(r, dir, plot, &figs, diags);
    enum sf_status st;
    if (figs.disk_full) {
        *err = figs.full;
        st   = err->code;
    } else {
        st = fit_write_report(r, prov, (const char *const *)figs.drawn,
                              (const char *const *)figs.missing, dir, err);
    }
    figures_list_free(&figs);
    return st;
}
