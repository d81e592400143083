/*
 * kl.c — the sweep's figure of the measured KL against model size, for sources that know their
 * true distribution: every done run's exact KL at its best evaluation (results.csv's
 * best_eval_kl), the KL fitted as a pure power law in N, and the reducible loss L(N) − L_inf of
 * the sweep's law of N with a constant, on log–log axes. Where the two lines meet the points,
 * the constant of L(N) is the data's entropy; where L(N) − L_inf falls below the points, L(N)
 * has taken part of the reducible loss into its constant.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The done runs' (N, KL) from results.csv into fig's "points" table; false when results.csv
 * has no exact KL (a source that does not know its distribution, or an older sweep). */
static bool figures_kl_points(const char *sweep_dir, struct plot_table *t, struct figures_range *nr,
                              struct figures_range *kr) {
    char           *path = sf_path_join(sweep_dir, "results.csv");
    struct sf_csv   csv;
    struct sf_error err;
    if (path == NULL || sf_csv_read(path, &csv, &err) != SF_OK) {
        free(path);
        return false;
    }
    free(path);
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

/* The law r at n log-spaced sizes over nr into table t, less its constant when `reducible`;
 * values that cannot go on a log axis are left out. */
static void figures_kl_curve(const struct fit_result *r, bool reducible, struct figures_range nr,
                             size_t n, struct plot_table *t, struct figures_range *kr) {
    double *grid = malloc(n * sizeof *grid);
    if (grid == NULL) return;
    figures_logspace(nr.lo, nr.hi, n, grid);
    for (size_t i = 0; i < n; i++) {
        double l, lo, hi;
        fit_result_curve(r, &grid[i], 0, 1, &l, &lo, &hi);
        double v[2] = {grid[i], reducible ? l - r->entropy.estimate : l};
        if (!(v[1] > 0)) continue;
        plot_table_row(t, v);
        figures_range_add(kr, v[1]);
    }
    free(grid);
}

void figures_sweep_kl(const char *sweep_dir, const char *figdir,
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
        figures_kl_curve(fits->kl, false, nr, FIGURES_MIN_GRID, tf, &kr);
        sf_buf_printf(&b, "%s, the KL fitted: ", fits->kl_name);
        figures_formula(fits->kl, "N", &b);
        figures_set_buf(fig, "key_fit", &b);
    }
    if (fits->reducible != NULL) {
        figures_kl_curve(fits->reducible, true, nr, FIGURES_MIN_GRID, tr, &kr);
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
