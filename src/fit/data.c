/*
 * data.c — from a CSV table to fit data: row filters applied (--where, --min, --max,
 * --holdout-where; filter.c reads them), groups (--by), column lookup and strict conversion of
 * every value used, with each problem reported at its place (FILE:LINE:COL naming the column,
 * or the option) and never skipped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Hold-out filters whose matches are counted (the command accepts 16). */
#define FIT_MAX_HOLDOUT 64

void fit_groups_free(struct fit_groups *g) {
    if (g == NULL) return;
    for (size_t k = 0; k < g->n; k++) {
        free(g->names[k]);
        free(g->rows[k]);
    }
    free(g->names);
    free(g->n_rows);
    free(g->rows);
    memset(g, 0, sizeof *g);
}

/* Reports a column that is not in the table, with the closest name and the list. */
static enum sf_status fit_missing_column_impl(const struct sf_csv *csv, const char *name,
                                              const char *option, struct sf_error *err) {
    char where[1200];
    sf_where(where, sizeof where, csv->path, csv->header_line, 0);
    const char  **cands = calloc(csv->n_cols + 1, sizeof *cands);
    struct sf_buf list;
    sf_buf_init(&list);
    for (size_t j = 0; j < csv->n_cols; j++) {
        if (cands) cands[j] = csv->header[j];
        sf_buf_printf(&list, "%s%s", j ? ", " : "", csv->header[j]);
    }
    const char    *hint = cands ? sf_did_you_mean(name, cands) : NULL;
    enum sf_status st   = sf_error_set(err, SF_EINVAL, where, __FILE__, __LINE__,
                                       "no column '%s' (%s)%s%s%s; the columns are: %s", name, option,
                                     hint ? "; did you mean '" : "", hint ? hint : "",
                                     hint ? "'?" : "", list.data ? list.data : "");
    free(cands);
    sf_buf_free(&list);
    return st;
}

/* Why a value must be positive, for the message. */
enum fit_positive { FIT_POSITIVE_NO, FIT_POSITIVE_LOG, FIT_POSITIVE_WEIGHT };

/* A field as a finite number (and positive when asked); `option` names where the column came
 * from, for the message. */
static enum sf_status fit_field_number_impl(const struct sf_csv *csv, size_t row, size_t col,
                                            enum fit_positive positive, const char *option,
                                            double *out, struct sf_error *err) {
    const struct sf_csv_row *r = &csv->rows[row];
    const char              *s = r->fields[col];
    char                     where[1200];
    sf_where(where, sizeof where, csv->path, r->line, col + 1);
    double      v;
    const char *trimmed = s;
    while (*trimmed == ' ' || *trimmed == '\t')
        trimmed++;
    if (*trimmed == '\0')
        SF_FAIL_AT(err, SF_EINVAL, where, "column '%s' (%s) is empty", csv->header[col], option);
    if (!sf_parse_double(s, &v))
        SF_FAIL_AT(err, SF_EINVAL, where, "column '%s' (%s): '%s' is not a number",
                   csv->header[col], option, s);
    if (!isfinite(v))
        SF_FAIL_AT(err, SF_EINVAL, where, "column '%s' (%s): '%s' is not finite", csv->header[col],
                   option, s);
    if (positive == FIT_POSITIVE_LOG && !(v > 0))
        SF_FAIL_AT(err, SF_EINVAL, where,
                   "column '%s' (%s): %s is not positive, and its logarithm is taken",
                   csv->header[col], option, s);
    if (positive == FIT_POSITIVE_WEIGHT && !(v > 0))
        SF_FAIL_AT(err, SF_EINVAL, where, "column '%s' (%s): %s is not positive (weights must be)",
                   csv->header[col], option, s);
    *out = v;
    return SF_OK;
}

/* The operator as written, for messages. */
static const char *fit_filter_op_text_impl(enum fit_filter_op op) {
    switch (op) {
    case FIT_FILTER_OP_EQ_STR: return "=";
    case FIT_FILTER_OP_GE: return ">=";
    case FIT_FILTER_OP_GT: return ">";
    case FIT_FILTER_OP_LE: return "<=";
    case FIT_FILTER_OP_LT: return "<";
    }
    return "?";
}

static bool fit_filter_match_impl(const struct fit_filter *f, const char *field, double v) {
    switch (f->op) {
    case FIT_FILTER_OP_EQ_STR: return strcmp(field, f->text) == 0;
    case FIT_FILTER_OP_GE: return v >= f->value;
    case FIT_FILTER_OP_GT: return v > f->value;
    case FIT_FILTER_OP_LE: return v <= f->value;
    case FIT_FILTER_OP_LT: return v < f->value;
    }
    return false;
}

/* Evaluates one filter on a row: string filters compare text, the others need a number. */
enum sf_status fit_filter_row(const struct sf_csv *csv, const struct fit_filter *f, size_t row,
                              bool *match, struct sf_error *err) {
    long col = sf_csv_column(csv, f->column);
    if (col < 0) return fit_missing_column_impl(csv, f->column, f->option, err);
    const char *field = csv->rows[row].fields[col];
    double      v     = NAN;
    if (f->op != FIT_FILTER_OP_EQ_STR) {
        enum sf_status st =
            fit_field_number_impl(csv, row, (size_t)col, FIT_POSITIVE_NO, f->option, &v, err);
        if (st != SF_OK) return st;
    }
    *match = fit_filter_match_impl(f, field, v);
    return SF_OK;
}

enum sf_status fit_select_rows(const struct sf_csv *csv, const struct fit_selection *sel,
                               struct fit_groups *groups, struct sf_error *err) {
    memset(groups, 0, sizeof *groups);
    long gcol = -1;
    if (sel->group_column != NULL) {
        gcol = sf_csv_column(csv, sel->group_column);
        if (gcol < 0) return fit_missing_column_impl(csv, sel->group_column, "--by", err);
    }
    for (size_t k = 0; k < sel->n_where; k++)
        if (sf_csv_column(csv, sel->where[k].column) < 0)
            return fit_missing_column_impl(csv, sel->where[k].column, sel->where[k].option, err);
    size_t cap = 0;
    for (size_t i = 0; i < csv->n_rows; i++) {
        /* --where: AND across columns, OR among the values of one column. */
        bool keep = true;
        for (size_t k = 0; k < sel->n_where && keep; k++) {
            bool seen_before = false;
            for (size_t m = 0; m < k; m++)
                if (strcmp(sel->where[m].column, sel->where[k].column) == 0) seen_before = true;
            if (seen_before) continue;
            bool any = false;
            for (size_t m = k; m < sel->n_where; m++) {
                if (strcmp(sel->where[m].column, sel->where[k].column) != 0) continue;
                bool           match;
                enum sf_status st = fit_filter_row(csv, &sel->where[m], i, &match, err);
                if (st != SF_OK) goto fail;
                any = any || match;
            }
            keep = any;
        }
        for (size_t k = 0; k < sel->n_bounds && keep; k++) {
            bool           match;
            enum sf_status st = fit_filter_row(csv, &sel->bounds[k], i, &match, err);
            if (st != SF_OK) goto fail;
            keep = match;
        }
        if (!keep) continue;
        const char *gname = gcol >= 0 ? csv->rows[i].fields[gcol] : "all";
        size_t      g     = 0;
        while (g < groups->n && strcmp(groups->names[g], gname) != 0)
            g++;
        if (g == groups->n) {
            if (groups->n == cap) {
                size_t nc    = cap ? 2 * cap : 8;
                char **names = realloc(groups->names, nc * sizeof *names);
                if (names) groups->names = names;
                size_t *nr = realloc(groups->n_rows, nc * sizeof *nr);
                if (nr) groups->n_rows = nr;
                size_t **rows = realloc(groups->rows, nc * sizeof *rows);
                if (rows) groups->rows = rows;
                if (!names || !nr || !rows) goto nomem;
                cap = nc;
            }
            groups->names[g]  = sf_strdup(gname);
            groups->n_rows[g] = 0;
            groups->rows[g]   = malloc(csv->n_rows * sizeof(size_t));
            groups->n++;
            if (!groups->names[g] || !groups->rows[g]) goto nomem;
        }
        groups->rows[g][groups->n_rows[g]++] = i;
    }
    return SF_OK;
nomem:
    sf_error_set(err, SF_ENOMEM, NULL, __FILE__, __LINE__, "out of memory selecting rows");
fail:
    fit_groups_free(groups);
    return err->code;
}

/* A point of a learning curve, for finding repeated compute values within a run. */
struct fit_curve_key {
    size_t run;
    double c;
    size_t k;
};

static int fit_curve_key_cmp_impl(const void *a, const void *b) {
    const struct fit_curve_key *x = a, *y = b;
    if (x->run != y->run) return (x->run > y->run) - (x->run < y->run);
    if (x->c != y->c) return (x->c > y->c) - (x->c < y->c);
    return (x->k > y->k) - (x->k < y->k);
}

/* A learning curve has one loss per compute value: a repeat is an error at its line. */
static enum sf_status fit_check_curves_impl(const struct sf_csv *csv, const struct fit_data *d,
                                            long ccol, struct sf_error *err) {
    struct fit_curve_key *keys = malloc((d->n ? d->n : 1) * sizeof *keys);
    if (keys == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory checking learning curves");
    for (size_t k = 0; k < d->n; k++)
        keys[k] = (struct fit_curve_key){d->run[k], d->x1[k], k};
    qsort(keys, d->n, sizeof *keys, fit_curve_key_cmp_impl);
    for (size_t k = 1; k < d->n; k++) {
        if (keys[k].run != keys[k - 1].run || keys[k].c != keys[k - 1].c) continue;
        char   where[1200], cval[SF_FMT_DOUBLE_LEN];
        size_t a = keys[k - 1].k, b = keys[k].k;
        sf_where(where, sizeof where, csv->path, d->line[b], (size_t)ccol + 1);
        sf_fmt_double(cval, sizeof cval, d->x1[b]);
        enum sf_status st = SF_SET_AT(err, SF_EINVAL, where,
                                      "column '%s': run '%s' already has a point at compute %s "
                                      "(line %zu); a learning curve has one loss per compute value",
                                      csv->header[ccol], d->run_names[d->run[b]], cval, d->line[a]);
        free(keys);
        return st;
    }
    free(keys);
    return SF_OK;
}

/* Index of a required column named by an option, or an error. */
static enum sf_status fit_need_column_impl(const struct sf_csv *csv, const char *name,
                                           const char *option, const char *law, long *col,
                                           struct sf_error *err) {
    if (name == NULL)
        SF_FAIL_AT(err, SF_EINVAL, option, "the law %s needs this option (a column name)", law);
    *col = sf_csv_column(csv, name);
    if (*col < 0) return fit_missing_column_impl(csv, name, option, err);
    return SF_OK;
}

/* True when point a comes before point b in "largest x" order (two variables: N, then D);
 * ties by row order. */
static bool fit_larger_impl(const struct fit_data *d, size_t a, size_t b) {
    if (d->x1[a] != d->x1[b]) return d->x1[a] > d->x1[b];
    if (d->x2 && d->x2[a] != d->x2[b]) return d->x2[a] > d->x2[b];
    return a < b;
}

/* The columns a law reads: cx[0], cx[1] its variables (cx[1] -1 for one), y, weight (-1:
 * none), and for learning curves the run and the optional size (-1: none). */
struct fit_data_cols {
    long cx[2], cy, cw, crun, csize, cshape, caux;
};

/* Looks up every column the law needs, by the options that name them. */
static enum sf_status fit_data_columns_impl(const struct sf_csv       *csv,
                                            const struct fit_law_desc *law,
                                            const struct fit_columns *cols, const char *yname,
                                            struct fit_data_cols *c, struct sf_error *err) {
    const char    *lname = law->name;
    enum sf_status st;
    c->cx[0] = c->cx[1] = c->cy = c->cw = c->crun = c->csize = c->cshape = c->caux = -1;
    if (law->curves) {
        if ((st = fit_need_column_impl(csv, cols->run, "--run", lname, &c->crun, err)) != SF_OK)
            return st;
    }
    for (size_t k = 0; k < law->n_vars; k++)
        if ((st = fit_need_column_impl(csv, fit_law_var_column(law, cols, k), law->var_options[k],
                                       lname, &c->cx[k], err)) != SF_OK)
            return st;
    if (law->curves && cols->n != NULL &&
        (st = fit_need_column_impl(csv, cols->n, "--n", lname, &c->csize, err)) != SF_OK)
        return st;
    if (law->curves && cols->shape != NULL &&
        (st = fit_need_column_impl(csv, cols->shape, "--shape", lname, &c->cshape, err)) != SF_OK)
        return st;
    if (law->aux_option &&
        (st = fit_need_column_impl(csv, *(const char *const *)((const char *)cols + law->aux_field),
                                   law->aux_option, lname, &c->caux, err)) != SF_OK)
        return st;
    if ((st = fit_need_column_impl(csv, yname, "--y", lname, &c->cy, err)) != SF_OK) return st;
    if (cols->weight != NULL &&
        (st = fit_need_column_impl(csv, cols->weight, "--weight", lname, &c->cw, err)) != SF_OK)
        return st;
    return SF_OK;
}

/* Allocates the data's arrays for n points; false when out of memory (the caller frees). */
static bool fit_data_alloc_impl(const struct sf_csv *csv, const struct fit_law_desc *law,
                                const struct fit_data_cols *c, const char *yname, size_t n,
                                struct fit_data *d, size_t **run_first) {
    const size_t m = n ? n : 1;
    d->n           = n;
    d->x1          = malloc(m * sizeof *d->x1);
    d->x2          = c->cx[1] >= 0 ? malloc(m * sizeof *d->x2) : NULL;
    d->x3          = c->caux >= 0 ? malloc(m * sizeof *d->x3) : NULL;
    d->x3_name     = c->caux >= 0 ? sf_strdup(csv->header[c->caux]) : NULL;
    d->y           = malloc(m * sizeof *d->y);
    d->w           = malloc(m * sizeof *d->w);
    d->line        = malloc(m * sizeof *d->line);
    d->held_out    = calloc(m, sizeof *d->held_out);
    d->x1_name     = sf_strdup(csv->header[c->cx[0]]);
    d->x2_name     = c->cx[1] >= 0 ? sf_strdup(csv->header[c->cx[1]]) : NULL;
    d->y_name      = sf_strdup(yname);
    if (law->curves) {
        *run_first   = malloc(m * sizeof **run_first);
        d->run       = malloc(m * sizeof *d->run);
        d->size      = c->csize >= 0 ? malloc(m * sizeof *d->size) : NULL;
        d->run_names = malloc(m * sizeof *d->run_names);
    }
    return d->x1 && (c->cx[1] < 0 || d->x2) && (c->caux < 0 || (d->x3 && d->x3_name)) && d->y &&
           d->w && d->line && d->held_out && d->x1_name && (c->cx[1] < 0 || d->x2_name) &&
           d->y_name &&
           (!law->curves || (*run_first && d->run && (c->csize < 0 || d->size) && d->run_names));
}

/* The run of point k (row i of the table): its index, added on first sight, and its size,
 * which must be the same on every row of the run. */
static enum sf_status fit_data_run_impl(const struct sf_csv *csv, const struct fit_data_cols *c,
                                        size_t i, size_t k, struct fit_data *d, size_t *run_first,
                                        struct sf_error *err) {
    enum sf_status st;
    const char    *rname = csv->rows[i].fields[c->crun];
    size_t         r     = 0;
    while (r < d->n_runs && strcmp(d->run_names[r], rname) != 0)
        r++;
    if (r == d->n_runs) {
        d->run_names[r] = sf_strdup(rname);
        if (d->run_names[r] == NULL)
            return SF_SET(err, SF_ENOMEM, "out of memory reading the table");
        run_first[r] = k; /* the run's first row, against which its size is checked */
        d->n_runs++;
    }
    d->run[k] = r;
    if (c->csize < 0) return SF_OK;
    if ((st = fit_field_number_impl(csv, i, (size_t)c->csize, FIT_POSITIVE_LOG, "--n", &d->size[k],
                                    err)) != SF_OK)
        return st;
    size_t m = run_first[r];
    if (d->size[m] != d->size[k]) {
        char where[1200];
        sf_where(where, sizeof where, csv->path, d->line[k], (size_t)c->csize + 1);
        return SF_SET_AT(err, SF_EINVAL, where,
                         "column '%s': run '%s' has size %.17g here but %.17g on line %zu (a run "
                         "has one model size)",
                         csv->header[c->csize], rname, d->size[k], d->size[m], d->line[m]);
    }
    return SF_OK;
}

/* Point k from row i: the variables, loss and weight, checked, and the run for curves. */
static enum sf_status fit_data_row_impl(const struct sf_csv *csv, const struct fit_law_desc *law,
                                        const struct fit_columns   *cols,
                                        const struct fit_data_cols *c, size_t i, size_t k,
                                        struct fit_data *d, size_t *run_first,
                                        struct sf_error *err) {
    enum sf_status st;
    d->line[k] = csv->rows[i].line;
    if ((st = fit_field_number_impl(csv, i, (size_t)c->cx[0], FIT_POSITIVE_LOG, law->var_options[0],
                                    &d->x1[k], err)) != SF_OK)
        return st;
    if (c->cx[1] >= 0 && (st = fit_field_number_impl(csv, i, (size_t)c->cx[1], FIT_POSITIVE_LOG,
                                                     law->var_options[1], &d->x2[k], err)) != SF_OK)
        return st;
    if (c->caux >= 0 && (st = fit_field_number_impl(csv, i, (size_t)c->caux, FIT_POSITIVE_LOG,
                                                    law->aux_option, &d->x3[k], err)) != SF_OK)
        return st;
    if ((st = fit_field_number_impl(csv, i, (size_t)c->cy, FIT_POSITIVE_LOG, "--y", &d->y[k],
                                    err)) != SF_OK)
        return st;
    if (cols->y_in_bits) d->y[k] *= M_LN2;
    d->w[k] = 1;
    if (c->cw >= 0 && (st = fit_field_number_impl(csv, i, (size_t)c->cw, FIT_POSITIVE_WEIGHT,
                                                  "--weight", &d->w[k], err)) != SF_OK)
        return st;
    if (law->curves) return fit_data_run_impl(csv, c, i, k, d, run_first, err);
    return SF_OK;
}

/* --holdout-where on point k (row i): any match holds it out; matches are counted. */
static enum sf_status fit_data_holdout_row_impl(const struct sf_csv        *csv,
                                                const struct fit_selection *sel, size_t i, size_t k,
                                                struct fit_data *d, size_t *hold_hits,
                                                struct sf_error *err) {
    for (size_t h = 0; h < sel->n_holdout; h++) {
        bool           match;
        enum sf_status st = fit_filter_row(csv, &sel->holdout[h], i, &match, err);
        if (st != SF_OK) return st;
        if (match) {
            d->held_out[k] = true;
            if (h < FIT_MAX_HOLDOUT) hold_hits[h]++;
        }
    }
    return SF_OK;
}

/* --shape: each run's shape (one per run, checked on every row), then the seeds of each shape
 * averaged (seeds.c). rows[k] is point k's row of the table, run_first[r] run r's first point. */
static enum sf_status fit_data_shapes_impl(const struct sf_csv *csv, const struct fit_data_cols *c,
                                           const size_t *rows, const size_t *run_first,
                                           struct fit_data *d, struct sf_error *err) {
    char **shape = calloc(d->n_runs ? d->n_runs : 1, sizeof *shape);
    if (shape == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory reading the shapes");
    for (size_t r = 0; r < d->n_runs; r++)
        shape[r] = csv->rows[rows[run_first[r]]].fields[c->cshape];
    for (size_t k = 0; k < d->n; k++) {
        const char *s = csv->rows[rows[k]].fields[c->cshape];
        size_t      r = d->run[k];
        if (strcmp(s, shape[r]) == 0) continue;
        char where[1200];
        sf_where(where, sizeof where, csv->path, d->line[k], (size_t)c->cshape + 1);
        SF_SET_AT(err, SF_EINVAL, where,
                  "column '%s': run '%s' has shape '%s' here but '%s' on line %zu (a run has one "
                  "shape)",
                  csv->header[c->cshape], d->run_names[r], s, shape[r], d->line[run_first[r]]);
        free(shape);
        return SF_EINVAL;
    }
    enum sf_status st = fit_frontier_average_seeds(d, shape, err);
    free(shape);
    return st;
}

/* After the rows: every --holdout-where must have held out a row; learning curves are
 * checked, their seeds averaged (--shape); then --holdout K holds out the K largest remaining
 * points (for curves, the runs that own the frontier's largest compute). */
static enum sf_status fit_data_holdout_impl(const struct sf_csv        *csv,
                                            const struct fit_law_desc  *law,
                                            const struct fit_selection *sel,
                                            const size_t *hold_hits, const struct fit_data_cols *c,
                                            const size_t *rows, const size_t *run_first,
                                            struct fit_data *d, struct sf_error *err) {
    enum sf_status st;
    const size_t   n = d->n;
    /* A hold-out that matches nothing is a mistake the user must hear about. */
    for (size_t h = 0; h < sel->n_holdout && h < FIT_MAX_HOLDOUT; h++) {
        if (hold_hits[h] > 0) continue;
        return SF_SET_AT(err, SF_EINVAL, sel->holdout[h].option,
                         "'%s%s%s' holds out no row of the %zu selected", sel->holdout[h].column,
                         fit_filter_op_text_impl(sel->holdout[h].op), sel->holdout[h].text, n);
    }
    if (law->curves && (st = fit_check_curves_impl(csv, d, c->cx[0], err)) != SF_OK) return st;
    if (law->curves && c->cshape >= 0 &&
        (st = fit_data_shapes_impl(csv, c, rows, run_first, d, err)) != SF_OK)
        return st;
    if (law->curves && sel->holdout_k > 0)
        return fit_frontier_holdout(d, sel->holdout_k, "--holdout", err);
    for (size_t h = 0; h < sel->holdout_k; h++) {
        size_t best = n;
        for (size_t k = 0; k < n; k++)
            if (!d->held_out[k] && (best == n || fit_larger_impl(d, k, best))) best = k;
        if (best == n) break;
        d->held_out[best] = true;
    }
    return SF_OK;
}

enum sf_status fit_data_build(const struct sf_csv *csv, const size_t *rows, size_t n_rows,
                              enum fit_law_kind kind, const struct fit_columns *cols,
                              const struct fit_selection *sel, struct fit_data *d,
                              struct sf_error *err) {
    memset(d, 0, sizeof *d);
    const struct fit_law_desc *law   = fit_law_desc(kind);
    const char                *yname = cols->y ? cols->y : "loss";
    struct fit_data_cols       c;
    enum sf_status             st = fit_data_columns_impl(csv, law, cols, yname, &c, err);
    if (st != SF_OK) return st;
    size_t *run_first = NULL; /* curves: (n_runs) first row of each run */
    if (!fit_data_alloc_impl(csv, law, &c, yname, n_rows, d, &run_first)) {
        free(run_first);
        fit_data_free(d);
        SF_FAIL(err, SF_ENOMEM, "out of memory reading the table");
    }
    size_t hold_hits[FIT_MAX_HOLDOUT] = {0};
    for (size_t k = 0; k < n_rows; k++) {
        if ((st = fit_data_row_impl(csv, law, cols, &c, rows[k], k, d, run_first, err)) != SF_OK ||
            (st = fit_data_holdout_row_impl(csv, sel, rows[k], k, d, hold_hits, err)) != SF_OK)
            goto fail;
    }
    if ((st = fit_data_holdout_impl(csv, law, sel, hold_hits, &c, rows, run_first, d, err)) !=
        SF_OK)
        goto fail;
    /* Enough points for the law's internal parameters (the frontier: power+const on the
     * envelope). */
    size_t n_fit = fit_data_n_fit(d), need = law->n_theta + 1;
    if (n_fit < need) {
        if (law->curves)
            st = SF_SET_AT(err, SF_EINVAL, csv->path,
                           "%zu point%s of learning curves to fit (after filters): the frontier "
                           "needs at least %zu",
                           n_fit, n_fit == 1 ? "" : "s", need);
        else
            st = SF_SET_AT(err, SF_EINVAL, csv->path,
                           "%zu point%s to fit (after filters and hold-outs), but %s has %zu "
                           "parameters: at least %zu points are needed",
                           n_fit, n_fit == 1 ? "" : "s", law->name, law->n_report, need);
        goto fail;
    }
    free(run_first);
    return SF_OK;
fail:
    free(run_first);
    fit_data_free(d);
    return st;
}
