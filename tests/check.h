/*
 * check.h — the one helper header of scalefit's C tests. Each check prints
 * "PASS|FAIL file:line label (observed vs expected)" and counts failures; a test's main ends
 * with `return check_summary();`, so its exit status is the verdict. NaN and infinities are
 * compared as gsl_test_rel does: equal only to themselves.
 */
#ifndef SF_TESTS_CHECK_H
#define SF_TESTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>

bool check_impl(const char *file, int line, bool cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool check_rel_impl(const char *file, int line, double obs, double exp, double rtol,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool check_abs_impl(const char *file, int line, double obs, double exp, double atol,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool check_tensor_impl(const char *file, int line, const float *a, const float *b, size_t n,
                       double rtol, double atol, const char *label);
bool check_tensor_d_impl(const char *file, int line, const double *a, const double *b, size_t n,
                         double rtol, double atol, const char *label);

/* check(cond, fmt, ...): passes when cond holds. */
#define check(cond, ...) check_impl(__FILE__, __LINE__, (cond), __VA_ARGS__)
/* |obs - exp| <= rtol * |exp| (exact equality when exp is 0). */
#define check_rel(obs, exp, rtol, ...)                                                             \
    check_rel_impl(__FILE__, __LINE__, (obs), (exp), (rtol), __VA_ARGS__)
/* |obs - exp| <= atol. */
#define check_abs(obs, exp, atol, ...)                                                             \
    check_abs_impl(__FILE__, __LINE__, (obs), (exp), (atol), __VA_ARGS__)
/* Element-wise |a - b| <= atol + rtol * |b|; reports the largest difference and the first failing
 * index. */
#define check_tensor(a, b, n, rtol, atol, label)                                                   \
    check_tensor_impl(__FILE__, __LINE__, (a), (b), (n), (rtol), (atol), (label))
#define check_tensor_d(a, b, n, rtol, atol, label)                                                 \
    check_tensor_d_impl(__FILE__, __LINE__, (a), (b), (n), (rtol), (atol), (label))

/* Prints "N checks, N failed" and returns the exit status (0 when all passed, 1 otherwise). */
int check_summary(void);
/* Number of failed checks so far. */
size_t check_failures(void);

#endif /* SF_TESTS_CHECK_H */
