/*
 * test_sweep_figures.c — the sweep's figures on a hand-made sweep directory
 * (tests/data/plot/sweep: curves.csv and results.csv in DESIGN.md's columns, written by
 * make_sweep.py): figure 7 from curves.csv and figure 5 from a frontier fit of the same curves,
 * checked as drawn (PNG, colours, SVG groups, byte-for-byte redraw); then `scalefit plot` on the
 * sweep directory (OUT/figures and OUT/fits/NAME/figures), and curves.csv without the
 * control-variate column.
 *
 * Usage: test_sweep_figures SCALEFIT (run from a scratch folder).
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "common.h"
#include "figure_check.h"
#include "figures.h"
#include "fit.h"
#include "plot.h"

#ifndef TESTS_DATA_DIR
#error "TESTS_DATA_DIR must name tests/data"
#endif

#define SCRATCH "scratch_sweep"

/* Fits the frontier of the fixture's curves (eval_loss_cv against flops_6n, sizes from
 * params_nonembed), as a sweep does; `hull` < 0 keeps fit_request_init's frontier_fit. */
static struct fit_result *fit_frontier(struct sf_csv *csv, struct fit_data *d, int hull) {
    struct sf_error      err;
    struct fit_selection sel;
    struct fit_groups    groups;
    memset(&sel, 0, sizeof sel);
    memset(d, 0, sizeof *d);
    if (!check(fit_select_rows(csv, &sel, &groups, &err) == SF_OK, "select rows (%s)", err.message))
        return NULL;
    struct fit_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.run = "run", cols.c = "flops_6n", cols.n = "params_nonembed", cols.y = "eval_loss_cv";
    enum sf_status st = fit_data_build(csv, groups.rows[0], groups.n_rows[0], FIT_LAW_FRONTIER,
                                       &cols, &sel, d, &err);
    fit_groups_free(&groups);
    if (!check(st == SF_OK, "frontier data (%s)", err.message)) return NULL;
    struct fit_request req;
    fit_request_init(&req, FIT_LAW_FRONTIER);
    req.params.bootstrap = 50; /* enough replicates for a band; the figure is what is tested */
    if (hull >= 0) req.frontier_hull = hull;
    struct fit_result *r = fit_run(d, &req, NULL, &err);
    check(r != NULL, "frontier fit (%s)", r ? "" : err.message);
    return r;
}

/* Reads the rows of a figure's .dat table (comments and blank lines skipped) into `v`, `ncol`
 * numbers a row, at most `cap` rows; returns the number of rows, or -1 when unreadable. */
static long read_dat(const char *path, size_t ncol, double *v, size_t cap) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    char line[1024];
    long n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *p = line;
        if ((size_t)n >= cap) break;
        for (size_t j = 0; j < ncol; j++)
            v[(size_t)n * ncol + j] = strtod(p, &p);
        n++;
    }
    fclose(f);
    return n;
}

/* The frontier figure's tables against the fit: the frontier drawn is the fit's (every point,
 * its flat tail included), compute increasing and loss never rising; the marked points are
 * exactly the ones L(C) was fitted to (the hull's vertices, or every frontier point before the
 * tail), and the key says which. Equal to the last bit: the tables print 17 digits. */
static void check_frontier_tables(const char *figdir, const struct fit_result *r,
                                  const char *label) {
    enum { CAP = 4096 };
    static double              v[CAP * 3];
    const struct fit_frontier *fr = &r->frontier;
    char                       path[512];
    snprintf(path, sizeof path, "%s/frontier_frontier.dat", figdir);
    long n     = read_dat(path, 2, v, CAP);
    bool order = n > 1;
    for (long i = 1; i < n; i++)
        order = order && v[2 * i] > v[2 * (i - 1)] && v[2 * i + 1] <= v[2 * (i - 1) + 1];
    check(n == (long)fr->n_env, "%s: the figure's frontier has the fit's %zu points (%ld)", label,
          fr->n_env, n);
    check(order, "%s: the figure's frontier: compute increases, loss never rises", label);
    bool hull = r->req.frontier_hull;
    snprintf(path, sizeof path, "%s/frontier_fitted.dat", figdir);
    n         = read_dat(path, 3, v, CAP);
    bool same = n == (long)r->n_fit;
    for (long k = 0; same && k < n; k++) {
        size_t i = hull ? fr->hull[k] : (size_t)k;
        same     = v[3 * k] == fr->env_c[i] && v[3 * k + 1] == fr->env_l[i];
    }
    check(same, "%s: the marked points are the %zu fitted ones (%s; %ld marked)", label, r->n_fit,
          hull ? "the hull's vertices" : "the frontier before its tail", n);
    snprintf(path, sizeof path, "%s/frontier.gp", figdir);
    char *gp = fc_read_text(path);
    check(gp && strstr(gp, hull ? "fitted: the hull's vertices" : "fitted: every frontier point"),
          "%s: the key says which points were fitted", label);
    free(gp);
}

static void test_sweep(const char *scalefit) {
    mkdir(SCRATCH, 0755);
    char from[512];
    snprintf(from, sizeof from, "%s/plot/sweep/curves.csv", TESTS_DATA_DIR);
    check(fc_copy_file(from, SCRATCH "/curves.csv"), "copy curves.csv");
    snprintf(from, sizeof from, "%s/plot/sweep/results.csv", TESTS_DATA_DIR);
    check(fc_copy_file(from, SCRATCH "/results.csv"), "copy results.csv");
    struct sf_csv   csv;
    struct sf_error err;
    if (!check(sf_csv_read(SCRATCH "/curves.csv", &csv, &err) == SF_OK, "read curves.csv")) return;
    struct fit_data    d;
    struct fit_result *r = fit_frontier(&csv, &d, -1);
    if (r == NULL) {
        sf_csv_free(&csv);
        return;
    }
    struct figures_list out;
    struct sf_diags     diags;
    sf_diag_init(&diags);
    figures_sweep_draw(SCRATCH, &(struct figures_sweep_fits){.frontier = r}, &out, &diags);
    check(out.n_drawn == 2 && out.n_missing == 0,
          "the sweep draws 2 figures (%zu drawn, %zu "
          "missing: %s)",
          out.n_drawn, out.n_missing, out.n_missing ? out.missing[0] : "");
    check(diags.n == 0, "the sweep's figures say nothing (%zu messages)", diags.n);
    figures_list_free(&out);
    /* Learning curves coloured by size, the data's entropy (bayes_loss) dashed. */
    const unsigned curves_colours[] = {0x009E73u};
    fc_check_figure(SCRATCH "/figures", "curves", curves_colours, 1, "curves_curves.dat", 2);
    const unsigned frontier_colours[] = {0x000000u, 0xE69F00u, 0xD55E00u, 0x009E73u};
    fc_check_figure(SCRATCH "/figures", "frontier", frontier_colours, 4, "frontier_curves.dat", 7);
    check_frontier_tables(SCRATCH "/figures", r, "default frontier_fit");
    /* The other frontier_fit marks its own points. */
    struct fit_data    d2;
    struct fit_result *r2 = fit_frontier(&csv, &d2, !r->req.frontier_hull);
    if (r2 != NULL) {
        figures_fit_draw(r2, SCRATCH "/fits/other", true, &out, &diags);
        check(out.n_missing == 0 && diags.n == 0, "the other frontier_fit draws its figures");
        figures_list_free(&out);
        check_frontier_tables(SCRATCH "/fits/other/figures", r2, "other frontier_fit");
        fc_check_figure(SCRATCH "/fits/other/figures", "frontier", frontier_colours, 4,
                        "frontier_curves.dat", 7);
        fit_result_free(r2);
        fit_data_free(&d2);
    }
    char *gp = fc_read_text(SCRATCH "/figures/curves.gp");
    check(gp && strstr(gp, "eval loss, control variate (nats/token)"),
          "the curves use the control-variate loss when curves.csv has it");
    free(gp);

    /* The sweep's fits keep their own figures; `scalefit plot` redraws both. */
    figures_fit_draw(r, SCRATCH "/fits/frontier", true, &out, &diags);
    check(out.n_missing == 0 && diags.n == 0, "the sweep's fit draws its figures");
    figures_list_free(&out);
    sf_diag_free(&diags);
    struct fit_provenance prov;
    memset(&prov, 0, sizeof prov);
    prov.version = "test", prov.command = "test_sweep_figures", prov.input_path = "curves.csv";
    prov.input_sha256 = "", prov.rows_read = csv.n_rows, prov.rows_used = csv.n_rows;
    check(fit_write_yaml(r, &prov, SCRATCH "/fits/frontier", &err) == SF_OK, "fit.yaml");
    char *argv[] = {(char *)scalefit, "plot", SCRATCH, NULL};
    char *errs   = NULL;
    int   rc     = fc_run(argv, NULL, NULL, &errs);
    check(rc == 0, "scalefit plot on a sweep exits 0 (got %d: %s)", rc, errs);
    check(errs && errs[0] == '\0', "scalefit plot on a sweep is quiet (%s)", errs);
    free(errs);
    struct stat st;
    check(stat(SCRATCH "/fits/frontier/figures/nopt.png", &st) == 0, "the fit's figures are there");
    fit_result_free(r);
    fit_data_free(&d);
    sf_csv_free(&csv);
}

/* curves.csv without the control variate: the plain eval loss; a run without a size is left
 * out and said so. */
static void test_plain_loss(void) {
    mkdir(SCRATCH "/plain", 0755);
    const char *text =
        "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,eval_loss_cv\n"
        "a,1,1000,1,100,6e5,5.0,,\n"
        "a,1,1000,2,200,1.2e6,4.5,,\n"
        "b,1,8000,1,100,4.8e6,4.8,,\n"
        "b,1,8000,2,200,9.6e6,4.1,,\n"
        "c,1,,1,100,,4.9,,\n";
    struct sf_error err;
    sf_write_atomic(SCRATCH "/plain/curves.csv", text, strlen(text), &err);
    struct figures_list out;
    struct sf_diags     diags;
    sf_diag_init(&diags);
    figures_sweep_draw(SCRATCH "/plain", &(struct figures_sweep_fits){0}, &out, &diags);
    check(out.n_drawn == 1 && out.n_missing == 0 && diags.n == 0, "plain curves drawn");
    figures_list_free(&out);
    char *gp = fc_read_text(SCRATCH "/plain/figures/curves.gp");
    check(gp && strstr(gp, "\"eval loss (nats/token)\""), "plain eval loss label");
    check(gp && strstr(gp, "1 without a size left out"), "the run without a size is named");
    free(gp);
    fc_check_figure(SCRATCH "/plain/figures", "curves", NULL, 0, "curves_curves.dat", 1);

    /* No curves.csv at all: listed as missing, nothing fails. */
    mkdir(SCRATCH "/none", 0755);
    figures_sweep_draw(SCRATCH "/none", &(struct figures_sweep_fits){0}, &out, &diags);
    check(out.n_drawn == 0 && out.n_missing == 1 && strncmp(out.missing[0], "curves: ", 8) == 0,
          "a sweep without curves.csv lists the figure as missing");
    /* Said as a warning in the caller's list, not printed. */
    check(diags.n == 1 && !diags.items[0].is_error &&
              strncmp(diags.items[0].message, "figure curves not drawn: ", 25) == 0,
          "the missing figure is a warning in the diagnostics (%s)",
          diags.n ? diags.items[0].message : "none");
    figures_list_free(&out);
    sf_diag_free(&diags);
}

/* results.csv and curves.csv with the exact KL: figure "kl" holds the done runs' KL (the failed
 * one left out), a power law fitted to them and the reducible loss of a power+const law, and
 * "kl_compute" every evaluation's KL against compute; without the columns (test_plain_loss)
 * there are no such figures and no message. */
static void test_kl(void) {
    mkdir(SCRATCH "/kl", 0755);
    const char *curves  = "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,"
                          "eval_loss_cv,eval_kl\n"
                          "a,1,1000,1,100,6e5,5.0,4.0,5.0,0.9\n"
                          "a,1,1000,2,200,1.2e6,4.5,4.0,4.5,0.4\n"
                          "b,1,4000,1,100,2.4e6,4.8,4.0,4.8,0.7\n"
                          "b,1,4000,2,200,4.8e6,4.2,4.0,4.2,0.2\n";
    const char *results = "run,status,params_nonembed,best_eval_loss,best_eval_kl\n"
                          "a,done,1000,1.3,0.08\n"
                          "b,done,4000,1.2,0.04\n"
                          "c,done,16000,1.15,0.021\n"
                          "d,done,64000,1.12,0.0098\n"
                          "e,failed,128000,,\n";
    struct sf_error err;
    sf_write_atomic(SCRATCH "/kl/curves.csv", curves, strlen(curves), &err);
    sf_write_atomic(SCRATCH "/kl/results.csv", results, strlen(results), &err);
    struct sf_csv csv;
    if (!check(sf_csv_read(SCRATCH "/kl/results.csv", &csv, &err) == SF_OK, "read results.csv"))
        return;
    struct fit_selection sel = {0};
    struct fit_groups    groups;
    check(fit_select_rows(&csv, &sel, &groups, &err) == SF_OK, "select rows");
    struct fit_result *fits[2] = {NULL, NULL};
    struct fit_data    data[2];
    bool               built[2] = {false, false};
    const char *laws[2] = {"power", "power+const"}, *ys[2] = {"best_eval_kl", "best_eval_loss"};
    for (int k = 0; k < 2; k++) {
        enum fit_law_kind  law;
        struct fit_columns cols = {0};
        struct fit_request req;
        cols.x = "params_nonembed", cols.y = ys[k];
        check(fit_law_from_name(laws[k], &law), "law %s", laws[k]);
        /* The four done runs (rows 0..3); the failed one has no numbers. */
        if (!check(fit_data_build(&csv, groups.rows[0], 4, law, &cols, &sel, &data[k], &err) ==
                       SF_OK,
                   "%s data (%s)", laws[k], err.message))
            continue;
        built[k] = true;
        fit_request_init(&req, law);
        fits[k] = fit_run(&data[k], &req, NULL, &err);
        check(fits[k] != NULL, "%s fit", laws[k]);
    }
    struct figures_sweep_fits sf = {
        .kl = fits[0], .kl_name = "KL_N", .reducible = fits[1], .reducible_name = "L_N"};
    struct figures_list out;
    struct sf_diags     diags;
    sf_diag_init(&diags);
    figures_sweep_draw(SCRATCH "/kl", &sf, &out, &diags);
    check(out.n_drawn == 3 && out.n_missing == 0 && diags.n == 0 &&
              strcmp(out.drawn[1], "kl") == 0 && strcmp(out.drawn[2], "kl_compute") == 0,
          "curves, kl and kl_compute drawn (%zu drawn)", out.n_drawn);
    double lo, hi;
    check(fc_dat_column_range(SCRATCH "/kl/figures/kl_compute_curves.dat", 2, &lo, &hi) &&
              lo == 0.2 && hi == 0.9,
          "kl_compute: the KL of every evaluation");
    check(fc_dat_column_range(SCRATCH "/kl/figures/kl_points.dat", 1, &lo, &hi) && lo == 1000 &&
              hi == 64000,
          "the KL of the four done runs, the failed one left out");
    check(fc_dat_column_range(SCRATCH "/kl/figures/kl_fit.dat", 2, &lo, &hi) && lo > 0.005 &&
              hi < 0.2,
          "the fitted KL spans the measured one");
    char *gp = fc_read_text(SCRATCH "/kl/figures/kl.gp");
    check(gp && strstr(gp, "KL_N, the KL fitted") && strstr(gp, "L_N less its constant"),
          "the key names both fits");
    free(gp);
    const unsigned colours[] = {0x0072B2u, 0x000000u, 0x009E73u}; /* points, fit, reducible */
    fc_check_figure(SCRATCH "/kl/figures", "kl", colours, 3, NULL, 3);
    fc_check_figure(SCRATCH "/kl/figures", "kl_compute", NULL, 0, "kl_compute_curves.dat", 1);
    figures_list_free(&out);
    sf_diag_free(&diags);
    for (int k = 0; k < 2; k++) {
        fit_result_free(fits[k]);
        if (built[k]) fit_data_free(&data[k]);
    }
    fit_groups_free(&groups);
    sf_csv_free(&csv);
}

/* results.csv with a classification stage: figure "classify" holds the main runs' loss, the
 * stage runs' loss and error rate (the failed one and the run without an error rate left out),
 * each with its fitted law. */
static void test_classify(void) {
    mkdir(SCRATCH "/classify", 0755);
    const char *curves =
        "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_error,stage\n"
        "a,1,1000,1,100,6e5,2.0,,main\n";
    const char     *results = "run,status,params_nonembed,best_eval_loss,final_eval_error,stage\n"
                              "a,done,1000,1.30,,main\n"
                              "b,done,4000,1.10,,main\n"
                              "c,done,16000,1.00,,main\n"
                              "d,done,64000,0.95,,main\n"
                              "ka,done,1000,0.80,0.30,classify\n"
                              "kb,done,4000,0.60,0.22,classify\n"
                              "kc,done,16000,0.45,0.16,classify\n"
                              "kd,failed,64000,,,classify\n";
    struct sf_error err;
    sf_write_atomic(SCRATCH "/classify/curves.csv", curves, strlen(curves), &err);
    sf_write_atomic(SCRATCH "/classify/results.csv", results, strlen(results), &err);
    struct sf_csv csv;
    if (!check(sf_csv_read(SCRATCH "/classify/results.csv", &csv, &err) == SF_OK,
               "read results.csv"))
        return;
    struct fit_selection sel = {0};
    struct fit_groups    groups;
    check(fit_select_rows(&csv, &sel, &groups, &err) == SF_OK, "select rows");
    /* The main runs are rows 0..3, the stage's done ones 4..6. */
    const char        *laws[3]  = {"power+const", "power", "power"};
    const char        *ys[3]    = {"best_eval_loss", "best_eval_loss", "final_eval_error"};
    size_t             first[3] = {0, 4, 4}, count[3] = {4, 3, 3};
    struct fit_result *fits[3] = {NULL, NULL, NULL};
    struct fit_data    data[3];
    bool               built[3] = {false, false, false};
    for (int k = 0; k < 3; k++) {
        enum fit_law_kind  law;
        struct fit_columns cols = {0};
        struct fit_request req;
        cols.x = "params_nonembed", cols.y = ys[k];
        check(fit_law_from_name(laws[k], &law), "law %s", laws[k]);
        if (!check(fit_data_build(&csv, groups.rows[0] + first[k], count[k], law, &cols, &sel,
                                  &data[k], &err) == SF_OK,
                   "%s data (%s)", laws[k], err.message))
            continue;
        built[k] = true;
        fit_request_init(&req, law);
        fits[k] = fit_run(&data[k], &req, NULL, &err);
        check(fits[k] != NULL, "%s fit of %s", laws[k], ys[k]);
    }
    struct figures_sweep_fits sf = {.reducible        = fits[0],
                                    .reducible_name   = "L_N",
                                    .class_loss       = fits[1],
                                    .class_loss_name  = "C_N",
                                    .class_error      = fits[2],
                                    .class_error_name = "E_N"};
    struct figures_list       out;
    struct sf_diags           diags;
    sf_diag_init(&diags);
    figures_sweep_draw(SCRATCH "/classify", &sf, &out, &diags);
    bool drawn = false;
    for (size_t i = 0; i < out.n_drawn; i++)
        drawn |= strcmp(out.drawn[i], "classify") == 0;
    check(drawn && out.n_missing == 0, "classify drawn (%zu drawn, %zu missing)", out.n_drawn,
          out.n_missing);
    double lo, hi;
    check(fc_dat_column_range(SCRATCH "/classify/figures/classify_generative.dat", 1, &lo, &hi) &&
              lo == 1000 && hi == 64000,
          "the four main runs' generative loss");
    check(fc_dat_column_range(SCRATCH "/classify/figures/classify_error.dat", 2, &lo, &hi) &&
              lo == 0.16 && hi == 0.30,
          "the three done stage runs' error rate, the failed one left out");
    check(fc_dat_column_range(SCRATCH "/classify/figures/classify_class_fit.dat", 2, &lo, &hi) &&
              lo > 0.3 && hi < 1.0,
          "the classification loss's law spans its points");
    char *gp = fc_read_text(SCRATCH "/classify/figures/classify.gp");
    check(gp && strstr(gp, "L_N (generative)") && strstr(gp, "E_N (error rate)") &&
              strstr(gp, "stage classify"),
          "the key names the three laws and the stage");
    free(gp);
    fc_check_figure(SCRATCH "/classify/figures", "classify", NULL, 0, NULL, 6);
    figures_list_free(&out);
    sf_diag_free(&diags);
    for (int k = 0; k < 3; k++) {
        fit_result_free(fits[k]);
        if (built[k]) fit_data_free(&data[k]);
    }
    fit_groups_free(&groups);
    sf_csv_free(&csv);
}

/* results.csv with the mutual information of its runs: "mi" holds the estimates with the log
 * law and the bound, "mi_losses" the two losses they are the difference of. */
static void test_mi(void) {
    mkdir(SCRATCH "/mi", 0755);
    const char *curves  = "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,stage\na,1,1000,"
                          "1,100,6e5,2.0,main\n";
    const char *results = "run,status,params_nonembed,final_part_loss,final_part_loss_blank,"
                          "final_mi,caption_entropy,stage\n"
                          "a,done,1000,60.0,60.5,0.5,2.302585,main\n"
                          "b,done,4000,55.0,56.0,1.0,2.302585,main\n"
                          "c,done,16000,52.0,53.4,1.4,2.302585,main\n"
                          "d,done,64000,50.0,51.9,1.9,2.302585,main\n"
                          "e,failed,128000,,,,,main\n";
    struct sf_error err;
    sf_write_atomic(SCRATCH "/mi/curves.csv", curves, strlen(curves), &err);
    sf_write_atomic(SCRATCH "/mi/results.csv", results, strlen(results), &err);
    struct sf_csv csv;
    if (!check(sf_csv_read(SCRATCH "/mi/results.csv", &csv, &err) == SF_OK, "read results.csv"))
        return;
    struct fit_selection sel = {0};
    struct fit_groups    groups;
    check(fit_select_rows(&csv, &sel, &groups, &err) == SF_OK, "select rows");
    enum fit_law_kind  law;
    struct fit_columns cols = {0};
    struct fit_request req;
    struct fit_data    data;
    struct fit_result *fit = NULL;
    cols.x = "params_nonembed", cols.y = "final_mi";
    check(fit_law_from_name("log", &law), "law log");
    bool built = fit_data_build(&csv, groups.rows[0], 4, law, &cols, &sel, &data, &err) == SF_OK;
    if (check(built, "log data (%s)", err.message)) {
        fit_request_init(&req, law);
        fit = fit_run(&data, &req, NULL, &err);
        check(fit != NULL, "log fit");
    }
    struct figures_sweep_fits sf = {.mi = fit, .mi_name = "I_N"};
    struct figures_list       out;
    struct sf_diags           diags;
    sf_diag_init(&diags);
    figures_sweep_draw(SCRATCH "/mi", &sf, &out, &diags);
    size_t drawn = 0;
    for (size_t i = 0; i < out.n_drawn; i++)
        drawn += strcmp(out.drawn[i], "mi") == 0 || strcmp(out.drawn[i], "mi_losses") == 0;
    check(drawn == 2 && out.n_missing == 0, "mi and mi_losses drawn");
    double lo, hi;
    check(fc_dat_column_range(SCRATCH "/mi/figures/mi_points.dat", 2, &lo, &hi) && lo == 0.5 &&
              hi == 1.9,
          "the four done runs' estimates, the failed one left out");
    check(fc_dat_column_range(SCRATCH "/mi/figures/mi_losses_blank.dat", 2, &lo, &hi) &&
              lo == 51.9 && hi == 60.5,
          "the losses after a blank first part");
    char *gp = fc_read_text(SCRATCH "/mi/figures/mi.gp");
    check(gp && strstr(gp, "bound = 2.302585") && strstr(gp, "I_N: "),
          "the bound and the fitted law in the script");
    free(gp);
    fc_check_figure(SCRATCH "/mi/figures", "mi", NULL, 0, NULL, 3);
    fc_check_figure(SCRATCH "/mi/figures", "mi_losses", NULL, 0, NULL, 2);
    figures_list_free(&out);
    sf_diag_free(&diags);
    fit_result_free(fit);
    if (built) fit_data_free(&data);
    fit_groups_free(&groups);
    sf_csv_free(&csv);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_sweep_figures SCALEFIT\n");
        return 2;
    }
    /* As in scalefit's main(): every GSL status is checked where it is returned. */
    gsl_set_error_handler_off();
    fc_remove_tree(SCRATCH);
    test_sweep(argv[1]);
    test_plain_loss();
    test_kl();
    test_classify();
    test_mi();
    return check_summary();
}
