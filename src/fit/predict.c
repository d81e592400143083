/*
 * predict.c — a forecast point as written ("params=7e10,tokens=1.4e12": the value of each of
 * the law's variables by its column name) resolved against a law's variables.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum sf_status fit_point_parse(const char *text, enum fit_law_kind law,
                               const struct fit_columns *cols, const char *option,
                               struct fit_point_request *pr, struct sf_error *err) {
    pr->text = NULL;
    pr->x1 = pr->x2 = NAN;
    pr->x3          = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    const struct fit_law_desc *desc = fit_law_desc(law);
    const char                *n1   = fit_law_var_column(desc, cols, 0);
    const char                *n2   = desc->n_vars == 2 ? fit_law_var_column(desc, cols, 1) : NULL;
    /* A third column may be given (data-constrained's U); without it, unlimited. */
    const char *n3 =
        desc->aux_option ? *(const char *const *)((const char *)cols + desc->aux_field) : NULL;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL) SF_FAIL_AT(err, SF_EINVAL, option, "'%s' is not COL=V[,COL=V]", text);
        *eq = '\0';
        double v;
        if (!sf_parse_double(eq + 1, &v) || !isfinite(v) || !(v > 0))
            SF_FAIL_AT(err, SF_EINVAL, option, "'%s' in '%s' is not a positive number", eq + 1,
                       text);
        if (n1 && strcmp(tok, n1) == 0)
            pr->x1 = v;
        else if (n2 && strcmp(tok, n2) == 0)
            pr->x2 = v;
        else if (n3 && strcmp(tok, n3) == 0)
            pr->x3 = v;
        else
            SF_FAIL_AT(err, SF_EINVAL, option, "'%s' is not a variable of %s (%s%s%s)", tok,
                       fit_law_name(law), n1 ? n1 : "?", n2 ? ", " : "", n2 ? n2 : "");
    }
    if (!isfinite(pr->x1) || (n2 && !isfinite(pr->x2)))
        SF_FAIL_AT(err, SF_EINVAL, option, "'%s' must give %s%s%s", text, n1 ? n1 : "?",
                   n2 ? " and " : "", n2 ? n2 : "");
    if (!n2) pr->x2 = 0;
    pr->text = sf_strdup(text);
    if (pr->text == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}
