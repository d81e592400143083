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

static void cli_fit_usage(FILE *out) {
    fprintf(
        out,
        "usage: scalefit fit DATA.csv --law LAW[,LAW...] --out DIR [options]\n"
        "\n"
        "Fits scaling laws to a loss table (CSV with a header row; '#' starts a comment line).\n"
        "\n"
        "laws: power, power+const, chinchilla, kaplan-nd, frontier\n"
        "columns:\n"
        "  --x COL                 the variable of one-variable laws (power, power+const)\n"
        "  --n COL --d COL         parameters and tokens (chinchilla, kaplan-nd)\n"
        "  --run COL --c COL       frontier: learning-curve id and compute (FLOP) columns;\n"
        "                          with --n COL the optimal-size law is fitted too\n"
        "  --frontier-fit envelope|hull  frontier: fit L(C) to every envelope point (default)\n"
        "                          or to the vertices of its lower convex hull\n"
        "  --y COL                 the loss column (default loss)\n"
        "  --y-unit nats|bits      unit of the loss column (default nats)\n"
        "  --weight COL            per-point weights (relative)\n"
        "rows:\n"
        "  --where COL=VALUE       keep rows whose COL equals VALUE (repeatable; AND across\n"
        "                          columns, OR among values of one column)\n"
        "  --min COL=V, --max COL=V  keep rows with V <= COL, COL <= V (inclusive)\n"
        "  --by COL                fit each group of rows separately\n"
        "  --holdout-where 'COL>=V'  hold rows out of the fit (also >, <=, <; numeric)\n"
        "  --holdout K             hold out the K rows largest in x (N, then D)\n"
        "fitting:\n"
        "  --space log|linear      residual space (default log)\n"
        "  --loss squares|huber    objective, summed (default: huber for chinchilla,\n"
        "                          squares otherwise)\n"
        "  --delta D               Huber delta (default 1e-3)\n"
        "  --bootstrap B           replicates for intervals (default 1000; 0: covariance only)\n"
        "  --level L               interval level (default 0.95)\n"
        "  --seed S                bootstrap seed (default 1)\n"
        "results:\n"
        "  --predict 'COL=V[,COL=V]'  forecast the loss at a point (repeatable)\n"
        "  --target-reducible R    size (or compute) where the reducible loss is R (repeatable)\n"
        "  --compute C             chinchilla: N_opt, D_opt at compute C in FLOP (repeatable)\n"
        "  --true-entropy H        the data's known entropy (nats/token), to check L_inf\n"
        "  --tokens-per-sample T   also report the entropy per sample\n"
        "  --no-plot               do not draw figures\n"
        "  --out DIR               where fit.yaml, report.md and figures/ go (required)\n"
        "\n"
        "Figures are drawn by gnuplot ($SCALEFIT_GNUPLOT, else gnuplot on the PATH) from the\n"
        "templates in $SCALEFIT_PLOTS, else the source tree's plots/, else the installed ones.\n");
}

/* Everything parsed from the command line. */
struct cli_fit_opts {
    const char        *data, *out;
    enum fit_law_kind  laws[FIT_LAW_COUNT];
    size_t             n_laws;
    struct fit_columns cols;
    const char        *space, *loss, *y_unit;
    bool               frontier_hull;
    double             delta;
    bool               delta_set, no_plot;
    size_t             bootstrap;
    bool               bootstrap_set;
    double             level;
    unsigned long long seed;
    bool               seed_set;
    struct fit_filter  where[64], bounds[64], holdout[16];
    size_t             n_where, n_bounds, n_holdout, holdout_k;
    const char        *by;
    const char        *predict_text[64];
    size_t             n_predict;
    double             target[64], compute[64];
    size_t             n_target, n_compute;
    double             true_entropy, tokens_per_sample;
    char              *filters_text[160];
    size_t             n_filters;
    char               holdout_text[1024];
};

static void cli_fit_opts_free(struct cli_fit_opts *o) {
    for (size_t i = 0; i < o->n_where; i++)
        fit_filter_free(&o->where[i]);
    for (size_t i = 0; i < o->n_bounds; i++)
        fit_filter_free(&o->bounds[i]);
    for (size_t i = 0; i < o->n_holdout; i++)
        fit_filter_free(&o->holdout[i]);
    for (size_t i = 0; i < o->n_filters; i++)
        free(o->filters_text[i]);
}

/* Records an option as it was written, for the provenance in fit.yaml. */
static void cli_fit_note_filter(struct cli_fit_opts *o, const char *opt, const char *value) {
    if (o->n_filters < sizeof o->filters_text / sizeof o->filters_text[0])
        o->filters_text[o->n_filters++] = sf_strdup_printf("%s %s", opt, value);
}

static bool cli_fit_add_filter(struct fit_filter *arr, size_t *n, size_t cap, const char *opt,
                               const char *value, bool numeric_only, enum fit_filter_op op) {
    if (*n == cap) {
        cli_option_error(opt, "given more than %zu times", cap);
        return false;
    }
    struct sf_error err;
    if (!fit_filter_parse(value, numeric_only, opt, &arr[*n], &err)) {
        cli_report(&err);
        return false;
    }
    if (numeric_only) {
        arr[*n].op = op;
        if (!isfinite(arr[*n].value)) {
            cli_option_error(opt, "'%s' is not COL=NUMBER", value);
            fit_filter_free(&arr[*n]);
            return false;
        }
    }
    (*n)++;
    return true;
}

/* Parses the options. Returns 0 to go on, or an exit status. */
static int cli_fit_parse(int argc, char **argv, struct cli_fit_opts *o) {
    memset(o, 0, sizeof *o);
    o->level                              = NAN;
    o->true_entropy                       = NAN;
    static const char *const with_value[] = {"--law",
                                             "--out",
                                             "--x",
                                             "--n",
                                             "--d",
                                             "--y",
                                             "--y-unit",
                                             "--weight",
                                             "--run",
                                             "--c",
                                             "--where",
                                             "--min",
                                             "--max",
                                             "--by",
                                             "--holdout-where",
                                             "--holdout",
                                             "--space",
                                             "--loss",
                                             "--delta",
                                             "--bootstrap",
                                             "--level",
                                             "--seed",
                                             "--predict",
                                             "--target-reducible",
                                             "--compute",
                                             "--true-entropy",
                                             "--tokens-per-sample",
                                             "--frontier-fit",
                                             NULL};
    static const char *const flags[]      = {"--no-plot", NULL};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_fit_usage(stdout);
            return -1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (o->data != NULL) {
                fprintf(stderr, "scalefit: error: more than one data file ('%s' and '%s')\n",
                        o->data, arg);
                return 2;
            }
            o->data = arg;
            continue;
        }
        char        name[64];
        const char *value = NULL;
        const char *eq    = strchr(arg, '=');
        if (eq != NULL && (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value          = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
        bool is_flag = false, known = false;
        for (size_t k = 0; flags[k]; k++)
            if (strcmp(name, flags[k]) == 0) is_flag = known = true;
        for (size_t k = 0; with_value[k]; k++)
            if (strcmp(name, with_value[k]) == 0) known = true;
        if (!known) {
            const char *all[64];
            size_t      m = 0;
            for (size_t k = 0; with_value[k]; k++)
                all[m++] = with_value[k];
            for (size_t k = 0; flags[k]; k++)
                all[m++] = flags[k];
            all[m]           = NULL;
            const char *hint = sf_did_you_mean(name, all);
            if (hint) return cli_option_error(name, "unknown option (did you mean %s?)", hint);
            return cli_option_error(name, "unknown option (see scalefit fit --help)");
        }
        if (is_flag) {
            if (value != NULL) return cli_option_error(name, "takes no value");
            if (strcmp(name, "--no-plot") == 0) o->no_plot = true;
            continue;
        }
        if (value == NULL) {
            if (i + 1 >= argc) return cli_option_error(name, "needs a value");
            value = argv[++i];
        }
        if (strcmp(name, "--law") == 0) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", value);
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                enum fit_law_kind k;
                if (!fit_law_from_name(tok, &k)) {
                    const char *hint = sf_did_you_mean(tok, fit_law_names());
                    return cli_option_error(name,
                                            "unknown law '%s'%s%s%s (laws: power, power+const, "
                                            "chinchilla, kaplan-nd, frontier)",
                                            tok, hint ? "; did you mean '" : "", hint ? hint : "",
                                            hint ? "'?" : "");
                }
                for (size_t m = 0; m < o->n_laws; m++)
                    if (o->laws[m] == k) return cli_option_error(name, "law '%s' given twice", tok);
                o->laws[o->n_laws++] = k;
            }
            if (o->n_laws == 0) return cli_option_error(name, "no law given");
        } else if (strcmp(name, "--out") == 0) {
            o->out = value;
        } else if (strcmp(name, "--x") == 0) {
            o->cols.x = value;
        } else if (strcmp(name, "--n") == 0) {
            o->cols.n = value;
        } else if (strcmp(name, "--d") == 0) {
            o->cols.d = value;
        } else if (strcmp(name, "--y") == 0) {
            o->cols.y = value;
        } else if (strcmp(name, "--weight") == 0) {
            o->cols.weight = value;
        } else if (strcmp(name, "--run") == 0) {
            o->cols.run = value;
        } else if (strcmp(name, "--c") == 0) {
            o->cols.c = value;
        } else if (strcmp(name, "--y-unit") == 0) {
            if (strcmp(value, "nats") != 0 && strcmp(value, "bits") != 0)
                return cli_option_error(name, "'%s' is not nats or bits", value);
            o->cols.y_in_bits = strcmp(value, "bits") == 0;
        } else if (strcmp(name, "--where") == 0) {
            if (strchr(value, '=') == NULL || strpbrk(value, "<>") != NULL)
                return cli_option_error(name, "'%s' is not COL=VALUE (use --min/--max for ranges)",
                                        value);
            if (!cli_fit_add_filter(o->where, &o->n_where, 64, name, value, false,
                                    FIT_FILTER_OP_EQ_STR))
                return 2;
            cli_fit_note_filter(o, name, value);
        } else if (strcmp(name, "--min") == 0 || strcmp(name, "--max") == 0) {
            if (!cli_fit_add_filter(o->bounds, &o->n_bounds, 64, name, value, true,
                                    name[3] == 'i' ? FIT_FILTER_OP_GE : FIT_FILTER_OP_LE))
                return 2;
            cli_fit_note_filter(o, name, value);
        } else if (strcmp(name, "--holdout-where") == 0) {
            if (!cli_fit_add_filter(o->holdout, &o->n_holdout, 16, name, value, false,
                                    FIT_FILTER_OP_EQ_STR))
                return 2;
            if (o->holdout[o->n_holdout - 1].op == FIT_FILTER_OP_EQ_STR)
                return cli_option_error(name,
                                        "'%s' is not COL>=V, COL>V, COL<=V or COL<V (a numeric "
                                        "comparison)",
                                        value);
            size_t l = strlen(o->holdout_text);
            snprintf(o->holdout_text + l, sizeof o->holdout_text - l, "%s%s", l ? " or " : "",
                     value);
        } else if (strcmp(name, "--holdout") == 0) {
            if (!cli_parse_size(name, value, &o->holdout_k)) return 2;
            if (o->holdout_k == 0) return cli_option_error(name, "must be at least 1");
            size_t l = strlen(o->holdout_text);
            snprintf(o->holdout_text + l, sizeof o->holdout_text - l, "%s%zu largest",
                     l ? " or " : "", o->holdout_k);
        } else if (strcmp(name, "--by") == 0) {
            o->by = value;
        } else if (strcmp(name, "--frontier-fit") == 0) {
            if (strcmp(value, "envelope") != 0 && strcmp(value, "hull") != 0)
                return cli_option_error(name, "'%s' is not envelope or hull", value);
            o->frontier_hull = strcmp(value, "hull") == 0;
        } else if (strcmp(name, "--space") == 0) {
            if (strcmp(value, "log") != 0 && strcmp(value, "linear") != 0)
                return cli_option_error(name, "'%s' is not log or linear", value);
            o->space = value;
        } else if (strcmp(name, "--loss") == 0) {
            if (strcmp(value, "squares") != 0 && strcmp(value, "huber") != 0)
                return cli_option_error(name, "'%s' is not squares or huber", value);
            o->loss = value;
        } else if (strcmp(name, "--delta") == 0) {
            if (!cli_parse_double(name, value, &o->delta)) return 2;
            if (!(o->delta > 0)) return cli_option_error(name, "must be positive (got %s)", value);
            o->delta_set = true;
        } else if (strcmp(name, "--bootstrap") == 0) {
            if (!cli_parse_size(name, value, &o->bootstrap)) return 2;
            if (o->bootstrap > 1000000)
                return cli_option_error(name, "%s replicates is too many (at most 1000000)", value);
            o->bootstrap_set = true;
        } else if (strcmp(name, "--level") == 0) {
            if (!cli_parse_double(name, value, &o->level)) return 2;
            if (!(o->level > 0 && o->level < 1))
                return cli_option_error(name, "must lie strictly between 0 and 1 (got %s)", value);
        } else if (strcmp(name, "--seed") == 0) {
            if (!cli_parse_u64(name, value, &o->seed)) return 2;
            o->seed_set = true;
        } else if (strcmp(name, "--predict") == 0) {
            if (o->n_predict == 64) return cli_option_error(name, "given more than 64 times");
            o->predict_text[o->n_predict++] = value;
        } else if (strcmp(name, "--target-reducible") == 0 || strcmp(name, "--compute") == 0) {
            bool   t = name[2] == 't';
            double v;
            if (!cli_parse_double(name, value, &v)) return 2;
            if (!(v > 0)) return cli_option_error(name, "must be positive (got %s)", value);
            if ((t ? o->n_target : o->n_compute) == 64)
                return cli_option_error(name, "given more than 64 times");
            if (t)
                o->target[o->n_target++] = v;
            else
                o->compute[o->n_compute++] = v;
        } else if (strcmp(name, "--true-entropy") == 0) {
            if (!cli_parse_double(name, value, &o->true_entropy)) return 2;
            if (!(o->true_entropy > 0))
                return cli_option_error(name, "must be positive (got %s)", value);
        } else if (strcmp(name, "--tokens-per-sample") == 0) {
            if (!cli_parse_double(name, value, &o->tokens_per_sample)) return 2;
            if (!(o->tokens_per_sample > 0))
                return cli_option_error(name, "must be positive (got %s)", value);
        }
    }
    if (o->data == NULL) {
        fprintf(
            stderr,
            "scalefit: error: no data file given (scalefit fit DATA.csv --law LAW --out DIR)\n");
        return 2;
    }
    if (o->n_laws == 0)
        return cli_option_error("--law",
                                "required (power, power+const, chinchilla, kaplan-nd, frontier)");
    if (o->out == NULL)
        return cli_option_error("--out",
                                "required: the folder for fit.yaml, report.md and figures");
    for (size_t k = 0; k < o->n_laws && o->delta_set; k++) {
        /* A delta that no fit would use is an error, not a silent default. */
        bool huber =
            o->loss != NULL ? strcmp(o->loss, "huber") == 0 : o->laws[k] == FIT_LAW_CHINCHILLA;
        if (!huber)
            return cli_option_error("--delta", "applies to the Huber loss only (%s fits squares%s)",
                                    fit_law_name(o->laws[k]),
                                    o->loss ? "" : " by default: add --loss huber");
    }
    for (size_t k = 0; k < o->n_laws; k++) {
        enum fit_law_kind law = o->laws[k];
        if (o->n_target > 0 && fit_law_n_vars(law) == 2)
            return cli_option_error("--target-reducible",
                                    "needs a one-variable law (power, power+const, "
                                    "frontier), not %s",
                                    fit_law_name(law));
        if (o->n_compute > 0 && law != FIT_LAW_CHINCHILLA)
            return cli_option_error("--compute", "applies to chinchilla only, not %s",
                                    fit_law_name(law));
        if (law == FIT_LAW_FRONTIER && (o->n_holdout > 0 || o->holdout_k > 0))
            return cli_option_error(o->n_holdout > 0 ? "--holdout-where" : "--holdout",
                                    "does not apply to frontier (the envelope uses every curve)");
        if (law == FIT_LAW_FRONTIER && o->cols.weight != NULL)
            return cli_option_error("--weight",
                                    "does not apply to frontier (its points are the envelope)");
        if (fit_law_n_vars(law) == 1 && law != FIT_LAW_FRONTIER && o->cols.x == NULL)
            return cli_option_error("--x", "required by %s (the column of x)", fit_law_name(law));
        if (fit_law_n_vars(law) == 2 && (o->cols.n == NULL || o->cols.d == NULL))
            return cli_option_error(o->cols.n == NULL ? "--n" : "--d",
                                    "required by %s (parameters "
                                    "and tokens columns)",
                                    fit_law_name(law));
        if (law == FIT_LAW_FRONTIER && (o->cols.run == NULL || o->cols.c == NULL))
            return cli_option_error(o->cols.run == NULL ? "--run" : "--c",
                                    "required by frontier (run id and compute columns)");
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

/* One fit: builds the data, fits, writes fit.yaml, the figures and report.md in `dir`. */
static int cli_fit_one(const struct cli_fit_opts *o, const struct sf_csv *csv, const char *sha,
                       const size_t *rows, size_t n_rows, enum fit_law_kind law, const char *group,
                       const char *dir, struct fit_data *d, struct fit_result **out,
                       struct fit_point_request *pred) {
    struct sf_error err;
    sf_error_clear(&err);
    *out                     = NULL;
    struct fit_selection sel = {o->where,   o->n_where,   o->bounds,    o->n_bounds,
                                o->holdout, o->n_holdout, o->holdout_k, o->by};
    if (fit_data_build(csv, rows, n_rows, law, &o->cols, &sel, d, &err) != SF_OK) {
        if (group) sf_error_prefix(&err, "group '%s'", group);
        return cli_report(&err);
    }
    for (size_t i = 0; i < o->n_predict; i++)
        if (fit_point_parse(o->predict_text[i], law, &o->cols, "--predict", &pred[i], &err) !=
            SF_OK)
            return cli_report(&err);
    struct fit_request req;
    fit_request_init(&req, law);
    if (o->space) req.space = strcmp(o->space, "log") == 0 ? FIT_SPACE_LOG : FIT_SPACE_LINEAR;
    if (o->loss) req.loss = strcmp(o->loss, "huber") == 0 ? FIT_LOSS_HUBER : FIT_LOSS_SQUARES;
    if (o->delta_set) req.delta = o->delta;
    if (o->bootstrap_set) req.params.bootstrap = o->bootstrap;
    if (isfinite(o->level)) req.params.level = o->level;
    if (o->seed_set) req.params.seed = o->seed;
    req.predict               = pred;
    req.n_predict             = o->n_predict;
    req.target_reducible      = o->target;
    req.n_target              = o->n_target;
    req.compute               = o->compute;
    req.n_compute             = o->n_compute;
    req.true_entropy          = o->true_entropy;
    req.frontier_hull         = o->frontier_hull;
    req.tokens_per_sample     = o->tokens_per_sample;
    struct sf_logger   logger = sf_logger_stderr(NULL);
    struct fit_result *r      = fit_run(d, &req, &logger, &err);
    if (r == NULL) {
        sf_error_prefix(&err, "%s%s%s", fit_law_name(law), group ? " in group " : "",
                        group ? group : "");
        return cli_report(&err);
    }
    *out                       = r;
    struct fit_provenance prov = {cli_version(),
                                  cli_command_line(),
                                  o->data,
                                  sha,
                                  csv->n_rows,
                                  n_rows,
                                  (const char *const *)o->filters_text,
                                  o->n_filters,
                                  o->holdout_text[0] ? o->holdout_text : NULL,
                                  o->cols.weight,
                                  group};
    struct sf_diags       diags;
    sf_diag_init(&diags);
    enum sf_status st = figures_fit_write(r, &prov, dir, !o->no_plot, &diags, &err);
    sf_diag_print(&diags, stderr);
    sf_diag_free(&diags);
    return st == SF_OK ? 0 : cli_report(&err);
}

int cli_fit_main(int argc, char **argv) {
    struct cli_fit_opts o;
    int                 rc = cli_fit_parse(argc, argv, &o);
    if (rc != 0) {
        cli_fit_opts_free(&o);
        return rc < 0 ? 0 : rc;
    }
    struct sf_error err;
    /* One read: the bytes hashed are the bytes fitted. */
    struct sf_csv csv;
    char         *text;
    size_t        len;
    if (sf_read_file(o.data, &text, &len, &err) != SF_OK) {
        cli_fit_opts_free(&o);
        return cli_report(&err);
    }
    char sha[65];
    sf_sha256_hex(text, len, sha);
    enum sf_status pst = sf_csv_parse(o.data, text, len, &csv, &err);
    free(text);
    if (pst != SF_OK) {
        cli_fit_opts_free(&o);
        return cli_report(&err);
    }
    struct fit_selection sel = {o.where,   o.n_where,   o.bounds,    o.n_bounds,
                                o.holdout, o.n_holdout, o.holdout_k, o.by};
    struct fit_groups    groups;
    if (fit_select_rows(&csv, &sel, &groups, &err) != SF_OK) {
        sf_csv_free(&csv);
        cli_fit_opts_free(&o);
        return cli_report(&err);
    }
    if (csv.n_rows == 0) {
        fprintf(stderr, "scalefit: %s: error: no data rows below the header\n", o.data);
        rc = 2;
    } else if (groups.n == 0) {
        fprintf(stderr, "scalefit: %s: error: no row passes the filters (%zu rows read)\n", o.data,
                csv.n_rows);
        rc = 2;
    }
    if (rc != 0) {
        fit_groups_free(&groups);
        sf_csv_free(&csv);
        cli_fit_opts_free(&o);
        return rc;
    }
    const size_t                 n_fits  = groups.n * o.n_laws;
    struct fit_data             *data    = calloc(n_fits, sizeof *data);
    struct fit_result          **results = calloc(n_fits, sizeof *results);
    struct fit_comparison_entry *entries = calloc(n_fits, sizeof *entries);
    char                       **dirs    = calloc(n_fits, sizeof *dirs);
    char                       **rels    = calloc(n_fits, sizeof *rels);
    struct fit_point_request    *preds   = calloc(n_fits * (o.n_predict + 1), sizeof *preds);
    char(*gdirs)[256]                    = calloc(groups.n, sizeof *gdirs);
    if (!data || !results || !entries || !dirs || !rels || !preds || !gdirs) {
        fprintf(stderr, "scalefit: error: out of memory\n");
        rc = 1;
        goto done;
    }
    bool          several = n_fits > 1 || o.by != NULL;
    struct sf_buf summary;
    sf_buf_init(&summary);
    for (size_t g = 0; g < groups.n && rc == 0; g++) {
        /* A folder per group: the sanitised name, with _2, _3, ... until no earlier group's
         * folder has it. */
        char *gdir = gdirs[g], base[240];
        cli_fit_dir_name(groups.names[g], base, sizeof base);
        snprintf(gdir, sizeof gdirs[0], "%s", base);
        for (size_t suffix = 2;; suffix++) {
            bool taken = false;
            for (size_t h = 0; h < g; h++)
                taken = taken || strcmp(gdirs[h], gdir) == 0;
            if (!taken) break;
            snprintf(gdir, sizeof gdirs[0], "%s_%zu", base, suffix);
        }
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
                             preds + i * (o.n_predict + 1));
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
        struct fit_provenance prov = {cli_version(),
                                      cli_command_line(),
                                      o.data,
                                      sha,
                                      csv.n_rows,
                                      0,
                                      (const char *const *)o.filters_text,
                                      o.n_filters,
                                      NULL,
                                      NULL,
                                      NULL};
        if (fit_write_comparison(entries, n_fits, &prov, o.out, &err) != SF_OK)
            rc = cli_report(&err);
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
    if (preds)
        for (size_t i = 0; i < n_fits * (o.n_predict + 1); i++)
            free(preds[i].text);
    free(gdirs);
    free(data);
    free(results);
    free(entries);
    free(dirs);
    free(rels);
    free(preds);
    fit_groups_free(&groups);
    sf_csv_free(&csv);
    cli_fit_opts_free(&o);
    return rc;
}
