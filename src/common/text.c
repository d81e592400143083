/*
 * text.c — growable text buffers, shortest round-trip formatting of doubles, strict number
 * parsing, string duplication and the edit distance behind "did you mean" hints.
 */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sf_buf_init(struct sf_buf *b) {
    memset(b, 0, sizeof *b);
}

void sf_buf_free(struct sf_buf *b) {
    if (b == NULL) return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

static bool sf_buf_reserve(struct sf_buf *b, size_t extra) {
    if (b->failed) return false;
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (data == NULL) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->cap  = cap;
    return true;
}

void sf_buf_append(struct sf_buf *b, const char *data, size_t len) {
    if (!sf_buf_reserve(b, len)) return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void sf_buf_puts(struct sf_buf *b, const char *s) {
    sf_buf_append(b, s, strlen(s));
}

void sf_buf_vprintf(struct sf_buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !sf_buf_reserve(b, (size_t)n)) return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sf_buf_printf(struct sf_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sf_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void sf_buf_join(struct sf_buf *b, const char *const *names, const char *sep) {
    for (size_t i = 0; names[i] != NULL; i++) {
        if (i > 0) sf_buf_puts(b, sep);
        sf_buf_puts(b, names[i]);
    }
}

char *sf_buf_take(struct sf_buf *b) {
    if (b->failed) {
        sf_buf_free(b);
        return NULL;
    }
    if (b->data == NULL && !sf_buf_reserve(b, 0)) return NULL;
    if (b->len == 0) b->data[0] = '\0';
    char *d = b->data;
    memset(b, 0, sizeof *b);
    return d;
}

char *sf_fmt_double(char *buf, size_t n, double v) {
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return buf;
    }
    /* The shortest %.{p}g that reads back exactly; 17 digits always do. */
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return buf;
    }
    return buf;
}

bool sf_parse_double(const char *s, double *out) {
    if (s == NULL) return false;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0') return false;
    char *end;
    errno    = 0;
    double v = strtod(s, &end);
    if (end == s) return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0') return false;
    /* Overflow gives ±HUGE_VAL with ERANGE: keep it as inf so callers report it; underflow to a
     * subnormal or zero is a real number. */
    *out = v;
    return true;
}

bool sf_parse_int64(const char *s, int64_t *out) {
    if (s == NULL) return false;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0') return false;
    char *end;
    errno            = 0;
    long long   v    = strtoll(s, &end, 10);
    const char *rest = end;
    while (isspace((unsigned char)*rest))
        rest++;
    if (end != s && *rest == '\0' && errno == 0) {
        *out = (int64_t)v;
        return true;
    }
    /* Also accept a float spelling of an exact integer ("1e6", "2048.0"). */
    double d;
    if (!sf_parse_double(s, &d) || !isfinite(d) || d != floor(d) || fabs(d) > 9.007199254740992e15)
        return false;
    *out = (int64_t)d;
    return true;
}

char *sf_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char  *d = malloc(n);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

char *sf_strdup_vprintf(const char *fmt, va_list ap) {
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_vprintf(&b, fmt, ap);
    return sf_buf_take(&b);
}

char *sf_strdup_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

const char *sf_fmt_sig(char *buf, size_t n, double v) {
    if (!isfinite(v))
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%.4g", v == 0 ? 0.0 : v);
    return buf;
}

enum { SF_EDIT_MAX = 64 };

size_t sf_edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > SF_EDIT_MAX) na = SF_EDIT_MAX;
    if (nb > SF_EDIT_MAX) nb = SF_EDIT_MAX;
    size_t prev[SF_EDIT_MAX + 1], cur[SF_EDIT_MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t m = sub < del ? sub : del;
            cur[j]   = m < ins ? m : ins;
        }
        memcpy(prev, cur, (nb + 1) * sizeof prev[0]);
    }
    return prev[nb];
}

const char *sf_did_you_mean(const char *word, const char *const *candidates) {
    const char *best   = NULL;
    size_t      best_d = (size_t)-1;
    for (size_t i = 0; candidates[i] != NULL; i++) {
        size_t d = sf_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best   = candidates[i];
        }
    }
    size_t len   = strlen(word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    return (best != NULL && best_d <= limit) ? best : NULL;
}
