/*
 * mi.c — the sweep figures of the mutual information between a sample's two parts: "mi", each
 * run's estimate (the second part's loss after a blanked first part less after the true one)
 * against model size N with the `log` law fitted to it and the bound or the truth the source
 * knows; "mi_losses", the two losses it is the difference of, against N.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The done runs of results.csv with a mutual information: (N, I) into ti, (N, loss after the
 * true first part) into tt, (N, after a blank) into tb; *bound the first bound or truth given
 * (mutual_information, else caption_entropy), *exact whether it is the truth. */
static size_t figures_mi_points(const char *sweep_dir, struct plot_table *ti, struct plot_table *tt,
                                struct plot_table *tb, struct figures_range *nr,
                                struct figures_range *ir, struct figures_range *lr, double *bound,
                                bool *exact) {
    struct sf_csv csv;
    *bound = NAN;
    *exact = false;
    if (!figures_sweep_table(sweep_dir, "results.csv", true, &csv)) return 0;
    long   c_st = sf_csv_column(&csv, "status"), c_n = sf_csv_column(&csv, "params_nonembed");
    long   c_mi = sf_csv_column(&csv, "final_mi"), c_pt = sf_csv_column(&csv, "final_part_loss");
    long   c_pb = sf_csv_column(&csv, "final_part_loss_blank");
    long   c_ex = sf_csv_column(&csv, "mutual_information");
    long   c_h  = sf_csv_column(&csv, "caption_entropy");
    size_t n    = 0;
    for (size_t i = 0;
         c_st >= 0 && c_n >= 0 && c_mi >= 0 && c_pt >= 0 && c_pb >= 0 && i < csv.n_rows; i++) {
        char **f = csv.rows[i].fields;
        double v[3], e;
        if (strcmp(f[c_st], "done") != 0 || !sf_parse_double(f[c_n], &v[0]) || !(v[0] > 0) ||
            !sf_parse_double(f[c_mi], &v[1]))
            continue;
        double w[2] = {v[0], v[1]};
        plot_table_row(ti, w);
        figures_range_add(nr, v[0]);
        figures_range_add(ir, v[1]);
        if (sf_parse_double(f[c_pt], &v[2]) && v[2] > 0) {
            double p[2] = {v[0], v[2]};
            plot_table_row(tt, p);
            figures_range_add(lr, v[2]);
        }
        if (sf_parse_double(f[c_pb], &v[2]) && v[2] > 0) {
            double p[2] = {v[0], v[2]};
            plot_table_row(tb, p);
            figures_range_add(lr, v[2]);
        }
        if (isnan(*bound) && c_ex >= 0 && sf_parse_double(f[c_ex], &e)) *bound = e, *exact = true;
        if (isnan(*bound) && c_h >= 0 && sf_parse_double(f[c_h], &e)) *bound = e;
        n++;
    }
    sf_csv_free(&csv);
    return n;
}

void figures_sweep_mi(const char *sweep_dir, const char *figdir,
                      const struct figures_sweep_fits *fits, struct figures_list *out,
                      struct sf_diags *diags) {
    struct plot_figure  *fig = plot_figure_alloc("mi", "mi");
    struct plot_figure  *fl  = plot_figure_alloc("mi_losses", "mi_losses");
    struct plot_table   *ti  = plot_figure_table(fig, "points", "N mi");
    struct plot_table   *tf  = plot_figure_table(fig, "fit", "N mi");
    struct plot_table   *tt  = plot_figure_table(fl, "true", "N loss");
    struct plot_table   *tb  = plot_figure_table(fl, "blank", "N loss");
    struct figures_range nr = figures_range_new(true), ir = figures_range_new(false);
    struct figures_range lr = figures_range_new(true);
    double               bound;
    bool                 exact;
    if (figures_mi_points(sweep_dir, ti, tt, tb, &nr, &ir, &lr, &bound, &exact) == 0) {
        plot_figure_free(fig);
        plot_figure_free(fl);
        return;
    }
    struct sf_buf b;
    sf_buf_init(&b);
    if (fits->mi != NULL) {
        figures_law_curve(fits->mi, false, nr, FIGURES_MIN_GRID, tf, &ir);
        sf_buf_printf(&b, "%s: ", fits->mi_name);
        figures_formula(fits->mi, "N", &b);
        figures_set_buf(fig, "key_fit", &b);
    }
    figures_range_add(&ir, 0);
    if (isfinite(bound)) {
        figures_range_add(&ir, bound);
        plot_figure_set_num(fig, "bound", bound);
        sf_buf_puts(&b, exact ? "the exact mutual information of the source = "
                              : "the captions' entropy (the bound) = ");
        plot_label_number(&b, bound, 4);
        figures_set_buf(fig, "key_bound", &b);
    }
    plot_figure_set_text(fig, "title_text", "mutual information between the two parts");
    plot_figure_set_text(fig, "xlabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "ylabel_text", "I (nats per sample)");
    plot_figure_set_text(fig, "key_points",
                         "each run: loss after a blank less after the true part");
    figures_axis(fig, "x", nr);
    figures_axis(fig, "y", ir);
    figures_draw_one(fig, "mi", figdir, out, diags);
    plot_figure_set_text(fl, "title_text", "the second part's loss with and without the first");
    plot_figure_set_text(fl, "xlabel_text", "model size N (non-embedding parameters)");
    plot_figure_set_text(fl, "ylabel_text", "loss of the second part (nats per sample)");
    plot_figure_set_text(fl, "key_true", "after the true first part");
    plot_figure_set_text(fl, "key_blank", "after a blanked first part");
    figures_axis(fl, "x", nr);
    figures_axis(fl, "y", lr);
    figures_draw_one(fl, "mi_losses", figdir, out, diags);
    sf_buf_free(&b);
}
