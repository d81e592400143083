/*
 * list.c — the record of a figures call: the figures drawn and those that could not be, each
 * with its reason, and drawing one assembled figure with src/plot. Every problem becomes a
 * warning in the caller's diagnostics list; nothing here prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void figures_list_init(struct figures_list *f) {
    f->drawn      = calloc(FIGURES_MAX + 1, sizeof *f->drawn);
    f->missing    = calloc(FIGURES_MAX + 1, sizeof *f->missing);
    f->n_drawn    = 0;
    f->n_missing  = 0;
    f->disk_full  = false;
    f->write_only = false;
    sf_error_clear(&f->full);
}

void figures_list_free(struct figures_list *f) {
    for (size_t i = 0; f->drawn && f->drawn[i]; i++)
        free(f->drawn[i]);
    for (size_t i = 0; f->missing && f->missing[i]; i++)
        free(f->missing[i]);
    free(f->drawn);
    free(f->missing);
    f->drawn = f->missing = NULL;
}

/* Appends to one of the lists (silently drops past FIGURES_MAX: never more are drawn). */
static void figures_list_add_impl(char **list, size_t *n, char *s) {
    if (list == NULL || s == NULL || *n >= FIGURES_MAX) {
        free(s);
        return;
    }
    list[(*n)++] = s;
    list[*n]     = NULL;
}

/* Adds gnuplot's messages line by line as warnings for figure `name`. */
static void figures_lines_impl(struct sf_diags *diags, const char *name, const char *what,
                               const char *text) {
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t      n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) sf_diag_add(diags, false, NULL, "figure %s: %s: %.*s", name, what, (int)n, p);
        p += n + (e != NULL);
    }
}

bool figures_draw_one(struct plot_figure *fig, const char *name, const char *figdir,
                      struct figures_list *out, struct sf_diags *diags) {
    struct plot_context ctx = plot_context_default();
    ctx.write_only          = out->write_only;
    struct sf_error err;
    sf_error_clear(&err);
    char          *warnings = NULL;
    enum sf_status st       = plot_figure_draw(fig, &ctx, figdir, &warnings, &err);
    plot_figure_free(fig);
    if (st != SF_OK) {
        if ((err.sys_errno == ENOSPC || err.sys_errno == EDQUOT) && !out->disk_full) {
            out->disk_full = true;
            out->full      = err;
        }
        sf_diag_add(diags, false, NULL, "figure %s not drawn: %s", name, err.message);
        figures_list_add_impl(out->missing, &out->n_missing,
                              sf_strdup_printf("%s: %s", name, err.message));
        return false;
    }
    if (warnings) figures_lines_impl(diags, name, "gnuplot", warnings);
    free(warnings);
    if (!out->write_only) figures_list_add_impl(out->drawn, &out->n_drawn, sf_strdup(name));
    return true;
}

void figures_skip(struct figures_list *out, struct sf_diags *diags, const char *name,
                  const char *fmt, ...) {
    if (out->write_only) return; /* nothing is drawn now: `scalefit plot` says it later */
    char    reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    sf_diag_add(diags, false, NULL, "figure %s not drawn: %s", name, reason);
    figures_list_add_impl(out->missing, &out->n_missing, sf_strdup_printf("%s: %s", name, reason));
}
