/*
 * test_tasks.c — the `tasks` source (source_tasks.c) against what it must be, on 64 tasks over 4
 * symbols (K = 3 digits) with n_ctx 12:
 *   - every predictive row is a distribution over the symbols (digit tokens 0), its Σ p·log p is
 *     the row's, and each task's first-symbol row is the stationary law of its chain (πP = π);
 *   - the loss mask: positions t < K−1 (predicting digits) do not count, in the eval set and as
 *     MODEL_IGNORE in training batches, which are the same for the same (seed, step);
 *   - windows name their task by K digit tokens, then symbols; over 20,000 training windows the
 *     share of each of the three likeliest tasks is within 5 binomial standard errors of its
 *     Zipf probability;
 *   - the Bayes loss in closed form equals the Monte Carlo mean of the true losses of the counted
 *     predictions of those windows within 5 standard errors (windows as the units), and the eval
 *     set's mean true loss likewise;
 *   - with blank_fraction 0.3 (16 tasks over 3 symbols): a blank token after the digits (the
 *     rows' width 2V+1, the blank never predicted), that share of training windows with their
 *     digits blanked (and those targets ignored), the paired eval windows with the digits
 *     blanked, and the exact mutual information against the chain rule: per window
 *     −log Σ_k π_k p_k(symbols) + log p_task(symbols), to 1e-9.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

enum { N_WIN = 20000, BATCH = 100 };

/* The mutual information by the chain rule: the symbols' probability under every task. */
static void test_blank(void) {
    struct model_config cfg = model_config_default();
    cfg.data.source         = MODEL_SOURCE_TASKS;
    cfg.data.tasks          = 16;
    cfg.data.symbols        = 3;
    cfg.data.zipf           = 0.7;
    cfg.data.concentration  = 0.5;
    cfg.data.seed           = 9;
    cfg.data.blank_fraction = 0.3;
    cfg.n_ctx               = 10;
    cfg.eval_tokens         = 10 * 300;
    struct model_data d;
    struct sf_error   e;
    if (!check(model_data_open(&d, &cfg, NULL, &e) == SF_OK, "the blanked source opens")) return;
    const struct model_tasks *tk = &d.tasks;
    size_t                    V = tk->V, K = tk->K, T = d.T, W = T + 1, R = V + 1, M = tk->M;
    int32_t                   blank = (int32_t)(2 * V);
    check(K == 3 && d.n_vocab == 7 && tk->W == 7, "16 tasks over 3 symbols: 3 digits, 6 tokens "
                                                  "and the blank");
    bool zero = true;
    for (size_t i = 0; i < M * R; i++)
        zero &= tk->rows[i * tk->W + (size_t)blank] == 0.0;
    check(zero, "the blank is never predicted");
    bool pair = d.eval_win_blank != NULL && d.pair_p0 == K - 1 && d.pair_p1 == T;
    for (size_t i = 0; pair && i < d.n_eval_win; i++)
        for (size_t k = 0; k < W; k++)
            pair &= d.eval_win_blank[i * W + k] == (k < K ? blank : d.eval_win[i * W + k]);
    check(pair, "the paired eval windows: digits blanked, symbols predicted at %zu..%zu", K - 1,
          T - 1);
    double mi = 0.0;
    for (size_t i = 0; i < d.n_eval_win; i++) {
        const int32_t *w    = d.eval_win + i * W;
        size_t         task = 0;
        for (size_t j = 0; j < K; j++)
            task = task * V + (size_t)(w[j] - (int32_t)V);
        double mx = -INFINITY, lp_true = 0.0, *lp = malloc(M * sizeof *lp);
        for (size_t k = 0; k < M; k++) {
            double l = log(tk->task_cdf[k] - (k > 0 ? tk->task_cdf[k - 1] : 0.0));
            double s = 0.0;
            for (size_t t = K; t <= T; t++) {
                size_t row = t == K ? V : (size_t)w[t - 1];
                s += log(tk->rows[(k * R + row) * tk->W + (size_t)w[t]]);
            }
            if (k == task) lp_true = s;
            lp[k] = l + s;
            mx    = fmax(mx, lp[k]);
        }
        double z = 0.0;
        for (size_t k = 0; k < M; k++)
            z += exp(lp[k] - mx);
        mi += -(mx + log(z)) + lp_true;
        free(lp);
    }
    mi /= (double)d.n_eval_win;
    check(fabs(d.info.mutual_information - mi) <= 1e-9 * fabs(mi) && mi > 0,
          "the exact mutual information %.10g nats per window = the chain rule's %.10g",
          d.info.mutual_information, mi);
    enum { NB = 2000 };
    int32_t *in = malloc(NB * T * sizeof *in), *tg = malloc(NB * T * sizeof *tg);
    model_data_batch(&d, 3, NB, in, tg);
    size_t blanked = 0;
    bool   ignored = true;
    for (size_t b = 0; b < NB; b++) {
        if (in[b * T] != blank) continue;
        blanked++;
        for (size_t t = 0; t + 1 < K; t++)
            ignored &= in[b * T + t] == blank && tg[b * T + t] == MODEL_IGNORE;
        ignored &= in[b * T + K - 1] == blank && tg[b * T + K - 1] < (int32_t)V;
    }
    double sd = sqrt(NB * 0.3 * 0.7);
    check(fabs((double)blanked - NB * 0.3) < 5 * sd && ignored,
          "%zu of %d training windows with their digits blanked (0.3 expected), the blanks "
          "never predicted",
          blanked, NB);
    free(in);
    free(tg);
    model_data_free(&d);
}

int main(void) {
    struct model_config cfg = model_config_default();
    cfg.data.source         = MODEL_SOURCE_TASKS;
    cfg.data.tasks          = 64;
    cfg.data.symbols        = 4;
    cfg.data.zipf           = 1.3;
    cfg.data.concentration  = 0.4;
    cfg.data.seed           = 5;
    cfg.n_ctx               = 12;
    cfg.eval_tokens         = 12 * 4000;
    struct sf_diags diags;
    sf_diag_init(&diags);
    check(model_config_validate(&cfg, NULL, &diags) == SF_OK, "the configuration is valid");
    sf_diag_free(&diags);
    struct model_data d;
    struct sf_error   e;
    if (!check(model_data_open(&d, &cfg, NULL, &e) == SF_OK, "the source opens")) return 1;
    const struct model_tasks *tk = &d.tasks;
    size_t                    V = tk->V, T = d.T, W = 2 * V;
    check(tk->K == 3 && d.n_vocab == 8, "64 tasks over 4 symbols: 3 digits, a vocabulary of 8");

    /* Rows: distributions over the symbols, Σ p·log p, stationary first-symbol rows. */
    double worst_sum = 0.0, worst_plogp = 0.0, worst_pi = 0.0;
    bool   digits_zero = true;
    for (size_t k = 0; k < tk->M; k++) {
        const double *rows = tk->rows + k * (V + 1) * W;
        for (size_t s = 0; s <= V; s++) {
            double sum = 0.0, pl = 0.0;
            for (size_t x = 0; x < W; x++) {
                if (x >= V) digits_zero = digits_zero && rows[s * W + x] == 0.0;
                sum += rows[s * W + x];
                if (rows[s * W + x] > 0) pl += rows[s * W + x] * log(rows[s * W + x]);
            }
            worst_sum   = fmax(worst_sum, fabs(sum - 1.0));
            worst_plogp = fmax(worst_plogp, fabs(pl - tk->plogp[k * (V + 1) + s]));
        }
        for (size_t x = 0; x < V; x++) {
            double next = 0.0;
            for (size_t s = 0; s < V; s++)
                next += rows[V * W + s] * rows[s * W + x];
            worst_pi = fmax(worst_pi, fabs(next - rows[V * W + x]));
        }
    }
    check(worst_sum < 1e-13 && digits_zero, "rows sum to 1 (max |d| %.2g), digits have 0",
          worst_sum);
    check(worst_plogp < 1e-13, "Σ p·log p of each row (max |d| %.2g)", worst_plogp);
    check(worst_pi < 1e-13, "first-symbol rows are stationary: |πP − π| %.2g", worst_pi);

    /* The mask on the eval set. */
    size_t counted = 0;
    for (size_t i = 0; i < d.n_eval_win; i++)
        for (size_t t = 0; t < T; t++)
            counted += model_data_counted(&d, d.eval_win + i * (T + 1), t);
    check(counted == d.n_eval_counted && counted == d.n_eval_win * (T + 1 - tk->K),
          "eval predictions counted: %zu of %zu (positions %zu..%zu)", counted, d.n_eval_win * T,
          tk->K - 1, T - 1);

    /* Training windows: layout, mask, task shares, and the Monte Carlo Bayes loss. */
    int32_t *in = malloc(BATCH * T * sizeof *in), *tg = malloc(BATCH * T * sizeof *tg);
    int32_t *in2 = malloc(BATCH * T * sizeof *in2), *tg2 = malloc(BATCH * T * sizeof *tg2);
    int32_t *w       = malloc((T + 1) * sizeof *w);
    size_t   hits[3] = {0, 0, 0};
    bool     layout = true, same = true;
    double   s = 0.0, ss = 0.0;
    for (int64_t step = 1; step <= N_WIN / BATCH; step++) {
        model_data_batch(&d, step, BATCH, in, tg);
        model_data_batch(&d, step, BATCH, in2, tg2);
        same = same && memcmp(in, in2, BATCH * T * sizeof *in) == 0 &&
               memcmp(tg, tg2, BATCH * T * sizeof *tg) == 0;
        for (size_t b = 0; b < BATCH; b++) {
            const int32_t *x = in + b * T, *y = tg + b * T;
            size_t         k = 0;
            for (size_t t = 0; t < T; t++) {
                bool digit = t < tk->K, target_ignored = t + 1 < tk->K;
                layout = layout && (digit ? x[t] >= (int32_t)V && x[t] < (int32_t)W
                                          : x[t] >= 0 && x[t] < (int32_t)V);
                layout = layout &&
                         (target_ignored ? y[t] == MODEL_IGNORE : y[t] >= 0 && y[t] < (int32_t)V);
                if (digit) k = k * V + (size_t)x[t] - V;
            }
            if (k < 3) hits[k]++;
            /* The window (inputs and the last target) and its counted true losses. */
            memcpy(w, x, T * sizeof *w);
            w[T]        = y[T - 1];
            double loss = 0.0;
            for (size_t t = tk->K - 1; t < T; t++)
                loss -= log(d.entry->ops->predictive(&d, w, t, NULL)[w[t + 1]]);
            loss /= (double)(T + 1 - tk->K);
            s += loss;
            ss += loss * loss;
        }
    }
    check(layout, "windows: %zu digit tokens, then symbols; targets of digits ignored", tk->K);
    check(same, "a step's batch depends on (seed, step) only");
    double z = 0.0;
    for (size_t k = 1; k <= tk->M; k++)
        z += pow((double)k, -cfg.data.zipf);
    for (size_t k = 0; k < 3; k++) {
        double p = pow((double)(k + 1), -cfg.data.zipf) / z, se = sqrt(p * (1 - p) / N_WIN);
        check(fabs((double)hits[k] / N_WIN - p) <= 5 * se,
              "task %zu drawn in %.4f of the windows vs p = %.4f (5 se %.3g)", k,
              (double)hits[k] / N_WIN, p, 5 * se);
    }
    double mean = s / N_WIN, se = sqrt((ss / N_WIN - mean * mean) / (N_WIN - 1));
    double bayes = d.info.bayes_loss;
    check(fabs(mean - bayes) <= 5 * se,
          "Bayes loss %.6f in closed form vs %.6f Monte Carlo (5 se %.3g)", bayes, mean, 5 * se);
    double ev = 0.0;
    for (size_t i = 0; i < d.n_eval_win; i++)
        for (size_t t = tk->K - 1; t < T; t++)
            ev += d.eval_true_loss[i * T + t];
    ev /= (double)d.n_eval_counted;
    double se_ev = se * sqrt((double)N_WIN / (double)d.n_eval_win);
    check(fabs(ev - bayes) <= 5 * se_ev, "eval set's mean true loss %.6f vs Bayes %.6f (5 se %.3g)",
          ev, bayes, 5 * se_ev);
    free(in), free(tg), free(in2), free(tg2), free(w);
    model_data_free(&d);
    test_blank();
    return check_summary();
}
