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

static void cli_bench_fit_usage(FILE *out) {
    fprintf(out, "usage: scalefit bench fit --data FILE [--n COL] [--d COL] [--y COL]\n"
                 "                          [--bootstrap B] [--repeat K]\n"
                 "Times a chinchilla fit of FILE (default columns params, tokens, loss) K times\n"
                 "(default 5, best taken) without a bootstrap, then once with B replicates\n"
                 "(default 1000).\n");
}

int cli_bench_fit_main(int argc, char **argv) {
    const char *data = NULL, *ncol = "params", *dcol = "tokens", *ycol = "loss";
    size_t      boot = 1000, repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_bench_fit_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) return cli_option_error(argv[i], "needs a value (or unknown option)");
        const char *v = argv[++i];
        if (strcmp(argv[i - 1], "--data") == 0)
            data = v;
        else if (strcmp(argv[i - 1], "--n") == 0)
            ncol = v;
        else if (strcmp(argv[i - 1], "--d") == 0)
            dcol = v;
        else if (strcmp(argv[i - 1], "--y") == 0)
            ycol = v;
        else if (strcmp(argv[i - 1], "--bootstrap") == 0) {
            if (!cli_parse_size("--bootstrap", v, &boot)) return 2;
        } else if (strcmp(argv[i - 1], "--repeat") == 0) {
            if (!cli_parse_size("--repeat", v, &repeat)) return 2;
            if (repeat == 0) return cli_option_error("--repeat", "must be at least 1");
        } else
            return cli_option_error(argv[i - 1], "unknown option (see scalefit bench fit --help)");
    }
    if (data == NULL) return cli_option_error("--data", "required");
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
    if (groups.n == 0 || fit_data_build(&csv, groups.rows[0], groups.n_rows[0], FIT_LAW_CHINCHILLA,
                                        &cols, &sel, &d, &err) != SF_OK) {
        if (groups.n == 0) sf_error_set(&err, SF_EINVAL, data, __FILE__, __LINE__, "no rows");
        fit_groups_free(&groups);
        sf_csv_free(&csv);
        return cli_report(&err);
    }
    struct fit_request req;
    fit_request_init(&req, FIT_LAW_CHINCHILLA);
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
