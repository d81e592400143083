/*
 * polish.c — the local stage on the true objective: GSL's gsl_multifit_nlinear (trust region,
 * Levenberg-Marquardt with Moré scaling, QR solver) driven by init / iterate / test, with the
 * Huber transform ψ for robust fits, restarts when it stops short of a stationary point, and
 * the law-specific handling of coefficients that fall to their bound of 0. The per-thread
 * workspace that holds GSL's solver workspaces lives here too.
 */
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

// ---- workspace ----

struct fit_workspace *fit_workspace_alloc(size_t n) {
    struct fit_workspace *ws = calloc(1, sizeof *ws);
    if (ws == NULL) return NULL;
    ws->n        = n;
    size_t m     = n ? n : 1;
    ws->r        = malloc(m * sizeof *ws->r);
    ws->J        = malloc(m * FIT_MAX_THETA * sizeof *ws->J);
    ws->Jfull    = malloc(m * FIT_MAX_THETA * sizeof *ws->Jfull);
    ws->svd_a    = gsl_matrix_alloc(m < FIT_MAX_THETA ? FIT_MAX_THETA : m, FIT_MAX_THETA);
    ws->svd_v    = gsl_matrix_alloc(FIT_MAX_THETA, FIT_MAX_THETA);
    ws->svd_s    = gsl_vector_alloc(FIT_MAX_THETA);
    ws->svd_work = gsl_vector_alloc(FIT_MAX_THETA);
    ws->lx1      = malloc(m * sizeof *ws->lx1);
    ws->lx2      = malloc(m * sizeof *ws->lx2);
    ws->lx3      = malloc(m * sizeof *ws->lx3);
    ws->y        = malloc(m * sizeof *ws->y);
    ws->ly       = malloc(m * sizeof *ws->ly);
    ws->w        = malloc(m * sizeof *ws->w);
    ws->row_s    = malloc(m * sizeof *ws->row_s);
    ws->row_t    = malloc(m * sizeof *ws->row_t);
    ws->rng      = gsl_rng_alloc(gsl_rng_mt19937);
    if (!ws->r || !ws->J || !ws->Jfull || !ws->svd_a || !ws->svd_v || !ws->svd_s || !ws->svd_work ||
        !ws->lx1 || !ws->lx2 || !ws->lx3 || !ws->y || !ws->ly || !ws->w || !ws->row_s ||
        !ws->row_t || !ws->rng) {
        fit_workspace_free(ws);
        return NULL;
    }
    return ws;
}

void fit_workspace_free(struct fit_workspace *ws) {
    if (ws == NULL) return;
    for (size_t p = 0; p <= FIT_MAX_THETA; p++)
        if (ws->nl[p]) gsl_multifit_nlinear_free(ws->nl[p]);
    free(ws->r);
    free(ws->J);
    free(ws->Jfull);
    if (ws->svd_a) gsl_matrix_free(ws->svd_a);
    if (ws->svd_v) gsl_matrix_free(ws->svd_v);
    if (ws->svd_s) gsl_vector_free(ws->svd_s);
    if (ws->svd_work) gsl_vector_free(ws->svd_work);
    free(ws->lx1);
    free(ws->lx2);
    free(ws->lx3);
    free(ws->y);
    free(ws->ly);
    free(ws->w);
    free(ws->cells);
    free(ws->tab);
    free(ws->row_s);
    free(ws->row_t);
    if (ws->rng) gsl_rng_free(ws->rng);
    free(ws);
}

/* The GSL workspace for n points and p parameters, made on first use (again only when a
 * problem of another size arrives, as the frontier's resampled envelopes do). */
static gsl_multifit_nlinear_workspace *fit_nl_get_impl(struct fit_workspace *ws, size_t n,
                                                       size_t p) {
    SF_ASSERT(p >= 1 && p <= FIT_MAX_THETA);
    if (ws->nl[p] != NULL && ws->nl_n[p] == n) return ws->nl[p];
    if (ws->nl[p] != NULL) gsl_multifit_nlinear_free(ws->nl[p]);
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    fp.trs                             = gsl_multifit_nlinear_trs_lm;
    fp.scale                           = gsl_multifit_nlinear_scale_more;
    fp.solver                          = gsl_multifit_nlinear_solver_qr;
    ws->nl[p]   = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, p);
    ws->nl_n[p] = n;
    return ws->nl[p];
}

// ---- the generic polish ----

/* What the GSL callbacks need: the residual function, weights, loss and scratch. */
struct fit_polish_ctx {
    const struct fit_residual_fn *rf;
    const double                 *w;
    enum fit_loss                 loss;
    double                        delta;
    double                       *r, *J; /* scratch (n), (n x p) */
    bool                          bad;   /* a residual was not finite */
    struct fit_workspace         *ws;    /* SVD scratch */
};

static int fit_gsl_f_impl(const gsl_vector *x, void *params, gsl_vector *f) {
    struct fit_polish_ctx *c = params;
    const size_t           n = c->rf->n;
    if (!c->rf->fn(x->data, c->r, NULL, c->rf->ctx)) {
        c->bad = true;
        return GSL_EDOM;
    }
    for (size_t i = 0; i < n; i++) {
        double sw = sqrt(c->w ? c->w[i] : 1.0);
        double v  = c->loss == FIT_LOSS_HUBER ? fit_huber_psi(c->r[i], c->delta, NULL) : c->r[i];
        gsl_vector_set(f, i, sw * v);
        if (!isfinite(sw * v)) {
            c->bad = true;
            return GSL_EDOM;
        }
    }
    return GSL_SUCCESS;
}

static int fit_gsl_df_impl(const gsl_vector *x, void *params, gsl_matrix *Jm) {
    struct fit_polish_ctx *c = params;
    const size_t           n = c->rf->n, p = c->rf->p;
    if (!c->rf->fn(x->data, c->r, c->J, c->rf->ctx)) {
        c->bad = true;
        return GSL_EDOM;
    }
    for (size_t i = 0; i < n; i++) {
        double sw = sqrt(c->w ? c->w[i] : 1.0), d = 1;
        if (c->loss == FIT_LOSS_HUBER) fit_huber_psi(c->r[i], c->delta, &d);
        for (size_t j = 0; j < p; j++)
            gsl_matrix_set(Jm, i, j, sw * d * c->J[i * p + j]);
    }
    return GSL_SUCCESS;
}

/* The objective, its gradient norm and the stationarity measure at theta: the gradient's norm
 * relative to ||J_ψ||·||ψ||, the cosine-type criterion that does not depend on scale. Also
 * whether the scaled Jacobian has full column rank (parameters determined by the data). */
static bool fit_stationarity_impl(struct fit_polish_ctx *c, const double *theta,
                                  const struct fit_parameters *prm, double *obj, double *gnorm,
                                  double *rel, bool *full_rank) {
    const size_t n = c->rf->n, p = c->rf->p;
    if (!c->rf->fn(theta, c->r, c->J, c->rf->ctx)) return false;
    double g[FIT_MAX_THETA] = {0}, fnorm2 = 0, jnorm2 = 0, o = 0;
    double colnorm[FIT_MAX_THETA] = {0};
    for (size_t i = 0; i < n; i++) {
        double wi = c->w ? c->w[i] : 1.0, d = 1;
        double psi = c->loss == FIT_LOSS_HUBER ? fit_huber_psi(c->r[i], c->delta, &d) : c->r[i];
        o += wi * fit_rho(c->loss, c->r[i], c->delta);
        double fi = sqrt(wi) * psi;
        fnorm2 += fi * fi;
        for (size_t j = 0; j < p; j++) {
            double Jij = sqrt(wi) * d * c->J[i * p + j];
            g[j] += Jij * fi;
            jnorm2 += Jij * Jij;
            colnorm[j] += Jij * Jij;
        }
    }
    /* The objective is Σψ²/2 for Huber and Σr² for squares: scale the gradient to match. */
    double factor = c->loss == FIT_LOSS_HUBER ? 1.0 : 2.0, gn = 0;
    for (size_t j = 0; j < p; j++)
        gn += g[j] * g[j];
    gn     = factor * sqrt(gn);
    *obj   = o;
    *gnorm = gn;
    /* An exact fit has residuals at rounding level: measure against a floor, not zero. */
    double denom = factor * sqrt(jnorm2) * fmax(sqrt(fnorm2), prm->residual_floor);
    *rel         = denom > 0 ? gn / denom : 0;
    /* Rank: smallest singular value of the column-scaled Jacobian, relative to the largest. */
    *full_rank = true;
    if (n >= p) {
        gsl_matrix_view A    = gsl_matrix_submatrix(c->ws->svd_a, 0, 0, n, p);
        gsl_matrix_view V    = gsl_matrix_submatrix(c->ws->svd_v, 0, 0, p, p);
        gsl_vector_view S    = gsl_vector_subvector(c->ws->svd_s, 0, p);
        gsl_vector_view work = gsl_vector_subvector(c->ws->svd_work, 0, p);
        for (size_t i = 0; i < n; i++) {
            double wi = c->w ? c->w[i] : 1.0, d = 1;
            if (c->loss == FIT_LOSS_HUBER) fit_huber_psi(c->r[i], c->delta, &d);
            for (size_t j = 0; j < p; j++) {
                double cn = sqrt(colnorm[j]);
                gsl_matrix_set(&A.matrix, i, j, cn > 0 ? sqrt(wi) * d * c->J[i * p + j] / cn : 0);
            }
        }
        if (gsl_linalg_SV_decomp(&A.matrix, &V.matrix, &S.vector, &work.vector) == GSL_SUCCESS) {
            double smax = gsl_vector_get(&S.vector, 0), smin = gsl_vector_get(&S.vector, p - 1);
            if (!(smax > 0) || smin < prm->rank_tol * smax) *full_rank = false;
        }
    }
    return true;
}

/* Objective Σ w h_δ(r) at theta, or INFINITY when a residual is not finite. Fills c->r. */
static double fit_huber_objective_impl(struct fit_polish_ctx *c, const double *theta, double *J) {
    if (!c->rf->fn(theta, c->r, J, c->rf->ctx)) return INFINITY;
    double o = 0;
    for (size_t i = 0; i < c->rf->n; i++)
        o += (c->w ? c->w[i] : 1.0) * fit_rho(FIT_LOSS_HUBER, c->r[i], c->delta);
    return isfinite(o) ? o : INFINITY;
}

/* Newton refinement of a Huber fit on its inlier/outlier partition. The ψ transform makes GSL's
 * Gauss-Newton model give outliers a curvature they do not have (the IRLS weight δ/|r|), so the
 * trust region converges only linearly near the optimum and can stall at the iteration limit.
 * For a fixed partition the objective is ½Σ_in w r² + δ Σ_out w |r| - const, whose gradient is
 * Σ_in w r ∇r + δ Σ_out w sign(r) ∇r and whose Gauss-Newton Hessian is Σ_in w ∇r ∇rᵀ: steps on
 * that model, damped Levenberg-style and accepted only when the true objective falls, converge
 * quadratically once the partition settles. Updates x in place; returns the iterations used. */
/* The Newton refinement's damping: the first damping (relative to the largest diagonal entry),
 * how it grows on a rejected step and shrinks on an accepted one, the tries per iteration, and
 * how much tighter than stationary_tol its own stop is (the cosine test below must then hold). */
static const double fit_newton_mu_first = 1e-8, fit_newton_mu_up = 4, fit_newton_mu_down = 8;
static const size_t fit_newton_tries   = 30;
static const double fit_newton_tighter = 1e-3;

static size_t fit_huber_newton_impl(struct fit_polish_ctx *c, double *x,
                                    const struct fit_parameters *prm) {
    const size_t n = c->rf->n, p = c->rf->p;
    double       obj = fit_huber_objective_impl(c, x, c->J);
    if (!isfinite(obj)) return 0;
    double mu = 0;
    size_t it = 0;
    for (; it < prm->max_iter; it++) {
        double g[FIT_MAX_THETA] = {0}, H[FIT_MAX_THETA * FIT_MAX_THETA] = {0};
        for (size_t i = 0; i < n; i++) {
            double wi = c->w ? c->w[i] : 1.0, r = c->r[i];
            bool   in = fabs(r) <= c->delta;
            double s  = in ? r : (r < 0 ? -c->delta : c->delta);
            for (size_t a = 0; a < p; a++) {
                g[a] += wi * s * c->J[i * p + a];
                if (!in) continue;
                for (size_t b = 0; b < p; b++)
                    H[a * p + b] += wi * c->J[i * p + a] * c->J[i * p + b];
            }
        }
        double hmax = 0;
        for (size_t a = 0; a < p; a++)
            hmax = fmax(hmax, H[a * p + a]);
        if (!(hmax > 0)) break;
        bool moved = false;
        for (size_t tries = 0; tries < fit_newton_tries && !moved; tries++) {
            double A[FIT_MAX_THETA * FIT_MAX_THETA], step[FIT_MAX_THETA], xn[FIT_MAX_THETA];
            for (size_t a = 0; a < p * p; a++)
                A[a] = H[a];
            /* Damping keeps A positive definite when few points are inliers. */
            for (size_t a = 0; a < p; a++)
                A[a * p + a] += mu * hmax + prm->rank_tol * hmax;
            gsl_matrix_view Av = gsl_matrix_view_array(A, p, p);
            gsl_vector_view gv = gsl_vector_view_array(g, p), sv = gsl_vector_view_array(step, p);
            if (gsl_linalg_cholesky_decomp1(&Av.matrix) != GSL_SUCCESS ||
                gsl_linalg_cholesky_solve(&Av.matrix, &gv.vector, &sv.vector) != GSL_SUCCESS) {
                mu = mu > 0 ? fit_newton_mu_up * mu : fit_newton_mu_first;
                continue;
            }
            for (size_t a = 0; a < p; a++)
                xn[a] = x[a] - step[a];
            double on = fit_huber_objective_impl(c, xn, NULL);
            if (on < obj) {
                memcpy(x, xn, p * sizeof *x);
                obj   = fit_huber_objective_impl(c, x, c->J);
                mu    = mu / fit_newton_mu_down;
                moved = true;
            } else {
                mu = mu > 0 ? fit_newton_mu_up * mu : fit_newton_mu_first;
            }
        }
        if (!moved) break;
        /* Stop once the gradient is negligible against the scale of the problem. */
        double gn = 0, jn = 0, fn = 0;
        for (size_t a = 0; a < p; a++)
            gn += g[a] * g[a];
        for (size_t i = 0; i < n; i++) {
            double wi = c->w ? c->w[i] : 1.0, psi = fit_huber_psi(c->r[i], c->delta, NULL);
            fn += wi * psi * psi;
            for (size_t a = 0; a < p; a++)
                jn += wi * c->J[i * p + a] * c->J[i * p + a];
        }
        if (sqrt(gn) <= fit_newton_tighter * prm->stationary_tol * sqrt(jn) *
                            fmax(sqrt(fn), prm->residual_floor))
            break;
    }
    return it;
}

enum sf_status fit_polish_generic(const struct fit_residual_fn *rf, const double *w,
                                  enum fit_loss loss, double delta, const double *theta0,
                                  const struct fit_parameters *prm, struct fit_workspace *ws,
                                  struct fit_polish_out *out, struct sf_error *err) {
    const size_t n = rf->n, p = rf->p;
    SF_ASSERT(n <= ws->n && p >= 1 && p <= FIT_MAX_THETA);
    memset(out, 0, sizeof *out);
    gsl_multifit_nlinear_workspace *nl = fit_nl_get_impl(ws, n, p);
    if (nl == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory allocating the least-squares solver");
    struct fit_polish_ctx    ctx = {rf, w, loss, delta, ws->r, ws->J, false, ws};
    gsl_multifit_nlinear_fdf fdf;
    memset(&fdf, 0, sizeof fdf);
    fdf.f      = fit_gsl_f_impl;
    fdf.df     = fit_gsl_df_impl;
    fdf.n      = n;
    fdf.p      = p;
    fdf.params = &ctx;
    double x[FIT_MAX_THETA];
    memcpy(x, theta0, p * sizeof *x);
    double obj = INFINITY, gnorm = INFINITY, rel = INFINITY;
    bool   full_rank = false, stationary = false;
    int    status = GSL_SUCCESS, info = 0;
    for (size_t attempt = 0; attempt <= prm->max_restarts; attempt++) {
        gsl_vector_view xv = gsl_vector_view_array(x, p);
        ctx.bad            = false;
        status             = gsl_multifit_nlinear_init(&xv.vector, &fdf, nl);
        if (status != GSL_SUCCESS) break;
        /* Huber fits hand over to the partition Newton below once the trust region slows. */
        size_t iter = 0, limit = loss == FIT_LOSS_HUBER ? prm->huber_switch_iter : prm->max_iter;
        for (; iter < limit; iter++) {
            status = gsl_multifit_nlinear_iterate(nl);
            if (status != GSL_SUCCESS) break;
            status = gsl_multifit_nlinear_test(prm->xtol, prm->gtol, prm->ftol, &info, nl);
            if (status == GSL_SUCCESS) break;
            if (status != GSL_CONTINUE) break;
        }
        if (iter == limit) status = GSL_EMAXITER;
        out->iterations += iter < limit ? iter + 1 : iter;
        out->nevalf += fdf.nevalf;
        fdf.nevalf               = 0;
        fdf.nevaldf              = 0;
        const gsl_vector *xs     = gsl_multifit_nlinear_position(nl);
        bool              finite = true;
        for (size_t j = 0; j < p; j++)
            finite = finite && isfinite(gsl_vector_get(xs, j));
        if (!finite) break;
        memcpy(x, xs->data, p * sizeof *x);
        if (!fit_stationarity_impl(&ctx, x, prm, &obj, &gnorm, &rel, &full_rank)) break;
        stationary = rel <= prm->stationary_tol || gnorm == 0;
        if (!stationary && loss == FIT_LOSS_HUBER) {
            out->iterations += fit_huber_newton_impl(&ctx, x, prm);
            if (!fit_stationarity_impl(&ctx, x, prm, &obj, &gnorm, &rel, &full_rank)) break;
            stationary = rel <= prm->stationary_tol || gnorm == 0;
            if (stationary) status = GSL_SUCCESS;
        }
        if (stationary || status == GSL_EMAXITER) break;
        /* Stopped short (small step or no progress): start the trust region afresh. */
    }
    memcpy(out->theta, x, p * sizeof *x);
    out->objective     = obj;
    out->gradient_norm = gnorm;
    out->gsl_status    = status;
    out->info          = info;
    out->converged     = isfinite(obj) && stationary && full_rank;
    if (!isfinite(obj))
        snprintf(out->status, sizeof out->status, "non-finite objective");
    else if (out->converged)
        snprintf(out->status, sizeof out->status, "success");
    else if (!full_rank)
        snprintf(out->status, sizeof out->status, "parameters not determined (singular Jacobian)");
    else if (status == GSL_EMAXITER)
        snprintf(out->status, sizeof out->status, "iteration limit reached");
    else
        snprintf(out->status, sizeof out->status, "not stationary (%s)", gsl_strerror(status));
    return SF_OK;
}

// ---- the law polish ----

/* The law problem restricted to its active parameters, as a residual function. */
static bool fit_law_rf_impl(const double *theta, double *r, double *J, void *vctx) {
    struct fit_law_rf *c  = vctx;
    const size_t       nt = c->pb->law->n_theta;
    double             full[FIT_MAX_THETA];
    memcpy(full, c->fixed, nt * sizeof *full);
    for (size_t j = 0; j < c->p; j++)
        full[c->map[j]] = theta[j];
    if (!fit_problem_residuals(c->pb, full, c->active, r, J ? c->Jfull : NULL)) return false;
    if (J) {
        for (size_t i = 0; i < c->pb->n; i++)
            for (size_t j = 0; j < c->p; j++)
                J[i * c->p + j] = c->Jfull[i * nt + c->map[j]];
    }
    return true;
}

void fit_law_rf_init(struct fit_law_rf *ctx, struct fit_residual_fn *rf,
                     const struct fit_problem *pb, const bool *active, const double *fixed,
                     double *Jfull) {
    memset(ctx, 0, sizeof *ctx);
    ctx->pb     = pb;
    ctx->active = active;
    ctx->fixed  = fixed;
    ctx->Jfull  = Jfull;
    for (size_t j = 0; j < pb->law->n_theta; j++)
        if (active[j] && !pb->fixed[j]) ctx->map[ctx->p++] = j;
    rf->n   = pb->n;
    rf->p   = ctx->p;
    rf->fn  = fit_law_rf_impl;
    rf->ctx = ctx;
}

/* Index of a coefficient whose term has fallen below the bound threshold, or -1. */
static int fit_fallen_coef_impl(const struct fit_problem *pb, const double *th, const bool *act,
                                double threshold) {
    const struct fit_law_desc *law = pb->law;
    for (size_t j = 0; j < law->n_theta; j++) {
        if (!law->can_bound[j] || !act[j] || pb->fixed[j]) continue;
        /* The term's largest value over the points, in logs. */
        double big = -INFINITY;
        for (size_t i = 0; i < pb->n; i++) {
            double v = th[j];
            if (law->term_exp[j] >= 0)
                v -= th[law->term_exp[j]] * (law->term_var[j] == 1 ? pb->lx1[i] : pb->lx2[i]);
            if (v > big) big = v;
        }
        if (big < threshold) return (int)j;
    }
    return -1;
}

/* A term whose exponent leaves its range is not a scaling term: at the bottom (exp_min, 0 by
 * default) it is flat or rising and merely trades against the constant; far above the search
 * range (exp_polish_max) it vanishes everywhere but at the smallest point, which it then fits
 * alone. Its coefficient goes to its bound. The law's flat_term returns the coefficient's theta
 * index, FIT_TERM_INVALID when the law's only reducible term left its range (power+const,
 * frontier) or an exponent of kaplan-nd is not positive, or -1 (power may fall or rise). */
static int fit_flat_term_impl(const struct fit_law_desc *law, const double *th, const bool *active,
                              const struct fit_parameters *prm) {
    return law->form->flat_term ? law->form->flat_term(th, active, prm) : -1;
}

enum sf_status fit_polish_law(const struct fit_problem *pb, const struct fit_candidate *start,
                              const struct fit_parameters *prm, struct fit_workspace *ws,
                              struct fit_polish_out *out, struct sf_error *err) {
    const struct fit_law_desc *law = pb->law;
    const size_t               nt  = law->n_theta;
    double                     theta[FIT_MAX_THETA];
    bool                       active[FIT_MAX_THETA];
    memcpy(theta, start->theta, sizeof theta);
    memcpy(active, start->active, sizeof active);
    fit_problem_fix_start(pb, theta, active);
    double min_ly = INFINITY;
    for (size_t i = 0; i < pb->n; i++)
        if (pb->ly[i] < min_ly) min_ly = pb->ly[i];
    const double threshold  = min_ly - prm->bound_log_drop;
    size_t       total_iter = 0, total_eval = 0;
    for (size_t round = 0; round <= nt; round++) {
        struct fit_law_rf      c;
        struct fit_residual_fn rf;
        fit_law_rf_init(&c, &rf, pb, active, theta, ws->Jfull);
        if (c.p == 0) SF_FAIL(err, SF_ERUNTIME, "no free parameter left to fit");
        double x0[FIT_MAX_THETA];
        for (size_t j = 0; j < c.p; j++)
            x0[j] = theta[c.map[j]];
        enum sf_status st =
            fit_polish_generic(&rf, pb->w, pb->loss, pb->delta, x0, prm, ws, out, err);
        if (st != SF_OK) return st;
        total_iter += out->iterations;
        total_eval += out->nevalf;
        double x[FIT_MAX_THETA];
        memcpy(x, out->theta, c.p * sizeof *x);
        for (size_t j = 0; j < c.p; j++)
            theta[c.map[j]] = x[j];
        int fallen = fit_fallen_coef_impl(pb, theta, active, threshold);
        if (fallen < 0) fallen = fit_flat_term_impl(law, theta, active, prm);
        if (fallen == FIT_TERM_INVALID) {
            /* The only reducible term went flat: this start does not give the law. */
            out->objective = INFINITY;
            out->converged = false;
            snprintf(out->status, sizeof out->status, "exponent out of range: no reducible term");
            break;
        }
        if (fallen < 0) break;
        /* Hold the coefficient at 0 (with its exponent) and polish the rest again. */
        active[fallen] = false;
        if (law->term_exp[fallen] >= 0) active[law->term_exp[fallen]] = false;
    }
    memcpy(out->theta, theta, sizeof theta);
    memcpy(out->active, active, sizeof active);
    out->iterations = total_iter;
    out->nevalf     = total_eval;
    return SF_OK;
}

// ---- the full point estimate ----

static void fit_stage_polish_impl(struct fit_stage *s, size_t start,
                                  const struct fit_polish_out *o) {
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "polish");
    s->start      = start;
    s->gsl_status = o->gsl_status;
    snprintf(s->status, sizeof s->status, "%s", o->status);
    s->info       = o->info;
    s->iterations = o->iterations;
    s->nevalf     = o->nevalf;
    s->objective  = o->objective;
    s->converged  = o->converged;
}

enum sf_status fit_estimate_point(const struct fit_problem *pb, const struct fit_parameters *prm,
                                  struct fit_workspace *ws, struct fit_polish_out *best,
                                  struct fit_stage *stages, size_t *n_stages,
                                  struct sf_error *err) {
    size_t         evaluated = 0;
    enum sf_status st        = fit_search(pb, prm, ws, &evaluated, err);
    if (stages && *n_stages < FIT_MAX_STAGES) {
        struct fit_stage *s = &stages[(*n_stages)++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "grid");
        s->points    = evaluated;
        s->objective = st == SF_OK ? ws->cells[0].objective : INFINITY;
        s->converged = st == SF_OK;
        snprintf(s->status, sizeof s->status, "%s", st == SF_OK ? "success" : "no candidate");
    }
    if (st != SF_OK) return st;
    size_t pick[FIT_MAX_POLISH_STARTS];
    /* A law with a search of its own has more nonlinear parameters than the grid's two: three
     * times the starts. */
    size_t want = prm->polish_starts * (pb->law->form->search ? 3 : 1);
    size_t max  = want < FIT_MAX_POLISH_STARTS ? want : FIT_MAX_POLISH_STARTS;
    size_t n    = fit_search_pick(pb, prm, ws, pick, max);
    /* The polish overwrites nothing in ws->cells, but copy the starts first anyway: the
     * candidates are small and the copy keeps the loop independent of the cell buffer. */
    struct fit_candidate starts[FIT_MAX_POLISH_STARTS];
    for (size_t k = 0; k < n; k++)
        starts[k] = ws->cells[pick[k]];
    bool have = false;
    for (size_t k = 0; k < n; k++) {
        struct fit_polish_out o;
        st = fit_polish_law(pb, &starts[k], prm, ws, &o, err);
        if (st != SF_OK) return st;
        if (stages && *n_stages < FIT_MAX_STAGES)
            fit_stage_polish_impl(&stages[(*n_stages)++], k + 1, &o);
        if (!isfinite(o.objective)) continue;
        if (!have || o.objective < best->objective) {
            *best = o;
            have  = true;
        }
    }
    if (!have) SF_FAIL(err, SF_ERUNTIME, "every polish of %s failed", pb->law->name);
    return SF_OK;
}
