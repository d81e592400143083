/*
 * fit.c (cli) — `scalefit fit DATA.csv --law LAW[,LAW...] [options] --out DIR`: parses and
 * checks the options, reads the table, selects and groups rows, runs each fit, writes fit.yaml,
 * report.md and the figures of each, the comparison of several, and a short summary on stdout.
 * All the work is in src/fit (and src/plot); this file only wires options to it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "figures.h"
#include "fit.h"

/* The most --where (and --min/--max) and --holdout-where options: filters_text below keeps
 * every one for the provenance. */
#define CLI_FIT_MAX_FILTERS 64
#define CLI_FIT_MAX_HOLDOUTS 16

/* Everything parsed from the command line. */
struct cli_fit_opts {
    const char        *data, *out;
    enum fit_law_kind *laws; /* (n_laws) owned, in the order given */
    size_t             n_laws;
    struct fit_columns cols;
    const char        *space, *loss, *y_unit, *frontier_fit;
    bool               frontier_hull;
    double             delta;
    bool               delta_set, no_plot;
    size_t             bootstrap;
    bool               bootstrap_set;
    double             level;
    unsigned long long seed;
    bool               seed_set;
    struct fit_filters where, bounds, holdout; /* owned */
    size_t             holdout_k, rollout_first;
    bool               rollout;
    const char        *by;
    const char        *fix_text[FIT_MAX_PARAMS];
    size_t             n_fix;
    const char        *predict_text[64];
    size_t             n_predict;
    double             target[64], compute[64];
    size_t             n_target, n_compute;
    double             true_entropy, tokens_per_sample;
    char              *filters_text[2 * CLI_FIT_MAX_FILTERS]; /* --where, --min, --max */
    size_t             n_filters;
    char               holdout_text[1024];
};

static void cli_fit_opts_free(struct cli_fit_opts *o) {
    free(o->laws);
    fit_filters_free(&o->where);
    fit_filters_free(&o->bounds);
    fit_filters_free(&o->holdout);
    for (size_t i = 0; i < o->n_filters; i++)
        free(o->filters_text[i]);
}

/* Records an option as it was written, for the provenance in fit.yaml. */
static void cli_fit_note_filter(struct cli_fit_opts *o, const char *opt, const char *value) {
    if (o->n_filters < sizeof o->filters_text / sizeof o->filters_text[0])
        o->filters_text[o->n_filters++] = sf_strdup_printf("%s %s", opt, value);
}

/* Reads one more filter of `form` into `fs` (at most `cap`). False after printing why. */
static bool cli_fit_add_filter(struct fit_filters *fs, size_t cap, const char *opt,
                               const char *value, enum fit_filter_form form) {
    if (fs->n == cap) {
        cli_option_error(opt, "given more than %zu times", cap);
        return false;
    }
    struct sf_error err;
    if (!fit_filters_parse(fs, value, form, opt, &err)) {
        cli_report(&err);
        return false;
    }
    return true;
}

/* --where COL=VALUE. */
static bool cli_fit_where(void *ctx, const char *opt, const char *value) {
    struct cli_fit_opts *o = ctx;
    if (!cli_fit_add_filter(&o->where, CLI_FIT_MAX_FILTERS, opt, value, FIT_FILTER_FORM_EQUALS))
        return false;
    cli_fit_note_filter(o, opt, value);
    return true;
}

/* --min COL=V and --max COL=V. */
static bool cli_fit_bound(void *ctx, const char *opt, const char *value) {
    struct cli_fit_opts *o = ctx;
    enum fit_filter_form form =
        strcmp(opt, "--min") == 0 ? FIT_FILTER_FORM_AT_LEAST : FIT_FILTER_FORM_AT_MOST;
    if (!cli_fit_add_filter(&o->bounds, CLI_FIT_MAX_FILTERS, opt, value, form)) return false;
    cli_fit_note_filter(o, opt, value);
    return true;
}

/* Adds one hold-out to the text recorded in fit.yaml ("A or B"). */
static void cli_fit_note_holdout(struct cli_fit_opts *o, const char *text) {
    size_t l = strlen(o->holdout_text);
    snprintf(o->holdout_text + l, sizeof o->holdout_text - l, "%s%s", l ? " or " : "", text);
}

/* --holdout-where 'COL>=V'. */
static bool cli_fit_holdout_where(void *ctx, const char *opt, const char *value) {
    struct cli_fit_opts *o = ctx;
    if (!cli_fit_add_filter(&o->holdout, CLI_FIT_MAX_HOLDOUTS, opt, value, FIT_FILTER_FORM_COMPARE))
        return false;
    cli_fit_note_holdout(o, value);
    return true;
}

/* --holdout K (stored by the table). */
static bool cli_fit_holdout_k(void *ctx, const char *opt, const char *value) {
    (void)opt, (void)value;
    struct cli_fit_opts *o = ctx;
    char                 text[64];
    snprintf(text, sizeof text, "%zu largest", o->holdout_k);
    cli_fit_note_holdout(o, text);
    return true;
}

/* Questions to the law table that pick laws for the lists below. */
static bool cli_fit_law_targets(enum fit_law_kind k) { /* --target-reducible applies */
    return fit_law_n_vars(k) == 1 || fit_law_optimal_label(k) != NULL;
}
static bool cli_fit_law_x(enum fit_law_kind k) { /* one variable, the --x column */
    return fit_law_n_vars(k) == 1 && !fit_law_fits_curves(k);
}
static bool cli_fit_law_two_var(enum fit_law_kind k) { /* of --n and --d */
    return fit_law_n_vars(k) == 2 && strcmp(fit_law_var_option(k, 1), "--d") == 0;
}
static bool cli_fit_law_steps(enum fit_law_kind k) { /* of --n and --step */
    return fit_law_n_vars(k) == 2 && strcmp(fit_law_var_option(k, 1), "--step") == 0;
}
static bool cli_fit_law_huber(enum fit_law_kind k) {
    return fit_law_default_loss(k) == FIT_LOSS_HUBER;
}

/* The names of the laws `keep` accepts (all when NULL) joined by ", ", into buf. */
static const char *cli_fit_law_list(char *buf, size_t n, bool (*keep)(enum fit_law_kind)) {
    size_t l = 0;
    buf[0]   = '\0';
    for (const char *const *name = fit_law_names(); *name != NULL && l < n; name++) {
        enum fit_law_kind k;
        if (keep != NULL && fit_law_from_name(*name, &k) && !keep(k)) continue;
        l += (size_t)snprintf(buf + l, n - l, "%s%s", l ? ", " : "", *name);
    }
    return buf;
}

/* The help of the options that apply to some laws only, naming those laws from the table. */
struct cli_fit_help {
    char x[256], n[256], d[256], step[256], run[256], c[256], shape[256], frontier_fit[256],
        loss[256], compute[256];
};

static void cli_fit_help_fill(struct cli_fit_help *h) {
    char one[64], two[64], steps[64], curves[64], huber[64], alloc[64];
    cli_fit_law_list(one, sizeof one, cli_fit_law_x);
    cli_fit_law_list(two, sizeof two, cli_fit_law_two_var);
    cli_fit_law_list(steps, sizeof steps, cli_fit_law_steps);
    cli_fit_law_list(curves, sizeof curves, fit_law_fits_curves);
    cli_fit_law_list(huber, sizeof huber, cli_fit_law_huber);
    cli_fit_law_list(alloc, sizeof alloc, fit_law_has_allocation);
    snprintf(h->x, sizeof h->x, "the variable of one-variable laws (%s)", one);
    snprintf(h->n, sizeof h->n,
             "parameters (%s,\n%s); %s: with it the optimal-size law\nis fitted too", two, steps,
             curves);
    snprintf(h->d, sizeof h->d, "tokens (%s)", two);
    snprintf(h->step, sizeof h->step, "the training step of each point (%s)", steps);
    snprintf(h->run, sizeof h->run, "%s: the learning-curve id", curves);
    snprintf(h->c, sizeof h->c, "%s: the compute (FLOP)", curves);
    snprintf(h->shape, sizeof h->shape,
             "%s: runs with the same value are seeds of one shape,\n"
             "averaged into one curve before the frontier",
             curves);
    snprintf(h->frontier_fit, sizeof h->frontier_fit,
             "%s: fit L(C) and N_opt to every point of the\n"
             "compute frontier before its flat tail (envelope, the default:\n"
             "it measured best) or to the vertices of its lower convex hull",
             curves);
    snprintf(h->loss, sizeof h->loss,
             "objective, summed (default: huber for %s,\nsquares otherwise)", huber);
    snprintf(h->compute, sizeof h->compute, "%s: N_opt, D_opt at compute C in FLOP (repeatable)",
             alloc);
}

/* --law LAW[,LAW...]. */
static bool cli_fit_law(void *ctx, const char *opt, const char *value) {
    struct cli_fit_opts *o = ctx;
    char                 buf[256], list[256];
    snprintf(buf, sizeof buf, "%s", value);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        enum fit_law_kind k;
        if (!fit_law_from_name(tok, &k)) {
            const char *hint = sf_did_you_mean(tok, fit_law_names());
            cli_option_error(opt, "unknown law '%s'%s%s%s (laws: %s)", tok,
                             hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "",
                             cli_fit_law_list(list, sizeof list, NULL));
            return false;
        }
        for (size_t m = 0; m < o->n_laws; m++) {
            if (o->laws[m] != k) continue;
            cli_option_error(opt, "law '%s' given twice", tok);
            return false;
        }
        enum fit_law_kind *laws = realloc(o->laws, (o->n_laws + 1) * sizeof *laws);
        if (laws == NULL) {
            cli_option_error(opt, "out of memory");
            return false;
        }
        o->laws              = laws;
        o->laws[o->n_laws++] = k;
    }
    if (o->n_laws == 0) cli_option_error(opt, "no law given");
    return o->n_laws > 0;
}

/* Reads the command line into `o` with the command's option table. Returns 0 to go on, -1 after
 * printing the help, or 2 after printing the error. A table is one statement; its entries are most
 * of the length. */
static int cli_fit_read(int argc, char **argv, struct cli_fit_opts *o) {
    struct cli_fit_help h;
    cli_fit_help_fill(&h);
    const struct cli_option table[] = {
        CLI_HEADING("required"),
        CLI_OPTION("--law", CLI_ARG_STRING, NULL, "LAW[,LAW...]",
                   "the laws to fit (see laws above)", .then = cli_fit_law),
        CLI_OPTION("--out", CLI_ARG_STRING, &o->out, "DIR",
                   "where fit.yaml, report.md and figures/ go"),
        CLI_HEADING("columns"),
        CLI_OPTION("--x", CLI_ARG_STRING, &o->cols.x, "COL", h.x),
        CLI_OPTION("--n", CLI_ARG_STRING, &o->cols.n, "COL", h.n),
        CLI_OPTION("--d", CLI_ARG_STRING, &o->cols.d, "COL", h.d),
        CLI_OPTION("--step", CLI_ARG_STRING, &o->cols.step, "COL", h.step),
        CLI_OPTION(
            "--u", CLI_ARG_STRING, &o->cols.u, "COL",
            "data-constrained: the unique tokens of each row (its\ntokens are D/U epochs of them)"),
        CLI_OPTION("--run", CLI_ARG_STRING, &o->cols.run, "COL", h.run),
        CLI_OPTION("--c", CLI_ARG_STRING, &o->cols.c, "COL", h.c),
        CLI_OPTION("--shape", CLI_ARG_STRING, &o->cols.shape, "COL", h.shape),
        CLI_OPTION("--frontier-fit", CLI_ARG_STRING, &o->frontier_fit, NULL, h.frontier_fit,
                   .choices = "envelope|hull"),
        CLI_OPTION("--y", CLI_ARG_STRING, &o->cols.y, "COL", "the loss column (default loss)"),
        CLI_OPTION("--y-unit", CLI_ARG_STRING, &o->y_unit, NULL,
                   "unit of the loss column (default nats)", .choices = "nats|bits"),
        CLI_OPTION("--weight", CLI_ARG_STRING, &o->cols.weight, "COL",
                   "per-point weights (relative)"),
        CLI_HEADING("rows"),
        CLI_OPTION("--where", CLI_ARG_STRING, NULL, "COL=VALUE",
                   "keep rows whose COL equals VALUE (repeatable; AND across\n"
                   "columns, OR among values of one column)",
                   .then = cli_fit_where),
        CLI_OPTION("--min", CLI_ARG_STRING, NULL, "COL=V", "keep rows with V <= COL (repeatable)",
                   .then = cli_fit_bound),
        CLI_OPTION("--max", CLI_ARG_STRING, NULL, "COL=V", "keep rows with COL <= V (repeatable)",
                   .then = cli_fit_bound),
        CLI_OPTION("--by", CLI_ARG_STRING, &o->by, "COL", "fit each group of rows separately"),
        CLI_OPTION("--holdout-where", CLI_ARG_STRING, NULL, "'COL>=V'",
                   "hold rows out of the fit (also >, <=, <; numeric)",
                   .then = cli_fit_holdout_where),
        CLI_OPTION("--holdout", CLI_ARG_SIZE, &o->holdout_k, "K",
                   "hold out the K rows largest in x (N, then D); frontier\n"
                   "laws: the runs owning the K largest-compute hull points",
                   .check = CLI_CHECK_AT_LEAST, .lo = 1, .then = cli_fit_holdout_k),
        CLI_OPTION("--rollout", CLI_ARG_FLAG, &o->rollout, NULL,
                   "rolling-origin extrapolation: fit the smallest sizes,\n"
                   "predict the next, for every split in turn"),
        CLI_OPTION("--rollout-first", CLI_ARG_SIZE, &o->rollout_first, "K",
                   "sizes fitted by the rollout's first split (default: the\n"
                   "most parameters of the laws given + 1 for one variable, 3\n"
                   "sizes of N for two)",
                   .check = CLI_CHECK_AT_LEAST, .lo = 2),
        CLI_HEADING("fitting"),
        CLI_OPTION("--space", CLI_ARG_STRING, &o->space, NULL, "residual space (default log)",
                   .choices = "log|linear"),
        CLI_OPTION("--loss", CLI_ARG_STRING, &o->loss, NULL, h.loss, .choices = "squares|huber"),
        CLI_OPTION("--delta", CLI_ARG_DOUBLE, &o->delta, "D", "Huber delta (default 1e-3)",
                   .check = CLI_CHECK_POSITIVE, .given = &o->delta_set),
        CLI_OPTION("--fix", CLI_ARG_STRING, o->fix_text, "NAME=VALUE",
                   "hold a parameter of the law at VALUE instead of fitting\n"
                   "it (repeatable; a scale such as x0 with its exponent)",
                   .count = &o->n_fix, .max = FIT_MAX_PARAMS),
        CLI_OPTION("--bootstrap", CLI_ARG_SIZE, &o->bootstrap, "B",
                   "replicates for intervals (default 1000; 0: covariance only)",
                   .check = CLI_CHECK_AT_MOST, .hi = 1000000, .given = &o->bootstrap_set),
        CLI_OPTION("--level", CLI_ARG_DOUBLE, &o->level, "L", "interval level (default 0.95)",
                   .check = CLI_CHECK_OPEN_UNIT),
        CLI_OPTION("--seed", CLI_ARG_U64, &o->seed, "S", "bootstrap seed (default 1)",
                   .given = &o->seed_set),
        CLI_HEADING("results"),
        CLI_OPTION("--predict", CLI_ARG_STRING, o->predict_text, "'COL=V[,COL=V]'",
                   "forecast the loss at a point (repeatable)", .count = &o->n_predict, .max = 64),
        CLI_OPTION("--target-reducible", CLI_ARG_DOUBLE, o->target, "R",
                   "size (or compute) where the reducible loss is R; laws of\n"
                   "N and D: the compute, N and D at the optimum (repeatable)",
                   .check = CLI_CHECK_POSITIVE, .count = &o->n_target, .max = 64),
        CLI_OPTION("--compute", CLI_ARG_DOUBLE, o->compute, "C", h.compute,
                   .check = CLI_CHECK_POSITIVE, .count = &o->n_compute, .max = 64),
        CLI_OPTION("--true-entropy", CLI_ARG_DOUBLE, &o->true_entropy, "H",
                   "the data's known entropy (nats/token), to check L_inf",
                   .check = CLI_CHECK_POSITIVE),
        CLI_OPTION("--tokens-per-sample", CLI_ARG_DOUBLE, &o->tokens_per_sample, "T",
                   "also report the entropy per sample", .check = CLI_CHECK_POSITIVE),
        CLI_OPTION("--no-plot", CLI_ARG_FLAG, &o->no_plot, NULL,
                   "do not draw figures: write their tables and scripts\n"
                   "only (scalefit plot DIR draws them later)"),
        CLI_END,
    };
    char laws[256], intro[512];
    snprintf(intro, sizeof intro,
             "Fits scaling laws to a loss table (CSV with a header row; '#' starts a comment "
             "line).\n\nlaws: %s",
             cli_fit_law_list(laws, sizeof laws, NULL));
    const struct cli_command cmd = {
        .name     = "fit",
        .synopsis = "DATA.csv --law LAW[,LAW...] --out DIR [options]",
        .intro    = intro,
        .outro = "Figures are drawn by gnuplot ($SCALEFIT_GNUPLOT, else gnuplot on the PATH) from "
                 "the\ntemplates in $SCALEFIT_PLOTS, else the source tree's plots/, else the "
                 "installed ones.",
        .options    = table,
        .operand    = "data file",
        .operand_at = &o->data,
        .ctx        = o,
    };
    int rc;
    return cli_parse(&cmd, argc, argv, &rc) ? 0 : rc == 0 ? -1 : rc;
}

/* Parses the options. Returns 0 to go on, or an exit status (-1: help was printed). */
static int cli_fit_parse(int argc, char **argv, struct cli_fit_opts *o, bool need_out) {
    memset(o, 0, sizeof *o);
    o->level        = NAN;
    o->true_entropy = NAN;
    int rc          = cli_fit_read(argc, argv, o);
    if (rc != 0) return rc;
    o->cols.y_in_bits = o->y_unit != NULL && strcmp(o->y_unit, "bits") == 0;
    o->frontier_hull  = o->frontier_fit != NULL && strcmp(o->frontier_fit, "hull") == 0;
    char laws[256];
    if (o->n_laws == 0)
        return cli_option_error("--law", "required (%s)",
                                cli_fit_law_list(laws, sizeof laws, NULL));
    if (o->out == NULL && need_out)
        return cli_option_error("--out",
                                "required (the folder for fit.yaml, report.md and figures)");
    if (o->rollout_first > 0 && !o->rollout)
        return cli_option_error("--rollout-first", "applies with --rollout only");
    /* The default first split: enough sizes for every law given, so that the laws are scored
     * on the same predictions. */
    if (o->rollout && o->rollout_first == 0) {
        for (size_t k = 0; k < o->n_laws; k++) {
            size_t need = fit_law_n_vars(o->laws[k]) == 1 ? fit_law_n_params(o->laws[k]) + 1 : 3;
            if (need > o->rollout_first) o->rollout_first = need;
        }
    }
    for (size_t k = 0; k < o->n_laws && o->delta_set; k++) {
        /* A delta that no fit would use is an error, not a silent default. */
        bool huber =
            o->loss != NULL ? strcmp(o->loss, "huber") == 0 : cli_fit_law_huber(o->laws[k]);
        if (!huber)
            return cli_option_error("--delta", "applies to the Huber loss only (%s fits squares%s)",
                                    fit_law_name(o->laws[k]),
                                    o->loss ? "" : " by default: add --loss huber");
    }
    for (size_t k = 0; k < o->n_laws; k++) {
        enum fit_law_kind law = o->laws[k];
        if (o->n_target > 0 && !cli_fit_law_targets(law))
            return cli_option_error("--target-reducible",
                                    "needs a one-variable law or one with a compute-optimal "
                                    "allocation (%s), not %s",
                                    cli_fit_law_list(laws, sizeof laws, cli_fit_law_targets),
                                    fit_law_name(law));
        if (o->n_compute > 0 && !fit_law_has_allocation(law))
            return cli_option_error("--compute", "applies to %s only, not %s",
                                    cli_fit_law_list(laws, sizeof laws, fit_law_has_allocation),
                                    fit_law_name(law));
        bool curves = fit_law_fits_curves(law);
        if (curves && o->rollout)
            return cli_option_error("--rollout",
                                    "does not apply to %s (its points are the frontier)",
                                    fit_law_name(law));
        if (curves && o->holdout.n > 0)
            return cli_option_error("--holdout-where",
                                    "does not apply to %s (the frontier uses every curve: "
                                    "--holdout K holds out the runs that set its largest "
                                    "compute)",
                                    fit_law_name(law));
        if (!curves && o->cols.shape != NULL)
            return cli_option_error("--shape", "applies to laws fitted to learning curves (%s)",
                                    cli_fit_law_list(laws, sizeof laws, fit_law_fits_curves));
        if (curves && o->cols.weight != NULL)
            return cli_option_error("--weight",
                                    "does not apply to %s (its points are the envelope)",
                                    fit_law_name(law));
        if (cli_fit_law_x(law) && o->cols.x == NULL)
            return cli_option_error("--x", "required by %s (the column of x)", fit_law_name(law));
        if (fit_law_n_vars(law) == 2 && (o->cols.n == NULL || o->cols.d == NULL) &&
            cli_fit_law_two_var(law))
            return cli_option_error(o->cols.n == NULL ? "--n" : "--d",
                                    "required by %s (parameters "
                                    "and tokens columns)",
                                    fit_law_name(law));
        if (fit_law_aux_option(law) && o->cols.u == NULL)
            return cli_option_error(fit_law_aux_option(law),
                                    "required by %s (the unique tokens of each row)",
                                    fit_law_name(law));
        if (cli_fit_law_steps(law) && (o->cols.n == NULL || o->cols.step == NULL))
            return cli_option_error(o->cols.n == NULL ? "--n" : "--step",
                                    "required by %s (parameters and training-step columns)",
                                    fit_law_name(law));
        if (curves && (o->cols.run == NULL || o->cols.c == NULL))
            return cli_option_error(o->cols.run == NULL ? "--run" : "--c",
                                    "required by %s (run id and compute columns)",
                                    fit_law_name(law));
    }
    return 0;
}

/* A folder name for a group value: path separators and control characters become '_'. */
static void cli_fit_dir_name(const char *group, char *out, size_t n) {
    snprintf(out, n, "%s", group[0] ? group : "_");
    for (char *p = out; *p; p++)
        if (*p == '/' || (unsigned char)*p < 32 || *p == '\\') *p = '_';
    if (out[0] == '.') out[0] = '_';
}

/* What one fit's request borrows from its caller, kept as long as its result. */
struct cli_fit_keep {
    struct fit_point_request pred[64];
    struct fit_fix           fix[FIT_MAX_PARAMS];
};

/* One fit: builds the data and fits. Returns 0 with the result in *out, or an exit status
 * having printed why. */
static int cli_fit_compute(const struct cli_fit_opts *o, const struct sf_csv *csv,
                           const size_t *rows, size_t n_rows, enum fit_law_kind law,
                           const char *group, struct fit_data *d, struct fit_result **out,
                           struct cli_fit_keep *keep) {
    struct sf_error err;
    sf_error_clear(&err);
    *out                           = NULL;
    struct fit_point_request *pred = keep->pred;
    struct fit_fix           *fix  = keep->fix;
    struct fit_selection      sel  = {o->where.v,   o->where.n,   o->bounds.v,  o->bounds.n,
                                      o->holdout.v, o->holdout.n, o->holdout_k, o->by};
    if (fit_data_build(csv, rows, n_rows, law, &o->cols, &sel, d, &err) != SF_OK) {
        if (group) sf_error_prefix(&err, "group '%s'", group);
        return cli_report(&err);
    }
    for (size_t i = 0; i < o->n_predict; i++)
        if (fit_point_parse(o->predict_text[i], law, &o->cols, "--predict", &pred[i], &err) !=
            SF_OK)
            return cli_report(&err);
    for (size_t i = 0; i < o->n_fix; i++) {
        if (fit_fix_parse(o->fix_text[i], law, "--fix", &fix[i], &err) != SF_OK)
            return cli_report(&err);
        for (size_t k = 0; k < i; k++)
            if (fix[k].param == fix[i].param)
                return cli_option_error("--fix", "%s given twice",
                                        fit_law_param_name(law, fix[i].param));
    }
    struct fit_request req;
    fit_request_init(&req, law);
    if (o->space) req.space = strcmp(o->space, "log") == 0 ? FIT_SPACE_LOG : FIT_SPACE_LINEAR;
    if (o->loss) req.loss = strcmp(o->loss, "huber") == 0 ? FIT_LOSS_HUBER : FIT_LOSS_SQUARES;
    if (o->delta_set) req.delta = o->delta;
    if (o->bootstrap_set) req.params.bootstrap = o->bootstrap;
    if (isfinite(o->level)) req.params.level = o->level;
    if (o->seed_set) req.params.seed = o->seed;
    req.fix               = fix;
    req.n_fix             = o->n_fix;
    req.predict           = pred;
    req.n_predict         = o->n_predict;
    req.target_reducible  = o->target;
    req.n_target          = o->n_target;
    req.compute           = o->compute;
    req.n_compute         = o->n_compute;
    req.true_entropy      = o->true_entropy;
    req.frontier_hull     = o->frontier_hull;
    req.tokens_per_sample = o->tokens_per_sample;
    if (o->rollout) req.rollout_first = o->rollout_first;
    struct sf_logger   logger = sf_logger_stderr(NULL);
    struct fit_result *r      = fit_run(d, &req, &logger, &err);
    if (r == NULL) {
        sf_error_prefix(&err, "%s%s%s", fit_law_name(law), group ? " in group " : "",
                        group ? group : "");
        return cli_report(&err);
    }
    *out = r;
    return 0;
}

/* The provenance of one fit. */
static struct fit_provenance cli_fit_provenance(const struct cli_fit_opts *o,
                                                const struct sf_csv *csv, const char *sha,
                                                size_t n_rows, const char *group) {
    struct fit_provenance prov = {.version      = cli_version(),
                                  .command      = cli_command_line(),
                                  .input_path   = o->data,
                                  .input_sha256 = sha,
                                  .rows_read    = csv->n_rows,
                                  .rows_used    = n_rows,
                                  .filters      = (const char *const *)o->filters_text,
                                  .n_filters    = o->n_filters,
                                  .holdout      = o->holdout_text[0] ? o->holdout_text : NULL,
                                  .weights      = o->cols.weight,
                                  .group        = group};
    return prov;
}

/* One fit: fits, then writes fit.yaml, the figures and report.md in `dir`. */
static int cli_fit_one(const struct cli_fit_opts *o, const struct sf_csv *csv, const char *sha,
                       const size_t *rows, size_t n_rows, enum fit_law_kind law, const char *group,
                       const char *dir, struct fit_data *d, struct fit_result **out,
                       struct cli_fit_keep *keep) {
    int rc = cli_fit_compute(o, csv, rows, n_rows, law, group, d, out, keep);
    if (rc != 0) return rc;
    struct fit_result    *r = *out;
    struct sf_error       err;
    struct fit_provenance prov = cli_fit_provenance(o, csv, sha, n_rows, group);
    struct sf_diags       diags;
    sf_diag_init(&diags);
    enum sf_status st = figures_fit_write(r, &prov, dir, !o->no_plot, &diags, &err);
    sf_diag_print(&diags, stderr);
    sf_diag_free(&diags);
    return st == SF_OK ? 0 : cli_report(&err);
}

/* Reads the table (one read: the bytes hashed are the bytes fitted), its SHA-256 and the groups
 * of rows that pass the filters. Returns 0, or an exit status having printed the error and
 * freed what it made. */
static int cli_fit_load_text(const struct cli_fit_opts *o, const char *text, size_t len,
                             struct sf_csv *csv, char sha[65], struct fit_groups *groups) {
    struct sf_error err;
    sf_sha256_hex(text, len, sha);
    if (sf_csv_parse(o->data, text, len, csv, &err) != SF_OK) return cli_report(&err);
    struct fit_selection sel = {o->where.v,   o->where.n,   o->bounds.v,  o->bounds.n,
                                o->holdout.v, o->holdout.n, o->holdout_k, o->by};
    if (fit_select_rows(csv, &sel, groups, &err) != SF_OK) {
        sf_csv_free(csv);
        return cli_report(&err);
    }
    int rc = 0;
    if (csv->n_rows == 0) {
        fprintf(stderr, "scalefit: %s: error: no data rows below the header\n", o->data);
        rc = 2;
    } else if (groups->n == 0) {
        fprintf(stderr, "scalefit: %s: error: no row passes the filters (%zu rows read)\n", o->data,
                csv->n_rows);
        rc = 2;
    }
    if (rc != 0) {
        fit_groups_free(groups);
        sf_csv_free(csv);
    }
    return rc;
}

static int cli_fit_load(const struct cli_fit_opts *o, struct sf_csv *csv, char sha[65],
                        struct fit_groups *groups) {
    struct sf_error err;
    char           *text;
    size_t          len;
    if (sf_read_file(o->data, &text, &len, &err) != SF_OK) return cli_report(&err);
    int rc = cli_fit_load_text(o, text, len, csv, sha, groups);
    free(text);
    return rc;
}

/* The best law of each group, as comparison.yaml ranks them, for the summary on stdout. */
static void cli_fit_summary_ranks(const struct fit_comparison_entry *e, size_t n,
                                  struct sf_buf *summary) {
    size_t           *rank = calloc(n, sizeof *rank);
    enum fit_rank_by *by   = calloc(n, sizeof *by);
    if (rank && by) {
        fit_comparison_rank(e, n, rank, by);
        for (size_t i = 0; i < n; i++)
            if (rank[i] == 1)
                sf_buf_printf(summary, "%s%sbest: %s (ranked by %s)\n",
                              e[i].group ? e[i].group : "", e[i].group ? ": " : "",
                              fit_law_name(e[i].result->law), fit_rank_by_text(by[i]));
    }
    free(rank), free(by);
}

/* The folder of group g: its sanitised name, with _2, _3, ... until no earlier group's folder
 * has it. */
static void cli_fit_group_dir(char (*gdirs)[256], size_t g, const char *name) {
    char *gdir = gdirs[g], base[240];
    cli_fit_dir_name(name, base, sizeof base);
    snprintf(gdir, sizeof gdirs[0], "%s", base);
    for (size_t suffix = 2;; suffix++) {
        bool taken = false;
        for (size_t h = 0; h < g; h++)
            taken = taken || strcmp(gdirs[h], gdir) == 0;
        if (!taken) break;
        snprintf(gdir, sizeof gdirs[0], "%s_%zu", base, suffix);
    }
}

int cli_fit_main(int argc, char **argv) {
    struct cli_fit_opts o;
    int                 rc = cli_fit_parse(argc, argv, &o, true);
    if (rc != 0) {
        cli_fit_opts_free(&o);
        return rc < 0 ? 0 : rc;
    }
    struct sf_error   err;
    struct sf_csv     csv;
    struct fit_groups groups;
    char              sha[65];
    if ((rc = cli_fit_load(&o, &csv, sha, &groups)) != 0) {
        cli_fit_opts_free(&o);
        return rc;
    }
    const size_t                 n_fits  = groups.n * o.n_laws;
    struct fit_data             *data    = calloc(n_fits, sizeof *data);
    struct fit_result          **results = calloc(n_fits, sizeof *results);
    struct fit_comparison_entry *entries = calloc(n_fits, sizeof *entries);
    char                       **dirs    = calloc(n_fits, sizeof *dirs);
    char                       **rels    = calloc(n_fits, sizeof *rels);
    struct cli_fit_keep         *keeps   = calloc(n_fits, sizeof *keeps);
    char(*gdirs)[256]                    = calloc(groups.n, sizeof *gdirs);
    if (!data || !results || !entries || !dirs || !rels || !keeps || !gdirs) {
        fprintf(stderr, "scalefit: error: out of memory\n");
        rc = 1;
        goto done;
    }
    bool          several = n_fits > 1 || o.by != NULL;
    struct sf_buf summary;
    sf_buf_init(&summary);
    for (size_t g = 0; g < groups.n && rc == 0; g++) {
        cli_fit_group_dir(gdirs, g, groups.names[g]);
        const char *gdir = gdirs[g];
        for (size_t k = 0; k < o.n_laws && rc == 0; k++) {
            size_t      i   = g * o.n_laws + k;
            const char *law = fit_law_name(o.laws[k]);
            if (o.by)
                rels[i] = sf_strdup_printf("%s/%s", gdir, law);
            else
                rels[i] = sf_strdup(several ? law : ".");
            dirs[i] = rels[i] == NULL ? NULL
                      : several       ? sf_path_join(o.out, rels[i])
                                      : sf_strdup(o.out);
            if (dirs[i] == NULL) {
                fprintf(stderr, "scalefit: error: out of memory\n");
                rc = 1;
                break;
            }
            rc = cli_fit_one(&o, &csv, sha, groups.rows[g], groups.n_rows[g], o.laws[k],
                             o.by ? groups.names[g] : NULL, dirs[i], &data[i], &results[i],
                             &keeps[i]);
            if (rc != 0) break;
            entries[i].group  = o.by ? groups.names[g] : NULL;
            entries[i].dir    = rels[i];
            entries[i].result = results[i];
            char label[300];
            snprintf(label, sizeof label, "%s%s", o.by ? groups.names[g] : "", o.by ? ":" : "");
            fit_summary(results[i], o.by ? label : NULL, &summary);
        }
    }
    if (rc == 0 && several) {
        struct fit_provenance prov = {.version      = cli_version(),
                                      .command      = cli_command_line(),
                                      .input_path   = o.data,
                                      .input_sha256 = sha,
                                      .rows_read    = csv.n_rows,
                                      .filters      = (const char *const *)o.filters_text,
                                      .n_filters    = o.n_filters};
        if (fit_write_comparison(entries, n_fits, &prov, o.out, &err) != SF_OK)
            rc = cli_report(&err);
        if (rc == 0 && o.n_laws > 1) cli_fit_summary_ranks(entries, n_fits, &summary);
    }
    if (rc == 0) {
        fputs(summary.data ? summary.data : "", stdout);
        printf("wrote %s/%s\n", o.out,
               several ? "comparison.yaml and one folder per fit" : "fit.yaml");
    }
    sf_buf_free(&summary);
done:
    for (size_t i = 0; i < n_fits; i++) {
        if (results) fit_result_free(results[i]);
        if (data) fit_data_free(&data[i]);
        if (dirs) free(dirs[i]);
        if (rels) free(rels[i]);
    }
    for (size_t i = 0; keeps && i < n_fits; i++)
        for (size_t j = 0; j < o.n_predict; j++)
            free(keeps[i].pred[j].text);
    free(gdirs);
    free(data);
    free(results);
    free(entries);
    free(dirs);
    free(rels);
    free(keeps);
    fit_groups_free(&groups);
    sf_csv_free(&csv);
    cli_fit_opts_free(&o);
    return rc;
}

// ---- in memory: the Python interface (api.c) ----

struct cli_fit_memory {
    char              **argv; /* (argc + 1) copies: the options borrow their strings */
    int                 argc;
    char               *command; /* the command line, for fit.yaml */
    struct cli_fit_opts o;
    struct sf_csv       csv;
    struct fit_groups   groups;
    bool                loaded;
    struct fit_data     d;
    struct fit_result  *r;
    struct cli_fit_keep keep;
    char                sha[65];
};

struct cli_fit_memory *cli_fit_memory_run(int argc, char **argv, const char *text, size_t len,
                                          int *status) {
    struct cli_fit_memory *m = calloc(1, sizeof *m);
    if (m == NULL) {
        fprintf(stderr, "scalefit: error: out of memory\n");
        *status = 1;
        return NULL;
    }
    m->argv = calloc((size_t)argc + 1, sizeof *m->argv);
    bool ok = m->argv != NULL;
    for (int i = 0; ok && i < argc; i++)
        ok = (m->argv[i] = sf_strdup(argv[i])) != NULL;
    m->argc = argc;
    cli_set_command_line(argc, m->argv);
    m->command = sf_strdup(cli_command_line());
    if (!ok || m->command == NULL) {
        fprintf(stderr, "scalefit: error: out of memory\n");
        *status = 1;
        cli_fit_memory_free(m);
        return NULL;
    }
    int rc = cli_fit_parse(argc, m->argv, &m->o, false);
    if (rc == 0 && m->o.n_laws > 1)
        rc = cli_option_error("--law", "fits one law at a time here (%zu given): fit each",
                              m->o.n_laws);
    if (rc == 0 && m->o.by != NULL)
        rc = cli_option_error("--by", "fits one group at a time here: select it with where");
    if (rc == 0) {
        rc        = cli_fit_load_text(&m->o, text, len, &m->csv, m->sha, &m->groups);
        m->loaded = rc == 0;
    }
    if (rc == 0)
        rc = cli_fit_compute(&m->o, &m->csv, m->groups.rows[0], m->groups.n_rows[0], m->o.laws[0],
                             NULL, &m->d, &m->r, &m->keep);
    if (rc != 0) {
        *status = rc < 0 ? 2 : rc;
        cli_fit_memory_free(m);
        return NULL;
    }
    *status = 0;
    return m;
}

const struct fit_result *cli_fit_memory_result(const struct cli_fit_memory *m) {
    return m->r;
}

char *cli_fit_memory_yaml(const struct cli_fit_memory *m) {
    struct fit_provenance prov =
        cli_fit_provenance(&m->o, &m->csv, m->sha, m->groups.n_rows[0], NULL);
    prov.command = m->command;
    struct sf_error err;
    char           *text = NULL;
    if (fit_yaml_text(m->r, &prov, &text, &err) != SF_OK) {
        cli_report(&err);
        return NULL;
    }
    return text;
}

void cli_fit_memory_free(struct cli_fit_memory *m) {
    if (m == NULL) return;
    fit_result_free(m->r);
    fit_data_free(&m->d);
    for (size_t j = 0; j < m->o.n_predict; j++)
        free(m->keep.pred[j].text);
    if (m->loaded) {
        fit_groups_free(&m->groups);
        sf_csv_free(&m->csv);
    }
    cli_fit_opts_free(&m->o);
    for (int i = 0; m->argv && i < m->argc; i++)
        free(m->argv[i]);
    free(m->argv);
    free(m->command);
    free(m);
}
