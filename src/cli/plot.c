/*
 * plot.c (cli) — `scalefit plot DIR`: redraws the figures of a fit directory (DIR/figures), of
 * a directory of several fits (each DIR/LAW or DIR/GROUP/LAW holding a fit.yaml), or of a sweep
 * directory (OUT/figures and OUT/fits/NAME/figures), by running gnuplot on the filled-in
 * scripts stored beside each figure. Nothing is refitted: the scripts and their .dat tables are
 * the whole record of a figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

static void cli_plot_usage(FILE *out) {
    fprintf(
        out,
        "usage: scalefit plot DIR\n"
        "\n"
        "Redraws the figures (PNG and SVG) of a fit directory (scalefit fit --out DIR), of a\n"
        "directory of several fits, or of a sweep directory, from the scripts NAME.gp and the\n"
        "tables NAME_*.dat stored in each figures/ folder. Edit a script to restyle its figure.\n"
        "\n"
        "environment:\n"
        "  SCALEFIT_GNUPLOT   the gnuplot program to run (default: gnuplot on PATH)\n");
}

/* What `scalefit plot` found to redraw and how it went. */
struct cli_plot_state {
    struct plot_context ctx;
    size_t              folders, drawn, failed;
};

/* True when DIR/NAME exists. */
static bool cli_plot_has(const char *dir, const char *name) {
    char *p  = sf_path_join(dir, name);
    bool  ok = p != NULL && sf_path_exists(p);
    free(p);
    return ok;
}

/* Redraws every script in one figures folder. Returns false when it holds none. */
static bool cli_plot_folder(struct cli_plot_state *s, const char *figdir) {
    struct sf_error err;
    char          **names = NULL;
    size_t          n     = 0;
    if (!sf_is_dir(figdir) || plot_dir_scripts(figdir, &names, &n, &err) != SF_OK || n == 0) {
        plot_names_free(names);
        return false;
    }
    s->folders++;
    for (size_t i = 0; i < n; i++) {
        char *warnings = NULL;
        if (plot_script_run(&s->ctx, figdir, names[i], &warnings, &err) != SF_OK) {
            fprintf(stderr, "scalefit: error: %s/%s.gp: %s\n", figdir, names[i], err.message);
            s->failed++;
        } else {
            s->drawn++;
        }
        if (warnings) {
            for (char *line = strtok(warnings, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(stderr, "scalefit: warning: %s/%s.gp: gnuplot: %s\n", figdir, names[i],
                        line);
        }
        free(warnings);
    }
    plot_names_free(names);
    return true;
}

/* Redraws DIR/figures of one fit; false when it has no figure scripts. */
static bool cli_plot_fit(struct cli_plot_state *s, const char *dir) {
    char *figdir = sf_path_join(dir, "figures");
    bool  ok     = figdir != NULL && cli_plot_folder(s, figdir);
    free(figdir);
    return ok;
}

/* Keeps the visible subfolders. */
static bool cli_plot_is_subdir(const char *dir, const char *name, void *ctx) {
    (void)ctx;
    char *p      = name[0] == '.' ? NULL : sf_path_join(dir, name);
    bool  is_dir = p != NULL && sf_is_dir(p);
    free(p);
    return is_dir;
}

/* The subfolders of `dir`, sorted (caller frees with plot_names_free); NULL when unreadable. */
static char **cli_plot_subdirs(const char *dir) {
    char          **v = NULL;
    size_t          n;
    struct sf_error err;
    if (sf_dir_list(dir, NULL, cli_plot_is_subdir, NULL, &v, &n, &err) != SF_OK) return NULL;
    return v;
}

/* Redraws every fit below `dir` (DIR/LAW or DIR/GROUP/LAW, `depth` levels). Returns the number
 * of fits with figures. */
static size_t cli_plot_fits_below(struct cli_plot_state *s, const char *dir, int depth) {
    char **subs  = cli_plot_subdirs(dir);
    size_t found = 0;
    for (size_t i = 0; subs && subs[i]; i++) {
        char *sub = sf_path_join(dir, subs[i]);
        if (sub == NULL) continue;
        if (cli_plot_has(sub, "fit.yaml"))
            found += cli_plot_fit(s, sub);
        else if (depth > 1)
            found += cli_plot_fits_below(s, sub, depth - 1);
        free(sub);
    }
    plot_names_free(subs);
    return found;
}

int cli_plot_main(int argc, char **argv) {
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_plot_usage(stdout);
            return 0;
        }
        if (strncmp(argv[i], "--", 2) == 0) {
            fprintf(stderr, "scalefit: %s: error: unknown option (scalefit plot DIR)\n", argv[i]);
            return 2;
        }
        if (dir != NULL) {
            fprintf(stderr, "scalefit: error: more than one directory ('%s' and '%s')\n", dir,
                    argv[i]);
            return 2;
        }
        dir = argv[i];
    }
    if (dir == NULL) {
        cli_plot_usage(stderr);
        return 2;
    }
    if (!sf_path_exists(dir)) {
        fprintf(stderr, "scalefit: error: %s: no such directory\n", dir);
        return 2;
    }
    if (!sf_is_dir(dir)) {
        fprintf(stderr,
                "scalefit: error: %s: not a directory (give the folder of a fit or a sweep)\n",
                dir);
        return 2;
    }
    struct cli_plot_state s;
    memset(&s, 0, sizeof s);
    s.ctx = plot_context_default();
    const char *kind;
    bool        any;
    if (cli_plot_has(dir, "fit.yaml")) {
        kind = "fit";
        any  = cli_plot_fit(&s, dir);
    } else if (cli_plot_has(dir, "comparison.yaml")) {
        kind = "comparison of fits";
        any  = cli_plot_fits_below(&s, dir, 2) > 0;
    } else if (cli_plot_has(dir, "results.csv") || cli_plot_has(dir, "curves.csv") ||
               cli_plot_has(dir, "sweep.yaml")) {
        kind       = "sweep";
        char *fits = sf_path_join(dir, "fits");
        any        = cli_plot_fit(&s, dir);
        if (fits != NULL && sf_is_dir(fits)) any = (cli_plot_fits_below(&s, fits, 1) > 0) || any;
        free(fits);
    } else {
        fprintf(stderr,
                "scalefit: error: %s holds no fit or sweep (no fit.yaml, comparison.yaml, "
                "results.csv or curves.csv)\n",
                dir);
        return 2;
    }
    if (!any) {
        fprintf(stderr,
                "scalefit: error: %s: this %s has no figure scripts to redraw (figures/*.gp); "
                "was it made with --no-plot?\n",
                dir, kind);
        return 2;
    }
    printf("redrew %zu figure%s in %zu folder%s of %s\n", s.drawn, s.drawn == 1 ? "" : "s",
           s.folders, s.folders == 1 ? "" : "s", dir);
    if (s.failed > 0) {
        fprintf(stderr, "scalefit: error: %zu figure%s could not be redrawn\n", s.failed,
                s.failed == 1 ? "" : "s");
        return 1;
    }
    return 0;
}
