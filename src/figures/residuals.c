/*
 * residuals.c — figure 3 of a fit: ln(predicted) - ln(observed) against x for the fitted and
 * held-out points (a frontier's fitted points), coloured by tokens for two-variable laws.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

void figures_residuals(const struct figures_fit *cf) {
    const struct fit_result *r   = cf->r;
    struct plot_figure      *fig = plot_figure_alloc("residuals", "residuals");
    struct plot_table       *tp  = plot_figure_table(fig, "points", "x residual_log colour");
    struct plot_table       *th  = plot_figure_table(fig, "heldout", "x residual_log colour");
    struct figures_range     xr = figures_range_new(true), cr = figures_range_new(true);
    double                   amax = 0;
    for (size_t i = 0; i < figures_n_points(cf); i++) {
        double x, y, res, colour = NAN;
        bool   held;
        if (cf->frontier) {
            double l, lo, hi;
            figures_point(cf, i, &x, &y, &held);
            fit_result_curve(r, &x, 0, 1, &l, &lo, &hi);
            res = log(l) - log(y);
        } else {
            x    = cf->d->x1[i];
            held = cf->d->held_out[i];
            res  = r->points[i].residual_log;
            if (cf->two_var) colour = cf->d->x2[i];
        }
        double v[3] = {x, res, colour};
        plot_table_row(held ? th : tp, v);
        figures_range_add(&xr, x);
        figures_range_add(&cr, colour);
        if (isfinite(res) && fabs(res) > amax) amax = fabs(res);
    }
    if (!(amax > 0)) amax = 1e-3;
    struct figures_range yr = {-amax, amax, false};
    struct sf_buf        b;
    sf_buf_init(&b);
    figures_title(cf, &b, "residuals, ");
    figures_set_buf(fig, "title_text", &b);
    if (cf->two_var)
        figures_axis_label(&b, "parameters", NULL);
    else
        figures_axis_label(&b, cf->frontier ? "FLOP" : cf->x_unit, cf->x_column);
    if (cf->frontier && cf->x_unit && strcmp(cf->x_unit, "PF-days") == 0) {
        b.len = 0;
        figures_axis_label(&b, "PF-days", NULL);
    }
    figures_set_buf(fig, "xlabel_text", &b);
    sf_buf_puts(&b, "residual ln L_{fit} - ln L (log ratio)");
    figures_set_buf(fig, "ylabel_text", &b);
    figures_axis(fig, "x", xr);
    figures_axis(fig, "y", yr);
    bool coloured = cf->two_var && figures_range_ok(&cr);
    plot_figure_set_int(fig, "coloured", coloured);
    if (coloured) {
        struct figures_range c2 = cr;
        figures_axis(fig, "cb", c2);
        sf_buf_puts(&b, "training data D (tokens)");
        figures_set_buf(fig, "cblabel_text", &b);
    }
    sf_buf_printf(&b, "%s (RMSE %.3g)",
                  !cf->frontier          ? "fitted points"
                  : r->req.frontier_hull ? "hull vertices"
                                         : "frontier points",
                  r->rmse_log);
    figures_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (RMSE %.3g)", r->heldout_rmse_log);
    figures_set_buf(fig, "key_heldout", &b);
    sf_buf_free(&b);
    figures_draw_one(fig, "residuals", cf->figdir, cf->out, cf->diags);
}
