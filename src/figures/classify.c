/*
 * classify.c — the sweep figure "classify", for classification after generative training
 * (Henighan et al.): against model size N, each main run's generative loss and each run of a
 * classification stage's loss on the left axis (both nats per predicted token: a pixel, a label),
 * and the stage runs' error rate on the right, each with the law the sweep fitted to it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The done runs of results.csv: (N, best_eval_loss) of the main grid into tg, and of the first
 * stage whose runs have an error rate (N, best_eval_loss) into tc and (N, final_eval_error) into
 * te. False when no such stage run is there. */
static bool figures_classify_points(const char *sweep_dir, struct plot_table *tg,
                                    struct plot_table *tc, struct plot_table *te,
                                    struct figures_range *nr, struct figures_range *lr,
                                    struct figures_range *er, char *stage, size_t stage_len) {
    struct sf_csv csv;
    if (!figures_sweep_table(sweep_dir, "results.csv", false, &csv)) return false;
    long c_st = sf_csv_column(&csv, "status"), c_n = sf_csv_column(&csv, "params_nonembed");
    long c_l = sf_csv_column(&csv, "best_eval_loss"), c_g = sf_csv_column(&csv, "stage");
    long c_e = sf_csv_column(&csv, "final_eval_error");
    stage[0] = '\0';
    for (size_t i = 0; c_st >= 0 && c_n >= 0 && c_l >= 0 && c_g >= 0 && c_e >= 0 && i < csv.n_rows;
         i++) {
        char **f = csv.rows[i].fields;
        double n, l, e;
        if (strcmp(f[c_st], "done") != 0 || !sf_parse_double(f[c_n], &n) || !(n > 0) ||
            !sf_parse_double(f[c_l], &l) || !(l > 0))
            continue;
        double v[2] = {n, l};
        if (strcmp(f[c_g], "main") == 0) {
            plot_table_row(tg, v);
        } else if (sf_parse_double(f[c_e], &e) &&
                   (stage[0] == '\0' || strcmp(stage, f[c_g]) == 0)) {
            if (stage[0] == '\0') snprintf(stage, stage_len, "%s", f[c_g]);
            plot_table_row(tc, v);
            if (e > 0) {
                double w[2] = {n, e};
                plot_table_row(te, w);
                figures_range_add(er, e);
            }
        } else {
            continue;
        }
        figures_range_add(nr, n);
        figures_range_add(lr, l);
    }
    sf_csv_free(&csv);
    return stage[0] != '\0';
}

void figures_sweep_classify(const char *sweep_dir, const char *figdir,
                            const struct figures_sweep_fits *fits, struct figures_list *out,
                            struct sf_diags *diags) {
    struct plot_figure  *fig = plot_figure_alloc("classify", "classify");
    struct plot_table   *tg  = plot_figure_table(fig, "generative", "N loss");
    struct plot_table   *tc  = plot_figure_table(fig, "class", "N loss");
    struct plot_table   *te  = plot_figure_table(fig, "error", "N error");
    struct plot_table   *fg  = plot_figure_table(fig, "generative_fit", "N loss");
    struct plot_table   *fc  = plot_figure_table(fig, "class_fit", "N loss");
    struct plot_table   *fe  = plot_figure_table(fig, "error_fit", "N error");
    struct figures_range nr = figures_range_new(true), lr = figures_range_new(true);
    struct figures_range er = figures_range_new(true);
    char                 stage[64];
    if (!figures_classify_points(sweep_dir, tg, tc, te, &nr, &lr, &er, stage, sizeof stage)) {
        plot_figure_free(fig);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    const struct {
        const struct fit_result *r;
        const char              *name, *key, *what;
        struct plot_table       *t;
        struct figures_range    *yr;
    } laws[3] = {
        {fits->reducible, fits->reducible_name, "key_generative_fit", "generative", fg, &lr},
        {fits->class_loss, fits->class_loss_name, "key_class_fit", "classification", fc, &lr},
        {fits->class_error, fits->class_error_name, "key_error_fit", "error rate", fe, &er},
    };
    for (size_t k = 0; k < 3; k++) {
        if (laws[k].r == NULL || fit_law_n_vars(laws[k].r->law) != 1) continue;
        figures_law_curve(laws[k].r, false, nr, FIGURES_MIN_GRID, laws[k].t, laws[k].yr);
        sf_buf_printf(&b, "%s (%s): ", laws[k].name, laws[k].what);
        figures_formula(laws[k].r, "N", &b);
        figures_set_buf(fig, laws[k].key, &b);
    }
    sf_buf_printf(&b, "classification after generative training (stage %s)", stage);
    figures_set_buf(fig, "title_text", &b);
    plot_figure_set_text(fig, "xlabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "ylabel_text", "loss (nats per predicted token)");
    plot_figure_set_text(fig, "y2label_text", "error rate on the test labels");
    plot_figure_set_text(fig, "key_generative", "generative loss (per pixel)");
    plot_figure_set_text(fig, "key_class", "classification loss (per label)");
    plot_figure_set_text(fig, "key_error", "error rate (right axis)");
    figures_axis(fig, "x", nr);
    figures_axis(fig, "y", lr);
    figures_axis(fig, "y2", plot_table_rows(te) > 0 ? er : lr);
    sf_buf_free(&b);
    figures_draw_one(fig, "classify", figdir, out, diags);
}
