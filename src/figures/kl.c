/*
 * kl.c — the sweep's figure of the measured KL against model size, for sources that know their
 * true distribution: every done run's exact KL at its best evaluation (results.csv's
 * best_eval_kl), the KL fitted as a pure power law in N, and the reducible loss L(N) − L_inf of
 * the sweep's law of N with a constant, on log–log axes ("kl"); and the KL of every evaluation
 * against compute, one line per run, with the reducible loss L(C) − L_inf of the frontier fit
 * ("kl_compute"). Where a fitted reducible loss meets the measured KL, the law's constant is the
 * data's entropy; where it falls below, the law has taken part of the reducible loss into its
 * constant.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The done runs' (N, KL) from results.csv into fig's "points" table; false when results.csv
 * has no exact KL (a source that does not know its distribution, or an older sweep). */
static bool figures_kl_points(const char *sweep_dir, struct plot_table *t, struct figures_range *nr,
                              struct figures_range *kr) {
    struct sf_csv csv;
    if (!figures_sweep_table(sweep_dir, "results.csv", true, &csv)) return false;
    long   c_st = sf_csv_column(&csv, "status"), c_n = sf_csv_column(&csv, "params_nonembed");
    long   c_kl = sf_csv_column(&csv, "best_eval_kl");
    size_t n    = 0;
    for (size_t i = 0; c_st >= 0 && c_n >= 0 && c_kl >= 0 && i < csv.n_rows; i++) {
        double v[2];
        if (strcmp(csv.rows[i].fields[c_st], "done") != 0 ||
            !sf_parse_double(csv.rows[i].fields[c_n], &v[0]) ||
            !sf_parse_double(csv.rows[i].fields[c_kl], &v[1]) || !(v[0] > 0) || !(v[1] > 0))
            continue;
        plot_table_row(t, v);
        figures_range_add(nr, v[0]);
        figures_range_add(kr, v[1]);
        n++;
    }
    sf_csv_free(&csv);
    return n > 0;
}

bool figures_sweep_table(const char *sweep_dir, const char *name, bool main_only,
                         struct sf_csv *csv) {
    char           *path = sf_path_join(sweep_dir, name);
    struct sf_error err;
    bool            ok = path != NULL && sf_csv_read(path, csv, &err) == SF_OK;
    free(path);
    if (ok && main_only) sf_csv_keep(csv, "stage", "main");
    return ok;
}

void figures_law_curve(const struct fit_result *r, bool reducible, struct figures_range xr,
                       size_t n, struct plot_table *t, struct figures_range *yr) {
    double *grid = malloc(n * sizeof *grid);
    if (grid == NULL) return;
    figures_logspace(xr.lo, xr.hi, n, grid);
    for (size_t i = 0; i < n; i++) {
        double l, lo, hi;
        fit_result_curve(r, &grid[i], 0, 1, &l, &lo, &hi);
        double v[2] = {grid[i], reducible ? l - r->entropy.estimate : l};
        if (!(v[1] > 0)) continue;
        plot_table_row(t, v);
        figures_range_add(yr, v[1]);
    }
    free(grid);
}

/* "kl" from results.csv's best_eval_kl against params_nonembed. */
static void figures_sweep_kl_size(const char *sweep_dir, const char *figdir,
                                  const struct figures_sweep_fits *fits, struct figures_list *out,
                                  struct sf_diags *diags) {
    struct plot_figure  *fig = plot_figure_alloc("kl", "kl");
    struct plot_table   *tp  = plot_figure_table(fig, "points", "N kl");
    struct plot_table   *tf  = plot_figure_table(fig, "fit", "N kl");
    struct plot_table   *tr  = plot_figure_table(fig, "reducible", "N loss");
    struct figures_range nr = figures_range_new(true), kr = figures_range_new(true);
    if (!figures_kl_points(sweep_dir, tp, &nr, &kr)) {
        plot_figure_free(fig);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    if (fits->kl != NULL) {
        figures_law_curve(fits->kl, false, nr, FIGURES_MIN_GRID, tf, &kr);
        sf_buf_printf(&b, "%s, the KL fitted: ", fits->kl_name);
        figures_formula(fits->kl, "N", &b);
        figures_set_buf(fig, "key_fit", &b);
    }
    if (fits->reducible != NULL) {
        figures_law_curve(fits->reducible, true, nr, FIGURES_MIN_GRID, tr, &kr);
        sf_buf_printf(&b, "%s less its constant: the reducible loss it implies",
                      fits->reducible_name);
        figures_set_buf(fig, "key_reducible", &b);
    }
    sf_buf_printf(&b, "measured KL against model size: %zu runs", plot_table_rows(tp));
    figures_set_buf(fig, "title_text", &b);
    plot_figure_set_text(fig, "xlabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "ylabel_text", "KL divergence from the source (nats/token)");
    plot_figure_set_text(fig, "key_points", "exact KL of each run at its best evaluation");
    figures_axis(fig, "x", nr);
    figures_axis(fig, "y", kr);
    sf_buf_free(&b);
    figures_draw_one(fig, "kl", figdir, out, diags);
}

/* "kl_compute" from curves.csv's eval_kl against flops_6n. */
static void figures_sweep_kl_compute(const char *sweep_dir, const char *figdir,
                                     const struct figures_sweep_fits *fits,
                                     struct figures_list *out, struct sf_diags *diags) {
    const struct fit_result *frontier = fits->frontier;
    struct sf_csv            csv;
    if (!figures_sweep_table(sweep_dir, "curves.csv", true, &csv)) return;
    long c_run = sf_csv_column(&csv, "run"), c_c = sf_csv_column(&csv, "flops_6n");
    long c_kl = sf_csv_column(&csv, "eval_kl"), c_n = sf_csv_column(&csv, "params_nonembed");
    struct plot_figure      *fig = plot_figure_alloc("kl_compute", "kl_compute");
    struct plot_table       *tc  = plot_figure_table(fig, "curves", "flops kl params");
    struct plot_table       *tr  = plot_figure_table(fig, "reducible", "flops loss");
    struct plot_table       *tf  = plot_figure_table(fig, "fit", "flops kl");
    struct figures_sweep_set set = {0};
    if (c_run >= 0 && c_c >= 0 && c_kl >= 0 && c_n >= 0)
        figures_sweep_lines(&csv, c_run, c_c, c_kl, c_n, tc, &set);
    sf_csv_free(&csv);
    if (set.drawn_runs == 0) {
        plot_figure_free(fig);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    if (frontier != NULL && fit_law_has_constant(frontier->law)) {
        /* Over the compute the fit saw (its points past the warm-up), not beyond. */
        struct figures_range cr = figures_range_new(true);
        for (size_t i = 0; i < frontier->data->n; i++)
            figures_range_add(&cr, frontier->data->x1[i]);
        figures_law_curve(frontier, true, cr, FIGURES_MIN_GRID, tr, &set.y);
        sf_buf_puts(&b, "the frontier fit less its constant: the reducible loss it implies");
        figures_set_buf(fig, "key_reducible", &b);
    }
    if (fits->kl_frontier != NULL) {
        struct figures_range cr = figures_range_new(true);
        for (size_t i = 0; i < fits->kl_frontier->data->n; i++)
            figures_range_add(&cr, fits->kl_frontier->data->x1[i]);
        figures_law_curve(fits->kl_frontier, false, cr, FIGURES_MIN_GRID, tf, &set.y);
        sf_buf_printf(&b, "%s, the KL's frontier fitted: ", fits->kl_frontier_name);
        figures_formula(fits->kl_frontier, "C", &b);
        figures_set_buf(fig, "key_fit", &b);
    }
    sf_buf_printf(&b, "measured KL against compute: %zu runs", set.drawn_runs);
    figures_set_buf(fig, "title_text", &b);
    sf_buf_free(&b);
    plot_figure_set_text(fig, "xlabel_text", "compute C = 6ND (FLOP)");
    plot_figure_set_text(fig, "ylabel_text", "KL divergence from the source (nats/token)");
    plot_figure_set_text(fig, "cblabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "key_curves", "exact KL at each evaluation, one line per run");
    figures_axis(fig, "x", set.x);
    figures_axis(fig, "y", set.y);
    figures_axis_span(fig, "cb", set.size.lo, set.size.hi, true);
    figures_draw_one(fig, "kl_compute", figdir, out, diags);
}

void figures_sweep_kl(const char *sweep_dir, const char *figdir,
                      const struct figures_sweep_fits *fits, struct figures_list *out,
                      struct sf_diags *diags) {
    figures_sweep_kl_size(sweep_dir, figdir, fits, out, diags);
    figures_sweep_kl_compute(sweep_dir, figdir, fits, out, diags);
}
