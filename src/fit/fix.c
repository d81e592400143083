/*
 * fix.c — parameters held at given values (`scalefit fit --fix NAME=VALUE`, for every law):
 * reading NAME=VALUE against the law's reported parameters, turning the fixes into the theta
 * entries the polish holds (a positive parameter by its log, a scale x_c = exp(theta/alpha)
 * through its exponent, which must then be fixed too), and putting them into a start. The
 * search runs as without fixes; every start it gives is polished with the fixed entries held.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum sf_status fit_fix_parse(const char *text, enum fit_law_kind kind, const char *option,
                             struct fit_fix *fix, struct sf_error *err) {
    const struct fit_law_desc *law = fit_law_desc(kind);
    const char                *eq  = strchr(text, '=');
    char                       name[64], list[256];
    size_t                     l = 0;
    list[0]                      = '\0';
    for (size_t j = 0; j < law->n_report && l < sizeof list; j++)
        l +=
            (size_t)snprintf(list + l, sizeof list - l, "%s%s", j ? ", " : "", law->params[j].name);
    if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof name)
        SF_FAIL_AT(err, SF_EINVAL, option, "'%s' is not NAME=VALUE (%s's parameters: %s)", text,
                   law->name, list);
    memcpy(name, text, (size_t)(eq - text));
    name[eq - text] = '\0';
    size_t j        = 0;
    while (j < law->n_report && strcmp(law->params[j].name, name) != 0)
        j++;
    if (j == law->n_report) {
        const char *names[FIT_MAX_PARAMS + 1];
        for (size_t k = 0; k < law->n_report; k++)
            names[k] = law->params[k].name;
        names[law->n_report] = NULL;
        const char *hint     = sf_did_you_mean(name, names);
        SF_FAIL_AT(err, SF_EINVAL, option, "%s has no parameter '%s'%s%s%s (its parameters: %s)",
                   law->name, name, hint ? "; did you mean '" : "", hint ? hint : "",
                   hint ? "'?" : "", list);
    }
    double v;
    if (!sf_parse_double(eq + 1, &v) || !isfinite(v))
        SF_FAIL_AT(err, SF_EINVAL, option, "'%s' is not a number (%s)", eq + 1, name);
    const struct fit_law_param *lp = &law->params[j];
    bool zero_ok = lp->bound_theta >= 0 && law->can_bound[lp->bound_theta] && !lp->term_exponent;
    if (lp->positive && !(v > 0) && !(v == 0 && zero_ok))
        SF_FAIL_AT(err, SF_EINVAL, option, "%s must be positive%s, not %s", name,
                   zero_ok ? " or 0 (its term left out)" : "", eq + 1);
    if (!law->can_fix || law->fix[j].theta < 0)
        SF_FAIL_AT(err, SF_EINVAL, option, "%s of %s cannot be fixed (%s)", name, law->name,
                   law->curves ? "the optimal-size law is fitted after L(C)"
                               : "it is not one parameter of the fit");
    fix->param = j;
    fix->value = v;
    return SF_OK;
}

bool fit_law_fix_theta(const struct fit_law_desc *law, const struct fit_request *req, bool *fixed,
                       double *theta, char *why, size_t why_len) {
    for (size_t t = 0; t < FIT_MAX_THETA; t++)
        fixed[t] = false, theta[t] = 0;
    /* Exponents and plain parameters first, then the scales that need their exponents. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < req->n_fix; k++) {
            size_t                      j  = req->fix[k].param;
            double                      v  = req->fix[k].value;
            const struct fit_law_param *lp = &law->params[j];
            int                         t = law->fix[j].theta, s = law->fix[j].scale_of;
            if (j >= law->n_report || !law->can_fix || t < 0) {
                snprintf(why, why_len, "parameter %zu of %s cannot be fixed", j, law->name);
                return false;
            }
            if ((s >= 0) != (pass == 1)) continue;
            fixed[t] = true;
            if (s >= 0) {
                if (!fixed[s]) {
                    /* The exponent's reported name, for the message. */
                    const char *exp_name = "its exponent";
                    for (size_t e = 0; e < law->n_report; e++)
                        if (law->fix[e].theta == s && law->fix[e].scale_of < 0)
                            exp_name = law->params[e].name;
                    snprintf(why, why_len,
                             "%s enters %s together with %s: fix %s too (--fix %s=VALUE)", lp->name,
                             law->name, exp_name, exp_name, exp_name);
                    return false;
                }
                theta[t] = v > 0 ? theta[s] * log(v) : -INFINITY;
            } else {
                theta[t] = !lp->positive ? v : v > 0 ? log(v) : -INFINITY;
            }
        }
    }
    return true;
}

void fit_problem_fix_start(const struct fit_problem *pb, double *theta, bool *active) {
    const struct fit_law_desc *law = pb->law;
    for (size_t t = 0; t < law->n_theta; t++) {
        if (!pb->fixed[t]) continue;
        if (pb->fixed_theta[t] == -INFINITY) {
            active[t] = false;
            if (law->term_exp[t] >= 0) active[law->term_exp[t]] = false;
            theta[t] = 0;
        } else {
            theta[t] = pb->fixed_theta[t];
            if (law->can_bound[t]) {
                active[t] = true;
                if (law->term_exp[t] >= 0) active[law->term_exp[t]] = true;
            }
        }
    }
}
