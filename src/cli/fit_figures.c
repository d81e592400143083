/*
 * fit_figures.c — the figures of one fit: which kinds apply to its law, the tables they plot
 * (computed from the fit result with fit_result_curve and fit_result_nopt_curve), the labels
 * (units on every axis, the law with its fitted values in the title), and drawing them with
 * src/plot into DIR/figures/.
 *
 *   loss         1  loss against size, tokens or compute: points, the law and its band, the
 *                   constant and its band, held-out points, forecasts (every law; two-variable
 *                   laws along their compute-optimal allocation, C = 6ND)
 *   reducible    2  loss minus the constant on log-log axes (laws with a constant)
 *   residuals    3  ln(predicted) - ln(observed) against x (every law)
 *   loss_tokens  4  loss against tokens, one fitted curve per model size (two-variable laws)
 *   isoloss      4  iso-loss contours over (N, D) and the compute-optimal line (two-variable)
 *   frontier     5  learning curves, envelope, hull, L(C) (frontier)
 *   nopt         6  optimal model size against compute with its law (frontier)
 *
 * A figure that cannot be drawn never fails the fit: it is listed as missing with the reason.
 * The numbers all come from the fit; nothing here fits or smooths anything.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fit_figures.h"
#include "plot.h"

/* The most figures one fit draws (kinds 1 to 6, kind 4 as two figures). */
#define CLI_FIG_MAX 16
/* Grid of the iso-loss contours: points along each of log N and log D. */
#define CLI_FIG_CONTOUR_GRID 61
/* Contour levels drawn (at most), placed at quantiles of the observed losses. */
#define CLI_FIG_CONTOUR_LEVELS 7
/* With more distinct model sizes than this, fig. 4 draws curves at this many sizes spread
 * evenly in log N (every point is still shown, coloured by its size). */
#define CLI_FIG_MAX_SIZE_CURVES 10
/* Margin around the data on log axes, as a fraction of the span in decades. */
#define CLI_FIG_LOG_PAD 0.04
/* How far (fraction of the data's span, in log space) a band may widen the y range before it
 * is clipped at the frame instead: a very wide interval must not squash the data. */
#define CLI_FIG_BAND_ROOM 0.35
/* Significant digits of fitted values in titles and keys. */
#define CLI_FIG_DIGITS 3
/* The fewest points a fitted curve is drawn with. */
#define CLI_FIG_MIN_GRID 50
/* Sizes count as one model size when they agree to this relative tolerance. */
#define CLI_FIG_SAME_SIZE_RTOL 1e-9

// ---- the list of figures drawn and missing ----

void cli_fit_figures_init(struct cli_fit_figures *f) {
    f->drawn     = calloc(CLI_FIG_MAX + 1, sizeof *f->drawn);
    f->missing   = calloc(CLI_FIG_MAX + 1, sizeof *f->missing);
    f->n_drawn   = 0;
    f->n_missing = 0;
}

void cli_fit_figures_free(struct cli_fit_figures *f) {
    for (size_t i = 0; f->drawn && f->drawn[i]; i++)
        free(f->drawn[i]);
    for (size_t i = 0; f->missing && f->missing[i]; i++)
        free(f->missing[i]);
    free(f->drawn);
    free(f->missing);
    f->drawn = f->missing = NULL;
}

/* Appends to one of the lists (silently drops past CLI_FIG_MAX: never more are drawn). */
static void cli_fig_list_add_impl(char **list, size_t *n, char *s) {
    if (list == NULL || s == NULL || *n >= CLI_FIG_MAX) {
        free(s);
        return;
    }
    list[(*n)++] = s;
    list[*n]     = NULL;
}

/* Prints gnuplot's messages line by line as warnings for figure `name`. */
static void cli_fig_print_lines_impl(const char *name, const char *what, const char *text) {
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t      n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0)
            fprintf(stderr, "scalefit: warning: figure %s: %s: %.*s\n", name, what, (int)n, p);
        p += n + (e != NULL);
    }
}

bool cli_fit_figures_draw_one(struct plot_figure *fig, const char *name, const char *figdir,
                              struct cli_fit_figures *out) {
    struct plot_context ctx = plot_context_default();
    struct sf_error     err;
    sf_error_clear(&err);
    char          *warnings = NULL;
    enum sf_status st       = plot_figure_draw(fig, &ctx, figdir, &warnings, &err);
    plot_figure_free(fig);
    if (st != SF_OK) {
        fprintf(stderr, "scalefit: warning: figure %s not drawn: %s\n", name, err.message);
        cli_fig_list_add_impl(out->missing, &out->n_missing,
                              sf_strdup_printf("%s: %s", name, err.message));
        return false;
    }
    if (warnings) cli_fig_print_lines_impl(name, "gnuplot", warnings);
    free(warnings);
    cli_fig_list_add_impl(out->drawn, &out->n_drawn, sf_strdup(name));
    return true;
}

void cli_fit_figures_skip(struct cli_fit_figures *out, const char *name, const char *fmt, ...) {
    char    reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    fprintf(stderr, "scalefit: warning: figure %s not drawn: %s\n", name, reason);
    cli_fig_list_add_impl(out->missing, &out->n_missing, sf_strdup_printf("%s: %s", name, reason));
}

// ---- numbers ----

/* A range of positive (log axis) or any (linear axis) finite values. */
struct cli_range {
    double lo, hi;
    bool   log_axis;
};

static struct cli_range cli_range_new(bool log_axis) {
    struct cli_range r = {INFINITY, -INFINITY, log_axis};
    return r;
}

static void cli_range_add(struct cli_range *r, double v) {
    if (!isfinite(v) || (r->log_axis && !(v > 0))) return;
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

static bool cli_range_ok(const struct cli_range *r) {
    return r->lo <= r->hi;
}

/* Pads a range (a fraction of its span; a flat range gets a small span of its own). */
static struct cli_range cli_range_padded(struct cli_range r, double frac) {
    if (!cli_range_ok(&r)) return r;
    if (r.log_axis) {
        double a = log10(r.lo), b = log10(r.hi);
        double pad = b - a > 0 ? frac * (b - a) : 0.05;
        r.lo = pow(10, a - pad), r.hi = pow(10, b + pad);
    } else {
        double pad = r.hi - r.lo > 0 ? frac * (r.hi - r.lo) : (r.hi != 0 ? 0.1 * fabs(r.hi) : 1);
        r.lo -= pad, r.hi += pad;
    }
    return r;
}

/* Adds a band value to a y range only as far as CLI_FIG_BAND_ROOM allows past `core`. */
static void cli_range_add_band(struct cli_range *r, const struct cli_range *core, double v) {
    if (!isfinite(v) || !(v > 0) || !cli_range_ok(core)) return;
    double span = log(core->hi / core->lo);
    double room = CLI_FIG_BAND_ROOM * (span > 0 ? span : 0.1);
    double lo = core->lo * exp(-room), hi = core->hi * exp(room);
    cli_range_add(r, v < lo ? lo : v > hi ? hi : v);
}

static void cli_fig_axis(struct plot_figure *fig, const char *axis, struct cli_range r) {
    if (cli_range_ok(&r) && !(r.hi > r.lo)) {
        /* One value: a span around it (a factor of two, or +-1 on a linear axis at 0). */
        if (r.log_axis)
            r.lo /= 2, r.hi *= 2;
        else if (r.lo != 0)
            r.lo -= fabs(r.lo) / 2, r.hi += fabs(r.hi) / 2;
        else
            r.lo = -1, r.hi = 1;
    }
    r = cli_range_padded(r, CLI_FIG_LOG_PAD);
    if (!cli_range_ok(&r)) r.lo = 1, r.hi = 10;
    plot_figure_set_axis(fig, axis, r.lo, r.hi, r.log_axis);
}

void cli_fit_figures_axis(struct plot_figure *fig, const char *axis, double lo, double hi,
                          bool log_axis) {
    struct cli_range r = cli_range_new(log_axis);
    cli_range_add(&r, lo);
    cli_range_add(&r, hi);
    cli_fig_axis(fig, axis, r);
}

/* n values spaced evenly in log between lo and hi. */
static void cli_fig_logspace(double lo, double hi, size_t n, double *x) {
    for (size_t i = 0; i < n; i++) {
        double t = n > 1 ? (double)i / (double)(n - 1) : 0;
        x[i]     = exp(log(lo) + t * (log(hi) - log(lo)));
    }
    if (n > 1) x[0] = lo, x[n - 1] = hi;
}

/* Points of a fitted curve: the fit's curve_points setting. */
static size_t cli_fig_grid_size(const struct fit_result *r) {
    double n = r->req.params.curve_points;
    return n >= CLI_FIG_MIN_GRID ? (size_t)n : CLI_FIG_MIN_GRID;
}

static double cli_fig_param(const struct fit_result *r, const char *name) {
    for (size_t j = 0; j < r->p; j++)
        if (r->param[j].name && strcmp(r->param[j].name, name) == 0)
            return r->param[j].value.estimate;
    return NAN;
}

// ---- what the axes are ----

/* The unit of a column, guessed from its name: "parameters", "tokens", "FLOP", "PF-days", or
 * NULL when the name does not say. */
static const char *cli_fig_unit(const char *column) {
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
static const char *cli_fig_symbol(const char *unit) {
    if (unit == NULL) return "x";
    if (strcmp(unit, "parameters") == 0) return "N";
    if (strcmp(unit, "tokens") == 0) return "D";
    return "C";
}

/* An axis label with its unit: "model size N (parameters)", or the column as given. */
static void cli_fig_axis_label(struct sf_buf *b, const char *unit, const char *column) {
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

/* Everything the figures of one fit share. */
struct cli_fig {
    const struct fit_result *r;
    const struct fit_data   *d;
    const char              *figdir;
    struct cli_fit_figures  *out;
    bool                     two_var; /* chinchilla, kaplan-nd */
    bool                     frontier;
    const char              *x_unit;   /* unit of the x of figures 1-3 */
    const char              *x_column; /* its column name (for an unknown unit) */
    const char              *x_symbol;
    size_t                   n_grid; /* points of a curve */
};

/* The x axis label of figures 1 and 2. */
static void cli_fig_xlabel(const struct cli_fig *cf, struct sf_buf *b) {
    if (cf->two_var)
        sf_buf_puts(b, "compute C = 6ND (FLOP)");
    else
        cli_fig_axis_label(b, cf->x_unit, cf->x_column);
}

/* The loss axis label: the loss column and its unit. */
static void cli_fig_ylabel(const struct cli_fig *cf, struct sf_buf *b) {
    plot_enhanced_escape(b, cf->d->y_name ? cf->d->y_name : "loss");
    sf_buf_puts(b, " (nats/token)");
}

// ---- the law ----

/* The compute-optimal allocation of a two-variable law at compute C = 6ND: chinchilla's
 * N_opt = G (C/6)^a_opt (Hoffmann 2022, Approach 3); for kaplan-nd the minimum over N of
 * L(N, C/(6N)), which has the closed form N^(p+1) = p N_c^p C / (6 D_c), p = alpha_N/alpha_D. */
static void cli_fig_allocation(const struct fit_result *r, double c, double *n, double *dd) {
    if (r->law == FIT_LAW_CHINCHILLA) {
        double a = r->derived[0].estimate, g = r->derived[2].estimate;
        *n  = g * pow(c / 6, a);
        *dd = c / 6 / *n;
        return;
    }
    double nc = cli_fig_param(r, "N_c"), an = cli_fig_param(r, "alpha_N");
    double dc = cli_fig_param(r, "D_c"), ad = cli_fig_param(r, "alpha_D");
    double p = an / ad;
    *n       = exp((log(p) + p * log(nc) + log(c) - log(6) - log(dc)) / (p + 1));
    *dd      = c / 6 / *n;
}

/* True when the law has a compute-optimal allocation to draw (finite, positive). */
static bool cli_fig_has_allocation(const struct fit_result *r) {
    double n, dd;
    if (r->law != FIT_LAW_CHINCHILLA && r->law != FIT_LAW_KAPLAN_ND) return false;
    cli_fig_allocation(r, 1e20, &n, &dd);
    return isfinite(n) && n > 0 && isfinite(dd) && dd > 0;
}

/* The fitted loss and its band at x of figures 1 and 2 (two-variable laws: at compute x,
 * along the compute-optimal allocation). */
static void cli_fig_eval(const struct cli_fig *cf, double x, double *loss, double *lo, double *hi) {
    if (cf->two_var) {
        double n, dd;
        cli_fig_allocation(cf->r, x, &n, &dd);
        fit_result_curve(cf->r, &n, dd, 1, loss, lo, hi);
    } else {
        fit_result_curve(cf->r, &x, 0, 1, loss, lo, hi);
    }
}

/* The reducible part of the law at x, with its own band (each replicate less its own
 * constant), as cli_fig_eval places x. */
static void cli_fig_eval_reducible(const struct cli_fig *cf, double x, double *red, double *lo,
                                   double *hi) {
    if (cf->two_var) {
        double n, dd;
        cli_fig_allocation(cf->r, x, &n, &dd);
        fit_result_reducible_curve(cf->r, &n, dd, 1, red, lo, hi);
    } else {
        fit_result_reducible_curve(cf->r, &x, 0, 1, red, lo, hi);
    }
}

/* The points of figures 1-3: the data (two-variable laws at C = 6ND), or for the frontier the
 * envelope it was fitted to. */
static size_t cli_fig_n_points(const struct cli_fig *cf) {
    return cf->frontier ? cf->r->frontier.n_env : cf->d->n;
}

static void cli_fig_point(const struct cli_fig *cf, size_t i, double *x, double *y, bool *held) {
    if (cf->frontier) {
        *x = cf->r->frontier.env_c[i], *y = cf->r->frontier.env_l[i], *held = false;
        return;
    }
    *x    = cf->two_var ? 6 * cf->d->x1[i] * cf->d->x2[i] : cf->d->x1[i];
    *y    = cf->d->y[i];
    *held = cf->d->held_out[i];
}

static double cli_fig_forecast_x(const struct cli_fig *cf, size_t k) {
    const struct fit_point_request *p = &cf->r->req.predict[k];
    return cf->two_var ? 6 * p->x1 * p->x2 : p->x1;
}

/* Appends "L = 1.14 + 51.2/N^{0.187} + ..." with the fitted values. */
static void cli_fig_formula(const struct fit_result *r, const char *sym, struct sf_buf *b) {
    const int k = CLI_FIG_DIGITS;
    switch (r->law) {
    case FIT_LAW_POWER:
        sf_buf_puts(b, "L = (");
        plot_label_number(b, cli_fig_param(r, "x0"), k);
        sf_buf_printf(b, "/%s)^{", sym);
        plot_label_number(b, cli_fig_param(r, "alpha"), k);
        sf_buf_puts(b, "}");
        break;
    case FIT_LAW_POWER_CONST:
    case FIT_LAW_FRONTIER:
        sf_buf_puts(b, "L = ");
        plot_label_number(b, cli_fig_param(r, "L_inf"), k);
        sf_buf_puts(b, " + (");
        plot_label_number(b, cli_fig_param(r, r->law == FIT_LAW_FRONTIER ? "C0" : "x0"), k);
        sf_buf_printf(b, "/%s)^{", sym);
        plot_label_number(b, cli_fig_param(r, r->law == FIT_LAW_FRONTIER ? "alpha_C" : "alpha"), k);
        sf_buf_puts(b, "}");
        break;
    case FIT_LAW_CHINCHILLA:
        sf_buf_puts(b, "L = ");
        plot_label_number(b, cli_fig_param(r, "E"), k);
        sf_buf_puts(b, " + ");
        plot_label_number(b, cli_fig_param(r, "A"), k);
        sf_buf_puts(b, "/N^{");
        plot_label_number(b, cli_fig_param(r, "alpha"), k);
        sf_buf_puts(b, "} + ");
        plot_label_number(b, cli_fig_param(r, "B"), k);
        sf_buf_puts(b, "/D^{");
        plot_label_number(b, cli_fig_param(r, "beta"), k);
        sf_buf_puts(b, "}");
        break;
    case FIT_LAW_KAPLAN_ND:
        sf_buf_puts(b, "L = ((");
        plot_label_number(b, cli_fig_param(r, "N_c"), k);
        sf_buf_puts(b, "/N)^{");
        plot_label_number(b, cli_fig_param(r, "alpha_N") / cli_fig_param(r, "alpha_D"), k);
        sf_buf_puts(b, "} + ");
        plot_label_number(b, cli_fig_param(r, "D_c"), k);
        sf_buf_puts(b, "/D)^{");
        plot_label_number(b, cli_fig_param(r, "alpha_D"), k);
        sf_buf_puts(b, "}");
        break;
    default: break;
    }
}

/* Appends "value [lo, hi]" (the interval only when it is known). */
static void cli_fig_estimate(struct sf_buf *b, const struct fit_estimate *e) {
    plot_label_number(b, e->estimate, CLI_FIG_DIGITS);
    if (isfinite(e->lo) && isfinite(e->hi)) {
        sf_buf_puts(b, " [");
        plot_label_number(b, e->lo, CLI_FIG_DIGITS);
        sf_buf_puts(b, ", ");
        plot_label_number(b, e->hi, CLI_FIG_DIGITS);
        sf_buf_puts(b, "]");
    }
}

/* The name of the constant in labels: L_∞ or E. */
static const char *cli_fig_const_name(const struct fit_result *r) {
    return r->law == FIT_LAW_CHINCHILLA ? "E" : "L_∞";
}

/* The two-line title shared by figures of a fit: what was fitted, then the law's values. */
static void cli_fig_title(const struct cli_fig *cf, struct sf_buf *b, const char *what) {
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
    cli_fig_formula(r, cf->frontier ? "C" : cf->x_symbol, b);
}

static struct plot_figure *cli_fig_new(const char *kind, const char *name) {
    struct plot_figure *fig = plot_figure_alloc(kind, name);
    return fig;
}

static void cli_fig_set_buf(struct plot_figure *fig, const char *var, struct sf_buf *b) {
    plot_figure_set_text(fig, var, b->data ? b->data : "");
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

// ---- figures 1 and 2: loss and reducible loss against x ----

/* The x range of figures 1-3: the points and the forecasts. */
static struct cli_range cli_fig_x_range(const struct cli_fig *cf, struct cli_range *data_only) {
    struct cli_range xr = cli_range_new(true);
    for (size_t i = 0; i < cli_fig_n_points(cf); i++) {
        double x, y;
        bool   held;
        cli_fig_point(cf, i, &x, &y, &held);
        cli_range_add(&xr, x);
    }
    if (data_only) *data_only = xr;
    for (size_t k = 0; k < cf->r->req.n_predict; k++)
        cli_range_add(&xr, cli_fig_forecast_x(cf, k));
    return xr;
}

/* Draws figure 1 (reducible false) or 2 (reducible true). */
static void cli_fig_loss(const struct cli_fig *cf, bool reducible) {
    const struct fit_result *r    = cf->r;
    const char              *name = reducible ? "reducible" : "loss";
    struct cli_range         data_x;
    struct cli_range         xr = cli_fig_x_range(cf, &data_x);
    if (!cli_range_ok(&data_x)) {
        cli_fit_figures_skip(cf->out, name, "no point with a positive x");
        return;
    }
    const bool          has_const = fit_law_has_constant(r->law);
    const double        c         = has_const && reducible ? r->entropy.estimate : 0;
    struct plot_figure *fig       = cli_fig_new("loss", name);
    struct plot_table  *tp        = plot_figure_table(fig, "points", "x loss");
    struct plot_table  *th        = plot_figure_table(fig, "heldout", "x loss");
    struct plot_table  *tc        = plot_figure_table(fig, "curve", "x loss lo hi");
    struct plot_table  *te        = plot_figure_table(fig, "extension", "x loss lo hi");
    struct plot_table  *tf        = plot_figure_table(fig, "forecasts", "x loss lo hi");
    struct cli_range    core      = cli_range_new(true), yr;
    size_t              below     = 0;
    for (size_t i = 0; i < cli_fig_n_points(cf); i++) {
        double x, y;
        bool   held;
        cli_fig_point(cf, i, &x, &y, &held);
        double v[2] = {x, y - c};
        if (reducible && !(v[1] > 0)) {
            below++;
            continue;
        }
        plot_table_row(held ? th : tp, v);
        cli_range_add(&core, v[1]);
    }
    /* The curve over the data (from the smallest x, forecasts included), then on to the
     * largest forecast. */
    size_t           n         = cf->n_grid;
    double          *grid      = malloc(n * sizeof *grid);
    bool             has_band  = false;
    struct cli_range band_vals = cli_range_new(true);
    if (grid == NULL) {
        plot_figure_free(fig);
        cli_fit_figures_skip(cf->out, name, "out of memory");
        return;
    }
    for (int part = 0; part < 2; part++) {
        double lo = part == 0 ? xr.lo : data_x.hi, hi = part == 0 ? data_x.hi : xr.hi;
        if (part == 1 && !(hi > lo * (1 + 1e-9))) break;
        cli_fig_logspace(lo, hi, n, grid);
        for (size_t i = 0; i < n; i++) {
            double l, blo, bhi, v[4];
            if (reducible) {
                cli_fig_eval_reducible(cf, grid[i], &l, &blo, &bhi);
                v[0] = grid[i], v[1] = l, v[2] = blo, v[3] = bhi;
            } else {
                cli_fig_eval(cf, grid[i], &l, &blo, &bhi);
                v[0] = grid[i], v[1] = l, v[2] = blo, v[3] = bhi;
            }
            if (reducible) {
                for (int j = 1; j < 4; j++)
                    if (!(v[j] > 0)) v[j] = NAN;
            }
            plot_table_row(part == 0 ? tc : te, v);
            cli_range_add(&core, v[1]);
            if (isfinite(v[2]) && isfinite(v[3])) has_band = true;
            cli_range_add(&band_vals, v[2]);
            cli_range_add(&band_vals, v[3]);
        }
    }
    free(grid);
    for (size_t k = 0; k < r->req.n_predict; k++) {
        const struct fit_estimate *e = &r->forecasts[k];
        double v[4] = {cli_fig_forecast_x(cf, k), e->estimate - c, e->lo - c, e->hi - c};
        if (reducible) /* the reducible term's own interval at the forecast point */
            fit_result_reducible_curve(r, &r->req.predict[k].x1, r->req.predict[k].x2, 1, &v[1],
                                       &v[2], &v[3]);
        if (reducible)
            for (int j = 1; j < 4; j++)
                if (!(v[j] > 0)) v[j] = NAN;
        plot_table_row(tf, v);
        cli_range_add(&core, v[1]);
    }
    if (has_const && !reducible) cli_range_add(&core, r->entropy.estimate);
    yr = core;
    cli_range_add_band(&yr, &core, band_vals.lo);
    cli_range_add_band(&yr, &core, band_vals.hi);
    if (has_const && !reducible) {
        cli_range_add_band(&yr, &core, r->entropy.lo);
        cli_range_add_band(&yr, &core, r->entropy.hi);
    }
    struct sf_buf b;
    sf_buf_init(&b);
    cli_fig_title(cf, &b, reducible ? "reducible loss, " : "");
    cli_fig_set_buf(fig, "title_text", &b);
    cli_fig_xlabel(cf, &b);
    cli_fig_set_buf(fig, "xlabel_text", &b);
    if (reducible)
        sf_buf_printf(&b, "reducible loss L - %s (nats/token)", cli_fig_const_name(r));
    else
        cli_fig_ylabel(cf, &b);
    cli_fig_set_buf(fig, "ylabel_text", &b);
    cli_fig_axis(fig, "x", xr);
    cli_fig_axis(fig, "y", yr);
    plot_figure_set_int(fig, "has_band", has_band);
    plot_figure_set_int(fig, "has_const", has_const && !reducible);
    plot_figure_set_num(fig, "linf", has_const ? r->entropy.estimate : NAN);
    plot_figure_set_num(fig, "linf_lo", has_const ? r->entropy.lo : NAN);
    plot_figure_set_num(fig, "linf_hi", has_const ? r->entropy.hi : NAN);
    plot_figure_set_int(fig, "has_const_band",
                        has_const && !reducible && isfinite(r->entropy.lo) &&
                            isfinite(r->entropy.hi));
    sf_buf_printf(&b, cf->frontier ? "envelope (fitted, %zu points)" : "fitted points (%zu)",
                  plot_table_rows(tp));
    if (below) sf_buf_printf(&b, "; %zu at or below %s not shown", below, cli_fig_const_name(r));
    cli_fig_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (%zu)", plot_table_rows(th));
    cli_fig_set_buf(fig, "key_heldout", &b);
    sf_buf_puts(&b, reducible ? "fitted law less " : "fitted law");
    if (reducible) sf_buf_puts(&b, cli_fig_const_name(r));
    if (cf->two_var) sf_buf_puts(&b, " at optimal N, D");
    cli_fig_set_buf(fig, "key_fit", &b);
    if (r->intervals_bootstrap)
        sf_buf_printf(&b, "%.0f%% band (bootstrap)", 100 * r->req.params.level);
    else
        sf_buf_printf(&b, "%.0f%% band (covariance)", 100 * r->req.params.level);
    if (reducible) sf_buf_puts(&b, " of the reducible term");
    cli_fig_set_buf(fig, "key_band", &b);
    sf_buf_printf(&b, "%s = ", cli_fig_const_name(r));
    cli_fig_estimate(&b, &r->entropy);
    cli_fig_set_buf(fig, "key_const", &b);
    sf_buf_puts(&b, "law continued");
    cli_fig_set_buf(fig, "key_extension", &b);
    sf_buf_printf(&b, "forecast%s", r->req.n_predict == 1 ? "" : "s");
    cli_fig_set_buf(fig, "key_forecast", &b);
    sf_buf_free(&b);
    cli_fit_figures_draw_one(fig, name, cf->figdir, cf->out);
}

// ---- figure 3: residuals ----

static void cli_fig_residuals(const struct cli_fig *cf) {
    const struct fit_result *r   = cf->r;
    struct plot_figure      *fig = cli_fig_new("residuals", "residuals");
    struct plot_table       *tp  = plot_figure_table(fig, "points", "x residual_log colour");
    struct plot_table       *th  = plot_figure_table(fig, "heldout", "x residual_log colour");
    struct cli_range         xr = cli_range_new(true), cr = cli_range_new(true);
    double                   amax = 0;
    for (size_t i = 0; i < cli_fig_n_points(cf); i++) {
        double x, y, res, colour = NAN;
        bool   held;
        if (cf->frontier) {
            double l, lo, hi;
            cli_fig_point(cf, i, &x, &y, &held);
            fit_result_curve(r, &x, 0, 1, &l, &lo, &hi);
            res = log(l) - log(y);
        } else {
            x    = cf->d->x1[i];
            held = cf->d->held_out[i];
            res  = r->points[i].residual_log;
            if (cf->two_var) colour = cf->d->x2[i];
        }
        double v[3] = {x, res, colour};
        plot_table_row(held ? th : tp, v);
        cli_range_add(&xr, x);
        cli_range_add(&cr, colour);
        if (isfinite(res) && fabs(res) > amax) amax = fabs(res);
    }
    if (!(amax > 0)) amax = 1e-3;
    struct cli_range yr = {-amax, amax, false};
    struct sf_buf    b;
    sf_buf_init(&b);
    cli_fig_title(cf, &b, "residuals, ");
    cli_fig_set_buf(fig, "title_text", &b);
    if (cf->two_var)
        cli_fig_axis_label(&b, "parameters", NULL);
    else
        cli_fig_axis_label(&b, cf->frontier ? "FLOP" : cf->x_unit, cf->x_column);
    if (cf->frontier && cf->x_unit && strcmp(cf->x_unit, "PF-days") == 0) {
        b.len = 0;
        cli_fig_axis_label(&b, "PF-days", NULL);
    }
    cli_fig_set_buf(fig, "xlabel_text", &b);
    sf_buf_puts(&b, "residual ln L_{fit} - ln L (log ratio)");
    cli_fig_set_buf(fig, "ylabel_text", &b);
    cli_fig_axis(fig, "x", xr);
    cli_fig_axis(fig, "y", yr);
    bool coloured = cf->two_var && cli_range_ok(&cr);
    plot_figure_set_int(fig, "coloured", coloured);
    if (coloured) {
        struct cli_range c2 = cr;
        cli_fig_axis(fig, "cb", c2);
        sf_buf_puts(&b, "training data D (tokens)");
        cli_fig_set_buf(fig, "cblabel_text", &b);
    }
    sf_buf_printf(&b, "%s (RMSE %.3g)", cf->frontier ? "envelope points" : "fitted points",
                  r->rmse_log);
    cli_fig_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (RMSE %.3g)", r->heldout_rmse_log);
    cli_fig_set_buf(fig, "key_heldout", &b);
    sf_buf_free(&b);
    cli_fit_figures_draw_one(fig, "residuals", cf->figdir, cf->out);
}

// ---- figure 4: two-variable laws ----

static int cli_fig_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The distinct model sizes of the data, sorted; at most CLI_FIG_MAX_SIZE_CURVES of them spread
 * in log N when there are more. Returns the count written to `sizes` (capacity d->n). */
static size_t cli_fig_sizes(const struct fit_data *d, double *sizes) {
    size_t m = 0;
    for (size_t i = 0; i < d->n; i++)
        sizes[m++] = d->x1[i];
    qsort(sizes, m, sizeof *sizes, cli_fig_cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || fabs(sizes[i] - sizes[u - 1]) > CLI_FIG_SAME_SIZE_RTOL * sizes[i])
            sizes[u++] = sizes[i];
    if (u <= CLI_FIG_MAX_SIZE_CURVES) return u;
    double lo = sizes[0], hi = sizes[u - 1];
    cli_fig_logspace(lo, hi, CLI_FIG_MAX_SIZE_CURVES, sizes);
    return CLI_FIG_MAX_SIZE_CURVES;
}

static void cli_fig_loss_tokens(const struct cli_fig *cf) {
    const struct fit_result *r     = cf->r;
    const struct fit_data   *d     = cf->d;
    double                  *sizes = malloc((d->n ? d->n : 1) * sizeof *sizes);
    double                  *grid  = malloc(cf->n_grid * sizeof *grid);
    if (sizes == NULL || grid == NULL) {
        free(sizes), free(grid);
        cli_fit_figures_skip(cf->out, "loss_tokens", "out of memory");
        return;
    }
    struct plot_figure *fig = cli_fig_new("loss_tokens", "loss_tokens");
    struct plot_table  *tp  = plot_figure_table(fig, "points", "tokens loss params");
    struct plot_table  *th  = plot_figure_table(fig, "heldout", "tokens loss params");
    struct plot_table  *tc  = plot_figure_table(fig, "curves", "tokens loss params");
    struct cli_range xr = cli_range_new(true), yr = cli_range_new(true), nr = cli_range_new(true);
    for (size_t i = 0; i < d->n; i++) {
        double v[3] = {d->x2[i], d->y[i], d->x1[i]};
        plot_table_row(d->held_out[i] ? th : tp, v);
        cli_range_add(&xr, v[0]);
        cli_range_add(&yr, v[1]);
        cli_range_add(&nr, v[2]);
    }
    size_t n_sizes = cli_fig_sizes(d, sizes);
    cli_fig_logspace(xr.lo, xr.hi, cf->n_grid, grid);
    for (size_t s = 0; s < n_sizes; s++) {
        if (s) {
            char label[64];
            snprintf(label, sizeof label, "N = %.6g", sizes[s]);
            plot_table_next_set(tc, label);
        }
        for (size_t i = 0; i < cf->n_grid; i++) {
            double l, lo, hi;
            fit_result_curve(r, &sizes[s], grid[i], 1, &l, &lo, &hi);
            double v[3] = {grid[i], l, sizes[s]};
            plot_table_row(tc, v);
        }
    }
    free(sizes), free(grid);
    struct sf_buf b;
    sf_buf_init(&b);
    cli_fig_title(cf, &b, "loss against tokens, ");
    cli_fig_set_buf(fig, "title_text", &b);
    cli_fig_axis_label(&b, "tokens", NULL);
    cli_fig_set_buf(fig, "xlabel_text", &b);
    cli_fig_ylabel(cf, &b);
    cli_fig_set_buf(fig, "ylabel_text", &b);
    sf_buf_puts(&b, "model size N (parameters)");
    cli_fig_set_buf(fig, "cblabel_text", &b);
    cli_fig_axis(fig, "x", xr);
    cli_fig_axis(fig, "y", yr);
    cli_fig_axis(fig, "cb", nr);
    sf_buf_printf(&b, "fitted points (%zu)", plot_table_rows(tp));
    cli_fig_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (%zu)", plot_table_rows(th));
    cli_fig_set_buf(fig, "key_heldout", &b);
    sf_buf_printf(&b, "fitted law at %zu model sizes", n_sizes);
    cli_fig_set_buf(fig, "key_fit", &b);
    sf_buf_free(&b);
    cli_fit_figures_draw_one(fig, "loss_tokens", cf->figdir, cf->out);
}

/* Contour levels: values at quantiles of the observed losses, rounded to a step that keeps
 * CLI_FIG_CONTOUR_LEVELS levels apart over the losses' spread (0.001 for losses between 1.01
 * and 1.05, 0.1 between 2.5 and 5), distinct, ascending. */
static void cli_fig_levels(const struct fit_data *d, struct sf_buf *b) {
    double *y = malloc((d->n ? d->n : 1) * sizeof *y);
    if (y == NULL) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < d->n; i++)
        y[i] = d->y[i];
    qsort(y, d->n, sizeof *y, cli_fig_cmp_double);
    double spread = d->n > 0 ? y[d->n - 1] - y[0] : 0;
    double step   = spread > 0 ? pow(10, floor(log10(spread / CLI_FIG_CONTOUR_LEVELS)))
                               : (d->n > 0 && y[0] != 0 ? pow(10, floor(log10(fabs(y[0]))) - 1) : 1);
    double prev   = -INFINITY;
    size_t count  = 0;
    for (size_t k = 0; k < CLI_FIG_CONTOUR_LEVELS && d->n > 0; k++) {
        double q  = ((double)k + 0.5) / CLI_FIG_CONTOUR_LEVELS;
        double v  = y[(size_t)(q * (double)(d->n - 1) + 0.5)];
        double rv = round(v / step) * step;
        if (rv <= prev + 0.5 * step) continue;
        char num[32];
        snprintf(num, sizeof num, "%.6g", rv);
        sf_buf_printf(b, "%s%s", count ? "," : "", num);
        prev = rv;
        count++;
    }
    free(y);
}

/* An axis in decades: range in log10, a tick every k decades (at most 8), labelled 10^{k}. */
static void cli_fig_decade_axis(struct plot_figure *fig, const char *axis, struct cli_range r) {
    char   var[16];
    double lo = log10(r.lo), hi = log10(r.hi);
    snprintf(var, sizeof var, "%smin", axis);
    plot_figure_set_num(fig, var, lo);
    snprintf(var, sizeof var, "%smax", axis);
    plot_figure_set_num(fig, var, hi);
    snprintf(var, sizeof var, "%stics", axis);
    plot_figure_set_textf(fig, var, "%.0f", fmax(1, ceil((hi - lo) / 8)));
    snprintf(var, sizeof var, "%sformat", axis);
    plot_figure_set_text(fig, var, "10^{%.0f}");
}

static void cli_fig_isoloss(const struct cli_fig *cf) {
    const struct fit_result *r  = cf->r;
    const struct fit_data   *d  = cf->d;
    struct cli_range         nr = cli_range_new(true), dr = cli_range_new(true);
    for (size_t i = 0; i < d->n; i++) {
        cli_range_add(&nr, d->x1[i]);
        cli_range_add(&dr, d->x2[i]);
    }
    for (size_t k = 0; k < r->req.n_predict; k++) {
        cli_range_add(&nr, r->req.predict[k].x1);
        cli_range_add(&dr, r->req.predict[k].x2);
    }
    /* A decade of room around the data shows where the contours go. */
    nr.lo /= 3, nr.hi *= 3, dr.lo /= 3, dr.hi *= 3;
    struct plot_figure *fig = cli_fig_new("isoloss", "isoloss");
    struct plot_table  *tg  = plot_figure_table(fig, "grid", "log10_params log10_tokens loss");
    struct plot_table  *tp  = plot_figure_table(fig, "points", "log10_params log10_tokens loss");
    struct plot_table  *th  = plot_figure_table(fig, "heldout", "log10_params log10_tokens loss");
    struct plot_table  *to  = plot_figure_table(fig, "optimal", "log10_params log10_tokens flops");
    struct plot_table  *tf  = plot_figure_table(fig, "forecasts", "log10_params log10_tokens loss");
    double             *ng  = malloc(CLI_FIG_CONTOUR_GRID * sizeof *ng),
           *dg              = malloc(CLI_FIG_CONTOUR_GRID * sizeof *dg);
    double *l               = malloc(CLI_FIG_CONTOUR_GRID * sizeof *l),
           *lo              = malloc(CLI_FIG_CONTOUR_GRID * sizeof *lo);
    double *hi              = malloc(CLI_FIG_CONTOUR_GRID * sizeof *hi);
    if (!ng || !dg || !l || !lo || !hi) {
        free(ng), free(dg), free(l), free(lo), free(hi);
        plot_figure_free(fig);
        cli_fit_figures_skip(cf->out, "isoloss", "out of memory");
        return;
    }
    cli_fig_logspace(nr.lo, nr.hi, CLI_FIG_CONTOUR_GRID, ng);
    cli_fig_logspace(dr.lo, dr.hi, CLI_FIG_CONTOUR_GRID, dg);
    /* gnuplot's grid format: one block per D, N varying inside (blank line between blocks). */
    for (size_t j = 0; j < CLI_FIG_CONTOUR_GRID; j++) {
        fit_result_curve(r, ng, dg[j], CLI_FIG_CONTOUR_GRID, l, lo, hi);
        for (size_t i = 0; i < CLI_FIG_CONTOUR_GRID; i++) {
            double v[3] = {log10(ng[i]), log10(dg[j]), l[i]};
            plot_table_row(tg, v);
        }
        if (j + 1 < CLI_FIG_CONTOUR_GRID) plot_table_break(tg);
    }
    free(ng), free(dg), free(l), free(lo), free(hi);
    for (size_t i = 0; i < d->n; i++) {
        double v[3] = {log10(d->x1[i]), log10(d->x2[i]), d->y[i]};
        plot_table_row(d->held_out[i] ? th : tp, v);
    }
    for (size_t k = 0; k < r->req.n_predict; k++) {
        double v[3] = {log10(r->req.predict[k].x1), log10(r->req.predict[k].x2),
                       r->forecasts[k].estimate};
        plot_table_row(tf, v);
    }
    bool has_opt = cli_fig_has_allocation(r);
    if (has_opt) {
        /* The compute-optimal line across the frame: C from the smallest to the largest 6ND. */
        double c_lo = 6 * nr.lo * dr.lo, c_hi = 6 * nr.hi * dr.hi;
        size_t n = cf->n_grid;
        for (size_t i = 0; i < n; i++) {
            double c = exp(log(c_lo) + (double)i / (double)(n - 1) * (log(c_hi) - log(c_lo)));
            double nn, dd;
            cli_fig_allocation(r, c, &nn, &dd);
            if (nn < nr.lo || nn > nr.hi || dd < dr.lo || dd > dr.hi) continue;
            double v[3] = {log10(nn), log10(dd), c};
            plot_table_row(to, v);
        }
    }
    struct sf_buf b;
    sf_buf_init(&b);
    cli_fig_title(cf, &b, "iso-loss contours, ");
    cli_fig_set_buf(fig, "title_text", &b);
    cli_fig_axis_label(&b, "parameters", NULL);
    cli_fig_set_buf(fig, "xlabel_text", &b);
    cli_fig_axis_label(&b, "tokens", NULL);
    cli_fig_set_buf(fig, "ylabel_text", &b);
    cli_fig_levels(d, &b);
    cli_fig_set_buf(fig, "levels", &b);
    /* Axes in decades (log10 of the value), ticks labelled 10^{k}. */
    cli_fig_decade_axis(fig, "x", nr);
    cli_fig_decade_axis(fig, "y", dr);
    sf_buf_puts(&b, "iso-loss contours (nats/token)");
    cli_fig_set_buf(fig, "key_contours", &b);
    if (r->law == FIT_LAW_CHINCHILLA) {
        sf_buf_puts(&b, "compute-optimal N_{opt} = G (C/6)^{a}, a = ");
        plot_label_number(&b, r->derived[0].estimate, CLI_FIG_DIGITS);
    } else {
        sf_buf_puts(&b, "compute-optimal N_{opt}(C), least loss at C = 6ND");
    }
    cli_fig_set_buf(fig, "key_optimal", &b);
    sf_buf_printf(&b, "fitted points (%zu)", plot_table_rows(tp));
    cli_fig_set_buf(fig, "key_points", &b);
    sf_buf_printf(&b, "held out (%zu)", plot_table_rows(th));
    cli_fig_set_buf(fig, "key_heldout", &b);
    sf_buf_printf(&b, "forecast%s", r->req.n_predict == 1 ? "" : "s");
    cli_fig_set_buf(fig, "key_forecast", &b);
    sf_buf_free(&b);
    cli_fit_figures_draw_one(fig, "isoloss", cf->figdir, cf->out);
}

// ---- figures 5 and 6: the compute frontier ----

/* The model size of each run (NAN when unknown), allocated (n_runs), or NULL. */
static double *cli_fig_run_sizes(const struct fit_data *d) {
    double *s = malloc((d->n_runs ? d->n_runs : 1) * sizeof *s);
    if (s == NULL) return NULL;
    for (size_t k = 0; k < d->n_runs; k++)
        s[k] = NAN;
    for (size_t i = 0; d->size && d->run && i < d->n; i++)
        s[d->run[i]] = d->size[i];
    return s;
}

static const char *cli_fig_compute_unit(const struct fit_data *d) {
    const char *u = cli_fig_unit(d->x1_name);
    return u && strcmp(u, "PF-days") == 0 ? "PF-days" : "FLOP";
}

bool cli_fit_figure_frontier(const struct fit_result *r, const char *figdir,
                             struct cli_fit_figures *out) {
    const struct fit_data     *d      = r->data;
    const struct fit_frontier *fr     = &r->frontier;
    double                    *sizes  = cli_fig_run_sizes(d);
    size_t                     n_grid = cli_fig_grid_size(r);
    double                    *grid   = malloc(n_grid * sizeof *grid);
    if (sizes == NULL || grid == NULL) {
        free(sizes), free(grid);
        cli_fit_figures_skip(out, "frontier", "out of memory");
        return false;
    }
    struct plot_figure *fig = cli_fig_new("frontier", "frontier");
    struct plot_table  *tc  = plot_figure_table(fig, "curves", "flops loss params");
    struct plot_table  *te  = plot_figure_table(fig, "envelope", "flops loss");
    struct plot_table  *th  = plot_figure_table(fig, "hull", "flops loss params");
    struct plot_table  *tf  = plot_figure_table(fig, "fit", "flops loss lo hi");
    struct cli_range xr = cli_range_new(true), core = cli_range_new(true), sr = cli_range_new(true);
    /* Every learning curve (in data order, which fit_data keeps per run), one data set each. */
    for (size_t k = 0; k < d->n_runs; k++) {
        if (k) plot_table_next_set(tc, d->run_names[k]);
        for (size_t i = 0; i < d->n; i++) {
            if (d->run[i] != k || d->held_out[i]) continue;
            double v[3] = {d->x1[i], d->y[i], sizes[k]};
            plot_table_row(tc, v);
            cli_range_add(&xr, v[0]);
            cli_range_add(&core, v[1]);
        }
        cli_range_add(&sr, sizes[k]);
    }
    for (size_t i = 0; i < fr->n_env; i++) {
        double v[2] = {fr->env_c[i], fr->env_l[i]};
        plot_table_row(te, v);
    }
    for (size_t h = 0; h < fr->n_hull; h++) {
        size_t i    = fr->hull[h];
        double v[3] = {fr->env_c[i], fr->env_l[i], sizes[fr->env_run[i]]};
        plot_table_row(th, v);
    }
    struct cli_range fit_x = cli_range_new(true);
    for (size_t i = 0; i < fr->n_env; i++)
        cli_range_add(&fit_x, fr->env_c[i]);
    for (size_t k = 0; k < r->req.n_predict; k++)
        cli_range_add(&fit_x, r->req.predict[k].x1);
    cli_range_add(&xr, fit_x.lo);
    cli_range_add(&xr, fit_x.hi);
    bool             has_band = false;
    struct cli_range yr       = core;
    if (cli_range_ok(&fit_x)) {
        cli_fig_logspace(fit_x.lo, fit_x.hi, n_grid, grid);
        for (size_t i = 0; i < n_grid; i++) {
            double l, lo, hi;
            fit_result_curve(r, &grid[i], 0, 1, &l, &lo, &hi);
            double v[4] = {grid[i], l, lo, hi};
            plot_table_row(tf, v);
            if (isfinite(lo) && isfinite(hi)) has_band = true;
            cli_range_add_band(&yr, &core, l);
        }
    }
    cli_range_add(&yr, r->entropy.estimate);
    free(grid);
    free(sizes);
    bool          sized = cli_range_ok(&sr);
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b,
                  "compute frontier: %zu learning curves, %zu envelope points, %zu on the hull\n",
                  d->n_runs, fr->n_env, fr->n_hull);
    cli_fig_formula(r, "C", &b);
    cli_fig_set_buf(fig, "title_text", &b);
    cli_fig_axis_label(&b, cli_fig_compute_unit(d), NULL);
    cli_fig_set_buf(fig, "xlabel_text", &b);
    plot_enhanced_escape(&b, d->y_name ? d->y_name : "loss");
    sf_buf_puts(&b, " (nats/token)");
    cli_fig_set_buf(fig, "ylabel_text", &b);
    cli_fig_axis(fig, "x", xr);
    cli_fig_axis(fig, "y", yr);
    plot_figure_set_int(fig, "sized", sized);
    if (sized) {
        cli_fig_axis(fig, "cb", sr);
        sf_buf_puts(&b, "model size N (parameters)");
        cli_fig_set_buf(fig, "cblabel_text", &b);
    }
    plot_figure_set_int(fig, "has_band", has_band);
    plot_figure_set_num(fig, "linf", r->entropy.estimate);
    plot_figure_set_num(fig, "linf_lo", r->entropy.lo);
    plot_figure_set_num(fig, "linf_hi", r->entropy.hi);
    plot_figure_set_int(fig, "has_const_band", isfinite(r->entropy.lo) && isfinite(r->entropy.hi));
    sf_buf_printf(&b, "learning curves (%zu)%s", d->n_runs, sized ? "" : ", sizes unknown");
    cli_fig_set_buf(fig, "key_curves", &b);
    sf_buf_puts(&b, "envelope");
    cli_fig_set_buf(fig, "key_envelope", &b);
    sf_buf_printf(&b, "hull points (%zu)", fr->n_hull);
    cli_fig_set_buf(fig, "key_hull", &b);
    sf_buf_puts(&b, "L(C), fit to the envelope");
    cli_fig_set_buf(fig, "key_fit", &b);
    sf_buf_printf(&b, "%.0f%% band", 100 * r->req.params.level);
    cli_fig_set_buf(fig, "key_band", &b);
    sf_buf_puts(&b, "L_∞ = ");
    cli_fig_estimate(&b, &r->entropy);
    cli_fig_set_buf(fig, "key_const", &b);
    sf_buf_free(&b);
    return cli_fit_figures_draw_one(fig, "frontier", figdir, out);
}

static void cli_fig_nopt(const struct cli_fig *cf) {
    const struct fit_result   *r  = cf->r;
    const struct fit_data     *d  = cf->d;
    const struct fit_frontier *fr = &r->frontier;
    if (!fr->nopt_fitted) {
        cli_fit_figures_skip(cf->out, "nopt",
                             "the optimal-size law was not fitted (%zu hull points "
                             "with a known model size; give --n)",
                             fr->nopt_points);
        return;
    }
    double *sizes = cli_fig_run_sizes(d);
    size_t  n     = cf->n_grid;
    double *grid = malloc(n * sizeof *grid), *v_n = malloc(n * sizeof *v_n);
    double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    if (!sizes || !grid || !v_n || !lo || !hi) {
        free(sizes), free(grid), free(v_n), free(lo), free(hi);
        cli_fit_figures_skip(cf->out, "nopt", "out of memory");
        return;
    }
    struct plot_figure *fig = cli_fig_new("nopt", "nopt");
    struct plot_table  *th  = plot_figure_table(fig, "hull", "flops params");
    struct plot_table  *tf  = plot_figure_table(fig, "fit", "flops params lo hi");
    struct cli_range    xr = cli_range_new(true), core = cli_range_new(true);
    for (size_t h = 0; h < fr->n_hull; h++) {
        size_t i    = fr->hull[h];
        double v[2] = {fr->env_c[i], sizes[fr->env_run[i]]};
        if (!(v[1] > 0)) continue;
        plot_table_row(th, v);
        cli_range_add(&xr, v[0]);
        cli_range_add(&core, v[1]);
    }
    for (size_t i = 0; i < fr->n_env; i++)
        cli_range_add(&xr, fr->env_c[i]);
    for (size_t k = 0; k < r->req.n_predict; k++)
        cli_range_add(&xr, r->req.predict[k].x1);
    cli_fig_logspace(xr.lo, xr.hi, n, grid);
    fit_result_nopt_curve(r, grid, n, v_n, lo, hi);
    bool             has_band = false;
    struct cli_range yr       = core;
    for (size_t i = 0; i < n; i++) {
        double v[4] = {grid[i], v_n[i], lo[i], hi[i]};
        plot_table_row(tf, v);
        cli_range_add(&core, v_n[i]);
        if (isfinite(lo[i]) && isfinite(hi[i])) has_band = true;
    }
    yr = core;
    for (size_t i = 0; i < n; i++) {
        cli_range_add_band(&yr, &core, lo[i]);
        cli_range_add_band(&yr, &core, hi[i]);
    }
    free(sizes), free(grid), free(v_n), free(lo), free(hi);
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_puts(&b, "optimal model size against compute: ");
    sf_buf_printf(&b, "%zu hull points of %zu learning curves\n", plot_table_rows(th), d->n_runs);
    sf_buf_puts(&b, "N_{opt} = (C/");
    plot_label_number(&b, cli_fig_param(r, "C_n"), CLI_FIG_DIGITS);
    sf_buf_puts(&b, ")^{");
    plot_label_number(&b, cli_fig_param(r, "beta_opt"), CLI_FIG_DIGITS);
    sf_buf_puts(&b, "}");
    cli_fig_set_buf(fig, "title_text", &b);
    cli_fig_axis_label(&b, cli_fig_compute_unit(d), NULL);
    cli_fig_set_buf(fig, "xlabel_text", &b);
    sf_buf_puts(&b, "optimal model size N_{opt} (parameters)");
    cli_fig_set_buf(fig, "ylabel_text", &b);
    cli_fig_axis(fig, "x", xr);
    cli_fig_axis(fig, "y", yr);
    plot_figure_set_int(fig, "has_band", has_band);
    sf_buf_puts(&b, "hull points: size of the run owning each");
    cli_fig_set_buf(fig, "key_points", &b);
    sf_buf_puts(&b, "β_{opt} = ");
    for (size_t j = 0; j < r->p; j++)
        if (strcmp(r->param[j].name, "beta_opt") == 0) cli_fig_estimate(&b, &r->param[j].value);
    cli_fig_set_buf(fig, "key_fit", &b);
    sf_buf_printf(&b, "%.0f%% band", 100 * r->req.params.level);
    cli_fig_set_buf(fig, "key_band", &b);
    sf_buf_free(&b);
    cli_fit_figures_draw_one(fig, "nopt", cf->figdir, cf->out);
}

// ---- the driver ----

void cli_fit_figures_draw(const struct fit_result *r, const char *dir, bool enabled,
                          struct cli_fit_figures *out) {
    cli_fit_figures_init(out);
    if (!enabled) return;
    if (out->drawn == NULL || out->missing == NULL) {
        fprintf(stderr, "scalefit: warning: figures not drawn: out of memory\n");
        return;
    }
    char *figdir = sf_path_join(dir, "figures");
    if (figdir == NULL) {
        cli_fit_figures_skip(out, "all figures", "out of memory");
        return;
    }
    struct cli_fig cf;
    memset(&cf, 0, sizeof cf);
    cf.r        = r;
    cf.d        = r->data;
    cf.figdir   = figdir;
    cf.out      = out;
    cf.two_var  = fit_law_n_vars(r->law) == 2;
    cf.frontier = r->law == FIT_LAW_FRONTIER;
    cf.x_column = cf.d->x1_name;
    cf.x_unit   = cf.two_var    ? "parameters"
                  : cf.frontier ? cli_fig_compute_unit(cf.d)
                                : cli_fig_unit(cf.d->x1_name);
    cf.x_symbol = cf.frontier ? "C" : cli_fig_symbol(cf.x_unit);
    cf.n_grid   = cli_fig_grid_size(r);
    if (cf.two_var && !cli_fig_has_allocation(r)) {
        cli_fit_figures_skip(out, "loss",
                             "the fitted law has no finite compute-optimal allocation");
        if (fit_law_has_constant(r->law))
            cli_fit_figures_skip(out, "reducible",
                                 "the fitted law has no finite compute-optimal "
                                 "allocation");
    } else {
        cli_fig_loss(&cf, false);
        if (fit_law_has_constant(r->law)) cli_fig_loss(&cf, true);
    }
    cli_fig_residuals(&cf);
    if (cf.two_var) {
        cli_fig_loss_tokens(&cf);
        cli_fig_isoloss(&cf);
    }
    if (cf.frontier) {
        cli_fit_figure_frontier(r, figdir, out);
        cli_fig_nopt(&cf);
    }
    free(figdir);
}
