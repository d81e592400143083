/*
 * sweep.c — the figures of a sweep directory: figure 7 (learning curves: evaluation
 * loss against tokens, one line per run, coloured by model size on a log colour scale) read
 * from curves.csv in DESIGN.md's columns, with the data's entropy from results.csv where the
 * source knows it; figure 5 (the compute frontier) of the sweep's frontier fit; and the
 * measured KL against model size and against compute (kl.c).
 *
 * It reads the sweep's tables and draws; it runs no fit and changes no file but OUT/figures/.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One run's curve in curves.csv: its rows (indices into the table), in file order. */
struct figures_sweep_run {
    const char *name;
    size_t     *rows;
    size_t      n, cap;
};

/* The value of a numeric field, or NAN when it is empty or not a finite number. */
static double figures_sweep_num(const struct sf_csv *csv, size_t row, long col) {
    double v;
    if (col < 0 || (size_t)col >= csv->rows[row].n_fields) return NAN;
    if (!sf_parse_double(csv->rows[row].fields[col], &v) || !isfinite(v)) return NAN;
    return v;
}

/* The data's entropy from results.csv: bayes_loss when every run that gives it agrees (one
 * data source), else NAN. */
static double figures_sweep_entropy(const char *sweep_dir) {
    char *path = sf_path_join(sweep_dir, "results.csv");
    if (path == NULL || !sf_path_exists(path)) {
        free(path);
        return NAN;
    }
    struct sf_csv   csv;
    struct sf_error err;
    double          h = NAN;
    if (sf_csv_read(path, &csv, &err) == SF_OK) {
        long col  = sf_csv_column(&csv, "bayes_loss");
        bool same = col >= 0;
        for (size_t i = 0; same && i < csv.n_rows; i++) {
            double v = figures_sweep_num(&csv, i, col);
            if (isnan(v)) continue;
            if (isnan(h))
                h = v;
            else if (v != h)
                same = false;
        }
        if (!same) h = NAN;
        sf_csv_free(&csv);
    }
    free(path);
    return h;
}

/* Groups the rows of curves.csv by run, in order of first appearance. Returns the number of
 * runs (0 with *runs NULL when out of memory or empty). */
static size_t figures_sweep_group(const struct sf_csv *csv, long run_col,
                                  struct figures_sweep_run **runs) {
    struct figures_sweep_run *v = calloc(csv->n_rows ? csv->n_rows : 1, sizeof *v);
    size_t                    n = 0;
    if (v == NULL) {
        *runs = NULL;
        return 0;
    }
    for (size_t i = 0; i < csv->n_rows; i++) {
        const char *name = csv->rows[i].fields[run_col];
        size_t      k    = 0;
        /* Rows of one run are contiguous in a collected sweep: look at the last run first. */
        if (n > 0 && strcmp(v[n - 1].name, name) == 0)
            k = n - 1;
        else {
            for (k = 0; k < n && strcmp(v[k].name, name) != 0; k++) {
            }
            if (k == n) v[n++].name = name;
        }
        if (v[k].n == v[k].cap) {
            size_t  cap  = v[k].cap ? 2 * v[k].cap : 16;
            size_t *rows = realloc(v[k].rows, cap * sizeof *rows);
            if (rows == NULL) {
                for (size_t j = 0; j < n; j++)
                    free(v[j].rows);
                free(v);
                *runs = NULL;
                return 0;
            }
            v[k].rows = rows;
            v[k].cap  = cap;
        }
        v[k].rows[v[k].n++] = i;
    }
    *runs = v;
    return n;
}

void figures_sweep_lines(const struct sf_csv *csv, long c_run, long c_x, long c_y, long c_size,
                         struct plot_table *t, struct figures_sweep_set *set) {
    memset(set, 0, sizeof *set);
    set->x = set->y = set->size = figures_range_new(true);
    struct figures_sweep_run *runs;
    size_t                    n_runs = figures_sweep_group(csv, c_run, &runs);
    for (size_t k = 0; k < n_runs; k++) {
        bool started = false;
        for (size_t j = 0; j < runs[k].n; j++) {
            size_t i    = runs[k].rows[j];
            double v[3] = {figures_sweep_num(csv, i, c_x), figures_sweep_num(csv, i, c_y),
                           figures_sweep_num(csv, i, c_size)};
            /* Points that cannot go on log axes (a diverged run's NaN, a step-0 row) are left
             * out; the size colours the line, so a run without one is left out whole. */
            if (!(v[0] > 0) || !(v[1] > 0)) continue;
            if (!(v[2] > 0)) {
                set->unsized += !started;
                break;
            }
            if (!started && set->drawn_runs > 0) plot_table_next_set(t, runs[k].name);
            started = true;
            plot_table_row(t, v);
            figures_range_add(&set->x, v[0]);
            figures_range_add(&set->y, v[1]);
            figures_range_add(&set->size, v[2]);
        }
        set->drawn_runs += started;
    }
    for (size_t k = 0; k < n_runs; k++)
        free(runs[k].rows);
    free(runs);
}

/* Figure 7 from curves.csv. */
static void figures_sweep_curves(const char *sweep_dir, const char *figdir,
                                 struct figures_list *out, struct sf_diags *diags) {
    char *path = sf_path_join(sweep_dir, "curves.csv");
    if (path == NULL) {
        figures_skip(out, diags, "curves", "out of memory");
        return;
    }
    struct sf_csv   csv;
    struct sf_error err;
    if (sf_csv_read(path, &csv, &err) != SF_OK) {
        figures_skip(out, diags, "curves", "%s%s%s", err.where, err.where[0] ? ": " : "",
                     err.message);
        free(path);
        return;
    }
    /* The main grid's curves (a stage's runs start from other runs and are fitted on their own). */
    sf_csv_keep(&csv, "stage", "main");
    long c_run = sf_csv_column(&csv, "run"), c_size = sf_csv_column(&csv, "params_nonembed");
    long c_tok = sf_csv_column(&csv, "tokens"), c_loss = sf_csv_column(&csv, "eval_loss");
    long c_cv = sf_csv_column(&csv, "eval_loss_cv");
    if (c_run < 0 || c_size < 0 || c_tok < 0 || c_loss < 0) {
        figures_skip(out, diags, "curves",
                     "%s lacks a column of run, params_nonembed, tokens, "
                     "eval_loss",
                     path);
        sf_csv_free(&csv);
        free(path);
        return;
    }
    /* The control-variate loss when the whole table has it (DESIGN.md: sweep fits use it). */
    bool use_cv = c_cv >= 0 && csv.n_rows > 0;
    for (size_t i = 0; use_cv && i < csv.n_rows; i++)
        if (isnan(figures_sweep_num(&csv, i, c_cv))) use_cv = false;
    struct plot_figure      *fig = plot_figure_alloc("curves", "curves");
    struct plot_table       *tc  = plot_figure_table(fig, "curves", "tokens loss params");
    struct figures_sweep_set set;
    figures_sweep_lines(&csv, c_run, c_tok, use_cv ? c_cv : c_loss, c_size, tc, &set);
    sf_csv_free(&csv);
    if (set.drawn_runs == 0) {
        plot_figure_free(fig);
        figures_skip(out, diags, "curves",
                     "%s has no run with a positive loss, token count and "
                     "size",
                     path);
        free(path);
        return;
    }
    free(path);
    double h = figures_sweep_entropy(sweep_dir);
    if (h > 0) set.y.lo = fmin(set.y.lo, h);
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b, "learning curves: %zu runs", set.drawn_runs);
    if (set.unsized) sf_buf_printf(&b, " (%zu without a size left out)", set.unsized);
    sf_buf_puts(&b, ", model sizes ");
    plot_label_number(&b, set.size.lo, 3);
    sf_buf_puts(&b, " to ");
    plot_label_number(&b, set.size.hi, 3);
    sf_buf_puts(&b, " parameters");
    plot_figure_set_text(fig, "title_text", b.data);
    b.len = 0;
    plot_figure_set_text(fig, "xlabel_text", "training data D (tokens)");
    plot_figure_set_text(fig, "ylabel_text",
                         use_cv ? "eval loss, control variate (nats/token)"
                                : "eval loss (nats/token)");
    plot_figure_set_text(fig, "cblabel_text", "model size N (non-embedding parameters)");
    figures_axis_span(fig, "x", set.x.lo, set.x.hi, true);
    figures_axis_span(fig, "y", set.y.lo, set.y.hi, true);
    figures_axis_span(fig, "cb", set.size.lo, set.size.hi, true);
    plot_figure_set_text(fig, "key_curves", "one line per run, coloured by model size");
    plot_figure_set_int(fig, "has_const", h > 0);
    plot_figure_set_num(fig, "linf", h);
    sf_buf_puts(&b, "entropy of the data (Bayes loss) = ");
    plot_label_number(&b, h, 4);
    plot_figure_set_text(fig, "key_const", b.data);
    sf_buf_free(&b);
    figures_draw_one(fig, "curves", figdir, out, diags);
}

void figures_sweep_draw(const char *sweep_dir, const struct figures_sweep_fits *fits,
                        struct figures_list *out, struct sf_diags *diags) {
    const struct fit_result *frontier = fits->frontier;
    figures_list_init(out);
    char *figdir = sf_path_join(sweep_dir, "figures");
    if (figdir == NULL) {
        figures_skip(out, diags, "all figures", "out of memory");
        return;
    }
    figures_sweep_curves(sweep_dir, figdir, out, diags);
    if (frontier != NULL) {
        if (fit_law_fits_curves(frontier->law))
            figures_frontier(frontier, figdir, out, diags);
        else
            figures_skip(out, diags, "frontier", "the fit given is %s, not frontier",
                         fit_law_name(frontier->law));
    }
    figures_sweep_kl(sweep_dir, figdir, fits, out, diags);
    figures_sweep_classify(sweep_dir, figdir, fits, out, diags);
    figures_sweep_mi(sweep_dir, figdir, fits, out, diags);
    figures_sweep_positions(sweep_dir, figdir, out, diags);
    if (fits->sample_unit != NULL && strcmp(fits->sample_unit, "frame") == 0)
        figures_sweep_frames(sweep_dir, figdir, out, diags);
    figures_sweep_problems(sweep_dir, figdir, fits, out, diags);
    figures_sweep_resolutions(fits, figdir, out, diags);
    figures_sweep_divergences(sweep_dir, figdir, fits, out, diags);
    free(figdir);
}
