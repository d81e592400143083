/*
 * problems.c — the sweep figure "problems", for problems with answers (the math source; Henighan
 * et al.'s mathematics figure): against model size N, each main run's loss per answer token on
 * the interpolation and the extrapolation split with the law fitted to each, one line per
 * difficulty (the sweep's problems.csv, modules pooled by answer tokens), and each split's error
 * rate of greedy decoding on the right axis.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Difficulties looked for in problems.csv (the math source's go to 9). */
#define FIGURES_MAX_DIFFICULTY 32

/* The main grid's done runs of results.csv: (N, loss) and (N, error rate) of both splits. False
 * when no run has an extrapolation loss. */
static bool figures_problems_points(const char *sweep_dir, struct plot_table *const *t,
                                    struct figures_range *nr, struct figures_range *lr,
                                    struct figures_range *er) {
    struct sf_csv csv;
    if (!figures_sweep_table(sweep_dir, "results.csv", true, &csv)) return false;
    long c_st = sf_csv_column(&csv, "status"), c_n = sf_csv_column(&csv, "params_nonembed");
    long cols[4] = {
        sf_csv_column(&csv, "final_eval_loss"), sf_csv_column(&csv, "final_extrap_loss"),
        sf_csv_column(&csv, "final_eval_error"), sf_csv_column(&csv, "final_extrap_error")};
    bool any = false;
    for (size_t i = 0; c_st >= 0 && c_n >= 0 && cols[1] >= 0 && i < csv.n_rows; i++) {
        char **f = csv.rows[i].fields;
        double n, v;
        if (strcmp(f[c_st], "done") != 0 || !sf_parse_double(f[c_n], &n) || !(n > 0)) continue;
        for (size_t k = 0; k < 4; k++) {
            if (cols[k] < 0 || !sf_parse_double(f[cols[k]], &v) || !(v > 0)) continue;
            double row[2] = {n, v};
            plot_table_row(t[k], row);
            figures_range_add(k < 2 ? lr : er, v);
            figures_range_add(nr, n);
            any |= k == 1;
        }
    }
    sf_csv_free(&csv);
    return any;
}

/* One line per difficulty from problems.csv: at each run's N, Σ loss per problem · problems over
 * Σ answer tokens · problems of that difficulty's rows (both splits: a difficulty is in one). */
static void figures_problems_difficulties(const char *sweep_dir, struct plot_table *t,
                                          struct figures_range *lr, struct figures_range *dr) {
    struct sf_csv csv;
    if (!figures_sweep_table(sweep_dir, "problems.csv", true, &csv)) return;
    long c_run = sf_csv_column(&csv, "run"), c_n = sf_csv_column(&csv, "params_nonembed");
    long c_d = sf_csv_column(&csv, "difficulty"), c_p = sf_csv_column(&csv, "problems");
    long c_a = sf_csv_column(&csv, "answer_tokens"), c_l = sf_csv_column(&csv, "loss_per_problem");
    if (c_run < 0 || c_n < 0 || c_d < 0 || c_p < 0 || c_a < 0 || c_l < 0) {
        sf_csv_free(&csv);
        return;
    }
    for (int d = 1; d <= FIGURES_MAX_DIFFICULTY; d++) {
        bool        started = false;
        const char *run     = NULL;
        double      n = 0, loss = 0, tokens = 0;
        for (size_t i = 0; i <= csv.n_rows; i++) {
            char **f    = i < csv.n_rows ? csv.rows[i].fields : NULL;
            bool   next = f == NULL || run == NULL || strcmp(f[c_run], run) != 0;
            if (next && run != NULL && tokens > 0) {
                /* runs come in order of the sweep; the lines are drawn in that order */
                double row[3] = {n, loss / tokens, (double)d};
                if (!started) {
                    char label[32];
                    snprintf(label, sizeof label, "difficulty %d", d);
                    plot_table_next_set(t, label);
                    started = true;
                }
                plot_table_row(t, row);
                figures_range_add(lr, row[1]);
                figures_range_add(dr, (double)d);
            }
            if (f == NULL) break;
            if (next) run = f[c_run], loss = tokens = 0;
            double dv, p, a, l;
            if (!sf_parse_double(f[c_d], &dv) || (int)dv != d || !sf_parse_double(f[c_n], &n) ||
                !sf_parse_double(f[c_p], &p) || !sf_parse_double(f[c_a], &a) ||
                !sf_parse_double(f[c_l], &l))
                continue;
            loss += l * p;
            tokens += a * p;
        }
    }
    sf_csv_free(&csv);
}

void figures_sweep_problems(const char *sweep_dir, const char *figdir,
                            const struct figures_sweep_fits *fits, struct figures_list *out,
                            struct sf_diags *diags) {
    struct plot_figure  *fig  = plot_figure_alloc("problems", "problems");
    struct plot_table   *t[4] = {plot_figure_table(fig, "interp", "N loss"),
                                 plot_figure_table(fig, "extrap", "N loss"),
                                 plot_figure_table(fig, "interp_error", "N error"),
                                 plot_figure_table(fig, "extrap_error", "N error")};
    struct plot_table   *fi   = plot_figure_table(fig, "interp_fit", "N loss");
    struct plot_table   *fx   = plot_figure_table(fig, "extrap_fit", "N loss");
    struct plot_table   *td   = plot_figure_table(fig, "difficulty", "N loss difficulty");
    struct figures_range nr = figures_range_new(true), lr = figures_range_new(true);
    struct figures_range er = figures_range_new(true), dr = figures_range_new(false);
    if (!figures_problems_points(sweep_dir, t, &nr, &lr, &er)) {
        plot_figure_free(fig);
        return;
    }
    figures_problems_difficulties(sweep_dir, td, &lr, &dr);
    struct sf_buf b;
    sf_buf_init(&b);
    const struct {
        const struct fit_result *r;
        const char              *name, *key, *what;
        struct plot_table       *t;
    } laws[2] = {
        {fits->reducible, fits->reducible_name, "key_interp_fit", "interpolation", fi},
        {fits->extrap, fits->extrap_name, "key_extrap_fit", "extrapolation", fx},
    };
    for (size_t k = 0; k < 2; k++) {
        if (laws[k].r == NULL || fit_law_n_vars(laws[k].r->law) != 1) continue;
        figures_law_curve(laws[k].r, false, nr, FIGURES_MIN_GRID, laws[k].t, &lr);
        sf_buf_printf(&b, "%s (%s): ", laws[k].name, laws[k].what);
        figures_formula(laws[k].r, "N", &b);
        figures_set_buf(fig, laws[k].key, &b);
    }
    plot_figure_set_text(fig, "title_text", "problems: interpolation and extrapolation");
    plot_figure_set_text(fig, "xlabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "ylabel_text", "last eval loss (nats per answer token)");
    plot_figure_set_text(fig, "y2label_text", "error rate of greedy decoding");
    plot_figure_set_text(fig, "cblabel_text", "difficulty (operand digits)");
    plot_figure_set_text(fig, "key_interp", "interpolation: unseen problems like training's");
    plot_figure_set_text(fig, "key_extrap", "extrapolation: harder problems");
    plot_figure_set_text(fig, "key_difficulty", "each difficulty, modules pooled");
    plot_figure_set_text(fig, "key_interp_error", "interpolation error rate (right axis)");
    plot_figure_set_text(fig, "key_extrap_error", "extrapolation error rate (right axis)");
    figures_axis(fig, "x", nr);
    figures_axis(fig, "y", lr);
    figures_axis(fig, "y2", er.lo <= er.hi ? er : lr);
    figures_axis_span(fig, "cb", dr.lo <= dr.hi ? dr.lo : 1, dr.lo <= dr.hi ? dr.hi : 2, false);
    sf_buf_free(&b);
    figures_draw_one(fig, "problems", figdir, out, diags);
}
