/*
 * plot.c (cli) — `scalefit plot DIR`: checks the argument and redraws the figures of a fit
 * directory, a directory of several fits or a sweep directory with src/figures (figures_redraw),
 * printing its messages and a count of what was redrawn.
 */
#include <stdio.h>

#include "cli.h"
#include "figures.h"

int cli_plot_main(int argc, char **argv) {
    const char              *dir = NULL;
    const struct cli_command cmd = {
        .name     = "plot",
        .synopsis = "DIR",
        .intro   = "Redraws the figures (PNG and SVG) of a fit directory (scalefit fit --out DIR), "
                   "of a\ndirectory of several fits, or of a sweep directory, from the scripts "
                   "NAME.gp and the\ntables NAME_*.dat stored in each figures/ folder. Edit a "
                   "script to restyle its figure.",
        .outro   = "environment:\n"
                   "  SCALEFIT_GNUPLOT   the gnuplot program to run (default: gnuplot on PATH)",
        .operand = "directory",
        .operand_at = &dir,
    };
    int rc;
    if (!cli_parse(&cmd, argc, argv, &rc)) return rc;
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
