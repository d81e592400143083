/*
 * redraw.c — `scalefit plot DIR` without its options: redraws the figures of a fit directory
 * (DIR/figures), of a directory of several fits (each DIR/LAW or DIR/GROUP/LAW holding a
 * fit.yaml), or of a sweep directory (OUT/figures and OUT/fits/NAME/figures), by running
 * gnuplot on the filled-in scripts stored beside each figure. Nothing is refitted: the scripts
 * and their .dat tables are the whole record of a figure.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A redraw under way: how gnuplot is run, the counts so far, where messages go. */
struct figures_redraw_state {
    struct plot_context    ctx;
    struct figures_redraw *res;
    struct sf_diags       *diags;
};

/* True when DIR/NAME exists. */
static bool figures_redraw_has(const char *dir, const char *name) {
    char *p  = sf_path_join(dir, name);
    bool  ok = p != NULL && sf_path_exists(p);
    free(p);
    return ok;
}

/* Redraws every script in one figures folder. Returns false when it holds none. */
static bool figures_redraw_folder(struct figures_redraw_state *s, const char *figdir) {
    struct sf_error err;
    char          **names = NULL;
    size_t          n     = 0;
    if (!sf_is_dir(figdir) || plot_dir_scripts(figdir, &names, &n, &err) != SF_OK || n == 0) {
        sf_names_free(names);
        return false;
    }
    s->res->folders++;
    for (size_t i = 0; i < n; i++) {
        char *warnings = NULL;
        if (plot_script_run(&s->ctx, figdir, names[i], &warnings, &err) != SF_OK) {
            sf_diag_add(s->diags, true, NULL, "%s/%s.gp: %s", figdir, names[i], err.message);
            s->res->failed++;
        } else {
            s->res->drawn++;
        }
        if (warnings) {
            char *save = NULL; /* strtok_r: library code keeps no hidden state */
            for (char *line = strtok_r(warnings, "\n", &save); line;
                 line       = strtok_r(NULL, "\n", &save))
                sf_diag_add(s->diags, false, NULL, "%s/%s.gp: gnuplot: %s", figdir, names[i], line);
        }
        free(warnings);
    }
    sf_names_free(names);
    return true;
}

/* Redraws DIR/figures of one fit; false when it has no figure scripts. */
static bool figures_redraw_fit(struct figures_redraw_state *s, const char *dir) {
    char *figdir = sf_path_join(dir, "figures");
    bool  ok     = figdir != NULL && figures_redraw_folder(s, figdir);
    free(figdir);
    return ok;
}

/* Keeps the visible subfolders. */
static bool figures_redraw_is_subdir(const char *dir, const char *name, void *ctx) {
    (void)ctx;
    char *p      = name[0] == '.' ? NULL : sf_path_join(dir, name);
    bool  is_dir = p != NULL && sf_is_dir(p);
    free(p);
    return is_dir;
}

/* The subfolders of `dir`, sorted (caller frees with sf_names_free); NULL when unreadable. */
static char **figures_redraw_subdirs(const char *dir) {
    char          **v = NULL;
    size_t          n;
    struct sf_error err;
    if (sf_dir_list(dir, NULL, figures_redraw_is_subdir, NULL, &v, &n, &err) != SF_OK) return NULL;
    return v;
}

/* Redraws every fit below `dir` (DIR/LAW or DIR/GROUP/LAW, `depth` levels). Returns the number
 * of fits with figures. */
static size_t figures_redraw_fits_below(struct figures_redraw_state *s, const char *dir,
                                        int depth) {
    char **subs  = figures_redraw_subdirs(dir);
    size_t found = 0;
    for (size_t i = 0; subs && subs[i]; i++) {
        char *sub = sf_path_join(dir, subs[i]);
        if (sub == NULL) continue;
        if (figures_redraw_has(sub, "fit.yaml"))
            found += figures_redraw_fit(s, sub);
        else if (depth > 1)
            found += figures_redraw_fits_below(s, sub, depth - 1);
        free(sub);
    }
    sf_names_free(subs);
    return found;
}

enum sf_status figures_redraw(const char *dir, struct figures_redraw *res, struct sf_diags *diags) {
    memset(res, 0, sizeof *res);
    struct figures_redraw_state s = {plot_context_default(), res, diags};
    bool                        any;
    if (figures_redraw_has(dir, "fit.yaml")) {
        res->kind = "fit";
        any       = figures_redraw_fit(&s, dir);
    } else if (figures_redraw_has(dir, "comparison.yaml")) {
        res->kind = "comparison of fits";
        any       = figures_redraw_fits_below(&s, dir, 2) > 0;
    } else if (figures_redraw_has(dir, "results.csv") || figures_redraw_has(dir, "curves.csv") ||
               figures_redraw_has(dir, "sweep.yaml")) {
        res->kind  = "sweep";
        char *fits = sf_path_join(dir, "fits");
        any        = figures_redraw_fit(&s, dir);
        if (fits != NULL && sf_is_dir(fits))
            any = (figures_redraw_fits_below(&s, fits, 1) > 0) || any;
        free(fits);
    } else {
        sf_diag_add(diags, true, NULL,
                    "%s holds no fit or sweep (no fit.yaml, comparison.yaml, results.csv or "
                    "curves.csv)",
                    dir);
        return SF_EINVAL;
    }
    if (!any) {
        sf_diag_add(diags, true, NULL,
                    "%s: this %s has no figure scripts to redraw (figures/*.gp): was its "
                    "figures/ folder removed?",
                    dir, res->kind);
        return SF_EINVAL;
    }
    return SF_OK;
}
