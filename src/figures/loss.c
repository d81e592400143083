/*
 * loss.c — figures 1 and 2 of a fit: the loss (or the loss less the law's constant) against
 * size, tokens or compute, with the points, the law and its band, the constant and its band,
 * the held-out points and the forecasts. Two-variable laws are drawn along their
 * compute-optimal allocation (C = 6ND).
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* The keys of figure 1 or 2: the points (`below`: those at or under the constant, left off
 * a log axis), the law, its band, the constant, the extension and the forecasts. `b` is an
 * empty buffer to write with. */
static void figures_loss_keys(const struct figures_fit *cf, struct plot_figure *fig, bool reducible,
                              size_t n_points, size_t n_held, size_t below, struct sf_buf *b) {
    if (cf->frontier)
        sf_buf_printf(b, "%s (fitted, %zu)",
                      cf->r->req.frontier_hull ? "hull vertices" : "frontier points", n_points);
    else
        sf_buf_printf(b, "fitted points (%zu)", n_points);
    if (below) sf_buf_printf(b, "; %zu at or below %s not shown", below, figures_const_name(cf->r));
    figures_set_buf(fig, "key_points", b);
    sf_buf_printf(b, "held out (%zu)", n_held);
    figures_set_buf(fig, "key_heldout", b);
    sf_buf_puts(b, reducible ? "fitted law less " : "fitted law");
    if (reducible) sf_buf_puts(b, figures_const_name(cf->r));
    if (cf->two_var) sf_buf_puts(b, " at optimal N, D");
    figures_set_buf(fig, "key_fit", b);
    if (cf->r->intervals_bootstrap)
        sf_buf_printf(b, "%.0f%% band (bootstrap)", 100 * cf->r->req.params.level);
    else
        sf_buf_printf(b, "%.0f%% band (covariance)", 100 * cf->r->req.params.level);
    if (reducible) sf_buf_puts(b, " of the reducible term");
    figures_set_buf(fig, "key_band", b);
    sf_buf_printf(b, "%s = ", figures_const_name(cf->r));
    figures_estimate(b, &cf->r->entropy);
    figures_set_buf(fig, "key_const", b);
    sf_buf_puts(b, "law continued");
    figures_set_buf(fig, "key_extension", b);
    sf_buf_printf(b, "forecast%s", cf->r->req.n_predict == 1 ? "" : "s");
    figures_set_buf(fig, "key_forecast", b);
}

/* Draws figure 1 (reducible false) or 2 (reducible true). */
void figures_loss(const struct figures_fit *cf, bool reducible) {
    const struct fit_result *r    = cf->r;
    const char              *name = reducible ? "reducible" : "loss";
    struct figures_range     data_x;
    struct figures_range     xr = figures_x_range(cf, &data_x);
    if (!figures_range_ok(&data_x)) {
        figures_skip(cf->out, cf->diags, name, "no point with a positive x");
        return;
    }
    const bool           has_const = fit_law_has_constant(r->law);
    const double         c         = has_const && reducible ? r->entropy.estimate : 0;
    struct plot_figure  *fig       = plot_figure_alloc("loss", name);
    struct plot_table   *tp        = plot_figure_table(fig, "points", "x loss");
    struct plot_table   *th        = plot_figure_table(fig, "heldout", "x loss");
    struct plot_table   *tc        = plot_figure_table(fig, "curve", "x loss lo hi");
    struct plot_table   *te        = plot_figure_table(fig, "extension", "x loss lo hi");
    struct plot_table   *tf        = plot_figure_table(fig, "forecasts", "x loss lo hi");
    struct figures_range core      = figures_range_new(true), yr;
    size_t               below     = 0;
    for (size_t i = 0; i < figures_n_points(cf); i++) {
        double x, y;
        bool   held;
        figures_point(cf, i, &x, &y, &held);
        double v[2] = {x, y - c};
        if (reducible && !(v[1] > 0)) {
            below++;
            continue;
        }
        plot_table_row(held ? th : tp, v);
        figures_range_add(&core, v[1]);
    }
    /* The curve over the data (from the smallest x, forecasts included), then on to the
     * largest forecast. */
    size_t               n         = cf->n_grid;
    double              *grid      = malloc(n * sizeof *grid);
    bool                 has_band  = false;
    struct figures_range band_vals = figures_range_new(true);
    if (grid == NULL) {
        plot_figure_free(fig);
        figures_skip(cf->out, cf->diags, name, "out of memory");
        return;
    }
    for (int part = 0; part < 2; part++) {
        double lo = part == 0 ? xr.lo : data_x.hi, hi = part == 0 ? data_x.hi : xr.hi;
        if (part == 1 && !(hi > lo * (1 + 1e-9))) break;
        figures_logspace(lo, hi, n, grid);
        for (size_t i = 0; i < n; i++) {
            double v[4] = {grid[i]};
            figures_eval(cf, grid[i], reducible, &v[1], &v[2], &v[3]);
            if (reducible) {
                for (int j = 1; j < 4; j++)
                    if (!(v[j] > 0)) v[j] = NAN;
            }
            plot_table_row(part == 0 ? tc : te, v);
            figures_range_add(&core, v[1]);
            if (isfinite(v[2]) && isfinite(v[3])) has_band = true;
            figures_range_add(&band_vals, v[2]);
            figures_range_add(&band_vals, v[3]);
        }
    }
    free(grid);
    for (size_t k = 0; k < r->req.n_predict; k++) {
        const struct fit_estimate *e = &r->forecasts[k];
        double v[4] = {figures_forecast_x(cf, k), e->estimate - c, e->lo - c, e->hi - c};
        if (reducible) /* the reducible term's own interval at the forecast point */
            fit_result_reducible_curve(r, &r->req.predict[k].x1, r->req.predict[k].x2, 1, &v[1],
                                       &v[2], &v[3]);
        if (reducible)
            for (int j = 1; j < 4; j++)
                if (!(v[j] > 0)) v[j] = NAN;
        plot_table_row(tf, v);
        figures_range_add(&core, v[1]);
    }
    if (has_const && !reducible) figures_range_add(&core, r->entropy.estimate);
    yr = core;
    figures_range_add_band(&yr, &core, band_vals.lo);
    figures_range_add_band(&yr, &core, band_vals.hi);
    if (has_const && !reducible) {
        figures_range_add_band(&yr, &core, r->entropy.lo);
        figures_range_add_band(&yr, &core, r->entropy.hi);
    }
    struct sf_buf b;
    sf_buf_init(&b);
    figures_title(cf, &b, reducible ? "reducible loss, " : "");
    figures_set_buf(fig, "title_text", &b);
    figures_xlabel(cf, &b);
    figures_set_buf(fig, "xlabel_text", &b);
    if (reducible)
        sf_buf_printf(&b, "reducible loss L - %s (nats/token)", figures_const_name(r));
    else
        figures_ylabel(cf, &b);
    figures_set_buf(fig, "ylabel_text", &b);
    figures_axis(fig, "x", xr);
    figures_axis(fig, "y", yr);
    plot_figure_set_int(fig, "has_band", has_band);
    plot_figure_set_int(fig, "has_const", has_const && !reducible);
    plot_figure_set_num(fig, "linf", has_const ? r->entropy.estimate : NAN);
    plot_figure_set_num(fig, "linf_lo", has_const ? r->entropy.lo : NAN);
    plot_figure_set_num(fig, "linf_hi", has_const ? r->entropy.hi : NAN);
    plot_figure_set_int(fig, "has_const_band",
                        has_const && !reducible && isfinite(r->entropy.lo) &&
                            isfinite(r->entropy.hi));
    figures_loss_keys(cf, fig, reducible, plot_table_rows(tp), plot_table_rows(th), below, &b);
    sf_buf_free(&b);
    figures_draw_one(fig, name, cf->figdir, cf->out, cf->diags);
}
