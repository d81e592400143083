/*
 * resolutions.c — the sweep figure "resolutions" (Henighan et al.'s comparison of image
 * resolutions): the reducible loss per image against model size N for each resolution of the
 * sweep, its runs' points (the loss less its law's constant, times the image's pixels) and its
 * law, coloured by resolution, with the target reducible loss per image the forecasts invert.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void figures_sweep_resolutions(const struct figures_sweep_fits *fits, const char *figdir,
                               struct figures_list *out, struct sf_diags *diags) {
    if (fits->n_resolutions == 0) return;
    struct plot_figure  *fig = plot_figure_alloc("resolutions", "resolutions");
    struct plot_table   *tp  = plot_figure_table(fig, "points", "N reducible resolution");
    struct plot_table   *tl  = plot_figure_table(fig, "laws", "N reducible resolution");
    struct plot_table   *tt  = plot_figure_table(fig, "target", "N reducible");
    struct figures_range nr = figures_range_new(true), yr = figures_range_new(true);
    struct figures_range rr = figures_range_new(true);
    for (size_t k = 0; k < fits->n_resolutions; k++) {
        const struct fit_result *r = fits->resolution_laws[k];
        const struct fit_data   *d = r->data;
        double                   s = r->req.tokens_per_sample, L = r->entropy.estimate;
        char                     label[32];
        snprintf(label, sizeof label, "%gx%g", fits->resolutions[k], fits->resolutions[k]);
        plot_table_next_set(tp, label);
        for (size_t i = 0; i < d->n; i++) {
            double v[3] = {d->x1[i], (d->y[i] - L) * s, fits->resolutions[k]};
            if (!(v[0] > 0) || !(v[1] > 0)) continue;
            plot_table_row(tp, v);
            figures_range_add(&nr, v[0]);
            figures_range_add(&yr, v[1]);
        }
        figures_range_add(&rr, fits->resolutions[k]);
    }
    if (fits->resolution_target > 0) figures_range_add(&yr, fits->resolution_target);
    /* The laws over every size drawn, and the target across them. */
    for (size_t k = 0; k < fits->n_resolutions && nr.lo <= nr.hi; k++) {
        const struct fit_result *r = fits->resolution_laws[k];
        double                   x[FIGURES_MIN_GRID], red[FIGURES_MIN_GRID], lo[FIGURES_MIN_GRID],
            hi[FIGURES_MIN_GRID];
        for (size_t i = 0; i < FIGURES_MIN_GRID; i++)
            x[i] = nr.lo * pow(nr.hi / nr.lo, (double)i / (FIGURES_MIN_GRID - 1));
        fit_result_reducible_curve(r, x, 0, FIGURES_MIN_GRID, red, lo, hi);
        char label[32];
        snprintf(label, sizeof label, "law %gx%g", fits->resolutions[k], fits->resolutions[k]);
        plot_table_next_set(tl, label);
        for (size_t i = 0; i < FIGURES_MIN_GRID; i++) {
            double v[3] = {x[i], red[i] * r->req.tokens_per_sample, fits->resolutions[k]};
            if (!(v[1] > 0)) continue;
            plot_table_row(tl, v);
            figures_range_add(&yr, v[1]);
        }
    }
    if (fits->resolution_target > 0 && nr.lo <= nr.hi) {
        double a[2] = {nr.lo, fits->resolution_target}, b[2] = {nr.hi, fits->resolution_target};
        plot_table_row(tt, a);
        plot_table_row(tt, b);
    }
    if (plot_table_rows(tp) == 0) {
        plot_figure_free(fig);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    plot_figure_set_text(fig, "title_text", "reducible loss per image at each resolution");
    plot_figure_set_text(fig, "xlabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "ylabel_text", "loss less the law's constant, nats per image");
    plot_figure_set_text(fig, "cblabel_text", "resolution (pixels on a side)");
    plot_figure_set_text(fig, "key_points", "runs (best eval loss − L∞) × pixels");
    plot_figure_set_text(fig, "key_laws", "the law of each resolution, less its constant");
    sf_buf_printf(&b, "target reducible loss: %g nats per image", fits->resolution_target);
    figures_set_buf(fig, "key_target", &b);
    sf_buf_free(&b);
    figures_axis(fig, "x", nr);
    figures_axis(fig, "y", yr);
    figures_axis_span(fig, "cb", rr.lo, rr.hi > rr.lo ? rr.hi : rr.lo * 2, true);
    figures_draw_one(fig, "resolutions", figdir, out, diags);
}
