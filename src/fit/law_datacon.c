/*
 * law_datacon.c — the data-constrained law of Muennighoff et al. (2023): L(N, D, U) = E +
 * A/N'^alpha + B/D'^beta, where U is the number of unique tokens a run's D tokens were drawn from
 * (--u). Repeated data are worth less: U_D = min(U, D), R_D = D/U_D - 1 repetitions, and
 * D' = U_D (1 + R_D* (1 - exp(-R_D/R_D*))); parameters beyond the size that is compute-optimal
 * for U_D tokens under the base law's allocation, N_opt(U_D) = G^(1 + beta/alpha)
 * U_D^(beta/alpha) with G = (alpha A/(beta B))^(1/(alpha + beta)), are worth less alike: U_N =
 * min(N_opt(U_D), N), R_N = N/U_N - 1, N' = U_N (1 + R_N* (1 - exp(-R_N/R_N*))). A row without
 * repetition (D <= U) and within the optimal size is the base (Chinchilla) law exactly.
 * theta = (e, a, alpha, b, beta, ln R_D*, ln R_N*), ln L = LSE(e, a - alpha ln N', b - beta ln D'),
 * with its gradient through N_opt. The search is the law's own: the base law fitted to the rows
 * without repetition (or held as --fix gives it, the paper's way), then a grid over R_D* and R_N*.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The effective count x (1 + R* (1 - exp(-R/R*))) of R repetitions in logs: ln of the factor,
 * and its derivatives in ln R* and in R. */
static double fit_dc_factor(double r, double rs, double *d_lrs, double *d_r) {
    double q = r / rs, e = exp(-q), k = 1 + rs * (1 - e);
    *d_lrs = rs * ((1 - e) - q * e) / k;
    *d_r   = e / k;
    return log(k);
}

static double fit_dc_lnpred(const double *th, const bool *active, double ln_n, double ln_d,
                            double ln_u, double *grad) {
    const double al = th[2], be = th[4], rds = exp(th[5]), rns = exp(th[6]);
    /* Data: repetitions of the unique tokens. */
    double lud = ln_u < ln_d ? ln_u : ln_d, rd = expm1(ln_d - lud), dd_lrs, dd_r;
    double ldp = lud + fit_dc_factor(rd, rds, &dd_lrs, &dd_r);
    /* Parameters: beyond the size that is optimal for the unique tokens. */
    double s = al + be, r = be / al;
    double lg    = (log(al) + th[1] - log(be) - th[3]) / s;
    double lnopt = (1 + r) * lg + r * lud;
    double lnp = ln_n, dn_lun = 0, dn_lrs = 0;
    if (ln_n > lnopt) {
        double rn = expm1(ln_n - lnopt), dn_r;
        lnp       = lnopt + fit_dc_factor(rn, rns, &dn_lrs, &dn_r);
        dn_lun    = 1 - dn_r * (rn + 1); /* d ln N' / d ln U_N, R_N + 1 = N/U_N */
    }
    double t[3], p[3];
    bool   use[3] = {active[0], true, true};
    t[0]          = th[0];
    t[1]          = th[1] - al * lnp;
    t[2]          = th[3] - be * ldp;
    double v      = fit_law_lse(t, use, 3, p);
    if (grad) {
        /* d ln N_opt / d (a, alpha, b, beta), carried to ln N' by dn_lun. */
        double dlg_a = 1 / s, dlg_b = -1 / s, dlg_al = (1 / al - lg) / s,
               dlg_be = (-1 / be - lg) / s;
        double dn_a = dn_lun * (1 + r) * dlg_a, dn_b = dn_lun * (1 + r) * dlg_b;
        double dn_al = dn_lun * (-be / (al * al) * (lg + lud) + (1 + r) * dlg_al);
        double dn_be = dn_lun * (1 / al * (lg + lud) + (1 + r) * dlg_be);
        grad[0]      = active[0] ? p[0] : 0;
        grad[1]      = p[1] * (1 - al * dn_a);
        grad[2]      = p[1] * (-lnp - al * dn_al);
        grad[3]      = p[2] - p[1] * al * dn_b;
        grad[4]      = -p[2] * ldp - p[1] * al * dn_be;
        grad[5]      = -p[2] * be * dd_lrs;
        grad[6]      = -p[1] * al * dn_lrs;
    }
    return v;
}

static void fit_dc_natural(const double *th, const bool *active, double *nat) {
    nat[0] = active[0] ? exp(th[0]) : 0;
    nat[1] = exp(th[1]);
    nat[2] = th[2];
    nat[3] = exp(th[3]);
    nat[4] = th[4];
    nat[5] = exp(th[5]);
    nat[6] = exp(th[6]);
}

// ---- the search ----

/* The base law: held where --fix gives all of it, else chinchilla fitted to the rows without
 * repetition (all rows when fewer than 8 have none). False when it cannot be had. */
static bool fit_dc_base(const struct fit_problem *pb, const struct fit_parameters *prm,
                        struct fit_workspace *ws, double *theta, bool *active) {
    bool all_fixed = true;
    for (size_t j = 0; j < 5; j++)
        all_fixed = all_fixed && pb->fixed[j];
    if (all_fixed) {
        for (size_t j = 0; j < 5; j++)
            theta[j] = pb->fixed_theta[j], active[j] = true;
        return true;
    }
    size_t  n   = 0;
    double *buf = malloc(5 * (pb->n ? pb->n : 1) * sizeof *buf);
    if (buf == NULL) return false;
    double *lx1 = buf, *lx2 = buf + pb->n, *y = buf + 2 * pb->n, *ly = buf + 3 * pb->n,
           *w = buf + 4 * pb->n;
    for (int pass = 0; pass < 2 && n < 8; pass++) {
        n = 0;
        for (size_t i = 0; i < pb->n; i++) {
            if (pass == 0 && pb->lx3 && pb->lx2[i] > pb->lx3[i]) continue;
            lx1[n] = pb->lx1[i], lx2[n] = pb->lx2[i], y[n] = pb->y[i], ly[n] = pb->ly[i];
            w[n] = pb->w ? pb->w[i] : 1;
            n++;
        }
    }
    struct fit_problem base = *pb;
    base.law                = &fit_law_chinchilla;
    base.n                  = n;
    base.lx1 = lx1, base.lx2 = lx2, base.lx3 = NULL, base.y = y, base.ly = ly, base.w = w;
    for (size_t j = 5; j < FIT_MAX_THETA; j++)
        base.fixed[j] = false;
    struct fit_polish_out out;
    struct sf_error       e;
    bool ok = fit_estimate_point(&base, prm, ws, &out, NULL, NULL, &e) == SF_OK && out.active[1] &&
              out.active[3];
    free(buf);
    for (size_t j = 0; ok && j < 5; j++)
        theta[j] = out.theta[j], active[j] = out.active[j];
    return ok;
}

/* R_D* and R_N* tried with the base law. */
static const double fit_dc_grid[] = {1, 2.5, 5, 10, 20, 40, 80, 1000};

static enum sf_status fit_dc_search(const struct fit_problem *pb, const struct fit_parameters *prm,
                                    struct fit_workspace *ws, size_t *n_evaluated,
                                    struct sf_error *err) {
    double theta[FIT_MAX_THETA]  = {0};
    bool   active[FIT_MAX_THETA] = {0};
    if (!fit_dc_base(pb, prm, ws, theta, active))
        SF_FAIL(err, SF_ERUNTIME,
                "data-constrained: the base law (chinchilla) could not be fitted to the rows");
    active[5] = active[6] = true;
    const size_t ng       = sizeof fit_dc_grid / sizeof fit_dc_grid[0];
    ws->n_cells           = 0;
    *n_evaluated          = 0;
    for (size_t i = 0; i < ng; i++) {
        for (size_t j = 0; j < ng; j++) {
            theta[5] = log(fit_dc_grid[i]), theta[6] = log(fit_dc_grid[j]);
            (*n_evaluated)++;
            if (!fit_problem_residuals(pb, theta, active, ws->r, NULL)) continue;
            double obj = 0;
            for (size_t k = 0; k < pb->n; k++)
                obj += (pb->w ? pb->w[k] : 1.0) * fit_rho(pb->loss, ws->r[k], pb->delta);
            if (!isfinite(obj)) continue;
            struct fit_candidate c;
            memcpy(c.theta, theta, sizeof c.theta);
            memcpy(c.active, active, sizeof c.active);
            c.objective       = obj;
            enum sf_status st = fit_search_push(ws, &c, err);
            if (st != SF_OK) return st;
        }
    }
    if (ws->n_cells == 0)
        SF_FAIL(err, SF_ERUNTIME, "data-constrained: no usable starting point for R_D*, R_N*");
    fit_search_sort(ws);
    return SF_OK;
}

static void fit_dc_grid_text(const struct fit_parameters *p, char *buf, size_t n) {
    (void)p;
    snprintf(buf, n,
             "the base law (chinchilla) fitted to the rows without repetition, or held with "
             "--fix; then R_D*, R_N* in {1, 2.5, 5, 10, 20, 40, 80, 1000} each");
}

static const struct fit_law_form fit_dc_form = {
    .lnpred    = fit_dc_lnpred,
    .natural   = fit_dc_natural,
    .n_coef    = 3,
    .n_exp     = 2,
    .exp_theta = {5, 6},
    .grid      = fit_law_grid_positive,
    .grid_text = fit_dc_grid_text,
    .search    = fit_dc_search,
};

const struct fit_law_desc fit_law_datacon = {
    .name           = "data-constrained",
    .formula        = "L = E + A/N'^alpha + B/D'^beta (D', N': repeated data and excess "
                      "parameters discounted by R_D*, R_N*)",
    .n_theta        = 7,
    .n_vars         = 2,
    .n_report       = 7,
    .params         = {{"E", "nats/token", true, 0, false},
                       {"A", "nats/token x N^alpha", true, -1, false},
                       {"alpha", "", false, -1, false, FIT_EXPONENT_X1},
                       {"B", "nats/token x D^beta", true, -1, false},
                       {"beta", "", false, -1, false, FIT_EXPONENT_X2},
                       {"R_D*", "epochs", true, -1, false},
                       {"R_N*", "", true, -1, false}},
    .can_bound      = {true},
    .term_exp       = {-1, -1, -1, -1, -1, -1, -1},
    .has_constant   = true,
    .can_fix        = true,
    .fix            = {{0, -1}, {1, -1}, {2, -1}, {3, -1}, {4, -1}, {5, -1}, {6, -1}},
    .var_options    = {"--n", "--d"},
    .var_fields     = {offsetof(struct fit_columns, n), offsetof(struct fit_columns, d)},
    .aux_option     = "--u",
    .aux_field      = offsetof(struct fit_columns, u),
    .label_constant = "E",
    .label          = "L = $0 + $1/N'^{$2} + $3/D'^{$4}, R_D^* = $5, R_N^* = $6",
    .note           = "U is each row's unique tokens: D' counts its D tokens as U_D = min(U, D) "
                      "new ones and R_D = D/U_D - 1 repetitions worth less and less, N' counts "
                      "the parameters beyond the size that is compute-optimal for U_D tokens "
                      "alike. The figures draw the law without repetition (U unlimited).",
    .form           = &fit_dc_form,
};
