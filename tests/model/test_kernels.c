/*
 * test_kernels.c — every kernel's backward against central finite differences of its forward
 * (STYLE §32): for a kernel y = f(x) and fixed random weights w, the scalar L(x) = Σ w·y is
 * summed in double, each input element is moved by ±h and (L+ − L−)/(x+ − x−) (the float-rounded
 * step actually taken) is compared with the analytic gradient the backward returns for dout = w.
 *
 * Step and tolerance. h = 1e-2 on inputs of order 1. The truncation error of a central
 * difference is h²/6·|L'''| ≈ 2e-5·|L'''|, and the rounding error of L (float outputs, about
 * 6e-8 relative each, summed over at most a few hundred outputs) divided by 2h is below 1e-4.
 * So |fd − analytic| <= 2e-3·max|analytic over the tensor| + 1e-4 leaves a margin of more than
 * ten over both, while a wrong term in a backward (a missing factor, a transposed index, a
 * dropped mask) moves the gradient by far more. Inputs are high-entropy values (uniform in
 * [-1.7, 2.3], never 0 or 1). There are no kinks: GELU (tanh form), softmax and LayerNorm are
 * smooth, and the causal mask is structural (masked entries never enter the forward), so their
 * finite differences are exactly zero and so must the gradients be.
 *
 * Also here: AdamW against a double-precision evaluation of PyTorch's formula, the gradient sum
 * of squares against a plain double loop, and thread-count independence of the reductions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "kernels.h"

#define FD_STEP 1e-2f
#define FD_RTOL 2e-3
#define FD_ATOL 1e-4

static struct model_rng rng;

static void fill(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)model_rng_uniform(&rng);
}

static double dot(const float *w, const float *y, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)w[i] * (double)y[i];
    return s;
}

/* A forward under test: evaluates y from the current inputs (held by ctx). */
typedef void (*fwd_fn)(void *ctx);

/* Checks grad (analytic, n) against finite differences of Σ w·y over the input x (n). */
static void fd_check(const char *label, fwd_fn f, void *ctx, float *x, const float *grad, size_t n,
                     const float *w, const float *y, size_t ny) {
    double gmax = 0.0, worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabs((double)grad[i]));
    double tol = FD_RTOL * gmax + FD_ATOL;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i]     = x0 + FD_STEP;
        float xp = x[i];
        f(ctx);
        double lp = dot(w, y, ny);
        x[i]      = x0 - FD_STEP;
        float xm  = x[i];
        f(ctx);
        double lm = dot(w, y, ny);
        x[i]      = x0;
        double fd = (lp - lm) / ((double)xp - (double)xm);
        double d  = fabs(fd - (double)grad[i]);
        if (d > worst) {
            worst   = d;
            worst_i = i;
        }
    }
    f(ctx);
    check(worst <= tol, "%s: max |fd - analytic| %.3g at %zu <= %.3g (max|g| %.3g, n %zu)", label,
          worst, worst_i, tol, gmax, n);
}

// ---- encoder ----

struct enc_ctx {
    float   *out, *wte, *wpe;
    int32_t *inp;
    size_t   B, T, C;
};
static void enc_fwd(void *p) {
    struct enc_ctx *c = p;
    encoder_forward(c->out, c->inp, c->wte, c->wpe, c->B, c->T, c->C);
}

static void test_encoder(void) {
    size_t         B = 2, T = 3, C = 4, V = 5;
    struct enc_ctx c = {.B = B, .T = T, .C = C};
    c.out            = malloc(B * T * C * sizeof(float));
    c.wte            = malloc(V * C * sizeof(float));
    c.wpe            = malloc(T * C * sizeof(float));
    int32_t inp[6]   = {3, 1, 3, 0, 3, 4}; /* token 3 repeats, token 2 is absent */
    c.inp            = inp;
    float *w = malloc(B * T * C * sizeof(float)), *dwte = calloc(V * C, sizeof(float)),
          *dwpe = calloc(T * C, sizeof(float));
    int32_t order[6 + 5 + 1];
    fill(c.wte, V * C, -1.7f, 2.3f);
    fill(c.wpe, T * C, -1.7f, 2.3f);
    fill(w, B * T * C, -1.7f, 2.3f);
    enc_fwd(&c);
    encoder_backward(dwte, dwpe, w, inp, order, B, T, C, V);
    fd_check("encoder dwte", enc_fwd, &c, c.wte, dwte, V * C, w, c.out, B * T * C);
    fd_check("encoder dwpe", enc_fwd, &c, c.wpe, dwpe, T * C, w, c.out, B * T * C);
    bool absent_zero = true;
    for (size_t k = 0; k < C; k++)
        absent_zero &= dwte[2 * C + k] == 0.0f;
    check(absent_zero, "encoder: the row of an absent token gets no gradient");
    free(c.out), free(c.wte), free(c.wpe), free(w), free(dwte), free(dwpe);
}

// ---- layernorm ----

struct ln_ctx {
    float *out, *mean, *rstd, *inp, *weight, *bias;
    size_t N, C;
};
static void ln_fwd(void *p) {
    struct ln_ctx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, c->N, c->C);
}

static void test_layernorm(void) {
    size_t        N = 6, C = 4; /* B=2, T=3 */
    struct ln_ctx c = {.N = N, .C = C};
    c.out = malloc(N * C * sizeof(float)), c.inp = malloc(N * C * sizeof(float));
    c.mean = malloc(N * sizeof(float)), c.rstd = malloc(N * sizeof(float));
    c.weight = malloc(C * sizeof(float)), c.bias = malloc(C * sizeof(float));
    float *w = malloc(N * C * sizeof(float)), *dinp = calloc(N * C, sizeof(float));
    float *dw = calloc(C, sizeof(float)), *db = calloc(C, sizeof(float));
    fill(c.inp, N * C, -1.7f, 2.3f);
    fill(c.weight, C, -1.7f, 2.3f);
    fill(c.bias, C, -1.7f, 2.3f);
    fill(w, N * C, -1.7f, 2.3f);
    ln_fwd(&c);
    layernorm_backward(dinp, dw, db, w, c.inp, c.weight, c.mean, c.rstd, N, C);
    fd_check("layernorm dinp", ln_fwd, &c, c.inp, dinp, N * C, w, c.out, N * C);
    fd_check("layernorm dweight", ln_fwd, &c, c.weight, dw, C, w, c.out, N * C);
    fd_check("layernorm dbias", ln_fwd, &c, c.bias, db, C, w, c.out, N * C);
    /* The backward adds into dinp: a second call doubles it. */
    float first = dinp[5];
    layernorm_backward(dinp, dw, db, w, c.inp, c.weight, c.mean, c.rstd, N, C);
    check_rel(dinp[5], 2.0f * first, 1e-6, "layernorm_backward accumulates into dinp");
    free(c.out), free(c.inp), free(c.mean), free(c.rstd), free(c.weight), free(c.bias);
    free(w), free(dinp), free(dw), free(db);
}

// ---- matmul ----

struct mm_ctx {
    const struct kernel_linear *plan;
    float                      *out, *inp, *weight, *bias;
    size_t                      N, C, OC;
};
static void mm_fwd(void *p) {
    struct mm_ctx *c = p;
    matmul_forward(c->plan, c->out, c->inp, c->weight, c->bias, NULL, c->N, c->C, c->OC);
}

/* Finite differences of one path (plan NULL: OpenBLAS; else the plan's). */
static void test_matmul_path(const struct kernel_linear *plan, const char *name) {
    size_t        N = 6, C = 4, OC = 5;
    struct mm_ctx c = {.plan = plan, .N = N, .C = C, .OC = OC};
    c.out = malloc(N * OC * sizeof(float)), c.inp = malloc(N * C * sizeof(float));
    c.weight = malloc(OC * C * sizeof(float)), c.bias = malloc(OC * sizeof(float));
    float *w = malloc(N * OC * sizeof(float)), *dinp = malloc(N * C * sizeof(float));
    float *dw = calloc(OC * C, sizeof(float)), *db = calloc(OC, sizeof(float));
    fill(c.inp, N * C, -1.7f, 2.3f);
    fill(c.weight, OC * C, -1.7f, 2.3f);
    fill(c.bias, OC, -1.7f, 2.3f);
    fill(w, N * OC, -1.7f, 2.3f);
    mm_fwd(&c);
    matmul_backward(plan, dinp, dw, db, w, c.inp, c.weight, N, C, OC);
    char what[96];
    snprintf(what, sizeof what, "matmul dinp (%s)", name);
    fd_check(what, mm_fwd, &c, c.inp, dinp, N * C, w, c.out, N * OC);
    snprintf(what, sizeof what, "matmul dweight (%s)", name);
    fd_check(what, mm_fwd, &c, c.weight, dw, OC * C, w, c.out, N * OC);
    snprintf(what, sizeof what, "matmul dbias (%s)", name);
    fd_check(what, mm_fwd, &c, c.bias, db, OC, w, c.out, N * OC);
    /* A residual adds onto the product and the bias: from another array, or in place. */
    float *acc_out = malloc(N * OC * sizeof(float)), *resid = malloc(N * OC * sizeof(float));
    fill(resid, N * OC, -0.5f, 0.75f);
    for (int in_place = 0; in_place < 2; in_place++) {
        if (in_place) memcpy(acc_out, resid, N * OC * sizeof(float));
        matmul_forward(plan, acc_out, c.inp, c.weight, c.bias, in_place ? acc_out : resid, N, C,
                       OC);
        bool ok = true;
        for (size_t i = 0; i < N * OC; i++)
            ok &= fabsf(acc_out[i] - (c.out[i] + resid[i])) < 1e-5f;
        check(ok, "matmul_forward adds the residual %s (%s)", in_place ? "in place" : "given",
              name);
    }
    /* Without a bias, the residual alone. */
    matmul_forward(plan, acc_out, c.inp, c.weight, NULL, resid, N, C, OC);
    bool ok = true;
    for (size_t i = 0; i < N * OC; i++) {
        float expect = c.out[i] - c.bias[i % OC] + resid[i];
        ok &= fabsf(acc_out[i] - expect) < 1e-5f * (1.0f + fabsf(expect));
    }
    check(ok, "matmul_forward with a residual and no bias (%s)", name);
    free(resid);
    free(acc_out);
    free(c.out), free(c.inp), free(c.weight), free(c.bias), free(w), free(dinp), free(dw), free(db);
}

/* Largest |a − b| relative to the largest |b|. */
static double rel_diff(const float *a, const float *b, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - (double)b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

/* The LIBXSMM path against OpenBLAS on a shape with partial blocks (T = 70: a block of 64 rows
 * and one of 6; OC = 70: 64 output columns and 6), and results independent of the thread count. */
static void test_matmul_blocks(void) {
    size_t               T = 70, N = 2 * T, C = 9, OC = 70;
    float               *wt = malloc(C * OC * sizeof(float));
    struct kernel_linear plan;
    if (!kernel_linear_plan(&plan, C, OC, T, wt)) {
        check(kernel_xsmm_arch() == NULL, "a plan is refused only where LIBXSMM has no code");
        printf("LIBXSMM generates no code for this CPU: only the OpenBLAS path is tested\n");
        free(wt);
        return;
    }
    float *inp = malloc(N * C * sizeof(float)), *w = malloc(OC * C * sizeof(float));
    float *bias = malloc(OC * sizeof(float)), *dout = malloc(N * OC * sizeof(float));
    float *out[2], *dinp[2], *dw[2], *db[2];
    fill(inp, N * C, -1.7f, 2.3f);
    fill(w, OC * C, -1.7f, 2.3f);
    fill(bias, OC, -1.7f, 2.3f);
    fill(dout, N * OC, -1.7f, 2.3f);
    for (int k = 0; k < 2; k++) {
        out[k] = malloc(N * OC * sizeof(float)), dinp[k] = malloc(N * C * sizeof(float));
        dw[k] = calloc(OC * C, sizeof(float)), db[k] = calloc(OC, sizeof(float));
        const struct kernel_linear *p = k == 0 ? NULL : &plan;
        matmul_forward(p, out[k], inp, w, bias, NULL, N, C, OC);
        matmul_backward(p, dinp[k], dw[k], db[k], dout, inp, w, N, C, OC);
    }
    check(rel_diff(out[1], out[0], N * OC) < 1e-6, "LIBXSMM forward = OpenBLAS's (rel %.2g)",
          rel_diff(out[1], out[0], N * OC));
    check(rel_diff(dinp[1], dinp[0], N * C) < 1e-6, "LIBXSMM dinp = OpenBLAS's (rel %.2g)",
          rel_diff(dinp[1], dinp[0], N * C));
    check(rel_diff(dw[1], dw[0], OC * C) < 1e-5, "LIBXSMM dweight = OpenBLAS's (rel %.2g)",
          rel_diff(dw[1], dw[0], OC * C));
    /* The bias gradient, summed with the weight gradient's column blocks on the LIBXSMM path and
     * by colsum on OpenBLAS's, adds the same numbers in the same order. */
    check(memcmp(db[1], db[0], OC * sizeof(float)) == 0, "LIBXSMM dbias = OpenBLAS's, bitwise");
    /* One thread and two give the same bits. */
    float *o1 = malloc(N * OC * sizeof(float)), *g1 = calloc(OC * C, sizeof(float));
    model_set_threads(1);
    matmul_forward(&plan, o1, inp, w, bias, NULL, N, C, OC);
    matmul_backward(&plan, NULL, g1, NULL, dout, inp, w, N, C, OC);
    model_set_threads(2);
    check(memcmp(o1, out[1], N * OC * sizeof(float)) == 0 &&
              memcmp(g1, dw[1], OC * C * sizeof(float)) == 0,
          "LIBXSMM path: 1 and 2 threads give the same bits");
    /* The GELU epilogues give what the separate kernels give, bit for bit, on both paths. */
    float *pre = malloc(N * OC * sizeof(float)), *act = malloc(N * OC * sizeof(float));
    float *act2 = malloc(N * OC * sizeof(float)), *gpre = malloc(N * C * sizeof(float));
    float *ginp = malloc(N * C * sizeof(float)); /* gelu(gpre): the second layer's input */
    float *d1 = malloc(N * C * sizeof(float)), *d2 = malloc(N * C * sizeof(float));
    float *gw1 = calloc(OC * C, sizeof(float)), *gw2 = calloc(OC * C, sizeof(float));
    fill(gpre, N * C, -1.7f, 2.3f);
    gelu_forward(ginp, gpre, N * C);
    for (int k = 0; k < 2; k++) {
        const struct kernel_linear *p = k == 0 ? NULL : &plan;
        matmul_gelu_forward(p, pre, act, inp, w, bias, N, C, OC);
        matmul_forward(p, out[k], inp, w, bias, NULL, N, C, OC);
        gelu_forward(act2, out[k], N * OC);
        matmul_gelu_backward(p, d1, gw1, NULL, dout, ginp, w, gpre, N, C, OC);
        matmul_backward(p, d2, gw2, NULL, dout, ginp, w, N, C, OC);
        gelu_backward(d2, gpre, ginp, d2, N * C);
        check(memcmp(pre, out[k], N * OC * sizeof(float)) == 0 &&
                  memcmp(act, act2, N * OC * sizeof(float)) == 0 &&
                  memcmp(d1, d2, N * C * sizeof(float)) == 0,
              "matmul with the GELU fused = matmul then GELU, bit for bit (%s)",
              k == 0 ? "OpenBLAS" : "LIBXSMM");
    }
    free(pre), free(act), free(act2), free(gpre), free(ginp), free(d1), free(d2), free(gw1),
        free(gw2);
    for (int k = 0; k < 2; k++)
        free(out[k]), free(dinp[k]), free(dw[k]), free(db[k]);
    free(o1), free(g1), free(inp), free(w), free(bias), free(dout), free(wt);
}

static void test_matmul(void) {
    test_matmul_path(NULL, "OpenBLAS");
    float               *wt = malloc(4 * 5 * sizeof(float));
    struct kernel_linear plan;
    if (kernel_linear_plan(&plan, 4, 5, 3, wt)) test_matmul_path(&plan, "LIBXSMM");
    free(wt);
    test_matmul_blocks();
}

// ---- attention ----

struct att_ctx {
    const struct kernel_attention *plan;
    float                         *out, *att, *qkv;
    size_t                         B, T, A, NH;
};
static void att_fwd(void *p) {
    struct att_ctx *c = p;
    attention_forward(c->plan, c->out, c->att, c->qkv, c->B, c->T, c->A, c->NH);
}

/* Finite differences and the probabilities' properties on one path; with the LIBXSMM plan, its
 * output and gradient against OpenBLAS's. */
static void test_attention_path(size_t B, size_t T, size_t A, size_t NH,
                                const struct kernel_attention *plan, const char *name) {
    struct att_ctx c = {.plan = plan, .B = B, .T = T, .A = A, .NH = NH};
    c.out            = malloc(B * T * A * sizeof(float));
    c.att            = malloc(B * NH * T * T * sizeof(float));
    c.qkv            = malloc(B * T * 3 * A * sizeof(float));
    float *datt      = malloc(B * NH * T * T * sizeof(float));
    float *w = malloc(B * T * A * sizeof(float)), *dqkv = malloc(B * T * 3 * A * sizeof(float));
    fill(c.qkv, B * T * 3 * A, -1.7f, 2.3f);
    fill(w, B * T * A, -1.7f, 2.3f);
    att_fwd(&c);
    attention_backward(plan, dqkv, datt, w, c.qkv, c.att, B, T, A, NH);
    char label[128];
    snprintf(label, sizeof label, "attention dqkv (%s, B=%zu T=%zu A=%zu NH=%zu)", name, B, T, A,
             NH);
    fd_check(label, att_fwd, &c, c.qkv, dqkv, B * T * 3 * A, w, c.out, B * T * A);
    /* Probabilities: rows sum to 1, zero above the diagonal. */
    double worst      = 0.0;
    bool   upper_zero = true;
    for (size_t r = 0; r < B * NH * T; r++) {
        size_t t = r % T;
        double s = 0.0;
        for (size_t j = 0; j < T; j++) {
            s += c.att[r * T + j];
            if (j > t) upper_zero &= c.att[r * T + j] == 0.0f;
        }
        worst = fmax(worst, fabs(s - 1.0));
    }
    check(worst < 1e-6 && upper_zero, "attention rows sum to 1 (worst %.2g), causal zeros (%s)",
          worst, name);
    if (plan != NULL) {
        float *out0 = malloc(B * T * A * sizeof(float)), *att0 = malloc(B * NH * T * T * 4);
        float *dqkv0 = malloc(B * T * 3 * A * sizeof(float));
        att_fwd(&c);
        attention_forward(NULL, out0, att0, c.qkv, B, T, A, NH);
        attention_backward(NULL, dqkv0, datt, w, c.qkv, att0, B, T, A, NH);
        attention_backward(plan, dqkv, datt, w, c.qkv, c.att, B, T, A, NH);
        check(rel_diff(c.out, out0, B * T * A) < 1e-6 &&
                  rel_diff(dqkv, dqkv0, B * T * 3 * A) < 1e-5,
              "attention (T=%zu): LIBXSMM = OpenBLAS (output rel %.2g, gradient rel %.2g)", T,
              rel_diff(c.out, out0, B * T * A), rel_diff(dqkv, dqkv0, B * T * 3 * A));
        free(out0), free(att0), free(dqkv0);
    }
    free(c.out), free(c.att), free(c.qkv), free(datt), free(w), free(dqkv);
}

static void test_attention(size_t B, size_t T, size_t A, size_t NH) {
    test_attention_path(B, T, A, NH, NULL, "OpenBLAS");
    float                  *tr = malloc(B * T * A * sizeof(float));
    struct kernel_attention plan;
    if (kernel_attention_plan(&plan, T, A, NH, tr))
        test_attention_path(B, T, A, NH, &plan, "LIBXSMM");
    free(tr);
}

// ---- gelu ----

struct gelu_ctx {
    float *out, *inp;
    size_t n;
};
static void gelu_fwd(void *p) {
    struct gelu_ctx *c = p;
    gelu_forward(c->out, c->inp, c->n);
}

static void test_gelu(void) {
    size_t          n = 24;
    struct gelu_ctx c = {.n = n};
    c.out = malloc(n * sizeof(float)), c.inp = malloc(n * sizeof(float));
    float *w = malloc(n * sizeof(float)), *d = malloc(n * sizeof(float));
    fill(c.inp, n, -3.7f, 3.3f);
    fill(w, n, -1.7f, 2.3f);
    gelu_fwd(&c);
    gelu_backward(d, c.inp, c.out, w, n);
    fd_check("gelu dinp", gelu_fwd, &c, c.inp, d, n, w, c.out, n);
    /* The derivative, taken from the forward's output, against its closed form in double, over
     * the whole range: zero and tiny inputs, saturated tails. */
    static const float xs[] = {0.0f,  1e-9f, -1e-9f, 1e-6f, -1e-6f, 1e-3f, -0.5f,  0.7f, 2.5f,
                               -3.0f, 6.0f,  -6.0f,  9.0f,  -9.0f,  20.0f, -20.0f, 60.0f};
    size_t             nx   = sizeof xs / sizeof *xs;
    float y[sizeof xs / sizeof *xs], g[sizeof xs / sizeof *xs], ones[sizeof xs / sizeof *xs];
    for (size_t i = 0; i < nx; i++)
        ones[i] = 1.0f;
    gelu_forward(y, xs, nx);
    gelu_backward(g, xs, y, ones, nx);
    double gworst = 0.0;
    for (size_t i = 0; i < nx; i++) {
        double x = xs[i], k = sqrt(2.0 / M_PI), u = k * (x + 0.044715 * x * x * x);
        double th = tanh(u), du = k * (1.0 + 3.0 * 0.044715 * x * x);
        double gr = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
        gworst    = fmax(gworst, fabs(gr - (double)g[i]));
    }
    check(gworst < 2e-6,
          "gelu' from the output matches its closed form from 0 to |x| = 60 (max |d| %.2g)",
          gworst);
    /* Against the closed form in double (torch's tanh approximation). */
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x  = c.inp[i];
        double ge = 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
        worst     = fmax(worst, fabs(ge - (double)c.out[i]));
    }
    check(worst < 1e-6, "gelu matches 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))) (max |d| %.2g)",
          worst);
    free(c.out), free(c.inp), free(w), free(d);
}

// ---- softmax + cross-entropy ----

struct ce_ctx {
    float   *losses, *probs, *logits;
    int32_t *targets;
    size_t   N, V;
};
static void ce_fwd(void *p) {
    struct ce_ctx *c = p;
    crossentropy_forward(c->losses, c->probs, c->logits, c->targets, c->N, c->V);
}

static void test_crossentropy(void) {
    size_t        N = 6, V = 7;
    struct ce_ctx c = {.N = N, .V = V};
    c.losses = malloc(N * sizeof(float)), c.probs = malloc(N * V * sizeof(float));
    c.logits           = malloc(N * V * sizeof(float));
    int32_t targets[6] = {0, 6, 3, 3, 1, 5};
    c.targets          = targets;
    float w[6], dlogits[42];
    float dloss = 0.37f;
    for (size_t i = 0; i < N; i++)
        w[i] = dloss;
    fill(c.logits, N * V, -1.7f, 2.3f);
    ce_fwd(&c);
    /* In place, as the model does: dlogits written over a copy of probs. */
    memcpy(dlogits, c.probs, sizeof dlogits);
    crossentropy_backward(dlogits, dlogits, targets, dloss, N, V);
    fd_check("crossentropy dlogits (in place)", ce_fwd, &c, c.logits, dlogits, N * V, w, c.losses,
             N);
    /* The loss equals -log softmax computed in double. */
    double worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < V; j++)
            mx = fmax(mx, c.logits[i * V + j]);
        for (size_t j = 0; j < V; j++)
            s += exp(c.logits[i * V + j] - mx);
        double l = log(s) + mx - c.logits[i * V + (size_t)targets[i]];
        worst    = fmax(worst, fabs(l - c.losses[i]) / l);
    }
    check(worst < 1e-6, "cross-entropy matches a double evaluation (max rel %.2g)", worst);
    /* The loss mask: ignored targets have no loss and a zero gradient row (their finite
     * differences are exactly zero), the others are as before. */
    int32_t masked[6] = {MODEL_IGNORE, 6, MODEL_IGNORE, 3, 1, MODEL_IGNORE};
    c.targets         = masked;
    ce_fwd(&c);
    memcpy(dlogits, c.probs, sizeof dlogits);
    crossentropy_backward(dlogits, dlogits, masked, dloss, N, V);
    fd_check("crossentropy dlogits with ignored targets", ce_fwd, &c, c.logits, dlogits, N * V, w,
             c.losses, N);
    bool zero = true;
    for (size_t i = 0; i < N; i++)
        if (masked[i] == MODEL_IGNORE) {
            zero = zero && c.losses[i] == 0.0f;
            for (size_t j = 0; j < V; j++)
                zero = zero && dlogits[i * V + j] == 0.0f;
        }
    check(zero, "ignored targets: loss 0 and a zero gradient row");
    free(c.losses), free(c.probs), free(c.logits);
}

// ---- AdamW and the norm ----

static void test_adamw(void) {
    size_t n = 50;
    float  p[50], g[50], m[50], v[50];
    double pd[50], md[50], vd[50];
    fill(p, n, -1.7f, 2.3f);
    fill(m, n, -0.1f, 0.1f);
    fill(v, n, 0.0f, 0.01f);
    for (size_t i = 0; i < n; i++)
        pd[i] = p[i], md[i] = m[i], vd[i] = v[i];
    double lr = 3e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1, scale = 0.5;
    for (int t = 1; t <= 3; t++) {
        fill(g, n, -1.7f, 2.3f);
        adamw_update(p, g, m, v, n, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd,
                     (float)scale, t);
        for (size_t i = 0; i < n; i++) {
            double gi = (double)g[i] * scale;
            pd[i] *= 1.0 - lr * wd;
            md[i]     = b1 * md[i] + (1 - b1) * gi;
            vd[i]     = b2 * vd[i] + (1 - b2) * gi * gi;
            double mh = md[i] / (1 - pow(b1, t)), vh = sqrt(vd[i]) / sqrt(1 - pow(b2, t));
            pd[i] -= lr * mh / (vh + eps);
        }
    }
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(pd[i] - (double)p[i]));
    /* Three float updates of size lr·O(1): float rounding of the parameters (about 1e-7) and of
     * m/sqrt(v) (relative 1e-7) keep the difference below 1e-6. */
    check(worst < 1e-6, "AdamW matches PyTorch's formula in double (max |d| %.2g)", worst);
}

static void test_sumsq(void) {
    size_t n = 3 * MODEL_SUMSQ_BLOCK + 17;
    float *x = malloc(n * sizeof *x);
    double partial[4], ref = 0.0;
    fill(x, n, -1.7f, 2.3f);
    for (size_t i = 0; i < n; i++)
        ref += (double)x[i] * (double)x[i];
    double s1 = sumsq(x, n, partial);
    check_rel(s1, ref, 1e-12, "sumsq matches a double loop");
    model_set_threads(2);
    double s2 = sumsq(x, n, partial);
    model_set_threads(1);
    check(s1 == s2, "sumsq is the same at 1 and 2 threads (%.17g vs %.17g)", s1, s2);
    free(x);
}

/* Bias and LayerNorm gradients sum in an order fixed by the shape: the same bits at 1 and 2
 * threads. */
static void test_thread_independence(void) {
    size_t N = 300, C = 130;
    float *dout = malloc(N * C * sizeof(float)), *inp = malloc(N * C * sizeof(float));
    float *wt = malloc(C * sizeof(float)), *mean = malloc(N * sizeof(float)),
          *rstd = malloc(N * sizeof(float)), *tmp = malloc(N * C * sizeof(float));
    float *b = malloc(C * sizeof(float));
    fill(dout, N * C, -1.7f, 2.3f);
    fill(inp, N * C, -1.7f, 2.3f);
    fill(wt, C, -1.7f, 2.3f);
    fill(b, C, -1.7f, 2.3f);
    layernorm_forward(tmp, mean, rstd, inp, wt, b, N, C);
    float *r[2];
    for (int k = 0; k < 2; k++) {
        model_set_threads(k + 1);
        r[k] = calloc(N * C + 2 * C, sizeof(float));
        layernorm_backward(r[k], r[k] + N * C, r[k] + N * C + C, dout, inp, wt, mean, rstd, N, C);
    }
    model_set_threads(1);
    check(memcmp(r[0], r[1], (N * C + 2 * C) * sizeof(float)) == 0,
          "layernorm_backward: identical bits at 1 and 2 threads");
    free(r[0]), free(r[1]), free(dout), free(inp), free(wt), free(mean), free(rstd), free(tmp);
    free(b);
}

int main(void) {
    /* LIBXSMM's first initialisation sets OMP_PROC_BIND=TRUE where it is unset; the engine takes
     * it back, or every trainer of a sweep would inherit a binding to the first core. */
    unsetenv("OMP_PROC_BIND");
    const char *arch = kernel_xsmm_arch();
    check(getenv("OMP_PROC_BIND") == NULL,
          "LIBXSMM's initialisation (ISA %s) leaves OMP_PROC_BIND unset", arch ? arch : "none");
    model_rng_seed(&rng, 2024);
    model_set_threads(1);
    test_encoder();
    test_layernorm();
    test_matmul();
    test_attention(2, 3, 4, 2);
    test_attention(1, 37, 4, 2); /* crosses the 32-row causal blocks */
    test_gelu();
    test_crossentropy();
    test_adamw();
    test_sumsq();
    test_thread_independence();
    return check_summary();
}
