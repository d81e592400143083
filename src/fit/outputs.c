/*
 * outputs.c — every reported number of a fit as a "quantity" of the parameters: its value at
 * the estimate, its standard error by the delta method on the covariance (central differences),
 * and its interval from the bootstrap percentiles (or, without a bootstrap, from the covariance:
 * on the log scale for positive quantities, so that intervals respect their bound).
 * Diagnostics and warnings are decided here too.
 */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "outputs.h"

/* The kinds of quantity. */
enum fit_q_kind {
    FIT_Q_KIND_PARAM,     /* reported parameter j */
    FIT_Q_KIND_PRED,      /* predicted loss at (x1, x2) */
    FIT_Q_KIND_REDUCIBLE, /* predicted loss minus the constant at (x1, x2) */
    FIT_Q_KIND_CONSTANT,  /* L_inf or E */
    FIT_Q_KIND_TARGET,    /* x at which the reducible loss equals x1 (the law's target) */
    FIT_Q_KIND_TARGET_ND, /* two variables: compute (j 0), N (1) or D (2) of the compute-optimal
                             point where the reducible loss equals x1 */
    FIT_Q_KIND_NOPT,      /* N_opt at compute x1 (curves: the optimal-size law; else alloc) */
    FIT_Q_KIND_DOPT,      /* D_opt at C = x1 (the law's alloc) */
    FIT_Q_KIND_TPP,       /* tokens per parameter at C = x1 (the law's alloc) */
    FIT_Q_KIND_DERIVED,   /* the law's derived value j (chinchilla: a_opt, b_opt, G) */
};

struct fit_q {
    enum fit_q_kind kind;
    size_t          j;
    double          x1, x2;
    double          x3; /* a law's third column (U); 0: none, unlimited */
};

/* ln x3 for lnpred: INFINITY when the point has none. */
static double fit_q_lx3_impl(const struct fit_q *q) {
    return q->x3 > 0 ? log(q->x3) : INFINITY;
}

static double fit_q_eval_impl(const struct fit_result *r, const struct fit_q *q,
                              const double *theta, const bool *active, const double *nopt) {
    const struct fit_law_desc *law = r->state->law;
    double                     nat[FIT_MAX_PARAMS];
    switch (q->kind) {
    case FIT_Q_KIND_PARAM:
        if (law->curves && q->j >= law->n_theta) { /* the optimal-size law's C_n, beta_opt */
            if (nopt == NULL || !isfinite(nopt[0])) return NAN;
            return q->j == law->n_theta ? exp(nopt[0] / nopt[1]) : -nopt[1];
        }
        fit_law_natural(law, theta, active, nat);
        return nat[q->j];
    case FIT_Q_KIND_PRED:
        return exp(fit_law_lnpred(law, theta, active, log(q->x1), q->x2 > 0 ? log(q->x2) : 0,
                                  fit_q_lx3_impl(q), NULL));
    case FIT_Q_KIND_REDUCIBLE:
        return exp(fit_law_lnpred(law, theta, active, log(q->x1), q->x2 > 0 ? log(q->x2) : 0,
                                  fit_q_lx3_impl(q), NULL)) -
               fit_law_constant(law, theta, active);
    case FIT_Q_KIND_CONSTANT: return fit_law_constant(law, theta, active);
    case FIT_Q_KIND_TARGET:
        fit_law_natural(law, theta, active, nat);
        return law->form->target(nat, q->x1);
    case FIT_Q_KIND_TARGET_ND: {
        double cnd[3];
        if (!fit_law_target_nd(law, theta, active, q->x1, &cnd[0], &cnd[1], &cnd[2])) return NAN;
        return cnd[q->j];
    }
    case FIT_Q_KIND_NOPT:
        if (law->curves) {
            if (nopt == NULL || !isfinite(nopt[0])) return NAN;
            return exp(nopt[0] - nopt[1] * log(q->x1));
        }
        fit_law_natural(law, theta, active, nat);
        return law->alloc(nat, 3, q->x1);
    case FIT_Q_KIND_DOPT:
        fit_law_natural(law, theta, active, nat);
        return law->alloc(nat, 4, q->x1);
    case FIT_Q_KIND_TPP: fit_law_natural(law, theta, active, nat); return law->alloc(nat, 5, q->x1);
    case FIT_Q_KIND_DERIVED:
        fit_law_natural(law, theta, active, nat);
        return law->alloc(nat, q->j, 0);
    }
    return NAN;
}

/* Standard error by the delta method: central differences over the active parameters (and the
 * optimal-size law's two for the frontier), with the covariance blocks. */
static double fit_q_se_impl(const struct fit_result *r, const struct fit_q *q) {
    const struct fit_state *st = r->state;
    const size_t            nt = st->law->n_theta;
    const double            h0 = r->req.params.fd_step;
    double                  th[FIT_MAX_THETA], nopt[2], g[FIT_MAX_THETA], gn[2] = {0, 0};
    memcpy(th, st->theta, sizeof th);
    nopt[0]         = st->nopt_have ? st->nopt_theta[0] : NAN;
    nopt[1]         = st->nopt_have ? st->nopt_theta[1] : NAN;
    bool used_theta = false;
    for (size_t j = 0; j < nt; j++) {
        g[j] = 0;
        if (!st->active[j]) continue;
        double h = h0 * fmax(1.0, fabs(th[j])), keep = th[j];
        th[j]    = keep + h;
        double a = fit_q_eval_impl(r, q, th, st->active, nopt);
        th[j]    = keep - h;
        double b = fit_q_eval_impl(r, q, th, st->active, nopt);
        th[j]    = keep;
        g[j]     = (a - b) / (2 * h);
        if (g[j] != 0) used_theta = true;
    }
    double var = 0;
    if (used_theta) {
        if (!st->have_cov) return NAN;
        for (size_t a = 0; a < nt; a++)
            for (size_t b = 0; b < nt; b++)
                var += g[a] * st->cov[a * FIT_MAX_THETA + b] * g[b];
    }
    if (st->nopt_have) {
        bool used = false;
        for (size_t j = 0; j < 2; j++) {
            double h = h0 * fmax(1.0, fabs(nopt[j])), keep = nopt[j];
            nopt[j]  = keep + h;
            double a = fit_q_eval_impl(r, q, th, st->active, nopt);
            nopt[j]  = keep - h;
            double b = fit_q_eval_impl(r, q, th, st->active, nopt);
            nopt[j]  = keep;
            gn[j]    = (a - b) / (2 * h);
            if (gn[j] != 0 && isfinite(gn[j])) used = true;
        }
        if (used) {
            if (!isfinite(st->nopt_cov[0])) return NAN;
            var += gn[0] * gn[0] * st->nopt_cov[0] + 2 * gn[0] * gn[1] * st->nopt_cov[1] +
                   gn[1] * gn[1] * st->nopt_cov[3];
        }
    }
    return var >= 0 ? sqrt(var) : NAN;
}

/* Fewest usable replicates for percentile intervals; below it intervals come from the
 * covariance and a warning says so. */
static const size_t fit_min_replicates = 20;

/* The frontier's interval, symmetric about the estimate: [est - c, est + c], by ratios for
 * positive quantities (est e^-c, est e^c, c on the log scale), where c is the level's quantile
 * of the replicates' distance from a centre (Hall 1988, the symmetric bootstrap interval), so
 * that it holds its estimate whichever side the replicates fall on. For L(C)'s quantities the
 * centre is q_s, the fit to the frontier of the runs' smooth curves (fit.c): the replicates
 * scatter around it as the estimate scatters around the truth, the running minimum's pull
 * towards low noise included, and the distance takes in that pull whatever its sign. The
 * optimal-size law's quantities (C_n, beta_opt, N_opt) are fitted to exact sizes, which noise
 * moves only in steps as it changes a point's owner; there the spread about q_s is no stand-in
 * for the estimate's error (measured in tests/fit/test_frontier_coverage.c: beta_opt covered in
 * 87 of 100 sweeps by the interval turned over about q_s, 99 by the percentiles), and the
 * centre is the estimate itself, which the replicates' percentiles surround. Without the
 * smooth fit q_s is the estimate too. `vals` are the m finite replicate values, sorted. */
static void fit_q_symmetric_impl(const struct fit_result *r, const struct fit_q *q, bool positive,
                                 double *vals, size_t m, struct fit_estimate *e) {
    const struct fit_state *st = r->state;
    bool                    nopt =
        q->kind == FIT_Q_KIND_NOPT || (q->kind == FIT_Q_KIND_PARAM && q->j >= st->law->n_theta);
    double est = e->estimate, centre = est;
    if (!nopt && st->pivot_have) {
        double q_s = fit_q_eval_impl(r, q, st->pivot_theta, st->pivot_active, st->pivot_nopt);
        if (isfinite(q_s)) centre = q_s;
    }
    bool logs = positive && est > 0 && centre > 0 && vals[0] > 0;
    for (size_t k = 0; k < m; k++)
        vals[k] = logs ? fabs(log(vals[k]) - log(centre)) : fabs(vals[k] - centre);
    gsl_sort(vals, 1, m);
    double c = gsl_stats_quantile_from_sorted_data(vals, 1, m, r->req.params.level);
    e->lo    = logs ? est * exp(-c) : est - c;
    e->hi    = logs ? est * exp(c) : est + c;
}

static struct fit_estimate fit_q_interval_impl(const struct fit_result *r, const struct fit_q *q,
                                               bool positive) {
    const struct fit_state *st = r->state;
    struct fit_estimate     e;
    const double           *nopt = st->nopt_have ? st->nopt_theta : NULL;
    e.estimate                   = fit_q_eval_impl(r, q, st->theta, st->active, nopt);
    e.se                         = fit_q_se_impl(r, q);
    e.lo = e.hi = NAN;
    /* The replicates' values in a buffer of this call's own, so that a finished result may be
     * read from several threads at once. */
    double *vals = st->boot_usable ? malloc(st->n_rep * sizeof *vals) : NULL;
    if (vals != NULL) {
        size_t m = 0;
        for (size_t k = 0; k < st->n_rep; k++) {
            double v = fit_q_eval_impl(r, q, st->rep_theta + k * FIT_MAX_THETA,
                                       st->rep_active + k * FIT_MAX_THETA, st->rep_nopt + 2 * k);
            if (isfinite(v)) vals[m++] = v;
        }
        if (m >= fit_min_replicates) {
            gsl_sort(vals, 1, m);
            double tail = 0.5 * (1 - r->req.params.level);
            e.lo        = gsl_stats_quantile_from_sorted_data(vals, 1, m, tail);
            e.hi        = gsl_stats_quantile_from_sorted_data(vals, 1, m, 1 - tail);
            if (st->law->curves && isfinite(e.estimate))
                fit_q_symmetric_impl(r, q, positive, vals, m, &e);
            free(vals);
            return e;
        }
        free(vals);
    }
    if (isfinite(e.se) && isfinite(e.estimate)) {
        double t = st->t_quantile;
        if (positive && e.estimate > 0) {
            double s = e.se / e.estimate;
            e.lo     = e.estimate * exp(-t * s);
            e.hi     = e.estimate * exp(t * s);
        } else {
            e.lo = e.estimate - t * e.se;
            e.hi = e.estimate + t * e.se;
        }
    }
    return e;
}

void fit_warn(struct fit_result *r, const char *fmt, ...) {
    char **w = realloc(r->warnings, (r->n_warnings + 1) * sizeof *w);
    if (w == NULL) return;
    r->warnings = w;
    va_list ap;
    va_start(ap, fmt);
    char *s = sf_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (s != NULL) r->warnings[r->n_warnings++] = s;
}

/* Span of a variable over the fitted points, as max/min. */
static double fit_span_impl(const double *lx, size_t n) {
    if (lx == NULL || n == 0) return NAN;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (lx[i] < lo) lo = lx[i];
        if (lx[i] > hi) hi = lx[i];
    }
    return exp(hi - lo);
}

/* The reported parameters: estimates, intervals, and those held at a bound. */
static void fit_outputs_params_impl(struct fit_result *r) {
    const struct fit_state    *st  = r->state;
    const struct fit_law_desc *law = st->law;
    r->p                           = law->n_report;
    for (size_t j = 0; j < r->p; j++) {
        const struct fit_law_param *lp = &law->params[j];
        struct fit_param           *pp = &r->param[j];
        pp->name                       = lp->name;
        pp->unit                       = lp->unit;
        struct fit_q q                 = {FIT_Q_KIND_PARAM, j, 0, 0, 0};
        pp->value                      = fit_q_interval_impl(r, &q, lp->positive);
        pp->at_bound                   = lp->bound_theta >= 0 && !st->active[lp->bound_theta];
        if (pp->at_bound) {
            /* A coefficient held at 0 is 0; the exponent of a term that is not there is not
             * determined at all. */
            bool exponent      = lp->term_exponent;
            pp->value.estimate = exponent ? NAN : 0;
            pp->value.se       = NAN;
            if (exponent) pp->value.lo = pp->value.hi = NAN;
        }
        for (size_t k = 0; k < r->req.n_fix; k++) {
            if (r->req.fix[k].param != j) continue;
            /* Held at the given value: that value, with no error and no interval of its own. */
            pp->fixed          = true;
            pp->at_bound       = false;
            pp->value.estimate = pp->value.lo = pp->value.hi = r->req.fix[k].value;
            pp->value.se                                     = NAN;
        }
    }
}

/* Per-point predictions with intervals, residuals and reducible loss (learning-curve points
 * are shown against the L(C) law for reference); the held-out squared log residuals. */
static enum sf_status fit_outputs_points_impl(struct fit_result *r, double *hold_ss, size_t *n_hold,
                                              struct sf_error *err) {
    const struct fit_state    *st  = r->state;
    const struct fit_law_desc *law = st->law;
    const struct fit_data     *d   = r->data;
    r->points                      = calloc(d->n ? d->n : 1, sizeof *r->points);
    if (r->points == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for per-point output");
    double constant = fit_law_constant(law, st->theta, st->active);
    for (size_t i = 0; i < d->n; i++) {
        struct fit_point_out *po = &r->points[i];
        struct fit_q q = {FIT_Q_KIND_PRED, 0, d->x1[i], d->x2 ? d->x2[i] : 0, d->x3 ? d->x3[i] : 0};
        struct fit_estimate e = fit_q_interval_impl(r, &q, true);
        po->predicted = e.estimate, po->lo = e.lo, po->hi = e.hi;
        po->residual_log = log(po->predicted) - log(d->y[i]);
        po->rel_error    = (po->predicted - d->y[i]) / d->y[i];
        po->reducible    = law->has_constant ? d->y[i] - constant : NAN;
        if (d->held_out[i]) {
            *hold_ss += po->residual_log * po->residual_log;
            (*n_hold)++;
        }
    }
    return SF_OK;
}

/* R², RMSE, AIC and BIC on the fitted problem (for the frontier: its fitted points, whose R² is
 * about its own unweighted mean). */
static void fit_outputs_diagnostics_impl(struct fit_result *r, double hold_ss, size_t n_hold) {
    const struct fit_state    *st  = r->state;
    const struct fit_law_desc *law = st->law;
    const struct fit_data     *d   = r->data;
    double                     rss = 0, ss_tot = 0, mean_ly = 0, sw = 0;
    size_t                     n_fit = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->held_out[i]) continue;
        mean_ly += d->w[i] * log(d->y[i]);
        sw += d->w[i];
    }
    mean_ly = sw > 0 ? mean_ly / sw : 0;
    for (size_t i = 0; i < st->n; i++) {
        double lp = fit_law_lnpred(law, st->theta, st->active, st->lx1[i], st->lx2 ? st->lx2[i] : 0,
                                   st->lx3 ? st->lx3[i] : INFINITY, NULL);
        double rl = lp - st->ly[i];
        double rs = r->req.space == FIT_SPACE_LOG ? rl : exp(lp) - st->y[i];
        rss += st->w[i] * rs * rs;
        if (!law->curves) {
            double dev = st->ly[i] - mean_ly;
            ss_tot += st->w[i] * dev * dev;
        }
        n_fit++;
    }
    if (law->curves) {
        double m = 0;
        for (size_t i = 0; i < st->n; i++)
            m += st->ly[i];
        m /= (double)st->n;
        for (size_t i = 0; i < st->n; i++)
            ss_tot += (st->ly[i] - m) * (st->ly[i] - m);
    }
    double rss_log = 0;
    for (size_t i = 0; i < st->n; i++) {
        double rl = fit_law_lnpred(law, st->theta, st->active, st->lx1[i], st->lx2 ? st->lx2[i] : 0,
                                   st->lx3 ? st->lx3[i] : INFINITY, NULL) -
                    st->ly[i];
        rss_log += st->w[i] * rl * rl;
    }
    r->r2_log   = ss_tot > 0 ? 1 - rss_log / ss_tot : NAN;
    r->rmse_log = sqrt(rss_log / (double)n_fit);
    double k = (double)st->p_active, nn = (double)n_fit;
    r->aic              = nn * log(rss / nn) + 2 * k;
    r->bic              = nn * log(rss / nn) + k * log(nn);
    r->heldout_rmse_log = n_hold ? sqrt(hold_ss / (double)n_hold) : NAN;
}

/* The entropy estimate, forecasts, targets, allocations and the law's derived values. */
static enum sf_status fit_outputs_derived_impl(struct fit_result *r, struct sf_error *err) {
    const struct fit_state    *st  = r->state;
    const struct fit_law_desc *law = st->law;
    if (law->has_constant) {
        struct fit_q q = {FIT_Q_KIND_CONSTANT, 0, 0, 0, 0};
        r->entropy     = fit_q_interval_impl(r, &q, true);
        if (!st->active[0]) r->entropy.se = NAN;
    } else {
        r->entropy.estimate = r->entropy.se = r->entropy.lo = r->entropy.hi = NAN;
    }
    r->forecasts = calloc(r->req.n_predict + 1, sizeof *r->forecasts);
    r->targets   = calloc(3 * r->req.n_target + 1, sizeof *r->targets);
    r->alloc     = calloc(3 * r->req.n_compute + 1, sizeof *r->alloc);
    if (!r->forecasts || !r->targets || !r->alloc)
        SF_FAIL(err, SF_ENOMEM, "out of memory for forecasts");
    for (size_t i = 0; i < r->req.n_predict; i++) {
        struct fit_q q  = {FIT_Q_KIND_PRED, 0, r->req.predict[i].x1, r->req.predict[i].x2,
                           r->req.predict[i].x3};
        r->forecasts[i] = fit_q_interval_impl(r, &q, true);
    }
    for (size_t i = 0; i < r->req.n_target && law->n_vars == 1; i++) {
        struct fit_q q = {FIT_Q_KIND_TARGET, 0, r->req.target_reducible[i], 0, 0};
        r->targets[i]  = fit_q_interval_impl(r, &q, true);
    }
    for (size_t i = 0; i < r->req.n_target && law->n_vars == 2; i++) {
        for (size_t k = 0; k < 3; k++) {
            struct fit_q q        = {FIT_Q_KIND_TARGET_ND, k, r->req.target_reducible[i], 0, 0};
            r->targets[3 * i + k] = fit_q_interval_impl(r, &q, true);
        }
    }
    for (size_t i = 0; i < r->req.n_compute; i++) {
        double       c  = r->req.compute[i];
        struct fit_q qn = {FIT_Q_KIND_NOPT, 0, c, 0, 0}, qd = {FIT_Q_KIND_DOPT, 0, c, 0, 0},
                     qt     = {FIT_Q_KIND_TPP, 0, c, 0, 0};
        r->alloc[3 * i]     = fit_q_interval_impl(r, &qn, true);
        r->alloc[3 * i + 1] = fit_q_interval_impl(r, &qd, true);
        r->alloc[3 * i + 2] = fit_q_interval_impl(r, &qt, true);
    }
    for (size_t j = 0; j < law->n_derived; j++) {
        struct fit_q q = {FIT_Q_KIND_DERIVED, j, 0, 0, 0};
        r->derived[j]  = fit_q_interval_impl(r, &q, true);
    }
    return SF_OK;
}

/* Warnings about the parameters: on a bound, wide intervals, lopsided bootstrap intervals. */
static void fit_warn_params_impl(struct fit_result *r) {
    const struct fit_state *st = r->state;
    for (size_t j = 0; j < r->p; j++) {
        const struct fit_param *pp = &r->param[j];
        if (pp->fixed) continue; /* given, not measured */
        if (pp->at_bound && isnan(pp->value.estimate))
            fit_warn(r, "%s is not determined: its term is not in the fit", pp->name);
        else if (pp->at_bound)
            fit_warn(r, "%s sits on its bound (0): the data do not support that term", pp->name);
        else if (isfinite(pp->value.lo) && isfinite(pp->value.hi) &&
                 pp->value.hi - pp->value.lo > fabs(pp->value.estimate))
            /* + 0.0: a zero prints as 0, never -0 */
            fit_warn(r, "the interval of %s ([%.4g, %.4g]) is wider than its estimate (%.4g)",
                     pp->name, pp->value.lo + 0.0, pp->value.hi + 0.0, pp->value.estimate + 0.0);
        /* A bootstrap interval of zero width: every replicate gave the estimate, so the interval
         * says nothing (frontier fits whose runs have too few points past the warm-up cut to be
         * smoothed: no residuals to resample). */
        if (st->boot_usable && !pp->at_bound && isfinite(pp->value.lo) &&
            pp->value.lo == pp->value.hi && pp->value.estimate != 0.0)
            fit_warn(r,
                     "the interval of %s has zero width: the bootstrap replicates all gave the "
                     "estimate, so it measures no uncertainty (a frontier fit resamples each "
                     "run's residuals around its smoothed curve, and needs 5 points a run past "
                     "the warm-up cut: evaluate more often, eval_points, or lower min_tokens)",
                     pp->name);
        /* A percentile interval that ends at the estimate: the replicates fall to one side.
         * Measured in logs where the interval is positive (scales span decades). */
        double lo = pp->value.lo, hi = pp->value.hi, est = pp->value.estimate;
        if (lo > 0 && est > 0) lo = log(lo), hi = log(hi), est = log(est);
        if (st->boot_usable && !pp->at_bound && isfinite(lo) && isfinite(hi) && hi > lo &&
            fmin(est - lo, hi - est) <= 0.01 * (hi - lo))
            fit_warn(r,
                     "the estimate of %s (%.4g) sits at an end of its bootstrap interval "
                     "([%.4g, %.4g]): the replicates fall to one side of it%s",
                     pp->name, pp->value.estimate + 0.0, pp->value.lo + 0.0, pp->value.hi + 0.0,
                     st->law->curves
                         ? " (the frontier's few owning runs decide it: a replicate moves it only "
                           "when noise changes which run owns a point)"
                         : "");
    }
}

/* Warnings about the fit as a whole: convergence, spans, covariance, bootstrap, inseparable
 * exponents, the optimal-size law. */
static void fit_warn_fit_impl(struct fit_result *r) {
    const struct fit_state    *st   = r->state;
    const struct fit_law_desc *law  = st->law;
    const struct fit_data     *d    = r->data;
    size_t                     lost = r->boot.failed + r->boot.degenerate;
    double      span1 = fit_span_impl(st->lx1, st->n), span2 = fit_span_impl(st->lx2, st->n);
    const char *n1 = law->x_name ? law->x_name : (d->x1_name ? d->x1_name : "x");
    if (span1 < r->req.params.span_warn)
        fit_warn(r, "%s spans less than a decade (%.3gx): exponents are poorly determined", n1,
                 span1);
    if (st->lx2 && span2 < r->req.params.span_warn)
        fit_warn(r, "%s spans less than a decade (%.3gx): exponents are poorly determined",
                 d->x2_name ? d->x2_name : "D", span2);
    if (!st->have_cov) fit_warn(r, "no covariance: %s", r->cov_method);
    if (r->boot.replicates > 0) {
        if (st->boot_usable && lost > 0)
            fit_warn(r,
                     "%zu of %zu bootstrap replicates failed and %zu landed on a bound; they are "
                     "left out of the intervals",
                     r->boot.failed, r->boot.replicates, r->boot.degenerate);
        if (!st->boot_usable)
            fit_warn(r,
                     "%zu of %zu bootstrap replicates failed and %zu landed on a bound (more than "
                     "%g%%): the data are too few or too degenerate for the bootstrap, so the "
                     "intervals come from the covariance",
                     r->boot.failed, r->boot.replicates, r->boot.degenerate,
                     100 * r->req.params.bootstrap_max_lost);
    }
    const size_t *ab = law->inseparable;
    if (ab != NULL && st->have_cov && st->active[ab[0]] && st->active[ab[1]]) {
        double c =
            st->cov[ab[0] * FIT_MAX_THETA + ab[1]] /
            sqrt(st->cov[ab[0] * FIT_MAX_THETA + ab[0]] * st->cov[ab[1] * FIT_MAX_THETA + ab[1]]);
        if (fabs(c) > r->req.params.inseparable_corr)
            fit_warn(r, "%s and %s are nearly inseparable in these data (correlation %.3f)",
                     law->params[ab[0]].name, law->params[ab[1]].name, c);
    }
    if (law->curves && !r->frontier.nopt_fitted)
        fit_warn(r,
                 "the optimal-size law was not fitted: %zu hull point%s with a known model size "
                 "(3 needed; the sizes come from --n)",
                 r->frontier.nopt_points, r->frontier.nopt_points == 1 ? "" : "s");
}

enum sf_status fit_outputs_fill(struct fit_result *r, struct sf_error *err) {
    struct fit_state *st = r->state;
    /* Percentile intervals only from a bootstrap that mostly worked: when many replicates fail
     * or land on a bound, the survivors are a biased sample (typically of few distinct points),
     * and the covariance's t intervals are the honest choice. */
    size_t lost     = r->boot.failed + r->boot.degenerate;
    st->boot_usable = st->n_rep >= fit_min_replicates &&
                      (double)lost <= r->req.params.bootstrap_max_lost * (double)r->boot.replicates;
    r->intervals_bootstrap = st->boot_usable;
    fit_outputs_params_impl(r);
    double         hold_ss = 0;
    size_t         n_hold  = 0;
    enum sf_status s       = fit_outputs_points_impl(r, &hold_ss, &n_hold, err);
    if (s != SF_OK) return s;
    fit_outputs_diagnostics_impl(r, hold_ss, n_hold);
    if ((s = fit_outputs_derived_impl(r, err)) != SF_OK) return s;
    if (!r->converged)
        fit_warn(r, "the best polish did not reach a stationary point (%s)", r->status);
    fit_warn_params_impl(r);
    fit_warn_fit_impl(r);
    return SF_OK;
}

void fit_result_curve(const struct fit_result *r, const double *x, double x2, size_t n,
                      double *loss, double *lo, double *hi) {
    for (size_t i = 0; i < n; i++) {
        struct fit_q        q = {FIT_Q_KIND_PRED, 0, x[i], x2, 0};
        struct fit_estimate e = fit_q_interval_impl(r, &q, true);
        loss[i] = e.estimate, lo[i] = e.lo, hi[i] = e.hi;
    }
}

void fit_result_reducible_curve(const struct fit_result *r, const double *x, double x2, size_t n,
                                double *red, double *lo, double *hi) {
    for (size_t i = 0; i < n; i++) {
        struct fit_q        q = {FIT_Q_KIND_REDUCIBLE, 0, x[i], x2, 0};
        struct fit_estimate e = r->state->law->has_constant
                                    ? fit_q_interval_impl(r, &q, true)
                                    : (struct fit_estimate){NAN, NAN, NAN, NAN};
        red[i] = e.estimate, lo[i] = e.lo, hi[i] = e.hi;
    }
}

void fit_result_nopt_curve(const struct fit_result *r, const double *c, size_t n, double *nopt,
                           double *lo, double *hi) {
    for (size_t i = 0; i < n; i++) {
        struct fit_q        q = {FIT_Q_KIND_NOPT, 0, c[i], 0, 0};
        struct fit_estimate e = fit_q_interval_impl(r, &q, true);
        nopt[i] = e.estimate, lo[i] = e.lo, hi[i] = e.hi;
    }
}
