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
 *   - the sha256 identifies the source (same seed, same hash; other seed, other hash).
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
