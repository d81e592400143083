/*
 * markov.c — the synthetic order-K Markov source over V symbols whose entropy is known exactly
 * (shared/notes/markov-pilot.md, datasets.md §4). Two generators for the transition table:
 * log-linear, P(x | last K) = softmax_x Σ_{d=0..K} s0·γ^d·G_d[last d symbols, x] with G_d
 * N(0,1) from the source seed, and Dirichlet rows. The stationary law over the V^K contexts comes
 * from power iteration; from it the block marginals, the conditional entropies H_j and the
 * entropy rate H = Σ_c π(c)·H(P[c]). Sampling draws the K symbols before a window from π, so
 * every window is a stationary segment, and the true log-loss of each prediction uses exactly the
 * in-window context (the marginal conditionals for positions with fewer than K symbols): the
 * in-window predictive (model_markov_predictive), which the entry also gives to the exact KL of
 * a model's predictions (eval_kl).
 *
 * Also here: the source's entry (model_source_markov): its keys, checks and run.yaml text, its
 * eval set (windows drawn from the source seed, with the true loss of every prediction) and its
 * batches. Not here: what every source shares (data.c).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t model_ipow_impl(size_t b, int64_t e) {
    size_t r = 1;
    for (int64_t i = 0; i < e; i++)
        r *= b;
    return r;
}

void model_markov_free(struct model_markov *mk) {
    if (mk == NULL) return;
    free(mk->P);
    free(mk->cdf);
    free(mk->pi);
    free(mk->pi_cdf);
    free(mk->marg);
    free(mk->marg_off);
    free(mk->cond_H);
    free(mk->cond);
    free(mk->cond_plogp);
    free(mk->log_cond);
    free(mk->logP);
    free(mk->P_plogp);
    memset(mk, 0, sizeof *mk);
}

/* Fills P with the log-linear rows. */
static enum sf_status model_markov_loglinear_impl(struct model_markov            *mk,
                                                  const struct model_data_config *d,
                                                  struct model_rng *r, struct sf_error *err) {
    size_t  V = (size_t)mk->V;
    int64_t K = mk->K;
    /* G_d for d = 0..K, each (V^d, V), drawn in order of d then row then symbol. */
    size_t total = 0;
    for (int64_t j = 0; j <= K; j++)
        total += model_ipow_impl(V, j) * V;
    double *G = malloc(total * sizeof *G);
    if (G == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory building the markov tables");
    bool   have  = false;
    double spare = 0.0;
    for (size_t i = 0; i < total; i++)
        G[i] = model_rng_normal(r, &have, &spare);
    double *logit = malloc(V * sizeof *logit);
    if (logit == NULL) {
        free(G);
        SF_FAIL(err, SF_ENOMEM, "out of memory building the markov tables");
    }
    for (size_t c = 0; c < mk->n_ctx; c++) {
        for (size_t x = 0; x < V; x++)
            logit[x] = 0.0;
        size_t off = 0, pw = 1;
        for (int64_t j = 0; j <= K; j++) {
            size_t row = c % pw; /* the last j symbols */
            double w   = d->scale * pow(d->decay, (double)j);
            for (size_t x = 0; x < V; x++)
                logit[x] += w * G[off + row * V + x];
            off += pw * V;
            pw *= V;
        }
        double mx = logit[0];
        for (size_t x = 1; x < V; x++)
            mx = logit[x] > mx ? logit[x] : mx;
        double s = 0.0;
        for (size_t x = 0; x < V; x++)
            s += exp(logit[x] - mx);
        for (size_t x = 0; x < V; x++)
            mk->P[c * V + x] = exp(logit[x] - mx) / s;
    }
    free(logit);
    free(G);
    return SF_OK;
}

static void model_markov_dirichlet_impl(struct model_markov *mk, const struct model_data_config *d,
                                        struct model_rng *r) {
    size_t V     = (size_t)mk->V;
    bool   have  = false;
    double spare = 0.0;
    for (size_t c = 0; c < mk->n_ctx; c++) {
        double s = 0.0;
        for (size_t x = 0; x < V; x++) {
            double g = model_rng_gamma(r, d->concentration, &have, &spare);
            /* Keep every entry positive so that the chain stays irreducible. */
            if (g < 1e-300) g = 1e-300;
            mk->P[c * V + x] = g;
            s += g;
        }
        for (size_t x = 0; x < V; x++)
            mk->P[c * V + x] /= s;
    }
}

static double model_entropy_impl(const double *p, size_t n) {
    double h = 0.0;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0.0) h -= p[i] * log(p[i]);
    return h;
}

/* The in-window predictive rows of positions with fewer than K symbols of context (cond), and
 * Σ p·log p of every predictive row (cond_plogp, P_plogp), from the block marginals. */
static void model_markov_predictive_rows_impl(struct model_markov *mk) {
    size_t V = (size_t)mk->V;
    for (int64_t j = 0; j < mk->K; j++) {
        size_t n_s = model_ipow_impl(V, j);
        for (size_t s = 0; s < n_s; s++) {
            size_t        row = mk->marg_off[j + 1] + s * V;
            double        den = mk->marg[mk->marg_off[j] + s];
            double *const p   = mk->cond + row;
            for (size_t x = 0; x < V; x++) {
                p[x]                  = mk->marg[row + x] / den;
                mk->log_cond[row + x] = log(p[x]);
            }
            mk->cond_plogp[mk->marg_off[j] + s] = -model_entropy_impl(p, V);
        }
    }
    for (size_t c = 0; c < mk->n_ctx; c++)
        mk->P_plogp[c] = -model_entropy_impl(mk->P + c * V, V);
    for (size_t i = 0; i < mk->n_ctx * V; i++)
        mk->logP[i] = log(mk->P[i]);
}

enum sf_status model_markov_init(struct model_markov *mk, const struct model_data_config *d,
                                 struct sf_error *err) {
    memset(mk, 0, sizeof *mk);
    mk->V = d->n_vocab;
    mk->K = d->order;
    SF_ASSERT(mk->V >= 2 && mk->K >= 1);
    size_t V      = (size_t)mk->V;
    mk->n_ctx     = model_ipow_impl(V, mk->K);
    size_t n      = mk->n_ctx * V;
    mk->P         = malloc(n * sizeof *mk->P);
    mk->cdf       = malloc(n * sizeof *mk->cdf);
    mk->pi        = malloc(mk->n_ctx * sizeof *mk->pi);
    mk->pi_cdf    = malloc(mk->n_ctx * sizeof *mk->pi_cdf);
    mk->marg_off  = malloc((size_t)(mk->K + 2) * sizeof *mk->marg_off);
    mk->cond_H    = malloc((size_t)(mk->K + 1) * sizeof *mk->cond_H);
    size_t n_marg = 0;
    for (int64_t j = 0; j <= mk->K; j++)
        n_marg += model_ipow_impl(V, j);
    mk->marg       = calloc(n_marg, sizeof *mk->marg);
    mk->cond       = calloc(n_marg, sizeof *mk->cond);
    mk->cond_plogp = calloc(n_marg, sizeof *mk->cond_plogp);
    mk->log_cond   = calloc(n_marg, sizeof *mk->log_cond);
    mk->logP       = malloc(n * sizeof *mk->logP);
    mk->P_plogp    = malloc(mk->n_ctx * sizeof *mk->P_plogp);
    double *nxt    = malloc(mk->n_ctx * sizeof *nxt);
    if (!mk->P || !mk->cdf || !mk->pi || !mk->pi_cdf || !mk->marg_off || !mk->cond_H || !mk->marg ||
        !mk->cond || !mk->cond_plogp || !mk->P_plogp || !mk->log_cond || !mk->logP || !nxt) {
        free(nxt);
        model_markov_free(mk);
        SF_FAIL(err, SF_ENOMEM, "out of memory building the markov source");
    }
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(d->seed, MODEL_STREAM_TABLES));
    if (d->generator == MODEL_MARKOV_GENERATOR_LOGLINEAR) {
        enum sf_status st = model_markov_loglinear_impl(mk, d, &r, err);
        if (st != SF_OK) {
            free(nxt);
            model_markov_free(mk);
            return st;
        }
    } else {
        model_markov_dirichlet_impl(mk, d, &r);
    }
    for (size_t c = 0; c < mk->n_ctx; c++) {
        double s = 0.0;
        for (size_t x = 0; x < V; x++) {
            s += mk->P[c * V + x];
            mk->cdf[c * V + x] = s;
        }
        mk->cdf[c * V + V - 1] = 1.0;
    }

    /* Stationary law over contexts: pi'(c') = Σ pi(c) P[c][x], c' = (c·V + x) mod V^K. */
    for (size_t c = 0; c < mk->n_ctx; c++)
        mk->pi[c] = 1.0 / (double)mk->n_ctx;
    int    it;
    double diff = 1.0;
    for (it = 1; it <= MODEL_MARKOV_MAX_ITER; it++) {
        memset(nxt, 0, mk->n_ctx * sizeof *nxt);
        for (size_t c = 0; c < mk->n_ctx; c++) {
            size_t base = (c * V) % mk->n_ctx;
            double pc   = mk->pi[c];
            for (size_t x = 0; x < V; x++)
                nxt[base + x] += pc * mk->P[c * V + x];
        }
        double s = 0.0;
        for (size_t c = 0; c < mk->n_ctx; c++)
            s += nxt[c];
        diff = 0.0;
        for (size_t c = 0; c < mk->n_ctx; c++) {
            nxt[c] /= s;
            diff += fabs(nxt[c] - mk->pi[c]);
        }
        memcpy(mk->pi, nxt, mk->n_ctx * sizeof *nxt);
        if (diff < MODEL_MARKOV_TOL) break;
    }
    free(nxt);
    if (diff >= MODEL_MARKOV_TOL) {
        model_markov_free(mk);
        SF_FAIL(err, SF_ENOCONV,
                "the markov source's stationary distribution did not converge in %d power "
                "iterations (L1 change %.3g)",
                MODEL_MARKOV_MAX_ITER, diff);
    }
    mk->iterations = it;
    double s       = 0.0;
    for (size_t c = 0; c < mk->n_ctx; c++) {
        s += mk->pi[c];
        mk->pi_cdf[c] = s;
    }
    mk->pi_cdf[mk->n_ctx - 1] = 1.0;

    /* Block marginals of the last j symbols: sum pi over the oldest K - j symbols. */
    size_t off = 0;
    for (int64_t j = 0; j <= mk->K; j++) {
        mk->marg_off[j] = off;
        size_t pw       = model_ipow_impl(V, j);
        for (size_t c = 0; c < mk->n_ctx; c++)
            mk->marg[off + c % pw] += mk->pi[c];
        off += pw;
    }
    /* H_j = H(block j+1) - H(block j) for j < K; H_K = Σ pi(c) H(P[c]). */
    for (int64_t j = 0; j < mk->K; j++) {
        double hj1 = model_entropy_impl(mk->marg + mk->marg_off[j + 1], model_ipow_impl(V, j + 1));
        double hj  = model_entropy_impl(mk->marg + mk->marg_off[j], model_ipow_impl(V, j));
        mk->cond_H[j] = hj1 - hj;
    }
    double h = 0.0;
    for (size_t c = 0; c < mk->n_ctx; c++)
        h += mk->pi[c] * model_entropy_impl(mk->P + c * V, V);
    mk->cond_H[mk->K] = h;
    mk->entropy_rate  = h;
    model_markov_predictive_rows_impl(mk);
    return SF_OK;
}

double model_markov_bayes_loss(const struct model_markov *mk, size_t T) {
    double s = 0.0;
    for (size_t t = 0; t < T; t++) {
        int64_t j = (int64_t)t + 1 < mk->K ? (int64_t)t + 1 : mk->K;
        s += mk->cond_H[j];
    }
    return s / (double)T;
}

void model_markov_sample(const struct model_markov *mk, struct model_rng *r, int32_t *out,
                         size_t n) {
    size_t V = (size_t)mk->V;
    size_t c = model_cdf_find(mk->pi_cdf, mk->n_ctx, model_rng_uniform(r));
    for (size_t i = 0; i < n; i++) {
        size_t x = model_cdf_find(mk->cdf + c * V, V, model_rng_uniform(r));
        out[i]   = (int32_t)x;
        c        = (c * V + x) % mk->n_ctx;
    }
}

const double *model_markov_predictive_log(const struct model_markov *mk, const int32_t *w,
                                          size_t t) {
    size_t V = (size_t)mk->V, K = (size_t)mk->K, c = 0;
    if (t + 1 >= K) {
        for (size_t i = t + 1 - K; i <= t; i++)
            c = c * V + (size_t)w[i];
        return mk->logP + c * V;
    }
    for (size_t i = 0; i <= t; i++)
        c = c * V + (size_t)w[i];
    return mk->log_cond + mk->marg_off[t + 2] + c * V;
}

const double *model_markov_predictive(const struct model_markov *mk, const int32_t *w, size_t t,
                                      double *plogp) {
    size_t V = (size_t)mk->V, K = (size_t)mk->K;
    size_t have = t + 1; /* symbols of context in the window */
    size_t c    = 0;
    if (have >= K) {
        for (size_t i = t + 1 - K; i <= t; i++)
            c = c * V + (size_t)w[i];
        if (plogp != NULL) *plogp = mk->P_plogp[c];
        return mk->P + c * V;
    }
    /* P(x | last j symbols s) = m_{j+1}(s, x) / m_j(s), j = have. */
    for (size_t i = 0; i <= t; i++)
        c = c * V + (size_t)w[i];
    if (plogp != NULL) *plogp = mk->cond_plogp[mk->marg_off[have] + c];
    return mk->cond + mk->marg_off[have + 1] + c * V;
}

void model_markov_true_losses(const struct model_markov *mk, const int32_t *w, size_t n,
                              double *loss) {
    for (size_t t = 0; t + 1 < n; t++)
        loss[t] = -log(model_markov_predictive(mk, w, t, NULL)[w[t + 1]]);
}

/* Draws a stationary window of T+1 symbols x_0..x_T as inputs x_0..x_{T-1} and targets
 * x_1..x_T (the same draws as model_markov_sample of T+1 symbols). */
static void model_markov_sample_pair_impl(const struct model_markov *mk, struct model_rng *r,
                                          int32_t *inputs, int32_t *targets, size_t T) {
    size_t V = (size_t)mk->V;
    size_t c = model_cdf_find(mk->pi_cdf, mk->n_ctx, model_rng_uniform(r));
    for (size_t i = 0; i <= T; i++) {
        size_t x = model_cdf_find(mk->cdf + c * V, V, model_rng_uniform(r));
        if (i < T) inputs[i] = (int32_t)x;
        if (i > 0) targets[i - 1] = (int32_t)x;
        c = (c * V + x) % mk->n_ctx;
    }
}

// ---- the entry ----

static const char *const model_markov_keys[] = {"n_vocab", "order", "generator",     "scale",
                                                "decay",   "seed",  "concentration", NULL};

static const char *model_markov_key_excluded_impl(const struct model_data_config *d,
                                                  const char                     *key) {
    bool loglinear = d->generator == MODEL_MARKOV_GENERATOR_LOGLINEAR;
    if ((strcmp(key, "scale") == 0 || strcmp(key, "decay") == 0) && !loglinear)
        return "generator loglinear";
    if (strcmp(key, "concentration") == 0 && loglinear) return "generator dirichlet";
    return NULL;
}

static void model_markov_validate_impl(const struct model_config *cfg, struct sf_diags *out) {
    const struct model_data_config *d = &cfg->data;
    /* The transition table has V^(K+1) entries. */
    double entries = pow((double)d->n_vocab, (double)(d->order + 1));
    if (d->n_vocab < 2 || d->order < 1)
        sf_diag_add(out, true, "data.n_vocab", "markov needs n_vocab >= 2 and order >= 1");
    else if (entries > (double)MODEL_MARKOV_MAX_TABLE)
        sf_diag_add(out, true, "data.order",
                    "order %lld with n_vocab %lld gives a transition table of %.0f "
                    "entries, more than the %lld the markov source allows",
                    (long long)d->order, (long long)d->n_vocab, entries,
                    (long long)MODEL_MARKOV_MAX_TABLE);
}

static void model_markov_emit_impl(struct sf_yaml_out *y, const struct model_data_config *d) {
    sf_yaml_kv_int(y, "n_vocab", d->n_vocab);
    sf_yaml_kv_int(y, "order", d->order);
    sf_yaml_kv_str(y, "generator", model_markov_generator_name(d->generator));
    if (d->generator == MODEL_MARKOV_GENERATOR_LOGLINEAR) {
        sf_yaml_kv_double(y, "scale", d->scale);
        sf_yaml_kv_double(y, "decay", d->decay);
    } else {
        sf_yaml_kv_double(y, "concentration", d->concentration);
    }
    sf_yaml_kv_int(y, "seed", (long long)d->seed);
}

/* Builds the chain, draws the eval windows from the source seed with the true loss of each
 * prediction, and records the entropy rate, the Bayes loss and the table's hash. */
static enum sf_status model_markov_open_impl(struct model_data *d, const struct model_config *cfg,
                                             const char *base_dir, struct sf_error *err) {
    (void)base_dir;
    size_t         T  = d->T;
    enum sf_status st = model_markov_init(&d->markov, &cfg->data, err);
    if (st != SF_OK) return st;
    d->eval_true_loss = malloc(d->n_eval_win * T * sizeof *d->eval_true_loss);
    if (d->eval_true_loss == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the eval set");
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(cfg->data.seed, MODEL_STREAM_EVAL));
    for (size_t i = 0; i < d->n_eval_win; i++) {
        model_markov_sample(&d->markov, &r, d->eval_win + i * (T + 1), T + 1);
        model_markov_true_losses(&d->markov, d->eval_win + i * (T + 1), T + 1,
                                 d->eval_true_loss + i * T);
    }
    d->info.entropy_rate = d->markov.entropy_rate;
    d->info.bayes_loss   = model_markov_bayes_loss(&d->markov, T);
    /* The table identifies the source: hash its little-endian doubles. */
    const double *parts[1] = {d->markov.P};
    size_t        sizes[1] = {d->markov.n_ctx * (size_t)d->markov.V};
    model_sha256_doubles(parts, sizes, 1, d->info.sha256);
    return SF_OK;
}

static void model_markov_batch_impl(const struct model_data *d, struct model_rng *r, size_t B,
                                    int32_t *inputs, int32_t *targets) {
    size_t T = d->T;
    for (size_t b = 0; b < B; b++)
        model_markov_sample_pair_impl(&d->markov, r, inputs + b * T, targets + b * T, T);
}

static const double *model_markov_predictive_log_impl(const struct model_data *d, const int32_t *w,
                                                      size_t t) {
    return model_markov_predictive_log(&d->markov, w, t);
}

static const double *model_markov_predictive_impl(const struct model_data *d, const int32_t *w,
                                                  size_t t, double *plogp) {
    return model_markov_predictive(&d->markov, w, t, plogp);
}

static void model_markov_close_impl(struct model_data *d) {
    model_markov_free(&d->markov);
}

static int64_t model_markov_n_vocab_impl(const struct model_data_config *d) {
    return d->n_vocab;
}

static void model_markov_describe_impl(struct sf_buf *b, const struct model_data_config *d) {
    sf_buf_printf(
        b, "a synthetic order-%lld Markov source over %lld symbols (%s generator, seed %llu)",
        (long long)d->order, (long long)d->n_vocab, model_markov_generator_name(d->generator),
        (unsigned long long)d->seed);
}

static const struct model_source_ops model_markov_ops = {
    .key_excluded   = model_markov_key_excluded_impl,
    .validate       = model_markov_validate_impl,
    .emit           = model_markov_emit_impl,
    .open           = model_markov_open_impl,
    .batch          = model_markov_batch_impl,
    .predictive     = model_markov_predictive_impl,
    .predictive_log = model_markov_predictive_log_impl,
    .close          = model_markov_close_impl,
};

const struct model_source_entry model_source_markov = {
    .id                = MODEL_SOURCE_MARKOV,
    .name              = "markov",
    .keys              = model_markov_keys,
    .files             = false,
    .exact             = true,
    .full_support      = true,
    .loss_unit         = "nats/token",
    .n_vocab           = model_markov_n_vocab_impl,
    .tokens_per_sample = model_source_one_token,
    .describe          = model_markov_describe_impl,
    .ops               = &model_markov_ops,
};
