/*
 * test_jacobian.c — the analytic Jacobians of the residuals of every law in the table (log and
 * linear space) against central differences, and the objective's invariances: unit weights equal no
 * weights, and scaling every weight by a constant scales the objective and leaves the optimum in
 * place (GSL's test_fdf.c checks the same for its weighted solvers).
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "law_cases.h"

static void jacobian(enum fit_law_kind law, enum fit_space space) {
    const struct fit_law_desc *desc = fit_law_desc(law);
    const struct law_case     *lc   = law_case_find(desc->name);
    if (!check(lc != NULL, "%s: the law has a case in law_cases.h", desc->name)) return;
    enum { N = 7 };
    double lx1[N], lx2[N], lx3[N], y[N], ly[N];
    for (size_t i = 0; i < N; i++) {
        /* High-entropy inputs (STYLE.md §32): no round numbers. A third column (U) repeats the
         * data 1 to 22 times, so that both discounts of data-constrained are in play. */
        lx1[i] = 14.237 + 1.913 * (double)i;
        lx2[i] = 17.481 + 1.377 * (double)i;
        lx3[i] = lx2[i] - 0.517 * (double)(i % 7);
        y[i]   = 2.385 + 0.731 / (1.0 + (double)i);
        ly[i]  = log(y[i]);
    }
    struct fit_problem pb = {.law   = desc,
                             .n     = N,
                             .lx1   = lx1,
                             .lx2   = desc->n_vars == 2 ? lx2 : NULL,
                             .lx3   = desc->aux_option ? lx3 : NULL,
                             .y     = y,
                             .ly    = ly,
                             .space = space,
                             .loss  = FIT_LOSS_SQUARES};
    _Static_assert(FIT_MAX_PARAMS == FIT_MAX_THETA, "law_case.theta holds a theta");
    double theta[FIT_MAX_THETA];
    memcpy(theta, lc->theta, sizeof theta);
    bool active[FIT_MAX_THETA];
    for (size_t j = 0; j < FIT_MAX_THETA; j++)
        active[j] = true;
    double       J[N * FIT_MAX_THETA], fd[N * FIT_MAX_THETA], rp[N], rm[N], r[N];
    const size_t p = desc->n_theta;
    check(fit_problem_residuals(&pb, theta, active, r, J), "%s: residuals", desc->name);
    for (size_t j = 0; j < p; j++) {
        /* Central differences: error O(h²) ~ 1e-10 at h = 1e-5 relative; 1e-6 leaves margin for
         * the cancellation in r(θ+h) - r(θ-h). */
        double h = 1e-5 * fmax(1.0, fabs(theta[j])), keep = theta[j];
        theta[j] = keep + h;
        fit_problem_residuals(&pb, theta, active, rp, NULL);
        theta[j] = keep - h;
        fit_problem_residuals(&pb, theta, active, rm, NULL);
        theta[j] = keep;
        for (size_t i = 0; i < N; i++)
            fd[i * p + j] = (rp[i] - rm[i]) / (2 * h);
    }
    char label[96];
    snprintf(label, sizeof label, "%s %s space: analytic Jacobian vs central differences",
             desc->name, space == FIT_SPACE_LOG ? "log" : "linear");
    check_tensor_d(J, fd, N * p, 1e-6, 1e-9, label);
}

static void weights(void) {
    /* The chinchilla fixture's shape with exact values plus a deterministic wiggle. */
    enum { N = 30 };
    double lx1[N], lx2[N], y[N], ly[N], w1[N], w3[N];
    for (size_t i = 0; i < N; i++) {
        lx1[i] = log(1e7) + 0.61 * (double)(i / 5);
        lx2[i] = lx1[i] + 0.9 + 0.7 * (double)(i % 5);
        y[i]   = (1.69 + 406.4 * exp(-0.34 * lx1[i]) + 410.7 * exp(-0.28 * lx2[i])) *
               (1 + 0.004 * sin(3.7 * (double)i));
        ly[i] = log(y[i]);
        w1[i] = 1;
        w3[i] = 3;
    }
    struct fit_parameters prm = fit_default_parameters();
    struct fit_workspace *ws  = fit_workspace_alloc(N);
    struct fit_polish_out a, b, c;
    struct sf_error       err;
    for (int loss = 0; loss < 2; loss++) {
        enum fit_loss      l   = loss ? FIT_LOSS_HUBER : FIT_LOSS_SQUARES;
        struct fit_problem pb0 = {.law   = fit_law_desc(FIT_LAW_CHINCHILLA),
                                  .n     = N,
                                  .lx1   = lx1,
                                  .lx2   = lx2,
                                  .y     = y,
                                  .ly    = ly,
                                  .space = FIT_SPACE_LOG,
                                  .loss  = l,
                                  .delta = 1e-3};
        struct fit_problem pb1 = pb0, pb3 = pb0;
        pb1.w = w1;
        pb3.w = w3;
        fit_estimate_point(&pb0, &prm, ws, &a, NULL, NULL, &err);
        fit_estimate_point(&pb1, &prm, ws, &b, NULL, NULL, &err);
        fit_estimate_point(&pb3, &prm, ws, &c, NULL, NULL, &err);
        const char *name = loss ? "huber" : "squares";
        /* W = I is the unweighted problem: identical arithmetic, identical results. */
        check(a.objective == b.objective && memcmp(a.theta, b.theta, sizeof a.theta) == 0,
              "%s: unit weights give exactly the unweighted fit", name);
        /* W = 3I triples the objective; the optimum moves only within solver tolerance. */
        check_rel(c.objective, 3 * a.objective, 1e-9, "%s: weights x3 triple the objective", name);
        check_tensor_d(c.theta, a.theta, 5, 1e-6, 0, "weights x3 leave the optimum in place");
    }
    fit_workspace_free(ws);
}

/* Data-constrained on rows without repetition (D <= U) within the optimal size (N <= N_opt(D)):
 * R_D = R_N = 0, so the law and its gradient are Chinchilla's to the last bit; and with U
 * unlimited (INFINITY) the same. Checked on a grid of N, D, U. */
static void datacon_reduces(void) {
    const struct fit_law_desc *dc = fit_law_desc(FIT_LAW_DATACON);
    const struct fit_law_desc *ch = fit_law_desc(FIT_LAW_CHINCHILLA);
    const struct law_case     *lc = law_case_find("data-constrained");
    bool                       active[FIT_MAX_THETA];
    double                     g1[FIT_MAX_THETA], g2[FIT_MAX_THETA];
    for (size_t j = 0; j < FIT_MAX_THETA; j++)
        active[j] = true;
    size_t rows = 0, same = 0;
    for (size_t i = 0; i < 12; i++) {
        for (size_t k = 0; k < 6; k++) {
            double ln_d = 18.3 + 0.61 * (double)i, ln_n = ln_d - 3.7 - 0.53 * (double)k;
            for (int u = 0; u < 2; u++) {
                double ln_u = u ? INFINITY : ln_d + 0.29 * (double)k;
                /* within the optimal size: N_opt(D) = G^(1 + beta/alpha) D^(beta/alpha) */
                double al = lc->theta[2], be = lc->theta[4];
                double lg = (log(al) + lc->theta[1] - log(be) - lc->theta[3]) / (al + be);
                if (ln_n > (1 + be / al) * lg + be / al * ln_d) continue;
                rows++;
                double a  = fit_law_lnpred(dc, lc->theta, active, ln_n, ln_d, ln_u, g1);
                double b  = fit_law_lnpred(ch, lc->theta, active, ln_n, ln_d, INFINITY, g2);
                bool   ok = a == b && g1[5] == 0 && g1[6] == 0;
                for (size_t j = 0; j < 5; j++)
                    ok = ok && g1[j] == g2[j];
                same += ok;
            }
        }
    }
    check(rows > 20 && same == rows,
          "data-constrained without repetition or excess size is chinchilla, value and gradient, "
          "bit for bit (%zu of %zu rows)",
          same, rows);
}

int main(void) {
    gsl_set_error_handler_off();
    datacon_reduces();
    for (int s = 0; s < 2; s++) {
        enum fit_space space = s ? FIT_SPACE_LINEAR : FIT_SPACE_LOG;
        for (int k = 0; k < FIT_LAW_COUNT; k++)
            jacobian((enum fit_law_kind)k, space);
    }
    weights();
    return check_summary();
}
