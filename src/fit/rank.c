/*
 * rank.c — the ranking of several laws fitted to the same rows (`scalefit fit --law A,B,...`):
 * within each group, converged fits first, then by the held-out RMSE of the log loss when every
 * fit of the group has one (extrapolation is what a law is for), else by AIC; ties by BIC, then
 * by the order given.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool fit_same_group_impl(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A key that sorts non-finite values last. */
static double fit_rank_key_impl(double v) {
    return isfinite(v) ? v : INFINITY;
}

/* True when fit a ranks before fit b under the group's criterion. */
static bool fit_rank_before_impl(const struct fit_comparison_entry *a,
                                 const struct fit_comparison_entry *b, bool heldout) {
    const struct fit_result *ra = a->result, *rb = b->result;
    if (ra->converged != rb->converged) return ra->converged;
    double ka[3] = {heldout ? ra->heldout_rmse_log : ra->aic, ra->aic, ra->bic};
    double kb[3] = {heldout ? rb->heldout_rmse_log : rb->aic, rb->aic, rb->bic};
    for (size_t k = 0; k < 3; k++) {
        double x = fit_rank_key_impl(ka[k]), y = fit_rank_key_impl(kb[k]);
        if (x != y) return x < y;
    }
    return false;
}

void fit_comparison_rank(const struct fit_comparison_entry *e, size_t n, size_t *rank,
                         bool *by_heldout) {
    for (size_t i = 0; i < n; i++) {
        bool heldout = true;
        for (size_t j = 0; j < n; j++)
            if (fit_same_group_impl(e[i].group, e[j].group))
                heldout = heldout && isfinite(e[j].result->heldout_rmse_log);
        by_heldout[i] = heldout;
        rank[i]       = 1;
        for (size_t j = 0; j < n; j++)
            if (j != i && fit_same_group_impl(e[i].group, e[j].group) &&
                (fit_rank_before_impl(&e[j], &e[i], heldout) ||
                 (j < i && !fit_rank_before_impl(&e[i], &e[j], heldout))))
                rank[i]++;
    }
}
