/*
 * isoloss.c — figure 4 of a two-variable law, second part: iso-loss contours of the fitted law
 * over (N, D) on decade axes, with the data, the forecasts and the compute-optimal line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* Contour levels: values at quantiles of the observed losses, rounded to a step that keeps
 * FIGURES_CONTOUR_LEVELS levels apart over the losses' spread (0.001 for losses between 1.01
 * and 1.05, 0.1 between 2.5 and 5), distinct, ascending. */
static void figures_levels(const struct fit_data *d, struct sf_buf *b) {
    double *y = malloc((d->n ? d->n : 1) * sizeof *y);
    if (y == NULL) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < d->n; i++)
        y[i] = d->y[i];
    qsort(y, d->n, sizeof *y, figures_cmp_double);
    double spread = d->n > 0 ? y[d->n - 1] - y[0] : 0;
    double step   = spread > 0 ? pow(10, floor(log10(spread / FIGURES_CONTOUR_LEVELS)))
                               : (d->n > 0 && y[0] != 0 ? pow(10, floor(log10(fabs(y[0]))) - 1) : 1);
    double prev   = -INFINITY;
    size_t count  = 0;
    for (size_t k = 0; k < FIGURES_CONTOUR_LEVELS && d->n > 0; k++) {
        double q  = ((double)k + 0.5) / FIGURES_CONTOUR_LEVELS;
        double v  = y[(size_t)(q * (double)(d->n - 1) + 0.5)];
        double rv = round(v / step) * step;
        if (rv <= prev + 0.5 * step) continue;
        char num[32];
        snprintf(num, sizeof num, "%.6g", rv);
        sf_buf_printf(b, "%s%s", count ? "," : "", num);
        prev = rv;
        count++;
    }
    free(y);
}

/* An axis in decades: range in log10, a tick every k decades (at most 8), labelled 10^{k}. */
static void figures_decade_axis(struct plot_figure *fig, const char *axis, struct figures_range r) {
    char   var[16];
    double lo = log10(r.lo), hi = log10(r.hi);
    snprintf(var, sizeof var, "%smin", axis);
    plot_figure_set_num(fig, var, lo);
    snprintf(var, sizeof var, "%smax", axis);
    plot_figure_set_num(fig, var, hi);
    snprintf(var, sizeof var, "%stics", axis);
    plot_figure_set_textf(fig, var, "%.0f", fmax(1, ceil((hi - lo) / 8)));
    snprintf(var, sizeof var, "%sformat", axis);
    plot_figure_set_text(fig, var, "10^{%.0f}");
}

void figures_isoloss(const struct figures_fit *cf) {
    const struct fit_result *r  = cf->r;
    const struct fit_data   *d  = cf->d;
    struct figures_range     nr = figures_range_new(true), dr = figures_range_new(true);
    for (size_t i = 0; i < d->n; i++) {
        figures_range_add(&nr, d->x1[i]);
        figures_range_add(&dr, d->x2[i]);
    }
    for (size_t k = 0; k < r->req.n_predict; k++) {
        figures_range_add(&nr, r->req.predict[k].x1);
        figures_range_add(&dr, r->req.predict[k].x2);
    }
    /* A decade of room around the data shows where the contours go. */
    nr.lo /= 3, nr.hi *= 3, dr.lo /= 3, dr.hi *= 3;
    struct plot_figure *fig = plot_figure_alloc("isoloss", "isoloss");
    struct plot_table  *tg  = plot_figure_table(fig, "grid", "log10_params log10_tokens loss");
    struct plot_table  *tp  = plot_figure_table(fig, "points", "log10_params log10_tokens loss");
    struct plot_table  *th  = plot_figure_table(fig, "heldout", "log10_params log10_tokens loss");
    struct plot_table  *to  = plot_figure_table(fig, "optimal", "log10_params log10_tokens flops");
    struct plot_table  *tf  = plot_figure_table(fig, "forecasts", "log10_params log10_tokens loss");
    double             *ng  = malloc(FIGURES_CONTOUR_GRID * sizeof *ng),
           *dg              = malloc(FIGURES_CONTOUR_GRID * sizeof *dg);
    double *l               = malloc(FIGURES_CONTOUR_GRID * sizeof *l),
           *lo              = malloc(FIGURES_CONTOUR_GRID * sizeof *lo);
    double *hi              = malloc(FIGURES_CONTOUR_GRID * sizeof *hi);
    if (!ng || !dg || !l || !lo || !hi) {
        free(ng), free(dg), free(l), free(lo), free(hi);
        plot_figure_free(fig);
        figures_skip(cf->out, cf->diags, "isoloss", "out of memory");
        return;
    }
    figures_logspace(nr.lo, nr.hi, FIGURES_CONTOUR_GRID, ng);
    figures_logspace(dr.lo, dr.hi, FIGURES_CONTOUR_GRID, dg);
    /* gnuplot's grid format: one block per D, N varying inside (blank line between blocks). */
    for (size_t j = 0; j < FIGURES_CONTOUR_GRID; j++) {
        fit_result_curve(r, ng, dg[j], FIGURES_CONTOUR_GRID, l, lo, hi);
        for (size_t i = 0; i < FIGURES_CONTOUR_GRID; i++) {
            double v[3] = {log10(ng[i]), log10(dg[j]), l[i]};
            plot_table_row(tg, v);
        }
        if (j + 1 < FIGURES_CONTOUR_GRID) plot_table_break(tg);
    }
    free(ng), free(dg), free(l), free(lo), free(hi);
    for (size_t i = 0; i < d->n; i++) {
        double v[3] = {log10(d->x1[i]), log10(d->x2[i]), d->y[i]};
        plot_table_row(d->held_out[i] ? th : tp, v);
    }
    for (size_t k = 0; k < r->req.n_predict; k++) {
        double v[3] = {log10(r->req.predict[k].x1), log10(r->req.predict[k].x2),
                       r->forecasts[k].estimate};
        plot_table_row(tf, v);
    }
    bool has_opt = figures_has_allocation(r);
    if (has_opt) {
        /* The compute-optimal line across the frame: C from the smallest to the largest 6ND. */
        double c_lo = 6 * nr.lo * dr.lo, c_hi = 6 * nr.hi * dr.hi;
        size_t n = cf->n_grid;
        for (size_t i = 0; i < n; i++) {
            double c = exp(log(c_lo) + (double)i / (double)(n - 1) * (log(c_hi) - log(c_lo)));
            double nn, dd;
            fit_result_optimal_nd(r, c, &nn, &dd);
            if (nn < nr.lo || nn > nr.hi || dd < dr.lo || dd > dr.hi) continue;
            double v[3] = {log10(nn), log10(dd), c};
            plot_table_row(to, v);
        }
    }
    struct sf_buf b;
    sf_buf_init(&b);
    figures_title(cf, &b, "iso-loss contours, ");
    figures_set_buf(fig, "title_text", &b);
    figures_axis_label(&b, "parameters", NULL);
    figures_set_buf(fig, "xlabel_text", &b);
    figures_axis_label(&b, cf->x2_unit, NULL);
    figures_set_buf(fig, "ylabel_text", &b);
    figures_levels(d, &b);
    figures_set_buf(fig, "levels", &b);
    /* Axes in decades (log10 of the value), ticks labelled 10^{k}. */
    figures_decade_axis(fig, "x", nr);
    figures_decade_axis(fig, "y", dr);
    sf_buf_puts(&b, "iso-loss contours (nats/token)");
    figures_set_buf(fig, "key_contours", &b);
    const char *opt = fit_law_optimal_label(r->law);
    if (opt != NULL) {
        double dv[3] = {r->derived[0].estimate, r->derived[1].estimate, r->derived[2].estimate};
        figures_label_expand(&b, opt, dv, 3, "N");
    }
    figures_set_buf(fig, "key_optimal", &b);
    sf_buf_printf(&b, "fitted points (%zu)", plot_table_rows(tp));
    figures_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (%zu)", plot_table_rows(th));
    figures_set_buf(fig, "key_heldout", &b);
    sf_buf_printf(&b, "forecast%s", r->req.n_predict == 1 ? "" : "s");
    figures_set_buf(fig, "key_forecast", &b);
    sf_buf_free(&b);
    figures_draw_one(fig, "isoloss", cf->figdir, cf->out, cf->diags);
}
