/*
 * positions.c — the sweep figure "positions": the loss by position of each run's last
 * evaluation (the sweep's positions.csv) on log axes, one line per run of the main grid coloured
 * by model size, with the Bayes loss by position where the source knows it (Kaplan et al. and
 * Henighan et al.: the loss falls as a power law plus a constant in the position, larger models
 * gaining more at later positions).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void figures_sweep_positions(const char *sweep_dir, const char *figdir, struct figures_list *out,
                             struct sf_diags *diags) {
    /* Problems with answers start at random offsets in their windows: no figure by position. */
    struct sf_csv csv;
    if (figures_sweep_table(sweep_dir, "problems.csv", true, &csv)) {
        sf_csv_free(&csv);
        return;
    }
    if (!figures_sweep_table(sweep_dir, "positions.csv", true, &csv)) return;
    long c_run = sf_csv_column(&csv, "run"), c_n = sf_csv_column(&csv, "params_nonembed");
    long c_t = sf_csv_column(&csv, "position"), c_l = sf_csv_column(&csv, "loss");
    long c_b = sf_csv_column(&csv, "bayes_loss");
    if (c_run < 0 || c_n < 0 || c_t < 0 || c_l < 0 || csv.n_rows == 0) {
        sf_csv_free(&csv);
        return;
    }
    struct plot_figure      *fig = plot_figure_alloc("positions", "positions");
    struct plot_table       *tl  = plot_figure_table(fig, "lines", "position loss params");
    struct plot_table       *tb  = plot_figure_table(fig, "bayes", "position loss");
    struct figures_sweep_set set;
    figures_sweep_lines(&csv, c_run, c_t, c_l, c_n, tl, &set);
    /* The Bayes loss by position: the same eval set for every run, so the first run's. */
    const char *first = csv.rows[0].fields[c_run];
    for (size_t i = 0; c_b >= 0 && i < csv.n_rows && strcmp(csv.rows[i].fields[c_run], first) == 0;
         i++) {
        double v[2];
        if (!sf_parse_double(csv.rows[i].fields[c_t], &v[0]) ||
            !sf_parse_double(csv.rows[i].fields[c_b], &v[1]) || !(v[1] > 0))
            continue;
        plot_table_row(tb, v);
        set.y.lo = fmin(set.y.lo, v[1]);
        set.y.hi = fmax(set.y.hi, v[1]);
    }
    sf_csv_free(&csv);
    if (set.drawn_runs == 0) {
        plot_figure_free(fig);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b, "loss by position: %zu runs, model sizes ", set.drawn_runs);
    plot_label_number(&b, set.size.lo, 3);
    sf_buf_puts(&b, " to ");
    plot_label_number(&b, set.size.hi, 3);
    figures_set_buf(fig, "title_text", &b);
    plot_figure_set_text(fig, "xlabel_text",
                         "position t in the window (t = 1: the first prediction)");
    plot_figure_set_text(fig, "ylabel_text", "eval loss at t, last evaluation (nats/token)");
    plot_figure_set_text(fig, "cblabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "key_lines", "one line per run, coloured by model size");
    plot_figure_set_text(fig, "key_bayes", "Bayes loss at t (the source's true predictive)");
    figures_axis_span(fig, "x", set.x.lo, set.x.hi, true);
    figures_axis_span(fig, "y", set.y.lo, set.y.hi, true);
    figures_axis_span(fig, "cb", set.size.lo, set.size.hi, true);
    sf_buf_free(&b);
    figures_draw_one(fig, "positions", figdir, out, diags);
}
