/*
 * fit.c — the fit driver: default parameters, the request, and fit_run(), which builds the
 * problem (for `frontier`: the compute frontier of the learning curves), finds the point
 * estimate (search + polish), forms the covariance, runs the bootstrap in parallel (replicate k
 * seeded from (seed, k), one workspace per thread, each result in its own slot) and hands over
 * to outputs.c for intervals, diagnostics and forecasts. Rows are resampled for laws fitted to
 * a table; for the frontier, each learning curve's residuals around its own local smoother are,
 * and the frontier is built and fitted again (see fit_boot_curves_impl, fit_curves_smooth_impl;
 * outputs.c makes the intervals symmetric about the estimate).
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
    p.frontier_corner_gap        = 1e-9; /* rounding of ln(exp(ln C)), with room */
    p.hull_collinear_tol         = 1e-9;
    p.frontier_smooth_points     = 7; /* a quadratic through 7 points: leverage ~1/3 inside */
    p.frontier_smooth_degree     = 2;
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
    free(d->x3);
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
    free(d->x3_name);
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
    st->lx3 = d->x3 ? malloc((n ? n : 1) * sizeof(double)) : NULL;
    st->y   = malloc((n ? n : 1) * sizeof(double));
    st->ly  = malloc((n ? n : 1) * sizeof(double));
    st->w   = malloc((n ? n : 1) * sizeof(double));
    if (!st->lx1 || (d->x2 && !st->lx2) || (d->x3 && !st->lx3) || !st->y || !st->ly || !st->w)
        SF_FAIL(err, SF_ENOMEM, "out of memory preparing the fit");
    for (size_t i = 0; i < d->n; i++) {
        if (d->held_out[i]) continue;
        st->lx1[m] = log(d->x1[i]);
        if (d->x2) st->lx2[m] = log(d->x2[i]);
        if (d->x3) st->lx3[m] = log(d->x3[i]);
        st->y[m]  = d->y[i];
        st->ly[m] = log(d->y[i]);
        st->w[m]  = d->w[i];
        m++;
    }
    return SF_OK;
}

static void fit_problem_set_impl(struct fit_problem *pb, const struct fit_law_desc *law, size_t n,
                                 const double *lx1, const double *lx2, const double *lx3,
                                 const double *y, const double *ly, const double *w,
                                 const struct fit_request *req) {
    pb->law   = law;
    pb->n     = n;
    pb->lx1   = lx1;
    pb->lx2   = lx2;
    pb->lx3   = lx3;
    pb->y     = y;
    pb->ly    = ly;
    pb->w     = w;
    pb->space = req->space;
    pb->loss  = req->loss;
    pb->delta = req->delta;
    char why[256];
    /* fit_run checked the fixes; a request of another law (the optimal-size fit) has none. */
    if (!fit_law_fix_theta(law, req, pb->fixed, pb->fixed_theta, why, sizeof why)) SF_ASSERT(false);
}

/* The optimal-size problem of the frontier: ln N against ln C at the points L(C) is fitted to
 * (the hull's vertices, or every frontier point before the tail) whose owner has a known size;
 * least squares in log space. Writes into the given arrays (capacity n_front) and returns the
 * number of points. */
static size_t fit_nopt_points_impl(const struct fit_request *req, const struct fit_frontier *fr,
                                   const double *run_size, double *lx, double *y, double *ly,
                                   double *w) {
    size_t m = 0, n = req->frontier_hull ? fr->n_hull : fr->n_front;
    for (size_t k = 0; k < n; k++) {
        size_t i    = req->frontier_hull ? fr->hull[k] : k;
        double size = run_size[fr->env_run[i]];
        if (!(size > 0)) continue;
        lx[m] = log(fr->env_c[i]);
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
    fit_problem_set_impl(&pb, law, n, lx, NULL, NULL, y, ly, w, &req);
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
 * annealed learning curves make a jagged frontier around). Writes ln C, L, ln L and unit
 * weights; returns the count. */
static size_t fit_frontier_points_impl(const struct fit_request *req, const struct fit_frontier *fr,
                                       double *lx, double *y, double *ly, double *w) {
    size_t n = req->frontier_hull ? fr->n_hull : fr->n_front;
    for (size_t k = 0; k < n; k++) {
        size_t i = req->frontier_hull ? fr->hull[k] : k;
        lx[k]    = log(fr->env_c[i]);
        y[k]     = fr->env_l[i];
        ly[k]    = log(fr->env_l[i]);
        w[k]     = 1;
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

/* Buffers of one refit of the frontier: its arrays and the optimal-size points (cap each). */
struct fit_refit_buf {
    struct fit_frontier fr;
    double             *nx, *ny, *nly, *nw;
};

static void fit_refit_buf_free_impl(struct fit_refit_buf *f) {
    free(f->fr.env_c);
    free(f->fr.env_l);
    free(f->fr.env_run);
    free(f->fr.hull);
    free(f->nx);
    free(f->ny);
    free(f->nly);
    free(f->nw);
}

static bool fit_refit_buf_alloc_impl(struct fit_refit_buf *f, size_t cap) {
    memset(f, 0, sizeof *f);
    f->fr.env_c   = malloc(cap * sizeof *f->fr.env_c);
    f->fr.env_l   = malloc(cap * sizeof *f->fr.env_l);
    f->fr.env_run = malloc(cap * sizeof *f->fr.env_run);
    f->fr.hull    = malloc(cap * sizeof *f->fr.hull);
    f->nx         = malloc(cap * sizeof *f->nx);
    f->ny         = malloc(cap * sizeof *f->ny);
    f->nly        = malloc(cap * sizeof *f->nly);
    f->nw         = malloc(cap * sizeof *f->nw);
    return f->fr.env_c && f->fr.env_l && f->fr.env_run && f->fr.hull && f->nx && f->ny && f->nly &&
           f->nw;
}

/* The frontier of `rr` (the runs with their losses in rr->ll) and the fits to it: L(C) into
 * `out` (its points in ws's arrays), the optimal-size law into nopt (NAN when not fitted).
 * False when L(C) has too few points or its fit fails. */
static bool fit_curves_refit_impl(const struct fit_request *req, const struct fit_state *st,
                                  const struct fit_runs *rr, size_t cap, struct fit_refit_buf *f,
                                  struct fit_workspace *ws, struct fit_workspace *ws_nopt,
                                  struct fit_polish_out *out, double *nopt) {
    const struct fit_parameters *prm = &req->params;
    nopt[0] = nopt[1] = NAN;
    fit_frontier_compute(rr, prm, cap, &f->fr);
    size_t n = fit_frontier_points_impl(req, &f->fr, ws->lx1, ws->y, ws->ly, ws->w);
    if (n < st->law->n_theta + 1) return false;
    struct fit_problem pb;
    fit_problem_set_impl(&pb, st->law, n, ws->lx1, NULL, NULL, ws->y, ws->ly, ws->w, req);
    struct sf_error e;
    if (fit_estimate_point(&pb, prm, ws, out, NULL, NULL, &e) != SF_OK || !out->converged)
        return false;
    size_t m = fit_nopt_points_impl(req, &f->fr, st->run_size, f->nx, f->ny, f->nly, f->nw);
    double th[2], obj;
    if (st->nopt_have && fit_nopt_impl(m, f->nx, f->ny, f->nly, f->nw, prm, st->law->nopt_law,
                                       ws_nopt, th, NULL, &obj)) {
        nopt[0] = th[0];
        nopt[1] = th[1];
    }
    return true;
}

/* Everything one replicate needs that is shared read-only between threads. */
struct fit_boot_shared {
    const struct fit_result *r;
    const struct fit_state  *st;
    const struct fit_runs   *runs; /* frontier: the learning curves; NULL otherwise */
    size_t                   env_cap;
};

/* Per-thread buffers. */
struct fit_boot_local {
    struct fit_workspace *ws, *ws_nopt;
    double               *ll; /* (data->n) a replicate's ln L of each row */
    struct fit_refit_buf  f;
};

static void fit_boot_local_free_impl(struct fit_boot_local *b) {
    fit_workspace_free(b->ws);
    fit_workspace_free(b->ws_nopt);
    free(b->ll);
    fit_refit_buf_free_impl(&b->f);
}

static bool fit_boot_local_alloc_impl(const struct fit_boot_shared *sh, struct fit_boot_local *b) {
    memset(b, 0, sizeof *b);
    const struct fit_state *st = sh->st;
    if (sh->runs == NULL) {
        b->ws = fit_workspace_alloc(st->n);
        return b->ws != NULL;
    }
    size_t cap    = sh->env_cap ? sh->env_cap : 1;
    size_t n_rows = sh->r->data->n ? sh->r->data->n : 1;
    bool   ok     = fit_refit_buf_alloc_impl(&b->f, cap);
    b->ws         = fit_workspace_alloc(cap);
    b->ws_nopt    = fit_workspace_alloc(cap);
    b->ll         = malloc(n_rows * sizeof *b->ll);
    return ok && b->ws && b->ws_nopt && b->ll;
}

/* The frontier's replicate, a bootstrap of the learning curves themselves. Resampling runs (as
 * rows are resampled for other laws) can only take runs away, and the running minimum of fewer
 * runs can only rise, so those intervals were one-sided by construction. Instead every run
 * keeps its place: each point's loss becomes its run's smoothed value there times the
 * exponential of a residual drawn with replacement from the same run's residuals, and the
 * frontier, its hull and both laws are built and fitted again from scratch. The replicate thus
 * goes through what the data went through, the running minimum's pull towards low noise
 * included; outputs.c measures the replicates' distance from the fit to the smooth curves'
 * frontier (st->pivot_*) for L(C), so that this pull widens the interval rather than being
 * doubled. Draws come from the replicate's seed in row order. */
static bool fit_boot_curves_impl(const struct fit_boot_shared *sh, struct fit_boot_local *b,
                                 struct fit_polish_out *out, double *nopt_out) {
    const struct fit_runs  *runs = sh->runs;
    const struct fit_state *st   = sh->st;
    struct fit_workspace   *ws   = b->ws;
    memcpy(b->ll, runs->ll, sh->r->data->n * sizeof *b->ll);
    for (size_t k = 0; k < runs->n_runs; k++) {
        size_t a = runs->start[k], len = runs->start[k + 1] - a;
        bool   own = st->run_smooth[k];
        if (!own && st->n_pool == 0) continue;
        for (size_t p = a; p < a + len; p++) {
            size_t i = runs->pts[p];
            size_t j = own ? runs->pts[a + (size_t)gsl_rng_uniform_int(ws->rng, len)]
                           : st->pool[gsl_rng_uniform_int(ws->rng, st->n_pool)];
            b->ll[i] = st->row_hat[i] + st->row_res[j];
        }
    }
    struct fit_runs rr = *runs;
    rr.ll              = b->ll;
    return fit_curves_refit_impl(&sh->r->req, st, &rr, sh->env_cap, &b->f, ws, b->ws_nopt, out,
                                 nopt_out);
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
    struct fit_polish_out out;
    nopt_out[0] = nopt_out[1] = NAN;
    if (sh->runs == NULL) {
        for (size_t i = 0; i < st->n; i++) {
            size_t j   = (size_t)gsl_rng_uniform_int(ws->rng, st->n);
            ws->lx1[i] = st->lx1[j];
            if (st->lx2) ws->lx2[i] = st->lx2[j];
            if (st->lx3) ws->lx3[i] = st->lx3[j];
            ws->y[i]  = st->y[j];
            ws->ly[i] = st->ly[j];
            ws->w[i]  = st->w[j];
        }
        struct fit_problem pb;
        fit_problem_set_impl(&pb, st->law, st->n, ws->lx1, st->lx2 ? ws->lx2 : NULL,
                             st->lx3 ? ws->lx3 : NULL, ws->y, ws->ly, ws->w, &r->req);
        struct sf_error e;
        if (fit_estimate_point(&pb, prm, ws, &out, NULL, NULL, &e) != SF_OK || !out.converged) {
            *status_out = FIT_REP_STATUS_FAILED;
            return;
        }
    } else if (!fit_boot_curves_impl(sh, b, &out, nopt_out)) {
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

static enum sf_status fit_bootstrap_impl(struct fit_result *r, const struct fit_runs *runs,
                                         size_t env_cap, struct sf_error *err) {
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
    struct fit_boot_shared sh    = {r, st, runs, env_cap};
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
 * and the problem's points (frontier or hull) in r->state. `env_cap` is the frontier's
 * capacity, which every bootstrap replicate needs too. */
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
    size_t n = fr->n_front + 1;
    st->lx1  = malloc(n * sizeof *st->lx1);
    st->y    = malloc(n * sizeof *st->y);
    st->ly   = malloc(n * sizeof *st->ly);
    st->w    = malloc(n * sizeof *st->w);
    if (!st->lx1 || !st->y || !st->ly || !st->w)
        return SF_SET(err, SF_ENOMEM, "out of memory computing the frontier");
    st->n = fit_frontier_points_impl(&r->req, fr, st->lx1, st->y, st->ly, st->w);
    if (st->n < st->law->n_theta + 1)
        return SF_SET(err, SF_EINVAL,
                      "the compute frontier has %zu %s; at least %zu are needed (give learning "
                      "curves with at least two points each, spanning more compute)",
                      st->n, r->req.frontier_hull ? "hull points" : "points", st->law->n_theta + 1);
    return SF_OK;
}

/* Learning curves: the optimal-size law fitted to the sizes of the runs owning the hull. */
static enum sf_status fit_curves_nopt_impl(struct fit_result *r, size_t env_cap,
                                           struct fit_workspace *ws, struct sf_error *err) {
    struct fit_state    *st = r->state;
    struct fit_frontier *fr = &r->frontier;
    double              *nx = malloc(env_cap * sizeof *nx), *ny = malloc(env_cap * sizeof *ny);
    double              *nly = malloc(env_cap * sizeof *nly), *nw = malloc(env_cap * sizeof *nw);
    if (!nx || !ny || !nly || !nw) {
        free(nx), free(ny), free(nly), free(nw);
        return SF_SET(err, SF_ENOMEM, "out of memory fitting the optimal size");
    }
    size_t m        = fit_nopt_points_impl(&r->req, fr, st->run_size, nx, ny, nly, nw);
    fr->nopt_points = m;
    st->nopt_have   = fit_nopt_impl(m, nx, ny, nly, nw, &r->req.params, st->law->nopt_law, ws,
                                    st->nopt_theta, st->nopt_cov, &fr->nopt_objective);
    fr->nopt_fitted = st->nopt_have;
    free(nx), free(ny), free(nly), free(nw);
    return SF_OK;
}

/* A local polynomial smoother of one learning curve in (ln C, ln L), Savitzky and Golay's
 * (1964) filter for unevenly spaced points: the value at point i is that of the least-squares
 * polynomial of degree `deg` through the `window` points nearest i in order (centred on i, shifted
 * inwards at the curve's ends). Being linear, hat = S y, and with the basis centred at x_i the
 * leverage is S_ii = [(X^T X)^-1]_00; since each row of S is a projection's, var(y_i - hat_i) =
 * sigma^2 (1 - S_ii). Writes hat and leverage (len each); false when a local system is singular.
 * Needs deg + 1 < window <= len and deg + 1 <= FIT_SMOOTH_MAX_COEF. */
enum { FIT_SMOOTH_MAX_COEF = 4 };

static bool fit_curve_smooth_impl(const double *x, const double *y, size_t len, size_t window,
                                  size_t deg, double *hat, double *lev) {
    const size_t m = deg + 1;
    for (size_t i = 0; i < len; i++) {
        size_t a = i >= window / 2 ? i - window / 2 : 0;
        if (a + window > len) a = len - window;
        /* The basis (x - x_i)/s, scaled by the window's span for conditioning. */
        double s = fmax(fabs(x[a + window - 1] - x[i]), fabs(x[i] - x[a]));
        if (!(s > 0)) return false;
        double g[FIT_SMOOTH_MAX_COEF * FIT_SMOOTH_MAX_COEF] = {0}, b[FIT_SMOOTH_MAX_COEF] = {0};
        for (size_t p = a; p < a + window; p++) {
            double t = (x[p] - x[i]) / s, pw[FIT_SMOOTH_MAX_COEF];
            pw[0]    = 1;
            for (size_t j = 1; j < m; j++)
                pw[j] = pw[j - 1] * t;
            for (size_t j = 0; j < m; j++) {
                b[j] += pw[j] * y[p];
                for (size_t l = 0; l < m; l++)
                    g[j * m + l] += pw[j] * pw[l];
            }
        }
        /* The first column of G^-1 by Gauss-Jordan with partial pivoting on [G | e_0 | b]:
         * its first entry is the leverage, and (G^-1 b)_0 the smoothed value. */
        double aug[FIT_SMOOTH_MAX_COEF][FIT_SMOOTH_MAX_COEF + 2];
        for (size_t j = 0; j < m; j++) {
            for (size_t l = 0; l < m; l++)
                aug[j][l] = g[j * m + l];
            aug[j][m]     = j == 0;
            aug[j][m + 1] = b[j];
        }
        for (size_t c = 0; c < m; c++) {
            size_t piv = c;
            for (size_t j = c + 1; j < m; j++)
                if (fabs(aug[j][c]) > fabs(aug[piv][c])) piv = j;
            if (!(fabs(aug[piv][c]) > 0)) return false;
            for (size_t l = 0; l < m + 2; l++) {
                double t    = aug[c][l];
                aug[c][l]   = aug[piv][l];
                aug[piv][l] = t;
            }
            double d = aug[c][c];
            for (size_t l = 0; l < m + 2; l++)
                aug[c][l] /= d;
            for (size_t j = 0; j < m; j++) {
                if (j == c) continue;
                double f = aug[j][c];
                for (size_t l = 0; l < m + 2; l++)
                    aug[j][l] -= f * aug[c][l];
            }
        }
        hat[i] = aug[0][m + 1];
        lev[i] = aug[0][m];
        if (!(lev[i] < 1) || !isfinite(hat[i])) return false;
    }
    return true;
}

/* Learning curves, for the bootstrap: each run's smooth curve and the rows' residuals from it.
 * The smoother is local (fit_curve_smooth_impl: a quadratic through frontier_smooth_points
 * neighbours in (ln C, ln L)), so that it follows whatever shape the curve has, the dip that a
 * learning rate decaying to its end leaves included; a global law per run (power+const in C,
 * which Chinchilla's curves at fixed N are) cannot follow that dip, and its frontier then lies
 * off the data's. The residuals are leverage-corrected, r_i / sqrt(1 - h_ii), and centred in
 * their run (Davison & Hinkley 1997, algorithm 6.3's modified residuals), so that they carry
 * the noise's full variance. A run with fewer than frontier_smooth_points points is smoothed
 * over all of them, and one with no more than frontier_smooth_degree + 2, or whose smoothing
 * fails, keeps its points as they are (residuals 0; its points draw from the pool of the
 * others). Then the fit to the frontier of the smooth curves, the replicates' centre
 * (st->pivot_*). */
static enum sf_status fit_curves_smooth_impl(struct fit_result *r, const struct fit_runs *runs,
                                             size_t env_cap, struct fit_workspace *ws,
                                             struct sf_error *err) {
    struct fit_state            *st     = r->state;
    const struct fit_parameters *prm    = &r->req.params;
    size_t                       n_rows = r->data->n ? r->data->n : 1;
    st->row_hat                         = malloc(n_rows * sizeof *st->row_hat);
    st->row_res                         = malloc(n_rows * sizeof *st->row_res);
    st->pool                            = malloc(n_rows * sizeof *st->pool);
    st->run_smooth = calloc(runs->n_runs ? runs->n_runs : 1, sizeof *st->run_smooth);
    if (!st->row_hat || !st->row_res || !st->pool || !st->run_smooth)
        return SF_SET(err, SF_ENOMEM, "out of memory smoothing the learning curves");
    if (prm->frontier_smooth_degree + 1 > FIT_SMOOTH_MAX_COEF)
        return SF_SET(err, SF_EINVAL, "frontier_smooth_degree %zu is above the most, %d",
                      prm->frontier_smooth_degree, FIT_SMOOTH_MAX_COEF - 1);
    memcpy(st->row_hat, runs->ll, r->data->n * sizeof *st->row_hat);
    for (size_t i = 0; i < r->data->n; i++)
        st->row_res[i] = 0;
    for (size_t k = 0; k < runs->n_runs; k++) {
        size_t a = runs->start[k], len = runs->start[k + 1] - a;
        size_t deg = prm->frontier_smooth_degree;
        if (len < deg + 3) continue;
        size_t window = prm->frontier_smooth_points < len ? prm->frontier_smooth_points : len;
        if (window < deg + 3) window = deg + 3;
        /* ws's arrays hold the run: ln C in lx1, ln L in ly, the smooth values in y, the
         * leverages in w. */
        for (size_t p = 0; p < len; p++) {
            ws->lx1[p] = runs->lc[runs->pts[a + p]];
            ws->ly[p]  = runs->ll[runs->pts[a + p]];
        }
        if (!fit_curve_smooth_impl(ws->lx1, ws->ly, len, window, deg, ws->y, ws->w)) continue;
        double mean = 0;
        for (size_t p = 0; p < len; p++)
            mean += (ws->ly[p] - ws->y[p]) / sqrt(1 - ws->w[p]);
        mean /= (double)len;
        for (size_t p = 0; p < len; p++) {
            size_t i               = runs->pts[a + p];
            st->row_hat[i]         = ws->y[p];
            st->row_res[i]         = (ws->ly[p] - ws->y[p]) / sqrt(1 - ws->w[p]) - mean;
            st->pool[st->n_pool++] = i;
        }
        st->run_smooth[k] = true;
    }
    struct fit_refit_buf  f;
    struct fit_workspace *ws_nopt = fit_workspace_alloc(env_cap);
    if (!fit_refit_buf_alloc_impl(&f, env_cap) || ws_nopt == NULL) {
        fit_refit_buf_free_impl(&f);
        fit_workspace_free(ws_nopt);
        return SF_SET(err, SF_ENOMEM, "out of memory fitting the learning curves");
    }
    struct fit_runs rr = *runs;
    rr.ll              = st->row_hat;
    struct fit_polish_out out;
    st->pivot_have =
        fit_curves_refit_impl(&r->req, st, &rr, env_cap, &f, ws, ws_nopt, &out, st->pivot_nopt);
    if (st->pivot_have) {
        memcpy(st->pivot_theta, out.theta, sizeof st->pivot_theta);
        memcpy(st->pivot_active, out.active, sizeof st->pivot_active);
    }
    fit_refit_buf_free_impl(&f);
    fit_workspace_free(ws_nopt);
    return SF_OK;
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
    const struct fit_law_desc *rlaw = fit_law_desc(req->law);
    if (req->n_target > 0 &&
        (rlaw->n_vars == 1 ? rlaw->form->target == NULL : rlaw->optimal_nd == NULL)) {
        free(r), free(st);
        SF_SET(err, SF_EINVAL,
               "a target reducible loss needs a one-variable law or a law with a compute-optimal "
               "allocation, not %s",
               fit_law_name(req->law));
        return NULL;
    }
    char   why[256];
    bool   fixed[FIT_MAX_THETA];
    double fixed_theta[FIT_MAX_THETA];
    if (!fit_law_fix_theta(fit_law_desc(req->law), req, fixed, fixed_theta, why, sizeof why)) {
        free(r), free(st);
        SF_SET_AT(err, SF_EINVAL, "--fix", "%s", why);
        return NULL;
    }
    if (req->n_fix >= fit_law_desc(req->law)->n_report) {
        free(r), free(st);
        SF_SET_AT(err, SF_EINVAL, "--fix", "holds every parameter of %s: nothing left to fit",
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
    fit_problem_set_impl(&pb, st->law, st->n, st->lx1, st->lx2, st->lx3, st->y, st->ly, st->w,
                         &r->req);
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
        p_active += st->active[j] && !pb.fixed[j];
    st->p_active   = p_active;
    double dof     = (double)st->n - (double)p_active;
    double upper   = 0.5 + 0.5 * prm->level;
    st->t_quantile = dof >= 1 ? gsl_cdf_tdist_Pinv(upper, dof) : gsl_cdf_ugaussian_Pinv(upper);
    if (st->law->curves && fit_curves_nopt_impl(r, env_cap, ws, err) != SF_OK) goto fail;
    if (prm->bootstrap > 0) {
        sf_log(logger, SF_LOG_LEVEL_DEBUG, "bootstrap: %zu replicates", prm->bootstrap);
        if (st->law->curves && fit_curves_smooth_impl(r, &runs, env_cap, ws, err) != SF_OK)
            goto fail;
        if (fit_bootstrap_impl(r, st->law->curves ? &runs : NULL, env_cap, err) != SF_OK) goto fail;
    }
    fit_workspace_free(ws);
    ws = NULL;
    fit_runs_free(&runs);
    if (fit_outputs_fill(r, err) != SF_OK) goto fail;
    if (req->rollout_first > 0 && fit_rollout_run(data, req, &r->rollout, err) != SF_OK) goto fail;
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
        free(st->lx3);
        free(st->y);
        free(st->ly);
        free(st->w);
        free(st->run_size);
        free(st->rep_theta);
        free(st->rep_active);
        free(st->rep_nopt);
        free(st->row_hat);
        free(st->row_res);
        free(st->pool);
        free(st->run_smooth);
        free(st);
    }
    fit_rollout_free(r->rollout);
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
