/*
 * rank.c — the ranking of several laws fitted to the same rows (`scalefit fit --law A,B,...`):
 * within each group, converged fits first, then by the held-out RMSE of the log loss when every
 * fit of the group has one (extrapolation is what a law is for), else by the RMSE of the
 * rollout's predictions when every fit has a rollout, else by AIC; ties by AIC, then BIC, then
 * by the order given.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool fit_same_group(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A key that sorts non-finite values last. */
static double fit_rank_key_impl(double v) {
    return isfinite(v) ? v : INFINITY;
}

const char *fit_rank_by_key(enum fit_rank_by by) {
    return by == FIT_RANK_HELDOUT   ? "heldout_rmse_log"
           : by == FIT_RANK_ROLLOUT ? "rollout_rmse_log"
                                    : "aic";
}
const char *fit_rank_by_text(enum fit_rank_by by) {
    return by == FIT_RANK_HELDOUT   ? "held-out RMSE"
           : by == FIT_RANK_ROLLOUT ? "rollout RMSE"
                                    : "AIC";
}

/* The fit's value of the criterion (NAN when it has none). */
static double fit_rank_value_impl(const struct fit_result *r, enum fit_rank_by by) {
    if (by == FIT_RANK_HELDOUT) return r->heldout_rmse_log;
    if (by == FIT_RANK_ROLLOUT) return r->rollout ? r->rollout->rmse_log : NAN;
    return r->aic;
}

/* True when fit a ranks before fit b under the group's criterion. */
static bool fit_rank_before_impl(const struct fit_comparison_entry *a,
                                 const struct fit_comparison_entry *b, enum fit_rank_by by) {
    const struct fit_result *ra = a->result, *rb = b->result;
    if (ra->converged != rb->converged) return ra->converged;
    double ka[3] = {fit_rank_value_impl(ra, by), ra->aic, ra->bic};
    double kb[3] = {fit_rank_value_impl(rb, by), rb->aic, rb->bic};
    for (size_t k = 0; k < 3; k++) {
        double x = fit_rank_key_impl(ka[k]), y = fit_rank_key_impl(kb[k]);
        if (x != y) return x < y;
    }
    return false;
}

void fit_comparison_rank(const struct fit_comparison_entry *e, size_t n, size_t *rank,
                         enum fit_rank_by *by) {
    for (size_t i = 0; i < n; i++) {
        bool heldout = true, rollout = true;
        for (size_t j = 0; j < n; j++) {
            if (!fit_same_group(e[i].group, e[j].group)) continue;
            heldout = heldout && isfinite(fit_rank_value_impl(e[j].result, FIT_RANK_HELDOUT));
            rollout = rollout && isfinite(fit_rank_value_impl(e[j].result, FIT_RANK_ROLLOUT));
        }
        by[i]   = heldout ? FIT_RANK_HELDOUT : rollout ? FIT_RANK_ROLLOUT : FIT_RANK_AIC;
        rank[i] = 1;
        for (size_t j = 0; j < n; j++)
            if (j != i && fit_same_group(e[i].group, e[j].group) &&
                (fit_rank_before_impl(&e[j], &e[i], by[i]) ||
                 (j < i && !fit_rank_before_impl(&e[i], &e[j], by[i]))))
                rank[i]++;
    }
}
