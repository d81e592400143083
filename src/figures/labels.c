/*
 * labels.c — the text of figures: the unit of a column guessed from its name, axis labels with
 * units, the law's formula with its fitted values (a branch per law, for now), "value [lo, hi]"
 * estimates, the two-line title of a fit's figures, and filling a figure's text variables.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The unit of a column, guessed from its name: "parameters", "tokens", "FLOP", "PF-days", or
 * NULL when the name does not say. */
const char *figures_unit(const char *column) {
    if (column == NULL) return NULL;
    char   low[128];
    size_t i = 0;
    for (; column[i] && i + 1 < sizeof low; i++)
        low[i] = (char)(column[i] >= 'A' && column[i] <= 'Z' ? column[i] - 'A' + 'a' : column[i]);
    low[i] = '\0';
    if (strstr(low, "pf") && strstr(low, "day")) return "PF-days";
    if (strstr(low, "flop") || strstr(low, "compute") || strcmp(low, "c") == 0) return "FLOP";
    if (strstr(low, "param") || strcmp(low, "n") == 0 || strstr(low, "size")) return "parameters";
    if (strstr(low, "token") || strcmp(low, "d") == 0) return "tokens";
    return NULL;
}

/* The symbol of a variable in formulas: N, D or C by unit, else x. */
const char *figures_symbol(const char *unit) {
    if (unit == NULL) return "x";
    if (strcmp(unit, "parameters") == 0) return "N";
    if (strcmp(unit, "tokens") == 0) return "D";
    return "C";
}

/* An axis label with its unit: "model size N (parameters)", or the column as given. */
void figures_axis_label(struct sf_buf *b, const char *unit, const char *column) {
    if (unit == NULL) {
        plot_enhanced_escape(b, column ? column : "x");
        sf_buf_puts(b, " (units of the input column)");
    } else if (strcmp(unit, "parameters") == 0) {
        sf_buf_puts(b, "model size N (parameters)");
    } else if (strcmp(unit, "tokens") == 0) {
        sf_buf_puts(b, "training data D (tokens)");
    } else {
        sf_buf_printf(b, "compute C (%s)", unit);
    }
}

/* The x axis label of figures 1 and 2. */
void figures_xlabel(const struct figures_fit *cf, struct sf_buf *b) {
    if (cf->two_var)
        sf_buf_puts(b, "compute C = 6ND (FLOP)");
    else
        figures_axis_label(b, cf->x_unit, cf->x_column);
}

/* The loss axis label: the loss column and its unit. */
void figures_ylabel(const struct figures_fit *cf, struct sf_buf *b) {
    plot_enhanced_escape(b, cf->d->y_name ? cf->d->y_name : "loss");
    sf_buf_puts(b, " (nats/token)");
}

/* Appends "L = 1.14 + 51.2/N^{0.187} + ..." with the fitted values. */
void figures_formula(const struct fit_result *r, const char *sym, struct sf_buf *b) {
    const int k = FIGURES_DIGITS;
    switch (r->law) {
    case FIT_LAW_POWER:
        sf_buf_puts(b, "L = (");
        plot_label_number(b, figures_param(r, "x0"), k);
        sf_buf_printf(b, "/%s)^{", sym);
        plot_label_number(b, figures_param(r, "alpha"), k);
        sf_buf_puts(b, "}");
        break;
    case FIT_LAW_POWER_CONST:
    case FIT_LAW_FRONTIER:
        sf_buf_puts(b, "L = ");
        plot_label_number(b, figures_param(r, "L_inf"), k);
        sf_buf_puts(b, " + (");
        plot_label_number(b, figures_param(r, r->law == FIT_LAW_FRONTIER ? "C0" : "x0"), k);
        sf_buf_printf(b, "/%s)^{", sym);
        plot_label_number(b, figures_param(r, r->law == FIT_LAW_FRONTIER ? "alpha_C" : "alpha"), k);
        sf_buf_puts(b, "}");
        break;
    case FIT_LAW_CHINCHILLA:
        sf_buf_puts(b, "L = ");
        plot_label_number(b, figures_param(r, "E"), k);
        sf_buf_puts(b, " + ");
        plot_label_number(b, figures_param(r, "A"), k);
        sf_buf_puts(b, "/N^{");
        plot_label_number(b, figures_param(r, "alpha"), k);
        sf_buf_puts(b, "} + ");
        plot_label_number(b, figures_param(r, "B"), k);
        sf_buf_puts(b, "/D^{");
        plot_label_number(b, figures_param(r, "beta"), k);
        sf_buf_puts(b, "}");
        break;
    case FIT_LAW_KAPLAN_ND:
        sf_buf_puts(b, "L = ((");
        plot_label_number(b, figures_param(r, "N_c"), k);
        sf_buf_puts(b, "/N)^{");
        plot_label_number(b, figures_param(r, "alpha_N") / figures_param(r, "alpha_D"), k);
        sf_buf_puts(b, "} + ");
        plot_label_number(b, figures_param(r, "D_c"), k);
        sf_buf_puts(b, "/D)^{");
        plot_label_number(b, figures_param(r, "alpha_D"), k);
        sf_buf_puts(b, "}");
        break;
    default: break;
    }
}

/* Appends "value [lo, hi]" (the interval only when it is known). */
void figures_estimate(struct sf_buf *b, const struct fit_estimate *e) {
    plot_label_number(b, e->estimate, FIGURES_DIGITS);
    if (isfinite(e->lo) && isfinite(e->hi)) {
        sf_buf_puts(b, " [");
        plot_label_number(b, e->lo, FIGURES_DIGITS);
        sf_buf_puts(b, ", ");
        plot_label_number(b, e->hi, FIGURES_DIGITS);
        sf_buf_puts(b, "]");
    }
}

/* The name of the constant in labels: L_∞ or E. */
const char *figures_const_name(const struct fit_result *r) {
    return r->law == FIT_LAW_CHINCHILLA ? "E" : "L_∞";
}

/* The two-line title shared by figures of a fit: what was fitted, then the law's values. */
void figures_title(const struct figures_fit *cf, struct sf_buf *b, const char *what) {
    const struct fit_result *r = cf->r;
    sf_buf_printf(b, "%s", what);
    plot_enhanced_escape(b, fit_law_name(r->law));
    sf_buf_puts(b, " fit of ");
    plot_enhanced_escape(b, cf->d->y_name ? cf->d->y_name : "loss");
    size_t n_hold = cf->frontier ? 0 : cf->d->n - r->n_fit;
    if (cf->frontier)
        sf_buf_printf(b, ": envelope of %zu learning curves", cf->d->n_runs);
    else
        sf_buf_printf(b, ": %zu points", r->n_fit);
    if (n_hold) sf_buf_printf(b, ", %zu held out", n_hold);
    sf_buf_puts(b, "\n");
    figures_formula(r, cf->frontier ? "C" : cf->x_symbol, b);
}

struct plot_figure *figures_new(const char *kind, const char *name) {
    struct plot_figure *fig = plot_figure_alloc(kind, name);
    return fig;
}

void figures_set_buf(struct plot_figure *fig, const char *var, struct sf_buf *b) {
    plot_figure_set_text(fig, var, b->data ? b->data : "");
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

/* The unit of a frontier's compute column: PF-days when its name says so, else FLOP. */
const char *figures_compute_unit(const struct fit_data *d) {
    const char *u = figures_unit(d->x1_name);
    return u && strcmp(u, "PF-days") == 0 ? "PF-days" : "FLOP";
}
