/*
 * error.c — the error record (sf_error) and diagnostics lists (sf_diags), and the mapping from
 * status codes to names and exit statuses. Every error in scalefit funnels through
 * sf_error_set(). Printing follows DESIGN.md's one message format.
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>

enum sf_status sf_error_set(struct sf_error *err, enum sf_status code, const char *where,
                            const char *src_file, int src_line, const char *fmt, ...) {
    if (err == NULL) return code;
    err->code      = code;
    err->src_file  = src_file;
    err->src_line  = src_line;
    err->sys_errno = 0;
    snprintf(err->where, sizeof err->where, "%s", where ? where : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

_Noreturn void sf_assert_fail(const char *file, int line, const char *expr) {
    fprintf(stderr, "%s:%d: SF_ASSERT(%s) failed\n", file, line, expr);
    fflush(stderr);
    abort();
}

void sf_error_clear(struct sf_error *err) {
    if (err == NULL) return;
    memset(err, 0, sizeof *err);
}

void sf_error_prefix(struct sf_error *err, const char *fmt, ...) {
    if (err == NULL) return;
    char    prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Shift the message right and put "PREFIX: " in front, truncating at the end if needed. */
    size_t cap = sizeof err->message, lp = strlen(prefix), lm = strlen(err->message);
    if (lp + 2 >= cap) lp = cap - 3;
    if (lp + 2 + lm >= cap) lm = cap - 1 - lp - 2;
    memmove(err->message + lp + 2, err->message, lm);
    memcpy(err->message, prefix, lp);
    err->message[lp]          = ':';
    err->message[lp + 1]      = ' ';
    err->message[lp + 2 + lm] = '\0';
}

void sf_error_print(const struct sf_error *err, FILE *out) {
    if (err->where[0] != '\0')
        fprintf(out, "scalefit: %s: error: %s\n", err->where, err->message);
    else
        fprintf(out, "scalefit: error: %s\n", err->message);
}

int sf_status_exit_code(enum sf_status s) {
    switch (s) {
    case SF_OK:
    case SF_CONTINUE: return 0;
    case SF_EINVAL: return 2;
    case SF_EDIVERGED: return 3;
    case SF_EINTERRUPTED: return 4;
    case SF_ENOMEM:
    case SF_EIO:
    case SF_ERUNTIME:
    case SF_ENOCONV: return 1;
    }
    return 1;
}

void sf_where(char *buf, size_t n, const char *path, size_t line, size_t col) {
    if (col > 0)
        snprintf(buf, n, "%s:%zu:%zu", path, line, col);
    else
        snprintf(buf, n, "%s:%zu", path, line);
}

// ---- diagnostics ----

void sf_diag_init(struct sf_diags *d) {
    memset(d, 0, sizeof *d);
}

void sf_diag_free(struct sf_diags *d) {
    if (d == NULL) return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].where);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

void sf_diag_add(struct sf_diags *d, bool is_error, const char *where, const char *fmt, ...) {
    if (is_error) d->n_errors++;
    if (d->n == d->cap) {
        size_t               cap   = d->cap ? 2 * d->cap : 8;
        struct sf_diag_item *items = realloc(d->items, cap * sizeof *items);
        if (items == NULL) {
            d->n_lost++;
            return;
        }
        d->items = items;
        d->cap   = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *w = sf_strdup(where ? where : "");
    if (msg == NULL || w == NULL) {
        free(msg);
        free(w);
        d->n_lost++;
        return;
    }
    struct sf_diag_item *it = &d->items[d->n++];
    it->is_error            = is_error;
    it->where               = w;
    it->message             = msg;
}

void sf_diag_print(const struct sf_diags *d, FILE *out) {
    if (d->n_lost > 0)
        fprintf(out, "scalefit: error: out of memory: %zu message%s could not be kept\n", d->n_lost,
                d->n_lost == 1 ? "" : "s");
    for (size_t i = 0; i < d->n; i++) {
        const struct sf_diag_item *it   = &d->items[i];
        const char                *kind = it->is_error ? "error" : "warning";
        if (it->where[0] != '\0')
            fprintf(out, "scalefit: %s: %s: %s\n", it->where, kind, it->message);
        else
            fprintf(out, "scalefit: %s: %s\n", kind, it->message);
    }
}
