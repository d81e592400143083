/*
 * plot.c (cli) — `scalefit plot DIR`: checks the argument and redraws the figures of a fit
 * directory, a directory of several fits or a sweep directory with src/figures (figures_redraw),
 * printing its messages and a count of what was redrawn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "figures.h"

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
    struct figures_redraw s;
    struct sf_diags       diags;
    sf_diag_init(&diags);
    enum sf_status st = figures_redraw(dir, &s, &diags);
    sf_diag_print(&diags, stderr);
    sf_diag_free(&diags);
    if (st != SF_OK) return sf_status_exit_code(st);
    printf("redrew %zu figure%s in %zu folder%s of %s\n", s.drawn, s.drawn == 1 ? "" : "s",
           s.folders, s.folders == 1 ? "" : "s", dir);
    if (s.failed > 0) {
        fprintf(stderr, "scalefit: error: %zu figure%s could not be redrawn\n", s.failed,
                s.failed == 1 ? "" : "s");
        return 1;
    }
    return 0;
}
