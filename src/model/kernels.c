/*
 * kernels.c — the transformer's layer kernels (see kernels.h for the conventions): token and
 * position embedding, LayerNorm, matrix products (LIBXSMM or OpenBLAS), causal multi-head
 * attention (sgemm per head, skipping the blocks above the diagonal), tanh-GELU, softmax with
 * cross-entropy, the gradient norm and the AdamW update.
 *
 * Deliberately not here: the model's layout and the order of the layers (model.c), data and
 * schedules. Every reduction that feeds a gradient sums in an order fixed by the shapes alone
 * (column blocks swept over all rows, or fixed row blocks), so a gradient is the same for any
 * thread count; only OpenBLAS's own partition could make results depend on it.
 */
#include "kernels.h"

#include <cblas.h>
#include <f77blas.h>
#include <float.h>
#include <libxsmm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every parallel loop below hands out its iterations dynamically (schedule(dynamic, 1) over
 * chunks, rows or heads): each iteration writes its own outputs and every reduction across
 * iterations is finished serially in a fixed order, so results do not depend on which thread
 * ran what — and when another process takes a core from us, the other thread takes over the
 * remaining chunks instead of waiting at the barrier (static partitions made a 2-thread step
 * several times slower than a 1-thread one on a shared machine). */

/* Rows handed out at a time by the row-parallel loops, and elements per chunk of the
 * elementwise ones. */
#define KERNEL_ROWS 16
#define KERNEL_CHUNK 4096

/* Columns per block in the column-partitioned reductions: 64 floats = 4 cache lines, and a
 * double accumulator block that stays in registers / L1. */
#define KERNEL_COL_BLOCK 64
/* Rows (queries) per block in causal attention (KERNEL_ATT_BLOCK, kernels.h): blocks above the
 * diagonal are skipped, and 32 rows keep each sgemm large enough to run near OpenBLAS's rate. */

/* The elementwise and row loops are built for three instruction sets and the best one the CPU
 * has is picked at load time (GCC's function multi-versioning): AVX-512 runs GELU 3.4× faster
 * than the baseline SSE2 build. Every version performs the same IEEE operations on each element
 * (no contraction into FMA in ISO C mode; sums only over the fixed lanes below), so results do
 * not depend on the version. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KERNEL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KERNEL_CLONES
#endif

/* Sums of a row in double over KERNEL_LANES fixed lanes (element c goes to lane c mod 16), the
 * lanes added in a fixed tree at the end: the compiler vectorises the lanes on any instruction
 * set (16 floats fill an AVX-512 register), and every version adds the same numbers in the same
 * order. */
#define KERNEL_LANES 16
static inline double kernel_lanes_total(const double *acc) {
    double h[4];
    for (int k = 0; k < 4; k++)
        h[k] = (acc[k] + acc[k + 4]) + (acc[k + 8] + acc[k + 12]);
    return (h[0] + h[1]) + (h[2] + h[3]);
}

// ---- exp ----

/* exp(x) in float for the elementwise kernels, written so that the compiler vectorises it (no
 * libm call, no branches): Cody–Waite reduction x = n·ln2 + r with |r| <= ln2/2, Cephes' degree-6
 * minimax polynomial for e^r (about 1 ulp), and 2^n built in the exponent bits. Inputs are
 * clamped to [-87, 88], where e^x stays a normal float; the kernels only need e^x up to that
 * range (softmax arguments are <= 0, tanh saturates long before). libm's expf is exact to
 * 0.5 ulp but scalar, and GELU's tanh through it cost a quarter of a training step. */
static inline float kernel_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* n comes from a copy with NaN replaced by 0, so that the float-to-int conversion below is
     * always defined; a NaN input still propagates through r and p. */
    float xs = x == x ? x : 0.0f;
    /* Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (|x·log2 e| < 2^22). */
    float n       = (xs * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r       = x - n * 0.693359375f;
    r             = r - n * -2.12194440e-4f;
    float p       = 1.9875691500e-4f;
    p             = p * r + 1.3981999507e-3f;
    p             = p * r + 8.3334519073e-3f;
    p             = p * r + 4.1665795894e-2f;
    p             = p * r + 1.6666665459e-1f;
    p             = p * r + 5.0000001201e-1f;
    p             = p * r * r + r + 1.0f;
    int32_t  e    = (int32_t)n + 127;
    uint32_t bits = (uint32_t)e << 23;
    float    scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* tanh(u) = 1 − 2/(e^{2u} + 1): saturates to ±1 without overflow thanks to the clamp above. */
static inline float kernel_tanhf(float u) {
    return 1.0f - 2.0f / (kernel_expf(2.0f * u) + 1.0f);
}

// ---- sgemm ----

void sgemm_rowmajor(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                    int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    /* Row-major C (M×N) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands and sizes. */
    char    ta = trans_b == CblasTrans ? 'T' : 'N', tb = trans_a == CblasTrans ? 'T' : 'N';
    blasint m = N, n = M, k = K, la = ldb, lb = lda, lc = ldc;
    sgemm_(&ta, &tb, &m, &n, &k, &alpha, (float *)B, &la, (float *)A, &lb, &beta, C, &lc);
}

// ---- encoder ----

void encoder_forward(float *out, const int32_t *inp, const float *wte, const float *wpe, size_t B,
                     size_t T, size_t C) {
#pragma omp parallel for schedule(dynamic, KERNEL_ROWS)
    for (size_t bt = 0; bt < B * T; bt++) {
        size_t       t = bt % T;
        float       *o = out + bt * C;
        const float *e = wte + (size_t)inp[bt] * C;
        const float *p = wpe + t * C;
        for (size_t c = 0; c < C; c++)
            o[c] = e[c] + p[c];
    }
}

void encoder_backward(float *dwte, float *dwpe, const float *dout, const int32_t *inp,
                      int32_t *order, size_t B, size_t T, size_t C, size_t V) {
    /* Counting sort of positions by token: start[v]..start[v+1] in `pos` lists the positions
     * holding token v, ascending, so that each dwte row sums its terms in a fixed order. */
    int32_t *start = order;         /* (V+1) */
    int32_t *pos   = order + V + 1; /* (B·T) */
    size_t   N     = B * T;
    memset(start, 0, (V + 1) * sizeof *start);
    for (size_t i = 0; i < N; i++)
        start[inp[i] + 1]++;
    for (size_t v = 0; v < V; v++)
        start[v + 1] += start[v];
    for (size_t i = 0; i < N; i++)
        pos[start[inp[i]]++] = (int32_t)i;
    /* start[v] now holds the end of v's run; shift back to get the starts. */
    for (size_t v = V; v > 0; v--)
        start[v] = start[v - 1];
    start[0] = 0;

    size_t n_blocks = (C + KERNEL_COL_BLOCK - 1) / KERNEL_COL_BLOCK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t blk = 0; blk < n_blocks; blk++) {
        size_t c0 = blk * KERNEL_COL_BLOCK;
        size_t nc = C - c0 < KERNEL_COL_BLOCK ? C - c0 : KERNEL_COL_BLOCK;
        double acc[KERNEL_COL_BLOCK];
        for (size_t v = 0; v < V; v++) {
            if (start[v] == start[v + 1]) continue;
            for (size_t j = 0; j < nc; j++)
                acc[j] = 0.0;
            for (int32_t k = start[v]; k < start[v + 1]; k++) {
                const float *d = dout + (size_t)pos[k] * C + c0;
                for (size_t j = 0; j < nc; j++)
                    acc[j] += (double)d[j];
            }
            float *g = dwte + v * C + c0;
            for (size_t j = 0; j < nc; j++)
                g[j] = (float)((double)g[j] + acc[j]);
        }
        for (size_t t = 0; t < T; t++) {
            for (size_t j = 0; j < nc; j++)
                acc[j] = 0.0;
            for (size_t b = 0; b < B; b++) {
                const float *d = dout + (b * T + t) * C + c0;
                for (size_t j = 0; j < nc; j++)
                    acc[j] += (double)d[j];
            }
            float *g = dwpe + t * C + c0;
            for (size_t j = 0; j < nc; j++)
                g[j] = (float)((double)g[j] + acc[j]);
        }
    }
}

// ---- layernorm ----

/* Σ x[c] and then Σ (x[c] − m)² over a row, each in fixed lanes. */
/* One row's LayerNorm: Σ x[c] and then Σ (x[c] − m)², each over the fixed lanes for whole
 * groups and a sequential sum for the tail (added last), in double. Inlined into the row loops
 * below, which are built per instruction set. */
static inline __attribute__((always_inline)) void
layernorm_row_forward(float *o, float *mean, float *rstd, const float *x, const float *weight,
                      const float *bias, size_t C) {
    size_t whole             = C / KERNEL_LANES * KERNEL_LANES;
    double acc[KERNEL_LANES] = {0}, tail = 0.0;
    for (size_t c = 0; c < whole; c += KERNEL_LANES)
        for (size_t k = 0; k < KERNEL_LANES; k++)
            acc[k] += (double)x[c + k];
    for (size_t c = whole; c < C; c++)
        tail += (double)x[c];
    double m = (kernel_lanes_total(acc) + tail) / (double)C;
    for (size_t k = 0; k < KERNEL_LANES; k++)
        acc[k] = 0.0;
    tail = 0.0;
    for (size_t c = 0; c < whole; c += KERNEL_LANES)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            double d = (double)x[c + k] - m;
            acc[k] += d * d;
        }
    for (size_t c = whole; c < C; c++) {
        double d = (double)x[c] - m;
        tail += d * d;
    }
    /* Biased variance, as torch.nn.LayerNorm. */
    float rs = (float)(1.0 / sqrt((kernel_lanes_total(acc) + tail) / (double)C +
                                  (double)MODEL_LAYERNORM_EPS));
    float mf = (float)m;
    for (size_t c = 0; c < C; c++)
        o[c] = (x[c] - mf) * rs * weight[c] + bias[c];
    *mean = mf;
    *rstd = rs;
}

/* Rows i0..i1-1 (several rows per call, so that their latencies overlap). */
/* Rows narrower than the lanes (C < KERNEL_LANES): up to KERNEL_LANES rows at once, one row per
 * lane (the rows copied across first), so that the sums, the square root and the division run as
 * vectors instead of one row's latency chain after another. Each row is still summed in order
 * over c, as the tail of layernorm_row_forward sums it: the same numbers. */
static inline __attribute__((always_inline)) void
layernorm_narrow_forward(float *out, float *mean, float *rstd, const float *inp,
                         const float *weight, const float *bias, size_t i0, size_t nr, size_t C) {
    float  xt[KERNEL_LANES][KERNEL_LANES] = {{0}}; /* [c][row] */
    double s[KERNEL_LANES] = {0}, v[KERNEL_LANES] = {0}, m[KERNEL_LANES];
    float  mf[KERNEL_LANES], rs[KERNEL_LANES];
    for (size_t k = 0; k < nr; k++)
        for (size_t c = 0; c < C; c++)
            xt[c][k] = inp[(i0 + k) * C + c];
    for (size_t c = 0; c < C; c++)
        for (size_t k = 0; k < KERNEL_LANES; k++)
            s[k] += (double)xt[c][k];
    for (size_t k = 0; k < KERNEL_LANES; k++)
        m[k] = s[k] / (double)C;
    for (size_t c = 0; c < C; c++)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            double d = (double)xt[c][k] - m[k];
            v[k] += d * d;
        }
    for (size_t k = 0; k < KERNEL_LANES; k++) {
        rs[k] = (float)(1.0 / sqrt(v[k] / (double)C + (double)MODEL_LAYERNORM_EPS));
        mf[k] = (float)m[k];
    }
    for (size_t k = 0; k < nr; k++) {
        const float *x = inp + (i0 + k) * C;
        float       *o = out + (i0 + k) * C;
        for (size_t c = 0; c < C; c++)
            o[c] = (x[c] - mf[k]) * rs[k] * weight[c] + bias[c];
        mean[i0 + k] = mf[k];
        rstd[i0 + k] = rs[k];
    }
}

KERNEL_CLONES static void layernorm_rows_forward(float *out, float *mean, float *rstd,
                                                 const float *inp, const float *weight,
                                                 const float *bias, size_t i0, size_t i1,
                                                 size_t C) {
    if (C < KERNEL_LANES) {
        for (size_t i = i0; i < i1; i += KERNEL_LANES)
            layernorm_narrow_forward(out, mean, rstd, inp, weight, bias, i,
                                     i1 - i < KERNEL_LANES ? i1 - i : KERNEL_LANES, C);
        return;
    }
    for (size_t i = i0; i < i1; i++)
        layernorm_row_forward(out + i * C, mean + i, rstd + i, inp + i * C, weight, bias, C);
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, size_t N, size_t C) {
    size_t n_chunks = (N + KERNEL_ROWS - 1) / KERNEL_ROWS;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = 0; k < n_chunks; k++)
        layernorm_rows_forward(
            out, mean, rstd, inp, weight, bias, k * KERNEL_ROWS,
            k * KERNEL_ROWS + KERNEL_ROWS < N ? k * KERNEL_ROWS + KERNEL_ROWS : N, C);
}

/* One row's input gradient, added into dx (sums as the forward's). */
static inline __attribute__((always_inline)) void
layernorm_row_backward(float *dx, const float *dy, const float *x, const float *weight, float m,
                       float rs, size_t C) {
    size_t whole           = C / KERNEL_LANES * KERNEL_LANES;
    double a[KERNEL_LANES] = {0}, b[KERNEL_LANES] = {0}, ta = 0.0, tb = 0.0;
    for (size_t c = 0; c < whole; c += KERNEL_LANES)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            float n  = (x[c + k] - m) * rs;
            float dn = dy[c + k] * weight[c + k];
            a[k] += (double)dn;
            b[k] += (double)(dn * n);
        }
    for (size_t c = whole; c < C; c++) {
        float n  = (x[c] - m) * rs;
        float dn = dy[c] * weight[c];
        ta += (double)dn;
        tb += (double)(dn * n);
    }
    float mean_dn   = (float)((kernel_lanes_total(a) + ta) / (double)C);
    float mean_dn_n = (float)((kernel_lanes_total(b) + tb) / (double)C);
    for (size_t c = 0; c < C; c++) {
        float n  = (x[c] - m) * rs;
        float dn = dy[c] * weight[c];
        dx[c] += (dn - mean_dn - n * mean_dn_n) * rs;
    }
}

/* The backward of narrow rows, one row per lane as layernorm_narrow_forward (each row's two sums
 * in order over c, as the tail of layernorm_row_backward sums them). */
static inline __attribute__((always_inline)) void
layernorm_narrow_backward(float *dinp, const float *dout, const float *inp, const float *weight,
                          const float *mean, const float *rstd, size_t i0, size_t nr, size_t C) {
    float  nt[KERNEL_LANES][KERNEL_LANES] = {{0}}, dt[KERNEL_LANES][KERNEL_LANES] = {{0}};
    double a[KERNEL_LANES] = {0}, b[KERNEL_LANES] = {0};
    float  ma[KERNEL_LANES], mb[KERNEL_LANES];
    for (size_t k = 0; k < nr; k++) {
        const float *x = inp + (i0 + k) * C, *dy = dout + (i0 + k) * C;
        float        m = mean[i0 + k], rs = rstd[i0 + k];
        for (size_t c = 0; c < C; c++) {
            nt[c][k] = (x[c] - m) * rs;
            dt[c][k] = dy[c] * weight[c];
        }
    }
    for (size_t c = 0; c < C; c++)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            a[k] += (double)dt[c][k];
            b[k] += (double)(dt[c][k] * nt[c][k]);
        }
    for (size_t k = 0; k < KERNEL_LANES; k++) {
        ma[k] = (float)(a[k] / (double)C);
        mb[k] = (float)(b[k] / (double)C);
    }
    for (size_t k = 0; k < nr; k++) {
        float *dx = dinp + (i0 + k) * C;
        float  rs = rstd[i0 + k];
        for (size_t c = 0; c < C; c++)
            dx[c] += (dt[c][k] - ma[k] - nt[c][k] * mb[k]) * rs;
    }
}

KERNEL_CLONES static void layernorm_rows_backward(float *dinp, const float *dout, const float *inp,
                                                  const float *weight, const float *mean,
                                                  const float *rstd, size_t i0, size_t i1,
                                                  size_t C) {
    if (C < KERNEL_LANES) {
        for (size_t i = i0; i < i1; i += KERNEL_LANES)
            layernorm_narrow_backward(dinp, dout, inp, weight, mean, rstd, i,
                                      i1 - i < KERNEL_LANES ? i1 - i : KERNEL_LANES, C);
        return;
    }
    for (size_t i = i0; i < i1; i++)
        layernorm_row_backward(dinp + i * C, dout + i * C, inp + i * C, weight, mean[i], rstd[i],
                               C);
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        size_t N, size_t C) {
    size_t n_chunks = (N + KERNEL_ROWS - 1) / KERNEL_ROWS;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = 0; k < n_chunks; k++)
        layernorm_rows_backward(
            dinp, dout, inp, weight, mean, rstd, k * KERNEL_ROWS,
            k * KERNEL_ROWS + KERNEL_ROWS < N ? k * KERNEL_ROWS + KERNEL_ROWS : N, C);
    /* Parameter gradients: column blocks swept over all rows in order. */
    size_t n_blocks = (C + KERNEL_COL_BLOCK - 1) / KERNEL_COL_BLOCK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t blk = 0; blk < n_blocks; blk++) {
        size_t c0 = blk * KERNEL_COL_BLOCK;
        size_t nc = C - c0 < KERNEL_COL_BLOCK ? C - c0 : KERNEL_COL_BLOCK;
        double aw[KERNEL_COL_BLOCK], ab[KERNEL_COL_BLOCK];
        for (size_t j = 0; j < nc; j++)
            aw[j] = ab[j] = 0.0;
        for (size_t i = 0; i < N; i++) {
            const float *x  = inp + i * C + c0;
            const float *dy = dout + i * C + c0;
            float        m = mean[i], rs = rstd[i];
            for (size_t j = 0; j < nc; j++) {
                aw[j] += (double)(dy[j] * ((x[j] - m) * rs));
                ab[j] += (double)dy[j];
            }
        }
        for (size_t j = 0; j < nc; j++) {
            dweight[c0 + j] = (float)((double)dweight[c0 + j] + aw[j]);
            dbias[c0 + j]   = (float)((double)dbias[c0 + j] + ab[j]);
        }
    }
}

// ---- the products' plan ----

/* libxsmm_init, keeping the environment as it was: LIBXSMM sets OMP_PROC_BIND=TRUE when neither
 * it nor KMP_AFFINITY is set, which every trainer a sweep starts would inherit, binding all of
 * them to the first core (measured: the quickstart took 1.7 times as long). */
static void kernel_xsmm_init_impl(void) {
    const char *was = getenv("OMP_PROC_BIND");
    char        saved[64];
    if (was != NULL) snprintf(saved, sizeof saved, "%s", was);
    libxsmm_init();
    const char *now = getenv("OMP_PROC_BIND");
    if (was == NULL && now != NULL)
        unsetenv("OMP_PROC_BIND");
    else if (was != NULL && (now == NULL || strcmp(now, saved) != 0))
        setenv("OMP_PROC_BIND", saved, 1);
}

const char *kernel_xsmm_arch(void) {
    /* LIBXSMM's code generator covers x86 from AVX2 on; below it, its kernels would fall back to
     * a BLAS call and gain nothing. */
    kernel_xsmm_init_impl();
    return libxsmm_get_target_archid() >= LIBXSMM_X86_AVX2 ? libxsmm_get_target_arch() : NULL;
}

/* A kernel for column-major C (m×n, ldc) = A (m×k, lda) · op(B) (k×n, ldb) + beta·C. */
static kernel_smm_fn kernel_xsmm_impl(size_t m, size_t n, size_t k, size_t lda, size_t ldb,
                                      size_t ldc, float beta, int flags) {
    libxsmm_blasint M = (libxsmm_blasint)m, N = (libxsmm_blasint)n, K = (libxsmm_blasint)k;
    libxsmm_blasint la = (libxsmm_blasint)lda, lb = (libxsmm_blasint)ldb, lc = (libxsmm_blasint)ldc;
    float           alpha = 1.0f;
    int             pf    = LIBXSMM_PREFETCH_NONE;
    return (kernel_smm_fn)libxsmm_smmdispatch(M, N, K, &la, &lb, &lc, &alpha, &beta, &flags, &pf);
}

bool kernel_linear_plan(struct kernel_linear *p, size_t C, size_t OC, size_t T, float *wt) {
    memset(p, 0, sizeof *p);
    p->C  = C;
    p->OC = OC;
    p->T  = T;
    p->wt = wt;
    if (kernel_xsmm_arch() == NULL || C > KERNEL_XSMM_MAX_DIM || OC > KERNEL_XSMM_MAX_DIM ||
        T == 0 || wt == NULL)
        return false;
    size_t rows = T < KERNEL_XSMM_ROWS ? T : KERNEL_XSMM_ROWS, rrem = T % rows;
    size_t cols = OC < KERNEL_XSMM_COLS ? OC : KERNEL_XSMM_COLS, crem = OC % cols;
    /* Row-major matrices are column-major transposes: out block (rows,OC) is OCᵀ×rows with
     * ld OC; the forward multiplies the transposed weight (C,OC: OC×C column-major) by the
     * inputs (C×rows); the input gradient multiplies the weight (C×OC column-major) by dout
     * (OC×rows); the weight gradient, dweightᵀ (C×OC), takes the inputs (C×T) times dout read
     * transposed (T×cols of the OC×T column-major dout). */
    struct kernel_linear k = *p;
    k.rows                 = rows;
    k.cols                 = cols;
    k.fwd                  = kernel_xsmm_impl(OC, rows, C, OC, C, OC, 1.0f, 0);
    k.dinp                 = kernel_xsmm_impl(C, rows, OC, C, OC, C, 0.0f, 0);
    k.dweight = kernel_xsmm_impl(C, cols, T, C, OC, C, 1.0f, LIBXSMM_GEMM_FLAG_TRANS_B);
    bool ok   = k.fwd && k.dinp && k.dweight;
    if (rrem > 0) {
        k.fwd_rem  = kernel_xsmm_impl(OC, rrem, C, OC, C, OC, 1.0f, 0);
        k.dinp_rem = kernel_xsmm_impl(C, rrem, OC, C, OC, C, 0.0f, 0);
        ok         = ok && k.fwd_rem && k.dinp_rem;
    }
    if (crem > 0) {
        k.dweight_rem = kernel_xsmm_impl(C, crem, T, C, OC, C, 1.0f, LIBXSMM_GEMM_FLAG_TRANS_B);
        ok            = ok && k.dweight_rem;
    }
    if (ok) *p = k;
    return ok;
}

/* Clears the upper halves of the vector registers after generated AVX code: LIBXSMM's kernels
 * leave them dirty, and the SSE code compiled for the baseline (LayerNorm, the rest) then runs
 * several times slower on a false dependency. Only reached on CPUs with AVX (the plan's rule). */
static inline void kernel_vzeroupper(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __asm__ volatile("vzeroupper" ::: "memory");
#endif
}

/* Row block `blk` of N rows: blocks of p->rows inside each sequence of T, the last one of a
 * sequence shorter when rows does not divide T. Sets its first row and its size. */
static inline void kernel_row_block_impl(const struct kernel_linear *p, size_t blk, size_t *r0,
                                         size_t *nr) {
    size_t per = (p->T + p->rows - 1) / p->rows, j = blk % per * p->rows;
    *r0 = blk / per * p->T + j;
    *nr = p->T - j < p->rows ? p->T - j : p->rows;
}

/* Whether the plan's LIBXSMM path applies to N rows. */
static bool kernel_xsmm_applies_impl(const struct kernel_linear *p, size_t N, size_t C, size_t OC) {
    return p != NULL && p->fwd != NULL && p->C == C && p->OC == OC && N % p->T == 0;
}

/* Sets n rows of out (width OC) to resid + bias, resid, bias or zero, as given (resid may be out
 * itself). */
static inline void kernel_bias_rows_impl(float *out, const float *resid, const float *bias,
                                         size_t n, size_t OC) {
    for (size_t i = 0; i < n; i++, out += OC) {
        const float *r = resid != NULL ? resid + i * OC : NULL;
        if (r != NULL && bias != NULL)
            for (size_t j = 0; j < OC; j++)
                out[j] = r[j] + bias[j];
        else if (r != NULL && r != out)
            memcpy(out, r, OC * sizeof *out);
        else if (r == NULL && bias != NULL)
            memcpy(out, bias, OC * sizeof *out);
        else if (r == NULL)
            memset(out, 0, OC * sizeof *out);
    }
}

// ---- matmul ----

/* GELU over a contiguous run (defined with the GELU kernels below), for the fused epilogues. */
static void gelu_forward_chunk(float *out, const float *inp, size_t n);
static void gelu_backward_chunk(float *dinp, const float *inp, const float *out, const float *dout,
                                size_t n);

/* The LIBXSMM forward: the weight transposed into the plan's scratch, then row blocks inside
 * each sequence, each output block set to resid + bias (or either, or zero) while it is in cache
 * and the product added onto it. */
static void matmul_forward_xsmm_impl(const struct kernel_linear *p, float *out, const float *inp,
                                     const float *weight, const float *bias, const float *resid,
                                     size_t N, float *gelu_out) {
    size_t C = p->C, OC = p->OC, T = p->T, rows = p->rows;
    float *wt = p->wt;
#pragma omp parallel for schedule(dynamic, KERNEL_ROWS)
    for (size_t c = 0; c < C; c++)
        for (size_t o = 0; o < OC; o++)
            wt[c * OC + o] = weight[o * C + c];
    size_t per = (T + rows - 1) / rows, n_blocks = N / T * per;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t blk = 0; blk < n_blocks; blk++) {
        size_t r0, nr;
        kernel_row_block_impl(p, blk, &r0, &nr);
        kernel_bias_rows_impl(out + r0 * OC, resid != NULL ? resid + r0 * OC : NULL, bias, nr, OC);
        (nr == rows ? p->fwd : p->fwd_rem)(wt, inp + r0 * C, out + r0 * OC);
        kernel_vzeroupper();
        /* The GELU epilogue, on the block while it is in cache. */
        if (gelu_out != NULL) gelu_forward_chunk(gelu_out + r0 * OC, out + r0 * OC, nr * OC);
    }
}

void matmul_forward(const struct kernel_linear *p, float *out, const float *inp,
                    const float *weight, const float *bias, const float *resid, size_t N, size_t C,
                    size_t OC) {
    if (kernel_xsmm_applies_impl(p, N, C, OC)) {
        matmul_forward_xsmm_impl(p, out, inp, weight, bias, resid, N, NULL);
        return;
    }
    float beta = 0.0f;
    if (bias != NULL || resid != NULL) {
#pragma omp parallel for schedule(dynamic, KERNEL_ROWS)
        for (size_t i = 0; i < N; i++)
            kernel_bias_rows_impl(out + i * OC, resid != NULL ? resid + i * OC : NULL, bias, 1, OC);
        beta = 1.0f;
    }
    sgemm_rowmajor(CblasNoTrans, CblasTrans, (int)N, (int)OC, (int)C, 1.0f, inp, (int)C, weight,
                   (int)C, beta, out, (int)OC);
}

/* Column sums of x (N,M) added into out (M), in double, column blocks over all rows. */
static void colsum_add_impl(float *out, const float *x, size_t N, size_t M) {
    size_t n_blocks = (M + KERNEL_COL_BLOCK - 1) / KERNEL_COL_BLOCK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t blk = 0; blk < n_blocks; blk++) {
        size_t c0 = blk * KERNEL_COL_BLOCK;
        size_t nc = M - c0 < KERNEL_COL_BLOCK ? M - c0 : KERNEL_COL_BLOCK;
        double acc[KERNEL_COL_BLOCK];
        for (size_t j = 0; j < nc; j++)
            acc[j] = 0.0;
        for (size_t i = 0; i < N; i++) {
            const float *r = x + i * M + c0;
            for (size_t j = 0; j < nc; j++)
                acc[j] += (double)r[j];
        }
        for (size_t j = 0; j < nc; j++)
            out[c0 + j] = (float)((double)out[c0 + j] + acc[j]);
    }
}

/* The LIBXSMM backward: the input gradient by row blocks as the forward; the weight gradient by
 * blocks of output columns, each summing the sequences in order, with the bias gradient's column
 * sums of the same block taken while its rows of dout are in cache (in double, rows in order:
 * colsum_add_impl's numbers). */
static void matmul_backward_xsmm_impl(const struct kernel_linear *p, float *dinp, float *dweight,
                                      float *dbias, const float *dout, const float *inp,
                                      const float *weight, size_t N, const float *gelu_pre) {
    size_t C = p->C, OC = p->OC, T = p->T, rows = p->rows, cols = p->cols;
    if (dinp != NULL) {
        size_t per = (T + rows - 1) / rows, n_blocks = N / T * per;
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t blk = 0; blk < n_blocks; blk++) {
            size_t r0, nr;
            kernel_row_block_impl(p, blk, &r0, &nr);
            (nr == rows ? p->dinp : p->dinp_rem)(weight, dout + r0 * OC, dinp + r0 * C);
            kernel_vzeroupper();
            if (gelu_pre != NULL)
                gelu_backward_chunk(dinp + r0 * C, gelu_pre + r0 * C, inp + r0 * C, dinp + r0 * C,
                                    nr * C);
        }
    }
    size_t n_col_blocks = (OC + cols - 1) / cols;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t cb = 0; cb < n_col_blocks; cb++) {
        size_t        o0 = cb * cols, nc = OC - o0 < cols ? OC - o0 : cols;
        kernel_smm_fn f                     = nc < cols ? p->dweight_rem : p->dweight;
        double        acc[KERNEL_XSMM_COLS] = {0};
        for (size_t s = 0; s < N / T; s++) {
            const float *d = dout + s * T * OC + o0;
            f(inp + s * T * C, d, dweight + o0 * C);
            kernel_vzeroupper();
            if (dbias != NULL)
                for (size_t t = 0; t < T; t++, d += OC)
                    for (size_t j = 0; j < nc; j++)
                        acc[j] += (double)d[j];
        }
        if (dbias != NULL)
            for (size_t j = 0; j < nc; j++)
                dbias[o0 + j] = (float)((double)dbias[o0 + j] + acc[j]);
    }
}

void matmul_backward(const struct kernel_linear *p, float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight, size_t N, size_t C,
                     size_t OC) {
    if (kernel_xsmm_applies_impl(p, N, C, OC)) {
        matmul_backward_xsmm_impl(p, dinp, dweight, dbias, dout, inp, weight, N, NULL);
        return;
    }
    if (dinp != NULL)
        sgemm_rowmajor(CblasNoTrans, CblasNoTrans, (int)N, (int)C, (int)OC, 1.0f, dout, (int)OC,
                       weight, (int)C, 0.0f, dinp, (int)C);
    sgemm_rowmajor(CblasTrans, CblasNoTrans, (int)OC, (int)C, (int)N, 1.0f, dout, (int)OC, inp,
                   (int)C, 1.0f, dweight, (int)C);
    if (dbias != NULL) colsum_add_impl(dbias, dout, N, OC);
}

void matmul_gelu_forward(const struct kernel_linear *p, float *pre, float *out, const float *inp,
                         const float *weight, const float *bias, size_t N, size_t C, size_t OC) {
    if (kernel_xsmm_applies_impl(p, N, C, OC)) {
        matmul_forward_xsmm_impl(p, pre, inp, weight, bias, NULL, N, out);
        return;
    }
    matmul_forward(p, pre, inp, weight, bias, NULL, N, C, OC);
    gelu_forward(out, pre, N * OC);
}

void matmul_gelu_backward(const struct kernel_linear *p, float *dinp, float *dweight, float *dbias,
                          const float *dout, const float *inp, const float *weight,
                          const float *pre, size_t N, size_t C, size_t OC) {
    if (kernel_xsmm_applies_impl(p, N, C, OC)) {
        matmul_backward_xsmm_impl(p, dinp, dweight, dbias, dout, inp, weight, N, pre);
        return;
    }
    matmul_backward(p, dinp, dweight, dbias, dout, inp, weight, N, C, OC);
    gelu_backward(dinp, pre, inp, dinp, N * C);
}

// ---- attention ----

bool kernel_attention_plan(struct kernel_attention *p, size_t T, size_t A, size_t NH, float *tr) {
    memset(p, 0, sizeof *p);
    p->T      = T;
    p->A      = A;
    p->NH     = NH;
    p->tr     = tr;
    size_t hs = A / NH, nb = (T + KERNEL_ATT_BLOCK - 1) / KERNEL_ATT_BLOCK;
    if (kernel_xsmm_arch() == NULL || T > KERNEL_ATT_MAX_T || hs > KERNEL_XSMM_MAX_DIM ||
        tr == NULL)
        return false;
    /* Row-major blocks as column-major transposes (see kernel_linear_plan): S block (ib×i1, ld
     * T) = Kt (i1×hs, ld T) · Q block (hs×ib, ld 3A); O block (hs×ib, ld A) = V (hs×i1, ld 3A)
     * · P block (i1×ib, ld T); the key blocks read P and dS columns transposed. */
    struct kernel_attention k  = *p;
    bool                    ok = true;
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * KERNEL_ATT_BLOCK,
               i1 = i0 + KERNEL_ATT_BLOCK < T ? i0 + KERNEL_ATT_BLOCK : T;
        size_t ib = i1 - i0, kk = T - i0;
        k.s[b]  = kernel_xsmm_impl(i1, ib, hs, T, 3 * A, T, 0.0f, 0);
        k.o[b]  = kernel_xsmm_impl(hs, ib, i1, 3 * A, T, A, 0.0f, 0);
        k.dp[b] = kernel_xsmm_impl(i1, ib, hs, T, A, T, 0.0f, 0);
        k.dq[b] = kernel_xsmm_impl(hs, ib, i1, 3 * A, T, 3 * A, 0.0f, 0);
        k.dv[b] = kernel_xsmm_impl(hs, ib, kk, A, T, 3 * A, 0.0f, LIBXSMM_GEMM_FLAG_TRANS_B);
        k.dk[b] = kernel_xsmm_impl(hs, ib, kk, 3 * A, T, 3 * A, 0.0f, LIBXSMM_GEMM_FLAG_TRANS_B);
        ok      = ok && k.s[b] && k.o[b] && k.dp[b] && k.dq[b] && k.dv[b] && k.dk[b];
    }
    if (ok) *p = k;
    return ok;
}

/* Whether the plan's LIBXSMM path applies. */
static bool kernel_att_applies_impl(const struct kernel_attention *p, size_t T, size_t A,
                                    size_t NH) {
    return p != NULL && p->s[0] != NULL && p->T == T && p->A == A && p->NH == NH;
}

/* Softmax of scores row t in place: row[0..t] times `scale` (1 when the product applied it),
 * normalised with its max subtracted (the max of the scaled row is the scaled max: rounding is
 * monotone), the sum in double over fixed lanes; zero past the diagonal. The loops run over
 * whole groups of KERNEL_LANES up to the row's length T, the entries past t masked out (their
 * stale values are never used: a select, not a product), so that the compiler keeps each lane in
 * a vector slot; a masked entry adds 0 to its lane, which changes no sum. */
static inline __attribute__((always_inline)) void kernel_softmax_row_impl(float *row, size_t t,
                                                                          size_t T, float scale) {
    size_t n = (t + KERNEL_LANES) / KERNEL_LANES * KERNEL_LANES; /* t+1 rounded up */
    if (n > T) n = T / KERNEL_LANES * KERNEL_LANES;
    float mxl[KERNEL_LANES];
    for (size_t k = 0; k < KERNEL_LANES; k++)
        mxl[k] = row[0];
    for (size_t j = 0; j < n; j += KERNEL_LANES)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            float x = j + k <= t ? row[j + k] : row[0];
            mxl[k]  = x > mxl[k] ? x : mxl[k];
        }
    float mx = mxl[0];
    for (size_t k = 1; k < KERNEL_LANES; k++)
        mx = mxl[k] > mx ? mxl[k] : mx;
    for (size_t j = n; j <= t; j++)
        mx = row[j] > mx ? row[j] : mx;
    mx                       = mx * scale;
    double acc[KERNEL_LANES] = {0};
    for (size_t j = 0; j < n; j += KERNEL_LANES)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            float e    = kernel_expf(row[j + k] * scale - mx);
            e          = j + k <= t ? e : 0.0f;
            row[j + k] = e;
            acc[k] += (double)e;
        }
    for (size_t j = n; j <= t; j++) {
        float e = kernel_expf(row[j] * scale - mx);
        row[j]  = e;
        acc[j % KERNEL_LANES] += (double)e;
    }
    float inv = (float)(1.0 / kernel_lanes_total(acc));
    for (size_t j = 0; j < T; j++)
        row[j] = j <= t ? row[j] * inv : 0.0f;
}

/* Softmax backward of row t in place: dS = scale · P ⊙ (dP − Σ_k P·dP) up to the diagonal (the
 * sum over fixed lanes, masked past t as the forward's), zero from there to the block's end i1. */
static inline __attribute__((always_inline)) void
kernel_softmax_back_row_impl(float *row, const float *p, size_t t, size_t i1, float scale) {
    size_t n = (t + KERNEL_LANES) / KERNEL_LANES * KERNEL_LANES;
    if (n > i1) n = i1 / KERNEL_LANES * KERNEL_LANES;
    double acc[KERNEL_LANES] = {0};
    for (size_t j = 0; j < n; j += KERNEL_LANES)
        for (size_t k = 0; k < KERNEL_LANES; k++) {
            float x = j + k <= t ? p[j + k] * row[j + k] : 0.0f;
            acc[k] += (double)x;
        }
    for (size_t j = n; j <= t; j++)
        acc[j % KERNEL_LANES] += (double)(p[j] * row[j]);
    float sf = (float)kernel_lanes_total(acc);
    for (size_t j = 0; j < i1; j++)
        row[j] = j <= t ? scale * (p[j] * (row[j] - sf)) : 0.0f;
}

/* Softmax rows i0..i1-1 of a block of scores (row t at P + t·T), several rows per call. */
KERNEL_CLONES static void kernel_softmax_rows(float *P, size_t i0, size_t i1, size_t T,
                                              float scale) {
    for (size_t t = i0; t < i1; t++)
        kernel_softmax_row_impl(P + t * T, t, T, scale);
}

/* Softmax backward of rows i0..i1-1 (dS and P rows t at + t·T). */
KERNEL_CLONES static void kernel_softmax_back_rows(float *dS, const float *P, size_t i0, size_t i1,
                                                   size_t T, float scale) {
    for (size_t t = i0; t < i1; t++)
        kernel_softmax_back_row_impl(dS + t * T, P + t * T, t, i1, scale);
}

/* Copies columns c0..c0+hs-1 of T rows (stride ld) into dst transposed (hs rows of T). */
static void kernel_transpose_head_impl(float *dst, const float *src, size_t T, size_t hs,
                                       size_t ld) {
    for (size_t r = 0; r < T; r++)
        for (size_t c = 0; c < hs; c++)
            dst[c * T + r] = src[r * ld + c];
}

/* The LIBXSMM forward: per (batch, head), Kᵀ into the scratch, then per query block the scores,
 * the scaled softmax in place and the output. */
static void attention_forward_xsmm_impl(const struct kernel_attention *p, float *out, float *att,
                                        const float *qkv, size_t B) {
    size_t T = p->T, A = p->A, NH = p->NH, hs = A / NH, ld = 3 * A;
    float  scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t       b = bh / NH, h = bh % NH;
        const float *q  = qkv + b * T * ld + h * hs;
        const float *v  = q + 2 * A;
        float       *kt = p->tr + bh * T * hs;
        float       *P  = att + bh * T * T;
        float       *o  = out + b * T * A + h * hs;
        kernel_transpose_head_impl(kt, q + A, T, hs, ld);
        for (size_t blk = 0, i0 = 0; i0 < T; blk++, i0 += KERNEL_ATT_BLOCK) {
            size_t i1 = i0 + KERNEL_ATT_BLOCK < T ? i0 + KERNEL_ATT_BLOCK : T;
            p->s[blk](kt, q + i0 * ld, P + i0 * T);
            kernel_vzeroupper();
            kernel_softmax_rows(P, i0, i1, T, scale);
            p->o[blk](v, P + i0 * T, o + i0 * A);
            kernel_vzeroupper();
        }
    }
}

/* The LIBXSMM backward: per (batch, head), Vᵀ into the scratch; per query block dP, the
 * softmax backward (scaled: dS holds scale·dS, so no product needs an alpha) and dQ; per key
 * block dV and dK. */
static void attention_backward_xsmm_impl(const struct kernel_attention *p, float *dqkv, float *datt,
                                         const float *dout, const float *qkv, const float *att,
                                         size_t B) {
    size_t T = p->T, A = p->A, NH = p->NH, hs = A / NH, ld = 3 * A;
    float  scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t       b = bh / NH, h = bh % NH;
        const float *q  = qkv + b * T * ld + h * hs;
        const float *k  = q + A;
        float       *vt = p->tr + bh * T * hs;
        float       *dq = dqkv + b * T * ld + h * hs;
        float       *dk = dq + A;
        float       *dv = dq + 2 * A;
        const float *P  = att + bh * T * T;
        float       *dS = datt + bh * T * T;
        const float *dO = dout + b * T * A + h * hs;
        kernel_transpose_head_impl(vt, q + 2 * A, T, hs, ld);
        for (size_t blk = 0, i0 = 0; i0 < T; blk++, i0 += KERNEL_ATT_BLOCK) {
            size_t i1 = i0 + KERNEL_ATT_BLOCK < T ? i0 + KERNEL_ATT_BLOCK : T;
            p->dp[blk](vt, dO + i0 * A, dS + i0 * T);
            kernel_vzeroupper();
            kernel_softmax_back_rows(dS, P, i0, i1, T, scale);
            p->dq[blk](k, dS + i0 * T, dq + i0 * ld);
            kernel_vzeroupper();
        }
        for (size_t blk = 0, j0 = 0; j0 < T; blk++, j0 += KERNEL_ATT_BLOCK) {
            p->dv[blk](dO + j0 * A, P + j0 * T + j0, dv + j0 * ld);
            p->dk[blk](q + j0 * ld, dS + j0 * T + j0, dk + j0 * ld);
            kernel_vzeroupper();
        }
    }
}

void attention_forward(const struct kernel_attention *p, float *out, float *att, const float *qkv,
                       size_t B, size_t T, size_t A, size_t NH) {
    if (kernel_att_applies_impl(p, T, A, NH)) {
        attention_forward_xsmm_impl(p, out, att, qkv, B);
        return;
    }
    size_t hs    = A / NH;
    size_t ld    = 3 * A;
    float  scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t       b = bh / NH, h = bh % NH;
        const float *q = qkv + b * T * ld + h * hs;
        const float *k = q + A;
        const float *v = q + 2 * A;
        float       *P = att + bh * T * T;
        float       *o = out + b * T * A + h * hs;
        for (size_t i0 = 0; i0 < T; i0 += KERNEL_ATT_BLOCK) {
            size_t i1 = i0 + KERNEL_ATT_BLOCK < T ? i0 + KERNEL_ATT_BLOCK : T;
            /* S[i0:i1, 0:i1] = scale · Q[i0:i1] · K[0:i1]ᵀ; keys past i1 are masked anyway. */
            sgemm_rowmajor(CblasNoTrans, CblasTrans, (int)(i1 - i0), (int)i1, (int)hs, scale,
                           q + i0 * ld, (int)ld, k, (int)ld, 0.0f, P + i0 * T, (int)T);
            kernel_softmax_rows(P, i0, i1, T, 1.0f);
            /* O[i0:i1] = P[i0:i1, 0:i1] · V[0:i1]. */
            sgemm_rowmajor(CblasNoTrans, CblasNoTrans, (int)(i1 - i0), (int)hs, (int)i1, 1.0f,
                           P + i0 * T, (int)T, v, (int)ld, 0.0f, o + i0 * A, (int)A);
        }
    }
}

void attention_backward(const struct kernel_attention *p, float *dqkv, float *datt,
                        const float *dout, const float *qkv, const float *att, size_t B, size_t T,
                        size_t A, size_t NH) {
    if (kernel_att_applies_impl(p, T, A, NH)) {
        attention_backward_xsmm_impl(p, dqkv, datt, dout, qkv, att, B);
        return;
    }
    size_t hs    = A / NH;
    size_t ld    = 3 * A;
    float  scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t       b = bh / NH, h = bh % NH;
        const float *q  = qkv + b * T * ld + h * hs;
        const float *k  = q + A;
        const float *v  = q + 2 * A;
        float       *dq = dqkv + b * T * ld + h * hs;
        float       *dk = dq + A;
        float       *dv = dq + 2 * A;
        const float *P  = att + bh * T * T;
        float       *dS = datt + bh * T * T;
        const float *dO = dout + b * T * A + h * hs;
        for (size_t i0 = 0; i0 < T; i0 += KERNEL_ATT_BLOCK) {
            size_t i1 = i0 + KERNEL_ATT_BLOCK < T ? i0 + KERNEL_ATT_BLOCK : T;
            /* dP[i0:i1, 0:i1] = dO[i0:i1] · V[0:i1]ᵀ. */
            sgemm_rowmajor(CblasNoTrans, CblasTrans, (int)(i1 - i0), (int)i1, (int)hs, 1.0f,
                           dO + i0 * A, (int)A, v, (int)ld, 0.0f, dS + i0 * T, (int)T);
            kernel_softmax_back_rows(dS, P, i0, i1, T, 1.0f);
            /* dQ[i0:i1] = scale · dS[i0:i1, 0:i1] · K[0:i1]. */
            sgemm_rowmajor(CblasNoTrans, CblasNoTrans, (int)(i1 - i0), (int)hs, (int)i1, scale,
                           dS + i0 * T, (int)T, k, (int)ld, 0.0f, dq + i0 * ld, (int)ld);
        }
        /* Key blocks: only query rows >= j0 see keys j0..j1-1. */
        for (size_t j0 = 0; j0 < T; j0 += KERNEL_ATT_BLOCK) {
            size_t j1 = j0 + KERNEL_ATT_BLOCK < T ? j0 + KERNEL_ATT_BLOCK : T;
            /* dV[j0:j1] = P[j0:T, j0:j1]ᵀ · dO[j0:T]. */
            sgemm_rowmajor(CblasTrans, CblasNoTrans, (int)(j1 - j0), (int)hs, (int)(T - j0), 1.0f,
                           P + j0 * T + j0, (int)T, dO + j0 * A, (int)A, 0.0f, dv + j0 * ld,
                           (int)ld);
            /* dK[j0:j1] = scale · dS[j0:T, j0:j1]ᵀ · Q[j0:T]. */
            sgemm_rowmajor(CblasTrans, CblasNoTrans, (int)(j1 - j0), (int)hs, (int)(T - j0), scale,
                           dS + j0 * T + j0, (int)T, q + j0 * ld, (int)ld, 0.0f, dk + j0 * ld,
                           (int)ld);
        }
    }
}

// ---- gelu ----

/* sqrt(2/pi) and the cubic coefficient of the tanh approximation (Hendrycks & Gimpel 2016;
 * torch.nn.functional.gelu(approximate='tanh')). */
#define GELU_SCALE 0.7978845608028654f
#define GELU_CUBIC 0.044715f

KERNEL_CLONES static void gelu_forward_chunk(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
        out[i]  = 0.5f * x * (1.0f + kernel_tanhf(u));
    }
}

/* gelu'(x) from x and the forward's y = gelu(x): tanh(u) = 2y/x − 1 (one division instead of an
 * exponential and a division; its error is the rounding of y, about one float ulp of 1 + tanh),
 * and tanh(u) ≈ u where |x| < 1e-6 (the next term is u³/3, below 1e-18). */
KERNEL_CLONES static void gelu_backward_chunk(float *dinp, const float *inp, const float *out,
                                              const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x  = inp[i];
        float u  = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
        float th = fabsf(x) < 1e-6f ? u : 2.0f * out[i] / x - 1.0f;
        float du = GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * x * x);
        float g  = 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
        dinp[i]  = dout[i] * g;
    }
}

void gelu_forward(float *out, const float *inp, size_t n) {
    size_t n_chunks = (n + KERNEL_CHUNK - 1) / KERNEL_CHUNK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t c = 0; c < n_chunks; c++) {
        size_t i0 = c * KERNEL_CHUNK, i1 = i0 + KERNEL_CHUNK < n ? i0 + KERNEL_CHUNK : n;
        gelu_forward_chunk(out + i0, inp + i0, i1 - i0);
    }
}

void gelu_backward(float *dinp, const float *inp, const float *out, const float *dout, size_t n) {
    size_t n_chunks = (n + KERNEL_CHUNK - 1) / KERNEL_CHUNK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t c = 0; c < n_chunks; c++) {
        size_t i0 = c * KERNEL_CHUNK, i1 = i0 + KERNEL_CHUNK < n ? i0 + KERNEL_CHUNK : n;
        gelu_backward_chunk(dinp + i0, inp + i0, out + i0, dout + i0, i1 - i0);
    }
}

// ---- softmax + cross-entropy ----

void crossentropy_forward(float *losses, float *probs, const float *logits, const int32_t *targets,
                          size_t N, size_t V) {
#pragma omp      parallel for schedule(dynamic, KERNEL_ROWS)
    for (size_t i = 0; i < N; i++) {
             if (targets[i] < 0) { /* an ignored position: no loss (its probs are not used) */
            losses[i] = 0.0f;
            continue;
        }
             const float *l  = logits + i * V;
             float        mx = l[0];
             for (size_t j = 1; j < V; j++)
            mx = l[j] > mx ? l[j] : mx;
        double s = 0.0;
             if (probs != NULL) {
                 float *p = probs + i * V;
     #pragma omp simd reduction(+ : s)
            for (size_t j = 0; j < V; j++) {
                     float e = kernel_expf(l[j] - mx);
                     p[j]    = e;
                     s += (double)e;
            }
            float inv = (float)(1.0 / s);
            for (size_t j = 0; j < V; j++)
                p[j] *= inv;
        } else {
#pragma omp simd reduction(+ : s)
            for (size_t j = 0; j < V; j++)
                s += (double)kernel_expf(l[j] - mx);
        }
        losses[i] = (float)(log(s) + (double)mx - (double)l[targets[i]]);
    }
}

void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets, float dloss,
                           size_t N, size_t V) {
#pragma omp parallel for schedule(dynamic, KERNEL_ROWS)
    for (size_t i = 0; i < N; i++) {
        const float *p = probs + i * V;
        float       *d = dlogits + i * V;
        if (targets[i] < 0) { /* an ignored position: no gradient */
            memset(d, 0, V * sizeof *d);
            continue;
        }
        float pt = p[targets[i]]; /* read before d (which may alias p) is written */
        for (size_t j = 0; j < V; j++)
            d[j] = p[j] * dloss;
        d[targets[i]] = (pt - 1.0f) * dloss;
    }
}

// ---- distillation ----

/* log of a teacher's probability, clamped where it underflowed to 0. */
static double kernel_logp_impl(float p) {
    return log((double)(p > FLT_MIN ? p : FLT_MIN));
}

void        distill_forward(float *losses, float *probs, const float *logits, const float *teacher,
                            const int32_t *mask, size_t N, size_t V, enum kernel_objective obj,
                            double lambda) {
#pragma omp parallel for schedule(dynamic, KERNEL_ROWS)
    for (size_t i = 0; i < N; i++) {
        if (mask[i] < 0) {
            losses[i] = 0.0f;
            continue;
        }
        const float *l = logits + i * V, *p = teacher + i * V;
        float       *q  = probs + i * V;
        float        mx = l[0];
        for (size_t j = 1; j < V; j++)
            mx = l[j] > mx ? l[j] : mx;
        double s = 0.0;
        for (size_t j = 0; j < V; j++)
            s += exp((double)l[j] - (double)mx);
        double lse = log(s), fwd = 0.0, rev = 0.0, js = 0.0;
        for (size_t j = 0; j < V; j++) {
            double lq = (double)l[j] - (double)mx - lse, qj = exp(lq), pj = (double)p[j];
            q[j] = (float)qj;
            if (pj > 0) fwd += pj * (log(pj) - lq);
            rev += qj * (lq - kernel_logp_impl(p[j]));
            double m = 0.5 * (pj + qj);
            if (pj > 0) js += 0.5 * pj * (log(pj) - log(m));
            if (qj > 0) js += 0.5 * qj * (lq - log(m));
        }
        double v  = obj == KERNEL_OBJECTIVE_FORWARD_KL   ? fwd
                    : obj == KERNEL_OBJECTIVE_REVERSE_KL ? rev
                    : obj == KERNEL_OBJECTIVE_JS         ? js
                                                         : lambda * fwd + (1.0 - lambda) * rev;
        losses[i] = (float)v;
    }
}

void distill_backward(float *dlogits, const float *probs, const float *teacher, const int32_t *mask,
                      float dloss, size_t N, size_t V, enum kernel_objective obj, double lambda) {
#pragma omp parallel for schedule(dynamic, KERNEL_ROWS)
    for (size_t i = 0; i < N; i++) {
        const float *q = probs + i * V, *p = teacher + i * V;
        float       *d = dlogits + i * V;
        if (mask[i] < 0) {
            memset(d, 0, V * sizeof *d);
            continue;
        }
        /* Σ q·g of the reverse KL (g = log(q/p)) and of JS (g = ½·log(q/m)), before d (which
         * may alias q) is written. */
        double rev = 0.0, js = 0.0;
        for (size_t j = 0; j < V; j++) {
            double qj = (double)q[j];
            if (!(qj > 0)) continue;
            rev += qj * (log(qj) - kernel_logp_impl(p[j]));
            js += qj * 0.5 * (log(qj) - log(0.5 * ((double)p[j] + qj)));
        }
        for (size_t j = 0; j < V; j++) {
            double qj = (double)q[j], pj = (double)p[j];
            double lq = qj > 0 ? log(qj) : 0.0;
            double gf = qj - pj, gr = qj > 0 ? qj * (lq - kernel_logp_impl(p[j]) - rev) : 0.0;
            double gj = qj > 0 ? qj * (0.5 * (lq - log(0.5 * (pj + qj))) - js) : 0.0;
            double v  = obj == KERNEL_OBJECTIVE_FORWARD_KL   ? gf
                        : obj == KERNEL_OBJECTIVE_REVERSE_KL ? gr
                        : obj == KERNEL_OBJECTIVE_JS         ? gj
                                                             : lambda * gf + (1.0 - lambda) * gr;
            d[j]      = (float)v * dloss;
        }
    }
}

// ---- norm, AdamW ----

double sumsq(const float *x, size_t n, double *partial) {
    size_t n_blocks = (n + MODEL_SUMSQ_BLOCK - 1) / MODEL_SUMSQ_BLOCK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t blk = 0; blk < n_blocks; blk++) {
        size_t i0 = blk * MODEL_SUMSQ_BLOCK;
        size_t i1 = i0 + MODEL_SUMSQ_BLOCK < n ? i0 + MODEL_SUMSQ_BLOCK : n;
        double s  = 0.0;
        for (size_t i = i0; i < i1; i++)
            s += (double)x[i] * (double)x[i];
        partial[blk] = s;
    }
    double s = 0.0;
    for (size_t blk = 0; blk < n_blocks; blk++)
        s += partial[blk];
    return s;
}

/* One AdamW chunk; the constants are precomputed by adamw_update. */
struct kernel_adamw_consts {
    float beta1, beta2, eps, decay, step_size, bc2_sqrt, one_m_b1, one_m_b2, grad_scale;
};

KERNEL_CLONES static void adamw_chunk(float *param, const float *grad, float *m, float *v, size_t n,
                                      const struct kernel_adamw_consts *k) {
    for (size_t i = 0; i < n; i++) {
        float g     = grad[i] * k->grad_scale;
        float p     = param[i] * k->decay;
        float mi    = m[i] * k->beta1 + g * k->one_m_b1;
        float vi    = v[i] * k->beta2 + k->one_m_b2 * g * g;
        m[i]        = mi;
        v[i]        = vi;
        float denom = sqrtf(vi) / k->bc2_sqrt + k->eps;
        param[i]    = p - k->step_size * (mi / denom);
    }
}

void adamw_update(float *param, const float *grad, float *m, float *v, size_t n, float lr,
                  float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                  int64_t t) {
    /* PyTorch 1.13 torch.optim.AdamW (_single_tensor_adamw), operation for operation:
     * decay, moments, bias corrections in double, denominator sqrt(v)/sqrt(bc2) + eps. */
    double                     bc1 = 1.0 - pow((double)beta1, (double)t);
    double                     bc2 = 1.0 - pow((double)beta2, (double)t);
    struct kernel_adamw_consts k   = {
          .beta1      = beta1,
          .beta2      = beta2,
          .eps        = eps,
          .decay      = (float)(1.0 - (double)lr * (double)weight_decay),
          .step_size  = (float)((double)lr / bc1),
          .bc2_sqrt   = (float)sqrt(bc2),
          .one_m_b1   = (float)(1.0 - (double)beta1),
          .one_m_b2   = (float)(1.0 - (double)beta2),
          .grad_scale = grad_scale,
    };
    size_t n_chunks = (n + KERNEL_CHUNK - 1) / KERNEL_CHUNK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t c = 0; c < n_chunks; c++) {
        size_t i0 = c * KERNEL_CHUNK, i1 = i0 + KERNEL_CHUNK < n ? i0 + KERNEL_CHUNK : n;
        adamw_chunk(param + i0, grad + i0, m + i0, v + i0, i1 - i0, &k);
    }
}
