/*
 * figure.c — assembling a figure: its gnuplot variables, its data tables, and the filled-in
 * script (variables, output names, plots/style.gp, plots/KIND.gp inside a loop over the two
 * terminals); writing them and handing the script to gnuplot (run.c).
 *
 * The filled-in script holds everything but the tables, so that a reader can redraw or restyle
 * a figure with gnuplot alone. Templates are read from disk at every draw, never compiled in.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* One variable of the filled-in script: its name and its value as gnuplot text. */
struct plot_var {
    char *name;
    char *value;
};

struct plot_table {
    char         *suffix;
    size_t        n_cols;
    size_t        n_rows;
    struct sf_buf text;
};

struct plot_figure {
    char               *kind, *name;
    struct plot_var    *vars;
    size_t              n_vars, cap_vars;
    struct plot_table **tables;
    size_t              n_tables, cap_tables;
    enum sf_status      failed;       /* first remembered failure (SF_OK when none) */
    char                failure[256]; /* its message */
};

/* True for a gnuplot identifier: a letter or '_', then letters, digits or '_'. */
static bool plot_is_identifier_impl(const char *s) {
    if (s == NULL || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') return false;
    return true;
}

static void plot_figure_fail_impl(struct plot_figure *f, enum sf_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remembers the first failure; plot_figure_draw() reports it. */
static void plot_figure_fail_impl(struct plot_figure *f, enum sf_status code, const char *fmt,
                                  ...) {
    if (f->failed != SF_OK) return;
    f->failed = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->failure, sizeof f->failure, fmt, ap);
    va_end(ap);
}

struct plot_figure *plot_figure_alloc(const char *kind, const char *name) {
    if (!plot_is_stem(kind) || !plot_is_stem(name)) return NULL;
    struct plot_figure *f = calloc(1, sizeof *f);
    if (f == NULL) return NULL;
    f->kind = sf_strdup(kind);
    f->name = sf_strdup(name);
    if (f->kind == NULL || f->name == NULL) {
        plot_figure_free(f);
        return NULL;
    }
    return f;
}

void plot_figure_free(struct plot_figure *f) {
    if (f == NULL) return;
    for (size_t i = 0; i < f->n_vars; i++) {
        free(f->vars[i].name);
        free(f->vars[i].value);
    }
    free(f->vars);
    for (size_t i = 0; i < f->n_tables; i++) {
        free(f->tables[i]->suffix);
        sf_buf_free(&f->tables[i]->text);
        free(f->tables[i]);
    }
    free(f->tables);
    free(f->kind);
    free(f->name);
    free(f);
}

/* Sets `var` to the gnuplot text `value` (takes ownership of value; NULL means out of memory). */
static void plot_figure_set_raw_impl(struct plot_figure *f, const char *var, char *value) {
    if (value == NULL) {
        plot_figure_fail_impl(f, SF_ENOMEM, "out of memory setting %s", var);
        return;
    }
    if (!plot_is_identifier_impl(var)) {
        plot_figure_fail_impl(f, SF_EINVAL, "'%s' is not a gnuplot variable name", var);
        free(value);
        return;
    }
    for (size_t i = 0; i < f->n_vars; i++) {
        if (strcmp(f->vars[i].name, var) == 0) {
            free(f->vars[i].value);
            f->vars[i].value = value;
            return;
        }
    }
    if (f->n_vars == f->cap_vars) {
        size_t           cap = f->cap_vars ? 2 * f->cap_vars : 16;
        struct plot_var *v   = realloc(f->vars, cap * sizeof *v);
        if (v == NULL) {
            plot_figure_fail_impl(f, SF_ENOMEM, "out of memory setting %s", var);
            free(value);
            return;
        }
        f->vars     = v;
        f->cap_vars = cap;
    }
    char *name = sf_strdup(var);
    if (name == NULL) {
        plot_figure_fail_impl(f, SF_ENOMEM, "out of memory setting %s", var);
        free(value);
        return;
    }
    f->vars[f->n_vars].name  = name;
    f->vars[f->n_vars].value = value;
    f->n_vars++;
}

void plot_figure_set_text(struct plot_figure *f, const char *var, const char *value) {
    struct sf_buf b;
    sf_buf_init(&b);
    plot_gp_quote(&b, value ? value : "");
    plot_figure_set_raw_impl(f, var, b.failed ? (sf_buf_free(&b), NULL) : sf_buf_take(&b));
}

void plot_figure_set_textf(struct plot_figure *f, const char *var, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (text == NULL) {
        plot_figure_fail_impl(f, SF_ENOMEM, "out of memory setting %s", var);
        return;
    }
    plot_figure_set_text(f, var, text);
    free(text);
}

void plot_figure_set_num(struct plot_figure *f, const char *var, double value) {
    char num[SF_FMT_DOUBLE_LEN];
    plot_fmt_number(num, sizeof num, value);
    plot_figure_set_raw_impl(f, var, sf_strdup(num));
}

void plot_figure_set_int(struct plot_figure *f, const char *var, long long value) {
    plot_figure_set_raw_impl(f, var, sf_strdup_printf("%lld", value));
}

void plot_figure_set_axis(struct plot_figure *f, const char *axis, double lo, double hi,
                          bool log_axis) {
    char var[32];
    if (!(lo < hi) || (log_axis && !(lo > 0))) {
        plot_figure_fail_impl(f, SF_EINVAL, "bad %s range [%g, %g]%s", axis, lo, hi,
                              log_axis ? " on a log axis" : "");
        return;
    }
    snprintf(var, sizeof var, "%smin", axis);
    plot_figure_set_num(f, var, lo);
    snprintf(var, sizeof var, "%smax", axis);
    plot_figure_set_num(f, var, hi);
    struct sf_buf tics, format;
    sf_buf_init(&tics);
    sf_buf_init(&format);
    plot_axis_tics(&tics, &format, lo, hi, log_axis);
    snprintf(var, sizeof var, "%stics", axis);
    if (tics.failed)
        plot_figure_fail_impl(f, SF_ENOMEM, "out of memory setting %s", var);
    else
        plot_figure_set_text(f, var, tics.data ? tics.data : "autofreq");
    snprintf(var, sizeof var, "%sformat", axis);
    plot_figure_set_text(f, var, format.data ? format.data : "%g");
    sf_buf_free(&tics);
    sf_buf_free(&format);
}

struct plot_table *plot_figure_table(struct plot_figure *f, const char *suffix,
                                     const char *columns) {
    if (!plot_is_stem(suffix)) {
        plot_figure_fail_impl(f, SF_EINVAL, "'%s' is not a plain table name", suffix);
        return NULL;
    }
    if (f->n_tables == f->cap_tables) {
        size_t              cap = f->cap_tables ? 2 * f->cap_tables : 8;
        struct plot_table **t   = realloc(f->tables, cap * sizeof *t);
        if (t == NULL) {
            plot_figure_fail_impl(f, SF_ENOMEM, "out of memory adding table %s", suffix);
            return NULL;
        }
        f->tables     = t;
        f->cap_tables = cap;
    }
    struct plot_table *t = calloc(1, sizeof *t);
    if (t == NULL || (t->suffix = sf_strdup(suffix)) == NULL) {
        free(t);
        plot_figure_fail_impl(f, SF_ENOMEM, "out of memory adding table %s", suffix);
        return NULL;
    }
    sf_buf_init(&t->text);
    /* Column count: whitespace-separated words. */
    for (const char *p = columns; *p;) {
        while (*p == ' ')
            p++;
        if (*p == '\0') break;
        t->n_cols++;
        while (*p && *p != ' ')
            p++;
    }
    sf_buf_printf(&t->text, "# %s_%s.dat: %s\n", f->name, suffix, columns);
    f->tables[f->n_tables++] = t;
    char var[96];
    snprintf(var, sizeof var, "dat_%s", suffix);
    char         *file = sf_strdup_printf("%s_%s.dat", f->name, suffix);
    struct sf_buf q;
    sf_buf_init(&q);
    if (file != NULL) plot_gp_quote(&q, file);
    free(file);
    plot_figure_set_raw_impl(
        f, var, q.failed || q.data == NULL ? (sf_buf_free(&q), NULL) : sf_buf_take(&q));
    return t;
}

void plot_table_row(struct plot_table *t, const double *values) {
    if (t == NULL) return;
    char num[SF_FMT_DOUBLE_LEN];
    for (size_t j = 0; j < t->n_cols; j++) {
        plot_fmt_number(num, sizeof num, values[j]);
        if (j) sf_buf_puts(&t->text, " ");
        sf_buf_puts(&t->text, num);
    }
    sf_buf_puts(&t->text, "\n");
    t->n_rows++;
}

void plot_table_next_set(struct plot_table *t, const char *label) {
    if (t == NULL) return;
    sf_buf_puts(&t->text, "\n\n# ");
    for (const char *p = label ? label : ""; *p; p++)
        sf_buf_append(&t->text, *p == '\n' ? " " : p, 1);
    sf_buf_puts(&t->text, "\n");
}

void plot_table_break(struct plot_table *t) {
    if (t != NULL) sf_buf_puts(&t->text, "\n");
}

size_t plot_table_rows(const struct plot_table *t) {
    return t ? t->n_rows : 0;
}

/* Builds the filled-in script from the variables and the two templates. */
static void plot_figure_script_impl(const struct plot_figure *f, const char *style,
                                    const char *body, struct sf_buf *b) {
    sf_buf_printf(b,
                  "# %s.gp: a scalefit figure, from the template %s.gp.\n"
                  "# `gnuplot %s.gp` in this folder redraws %s.png and %s.svg from the tables\n"
                  "# %s_*.dat; change the variables or the style below to restyle it.\n\n",
                  f->name, f->kind, f->name, f->name, f->name, f->name);
    sf_buf_puts(b, "# ---- variables ----\n");
    sf_buf_printf(b, "png_width = %d\npng_height = %d\n", PLOT_PNG_WIDTH, PLOT_PNG_HEIGHT);
    for (size_t i = 0; i < f->n_vars; i++) {
        const char *value = f->vars[i].value;
        /* An empty table is named by the empty string (see plot_figure_table). */
        for (size_t t = 0; t < f->n_tables; t++)
            if (f->tables[t]->n_rows == 0 && strncmp(f->vars[i].name, "dat_", 4) == 0 &&
                strcmp(f->vars[i].name + 4, f->tables[t]->suffix) == 0)
                value = "\"\"";
        sf_buf_printf(b, "%s = %s\n", f->vars[i].name, value);
    }
    sf_buf_printf(b,
                  "if (!exists(\"out_png\")) out_png = \"%s.png\"\n"
                  "if (!exists(\"out_svg\")) out_svg = \"%s.svg\"\n\n",
                  f->name, f->name);
    sf_buf_puts(b, "# ---- style (plots/style.gp) ----\n");
    sf_buf_puts(b, style);
    if (style[0] && style[strlen(style) - 1] != '\n') sf_buf_puts(b, "\n");
    sf_buf_printf(b, "\n# ---- figure (plots/%s.gp), drawn as PNG, then as SVG ----\n", f->kind);
    sf_buf_puts(b, "do for [sf_pass = 1:2] {\n");
    sf_buf_puts(b, "eval sf_terminal(sf_pass)\n");
    sf_buf_puts(b, body);
    if (body[0] && body[strlen(body) - 1] != '\n') sf_buf_puts(b, "\n");
    sf_buf_puts(b, "unset output\n}\n");
}

/* Reads plots/NAME.gp from the template folder. */
static enum sf_status plot_read_template_impl(const char *dir, const char *name, char **text,
                                              struct sf_error *err) {
    char *file = sf_strdup_printf("%s.gp", name);
    char *path = file ? sf_path_join(dir, file) : NULL;
    free(file);
    if (path == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory reading template %s", name);
    size_t         len;
    enum sf_status st = sf_read_file(path, text, &len, err);
    if (st != SF_OK) sf_error_prefix(err, "template %s.gp", name);
    free(path);
    return st;
}

enum sf_status plot_figure_draw(const struct plot_figure *f, const struct plot_context *ctx,
                                const char *dir, char **warnings, struct sf_error *err) {
    if (warnings) *warnings = NULL;
    if (f == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory assembling a figure");
    if (f->failed != SF_OK) SF_FAIL(err, f->failed, "figure %s: %s", f->name, f->failure);
    char          *tdir = NULL, *style = NULL, *body = NULL;
    enum sf_status st = plot_template_dir(ctx, &tdir, err);
    if (st == SF_OK) st = plot_read_template_impl(tdir, "style", &style, err);
    if (st == SF_OK) st = plot_read_template_impl(tdir, f->kind, &body, err);
    free(tdir);
    if (st == SF_OK) st = sf_mkdir_p(dir, err);
    for (size_t i = 0; st == SF_OK && i < f->n_tables; i++) {
        const struct plot_table *t = f->tables[i];
        if (t->text.failed) {
            st = SF_SET(err, SF_ENOMEM, "out of memory writing table %s", t->suffix);
            break;
        }
        char *file = sf_strdup_printf("%s_%s.dat", f->name, t->suffix);
        char *path = file ? sf_path_join(dir, file) : NULL;
        free(file);
        if (path == NULL) {
            st = SF_SET(err, SF_ENOMEM, "out of memory writing table %s", t->suffix);
            break;
        }
        if (t->n_rows > 0) {
            st = sf_write_atomic(path, t->text.data, t->text.len, err);
        } else if (sf_path_exists(path) && unlink(path) != 0) {
            st = SF_SET(err, SF_EIO, "cannot remove the stale table %s: %s", path, strerror(errno));
        }
        free(path);
    }
    if (st == SF_OK) {
        struct sf_buf script;
        sf_buf_init(&script);
        plot_figure_script_impl(f, style, body, &script);
        char *file = sf_strdup_printf("%s.gp", f->name);
        char *path = file ? sf_path_join(dir, file) : NULL;
        free(file);
        if (script.failed || path == NULL)
            st = SF_SET(err, SF_ENOMEM, "out of memory writing %s.gp", f->name);
        else
            st = sf_write_atomic(path, script.data, script.len, err);
        free(path);
        sf_buf_free(&script);
    }
    free(style);
    free(body);
    if (st != SF_OK || ctx->write_only) return st;
    return plot_script_draw(ctx, dir, f->name, true, warnings, err);
}
