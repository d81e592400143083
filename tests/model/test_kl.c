/*
 * test_kl.c — eval_kl, the exact KL of a trained model, against what it must equal on average.
 * A tiny model is trained through model_run() on a markov source (V 4, K 2), and on a tasks
 * source whose loss mask leaves a position out of every sum; its final weights
 * are read back from the checkpoint and evaluated window by window on the run's eval set:
 *   - the recomputed mean KL and mean eval_loss − eval_true_loss equal the final metrics.csv
 *     row's eval_kl and eval_loss − eval_true_loss (the same sums in the same order);
 *   - the mean of the per-token differences (loss − true loss), whose expectation at each
 *     position given its context is exactly that position's KL, agrees with the mean KL within
 *     4 standard errors of the paired window means (diff_i − kl_i): the sampling noise of the
 *     difference, which the KL does not have;
 *   - the KL's own spread over windows is much smaller than the difference's.
 * Windows, not tokens, are the units of the standard errors: the tokens of a window share
 * their contexts and the model's errors, so they are not independent; the windows are (each is
 * drawn from the stationary law). About 2 s.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "tiny_run.h"

/* The last row of metrics.csv as numbers (the first n columns). */
static bool last_row(const char *path, double *v, int n) {
    char           *text = NULL;
    size_t          len;
    struct sf_error e;
    if (sf_read_file(path, &text, &len, &e) != SF_OK) return false;
    char *last = text;
    for (char *p = text; p + 1 < text + len; p++)
        if (*p == '\n') last = p + 1;
    char *p = last;
    for (int i = 0; i < n && p; i++) {
        v[i] = strtod(p, &p);
        p    = *p == ',' ? p + 1 : NULL;
    }
    free(text);
    return p != NULL;
}

/* One source: trains the tiny model of `yaml` and checks the KL against the difference. The
 * model must have learnt the source to a KL below kl_max. */
static void kl_case(const char *name, const char *yaml, double kl_max) {
    printf("---- %s ----\n", name);
    char                root[] = "/tmp/sf_kl_XXXXXX";
    struct model_config cfg;
    if (!tiny_run_train(root, yaml, &cfg)) return;
    char ckpt[600], metrics[600];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", root);
    snprintf(metrics, sizeof metrics, "%s/metrics.csv", root);
    struct sf_error e;

    /* The final model, from the checkpoint written at the last step. */
    struct model_data data;
    check(model_data_open(&data, &cfg, root, &e) == SF_OK, "data opens");
    struct model_shape       shape = model_config_shape(&cfg);
    size_t                   B = (size_t)cfg.batch, T = data.T, V = (size_t)data.n_vocab;
    struct model            *m = model_alloc(&shape, B, &e);
    struct model_train_state ts;
    char                     hash[65];
    model_config_hash(&cfg, hash, &e);
    if (!check(m != NULL && model_checkpoint_load(ckpt, m, &ts, hash, &e) == SF_OK,
               "the checkpoint loads"))
        return;

    /* Per window: the mean KL and the mean sampled difference, and the sums the run makes. */
    size_t   n   = data.n_eval_win;
    double  *kl  = malloc(n * sizeof *kl);
    double  *dif = malloc(n * sizeof *dif);
    int32_t *in = malloc(B * T * sizeof *in), *tg = malloc(B * T * sizeof *tg);
    double   s_loss = 0.0, s_kl = 0.0, s_true = 0.0;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t nb = n - i0 < B ? n - i0 : B;
        for (size_t b = 0; b < nb; b++) {
            const int32_t *w = data.eval_win + (i0 + b) * (T + 1);
            memcpy(in + b * T, w, T * sizeof *w);
            memcpy(tg + b * T, w + 1, T * sizeof *w);
            for (size_t t = 0; t < T; t++)
                if (!model_data_counted(&data, w, t)) tg[b * T + t] = MODEL_IGNORE;
        }
        model_forward(m, in, tg, nb);
        const float *loss = model_losses(m), *logits = model_logits(m);
        for (size_t b = 0; b < nb; b++) {
            size_t i = i0 + b;
            double k = model_data_window_kl(&data, data.eval_win + i * (T + 1), logits + b * T * V);
            double dl = 0.0, cnt = 0.0;
            for (size_t t = 0; t < T; t++) {
                if (tg[b * T + t] == MODEL_IGNORE) continue;
                s_loss += (double)loss[b * T + t];
                s_true += data.eval_true_loss[i * T + t];
                dl += (double)loss[b * T + t] - data.eval_true_loss[i * T + t];
                cnt += 1.0;
            }
            s_kl += k;
            kl[i]  = k / cnt;
            dif[i] = dl / cnt;
        }
    }
    double NT = (double)data.n_eval_counted;

    /* The final row: step,tokens,flops_6n,flops_exact,lr,train_loss,eval_loss,eval_true_loss,
     * eval_loss_cv,eval_kl,... */
    double v[10];
    check(last_row(metrics, v, 10) && v[0] == 2000, "metrics.csv's final row at step 2000");
    /* The same float losses and double sums in the same order: equal to the last bit, and
     * metrics.csv writes the shortest exact decimal. */
    check_rel(s_kl / NT, v[9], 1e-15, "recomputed mean KL vs metrics.csv eval_kl");
    /* eval_true_loss is summed window by window here and in one pass there: equal to rounding. */
    check_rel(s_loss / NT - s_true / NT, v[6] - v[7], 1e-12,
              "recomputed eval_loss − eval_true_loss vs metrics.csv");

    double mk = 0.0, md = 0.0, mp = 0.0;
    for (size_t i = 0; i < n; i++) {
        mk += kl[i];
        md += dif[i];
        mp += dif[i] - kl[i];
    }
    mk /= (double)n, md /= (double)n, mp /= (double)n;
    double vk = 0.0, vd = 0.0, vp = 0.0;
    for (size_t i = 0; i < n; i++) {
        vk += (kl[i] - mk) * (kl[i] - mk);
        vd += (dif[i] - md) * (dif[i] - md);
        vp += (dif[i] - kl[i] - mp) * (dif[i] - kl[i] - mp);
    }
    double sd_k = sqrt(vk / (double)(n - 1)), sd_d = sqrt(vd / (double)(n - 1));
    double se_p = sqrt(vp / (double)(n - 1) / (double)n), se_d = sd_d / sqrt((double)n);
    printf("%zu windows of %zu tokens: mean KL %.6g, mean difference %.6g (se %.3g; paired se "
           "%.3g); window sd: KL %.3g, difference %.3g\n",
           n, T, mk, md, se_d, se_p, sd_k, sd_d);
    /* E[loss − true loss | context] is the position's KL, so the means differ only by the
     * sampled tokens' noise, whose standard error is se_p: within 4 of it (a false alarm about
     * once in 16,000 seeds). */
    check(fabs(md - mk) <= 4 * se_p,
          "mean(eval_loss − eval_true_loss) %.6g vs mean eval_kl %.6g: |d| %.3g <= 4 se %.3g", md,
          mk, fabs(md - mk), 4 * se_p);
    /* The comparison means something: the model has learnt most of the source (KL below 0.05
     * nats), and the KL is resolved by the noise (above 3 se). */
    check(mk > 3 * se_p && mk < kl_max, "mean KL %.4g is resolved (> 3 se %.3g) and below %g", mk,
          3 * se_p, kl_max);
    /* The KL carries no token noise: its spread over windows comes from their contexts alone,
     * and the difference's spread adds the sampled tokens' noise (dif − KL, mean zero given the
     * context). That noise is most of it: its spread exceeds the KL's own (on these two sources
     * the KL's spread is a quarter to a half of the difference's, as the trained model goes). */
    double sd_n = sqrt(vp / (double)(n - 1));
    check(sd_k < sd_n,
          "window spread of eval_kl %.3g < that of the token noise it removes %.3g (difference "
          "%.3g)",
          sd_k, sd_n, sd_d);
    printf("relative standard error of the mean: eval_kl %.1f%%, eval_loss − eval_true_loss "
           "%.1f%%\n",
           100 * sd_k / sqrt((double)n) / mk, 100 * se_d / mk);

    free(kl);
    free(dif);
    free(in);
    free(tg);
    model_free(m);
    model_data_free(&data);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    check(system(cmd) == 0, "%s removed", root);
}

int main(void) {
    kl_case("markov V4 K2",
            "data: {source: markov, n_vocab: 4, order: 2, decay: 1.0}\n"
            "n_layer: 1\nd_model: 32\nn_head: 2\nn_ctx: 16\nbatch: 16\nsteps: 2000\n"
            "lr: 0.01\neval_points: 3\neval_tokens: 8192\n",
            0.05);
    /* The loss mask: 16 tasks over 4 symbols named by 2 digits, so position 0 (predicting the
     * second digit) does not count in any of the sums. */
    kl_case("tasks M16 V4",
            "data: {source: tasks, tasks: 16, symbols: 4, zipf: 1.0, concentration: 0.5}\n"
            "n_layer: 1\nd_model: 32\nn_head: 2\nn_ctx: 16\nbatch: 16\nsteps: 2000\n"
            "lr: 0.01\neval_points: 3\neval_tokens: 8192\n",
            0.1);
    return check_summary();
}
