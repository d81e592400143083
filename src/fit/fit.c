/*
 * fit.c — the fit driver: default parameters, the request, and fit_run(), which builds the
 * problem (for `frontier`: the compute frontier of the learning curves), finds the point
 * estimate (search + polish), forms the covariance, runs the bootstrap in parallel (replicate k
 * seeded from (seed, k), one workspace per thread, each result in its own slot) and hands over
 * to outputs.c for intervals, diagnostics and forecasts. Rows are resampled for laws fitted to
 * a table; the frontier's residuals are, by a wild bootstrap clustered by run (see below).
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"
#include "outputs.h"

struct fit_parameters fit_default_parameters(void) {
    struct fit_parameters p;
    memset(&p, 0, sizeof p);
    p.exp_min           = 0.0; /* Chinchilla's grid spans [0, 2] in steps of 0.5; ours is */
    p.exp_max           = 3.0; /* wider and five times finer, then refined. */
    p.exp_step          = 0.1;
    p.exp_min_signed    = -3.0; /* `power` may rise or fall */
    p.exp_polish_max    = 10.0; /* a term falling 1e10-fold per decade of x is no scaling law */
    p.kaplan_exp_min    = 0.02;
    p.kaplan_exp_max    = 1.0;
    p.kaplan_exp_step   = 0.02;
    p.refine_cells      = 3;
    p.refine_divisions  = 5;
    p.polish_starts     = 5;
    p.max_iter          = 500;
    p.huber_switch_iter = 50;
    p.max_restarts      = 4;
    p.xtol              = 1e-12;
    p.gtol              = 1e-13;
    p.ftol              = 1e-15;
    p.stationary_tol    = 1e-6;
    p.rank_tol          = 1e-10;
    p.residual_floor    = 1e-8;
    p.bound_log_drop    = 30.0; /* a term below e^-30 of the smallest loss is 0 */
    p.fd_step           = 1e-6;
    p.huber_delta       = 1e-3;
    p.huber_delta_chinchilla     = 1e-3; /* Hoffmann et al. 2022 */
    p.level                      = 0.95;
    p.bootstrap                  = 1000;
    p.bootstrap_max_lost         = 0.2;
    p.seed                       = 1;
    p.frontier_points_per_decade = 16;
    p.hull_collinear_tol         = 1e-9;
    p.curve_points               = 200;
    p.span_warn                  = 10; /* a decade */
    p.inseparable_corr           = 0.99;
    return p;
}

void fit_request_init(struct fit_request *req, enum fit_law_kind law) {
    memset(req, 0, sizeof *req);
    req->law    = law;
    req->params = fit_default_parameters();
    req->space  = FIT_SPACE_LOG;
    req->loss   = fit_law_default_loss(law);
    req->delta =
        req->loss == FIT_LOSS_HUBER ? req->params.huber_delta_chinchilla : req->params.huber_delta;
    req->true_entropy = NAN;
}

void fit_data_free(struct fit_data *d) {
    if (d == NULL) return;
    free(d->x1);
    free(d->x2);
    free(d->y);
    free(d->w);
    free(d->line);
    free(d->held_out);
    free(d->run);
    free(d->size);
    for (size_t k = 0; k < d->n_runs; k++)
        free(d->run_names[k]);
    free(d->run_names);
    free(d->x1_name);
    free(d->x2_name);
    free(d->y_name);
    memset(d, 0, sizeof *d);
}

size_t fit_data_n_fit(const struct fit_data *d) {
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += !d->held_out[i];
    return n;
}

// ---- problems ----

/* Fills the problem arrays (owned by `st`) from the fitted points of `d`. */
static enum sf_status fit_problem_from_data_impl(const struct fit_data *d, struct fit_state *st,
                                                 struct sf_error *err) {
    size_t n = fit_data_n_fit(d), m = 0;
    st->n   = n;
    st->lx1 = malloc((n ? n : 1) * sizeof(double));
    st->lx2 = d->x2 ? malloc((n ? n : 1) * sizeof(double)) : NULL;
    st->y   = malloc((n ? n : 1) * sizeof(double));
    st->ly  = malloc((n ? n : 1) * sizeof(double));
    st->w   = malloc((n ? n : 1) * sizeof(double));
    if (!st->lx1 || (d->x2 && !st->lx2) || !st->y || !st->ly || !st->w)
        SF_FAIL(err, SF_ENOMEM, "out of memory preparing the fit");
    for (size_t i = 0; i < d->n; i++) {
        if (d->held_out[i]) continue;
        st->lx1[m] = log(d->x1[i]);
        if (d->x2) st->lx2[m] = log(d->x2[i]);
        st->y[m]  = d->y[i];
        st->ly[m] = log(d->y[i]);
        st->w[m]  = d->w[i];
        m++;
    }
    return SF_OK;
}

static void fit_problem_set_impl(struct fit_problem *pb, const struct fit_law_desc *law, size_t n,
                                 const double *lx1, const double *lx2, const double *y,
                                 const double *ly, const double *w, const struct fit_request *req) {
    pb->law   = law;
    pb->n     = n;
    pb->lx1   = lx1;
    pb->lx2   = lx2;
    pb->y     = y;
    pb->ly    = ly;
    pb->w     = w;
    pb->space = req->space;
    pb->loss  = req->loss;
    pb->delta = req->delta;
}

/* The optimal-size problem of the frontier: ln N against ln C at the hull vertices whose run
 * has a known size; least squares in log space. Writes into the given arrays (capacity n_hull)
 * and returns the number of points. */
static size_t fit_nopt_points_impl(const double *env_c, const size_t *env_run, const size_t *hull,
                                   size_t n_hull, const double *run_size, double *lx, double *y,
                                   double *ly, double *w, size_t *run) {
    size_t m = 0;
    for (size_t h = 0; h < n_hull; h++) {
        double size = run_size[env_run[hull[h]]];
        if (!(size > 0)) continue;
        run[m] = env_run[hull[h]];
        lx[m]  = log(env_c[hull[h]]);
        y[m]  = size;
        ly[m] = log(size);
        w[m]  = 1;
        m++;
    }
    return m;
}

/* Fits the optimal-size power law; false when there are too few points or it fails. */
static bool fit_nopt_impl(size_t n, const double *lx, const double *y, const double *ly,
                          const double *w, const struct fit_parameters *prm,
                          const struct fit_law_desc *law, struct fit_workspace *ws, double *theta,
                          double *cov, double *objective) {
    if (n < 3) return false;
    struct fit_request req;
    fit_request_init(&req, fit_law_kind_of(law));
    struct fit_problem pb;
    fit_problem_set_impl(&pb, law, n, lx, NULL, y, ly, w, &req);
    struct fit_polish_out best;
    struct sf_error       e;
    if (fit_estimate_point(&pb, prm, ws, &best, NULL, NULL, &e) != SF_OK) return false;
    if (!best.converged) return false;
    theta[0]   = best.theta[0];
    theta[1]   = best.theta[1];
    *objective = best.objective;
    if (cov != NULL) {
        double full[FIT_MAX_THETA * FIT_MAX_THETA];
        char   method[160];
        if (fit_covariance(&pb, &best, ws, full, method, sizeof method)) {
            cov[0] = full[0];
            cov[1] = full[1];
            cov[2] = full[FIT_MAX_THETA];
            cov[3] = full[FIT_MAX_THETA + 1];
        } else {
            cov[0] = cov[1] = cov[2] = cov[3] = NAN;
        }
    }
    return true;
}

/* The points L(C) is fitted to: every frontier point before its flat tail, or with
 * frontier_hull only the vertices of its lower convex hull (the compute-optimal points, which
 * annealed learning curves make a jagged frontier around). Writes ln C, L, ln L, unit weights
 * and each point's owner run; returns the count. */
static size_t fit_frontier_points_impl(const struct fit_request *req, const struct fit_frontier *fr,
                                       double *lx, double *y, double *ly, double *w,
                                       size_t *run) {
    size_t n = req->frontier_hull ? fr->n_hull : fr->n_front;
    for (size_t k = 0; k < n; k++) {
        size_t i = req->frontier_hull ? fr->hull[k] : k;
        lx[k]    = log(fr->env_c[i]);
        y[k]     = fr->env_l[i];
        ly[k]    = log(fr->env_l[i]);
        w[k]     = 1;
        run[k]   = fr->env_run[i];
    }
    return n;
}

// ---- bootstrap ----

/* Classification of a replicate. */
enum fit_rep_status { FIT_REP_STATUS_OK, FIT_REP_STATUS_FAILED, FIT_REP_STATUS_DEGENERATE };

/* gsl_rng seeds take an unsigned long; mt19937 uses its low 32 bits, so fold the 64. */
static unsigned long fit_rng_seed_impl(uint64_t seed, uint64_t k) {
    uint64_t s = sf_seed_derive(seed, k);
    return (unsigned long)((s ^ (s >> 32)) & 0xffffffffu);
}

/* Webb's (2013) six-point weights: mean 0, variance 1, symmetric. With the few clusters of a
 * frontier (one per run owning fitted points) they give 6^G distinct replicates where
 * Rademacher's two points give 2^G. */
static const double fit_webb_weight[6] = {-1.224744871391589, -1.0, -0.7071067811865476,
                                          0.7071067811865476, 1.0,  1.224744871391589};

/* Everything one replicate needs that is shared read-only between threads. */
struct fit_boot_shared {
    const struct fit_result *r;
    const struct fit_state  *st;
    bool                     curves; /* frontier: the residual bootstrap */
};

/* Per-thread buffers. */
struct fit_boot_local {
    struct fit_workspace *ws, *ws_nopt;
    double               *weight;           /* (n_runs) a replicate's weight per run */
    double               *ny, *nly, *nw;    /* (nopt_n) */
};

static void fit_boot_local_free_impl(struct fit_boot_local *b) {
    fit_workspace_free(b->ws);
    fit_workspace_free(b->ws_nopt);
    free(b->weight);
    free(b->ny);
    free(b->nly);
    free(b->nw);
}

static bool fit_boot_local_alloc_impl(const struct fit_boot_shared *sh, struct fit_boot_local *b) {
    memset(b, 0, sizeof *b);
    const struct fit_state *st = sh->st;
    b->ws                      = fit_workspace_alloc(st->n);
    if (!sh->curves) return b->ws != NULL;
    size_t m   = st->nopt_n ? st->nopt_n : 1;
    b->ws_nopt = fit_workspace_alloc(m);
    b->weight  = malloc((st->n_runs ? st->n_runs : 1) * sizeof *b->weight);
    b->ny      = malloc(m * sizeof *b->ny);
    b->nly     = malloc(m * sizeof *b->nly);
    b->nw      = malloc(m * sizeof *b->nw);
    return b->ws && b->ws_nopt && b->weight && b->ny && b->nly && b->nw;
}

/* The frontier's replicate: a wild bootstrap of the fitted points' log residuals, clustered by
 * the run that owns each point. Resampling runs (dropping some) can only raise the running
 * minimum, so its intervals were one-sided by construction; here replicate k keeps the points
 * where they are and moves each by its own residual times one weight per run (Webb's, mean 0,
 * variance 1), drawn from the replicate's seed in run order: ln L*_i = ln L-hat_i + w_run(i)
 * r_i. A run's points (the grid points it owns, its corners) move together, as their errors
 * are one curve's; the sign of every move is as likely as its opposite, so the intervals are
 * two-sided. The residuals are scaled by sqrt(n/(n-p)) for the parameters the fit absorbed.
 * The optimal-size law is refitted the same way, with the same weights, to ln N at the hull
 * points. Writes the L(C) problem into ws and the optimal-size fit into nopt_out. */
static void fit_boot_curves_impl(const struct fit_state *st, const struct fit_parameters *prm,
                                 struct fit_boot_local *b, double *nopt_out) {
    struct fit_workspace *ws = b->ws;
    for (size_t j = 0; j < st->n_runs; j++)
        b->weight[j] = fit_webb_weight[gsl_rng_uniform_int(ws->rng, 6)];
    for (size_t i = 0; i < st->n; i++) {
        ws->lx1[i] = st->lx1[i];
        ws->ly[i]  = st->pt_hat[i] + b->weight[st->pt_run[i]] * st->pt_res[i];
        ws->y[i]   = exp(ws->ly[i]);
        ws->w[i]   = st->w[i];
    }
    if (!st->nopt_have) return;
    for (size_t i = 0; i < st->nopt_n; i++) {
        b->nly[i] = st->nopt_hat[i] + b->weight[st->nopt_run[i]] * st->nopt_res[i];
        b->ny[i]  = exp(b->nly[i]);
        b->nw[i]  = 1;
    }
    double th[2], obj;
    if (fit_nopt_impl(st->nopt_n, st->nopt_lx, b->ny, b->nly, b->nw, prm, st->law->nopt_law,
                      b->ws_nopt, th, NULL, &obj)) {
        nopt_out[0] = th[0];
        nopt_out[1] = th[1];
    }
}

/* One replicate: resample, fit, classify. Writes only its own slots. */
static void fit_boot_one_impl(const struct fit_boot_shared *sh, struct fit_boot_local *b, size_t k,
                              double *theta_out, bool *active_out, double *nopt_out,
                              unsigned char *status_out) {
    const struct fit_result     *r   = sh->r;
    const struct fit_state      *st  = sh->st;
    const struct fit_parameters *prm = &r->req.params;
    struct fit_workspace        *ws  = b->ws;
    gsl_rng_set(ws->rng, fit_rng_seed_impl(prm->seed, k));
    struct fit_problem pb;
    nopt_out[0] = nopt_out[1] = NAN;
    if (!sh->curves) {
        for (size_t i = 0; i < st->n; i++) {
            size_t j   = (size_t)gsl_rng_uniform_int(ws->rng, st->n);
            ws->lx1[i] = st->lx1[j];
            if (st->lx2) ws->lx2[i] = st->lx2[j];
            ws->y[i]  = st->y[j];
            ws->ly[i] = st->ly[j];
            ws->w[i]  = st->w[j];
        }
        fit_problem_set_impl(&pb, st->law, st->n, ws->lx1, st->lx2 ? ws->lx2 : NULL, ws->y, ws->ly,
                             ws->w, &r->req);
    } else {
        fit_boot_curves_impl(st, prm, b, nopt_out);
        fit_problem_set_impl(&pb, st->law, st->n, ws->lx1, NULL, ws->y, ws->ly, ws->w, &r->req);
    }
    struct fit_polish_out out;
    struct sf_error       e;
    if (fit_estimate_point(&pb, prm, ws, &out, NULL, NULL, &e) != SF_OK || !out.converged) {
        *status_out = FIT_REP_STATUS_FAILED;
        return;
    }
    memcpy(theta_out, out.theta, FIT_MAX_THETA * sizeof *theta_out);
    memcpy(active_out, out.active, FIT_MAX_THETA * sizeof *active_out);
    bool same = true;
    for (size_t j = 0; j < st->law->n_theta; j++)
        same = same && out.active[j] == st->active[j];
    /* A replicate whose optimal-size fit fails still counts for L(C): the N_opt quantities skip
     * its missing values on their own. */
    *status_out = same ? FIT_REP_STATUS_OK : FIT_REP_STATUS_DEGENERATE;
}

static enum sf_status fit_bootstrap_impl(struct fit_result *r, struct sf_error *err) {
    struct fit_state *st     = r->state;
    const size_t      B      = r->req.params.bootstrap;
    double           *theta  = malloc(B * FIT_MAX_THETA * sizeof *theta);
    bool             *active = malloc(B * FIT_MAX_THETA * sizeof *active);
    double           *nopt   = malloc(B * 2 * sizeof *nopt);
    unsigned char    *status = malloc(B);
    if (!theta || !active || !nopt || !status) {
        free(theta), free(active), free(nopt), free(status);
        SF_FAIL(err, SF_ENOMEM, "out of memory for %zu bootstrap replicates", B);
    }
    struct fit_boot_shared sh    = {r, st, st->law->curves};
    bool                   nomem = false;
#pragma omp parallel
    {
        struct fit_boot_local b;
        bool                  ok = fit_boot_local_alloc_impl(&sh, &b);
        if (!ok) {
#pragma omp critical
            nomem = true;
        }
#pragma omp for schedule(dynamic)
        for (size_t k = 0; k < B; k++) {
            if (!ok) {
                status[k] = FIT_REP_STATUS_FAILED;
                continue;
            }
            fit_boot_one_impl(&sh, &b, k, theta + k * FIT_MAX_THETA, active + k * FIT_MAX_THETA,
                              nopt + 2 * k, &status[k]);
        }
        fit_boot_local_free_impl(&b);
    }
    if (nomem) {
        free(theta), free(active), free(nopt), free(status);
        SF_FAIL(err, SF_ENOMEM, "out of memory for the bootstrap workspaces");
    }
    /* Keep the usable replicates, in replicate order. */
    size_t used        = 0;
    r->boot.replicates = B;
    r->boot.seed       = r->req.params.seed;
    for (size_t k = 0; k < B; k++) {
        if (status[k] == FIT_REP_STATUS_FAILED) {
            r->boot.failed++;
            continue;
        }
        if (status[k] == FIT_REP_STATUS_DEGENERATE) {
            r->boot.degenerate++;
            continue;
        }
        memmove(theta + used * FIT_MAX_THETA, theta + k * FIT_MAX_THETA,
                FIT_MAX_THETA * sizeof *theta);
        memmove(active + used * FIT_MAX_THETA, active + k * FIT_MAX_THETA,
                FIT_MAX_THETA * sizeof *active);
        nopt[2 * used]     = nopt[2 * k];
        nopt[2 * used + 1] = nopt[2 * k + 1];
        used++;
    }
    free(status);
    r->boot.used   = used;
    st->n_rep      = used;
    st->rep_theta  = theta;
    st->rep_active = active;
    st->rep_nopt   = nopt;
    return SF_OK;
}

/* Learning curves: the runs, their frontier and its hull (into r->frontier), each run's size,
 * and the problem's points (frontier or hull) with their owners in r->state. `env_cap` is the
 * frontier's capacity. */
static enum sf_status fit_curves_problem_impl(struct fit_result *r, struct fit_runs *runs,
                                              size_t *env_cap, struct sf_error *err) {
    const struct fit_data       *data = r->data;
    const struct fit_parameters *prm  = &r->req.params;
    struct fit_state            *st   = r->state;
    struct fit_frontier         *fr   = &r->frontier;
    enum sf_status               s    = fit_runs_build(data, runs, err);
    if (s != SF_OK) return s;
    const size_t cap = fit_frontier_capacity(runs, prm->frontier_points_per_decade) + 1;
    *env_cap         = cap;
    st->n_runs       = data->n_runs;
    fr->env_c        = malloc(cap * sizeof *fr->env_c);
    fr->env_l        = malloc(cap * sizeof *fr->env_l);
    fr->env_run      = malloc(cap * sizeof *fr->env_run);
    fr->hull         = malloc(cap * sizeof *fr->hull);
    st->run_size     = malloc((data->n_runs ? data->n_runs : 1) * sizeof *st->run_size);
    if (!fr->env_c || !fr->env_l || !fr->env_run || !fr->hull || !st->run_size)
        return SF_SET(err, SF_ENOMEM, "out of memory computing the frontier");
    for (size_t k = 0; k < data->n_runs; k++)
        st->run_size[k] = NAN;
    for (size_t i = 0; i < data->n; i++)
        if (data->size != NULL) st->run_size[data->run[i]] = data->size[i];
    fit_frontier_compute(runs, prm, cap, fr);
    size_t n   = fr->n_front + 1;
    st->lx1    = malloc(n * sizeof *st->lx1);
    st->y      = malloc(n * sizeof *st->y);
    st->ly     = malloc(n * sizeof *st->ly);
    st->w      = malloc(n * sizeof *st->w);
    st->pt_run = malloc(n * sizeof *st->pt_run);
    st->pt_hat = malloc(n * sizeof *st->pt_hat);
    st->pt_res = malloc(n * sizeof *st->pt_res);
    if (!st->lx1 || !st->y || !st->ly || !st->w || !st->pt_run || !st->pt_hat || !st->pt_res)
        return SF_SET(err, SF_ENOMEM, "out of memory computing the frontier");
    st->n = fit_frontier_points_impl(&r->req, fr, st->lx1, st->y, st->ly, st->w, st->pt_run);
    if (st->n < st->law->n_theta + 1)
        return SF_SET(err, SF_EINVAL,
                      "the compute frontier has %zu %s; at least %zu are needed (give learning "
                      "curves with at least two points each, spanning more compute)",
                      st->n, r->req.frontier_hull ? "hull points" : "points", st->law->n_theta + 1);
    return SF_OK;
}

/* Learning curves: the optimal-size law fitted to the sizes of the runs owning the hull; its
 * points stay in r->state for the bootstrap. */
static enum sf_status fit_curves_nopt_impl(struct fit_result *r, size_t env_cap,
                                           struct fit_workspace *ws, struct sf_error *err) {
    struct fit_state    *st = r->state;
    struct fit_frontier *fr = &r->frontier;
    double              *ny = malloc(env_cap * sizeof *ny), *nly = malloc(env_cap * sizeof *nly);
    double              *nw = malloc(env_cap * sizeof *nw);
    st->nopt_lx             = malloc(env_cap * sizeof *st->nopt_lx);
    st->nopt_run            = malloc(env_cap * sizeof *st->nopt_run);
    st->nopt_hat            = malloc(env_cap * sizeof *st->nopt_hat);
    st->nopt_res            = malloc(env_cap * sizeof *st->nopt_res);
    if (!ny || !nly || !nw || !st->nopt_lx || !st->nopt_run || !st->nopt_hat || !st->nopt_res) {
        free(ny), free(nly), free(nw);
        return SF_SET(err, SF_ENOMEM, "out of memory fitting the optimal size");
    }
    size_t m = fit_nopt_points_impl(fr->env_c, fr->env_run, fr->hull, fr->n_hull, st->run_size,
                                    st->nopt_lx, ny, nly, nw, st->nopt_run);
    fr->nopt_points = m;
    st->nopt_n      = m;
    st->nopt_have   = fit_nopt_impl(m, st->nopt_lx, ny, nly, nw, &r->req.params, st->law->nopt_law,
                                    ws, st->nopt_theta, st->nopt_cov, &fr->nopt_objective);
    fr->nopt_fitted = st->nopt_have;
    if (st->nopt_have) {
        /* Two parameters; m >= 3 when fitted. */
        double scale = sqrt((double)m / (double)(m - 2));
        bool   on[2] = {true, true};
        for (size_t i = 0; i < m; i++) {
            st->nopt_hat[i] = fit_law_lnpred(st->law->nopt_law, st->nopt_theta, on,
                                             st->nopt_lx[i], 0, NULL);
            st->nopt_res[i] = scale * (nly[i] - st->nopt_hat[i]);
        }
    }
    free(ny), free(nly), free(nw);
    return SF_OK;
}

/* Learning curves: the fitted ln L at the problem's points and the residuals the bootstrap
 * moves, scaled by sqrt(n/(n-p)) for the active parameters the fit absorbed. */
static void fit_curves_residuals_impl(struct fit_state *st) {
    double dof   = (double)st->n - (double)st->p_active;
    double scale = dof > 0 ? sqrt((double)st->n / dof) : 1;
    for (size_t i = 0; i < st->n; i++) {
        st->pt_hat[i] = fit_law_lnpred(st->law, st->theta, st->active, st->lx1[i], 0, NULL);
        st->pt_res[i] = scale * (st->ly[i] - st->pt_hat[i]);
    }
}

// ---- the driver ----

struct fit_result *fit_run(const struct fit_data *data, const struct fit_request *req,
                           const struct sf_logger *logger, struct sf_error *err) {
    struct fit_result *r  = calloc(1, sizeof *r);
    struct fit_state  *st = calloc(1, sizeof *st);
    struct fit_runs    runs;
    memset(&runs, 0, sizeof runs);
    struct fit_workspace *ws = NULL;
    if (r == NULL || st == NULL) {
        free(r), free(st);
        SF_SET(err, SF_ENOMEM, "out of memory starting a fit");
        return NULL;
    }
    if (req->n_target > 0 && fit_law_desc(req->law)->form->target == NULL) {
        free(r), free(st);
        SF_SET(err, SF_EINVAL, "a target reducible loss needs a one-variable law, not %s",
               fit_law_name(req->law));
        return NULL;
    }
    r->law    = req->law;
    r->req    = *req;
    r->data   = data;
    r->state  = st;
    st->law   = fit_law_desc(req->law);
    r->stages = calloc(FIT_MAX_STAGES + 4, sizeof *r->stages);
    if (r->stages == NULL) {
        SF_SET(err, SF_ENOMEM, "out of memory starting a fit");
        goto fail;
    }
    const struct fit_parameters *prm     = &r->req.params;
    size_t                       env_cap = 0;
    struct fit_problem           pb;
    if (st->law->curves) {
        if (fit_curves_problem_impl(r, &runs, &env_cap, err) != SF_OK) goto fail;
    } else {
        if (fit_problem_from_data_impl(data, st, err) != SF_OK) goto fail;
    }
    r->n_fit = st->n;
    fit_problem_set_impl(&pb, st->law, st->n, st->lx1, st->lx2, st->y, st->ly, st->w, &r->req);
    ws = fit_workspace_alloc(env_cap > st->n ? env_cap : st->n);
    if (ws == NULL) {
        SF_SET(err, SF_ENOMEM, "out of memory allocating the fit workspace");
        goto fail;
    }
    struct fit_polish_out best;
    if (fit_estimate_point(&pb, prm, ws, &best, r->stages, &r->n_stages, err) != SF_OK) goto fail;
    memcpy(st->theta, best.theta, sizeof st->theta);
    memcpy(st->active, best.active, sizeof st->active);
    r->objective     = best.objective;
    r->gradient_norm = best.gradient_norm;
    r->converged     = best.converged;
    snprintf(r->status, sizeof r->status, "%s", best.status);
    st->have_cov    = fit_covariance(&pb, &best, ws, st->cov, r->cov_method, sizeof r->cov_method);
    size_t p_active = 0;
    for (size_t j = 0; j < st->law->n_theta; j++)
        p_active += st->active[j];
    st->p_active   = p_active;
    double dof     = (double)st->n - (double)p_active;
    double upper   = 0.5 + 0.5 * prm->level;
    st->t_quantile = dof >= 1 ? gsl_cdf_tdist_Pinv(upper, dof) : gsl_cdf_ugaussian_Pinv(upper);
    if (st->law->curves) {
        if (fit_curves_nopt_impl(r, env_cap, ws, err) != SF_OK) goto fail;
        fit_curves_residuals_impl(st);
    }
    if (prm->bootstrap > 0) {
        sf_log(logger, SF_LOG_LEVEL_DEBUG, "bootstrap: %zu replicates", prm->bootstrap);
        if (fit_bootstrap_impl(r, err) != SF_OK) goto fail;
    }
    fit_workspace_free(ws);
    ws = NULL;
    fit_runs_free(&runs);
    if (fit_outputs_fill(r, err) != SF_OK) goto fail;
    return r;
fail:
    fit_workspace_free(ws);
    fit_runs_free(&runs);
    fit_result_free(r);
    return NULL;
}

void fit_result_free(struct fit_result *r) {
    if (r == NULL) return;
    struct fit_state *st = r->state;
    if (st != NULL) {
        free(st->lx1);
        free(st->lx2);
        free(st->y);
        free(st->ly);
        free(st->w);
        free(st->run_size);
        free(st->rep_theta);
        free(st->rep_active);
        free(st->rep_nopt);
        free(st->pt_run);
        free(st->pt_hat);
        free(st->pt_res);
        free(st->nopt_run);
        free(st->nopt_lx);
        free(st->nopt_hat);
        free(st->nopt_res);
        free(st);
    }
    free(r->stages);
    free(r->points);
    free(r->forecasts);
    free(r->targets);
    free(r->alloc);
    free(r->frontier.env_c);
    free(r->frontier.env_l);
    free(r->frontier.env_run);
    free(r->frontier.hull);
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r);
}
