/*
 * source_tasks.c — the `tasks` source: a Zipf-weighted mixture of many small Markov "tasks"
 * whose exact next-token distribution is known at every position (shared/notes/
 * zipf-tasks-pilot.md; the quantization model of Michaud et al. 2023 in shared/PAPERS.md).
 *
 * Task k (k = 0..M−1) is drawn with probability p_k ∝ (k+1)^−zipf; each task is an order-1 Markov
 * chain over V symbols with rows Dirichlet(concentration) from the source seed. A window names
 * its task by K = ⌈log_V M⌉ digit tokens (base V, most significant first; tokens V..2V−1, a
 * vocabulary of their own), followed by symbols of that task's chain, the first drawn from the
 * chain's stationary law. The loss mask counts the predictions of symbols only (positions
 * t ≥ K−1): the task index is the question, not something to predict. Since the task is
 * visible, the true predictive is the task's stationary law for the first symbol and its
 * transition row after that; the Bayes loss is their entropy averaged over the task mixture.
 *
 * With blank_fraction > 0, a token of its own (2V) blanks the digits of that share of the
 * training windows, and every evaluation also scores the eval windows with their digits blanked:
 * the difference is the mutual information between the task's name and its symbols, known
 * exactly here (the Bayes predictive after blanked digits is the task mixture's posterior
 * predictive), the known truth the caption layouts' estimator is checked against.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest number of probabilities the tables may hold (M·(V+1)·2V). */
#define MODEL_TASKS_MAX_TABLE (INT64_C(1) << 24)

/* The digits that name one of M tasks in base V. */
static size_t model_tasks_digits_impl(int64_t M, int64_t V) {
    size_t   K   = 0;
    uint64_t cap = 1;
    while (cap < (uint64_t)M) {
        cap *= (uint64_t)V;
        K++;
    }
    return K;
}

/* The stationary law of a V-state chain P (rows) into pi: P squared until its rows agree, then
 * power steps from their mean. False when the rows do not agree (a chain that does not mix). */
static bool model_tasks_stationary_impl(const double *P, size_t V, double *pi, double *a,
                                        double *b) {
    memcpy(a, P, V * V * sizeof *a);
    double spread = 1.0;
    for (int it = 0; it < 64 && spread > 1e-15; it++) {
        for (size_t i = 0; i < V; i++)
            for (size_t j = 0; j < V; j++) {
                double s = 0.0;
                for (size_t k = 0; k < V; k++)
                    s += a[i * V + k] * a[k * V + j];
                b[i * V + j] = s;
            }
        spread = 0.0;
        for (size_t i = 0; i < V; i++) {
            double s = 0.0;
            for (size_t j = 0; j < V; j++)
                s += b[i * V + j];
            for (size_t j = 0; j < V; j++) {
                a[i * V + j] = b[i * V + j] / s;
                spread       = fmax(spread, fabs(a[i * V + j] - a[j]));
            }
        }
    }
    if (!(spread <= 1e-12)) return false;
    for (size_t j = 0; j < V; j++) {
        pi[j] = 0.0;
        for (size_t i = 0; i < V; i++)
            pi[j] += a[i * V + j] / (double)V;
    }
    for (int it = 0; it < 8; it++) {
        double s = 0.0;
        for (size_t j = 0; j < V; j++) {
            b[j] = 0.0;
            for (size_t i = 0; i < V; i++)
                b[j] += pi[i] * P[i * V + j];
            s += b[j];
        }
        for (size_t j = 0; j < V; j++)
            pi[j] = b[j] / s;
    }
    return true;
}

static double model_tasks_plogp_impl(const double *p, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0.0) s += p[i] * log(p[i]);
    return s;
}

void model_tasks_free(struct model_tasks *tk) {
    if (tk == NULL) return;
    free(tk->task_cdf);
    free(tk->rows);
    free(tk->cdf);
    free(tk->plogp);
    memset(tk, 0, sizeof *tk);
}

enum sf_status model_tasks_init(struct model_tasks *tk, const struct model_data_config *d,
                                struct sf_error *err) {
    memset(tk, 0, sizeof *tk);
    size_t M = (size_t)d->tasks, V = (size_t)d->symbols, R = V + 1;
    size_t W     = 2 * V + (d->blank_fraction > 0 ? 1 : 0); /* the vocabulary: rows' width */
    tk->M        = M;
    tk->V        = V;
    tk->W        = W;
    tk->K        = model_tasks_digits_impl(d->tasks, d->symbols);
    tk->task_cdf = malloc(M * sizeof *tk->task_cdf);
    tk->rows     = calloc(M * R * W, sizeof *tk->rows);
    tk->cdf      = malloc(M * R * V * sizeof *tk->cdf);
    tk->plogp    = malloc(M * R * sizeof *tk->plogp);
    double *P = malloc(V * V * sizeof *P), *a = malloc(V * V * sizeof *a);
    double *b = malloc(V * V * sizeof *b), *pi = malloc(V * sizeof *pi);
    if (!tk->task_cdf || !tk->rows || !tk->cdf || !tk->plogp || !P || !a || !b || !pi) {
        free(P), free(a), free(b), free(pi);
        model_tasks_free(tk);
        SF_FAIL(err, SF_ENOMEM, "out of memory building the tasks source");
    }
    double z = 0.0;
    for (size_t k = 0; k < M; k++)
        z += pow((double)(k + 1), -d->zipf);
    double           cum = 0.0, h_first = 0.0, h_rate = 0.0;
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(d->seed, MODEL_STREAM_TABLES));
    bool   have = false, ok = true;
    double spare = 0.0;
    for (size_t k = 0; k < M && ok; k++) {
        double pk = pow((double)(k + 1), -d->zipf) / z;
        cum += pk;
        tk->task_cdf[k] = cum;
        for (size_t s = 0; s < V; s++) {
            double sum = 0.0;
            for (size_t x = 0; x < V; x++) {
                double g = model_rng_gamma(&r, d->concentration, &have, &spare);
                /* Every entry positive: the chain stays irreducible and every symbol possible. */
                P[s * V + x] = g < 1e-300 ? 1e-300 : g;
                sum += P[s * V + x];
            }
            for (size_t x = 0; x < V; x++)
                P[s * V + x] /= sum;
        }
        ok = model_tasks_stationary_impl(P, V, pi, a, b);
        /* Rows 0..V−1: after symbol s; row V: the first symbol. Digit tokens have probability 0. */
        double *rows = tk->rows + k * R * W, hk = 0.0;
        for (size_t s = 0; s < R; s++) {
            const double *src = s < V ? P + s * V : pi;
            double        c   = 0.0;
            for (size_t x = 0; x < V; x++) {
                rows[s * W + x] = src[x];
                c += src[x];
                tk->cdf[(k * R + s) * V + x] = c;
            }
            tk->cdf[(k * R + s) * V + V - 1] = 1.0;
            tk->plogp[k * R + s]             = model_tasks_plogp_impl(src, V);
            if (s < V) hk -= pi[s] * tk->plogp[k * R + s];
        }
        h_first -= pk * tk->plogp[k * R + V];
        h_rate += pk * hk;
    }
    free(P), free(a), free(b), free(pi);
    if (!ok) {
        model_tasks_free(tk);
        SF_FAIL(err, SF_ENOCONV,
                "a task's chain of the tasks source does not mix (its powers' rows disagree): "
                "raise data.concentration");
    }
    tk->task_cdf[M - 1] = 1.0;
    tk->h_first         = h_first;
    tk->entropy_rate    = h_rate;
    return SF_OK;
}

double model_tasks_bayes_loss(const struct model_tasks *tk, size_t T) {
    /* Positions K−1..T−1 count: the first symbol, then T−K symbols after a symbol. */
    double S = (double)(T + 1 - tk->K);
    return (tk->h_first + (S - 1.0) * tk->entropy_rate) / S;
}

/* The task named by the window's K digit tokens. */
static size_t model_tasks_task_impl(const struct model_tasks *tk, const int32_t *w) {
    size_t k = 0;
    for (size_t i = 0; i < tk->K; i++)
        k = k * tk->V + (size_t)w[i] - tk->V;
    return k;
}

/* Draws a window of T+1 tokens w (the digits of a task, then its symbols) as inputs w[0..T−1]
 * and targets w[1..T]; with targets = inputs + 1 that is the window itself. */
static void model_tasks_sample_impl(const struct model_tasks *tk, struct model_rng *r,
                                    int32_t *inputs, int32_t *targets, size_t T) {
    size_t V = tk->V, R = V + 1;
    size_t k = model_cdf_find(tk->task_cdf, tk->M, model_rng_uniform(r));
    size_t s = V; /* the first symbol's row */
    for (size_t i = 0; i <= T; i++) {
        int32_t x;
        if (i < tk->K) {
            size_t q = k;
            for (size_t j = i + 1; j < tk->K; j++)
                q /= V;
            x = (int32_t)(V + q % V);
        } else {
            s = model_cdf_find(tk->cdf + (k * R + s) * V, V, model_rng_uniform(r));
            x = (int32_t)s;
        }
        if (i < T) inputs[i] = x;
        if (i > 0) targets[i - 1] = x;
    }
}

// ---- the entry ----

static const char *const model_tasks_keys[] = {
    "tasks", "zipf", "symbols", "concentration", "seed", "blank_fraction", NULL};

static void model_tasks_validate_impl(const struct model_config *cfg, struct sf_diags *out) {
    const struct model_data_config *d = &cfg->data;
    if (d->tasks < 2 || d->symbols < 2) return; /* the ranges report these */
    double entries = (double)d->tasks * (double)(d->symbols + 1) *
                     (2.0 * (double)d->symbols + (d->blank_fraction > 0 ? 1.0 : 0.0));
    size_t K = model_tasks_digits_impl(d->tasks, d->symbols);
    if (entries > (double)MODEL_TASKS_MAX_TABLE)
        sf_diag_add(out, true, "data.tasks",
                    "%lld tasks over %lld symbols need tables of %.0f entries, more than the "
                    "%lld the tasks source allows",
                    (long long)d->tasks, (long long)d->symbols, entries,
                    (long long)MODEL_TASKS_MAX_TABLE);
    else if (cfg->n_ctx < (int64_t)K + 1)
        sf_diag_add(out, true, "n_ctx",
                    "n_ctx %lld leaves no symbol to predict after the %zu digits that name one of "
                    "%lld tasks: n_ctx must be at least %zu",
                    (long long)cfg->n_ctx, K, (long long)d->tasks, K + 1);
}

static void model_tasks_emit_impl(struct sf_yaml_out *y, const struct model_data_config *d) {
    sf_yaml_kv_int(y, "tasks", d->tasks);
    sf_yaml_kv_double(y, "zipf", d->zipf);
    sf_yaml_kv_int(y, "symbols", d->symbols);
    sf_yaml_kv_double(y, "concentration", d->concentration);
    sf_yaml_kv_int(y, "seed", (long long)d->seed);
    if (d->blank_fraction > 0) sf_yaml_kv_double(y, "blank_fraction", d->blank_fraction);
}

/* The token that blanks a window's digits (blank_fraction > 0). */
static int32_t model_tasks_blank_impl(const struct model_tasks *tk) {
    return (int32_t)(2 * tk->V);
}

static void model_tasks_batch_impl(const struct model_data *d, struct model_rng *r, size_t B,
                                   int32_t *inputs, int32_t *targets) {
    const struct model_tasks *tk = &d->tasks;
    size_t                    T  = d->T;
    for (size_t b = 0; b < B; b++) {
        model_tasks_sample_impl(tk, r, inputs + b * T, targets + b * T, T);
        if (!(d->config.blank_fraction > 0) || !(model_rng_uniform(r) < d->config.blank_fraction))
            continue;
        for (size_t i = 0; i < tk->K; i++) {
            if (i < T) inputs[b * T + i] = model_tasks_blank_impl(tk);
            if (i >= 1) targets[b * T + i - 1] = model_tasks_blank_impl(tk);
        }
    }
}

/* ops->pair: the digits blanked; the symbols (predicted at K−1..T−1) are the second part. */
static bool model_tasks_pair_impl(const struct model_data *d, int32_t *w, size_t *p0, size_t *p1) {
    const struct model_tasks *tk = &d->tasks;
    if (!(d->config.blank_fraction > 0)) return false;
    for (size_t i = 0; i < tk->K; i++)
        w[i] = model_tasks_blank_impl(tk);
    *p0 = tk->K - 1;
    *p1 = d->T;
    return true;
}

/* The exact mutual information of the eval window w (its true loss per position in tl): the
 * symbols' Bayes loss after blanked digits — each symbol predicted by the task mixture's
 * posterior given the symbols before it — less their loss given the task. lw (M) is scratch. */
static double model_tasks_window_mi_impl(const struct model_tasks *tk, const int32_t *w,
                                         const double *tl, size_t T, double *lw) {
    size_t M = tk->M, V = tk->V, R = V + 1, W2 = tk->W;
    for (size_t k = 0; k < M; k++)
        lw[k] = log(tk->task_cdf[k] - (k > 0 ? tk->task_cdf[k - 1] : 0.0));
    double mi = 0.0;
    for (size_t t = tk->K - 1; t < T; t++) {
        size_t  row = t + 1 == tk->K ? V : (size_t)w[t];
        int32_t x   = w[t + 1];
        /* log Σ_k π_k p_k(x), π ∝ exp(lw), then the posterior's update by x. */
        double mx = -INFINITY;
        for (size_t k = 0; k < M; k++)
            mx = fmax(mx, lw[k]);
        double z = 0.0, zx = 0.0;
        for (size_t k = 0; k < M; k++) {
            double e  = exp(lw[k] - mx);
            double pk = tk->rows[(k * R + row) * W2 + (size_t)x];
            z += e;
            zx += e * pk;
            lw[k] += log(pk);
        }
        mi += -log(zx / z) - tl[t];
    }
    return mi;
}

/* Builds the tasks, draws the eval windows from the source seed with the true loss of each
 * counted prediction, and records the entropies and the tables' hash. */
static enum sf_status model_tasks_open_impl(struct model_data *d, const struct model_config *cfg,
                                            const char *base_dir, struct sf_error *err) {
    (void)base_dir;
    size_t         T  = d->T;
    enum sf_status st = model_tasks_init(&d->tasks, &cfg->data, err);
    if (st != SF_OK) return st;
    d->eval_true_loss = calloc(d->n_eval_win * T, sizeof *d->eval_true_loss);
    if (d->eval_true_loss == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the eval set");
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(cfg->data.seed, MODEL_STREAM_EVAL));
    for (size_t i = 0; i < d->n_eval_win; i++) {
        int32_t *w = d->eval_win + i * (T + 1);
        model_tasks_sample_impl(&d->tasks, &r, w, w + 1, T);
        for (size_t t = d->tasks.K - 1; t < T; t++)
            d->eval_true_loss[i * T + t] = -log(d->entry->ops->predictive(d, w, t, NULL)[w[t + 1]]);
    }
    d->info.entropy_rate = d->tasks.entropy_rate;
    d->info.bayes_loss   = model_tasks_bayes_loss(&d->tasks, T);
    if (cfg->data.blank_fraction > 0) {
        double *lw = malloc(d->tasks.M * sizeof *lw), mi = 0.0;
        if (lw == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the mutual information");
        for (size_t i = 0; i < d->n_eval_win; i++)
            mi += model_tasks_window_mi_impl(&d->tasks, d->eval_win + i * (T + 1),
                                             d->eval_true_loss + i * T, T, lw);
        free(lw);
        d->info.mutual_information = mi / (double)d->n_eval_win;
    }
    /* The tables identify the source: hash the task probabilities and the rows. */
    const double *parts[2] = {d->tasks.task_cdf, d->tasks.rows};
    size_t        sizes[2] = {d->tasks.M, d->tasks.M * (d->tasks.V + 1) * d->tasks.W};
    model_sha256_doubles(parts, sizes, 2, d->info.sha256);
    return SF_OK;
}

static bool model_tasks_counted_impl(const struct model_data *d, const int32_t *inputs, size_t t,
                                     int32_t target) {
    (void)target;
    (void)inputs;
    return t + 1 >= d->tasks.K;
}

static const double *model_tasks_predictive_impl(const struct model_data *d, const int32_t *w,
                                                 size_t t, double *plogp) {
    const struct model_tasks *tk = &d->tasks;
    SF_ASSERT(t + 1 >= tk->K);
    size_t k   = model_tasks_task_impl(tk, w);
    size_t row = t + 1 == tk->K ? tk->V : (size_t)w[t];
    if (plogp != NULL) *plogp = tk->plogp[k * (tk->V + 1) + row];
    return tk->rows + (k * (tk->V + 1) + row) * tk->W;
}

static void model_tasks_close_impl(struct model_data *d) {
    model_tasks_free(&d->tasks);
}

static int64_t model_tasks_n_vocab_impl(const struct model_data_config *d) {
    return 2 * d->symbols + (d->blank_fraction > 0 ? 1 : 0);
}

static void model_tasks_describe_impl(struct sf_buf *b, const struct model_data_config *d) {
    sf_buf_printf(
        b,
        "a synthetic mixture of %lld order-1 Markov tasks over %lld symbols, task k drawn "
        "with probability ∝ k^-%g and named by its digits (seed %llu)",
        (long long)d->tasks, (long long)d->symbols, d->zipf, (unsigned long long)d->seed);
}

/* Michaud et al. 2023 with p_k ∝ k^−(α+1): α = zipf − 1 in N, α/(α+1) in D. */
static void model_tasks_theory_impl(const struct model_data_config *d, double *alpha_n,
                                    double *alpha_d, const char **name) {
    *alpha_n = d->zipf - 1.0;
    *alpha_d = (d->zipf - 1.0) / d->zipf;
    *name    = "the quantization model (Michaud et al. 2023): alpha_N = zipf − 1, alpha_D = "
               "(zipf − 1)/zipf";
}

static const struct model_source_ops model_tasks_ops = {
    .validate   = model_tasks_validate_impl,
    .emit       = model_tasks_emit_impl,
    .open       = model_tasks_open_impl,
    .batch      = model_tasks_batch_impl,
    .counted    = model_tasks_counted_impl,
    .predictive = model_tasks_predictive_impl,
    .close      = model_tasks_close_impl,
    .pair       = model_tasks_pair_impl,
};

const struct model_source_entry model_source_tasks = {
    .id                = MODEL_SOURCE_TASKS,
    .name              = "tasks",
    .keys              = model_tasks_keys,
    .files             = false,
    .exact             = true,
    .loss_unit         = "nats/token",
    .n_vocab           = model_tasks_n_vocab_impl,
    .tokens_per_sample = model_source_one_token,
    .describe          = model_tasks_describe_impl,
    .theory            = model_tasks_theory_impl,
    .ops               = &model_tasks_ops,
};
