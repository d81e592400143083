/*
 * law.c — the table of scaling laws and what is asked of it by kind or by name: names,
 * formulas, parameters, variables, options, derived quantities. Each law's entry and its
 * functions (ln L-hat with its gradient, the search's columns, the polish's tests, derived
 * quantities) live in law_<name>.c; the helpers they share (log-sum-exp, the exponent grid)
 * are here.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* The table: every list of laws (options, help, validation, reports) comes from it, in this
 * order. The kind is the entry's index; the entries themselves do not know it. */
static const struct fit_law_desc *const fit_laws[FIT_LAW_COUNT] = {
    [FIT_LAW_POWER]           = &fit_law_power,
    [FIT_LAW_POWER_CONST]     = &fit_law_power_const,
    [FIT_LAW_CHINCHILLA]      = &fit_law_chinchilla,
    [FIT_LAW_KAPLAN_ND]       = &fit_law_kaplan_nd,
    [FIT_LAW_FRONTIER]        = &fit_law_frontier,
    [FIT_LAW_FRONTIER_POWER]  = &fit_law_frontier_power,
    [FIT_LAW_LOG]             = &fit_law_log,
    [FIT_LAW_KAPLAN_NS]       = &fit_law_kaplan_ns,
    [FIT_LAW_KAPLAN_NS_CONST] = &fit_law_kaplan_ns_const,
    [FIT_LAW_BROKEN1]         = &fit_law_broken1,
    [FIT_LAW_BROKEN2]         = &fit_law_broken2,
    [FIT_LAW_DATACON]         = &fit_law_datacon,
};

const struct fit_law_desc *fit_law_desc(enum fit_law_kind kind) {
    SF_ASSERT((int)kind >= 0 && kind < FIT_LAW_COUNT);
    return fit_laws[kind];
}

enum fit_law_kind fit_law_kind_of(const struct fit_law_desc *law) {
    int k = 0;
    while (k < FIT_LAW_COUNT && fit_laws[k] != law)
        k++;
    SF_ASSERT(k < FIT_LAW_COUNT);
    return (enum fit_law_kind)k;
}

bool fit_law_from_name(const char *name, enum fit_law_kind *kind) {
    for (int k = 0; k < FIT_LAW_COUNT; k++) {
        if (strcmp(name, fit_laws[k]->name) == 0) {
            *kind = (enum fit_law_kind)k;
            return true;
        }
    }
    return false;
}

/* The names in the table's order, for option lists and "did you mean" (a list of strings, which
 * the entries in other files cannot initialise here); the fit suite checks that they are the
 * entries' own names. */
static const char *const fit_law_name_list[FIT_LAW_COUNT + 1] = {
    [FIT_LAW_POWER]           = "power",
    [FIT_LAW_POWER_CONST]     = "power+const",
    [FIT_LAW_CHINCHILLA]      = "chinchilla",
    [FIT_LAW_KAPLAN_ND]       = "kaplan-nd",
    [FIT_LAW_FRONTIER]        = "frontier",
    [FIT_LAW_FRONTIER_POWER]  = "frontier-power",
    [FIT_LAW_LOG]             = "log",
    [FIT_LAW_KAPLAN_NS]       = "kaplan-ns",
    [FIT_LAW_KAPLAN_NS_CONST] = "kaplan-ns+const",
    [FIT_LAW_BROKEN1]         = "broken1",
    [FIT_LAW_BROKEN2]         = "broken2",
    [FIT_LAW_DATACON]         = "data-constrained",
    [FIT_LAW_COUNT]           = NULL,
};

const char *const *fit_law_names(void) {
    return fit_law_name_list;
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
const char *fit_law_aux_option(enum fit_law_kind kind) {
    return fit_law_desc(kind)->aux_option;
}
const char *fit_law_var_option(enum fit_law_kind kind, size_t k) {
    const struct fit_law_desc *d = fit_law_desc(kind);
    SF_ASSERT(k < d->n_vars);
    return d->var_options[k];
}
bool fit_law_has_constant(enum fit_law_kind kind) {
    return fit_law_desc(kind)->has_constant;
}
enum fit_exponent fit_law_param_exponent(enum fit_law_kind kind, size_t j) {
    SF_ASSERT(j < fit_law_desc(kind)->n_report);
    return fit_law_desc(kind)->params[j].exponent_of;
}
bool fit_law_has_allocation(enum fit_law_kind kind) {
    return fit_law_desc(kind)->alloc != NULL;
}
bool fit_law_fits_curves(enum fit_law_kind kind) {
    return fit_law_desc(kind)->curves;
}
const char *fit_law_constant_label(enum fit_law_kind kind) {
    return fit_law_desc(kind)->label_constant;
}

const char *fit_law_label(enum fit_law_kind kind) {
    return fit_law_desc(kind)->label;
}
const char *fit_law_optimal_label(enum fit_law_kind kind) {
    return fit_law_desc(kind)->optimal_label;
}
const char *fit_law_nopt_label(enum fit_law_kind kind) {
    return fit_law_desc(kind)->nopt_label;
}
enum fit_loss fit_law_default_loss(enum fit_law_kind kind) {
    return fit_law_desc(kind)->huber_default ? FIT_LOSS_HUBER : FIT_LOSS_SQUARES;
}

const char *fit_space_name(enum fit_space space) {
    return space == FIT_SPACE_LOG ? "log" : "linear";
}
const char *fit_loss_name(enum fit_loss loss) {
    return loss == FIT_LOSS_HUBER ? "huber" : "squares";
}

size_t fit_result_label_values(const struct fit_result *r, double *v) {
    const struct fit_law_desc *law = fit_law_desc(r->law);
    if (law->label_values) return law->label_values(r, v);
    for (size_t j = 0; j < r->p; j++)
        v[j] = r->param[j].value.estimate;
    return r->p;
}

bool fit_result_optimal_nd(const struct fit_result *r, double c, double *n, double *d) {
    const struct fit_law_desc *law = fit_law_desc(r->law);
    if (law->optimal_nd == NULL) return false;
    law->optimal_nd(r, c, n, d);
    return true;
}

const char *fit_law_param_name(enum fit_law_kind kind, size_t j) {
    const struct fit_law_desc *d = fit_law_desc(kind);
    SF_ASSERT(j < d->n_report);
    return d->params[j].name;
}

const char *fit_law_var_column(const struct fit_law_desc *law, const struct fit_columns *cols,
                               size_t k) {
    SF_ASSERT(k < law->n_vars);
    return *(const char *const *)((const char *)cols + law->var_fields[k]);
}

double fit_law_lse(const double *t, const bool *use, size_t k, double *p) {
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

void fit_law_grid_positive(const struct fit_parameters *prm, double *lo, double *hi, double *step) {
    *lo = prm->exp_min, *hi = prm->exp_max, *step = prm->exp_step;
}

double fit_law_constant(const struct fit_law_desc *law, const double *th, const bool *active) {
    if (!law->has_constant) return NAN;
    return active[0] ? exp(th[0]) : 0;
}
