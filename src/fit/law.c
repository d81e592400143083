/*
 * law.c — the scaling laws: names, formulas, parameter names and units, and ln L-hat with its
 * gradient in the internal parameterisation (log-coefficients and exponents, internal.h), as a
 * log-sum-exp computed by subtracting the largest term. Conversions to reported parameters.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

static const struct fit_law_desc fit_laws[FIT_LAW_COUNT] = {
    [FIT_LAW_POWER]       = {FIT_LAW_POWER,
                             "power",
                             "L = (x0/x)^alpha",
                             2,
                             1,
                             2,
                             {"x0", "alpha"},
                             {"x", ""},
                             {false, false},
                             false},
    [FIT_LAW_POWER_CONST] = {FIT_LAW_POWER_CONST,
                             "power+const",
                             "L = L_inf + (x0/x)^alpha",
                             3,
                             1,
                             3,
                             {"L_inf", "x0", "alpha"},
                             {"nats/token", "x", ""},
                             {true, false, false},
                             true},
    [FIT_LAW_CHINCHILLA]  = {FIT_LAW_CHINCHILLA,
                             "chinchilla",
                             "L = E + A/N^alpha + B/D^beta",
                             5,
                             2,
                             5,
                             {"E", "A", "alpha", "B", "beta"},
                             {"nats/token", "nats/token x N^alpha", "", "nats/token x D^beta", ""},
                             {true, true, false, true, false},
                             true},
    [FIT_LAW_KAPLAN_ND]   = {FIT_LAW_KAPLAN_ND,
                             "kaplan-nd",
                             "L = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D",
                             4,
                             2,
                             4,
                             {"N_c", "alpha_N", "D_c", "alpha_D"},
                             {"parameters", "", "tokens", ""},
                             {false, false, false, false},
                             false},
    [FIT_LAW_FRONTIER]    = {FIT_LAW_FRONTIER,
                             "frontier",
                             "L = L_inf + (C0/C)^alpha_C on the compute frontier; "
                                "N_opt = (C/C_n)^beta_opt",
                             3,
                             1,
                             5,
                             {"L_inf", "C0", "alpha_C", "C_n", "beta_opt"},
                             {"nats/token", "FLOP", "", "FLOP", ""},
                             {true, false, false},
                             true},
};

static const char *const fit_law_name_list[] = {"power",     "power+const", "chinchilla",
                                                "kaplan-nd", "frontier",    NULL};

const struct fit_law_desc *fit_law_desc(enum fit_law_kind kind) {
    SF_ASSERT((int)kind >= 0 && kind < FIT_LAW_COUNT);
    return &fit_laws[kind];
}

bool fit_law_from_name(const char *name, enum fit_law_kind *kind) {
    for (int k = 0; k < FIT_LAW_COUNT; k++) {
        if (strcmp(name, fit_laws[k].name) == 0) {
            *kind = (enum fit_law_kind)k;
            return true;
        }
    }
    return false;
}

const char *fit_law_name(enum fit_law_kind kind) {
    return fit_law_desc(kind)->name;
}
const char *fit_law_formula(enum fit_law_kind kind) {
    return fit_law_desc(kind)->formula;
}
size_t fit_law_n_params(enum fit_law_kind kind) {
    return fit_law_desc(kind)->n_report;
}
size_t fit_law_n_vars(enum fit_law_kind kind) {
    return fit_law_desc(kind)->n_vars;
}
bool fit_law_has_constant(enum fit_law_kind kind) {
    return fit_law_desc(kind)->has_constant;
}
const char *const *fit_law_names(void) {
    return fit_law_name_list;
}

const char *fit_law_param_name(enum fit_law_kind kind, size_t j) {
    const struct fit_law_desc *d = fit_law_desc(kind);
    SF_ASSERT(j < d->n_report);
    return d->report_names[j];
}

/* Log-sum-exp of up to three terms (skipping those with use[k] false), with the softmax
 * weights in p. Returns -INFINITY when no term is used. */
static double fit_lse3_impl(const double *t, const bool *use, size_t k, double *p) {
    double m = -INFINITY;
    for (size_t i = 0; i < k; i++)
        if (use[i] && t[i] > m) m = t[i];
    if (m == -INFINITY) {
        for (size_t i = 0; i < k; i++)
            p[i] = 0;
        return -INFINITY;
    }
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        p[i] = use[i] ? exp(t[i] - m) : 0;
        s += p[i];
    }
    for (size_t i = 0; i < k; i++)
        p[i] /= s;
    return m + log(s);
}

double fit_law_lnpred(const struct fit_law_desc *law, const double *th, const bool *active,
                      double lx1, double lx2, double *grad) {
    double t[3], p[3];
    bool   use[3];
    switch (law->kind) {
    case FIT_LAW_POWER:
        if (grad) {
            grad[0] = 1;
            grad[1] = -lx1;
        }
        return th[0] - th[1] * lx1;
    case FIT_LAW_POWER_CONST:
    case FIT_LAW_FRONTIER: {
        t[0] = th[0], use[0] = active[0];
        t[1] = th[1] - th[2] * lx1, use[1] = true;
        double v = fit_lse3_impl(t, use, 2, p);
        if (grad) {
            grad[0] = active[0] ? p[0] : 0;
            grad[1] = p[1];
            grad[2] = -p[1] * lx1;
        }
        return v;
    }
    case FIT_LAW_CHINCHILLA: {
        t[0] = th[0], use[0] = active[0];
        t[1] = th[1] - th[2] * lx1, use[1] = active[1];
        t[2] = th[3] - th[4] * lx2, use[2] = active[3];
        double v = fit_lse3_impl(t, use, 3, p);
        if (grad) {
            grad[0] = active[0] ? p[0] : 0;
            grad[1] = active[1] ? p[1] : 0;
            grad[2] = active[1] ? -p[1] * lx1 : 0;
            grad[3] = active[3] ? p[2] : 0;
            grad[4] = active[3] ? -p[2] * lx2 : 0;
        }
        return v;
    }
    case FIT_LAW_KAPLAN_ND: {
        double an = th[1], ad = th[3];
        double ratio = an / ad;
        t[0] = ratio * (th[0] - lx1), use[0] = true;
        t[1] = th[2] - lx2, use[1] = true;
        double s = fit_lse3_impl(t, use, 2, p);
        if (grad) {
            grad[0] = an * p[0];
            grad[1] = p[0] * (th[0] - lx1);
            grad[2] = ad * p[1];
            grad[3] = s - p[0] * t[0];
        }
        return ad * s;
    }
    case FIT_LAW_COUNT: break;
    }
    SF_ASSERT(!"unknown law");
    return NAN;
}

void fit_law_natural(const struct fit_law_desc *law, const double *th, const bool *active,
                     double *nat) {
    switch (law->kind) {
    case FIT_LAW_POWER:
        nat[0] = exp(th[0] / th[1]);
        nat[1] = th[1];
        return;
    case FIT_LAW_POWER_CONST:
    case FIT_LAW_FRONTIER:
        nat[0] = active[0] ? exp(th[0]) : 0;
        nat[1] = exp(th[1] / th[2]);
        nat[2] = th[2];
        return;
    case FIT_LAW_CHINCHILLA:
        nat[0] = active[0] ? exp(th[0]) : 0;
        nat[1] = active[1] ? exp(th[1]) : 0;
        nat[2] = th[2];
        nat[3] = active[3] ? exp(th[3]) : 0;
        nat[4] = th[4];
        return;
    case FIT_LAW_KAPLAN_ND:
        nat[0] = exp(th[0]);
        nat[1] = th[1];
        nat[2] = exp(th[2]);
        nat[3] = th[3];
        return;
    case FIT_LAW_COUNT: break;
    }
    SF_ASSERT(!"unknown law");
}

double fit_law_constant(const struct fit_law_desc *law, const double *th, const bool *active) {
    if (!law->has_constant) return NAN;
    return active[0] ? exp(th[0]) : 0;
}
