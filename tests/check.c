/*
 * check.c — the check helpers declared in check.h. Test programs are single-threaded where they
 * check, so the counters are plain file-scope statics of this test-only library.
 */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static size_t check_count;
static size_t check_failed;

static void check_report_impl(const char *file, int line, bool ok, const char *fmt, va_list ap,
                              const char *tail) {
    check_count++;
    if (!ok) check_failed++;
    printf("%s %s:%d ", ok ? "PASS" : "FAIL", file, line);
    vprintf(fmt, ap);
    if (tail != NULL) printf(" %s", tail);
    printf("\n");
    fflush(stdout);
}

bool check_impl(const char *file, int line, bool cond, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    check_report_impl(file, line, cond, fmt, ap, NULL);
    va_end(ap);
    return cond;
}

/* NaN equals NaN and inf equals inf of the same sign; otherwise they fail. */
static bool check_nonfinite_impl(double obs, double exp, bool *ok) {
    if (isfinite(obs) && isfinite(exp)) return false;
    if (isnan(obs) || isnan(exp))
        *ok = isnan(obs) && isnan(exp);
    else
        *ok = obs == exp;
    return true;
}

bool check_rel_impl(const char *file, int line, double obs, double exp, double rtol,
                    const char *fmt, ...) {
    bool ok;
    if (!check_nonfinite_impl(obs, exp, &ok))
        ok = exp == 0 ? obs == 0 : fabs(obs - exp) <= rtol * fabs(exp);
    char tail[160];
    snprintf(tail, sizeof tail, "(%.17g observed vs %.17g expected, rel %.3g, rtol %.3g)", obs, exp,
             exp != 0 ? fabs(obs - exp) / fabs(exp) : fabs(obs - exp), rtol);
    va_list ap;
    va_start(ap, fmt);
    check_report_impl(file, line, ok, fmt, ap, tail);
    va_end(ap);
    return ok;
}

bool check_abs_impl(const char *file, int line, double obs, double exp, double atol,
                    const char *fmt, ...) {
    bool ok;
    if (!check_nonfinite_impl(obs, exp, &ok)) ok = fabs(obs - exp) <= atol;
    char tail[160];
    snprintf(tail, sizeof tail, "(%.17g observed vs %.17g expected, abs %.3g, atol %.3g)", obs, exp,
             fabs(obs - exp), atol);
    va_list ap;
    va_start(ap, fmt);
    check_report_impl(file, line, ok, fmt, ap, tail);
    va_end(ap);
    return ok;
}

#define CHECK_TENSOR_BODY                                                                          \
    double max_diff = 0;                                                                           \
    size_t max_i = 0, first_bad = n, bad = 0;                                                      \
    for (size_t i = 0; i < n; i++) {                                                               \
        double x = (double)a[i], y = (double)b[i];                                                 \
        double d = fabs(x - y);                                                                    \
        bool   ok;                                                                                 \
        if (!check_nonfinite_impl(x, y, &ok)) ok = d <= atol + rtol * fabs(y);                     \
        if (!ok) {                                                                                 \
            bad++;                                                                                 \
            if (first_bad == n) first_bad = i;                                                     \
        }                                                                                          \
        if (isfinite(d) && d > max_diff) {                                                         \
            max_diff = d;                                                                          \
            max_i    = i;                                                                          \
        }                                                                                          \
    }                                                                                              \
    check_count++;                                                                                 \
    if (bad) check_failed++;                                                                       \
    printf("%s %s:%d %s (n %zu, max diff %.3g at %zu, rtol %.3g, atol %.3g",                       \
           bad ? "FAIL" : "PASS", file, line, label, n, max_diff, max_i, rtol, atol);              \
    if (bad)                                                                                       \
        printf("; %zu bad, first at %zu: %.9g observed vs %.9g expected", bad, first_bad,          \
               (double)a[first_bad], (double)b[first_bad]);                                        \
    printf(")\n");                                                                                 \
    fflush(stdout);                                                                                \
    return bad == 0;

bool check_tensor_impl(const char *file, int line, const float *a, const float *b, size_t n,
                       double rtol, double atol, const char *label) {
    CHECK_TENSOR_BODY
}

bool check_tensor_d_impl(const char *file, int line, const double *a, const double *b, size_t n,
                         double rtol, double atol, const char *label) {
    CHECK_TENSOR_BODY
}

int check_summary(void) {
    printf("%zu checks, %zu failed\n", check_count, check_failed);
    return check_failed == 0 && check_count > 0 ? 0 : 1;
}

size_t check_failures(void) {
    return check_failed;
}
