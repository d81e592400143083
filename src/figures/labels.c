/*
 * labels.c — the text of figures: the unit of a column guessed from its name, axis labels with
 * units, a law's label template (src/fit's table) filled with the fitted values, "value [lo, hi]"
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
    } else if (strcmp(unit, "steps") == 0) {
        sf_buf_puts(b, "training step S");
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

/* Appends a law's label template: "$k" is v[k] (k < n; a digit), "$x" the symbol `sym`, the rest
 * as written (NULL: nothing). */
void figures_label_expand(struct sf_buf *b, const char *t, const double *v, size_t n,
                          const char *sym) {
    for (; t != NULL && *t; t++) {
        if (t[0] == '$' && t[1] == 'x') {
            sf_buf_puts(b, sym);
            t++;
        } else if (t[0] == '$' && t[1] >= '0' && t[1] <= '9') {
            size_t k = (size_t)(t[1] - '0');
            plot_label_number(b, k < n ? v[k] : NAN, FIGURES_DIGITS);
            t++;
        } else {
            sf_buf_append(b, t, 1);
        }
    }
}

/* Appends "L = 1.14 + 51.2/N^{0.187} + ..." with the fitted values (the law's label). */
void figures_formula(const struct fit_result *r, const char *sym, struct sf_buf *b) {
    double v[FIT_MAX_PARAMS];
    size_t n = fit_result_label_values(r, v);
    figures_label_expand(b, fit_law_label(r->law), v, n, sym);
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

/* The name of the constant in labels: the law's (L_∞, E); laws without one write their keys with
 * L_∞ (scripts that do not show it). */
const char *figures_const_name(const struct fit_result *r) {
    const char *c = fit_law_constant_label(r->law);
    return c != NULL ? c : "L_∞";
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
        sf_buf_printf(b, ": frontier of %zu learning curves", cf->d->n_runs);
    else
        sf_buf_printf(b, ": %zu points", r->n_fit);
    if (n_hold) sf_buf_printf(b, ", %zu held out", n_hold);
    sf_buf_puts(b, "\n");
    figures_formula(r, cf->x_symbol, b);
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
