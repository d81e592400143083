/*
 * divergences.c — the sweep figures "divergences" and "divergences_compute" (sources that know
 * their next-token distribution): every divergence of the models from the truth — forward and
 * reverse KL, Jensen–Shannon, total variation, squared Hellinger, Cauchy–Schwarz — against model
 * size N (each done main run at its best evaluation, with the pure power law fitted to it), and
 * against compute on each divergence's own frontier (its points and its law), one colour each.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const figures_div_names[6]  = {"kl", "rkl", "js", "tv", "h2", "cs"};
static const char *const figures_div_labels[6] = {"forward KL",        "reverse KL",
                                                  "Jensen–Shannon",    "total variation",
                                                  "squared Hellinger", "Cauchy–Schwarz"};

/* Each divergence's best_eval_ column of results.csv against N into t[k]. */
static void figures_div_points(const char *sweep_dir, struct plot_table *const *t,
                               struct figures_range *xr, struct figures_range *yr) {
    struct sf_csv csv;
    if (!figures_sweep_table(sweep_dir, "results.csv", true, &csv)) return;
    long c_n = sf_csv_column(&csv, "params_nonembed"), c_s = sf_csv_column(&csv, "status");
    for (size_t k = 0; k < 6 && c_n >= 0 && c_s >= 0; k++) {
        char col[32];
        snprintf(col, sizeof col, "best_eval_%s", figures_div_names[k]);
        long c = sf_csv_column(&csv, col);
        for (size_t i = 0; c >= 0 && i < csv.n_rows; i++) {
            char **f = csv.rows[i].fields;
            double v[2];
            if (strcmp(f[c_s], "done") != 0 || !sf_parse_double(f[c_n], &v[0]) ||
                !sf_parse_double(f[c], &v[1]) || !(v[0] > 0) || !(v[1] > 0))
                continue;
            plot_table_row(t[k], v);
            figures_range_add(xr, v[0]);
            figures_range_add(yr, v[1]);
        }
    }
    sf_csv_free(&csv);
}

/* One figure: the points already in t, each law r[k] over xr into its fit table. */
static void figures_div_draw(struct plot_figure *fig, const struct fit_result *const *r,
                             const char *const *names, struct plot_table *const *tf,
                             struct figures_range xr, struct figures_range yr, bool compute,
                             const char *figdir, struct figures_list *out, struct sf_diags *diags) {
    struct sf_buf b;
    sf_buf_init(&b);
    for (size_t k = 0; k < 6; k++) {
        char key[32];
        snprintf(key, sizeof key, "key_%s", figures_div_names[k]);
        plot_figure_set_text(fig, key, figures_div_labels[k]);
        snprintf(key, sizeof key, "key_%s_fit", figures_div_names[k]);
        if (r[k] != NULL && xr.lo <= xr.hi) {
            double x[FIGURES_MIN_GRID], y[FIGURES_MIN_GRID], lo[FIGURES_MIN_GRID],
                hi[FIGURES_MIN_GRID];
            for (size_t i = 0; i < FIGURES_MIN_GRID; i++)
                x[i] = xr.lo * pow(xr.hi / xr.lo, (double)i / (FIGURES_MIN_GRID - 1));
            fit_result_curve(r[k], x, 0, FIGURES_MIN_GRID, y, lo, hi);
            for (size_t i = 0; i < FIGURES_MIN_GRID; i++) {
                double v[2] = {x[i], y[i]};
                if (v[1] > 0) plot_table_row(tf[k], v), figures_range_add(&yr, v[1]);
            }
            sf_buf_printf(&b, "%s: ", names[k]);
            figures_formula(r[k], compute ? "C" : "N", &b);
        }
        figures_set_buf(fig, key, &b);
    }
    sf_buf_free(&b);
    plot_figure_set_text(fig, "title_text",
                         compute ? "divergences to the truth on their compute frontiers"
                                 : "divergences to the truth against model size");
    plot_figure_set_text(fig, "xlabel_text",
                         compute ? "compute C = 6ND (FLOP)"
                                 : "model size N (non-embedding parameters)");
    plot_figure_set_text(fig, "ylabel_text",
                         compute ? "divergence on its frontier (nats/token)"
                                 : "divergence, best evaluation (nats/token)");
    figures_axis(fig, "x", xr);
    figures_axis(fig, "y", yr);
    figures_draw_one(fig, compute ? "divergences_compute" : "divergences", figdir, out, diags);
}

void figures_sweep_divergences(const char *sweep_dir, const char *figdir,
                               const struct figures_sweep_fits *fits, struct figures_list *out,
                               struct sf_diags *diags) {
    for (int compute = 0; compute < 2; compute++) {
        struct plot_figure *fig =
            plot_figure_alloc("divergences", compute ? "divergences_compute" : "divergences");
        struct plot_table *t[6], *tf[6];
        for (size_t k = 0; k < 6; k++) {
            char name[16];
            t[k] = plot_figure_table(fig, figures_div_names[k], compute ? "C value" : "N value");
            snprintf(name, sizeof name, "%s_fit", figures_div_names[k]);
            tf[k] = plot_figure_table(fig, name, compute ? "C value" : "N value");
        }
        struct figures_range            xr = figures_range_new(true), yr = figures_range_new(true);
        const struct fit_result *const *r = compute ? fits->div_c : fits->div_n;
        if (!compute) {
            figures_div_points(sweep_dir, t, &xr, &yr);
        } else {
            /* each law's own frontier: the points before its flat tail */
            for (size_t k = 0; k < 6; k++) {
                if (r[k] == NULL) continue;
                const struct fit_frontier *fr = &r[k]->frontier;
                for (size_t i = 0; i < fr->n_front; i++) {
                    double v[2] = {fr->env_c[i], fr->env_l[i]};
                    if (!(v[0] > 0) || !(v[1] > 0)) continue;
                    plot_table_row(t[k], v);
                    figures_range_add(&xr, v[0]);
                    figures_range_add(&yr, v[1]);
                }
            }
        }
        /* Only with a divergence beside forward KL (the kl figures draw that one alone). */
        bool any = false;
        for (size_t k = 1; k < 6; k++)
            any |= plot_table_rows(t[k]) > 0;
        if (!any) {
            plot_figure_free(fig);
            continue;
        }
        figures_div_draw(fig, r, compute ? fits->div_c_names : fits->div_n_names, tf, xr, yr,
                         compute, figdir, out, diags);
    }
}
