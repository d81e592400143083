/*
 * positions.c — the sweep figure "positions": the loss by position of each run's last
 * evaluation (the sweep's positions.csv) on log axes, one line per run of the main grid coloured
 * by model size, with the Bayes loss by position where the source knows it (Kaplan et al. and
 * Henighan et al.: the loss falls as a power law plus a constant in the position, larger models
 * gaining more at later positions); and "frames", the same summed over each frame of a video
 * clip.
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

/* The pixels of a frame: results.csv's sample_tokens of its first main run that has it (0:
 * none). */
static size_t figures_frame_tokens(const char *sweep_dir) {
    struct sf_csv csv;
    double        v = 0;
    if (!figures_sweep_table(sweep_dir, "results.csv", true, &csv)) return 0;
    long c = sf_csv_column(&csv, "sample_tokens");
    for (size_t i = 0; c >= 0 && i < csv.n_rows && !(v >= 1); i++)
        if (!sf_parse_double(csv.rows[i].fields[c], &v)) v = 0;
    sf_csv_free(&csv);
    return v >= 1 ? (size_t)v : 0;
}

void figures_sweep_frames(const char *sweep_dir, const char *figdir, struct figures_list *out,
                          struct sf_diags *diags) {
    size_t        RR = figures_frame_tokens(sweep_dir);
    struct sf_csv csv;
    if (RR == 0 || !figures_sweep_table(sweep_dir, "positions.csv", true, &csv)) return;
    long c_run = sf_csv_column(&csv, "run"), c_n = sf_csv_column(&csv, "params_nonembed");
    long c_t = sf_csv_column(&csv, "position"), c_l = sf_csv_column(&csv, "loss");
    if (c_run < 0 || c_n < 0 || c_t < 0 || c_l < 0) {
        sf_csv_free(&csv);
        return;
    }
    struct plot_figure  *fig = plot_figure_alloc("frames", "frames");
    struct plot_table   *tl  = plot_figure_table(fig, "lines", "frame loss params");
    struct figures_range xr = figures_range_new(false), yr = figures_range_new(true);
    struct figures_range nr   = figures_range_new(true);
    size_t               runs = 0;
    for (size_t i = 0; i < csv.n_rows;) {
        const char *run = csv.rows[i].fields[c_run];
        double      n = NAN, frame[64] = {0};
        size_t      F = 0;
        for (; i < csv.n_rows && strcmp(csv.rows[i].fields[c_run], run) == 0; i++) {
            double p, l;
            if (!sf_parse_double(csv.rows[i].fields[c_n], &n) ||
                !sf_parse_double(csv.rows[i].fields[c_t], &p) ||
                !sf_parse_double(csv.rows[i].fields[c_l], &l) || (size_t)p / RR >= 64)
                continue;
            frame[(size_t)p / RR] += l;
            F = (size_t)p / RR + 1 > F ? (size_t)p / RR + 1 : F;
        }
        if (!(n > 0) || F < 2) continue;
        plot_table_next_set(tl, run);
        for (size_t f = 0; f < F; f++) {
            double v[3] = {(double)(f + 1), frame[f], n};
            if (!(v[1] > 0)) continue;
            plot_table_row(tl, v);
            figures_range_add(&xr, v[0]);
            figures_range_add(&yr, v[1]);
        }
        figures_range_add(&nr, n);
        runs++;
    }
    sf_csv_free(&csv);
    if (runs == 0) {
        plot_figure_free(fig);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b, "loss per frame: %zu runs", runs);
    figures_set_buf(fig, "title_text", &b);
    sf_buf_printf(&b, "nats per frame of %zu pixels, last evaluation", RR);
    figures_set_buf(fig, "ylabel_text", &b);
    sf_buf_free(&b);
    plot_figure_set_text(fig, "xlabel_text", "frame of the clip");
    plot_figure_set_text(fig, "cblabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "key_lines", "one line per run, coloured by model size");
    figures_axis_span(fig, "x", 0.8, xr.hi + 0.2, false);
    figures_axis(fig, "y", yr);
    figures_axis_span(fig, "cb", nr.lo, nr.hi, true);
    figures_draw_one(fig, "frames", figdir, out, diags);
}
