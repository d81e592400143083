/*
 * loss_tokens.c — figure 4 of a two-variable law, first part: the loss against tokens, one
 * fitted curve per model size (at most FIGURES_MAX_SIZE_CURVES of them), every point coloured
 * by its size.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* The distinct model sizes of the data, sorted; at most FIGURES_MAX_SIZE_CURVES of them spread
 * in log N when there are more. Returns the count written to `sizes` (capacity d->n). */
static size_t figures_sizes(const struct fit_data *d, double *sizes) {
    size_t m = 0;
    for (size_t i = 0; i < d->n; i++)
        sizes[m++] = d->x1[i];
    qsort(sizes, m, sizeof *sizes, figures_cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || fabs(sizes[i] - sizes[u - 1]) > FIGURES_SAME_SIZE_RTOL * sizes[i])
            sizes[u++] = sizes[i];
    if (u <= FIGURES_MAX_SIZE_CURVES) return u;
    double lo = sizes[0], hi = sizes[u - 1];
    figures_logspace(lo, hi, FIGURES_MAX_SIZE_CURVES, sizes);
    return FIGURES_MAX_SIZE_CURVES;
}

void figures_loss_tokens(const struct figures_fit *cf) {
    const struct fit_result *r     = cf->r;
    const struct fit_data   *d     = cf->d;
    double                  *sizes = malloc((d->n ? d->n : 1) * sizeof *sizes);
    double                  *grid  = malloc(cf->n_grid * sizeof *grid);
    if (sizes == NULL || grid == NULL) {
        free(sizes), free(grid);
        figures_skip(cf->out, cf->diags, "loss_tokens", "out of memory");
        return;
    }
    struct plot_figure  *fig = plot_figure_alloc("loss_tokens", "loss_tokens");
    struct plot_table   *tp  = plot_figure_table(fig, "points", "tokens loss params");
    struct plot_table   *th  = plot_figure_table(fig, "heldout", "tokens loss params");
    struct plot_table   *tc  = plot_figure_table(fig, "curves", "tokens loss params");
    struct figures_range xr = figures_range_new(true), yr = figures_range_new(true),
                         nr = figures_range_new(true);
    for (size_t i = 0; i < d->n; i++) {
        double v[3] = {d->x2[i], d->y[i], d->x1[i]};
        plot_table_row(d->held_out[i] ? th : tp, v);
        figures_range_add(&xr, v[0]);
        figures_range_add(&yr, v[1]);
        figures_range_add(&nr, v[2]);
    }
    size_t n_sizes = figures_sizes(d, sizes);
    figures_logspace(xr.lo, xr.hi, cf->n_grid, grid);
    for (size_t s = 0; s < n_sizes; s++) {
        if (s) {
            char label[64];
            snprintf(label, sizeof label, "N = %.6g", sizes[s]);
            plot_table_next_set(tc, label);
        }
        for (size_t i = 0; i < cf->n_grid; i++) {
            double l, lo, hi;
            fit_result_curve(r, &sizes[s], grid[i], 1, &l, &lo, &hi);
            double v[3] = {grid[i], l, sizes[s]};
            plot_table_row(tc, v);
        }
    }
    free(sizes), free(grid);
    struct sf_buf b;
    sf_buf_init(&b);
    figures_title(cf, &b, cf->x2_unit[0] == 't' ? "loss against tokens, " : "loss against steps, ");
    figures_set_buf(fig, "title_text", &b);
    figures_axis_label(&b, cf->x2_unit, NULL);
    figures_set_buf(fig, "xlabel_text", &b);
    figures_ylabel(cf, &b);
    figures_set_buf(fig, "ylabel_text", &b);
    sf_buf_puts(&b, "model size N (parameters)");
    figures_set_buf(fig, "cblabel_text", &b);
    figures_axis(fig, "x", xr);
    figures_axis(fig, "y", yr);
    figures_axis(fig, "cb", nr);
    sf_buf_printf(&b, "fitted points (%zu)", plot_table_rows(tp));
    figures_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (%zu)", plot_table_rows(th));
    figures_set_buf(fig, "key_heldout", &b);
    sf_buf_printf(&b, "fitted law at %zu model sizes", n_sizes);
    figures_set_buf(fig, "key_fit", &b);
    sf_buf_free(&b);
    figures_draw_one(fig, "loss_tokens", cf->figdir, cf->out, cf->diags);
}
