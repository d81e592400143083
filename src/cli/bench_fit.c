/*
 * bench_fit.c — `scalefit bench fit`: times the chinchilla fit (Huber δ = 1e-3, log space) of
 * a table, once without a bootstrap and once with replicates, and prints one "key value" line
 * per figure so that bench/fit_bench.sh can compare them with scipy measured in the same run.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "fit.h"

int cli_bench_fit_main(int argc, char **argv) {
    const char             *data = NULL, *ncol = "params", *dcol = "tokens", *ycol = "loss";
    size_t                  boot = 1000, repeat = 5;
    const struct cli_option table[] = {
        CLI_OPTION("--data", CLI_ARG_STRING, &data, "FILE", "the table to fit (required)"),
        CLI_OPTION("--n", CLI_ARG_STRING, &ncol, "COL", "the parameters column (default params)"),
        CLI_OPTION("--d", CLI_ARG_STRING, &dcol, "COL", "the tokens column (default tokens)"),
        CLI_OPTION("--y", CLI_ARG_STRING, &ycol, "COL", "the loss column (default loss)"),
        CLI_OPTION("--bootstrap", CLI_ARG_SIZE, &boot, "B", "replicates (default 1000)"),
        CLI_OPTION("--repeat", CLI_ARG_SIZE, &repeat, "K", "fits timed, best taken (default 5)",
                   .check = CLI_CHECK_AT_LEAST, .lo = 1),
        CLI_END,
    };
    const struct cli_command cmd = {
        .name     = "bench fit",
        .synopsis = "--data FILE [options]",
        .intro    = "Times a chinchilla fit of FILE K times (best taken) without a bootstrap, then "
                    "once\nwith B replicates.",
        .options  = table,
    };
    int prc;
    if (!cli_parse(&cmd, argc, argv, &prc)) return prc;
    if (data == NULL) return cli_option_error("--data", "required (the table to fit)");
    struct sf_error err;
    struct sf_csv   csv;
    if (sf_csv_read(data, &csv, &err) != SF_OK) return cli_report(&err);
    struct fit_selection sel;
    memset(&sel, 0, sizeof sel);
    struct fit_groups  groups;
    struct fit_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.n = ncol, cols.d = dcol, cols.y = ycol;
    struct fit_data d;
    int             rc = 0;
    if (fit_select_rows(&csv, &sel, &groups, &err) != SF_OK) {
        sf_csv_free(&csv);
        return cli_report(&err);
    }
    enum fit_law_kind law; /* the benchmark's law, by its name */
    bool              known = fit_law_from_name("chinchilla", &law);
    SF_ASSERT(known);
    if (groups.n == 0 || fit_data_build(&csv, groups.rows[0], groups.n_rows[0], law, &cols, &sel,
                                        &d, &err) != SF_OK) {
        if (groups.n == 0) sf_error_set(&err, SF_EINVAL, data, __FILE__, __LINE__, "no rows");
        fit_groups_free(&groups);
        sf_csv_free(&csv);
        return cli_report(&err);
    }
    struct fit_request req;
    fit_request_init(&req, law);
    req.params.bootstrap = 0;
    double best = INFINITY, objective = NAN;
    for (size_t k = 0; k < repeat && rc == 0; k++) {
        double             t0 = sf_now();
        struct fit_result *r  = fit_run(&d, &req, NULL, &err);
        double             t  = sf_now() - t0;
        if (r == NULL) {
            rc = cli_report(&err);
            break;
        }
        objective = r->objective;
        if (t < best) best = t;
        fit_result_free(r);
    }
    if (rc == 0) {
        printf("scalefit_points %zu\n", d.n);
        printf("scalefit_fit_seconds %.6f\n", best);
        printf("scalefit_objective %.17g\n", objective);
        req.params.bootstrap  = boot;
        double             t0 = sf_now();
        struct fit_result *r  = fit_run(&d, &req, NULL, &err);
        double             t  = sf_now() - t0;
        if (r == NULL) {
            rc = cli_report(&err);
        } else {
            int threads = 1;
#ifdef _OPENMP
            threads = omp_get_max_threads();
#endif
            printf("scalefit_bootstrap_replicates %zu\n", boot);
            printf("scalefit_bootstrap_threads %d\n", threads);
            printf("scalefit_bootstrap_seconds %.6f\n", t);
            printf("scalefit_bootstrap_failed %zu\n", r->boot.failed + r->boot.degenerate);
            fit_result_free(r);
        }
    }
    fit_data_free(&d);
    fit_groups_free(&groups);
    sf_csv_free(&csv);
    return rc;
}
