/*
 * filter.c — row filters: reading one from its text (--where COL=VALUE, --min and --max COL=V,
 * --holdout-where 'COL>=V') or building one from a column and a number (a sweep's exclusions),
 * and growable lists of them. Applying filters to rows is in data.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

void fit_filter_free(struct fit_filter *f) {
    if (f == NULL) return;
    free(f->column);
    free(f->text);
    free(f->option);
    memset(f, 0, sizeof *f);
}

/* Fills the owned strings of `f` (column: the first `column_len` bytes of `column`). */
static bool fit_filter_fill_impl(struct fit_filter *f, const char *column, size_t column_len,
                                 const char *text, const char *option, struct sf_error *err) {
    f->column = malloc(column_len + 1);
    f->text   = sf_strdup(text);
    f->option = sf_strdup(option);
    if (f->column == NULL || f->text == NULL || f->option == NULL) {
        fit_filter_free(f);
        sf_error_set(err, SF_ENOMEM, option, __FILE__, __LINE__, "out of memory");
        return false;
    }
    memcpy(f->column, column, column_len);
    f->column[column_len] = '\0';
    return true;
}

/* What a text of each form must look like, for messages. */
static const char *fit_filter_form_text_impl(enum fit_filter_form form) {
    switch (form) {
    case FIT_FILTER_FORM_EQUALS: return "COL=VALUE (use --min/--max for ranges)";
    case FIT_FILTER_FORM_AT_LEAST:
    case FIT_FILTER_FORM_AT_MOST: return "COL=VALUE";
    case FIT_FILTER_FORM_COMPARE: return "COL>=V, COL>V, COL<=V or COL<V (a numeric comparison)";
    case FIT_FILTER_FORM_ANY: return "COL=VALUE or a comparison COL>=V, COL>V, COL<=V or COL<V";
    }
    return "COL=VALUE";
}

bool fit_filter_parse(const char *text, enum fit_filter_form asked, const char *option,
                      struct fit_filter *f, struct sf_error *err) {
    memset(f, 0, sizeof *f);
    enum fit_filter_form form = asked;
    if (asked == FIT_FILTER_FORM_ANY)
        form = strpbrk(text, "<>") ? FIT_FILTER_FORM_COMPARE : FIT_FILTER_FORM_EQUALS;
    /* The first operator after the column name: <=, >=, <, >, =. */
    const char *p = text + (text[0] != '\0');
    while (*p && *p != '<' && *p != '>' && *p != '=')
        p++;
    size_t oplen = (p[0] == '<' || p[0] == '>') && p[1] == '=' ? 2 : 1;
    bool   equal = p[0] == '=';
    bool   fits  = *p != '\0' && p != text && (form == FIT_FILTER_FORM_COMPARE ? !equal : equal) &&
                (form != FIT_FILTER_FORM_EQUALS || strpbrk(text, "<>") == NULL);
    if (!fits) {
        sf_error_set(err, SF_EINVAL, option, __FILE__, __LINE__, "'%s' is not %s", text,
                     fit_filter_form_text_impl(asked));
        return false;
    }
    switch (form) {
    case FIT_FILTER_FORM_ANY: /* resolved to one of the others above */
    case FIT_FILTER_FORM_EQUALS: f->op = FIT_FILTER_OP_EQ_STR; break;
    case FIT_FILTER_FORM_AT_LEAST: f->op = FIT_FILTER_OP_GE; break;
    case FIT_FILTER_FORM_AT_MOST: f->op = FIT_FILTER_OP_LE; break;
    case FIT_FILTER_FORM_COMPARE:
        if (p[0] == '<')
            f->op = oplen == 2 ? FIT_FILTER_OP_LE : FIT_FILTER_OP_LT;
        else
            f->op = oplen == 2 ? FIT_FILTER_OP_GE : FIT_FILTER_OP_GT;
        break;
    }
    if (!fit_filter_fill_impl(f, text, (size_t)(p - text), p + oplen, option, err)) return false;
    f->value = NAN;
    if (f->op != FIT_FILTER_OP_EQ_STR &&
        (!sf_parse_double(f->text, &f->value) || !isfinite(f->value))) {
        sf_error_set(err, SF_EINVAL, option, __FILE__, __LINE__,
                     "'%s' in '%s' is not a finite number", f->text, text);
        fit_filter_free(f);
        return false;
    }
    return true;
}

/* A filter built in code: COL equal to the string `value`. */
static bool fit_filter_equals_impl(const char *column, const char *value, const char *option,
                                   struct fit_filter *f, struct sf_error *err) {
    memset(f, 0, sizeof *f);
    f->op    = FIT_FILTER_OP_EQ_STR;
    f->value = NAN;
    return fit_filter_fill_impl(f, column, strlen(column), value, option, err);
}

/* A filter built in code: COL OP `value` (numeric; the text is for messages only). */
static bool fit_filter_compare_impl(const char *column, enum fit_filter_op op, double value,
                                    const char *option, struct fit_filter *f,
                                    struct sf_error *err) {
    memset(f, 0, sizeof *f);
    char text[32];
    snprintf(text, sizeof text, "%.17g", value); /* for messages only */
    f->op    = op;
    f->value = value;
    return fit_filter_fill_impl(f, column, strlen(column), text, option, err);
}

/* The next free slot of `fs`, growing it; NULL with `err` set when out of memory. */
static struct fit_filter *fit_filters_slot_impl(struct fit_filters *fs, const char *option,
                                                struct sf_error *err) {
    if (fs->n == fs->cap) {
        size_t             cap = fs->cap ? 2 * fs->cap : 16;
        struct fit_filter *v   = realloc(fs->v, cap * sizeof *v);
        if (v == NULL) {
            sf_error_set(err, SF_ENOMEM, option, __FILE__, __LINE__, "out of memory");
            return NULL;
        }
        fs->v   = v;
        fs->cap = cap;
    }
    return &fs->v[fs->n];
}

bool fit_filters_parse(struct fit_filters *fs, const char *text, enum fit_filter_form form,
                       const char *option, struct sf_error *err) {
    struct fit_filter *f = fit_filters_slot_impl(fs, option, err);
    if (f == NULL || !fit_filter_parse(text, form, option, f, err)) return false;
    fs->n++;
    return true;
}

bool fit_filters_equals(struct fit_filters *fs, const char *column, const char *value,
                        const char *option, struct sf_error *err) {
    struct fit_filter *f = fit_filters_slot_impl(fs, option, err);
    if (f == NULL || !fit_filter_equals_impl(column, value, option, f, err)) return false;
    fs->n++;
    return true;
}

bool fit_filters_compare(struct fit_filters *fs, const char *column, enum fit_filter_op op,
                         double value, const char *option, struct sf_error *err) {
    struct fit_filter *f = fit_filters_slot_impl(fs, option, err);
    if (f == NULL || !fit_filter_compare_impl(column, op, value, option, f, err)) return false;
    fs->n++;
    return true;
}

void fit_filters_free(struct fit_filters *fs) {
    if (fs == NULL) return;
    for (size_t i = 0; i < fs->n; i++)
        fit_filter_free(&fs->v[i]);
    free(fs->v);
    memset(fs, 0, sizeof *fs);
}
