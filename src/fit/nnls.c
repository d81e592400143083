/*
 * nnls.c — non-negative least squares for one to three columns, the linear step of the
 * variable-projection search. GSL 2.7 has no NNLS, so it is solved exactly here by trying every
 * support: the NNLS optimum is the unconstrained least-squares solution on its support, so the
 * best feasible support solution is the optimum. Each support is solved by GSL's Cholesky
 * decomposition of the column-scaled Gram matrix; singular supports are skipped.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <string.h>

#include "internal.h"

void fit_nnls_reset(struct fit_nnls *s, size_t k) {
    SF_ASSERT(k >= 1 && k <= FIT_NNLS_MAX);
    memset(s, 0, sizeof *s);
    s->k = k;
}

void fit_nnls_add(struct fit_nnls *s, const double *x, double t) {
    const size_t k = s->k;
    for (size_t a = 0; a < k; a++) {
        for (size_t b = 0; b <= a; b++)
            s->G[a * FIT_NNLS_MAX + b] += x[a] * x[b];
        s->h[a] += x[a] * t;
    }
    s->tt += t * t;
}

/* Relative pivot below which a scaled Gram matrix counts as singular. */
static const double fit_nnls_min_pivot = 1e-13;

double fit_nnls_solve(const struct fit_nnls *s, double *c) {
    const size_t k = s->k;
    double       scale[FIT_NNLS_MAX];
    for (size_t a = 0; a < k; a++) {
        double d = s->G[a * FIT_NNLS_MAX + a];
        scale[a] = d > 0 && isfinite(d) ? sqrt(d) : 0;
    }
    double best = s->tt; /* the empty support: every coefficient 0 */
    for (size_t a = 0; a < k; a++)
        c[a] = 0;
    for (unsigned mask = 1; mask < (1u << k); mask++) {
        size_t idx[FIT_NNLS_MAX], m = 0;
        bool   usable = true;
        for (size_t a = 0; a < k; a++) {
            if (!(mask & (1u << a))) continue;
            if (scale[a] == 0) usable = false;
            idx[m++] = a;
        }
        if (!usable) continue;
        double A[FIT_NNLS_MAX * FIT_NNLS_MAX], bv[FIT_NNLS_MAX], xv[FIT_NNLS_MAX];
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < m; j++) {
                size_t hi    = idx[i] > idx[j] ? idx[i] : idx[j];
                size_t lo    = idx[i] > idx[j] ? idx[j] : idx[i];
                A[i * m + j] = s->G[hi * FIT_NNLS_MAX + lo] / (scale[idx[i]] * scale[idx[j]]);
            }
            bv[i] = s->h[idx[i]] / scale[idx[i]];
        }
        gsl_matrix_view Av = gsl_matrix_view_array(A, m, m);
        gsl_vector_view bw = gsl_vector_view_array(bv, m);
        gsl_vector_view xw = gsl_vector_view_array(xv, m);
        if (gsl_linalg_cholesky_decomp1(&Av.matrix) != GSL_SUCCESS) continue;
        bool singular = false;
        for (size_t i = 0; i < m; i++)
            if (A[i * m + i] * A[i * m + i] < fit_nnls_min_pivot) singular = true;
        if (singular) continue;
        if (gsl_linalg_cholesky_solve(&Av.matrix, &bw.vector, &xw.vector) != GSL_SUCCESS) continue;
        bool   feasible = true;
        double fit      = 0;
        for (size_t i = 0; i < m; i++) {
            if (!(xv[i] > 0)) feasible = false;
            fit += xv[i] * bv[i];
        }
        if (!feasible) continue;
        double rss = s->tt - fit;
        if (rss < 0) rss = 0;
        if (rss < best) {
            best = rss;
            for (size_t a = 0; a < k; a++)
                c[a] = 0;
            for (size_t i = 0; i < m; i++)
                c[idx[i]] = xv[i] / scale[idx[i]];
        }
    }
    return best;
}
