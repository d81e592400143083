/*
 * frontier.c — figures 5 and 6 of a frontier fit: the compute frontier (learning curves
 * coloured by model size, the running-minimum frontier with its flat stretches and tail, the
 * points L(C) was fitted to — the hull's vertices or every frontier point before the tail —,
 * the L(C) law with its band and L_inf), drawn for the fit and for the sweep alike, and the
 * optimal model size against compute with its law N_opt(C). It draws what fit_run computed and
 * computes no frontier of its own.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The model size of each run (NAN when unknown), allocated (n_runs), or NULL. */
static double *figures_run_sizes(const struct fit_data *d) {
    double *s = malloc((d->n_runs ? d->n_runs : 1) * sizeof *s);
    if (s == NULL) return NULL;
    for (size_t k = 0; k < d->n_runs; k++)
        s[k] = NAN;
    for (size_t i = 0; d->size && d->run && i < d->n; i++)
        s[d->run[i]] = d->size[i];
    return s;
}

bool figures_frontier(const struct fit_result *r, const char *figdir, struct figures_list *out,
                      struct sf_diags *diags) {
    const struct fit_data     *d      = r->data;
    const struct fit_frontier *fr     = &r->frontier;
    double                    *sizes  = figures_run_sizes(d);
    size_t                     n_grid = figures_grid_size(r);
    double                    *grid   = malloc(n_grid * sizeof *grid);
    if (sizes == NULL || grid == NULL) {
        free(sizes), free(grid);
        figures_skip(out, diags, "frontier", "out of memory");
        return false;
    }
    struct plot_figure  *fig = plot_figure_alloc("frontier", "frontier");
    struct plot_table   *tc  = plot_figure_table(fig, "curves", "flops loss params");
    struct plot_table   *te  = plot_figure_table(fig, "frontier", "flops loss");
    struct plot_table   *th  = plot_figure_table(fig, "fitted", "flops loss params");
    struct plot_table   *tf  = plot_figure_table(fig, "fit", "flops loss lo hi");
    struct figures_range xr = figures_range_new(true), core = figures_range_new(true),
                         sr = figures_range_new(true);
    /* Every learning curve (in data order, which fit_data keeps per run), one data set each. */
    for (size_t k = 0; k < d->n_runs; k++) {
        if (k) plot_table_next_set(tc, d->run_names[k]);
        for (size_t i = 0; i < d->n; i++) {
            if (d->run[i] != k || d->held_out[i]) continue;
            double v[3] = {d->x1[i], d->y[i], sizes[k]};
            plot_table_row(tc, v);
            figures_range_add(&xr, v[0]);
            figures_range_add(&core, v[1]);
        }
        figures_range_add(&sr, sizes[k]);
    }
    for (size_t i = 0; i < fr->n_env; i++) {
        double v[2] = {fr->env_c[i], fr->env_l[i]};
        plot_table_row(te, v);
    }
    /* The points L(C) was fitted to, as fit_run chose them. */
    bool   hull     = r->req.frontier_hull;
    size_t n_fitted = hull ? fr->n_hull : fr->n_front;
    for (size_t h = 0; h < n_fitted; h++) {
        size_t i    = hull ? fr->hull[h] : h;
        double v[3] = {fr->env_c[i], fr->env_l[i], sizes[fr->env_run[i]]};
        plot_table_row(th, v);
    }
    struct figures_range fit_x = figures_range_new(true);
    for (size_t i = 0; i < fr->n_env; i++)
        figures_range_add(&fit_x, fr->env_c[i]);
    for (size_t k = 0; k < r->req.n_predict; k++)
        figures_range_add(&fit_x, r->req.predict[k].x1);
    figures_range_add(&xr, fit_x.lo);
    figures_range_add(&xr, fit_x.hi);
    bool                 has_band = false;
    struct figures_range yr       = core;
    if (figures_range_ok(&fit_x)) {
        figures_logspace(fit_x.lo, fit_x.hi, n_grid, grid);
        for (size_t i = 0; i < n_grid; i++) {
            double l, lo, hi;
            fit_result_curve(r, &grid[i], 0, 1, &l, &lo, &hi);
            double v[4] = {grid[i], l, lo, hi};
            plot_table_row(tf, v);
            if (isfinite(lo) && isfinite(hi)) has_band = true;
            figures_range_add_band(&yr, &core, l);
        }
    }
    figures_range_add(&yr, r->entropy.estimate);
    free(grid);
    free(sizes);
    bool          sized = figures_range_ok(&sr);
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b,
                  "compute frontier: %zu learning curves, %zu frontier points, %zu on the hull\n",
                  d->n_runs, fr->n_env, fr->n_hull);
    figures_formula(r, "C", &b);
    figures_set_buf(fig, "title_text", &b);
    figures_axis_label(&b, figures_compute_unit(d), NULL);
    figures_set_buf(fig, "xlabel_text", &b);
    plot_enhanced_escape(&b, d->y_name ? d->y_name : "loss");
    sf_buf_puts(&b, " (nats/token)");
    figures_set_buf(fig, "ylabel_text", &b);
    figures_axis(fig, "x", xr);
    figures_axis(fig, "y", yr);
    plot_figure_set_int(fig, "sized", sized);
    if (sized) {
        figures_axis(fig, "cb", sr);
        sf_buf_puts(&b, "model size N (parameters)");
        figures_set_buf(fig, "cblabel_text", &b);
    }
    plot_figure_set_int(fig, "has_band", has_band);
    plot_figure_set_num(fig, "linf", r->entropy.estimate);
    plot_figure_set_num(fig, "linf_lo", r->entropy.lo);
    plot_figure_set_num(fig, "linf_hi", r->entropy.hi);
    plot_figure_set_int(fig, "has_const_band", isfinite(r->entropy.lo) && isfinite(r->entropy.hi));
    sf_buf_printf(&b, "learning curves (%zu)%s", d->n_runs, sized ? "" : ", sizes unknown");
    figures_set_buf(fig, "key_curves", &b);
    sf_buf_puts(&b, "frontier: lowest loss at compute ≤ C");
    figures_set_buf(fig, "key_frontier", &b);
    if (hull)
        sf_buf_printf(&b, "fitted: the hull's vertices (%zu)", n_fitted);
    else
        sf_buf_printf(&b, "fitted: every frontier point (%zu)", n_fitted);
    if (fr->n_front < fr->n_env) sf_buf_puts(&b, ", not the flat tail");
    figures_set_buf(fig, "key_fitted", &b);
    plot_figure_set_num(fig, "fitted_ps", hull ? 2.2 : 0.45);
    sf_buf_printf(&b, "L(C), fit to the %s", hull ? "hull" : "frontier");
    figures_set_buf(fig, "key_fit", &b);
    sf_buf_printf(&b, "%.0f%% band", 100 * r->req.params.level);
    figures_set_buf(fig, "key_band", &b);
    sf_buf_puts(&b, "L_∞ = ");
    figures_estimate(&b, &r->entropy);
    figures_set_buf(fig, "key_const", &b);
    sf_buf_free(&b);
    return figures_draw_one(fig, "frontier", figdir, out, diags);
}

void figures_nopt(const struct figures_fit *cf) {
    const struct fit_result   *r  = cf->r;
    const struct fit_data     *d  = cf->d;
    const struct fit_frontier *fr = &r->frontier;
    if (!fr->nopt_fitted) {
        figures_skip(cf->out, cf->diags, "nopt",
                     "the optimal-size law was not fitted (%zu hull points "
                     "with a known model size; give --n)",
                     fr->nopt_points);
        return;
    }
    double *sizes = figures_run_sizes(d);
    size_t  n     = cf->n_grid;
    double *grid = malloc(n * sizeof *grid), *v_n = malloc(n * sizeof *v_n);
    double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    if (!sizes || !grid || !v_n || !lo || !hi) {
        free(sizes), free(grid), free(v_n), free(lo), free(hi);
        figures_skip(cf->out, cf->diags, "nopt", "out of memory");
        return;
    }
    struct plot_figure  *fig = plot_figure_alloc("nopt", "nopt");
    struct plot_table   *th  = plot_figure_table(fig, "hull", "flops params");
    struct plot_table   *tf  = plot_figure_table(fig, "fit", "flops params lo hi");
    struct figures_range xr = figures_range_new(true), core = figures_range_new(true);
    for (size_t h = 0; h < fr->n_hull; h++) {
        size_t i    = fr->hull[h];
        double v[2] = {fr->env_c[i], sizes[fr->env_run[i]]};
        if (!(v[1] > 0)) continue;
        plot_table_row(th, v);
        figures_range_add(&xr, v[0]);
        figures_range_add(&core, v[1]);
    }
    for (size_t i = 0; i < fr->n_env; i++)
        figures_range_add(&xr, fr->env_c[i]);
    for (size_t k = 0; k < r->req.n_predict; k++)
        figures_range_add(&xr, r->req.predict[k].x1);
    figures_logspace(xr.lo, xr.hi, n, grid);
    fit_result_nopt_curve(r, grid, n, v_n, lo, hi);
    bool                 has_band = false;
    struct figures_range yr       = core;
    for (size_t i = 0; i < n; i++) {
        double v[4] = {grid[i], v_n[i], lo[i], hi[i]};
        plot_table_row(tf, v);
        figures_range_add(&core, v_n[i]);
        if (isfinite(lo[i]) && isfinite(hi[i])) has_band = true;
    }
    yr = core;
    for (size_t i = 0; i < n; i++) {
        figures_range_add_band(&yr, &core, lo[i]);
        figures_range_add_band(&yr, &core, hi[i]);
    }
    free(sizes), free(grid), free(v_n), free(lo), free(hi);
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_puts(&b, "optimal model size against compute: ");
    sf_buf_printf(&b, "%zu hull points of %zu learning curves\n", plot_table_rows(th), d->n_runs);
    double lv[FIT_MAX_PARAMS];
    size_t nv = fit_result_label_values(r, lv);
    figures_label_expand(&b, fit_law_nopt_label(r->law), lv, nv, "C");
    figures_set_buf(fig, "title_text", &b);
    figures_axis_label(&b, figures_compute_unit(d), NULL);
    figures_set_buf(fig, "xlabel_text", &b);
    sf_buf_puts(&b, "optimal model size N_{opt} (parameters)");
    figures_set_buf(fig, "ylabel_text", &b);
    figures_axis(fig, "x", xr);
    figures_axis(fig, "y", yr);
    plot_figure_set_int(fig, "has_band", has_band);
    sf_buf_puts(&b, "hull points: size of the run owning each");
    figures_set_buf(fig, "key_points", &b);
    sf_buf_puts(&b, "β_{opt} = ");
    for (size_t j = 0; j < r->p; j++)
        if (strcmp(r->param[j].name, "beta_opt") == 0) figures_estimate(&b, &r->param[j].value);
    figures_set_buf(fig, "key_fit", &b);
    sf_buf_printf(&b, "%.0f%% band", 100 * r->req.params.level);
    figures_set_buf(fig, "key_band", &b);
    sf_buf_free(&b);
    figures_draw_one(fig, "nopt", cf->figdir, cf->out, cf->diags);
}
