/*
 * test_filter.c — row filters (src/fit/filter.c): each form of text read into its operator,
 * column and value, each malformed text refused with the option's message, and filters built
 * in code keeping the exact number (no trip through text).
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "fit.h"

/* Parses `text` in `form` and checks the result (op, column, value text, number). */
static void check_parse(const char *text, enum fit_filter_form form, enum fit_filter_op op,
                        const char *column, const char *value, double num) {
    struct fit_filter f;
    struct sf_error   err;
    bool              ok = fit_filter_parse(text, form, "--opt", &f, &err);
    check(ok, "'%s' parses", text);
    if (!ok) return;
    check(f.op == op, "'%s': op %d (want %d)", text, (int)f.op, (int)op);
    check(strcmp(f.column, column) == 0, "'%s': column '%s'", text, f.column);
    check(strcmp(f.text, value) == 0, "'%s': value '%s'", text, f.text);
    check(isnan(num) ? isnan(f.value) : f.value == num, "'%s': number %g", text, f.value);
    check(strcmp(f.option, "--opt") == 0, "'%s': option recorded", text);
    fit_filter_free(&f);
}

/* Parses `text` in `form` and checks that it is refused with exactly `message`. */
static void check_refused(const char *text, enum fit_filter_form form, const char *message) {
    struct fit_filter f;
    struct sf_error   err;
    bool              ok = fit_filter_parse(text, form, "--opt", &f, &err);
    check(!ok, "'%s' is refused", text);
    if (ok) {
        fit_filter_free(&f);
        return;
    }
    check(err.code == SF_EINVAL && strcmp(err.message, message) == 0, "'%s': message '%s'", text,
          err.message);
}

int main(void) {
    check_parse("dataset=c4", FIT_FILTER_FORM_EQUALS, FIT_FILTER_OP_EQ_STR, "dataset", "c4", NAN);
    check_parse("run=a=b", FIT_FILTER_FORM_EQUALS, FIT_FILTER_OP_EQ_STR, "run", "a=b", NAN);
    check_parse("params=1e9", FIT_FILTER_FORM_AT_LEAST, FIT_FILTER_OP_GE, "params", "1e9", 1e9);
    check_parse("params=2", FIT_FILTER_FORM_AT_MOST, FIT_FILTER_OP_LE, "params", "2", 2);
    check_parse("N>=1e9", FIT_FILTER_FORM_COMPARE, FIT_FILTER_OP_GE, "N", "1e9", 1e9);
    check_parse("N>3", FIT_FILTER_FORM_COMPARE, FIT_FILTER_OP_GT, "N", "3", 3);
    check_parse("N<=3", FIT_FILTER_FORM_COMPARE, FIT_FILTER_OP_LE, "N", "3", 3);
    check_parse("N<-3", FIT_FILTER_FORM_COMPARE, FIT_FILTER_OP_LT, "N", "-3", -3);
    /* A sweep's `where`: the operator says which form. */
    check_parse("seed=1", FIT_FILTER_FORM_ANY, FIT_FILTER_OP_EQ_STR, "seed", "1", NAN);
    check_parse("tokens>=1e6", FIT_FILTER_FORM_ANY, FIT_FILTER_OP_GE, "tokens", "1e6", 1e6);
    check_parse("N<3", FIT_FILTER_FORM_ANY, FIT_FILTER_OP_LT, "N", "3", 3);

    check_refused("params", FIT_FILTER_FORM_EQUALS,
                  "'params' is not COL=VALUE (use --min/--max for ranges)");
    check_refused("a=b<c", FIT_FILTER_FORM_EQUALS,
                  "'a=b<c' is not COL=VALUE (use --min/--max for ranges)");
    check_refused("=x", FIT_FILTER_FORM_EQUALS,
                  "'=x' is not COL=VALUE (use --min/--max for ranges)");
    check_refused("params>=3", FIT_FILTER_FORM_AT_LEAST, "'params>=3' is not COL=VALUE");
    check_refused("seed", FIT_FILTER_FORM_ANY,
                  "'seed' is not COL=VALUE or a comparison COL>=V, COL>V, COL<=V or COL<V");
    check_refused("tokens>=x", FIT_FILTER_FORM_ANY, "'x' in 'tokens>=x' is not a finite number");
    check_refused("params=small", FIT_FILTER_FORM_AT_MOST,
                  "'small' in 'params=small' is not a finite number");
    check_refused("params=inf", FIT_FILTER_FORM_AT_LEAST,
                  "'inf' in 'params=inf' is not a finite number");
    check_refused("params=1e10", FIT_FILTER_FORM_COMPARE,
                  "'params=1e10' is not COL>=V, COL>V, COL<=V or COL<V (a numeric comparison)");
    check_refused("params", FIT_FILTER_FORM_COMPARE,
                  "'params' is not COL>=V, COL>V, COL<=V or COL<V (a numeric comparison)");

    /* Built in code: the number as given, its text for messages, several in one list. */
    struct fit_filters fs = {0};
    struct sf_error    err;
    const double       v = 0.1 + 0.2;
    bool ok = fit_filters_compare(&fs, "params_nonembed", FIT_FILTER_OP_GE, v, "min_params", &err);
    ok      = ok && fit_filters_equals(&fs, "status", "done", "fit", &err);
    for (int i = 0; ok && i < 40; i++)
        ok = fit_filters_parse(&fs, "tokens=5", FIT_FILTER_FORM_AT_MOST, "--max", &err);
    check(ok && fs.n == 42, "42 filters in one list (%zu)", fs.n);
    if (ok) {
        check(fs.v[0].value == v && fs.v[0].op == FIT_FILTER_OP_GE, "the exact number kept");
        check(strcmp(fs.v[0].text, "0.30000000000000004") == 0, "its text '%s'", fs.v[0].text);
        check(strcmp(fs.v[0].option, "min_params") == 0, "its option");
        check(fs.v[1].op == FIT_FILTER_OP_EQ_STR && strcmp(fs.v[1].text, "done") == 0 &&
                  strcmp(fs.v[1].column, "status") == 0,
              "status=done");
        check(fs.v[41].op == FIT_FILTER_OP_LE && fs.v[41].value == 5, "the last parsed bound");
    }
    fit_filters_free(&fs);
    check(fs.v == NULL && fs.n == 0, "freed list is empty");
    fit_filters_free(&fs);
    return check_summary();
}
