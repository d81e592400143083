/*
 * test_figures.c — the figures of `scalefit fit` for every law, checked as drawn: each figure
 * kind the law calls for is there, gnuplot said nothing, each PNG decodes at the set size and
 * holds the colour of every series it plots, each SVG has one plot group per series, and the
 * script left beside it redraws it byte for byte. Then `scalefit plot` on good and bad
 * directories, and a fit whose figures cannot be drawn (gnuplot missing, a template gnuplot
 * rejects), which must still succeed and say why.
 *
 * Usage: test_figures SCALEFIT (run from a scratch folder; fixtures from the source tree).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "common.h"
#include "figure_check.h"
#include "plot.h"

#ifndef TESTS_DATA_DIR
#error "TESTS_DATA_DIR must name tests/data"
#endif
#ifndef PLOTS_DIR
#error "PLOTS_DIR must name the templates"
#endif

#define SCRATCH "scratch_figures"

/* The style's colours (plots/style.gp) and how the figures use them. */
#define C_POINTS 0x0072B2u   /* fitted points */
#define C_HELDOUT 0xD55E00u  /* held-out points, hull points, compute-optimal line */
#define C_FIT 0x000000u      /* the fitted law */
#define C_CONST 0x009E73u    /* L_inf or E */
#define C_FORECAST 0xCC79A7u /* forecasts and the law continued */
#define C_ENVELOPE 0xE69F00u /* the compute frontier (the running minimum) */
#define C_GREY 0x7F7F7Fu     /* zero line, contours */
#define BAND_ALPHA 0.25      /* sf_band_alpha */

static const char *scalefit;

/* Runs scalefit with the arguments given (NULL-terminated after the subcommand); returns the
 * exit status and leaves stderr in *err. */
static int run_scalefit(char *const env[], char **err, char *const *args) {
    char  *argv[64];
    size_t n  = 0;
    argv[n++] = (char *)scalefit;
    for (size_t i = 0; args[i] && n + 1 < sizeof argv / sizeof argv[0]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return fc_run(argv, NULL, env, err);
}

/* One figure expected from a fit and what it must show. */
struct expect {
    const char *name;
    unsigned    colours[8];
    size_t      n_colours;
    const char *palette_dat; /* a table whose third column is drawn in palette colours */
    long        groups;      /* plot groups in the SVG */
};

/* Fits a fixture and checks every figure it should draw, and that no other figure appears. */
static void check_fit(const char *label, char *const *args, const struct expect *ex, size_t n_ex) {
    char out[256];
    snprintf(out, sizeof out, SCRATCH "/%s", label);
    char  *argv[40];
    size_t n  = 0;
    argv[n++] = "fit";
    for (size_t i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n++] = "--bootstrap";
    argv[n++] = "100";
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n]   = NULL;
    char *err = NULL;
    int   rc  = run_scalefit(NULL, &err, argv);
    check(rc == 0, "%s: scalefit fit exits 0 (got %d: %s)", label, rc, err);
    check(strstr(err, "figure") == NULL, "%s: no figure warning (%s)", label, err);
    free(err);
    char figdir[300];
    snprintf(figdir, sizeof figdir, "%s/figures", out);
    for (size_t i = 0; i < n_ex; i++)
        fc_check_figure(figdir, ex[i].name, ex[i].colours, ex[i].n_colours, ex[i].palette_dat,
                        ex[i].groups);
    /* Exactly the kinds the law calls for. */
    char          **names = NULL;
    size_t          count = 0;
    struct sf_error e;
    if (plot_dir_scripts(figdir, &names, &count, &e) == SF_OK) {
        check(count == n_ex, "%s: %zu figures drawn (%zu expected)", label, count, n_ex);
        sf_names_free(names);
    }
    char report[300];
    snprintf(report, sizeof report, "%s/report.md", out);
    char *text = fc_read_text(report);
    for (size_t i = 0; i < n_ex; i++) {
        char link[128];
        snprintf(link, sizeof link, "(figures/%s.png)", ex[i].name);
        check(text && strstr(text, link), "%s: report.md links %s", label, link);
    }
    free(text);
}

static void test_fits(void) {
    const unsigned band       = fc_blend_white(C_FIT, BAND_ALPHA);
    const unsigned const_band = fc_blend_white(C_CONST, BAND_ALPHA);
    char           d_chin[512], d_narrow[512], d_front[512], d_pc[512], d_pow[512], d_kap[512];
    snprintf(d_chin, sizeof d_chin, "%s/fit/chinchilla_synth.csv", TESTS_DATA_DIR);
    snprintf(d_narrow, sizeof d_narrow, "%s/fit/chinchilla_narrow.csv", TESTS_DATA_DIR);
    snprintf(d_front, sizeof d_front, "%s/fit/frontier_curves.csv", TESTS_DATA_DIR);
    snprintf(d_pc, sizeof d_pc, "%s/fit/powerconst_synth.csv", TESTS_DATA_DIR);
    snprintf(d_pow, sizeof d_pow, "%s/fit/power_synth.csv", TESTS_DATA_DIR);
    snprintf(d_kap, sizeof d_kap, "%s/fit/kaplan_synth.csv", TESTS_DATA_DIR);

    /* chinchilla with held-out points and a forecast beyond the data: kinds 1, 2, 3, 4. */
    char               *chin[]    = {d_chin,
                                     "--law",
                                     "chinchilla",
                                     "--n",
                                     "params",
                                     "--d",
                                     "tokens",
                                     "--holdout",
                                     "3",
                                     "--predict",
                                     "params=2e11,tokens=4e12",
                                     NULL};
    const struct expect chin_ex[] = {
        /* const band, band, extension band, const, law, law continued, points, held out,
         * forecast */
        {"loss", {C_POINTS, C_HELDOUT, C_FIT, band, C_CONST, const_band, C_FORECAST}, 7, NULL, 9},
        {"reducible", {C_POINTS, C_HELDOUT, C_FIT, band, C_FORECAST}, 5, NULL, 7},
        {"residuals", {C_GREY}, 1, "residuals_points.dat", 3},
        {"loss_tokens", {0}, 0, "loss_tokens_points.dat", 3},
        /* contours, their labels, the compute-optimal line, points, held out, forecast */
        {"isoloss", {C_GREY, C_HELDOUT, C_POINTS, C_FORECAST}, 4, NULL, 6},
    };
    check_fit("chinchilla", chin, chin_ex, sizeof chin_ex / sizeof chin_ex[0]);

    /* chinchilla on losses within 4% of each other (a markov sweep's runs): the contour levels
     * must still be distinct values inside the data, or no contour is drawn. */
    char *narrow[] = {d_narrow, "--law", "chinchilla", "--n", "params", "--d", "tokens", NULL};
    const struct expect narrow_ex[] = {
        {"loss", {C_POINTS, C_FIT, band, C_CONST, const_band}, 5, NULL, 5},
        {"reducible", {C_POINTS, C_FIT, band}, 3, NULL, 3},
        {"residuals", {C_GREY}, 1, "residuals_points.dat", 2},
        {"loss_tokens", {0}, 0, "loss_tokens_points.dat", 2},
        /* contours, their labels, the compute-optimal line, points */
        {"isoloss", {C_GREY, C_POINTS}, 2, NULL, 4},
    };
    check_fit("narrow", narrow, narrow_ex, sizeof narrow_ex / sizeof narrow_ex[0]);

    /* frontier: kinds 1, 2, 3, 5, 6. */
    char               *front[]    = {d_front, "--law", "frontier", "--run",  "run",
                                      "--c",   "flops", "--n",      "params", NULL};
    const struct expect front_ex[] = {
        {"loss", {C_POINTS, C_FIT, band, C_CONST}, 4, NULL, 5},
        {"reducible", {C_POINTS, C_FIT, band}, 3, NULL, 3},
        {"residuals", {C_POINTS, C_GREY}, 2, NULL, 2},
        /* curves, L_inf band, band, frontier, L_inf, fitted points, law */
        {"frontier", {C_FIT, C_ENVELOPE, C_HELDOUT, C_CONST}, 4, "frontier_curves.dat", 7},
        {"nopt", {C_POINTS, C_FIT, band}, 3, NULL, 3},
    };
    check_fit("frontier", front, front_ex, sizeof front_ex / sizeof front_ex[0]);

    /* power+const: kinds 1, 2, 3. */
    char *pc[] = {d_pc, "--law", "power+const", "--x", "params", "--holdout", "2", NULL};
    const struct expect pc_ex[] = {
        {"loss", {C_POINTS, C_HELDOUT, C_FIT, band, C_CONST, const_band}, 6, NULL, 6},
        {"reducible", {C_POINTS, C_HELDOUT, C_FIT, band}, 4, NULL, 4},
        {"residuals", {C_POINTS, C_HELDOUT, C_GREY}, 3, NULL, 3},
    };
    check_fit("powerconst", pc, pc_ex, sizeof pc_ex / sizeof pc_ex[0]);

    /* power: kinds 1 and 3 only (no constant). */
    char               *pw[]    = {d_pow, "--law", "power", "--x", "params", NULL};
    const struct expect pw_ex[] = {
        {"loss", {C_POINTS, C_FIT, band}, 3, NULL, 3},
        {"residuals", {C_POINTS, C_GREY}, 2, NULL, 2},
    };
    check_fit("power", pw, pw_ex, sizeof pw_ex / sizeof pw_ex[0]);

    /* kaplan-nd: kinds 1, 3, 4 (its optimum in closed form). */
    char *kap[] = {d_kap, "--law", "kaplan-nd", "--n", "params", "--d", "tokens", NULL};
    const struct expect kap_ex[] = {
        {"loss", {C_POINTS, C_FIT, band}, 3, NULL, 3},
        {"residuals", {C_GREY}, 1, "residuals_points.dat", 2},
        {"loss_tokens", {0}, 0, "loss_tokens_points.dat", 2},
        {"isoloss", {C_GREY, C_HELDOUT, C_POINTS}, 3, NULL, 4},
    };
    check_fit("kaplan", kap, kap_ex, sizeof kap_ex / sizeof kap_ex[0]);
}

/* `scalefit plot`: redraws, and the errors of bad input (exit 2, DESIGN.md's format). */
static void test_plot_command(void) {
    char *err      = NULL;
    char *redraw[] = {"plot", SCRATCH "/powerconst", NULL};
    fc_copy_file(SCRATCH "/powerconst/figures/loss.png", SCRATCH "/loss.before.png");
    int rc = run_scalefit(NULL, &err, redraw);
    check(rc == 0, "scalefit plot on a fit exits 0 (got %d: %s)", rc, err);
    check(err[0] == '\0', "scalefit plot prints nothing on stderr (%s)", err);
    check(fc_same_file(SCRATCH "/powerconst/figures/loss.png", SCRATCH "/loss.before.png"),
          "scalefit plot redraws loss.png byte for byte");
    free(err);

    char *missing[] = {"plot", SCRATCH "/no-such-dir", NULL};
    rc              = run_scalefit(NULL, &err, missing);
    check(rc == 2, "scalefit plot on a missing directory exits 2 (got %d)", rc);
    check(strncmp(err, "scalefit: error: " SCRATCH "/no-such-dir: no such directory", 46) == 0,
          "missing directory message (%s)", err);
    free(err);

    mkdir(SCRATCH "/empty", 0755);
    char *empty[] = {"plot", SCRATCH "/empty", NULL};
    rc            = run_scalefit(NULL, &err, empty);
    check(rc == 2, "scalefit plot on a folder with no fit exits 2 (got %d)", rc);
    check(strncmp(err, "scalefit: error: ", 17) == 0 && strstr(err, "holds no fit or sweep"),
          "no-fit message (%s)", err);
    free(err);

    char d_pc[512];
    snprintf(d_pc, sizeof d_pc, "%s/fit/powerconst_synth.csv", TESTS_DATA_DIR);
    /* --no-plot writes the tables and scripts only; `scalefit plot` draws them later, the same
     * figure as the fit drawn at once (the power+const fit above, same options). */
    char *noplot[] = {"fit",       d_pc,          "--law", "power+const", "--x",
                      "params",    "--holdout",   "2",     "--out",       SCRATCH "/noplot",
                      "--no-plot", "--bootstrap", "100",   NULL};
    rc             = run_scalefit(NULL, &err, noplot);
    check(rc == 0 && err[0] == '\0', "scalefit fit --no-plot exits 0 quietly (%d: %s)", rc, err);
    free(err);
    struct stat st;
    check(stat(SCRATCH "/noplot/figures/loss.gp", &st) == 0 &&
              stat(SCRATCH "/noplot/figures/loss.png", &st) != 0,
          "--no-plot writes loss.gp and its tables, and no PNG");
    char *replot[] = {"plot", SCRATCH "/noplot", NULL};
    rc             = run_scalefit(NULL, &err, replot);
    check(rc == 0 && err[0] == '\0', "scalefit plot on a --no-plot fit exits 0 quietly (%d: %s)",
          rc, err);
    free(err);
    check(fc_same_file(SCRATCH "/noplot/figures/loss.png", SCRATCH "/loss.before.png") &&
              fc_same_file(SCRATCH "/noplot/figures/reducible.svg",
                           SCRATCH "/powerconst/figures/reducible.svg"),
          "scalefit plot draws a --no-plot fit's figures as the fit would have");
    mkdir(SCRATCH "/nofigs", 0755);
    fc_copy_file(SCRATCH "/noplot/fit.yaml", SCRATCH "/nofigs/fit.yaml");
    char *nofigs[] = {"plot", SCRATCH "/nofigs", NULL};
    rc             = run_scalefit(NULL, &err, nofigs);
    check(rc == 2, "scalefit plot on a fit without figure scripts exits 2 (got %d)", rc);
    check(strncmp(err, "scalefit: error: ", 17) == 0 && strstr(err, "no figure scripts"),
          "no-figures message (%s)", err);
    free(err);

    /* Several fits side by side: each one's figures are redrawn. */
    char *several[] = {"fit",         d_pc, "--law", "power+const,power", "--x", "params",
                       "--bootstrap", "0",  "--out", SCRATCH "/several",  NULL};
    rc              = run_scalefit(NULL, &err, several);
    check(rc == 0, "scalefit fit with two laws exits 0 (got %d: %s)", rc, err);
    free(err);
    char *plot_several[] = {"plot", SCRATCH "/several", NULL};
    rc                   = run_scalefit(NULL, &err, plot_several);
    check(rc == 0 && err[0] == '\0', "scalefit plot on two fits exits 0 quietly (%d: %s)", rc, err);
    free(err);
    check(stat(SCRATCH "/several/power/figures/loss.png", &st) == 0 &&
              stat(SCRATCH "/several/power+const/figures/reducible.png", &st) == 0,
          "both fits have their figures");

    char *usage[] = {"plot", NULL};
    rc            = run_scalefit(NULL, &err, usage);
    check(rc == 2, "scalefit plot without a directory exits 2 (got %d)", rc);
    free(err);
}

/* Figures that cannot be drawn: the fit still succeeds, and says which and why. */
static void test_failures(void) {
    char d_pc[512];
    snprintf(d_pc, sizeof d_pc, "%s/fit/powerconst_synth.csv", TESTS_DATA_DIR);
    char *err           = NULL;
    char *fit[]         = {"fit",         d_pc, "--law", "power+const",        "--x", "params",
                           "--bootstrap", "0",  "--out", SCRATCH "/nognuplot", NULL};
    char *env_missing[] = {"SCALEFIT_GNUPLOT=" SCRATCH "/no-such-gnuplot", NULL};
    int   rc            = run_scalefit(env_missing, &err, fit);
    check(rc == 0, "a fit without gnuplot exits 0 (got %d: %s)", rc, err);
    check(strstr(err, "scalefit: warning: figure loss not drawn: cannot run") != NULL,
          "stderr says the figure was not drawn and why (%s)", err);
    free(err);
    char *report = fc_read_text(SCRATCH "/nognuplot/report.md");
    check(report && strstr(report, "not drawn: loss: cannot run"),
          "report.md lists loss as not drawn");
    check(report && strstr(report, "not drawn: residuals:"),
          "report.md lists residuals as not drawn");
    free(report);

    /* A template gnuplot rejects: its own message reaches the user. */
    mkdir(SCRATCH "/badplots", 0755);
    fc_copy_file(PLOTS_DIR "/style.gp", SCRATCH "/badplots/style.gp");
    fc_copy_file(PLOTS_DIR "/residuals.gp", SCRATCH "/badplots/residuals.gp");
    const char     *broken = "plot no_such_function_in_scalefit(x)\n";
    struct sf_error e;
    sf_write_atomic(SCRATCH "/badplots/loss.gp", broken, strlen(broken), &e);
    char *fit2[]    = {"fit",         d_pc, "--law", "power+const",          "--x", "params",
                       "--bootstrap", "0",  "--out", SCRATCH "/badtemplate", NULL};
    char *env_bad[] = {"SCALEFIT_PLOTS=" SCRATCH "/badplots", NULL};
    rc              = run_scalefit(env_bad, &err, fit2);
    check(rc == 0, "a fit with a broken template exits 0 (got %d: %s)", rc, err);
    check(strstr(err, "figure loss not drawn: gnuplot failed") != NULL &&
              strstr(err, "no_such_function_in_scalefit") != NULL,
          "stderr carries gnuplot's own message (%s)", err);
    check(strstr(err, "figure residuals not drawn") == NULL, "the other figures are drawn (%s)",
          err);
    free(err);
    struct stat st;
    check(stat(SCRATCH "/badtemplate/figures/loss.png", &st) != 0,
          "a failed figure leaves no PNG behind");
    check(stat(SCRATCH "/badtemplate/figures/residuals.png", &st) == 0, "residuals.png drawn");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_figures SCALEFIT\n");
        return 2;
    }
    scalefit = argv[1];
    fc_remove_tree(SCRATCH);
    mkdir(SCRATCH, 0755);
    test_fits();
    test_plot_command();
    test_failures();
    return check_summary();
}
