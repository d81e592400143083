/*
 * test_plot.c — the figure module on its own: label text (enhanced-text escapes, numbers with
 * 10^{k} exponents), axis ticks (powers of ten that gnuplot places where they belong, round
 * values on a narrow log axis), the filled-in script and its tables, and every error path of a
 * draw (bad names, no templates, no gnuplot, a script gnuplot rejects) — each figure drawn
 * here is checked as the suite checks all figures.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "figure_check.h"
#include "internal.h"
#include "plot.h"

#ifndef PLOTS_DIR
#error "PLOTS_DIR must name the templates"
#endif

#define SCRATCH "scratch_plot"

static void test_text(void) {
    struct sf_buf b;
    sf_buf_init(&b);
    plot_enhanced_escape(&b, "loss_c4^2 {x} @a&b~");
    check(strcmp(b.data, "loss\\_c4\\^2 \\{x\\} \\@a\\&b\\~") == 0, "enhanced escape (%s)", b.data);
    struct {
        double      v;
        const char *want;
    } nums[] = {{1.137, "1.14"},   {51.23, "51.2"},         {4.98e19, "4.98×10^{19}"},
                {1e14, "10^{14}"}, {9.996e9, "10^{10}"},    {2.5e-4, "2.5×10^{-4}"},
                {0, "0"},          {-3.5e7, "-3.5×10^{7}"}, {24576, "2.46×10^{4}"},
                {999.4, "999"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        b.len = 0;
        plot_label_number(&b, nums[i].v, 3);
        check(strcmp(b.data, nums[i].want) == 0, "label number %g is %s (got %s)", nums[i].v,
              nums[i].want, b.data);
    }
    b.len = 0;
    plot_gp_quote(&b, "a \"b\" \\c\nd");
    check(strcmp(b.data, "\"a \\\"b\\\" \\\\c\\nd\"") == 0, "gnuplot quoting (%s)", b.data);
    sf_buf_free(&b);
}

static void test_tics(void) {
    struct sf_buf t, f;
    sf_buf_init(&t), sf_buf_init(&f);
    /* A wide log axis: ticks from the first power of ten inside, every decade. */
    plot_axis_tics(&t, &f, 1.2e15, 6e21, true);
    check(strcmp(t.data, "1e16, 1e+01") == 0 && strcmp(f.data, "10^{%L}") == 0,
          "wide log axis (%s, %s)", t.data, f.data);
    t.len = f.len = 0;
    /* Sixteen decades: every second decade, starting on an even one. */
    plot_axis_tics(&t, &f, 3e-3, 2e13, true);
    check(strcmp(t.data, "1e-2, 1e+02") == 0, "very wide log axis (%s)", t.data);
    t.len = f.len = 0;
    /* Less than two powers of ten inside: round values, since powers of ten would leave the
     * axis (nearly) unlabelled. */
    static const struct {
        double      lo, hi;
        const char *want, *what;
    } narrow[] = {
        {2.3, 4.6, "('2.5' 2.5, '3' 3, '3.5' 3.5, '4' 4, '4.5' 4.5)", "within a decade"},
        {0.71, 5.5, "('1' 1, '2' 2, '3' 3, '5' 5)", "one power inside"},
        {1.6, 7.5, "('2' 2, '3' 3, '4' 4, '5' 5, '6' 6)", "most of a decade"},
        /* Large values: labelled as powers of ten, not as 5e+06. */
        {4e6, 9e7,
         "('5×10^{6}' 5000000, '10^{7}' 10000000, '2×10^{7}' 20000000, '5×10^{7}' 50000000)",
         "large values"},
        /* Narrower than any set of round mantissas: three or more evenly spaced values. */
        {3.1, 3.2, "('3.1' 3.1, '3.15' 3.15, '3.2' 3.2)", "very narrow"},
        {0.802, 0.884, "('0.82' 0.82, '0.84' 0.84, '0.86' 0.86, '0.88' 0.88)", "0.80 to 0.88"},
        /* 0.7, 0.8, 0.9, 1 would leave the data above 1 bare; 0.7, 0.75, ..., 1, 1.5 crowds
         * the bottom. */
        {0.65, 1.8, "('0.8' 0.8, '1' 1, '1.2' 1.2, '1.4' 1.4, '1.6' 1.6, '1.8' 1.8)",
         "0.65 to 1.8"},
        {0.68, 1.8, "('0.8' 0.8, '1' 1, '1.2' 1.2, '1.4' 1.4, '1.6' 1.6, '1.8' 1.8)",
         "0.68 to 1.8"},
    };
    for (size_t i = 0; i < sizeof narrow / sizeof narrow[0]; i++) {
        t.len = f.len = 0;
        plot_axis_tics(&t, &f, narrow[i].lo, narrow[i].hi, true);
        check(strcmp(t.data, narrow[i].want) == 0 && strcmp(f.data, "%g") == 0,
              "narrow log axis, %s (%s)", narrow[i].what, t.data);
    }
    t.len = f.len = 0;
    plot_axis_tics(&t, &f, -0.1, 0.1, false);
    check(strcmp(t.data, "autofreq") == 0, "linear axis (%s)", t.data);
    sf_buf_free(&t), sf_buf_free(&f);
}

/* A small figure on the `nopt` template (two tables, a band): drawn, then checked. */
static struct plot_figure *small_figure(const char *name) {
    struct plot_figure *f = plot_figure_alloc("nopt", name);
    struct plot_table  *h = plot_figure_table(f, "hull", "flops params");
    struct plot_table  *t = plot_figure_table(f, "fit", "flops params lo hi");
    for (int i = 0; i <= 20; i++) {
        double c = pow(10, 14 + 0.3 * i), n = pow(c / 13, 0.47);
        double row[4] = {c, n, n / 1.3, n * 1.3};
        plot_table_row(t, row);
        if (i % 4 == 0) {
            double pt[2] = {c, n * (i % 8 ? 1.1 : 0.92)};
            plot_table_row(h, pt);
        }
    }
    plot_figure_set_text(f, "title_text", "a test of N_{opt} = (C/13)^{0.47}");
    plot_figure_set_text(f, "xlabel_text", "compute C (FLOP)");
    plot_figure_set_text(f, "ylabel_text", "optimal model size N_{opt} (parameters)");
    plot_figure_set_axis(f, "x", 8e13, 2e20, true);
    plot_figure_set_axis(f, "y", 1e6, 2e9, true);
    plot_figure_set_int(f, "has_band", 1);
    plot_figure_set_text(f, "key_points", "points");
    plot_figure_set_text(f, "key_fit", "law");
    plot_figure_set_text(f, "key_band", "band");
    return f;
}

static void test_draw(void) {
    struct plot_context ctx = plot_context_default();
    ctx.plots_dir           = PLOTS_DIR;
    struct sf_error     err;
    char               *warnings = NULL;
    struct plot_figure *f        = small_figure("small");
    enum sf_status      st       = plot_figure_draw(f, &ctx, SCRATCH "/ok", &warnings, &err);
    check(st == SF_OK, "draw a figure (%s)", st ? err.message : "");
    check(warnings == NULL, "gnuplot printed nothing (%s)", warnings ? warnings : "");
    free(warnings);
    plot_figure_free(f);
    const unsigned colours[] = {0x0072B2u, 0x000000u, fc_blend_white(0x000000u, 0.25)};
    fc_check_figure(SCRATCH "/ok", "small", colours, 3, NULL, 3);
    char *dat = fc_read_text(SCRATCH "/ok/small_hull.dat");
    check(dat && strncmp(dat, "# small_hull.dat: flops params\n1e+14 ", 37) == 0,
          "table header and numbers (%.60s)", dat ? dat : "");
    free(dat);

    /* An empty table is not written, and its variable is "". */
    f                     = small_figure("emptyhull");
    struct plot_figure *g = plot_figure_alloc("nopt", "emptyhull");
    plot_figure_free(f);
    f = g;
    plot_figure_table(f, "hull", "flops params");
    struct plot_table *t       = plot_figure_table(f, "fit", "flops params lo hi");
    double             row1[4] = {1e14, 1e6, 9e5, 1.1e6}, row2[4] = {1e16, 1e7, 9e6, 1.1e7};
    plot_table_row(t, row1), plot_table_row(t, row2);
    plot_figure_set_text(f, "title_text", "t"), plot_figure_set_text(f, "xlabel_text", "x");
    plot_figure_set_text(f, "ylabel_text", "y");
    plot_figure_set_axis(f, "x", 1e13, 1e17, true), plot_figure_set_axis(f, "y", 1e5, 1e8, true);
    plot_figure_set_int(f, "has_band", 0);
    plot_figure_set_text(f, "key_points", "p"), plot_figure_set_text(f, "key_fit", "f");
    plot_figure_set_text(f, "key_band", "b");
    st = plot_figure_draw(f, &ctx, SCRATCH "/ok", &warnings, &err);
    check(st == SF_OK && warnings == NULL, "a figure with an empty table draws quietly (%s)",
          warnings ? warnings
          : st     ? err.message
                   : "");
    free(warnings);
    plot_figure_free(f);
    struct stat sb;
    check(stat(SCRATCH "/ok/emptyhull_hull.dat", &sb) != 0, "the empty table is not written");
    char *gp = fc_read_text(SCRATCH "/ok/emptyhull.gp");
    check(gp && strstr(gp, "dat_hull = \"\"\n") && strstr(gp, "dat_fit = \"emptyhull_fit.dat\"\n"),
          "empty table variable");
    free(gp);

    /* Bad names: refused at allocation, or remembered and reported by the draw. */
    check(plot_figure_alloc("nopt", "../escape") == NULL, "a name with a path is refused");
    check(plot_figure_alloc("no pt", "x") == NULL, "a kind with a space is refused");
    f = small_figure("badvar");
    plot_figure_set_num(f, "2bad", 1);
    st = plot_figure_draw(f, &ctx, SCRATCH "/bad", NULL, &err);
    check(st == SF_EINVAL && strstr(err.message, "2bad"), "a bad variable name (%s)", err.message);
    plot_figure_free(f);
    f = small_figure("badaxis");
    plot_figure_set_axis(f, "x", -1, 10, true);
    st = plot_figure_draw(f, &ctx, SCRATCH "/bad", NULL, &err);
    check(st == SF_EINVAL && strstr(err.message, "log axis"), "a log axis through 0 (%s)",
          err.message);
    plot_figure_free(f);
    check(plot_figure_draw(NULL, &ctx, SCRATCH "/bad", NULL, &err) == SF_ENOMEM, "NULL figure");

    /* No templates where asked. */
    mkdir(SCRATCH "/notemplates", 0755);
    struct plot_context none = ctx;
    none.plots_dir           = SCRATCH "/notemplates";
    f                        = small_figure("nt");
    st                       = plot_figure_draw(f, &none, SCRATCH "/bad", NULL, &err);
    check(st == SF_EIO && strstr(err.message, "no figure templates"), "no templates (%s)",
          err.message);
    plot_figure_free(f);

    /* No gnuplot: SF_EIO naming the program, earlier outputs left as they were. */
    struct plot_context nognu = ctx;
    nognu.gnuplot             = SCRATCH "/no-such-gnuplot";
    f                         = small_figure("small");
    st                        = plot_figure_draw(f, &nognu, SCRATCH "/ok", NULL, &err);
    check(st == SF_EIO && strstr(err.message, "cannot run") &&
              strstr(err.message, "no-such-gnuplot"),
          "gnuplot missing (%s)", err.message);
    plot_figure_free(f);
    check(stat(SCRATCH "/ok/small.png", &sb) == 0, "the earlier PNG is still there");

    /* A template gnuplot rejects: its message comes back, no output is left. */
    mkdir(SCRATCH "/broken", 0755);
    fc_copy_file(PLOTS_DIR "/style.gp", SCRATCH "/broken/style.gp");
    const char *bad = "plot undefined_function_of_the_test(x)\n";
    sf_write_atomic(SCRATCH "/broken/nopt.gp", bad, strlen(bad), &err);
    struct plot_context broken = ctx;
    broken.plots_dir           = SCRATCH "/broken";
    f                          = small_figure("rejected");
    st                         = plot_figure_draw(f, &broken, SCRATCH "/out", NULL, &err);
    check(st == SF_EIO && strstr(err.message, "gnuplot failed") &&
              strstr(err.message, "undefined_function_of_the_test"),
          "gnuplot's message (%s)", err.message);
    plot_figure_free(f);
    check(stat(SCRATCH "/out/rejected.png", &sb) != 0 &&
              stat(SCRATCH "/out/.rejected.png.tmp", &sb) != 0,
          "no PNG left by a failed run");

    /* A script that runs too long is stopped. */
    const char *slow = "pause 30\n";
    sf_write_atomic(SCRATCH "/broken/nopt.gp", slow, strlen(slow), &err);
    broken.timeout_s = 0.5;
    f                = small_figure("slow");
    st               = plot_figure_draw(f, &broken, SCRATCH "/out", NULL, &err);
    check(st == SF_EIO && strstr(err.message, "longer than"), "timeout (%s)", err.message);
    plot_figure_free(f);

    /* Redraw and listing. */
    char **names = NULL;
    size_t n     = 0;
    check(plot_dir_scripts(SCRATCH "/ok", &names, &n, &err) == SF_OK && n == 2 &&
              strcmp(names[0], "emptyhull") == 0 && strcmp(names[1], "small") == 0,
          "scripts listed in order (%zu)", n);
    sf_names_free(names);
    check(plot_dir_scripts(SCRATCH "/missing", &names, &n, &err) == SF_EIO,
          "listing a missing folder");
    st = plot_script_run(&ctx, SCRATCH "/ok", "small", &warnings, &err);
    check(st == SF_OK && warnings == NULL, "redraw a stored script");
    free(warnings);
    check(plot_script_run(&ctx, SCRATCH "/ok", "absent", NULL, &err) == SF_EIO,
          "redraw a missing script");
    unsigned w = 0, h = 0;
    check(plot_png_size(SCRATCH "/ok/small.png", &w, &h, &err) == SF_OK && w == PLOT_PNG_WIDTH &&
              h == PLOT_PNG_HEIGHT,
          "PNG size %ux%u", w, h);
    check(plot_png_size(SCRATCH "/ok/small.gp", &w, &h, &err) == SF_EIO, "a script is no PNG");
}

int main(void) {
    fc_remove_tree(SCRATCH);
    mkdir(SCRATCH, 0755);
    test_text();
    test_tics();
    test_draw();
    return check_summary();
}
