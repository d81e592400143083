/*
 * test_markov.c — the markov source's exact facts and its sampler:
 *   - the entropy rate H, the conditional entropies H_j and the window's Bayes loss agree with an
 *     independent numpy computation (tests/ref/model_markov_ref.py: eigenvector stationary law,
 *     block laws built forwards) to 1e-10 relative, for a Dirichlet and a log-linear source;
 *   - the stationary law is stationary (L1 residual of pi·P − pi below 1e-12);
 *   - the true source's log-loss with full context, averaged over 300k sampled tokens, equals H
 *     within 4 standard errors (batch means), which checks the sampler and the loss function;
 *   - eval_true_loss — the true loss on a materialised eval set with in-window context —
 *     averages to bayes_loss within 4 standard errors (window means);
 *   - the sha256 identifies the source (same seed, same hash; other seed, other hash);
 *   - the exact KL of a model's predictions on an eval window (model_data_window_kl): 0 for the
 *     truth's own logits, >= 0 for any logits (random ones, and the truth perturbed a little,
 *     where the KL is tiny and cancellation would show), equal to the numpy reference's KL
 *     (built from its own block laws) to 1e-9 relative, and the predictive it uses is the one
 *     behind eval_true_loss (−log of its row at the next token, to the bit).
 * Usage: test_markov PYTHON SCRIPT. Without the interpreter: exit 77, or a failure under CI.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static char tmpdir[] = "/tmp/sf_markov_XXXXXX";

/* Returns 0 when compared, 77 when Python could not run numpy. */
static int compare_with_numpy(const char *python, const char *script, const char *label,
                              const struct model_markov *mk, size_t T) {
    char in[600], out[600], cmd[2048];
    snprintf(in, sizeof in, "%s/%s.in", tmpdir, label);
    snprintf(out, sizeof out, "%s/%s.out", tmpdir, label);
    FILE   *f      = fopen(in, "wb");
    int64_t hdr[3] = {mk->V, mk->K, (int64_t)T};
    fwrite("SFMK", 1, 4, f);
    fwrite(hdr, sizeof hdr[0], 3, f);
    fwrite(mk->P, sizeof(double), mk->n_ctx * (size_t)mk->V, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s'", python, script, in, out);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return 77;
    FILE  *g = fopen(out, "r");
    double H = NAN, bayes = NAN, Hj[65];
    char   key[16];
    int    j;
    double v;
    while (g && fscanf(g, "%15s", key) == 1) {
        if (strcmp(key, "H") == 0 && fscanf(g, "%lf", &v) == 1) H = v;
        if (strcmp(key, "bayes") == 0 && fscanf(g, "%lf", &v) == 1) bayes = v;
        if (strcmp(key, "Hj") == 0 && fscanf(g, "%d %lf", &j, &v) == 2 && j >= 0 && j <= 64)
            Hj[j] = v;
    }
    if (g) fclose(g);
    /* Both sides are double computations of sums of at most a few thousand terms. */
    check_rel(mk->entropy_rate, H, 1e-10, "%s: entropy rate vs numpy", label);
    for (int64_t k = 0; k <= mk->K; k++)
        check_rel(mk->cond_H[k], Hj[k], 1e-10, "%s: H_%lld vs numpy", label, (long long)k);
    check_rel(model_markov_bayes_loss(mk, T), bayes, 1e-10, "%s: bayes loss (T=%zu) vs numpy",
              label, T);
    return 0;
}

static void check_stationary(const char *label, const struct model_markov *mk) {
    size_t  V   = (size_t)mk->V;
    double *nxt = calloc(mk->n_ctx, sizeof *nxt), res = 0.0;
    for (size_t c = 0; c < mk->n_ctx; c++)
        for (size_t x = 0; x < V; x++)
            nxt[(c * V + x) % mk->n_ctx] += mk->pi[c] * mk->P[c * V + x];
    for (size_t c = 0; c < mk->n_ctx; c++)
        res += fabs(nxt[c] - mk->pi[c]);
    check(res < 1e-12, "%s: |pi P - pi|_1 = %.2g after %d iterations", label, res, mk->iterations);
    free(nxt);
}

/* Mean full-context true loss over n_blocks blocks of len tokens vs H. */
static void check_monte_carlo(const char *label, const struct model_markov *mk) {
    size_t           n_blocks = 300, len = 1000 + (size_t)mk->K;
    int32_t         *w    = malloc(len * sizeof *w);
    double          *loss = malloc(len * sizeof *loss);
    struct model_rng r;
    model_rng_seed(&r, 4242);
    double s = 0.0, s2 = 0.0;
    for (size_t b = 0; b < n_blocks; b++) {
        model_markov_sample(mk, &r, w, len);
        model_markov_true_losses(mk, w, len, loss);
        double m = 0.0;
        for (size_t t = (size_t)mk->K - 1; t + 1 < len; t++)
            m += loss[t];
        m /= (double)(len - (size_t)mk->K);
        s += m;
        s2 += m * m;
    }
    double mean = s / (double)n_blocks;
    double se   = sqrt((s2 / (double)n_blocks - mean * mean) / (double)(n_blocks - 1));
    check(fabs(mean - mk->entropy_rate) <= 4 * se,
          "%s: sampled full-context loss %.6f vs H %.6f (|d| %.2g <= 4 se %.2g)", label, mean,
          mk->entropy_rate, fabs(mean - mk->entropy_rate), 4 * se);
    free(w);
    free(loss);
}

static void check_eval_true_loss(void) {
    struct model_config c = model_config_default();
    c.data.n_vocab = 4, c.data.order = 3, c.n_ctx = 16, c.eval_tokens = 160000;
    struct model_data d;
    struct sf_error   err;
    if (!check(model_data_open(&d, &c, NULL, &err) == SF_OK, "open markov data")) return;
    size_t T = d.T;
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < d.n_eval_win; i++) {
        double m = 0.0;
        for (size_t t = 0; t < T; t++)
            m += d.eval_true_loss[i * T + t];
        m /= (double)T;
        s += m;
        s2 += m * m;
    }
    double n = (double)d.n_eval_win, mean = s / n;
    double se = sqrt((s2 / n - mean * mean) / (n - 1));
    check(fabs(mean - d.info.bayes_loss) <= 4 * se,
          "eval_true_loss mean %.6f vs bayes_loss %.6f (|d| %.2g <= 4 se %.2g, %zu windows)", mean,
          d.info.bayes_loss, fabs(mean - d.info.bayes_loss), 4 * se, d.n_eval_win);
    check(d.info.bayes_loss > d.info.entropy_rate,
          "bayes_loss %.6f above H %.6f (early positions see less context)", d.info.bayes_loss,
          d.info.entropy_rate);
    /* Eval windows hold valid symbols; the batch for a step is a function of (seed, step). */
    int32_t a_in[64], a_tg[64], b_in[64], b_tg[64];
    model_data_batch(&d, 17, 4, a_in, a_tg);
    model_data_batch(&d, 17, 4, b_in, b_tg);
    check(memcmp(a_in, b_in, sizeof a_in) == 0 && memcmp(a_tg, b_tg, sizeof a_tg) == 0,
          "the batch of a step is reproducible");
    check(memcmp(a_in + 1, a_tg, 15 * sizeof(int32_t)) == 0, "targets are inputs shifted by one");
    model_data_batch(&d, 18, 4, b_in, b_tg);
    check(memcmp(a_in, b_in, sizeof a_in) != 0, "another step gives another batch");
    char sha[65];
    memcpy(sha, d.info.sha256, sizeof sha);
    model_data_free(&d);
    c.data.seed = 2;
    model_data_open(&d, &c, NULL, &err);
    check(strcmp(sha, d.info.sha256) != 0, "another source seed gives another sha256");
    model_data_free(&d);
    c.data.seed = 1;
    model_data_open(&d, &c, NULL, &err);
    check(strcmp(sha, d.info.sha256) == 0, "the same source gives the same sha256");
    model_data_free(&d);
}

/* The exact KL of model_data_window_kl on a V4 K3 source's eval windows (n_ctx 12: positions
 * with fewer than K symbols and with K or more). Returns 77 when Python could not run numpy. */
static int check_window_kl(const char *python, const char *script) {
    struct model_config c = model_config_default();
    c.data.n_vocab = 4, c.data.order = 3, c.n_ctx = 12, c.eval_tokens = 12 * 24;
    struct model_data d;
    struct sf_error   err;
    if (!check(model_data_open(&d, &c, NULL, &err) == SF_OK, "open markov data")) return 0;
    size_t T = d.T, V = (size_t)d.n_vocab, W = T + 1, n = d.n_eval_win;
    /* Three kinds of logits, n/3 windows each: the truth (log p), the truth perturbed by
     * N(0, 0.01²), and N(0, 2.385²) noise. */
    float           *logits = malloc(n * T * V * sizeof *logits);
    double          *kl     = malloc(n * sizeof *kl);
    struct model_rng r;
    model_rng_seed(&r, 77);
    bool   have = false, same_loss = true;
    double spare = 0.0;
    for (size_t i = 0; i < n; i++) {
        const int32_t *w    = d.eval_win + i * W;
        int            kind = (int)(i % 3);
        for (size_t t = 0; t < T; t++) {
            double        plogp;
            const double *p = d.entry->ops->predictive(&d, w, t, &plogp);
            same_loss &= -log(p[w[t + 1]]) == d.eval_true_loss[i * T + t];
            for (size_t x = 0; x < V; x++) {
                double z = model_rng_normal(&r, &have, &spare);
                double v = kind == 0 ? log(p[x]) : kind == 1 ? log(p[x]) + 0.01 * z : 2.385 * z;
                logits[(i * T + t) * V + x] = (float)v;
            }
        }
        kl[i] = model_data_window_kl(&d, w, logits + i * T * V);
    }
    check(same_loss, "eval_true_loss is −log of the predictive's row at the next token");
    /* The truth's logits are log p rounded to float (relative 6e-8): the KL of that rounding is
     * about Σ p·δ²/2 < 1e-13 per window, and the double sums add rounding near 1e-15; a
     * nonzero KL above 1e-10 would be a wrong predictive or a wrong formula. */
    double max_truth = 0.0, min_pert = INFINITY, min_rand = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 0) max_truth = fmax(max_truth, fabs(kl[i]));
        if (i % 3 == 1) min_pert = fmin(min_pert, kl[i]);
        if (i % 3 == 2) min_rand = fmin(min_rand, kl[i]);
    }
    check(max_truth <= 1e-10, "the truth's own logits: |KL| <= %.3g (tolerance 1e-10)", max_truth);
    /* Perturbing log p by N(0, 0.01²) gives a KL of order T·Var/2 ≈ 6e-4 per window (1e-4 to
     * 4e-4 here), far above the 1e-15 rounding: every one must be positive. */
    check(min_pert > 0.0, "the truth perturbed by 0.01: every window's KL > 0 (min %.3g)",
          min_pert);
    check(min_rand > 0.0, "random logits: every window's KL > 0 (min %.3g)", min_rand);

    /* The numpy reference: the same windows and logits after the source's table. */
    char in[600], out[600], cmd[2048];
    snprintf(in, sizeof in, "%s/kl.in", tmpdir);
    snprintf(out, sizeof out, "%s/kl.out", tmpdir);
    FILE   *f      = fopen(in, "wb");
    int64_t hdr[4] = {d.markov.V, d.markov.K, (int64_t)T, (int64_t)n};
    fwrite("SFMK", 1, 4, f);
    fwrite(hdr, sizeof hdr[0], 3, f);
    fwrite(d.markov.P, sizeof(double), d.markov.n_ctx * V, f);
    fwrite(&hdr[3], sizeof hdr[3], 1, f);
    fwrite(d.eval_win, sizeof(int32_t), n * W, f);
    fwrite(logits, sizeof(float), n * T * V, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s'", python, script, in, out);
    int rc      = python[0] ? system(cmd) : -1;
    int skipped = rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0 ? 77 : 0;
    if (skipped == 0) {
        double *ref = malloc(n * sizeof *ref);
        for (size_t i = 0; i < n; i++)
            ref[i] = NAN;
        FILE  *g = fopen(out, "r");
        char   key[16];
        double v;
        long   i;
        while (g && fscanf(g, "%15s", key) == 1) {
            if (strcmp(key, "kl") == 0 && fscanf(g, "%ld %lf", &i, &v) == 2 && i >= 0 &&
                (size_t)i < n)
                ref[i] = v;
        }
        if (g) fclose(g);
        /* Both are double sums of T·V terms from the same float logits; they differ in the
         * order of operations (log-sum-exp and Σ p·log p against numpy's log(p) − log q) and
         * in the predictive's route (marginal ratios against block laws built forwards, which
         * agree to 1e-10 above), so 1e-9 relative on KLs from 4e-4 up is ample. The truth's
         * windows (KL about 1e-14) are compared in absolute terms, to 1e-10. */
        for (size_t k = 0; k < n; k++) {
            if (k % 3 == 0)
                check_abs(kl[k], ref[k], 1e-10, "window %zu (truth): KL vs numpy", k);
            else
                check_rel(kl[k], ref[k], 1e-9, "window %zu (%s): KL vs numpy", k,
                          k % 3 == 1 ? "perturbed" : "random");
        }
        free(ref);
    }
    free(logits);
    free(kl);
    model_data_free(&d);
    return skipped;
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    const char *python = argv[1], *script = argv[2];
    bool        in_ci = getenv("CI") != NULL && getenv("CI")[0] != '\0';
    if (mkdtemp(tmpdir) == NULL) return 1;
    int skipped = 0;

    struct model_data_config dc = model_config_default().data;
    struct model_markov      mk;
    struct sf_error          err;
    dc.generator = MODEL_MARKOV_GENERATOR_DIRICHLET, dc.n_vocab = 3, dc.order = 3;
    dc.concentration = 0.5;
    check(model_markov_init(&mk, &dc, &err) == SF_OK, "dirichlet V3 K3 builds");
    check_stationary("dirichlet V3 K3", &mk);
    if (python[0] == '\0' || compare_with_numpy(python, script, "dirichlet", &mk, 10) == 77)
        skipped++;
    check_monte_carlo("dirichlet V3 K3", &mk);
    model_markov_free(&mk);

    dc = model_config_default().data; /* loglinear V4 K5 s0 1.5 γ 0.7: the pilot's source */
    check(model_markov_init(&mk, &dc, &err) == SF_OK, "loglinear V4 K5 builds");
    check_stationary("loglinear V4 K5", &mk);
    check_monte_carlo("loglinear V4 K5", &mk);
    /* The pilot's draw of this family had H = 0.965 and gaps H_j − H of .22 .19 .08 .03 .01;
     * ours is another draw of the same family: the same order of magnitude, decreasing gaps. */
    bool decreasing = true;
    for (int64_t j = 1; j <= mk.K; j++)
        decreasing &= mk.cond_H[j] <= mk.cond_H[j - 1] + 1e-12;
    check(decreasing && mk.entropy_rate > 0.5 && mk.entropy_rate < log(4.0),
          "loglinear V4 K5: H %.5f, H_j non-increasing", mk.entropy_rate);
    printf("loglinear V4 K5: H = %.6f, gaps:", mk.entropy_rate);
    for (int64_t j = 0; j < mk.K; j++)
        printf(" %.4f", mk.cond_H[j] - mk.entropy_rate);
    printf("\n");
    model_markov_free(&mk);

    dc.n_vocab = 4, dc.order = 2;
    check(model_markov_init(&mk, &dc, &err) == SF_OK, "loglinear V4 K2 builds");
    if (python[0] == '\0' || compare_with_numpy(python, script, "loglinear", &mk, 7) == 77)
        skipped++;
    model_markov_free(&mk);

    check_eval_true_loss();
    if (check_window_kl(python, script) == 77) skipped++;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 1;
    if (skipped > 0) {
        fprintf(stderr, "the numpy reference did not run%s\n",
                in_ci ? " (CI is set: a failure)" : "; those checks are skipped");
        if (in_ci) return 1;
        if (check_failures() == 0) return 77;
    }
    return check_summary();
}
