/*
 * yaml_read.c — typed readers of YAML values (integers, numbers in a range, booleans, one of a
 * list of names, bounded strings) shared by run.yaml and sweep files, so that each mistake is
 * worded one way wherever it is made. Each problem goes to a diagnostics list at the node's
 * FILE:LINE:COL; which keys exist and what they mean is the callers' business.
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *sf_yaml_kind(const yaml_node_t *node) {
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a scalar";
    }
}

void sf_yaml_error(const struct sf_yaml_reader *r, const yaml_node_t *node, const char *fmt, ...) {
    char where[SF_WHERE_LEN];
    sf_yaml_where(where, sizeof where, r->path, node);
    va_list ap;
    va_start(ap, fmt);
    char *msg = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    sf_diag_add(r->diags, true, where, "%s", msg ? msg : "out of memory");
    free(msg);
}

bool sf_range_has(struct sf_range range, double x) {
    if (!isfinite(x)) return false;
    bool lo_ok = range.lo_open ? x > range.lo : x >= range.lo;
    bool hi_ok = range.hi_open ? x < range.hi : x <= range.hi;
    return lo_ok && hi_ok;
}

void sf_range_text(char *buf, size_t n, struct sf_range range) {
    bool has_lo = isfinite(range.lo), has_hi = isfinite(range.hi);
    if (has_lo && !has_hi)
        snprintf(buf, n, "%s %g", range.lo_open ? "greater than" : "at least", range.lo);
    else if (!has_lo && has_hi)
        snprintf(buf, n, "%s %g", range.hi_open ? "below" : "at most", range.hi);
    else if (!has_lo)
        snprintf(buf, n, "a number");
    else if (range.lo_open == range.hi_open)
        snprintf(buf, n, "%sbetween %g and %g", range.lo_open ? "strictly " : "", range.lo,
                 range.hi);
    else
        snprintf(buf, n, "%s %g and %s %g", range.lo_open ? "greater than" : "at least", range.lo,
                 range.hi_open ? "below" : "at most", range.hi);
}

void sf_int_range_text(char *buf, size_t n, int64_t lo, int64_t hi) {
    if (hi == INT64_MAX)
        snprintf(buf, n, "at least %lld", (long long)lo);
    else
        snprintf(buf, n, "between %lld and %lld", (long long)lo, (long long)hi);
}

/* The scalar text of v, or NULL after reporting "'NAME' must be WHAT, not KIND". */
static const char *sf_yaml_scalar_or_report_impl(const struct sf_yaml_reader *r, const char *name,
                                                 const yaml_node_t *v, const char *what) {
    const char *s = sf_yaml_scalar(v);
    if (s == NULL) sf_yaml_error(r, v, "'%s' must be %s, not %s", name, what, sf_yaml_kind(v));
    return s;
}

bool sf_yaml_read_int(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                      int64_t lo, int64_t hi, int64_t *out) {
    const char *s = sf_yaml_scalar_or_report_impl(r, name, v, "an integer");
    if (s == NULL) return false;
    int64_t x;
    if (!sf_parse_int64(s, &x)) {
        sf_yaml_error(r, v, "'%s' must be an integer, not '%s'", name, s);
        return false;
    }
    if (x < lo || x > hi) {
        char range[128];
        sf_int_range_text(range, sizeof range, lo, hi);
        sf_yaml_error(r, v, "'%s' must be %s, not %s", name, range, s);
        return false;
    }
    *out = x;
    return true;
}

bool sf_yaml_read_double(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                         struct sf_range range, double *out) {
    const char *s = sf_yaml_scalar_or_report_impl(r, name, v, "a number");
    if (s == NULL) return false;
    double x;
    if (!sf_parse_double(s, &x)) {
        sf_yaml_error(r, v, "'%s' must be a number, not '%s'", name, s);
        return false;
    }
    if (!isfinite(x)) {
        sf_yaml_error(r, v, "'%s' must be a finite number, not '%s'", name, s);
        return false;
    }
    if (!sf_range_has(range, x)) {
        char text[128];
        sf_range_text(text, sizeof text, range);
        sf_yaml_error(r, v, "'%s' must be %s, not %s", name, text, s);
        return false;
    }
    *out = x;
    return true;
}

bool sf_yaml_read_bool(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                       bool *out) {
    static const char *const names[] = {"false", "False", "FALSE", "true", "True", "TRUE", NULL};
    const char              *s       = sf_yaml_scalar_or_report_impl(r, name, v, "true or false");
    if (s == NULL) return false;
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i >= 3;
            return true;
        }
    sf_yaml_error(r, v, "'%s' must be true or false, not '%s'", name, s);
    return false;
}

bool sf_yaml_read_enum(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                       const char *const *names, int *out) {
    const char *s = sf_yaml_scalar(v);
    if (s != NULL)
        for (int i = 0; names[i] != NULL; i++)
            if (strcmp(s, names[i]) == 0) {
                *out = i;
                return true;
            }
    struct sf_buf list;
    sf_buf_init(&list);
    sf_buf_puts(&list, "one of ");
    sf_buf_join(&list, names, ", ");
    const char *what = list.data && !list.failed ? list.data : "one of the listed names";
    const char *hint = s != NULL ? sf_did_you_mean(s, names) : NULL;
    if (s == NULL)
        sf_yaml_error(r, v, "'%s' must be %s, not %s", name, what, sf_yaml_kind(v));
    else if (hint != NULL)
        sf_yaml_error(r, v, "'%s' must be %s, not '%s' (did you mean '%s'?)", name, what, s, hint);
    else
        sf_yaml_error(r, v, "'%s' must be %s, not '%s'", name, what, s);
    sf_buf_free(&list);
    return false;
}

bool sf_yaml_read_string(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                         char *out, size_t n) {
    const char *s = sf_yaml_scalar_or_report_impl(r, name, v, "a string");
    if (s == NULL) return false;
    if (sf_yaml_is_null(v)) {
        sf_yaml_error(r, v, "'%s' must be a string, not null", name);
        return false;
    }
    if (strlen(s) >= n) {
        sf_yaml_error(r, v, "'%s' is longer than %zu characters", name, n - 1);
        return false;
    }
    snprintf(out, n, "%s", s);
    return true;
}
