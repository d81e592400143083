/*
 * internal.h — private to src/model and its tests: the model's memory layout (struct model),
 * the random number generator, the markov source, the data sources, the checkpoint file and
 * the run directory helpers. Nothing outside src/model and tests/model includes it.
 */
#ifndef SF_MODEL_INTERNAL_H
#define SF_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "model.h"

// ---- random numbers ----

/* xoshiro256** (Blackman & Vigna), seeded through SplitMix64. An explicit state, never global. */
struct model_rng {
    uint64_t s[4];
};

void     model_rng_seed(struct model_rng *r, uint64_t seed);
uint64_t model_rng_next(struct model_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double model_rng_uniform(struct model_rng *r);
/* Uniform integer in [0, n) (n >= 1), without modulo bias (Lemire's method). */
uint64_t model_rng_below(struct model_rng *r, uint64_t n);
/* Standard normal (Box–Muller; both values of a pair are used in turn). */
double model_rng_normal(struct model_rng *r, bool *have_spare, double *spare);
/* Gamma(shape, 1) (Marsaglia & Tsang 2000; shape < 1 through the U^(1/shape) boost). */
double model_rng_gamma(struct model_rng *r, double shape, bool *have_spare, double *spare);

/* Index of the first entry of cdf[0..n) above u (binary search; cdf[n-1] = 1): sampling from a
 * cumulative distribution with u uniform in [0, 1). */
size_t model_cdf_find(const double *cdf, size_t n, double u);

/* Streams derived from the run seed and the source seed (sf_seed_derive). */
enum model_stream {
    MODEL_STREAM_INIT    = 1, /* run seed: initial weights */
    MODEL_STREAM_BATCH   = 2, /* run seed: training batches, then derived by step */
    MODEL_STREAM_TABLES  = 3, /* source seed: markov tables */
    MODEL_STREAM_EVAL    = 4, /* source seed: markov eval set */
    MODEL_STREAM_HOLDOUT = 5, /* source seed: math's held-out problems */
    MODEL_STREAM_EXTRAP  = 6, /* source seed: math's extrapolation split */
};

// ---- the model's layout ----

/* Parameter tensors, in the order of the parameter block. */
enum model_tensor_id {
    MODEL_TENSOR_WTE,      /* (V, C) */
    MODEL_TENSOR_WPE,      /* (maxT, C) */
    MODEL_TENSOR_LN1W,     /* (L, C) */
    MODEL_TENSOR_LN1B,     /* (L, C) */
    MODEL_TENSOR_QKVW,     /* (L, 3A, C) */
    MODEL_TENSOR_QKVB,     /* (L, 3A) */
    MODEL_TENSOR_ATTPROJW, /* (L, C, A) */
    MODEL_TENSOR_ATTPROJB, /* (L, C) */
    MODEL_TENSOR_LN2W,     /* (L, C) */
    MODEL_TENSOR_LN2B,     /* (L, C) */
    MODEL_TENSOR_FCW,      /* (L, F, C) */
    MODEL_TENSOR_FCB,      /* (L, F) */
    MODEL_TENSOR_FCPROJW,  /* (L, C, F) */
    MODEL_TENSOR_FCPROJB,  /* (L, C) */
    MODEL_TENSOR_LNFW,     /* (C) */
    MODEL_TENSOR_LNFB,     /* (C) */
    MODEL_TENSOR_HEADW,    /* (V, C); size 0 when tied to wte */
    MODEL_TENSOR_COUNT
};

/* One parameter tensor: where it lives and how it is treated. */
struct model_tensor {
    const char *name;
    size_t      offset; /* in floats, into the parameter block */
    size_t      size;   /* floats */
    bool        decay;  /* weight decay applies without weight_decay_all (block matrices and an
                           untied head) */
    bool embedding;     /* counted out of N (wte, wpe, untied head) */
};

/* Activations and backward scratch, each a pointer into the one activation block. */
struct model_acts {
    float *encoded;  /* (B,T,C) */
    float *ln1;      /* (L,B,T,C) */
    float *ln1_mean; /* (L,B,T) */
    float *ln1_rstd; /* (L,B,T) */
    float *qkv;      /* (L,B,T,3A) */
    float *atty;     /* (L,B,T,A) */
    float *att;      /* (L,B,NH,T,T) */
    float *resid2;   /* (L,B,T,C) */
    float *ln2;      /* (L,B,T,C) */
    float *ln2_mean; /* (L,B,T) */
    float *ln2_rstd; /* (L,B,T) */
    float *fch;      /* (L,B,T,F) */
    float *fch_gelu; /* (L,B,T,F) */
    float *resid3;   /* (L,B,T,C) */
    float *lnf;      /* (B,T,C) */
    float *lnf_mean; /* (B,T) */
    float *lnf_rstd; /* (B,T) */
    float *logits;   /* (B,T,V) */
    float *probs;    /* (B,T,V); the backward turns it into dlogits in place */
    float *losses;   /* (B,T) */
    /* backward scratch, reused by every layer */
    float   *dres;    /* (B,T,C) gradient of the residual stream */
    float   *dbuf_c;  /* (B,T,C) */
    float   *dbuf_a;  /* (B,T,A) */
    float   *dqkv;    /* (B,T,3A) */
    float   *dfch;    /* (B,T,F) */
    float   *datt;    /* (B,NH,T,T) */
    double  *partial; /* (ceil(n_params / MODEL_SUMSQ_BLOCK)) */
    int32_t *order;   /* (B·T + V + 1) token sort for the embedding backward */
};

struct model {
    struct model_shape  shape;
    size_t              B, T, C, A, F, NH, V, L; /* allocated batch; shape as size_t */
    struct model_tensor tensors[MODEL_TENSOR_COUNT];
    size_t              n_params;
    float              *params;      /* one block: every parameter tensor */
    float              *grads;       /* one block, same layout */
    float              *adam_m;      /* one block, same layout */
    float              *adam_v;      /* one block, same layout */
    void               *acts_memory; /* one block: every activation and scratch */
    size_t              acts_bytes;
    struct model_acts   acts;
    int64_t             adam_t; /* AdamW steps taken */
    /* The matrix products' plans (kernels.h), chosen at allocation from the shape and the CPU:
     * qkv, attention projection, MLP in, MLP out, head; gemm_wt is their shared scratch. */
    struct kernel_linear    lin_qkv, lin_attproj, lin_fc, lin_fcproj, lin_head;
    struct kernel_attention attn;
    float                  *gemm_wt, *att_tr; /* scratch of the plans */
    /* the last forward */
    size_t         cur_B;
    const int32_t *inputs;    /* (cur_B, T), borrowed */
    const int32_t *targets;   /* (cur_B, T), borrowed, may be NULL */
    size_t         n_counted; /* targets that are not MODEL_IGNORE */
    /* model_forward_distill: the teacher's probabilities (B, T, V; borrowed), the objective
     * and the mix's λ; teacher NULL after model_forward */
    const float          *teacher;
    enum kernel_objective objective;
    double                lambda;
    double                mean_loss;
};

/* Pointer to a tensor inside a block with the parameter layout (params, grads, m or v). */
static inline float *model_tensor_ptr(float *block, const struct model *m,
                                      enum model_tensor_id id) {
    return block + m->tensors[id].offset;
}
/* The head weights: the untied head or, when tied, the token embedding. */
float *model_head_weights(struct model *m, float *block);

// ---- the markov source ----

/* An order-K Markov source over V symbols; contexts c in [0, V^K) encode the last K symbols,
 * the oldest most significant (c = Σ x_{-K+i}·V^(K-1-i)). */
struct model_markov {
    int64_t V, K;
    size_t  n_ctx;    /* V^K */
    double *P;        /* (n_ctx, V) transition probabilities */
    double *cdf;      /* (n_ctx, V) cumulative rows, for sampling */
    double *pi;       /* (n_ctx) stationary distribution */
    double *pi_cdf;   /* (n_ctx) cumulative pi */
    double *marg;     /* block marginals: marg + marg_off[j] holds the stationary law of the
                         last j symbols (V^j entries), j = 0..K */
    size_t *marg_off; /* (K+1) */
    double *cond_H;   /* (K+1): H_j = H(X_j | X_0..X_{j-1}) in the stationary chain; H_K = rate */
    /* The in-window predictive of a position that sees j < K symbols s, laid out like marg:
     * cond + marg_off[j+1] + s·V holds P(x | last j symbols s) = m_{j+1}(s, x) / m_j(s). */
    double *cond;
    double *cond_plogp; /* like marg: cond_plogp[marg_off[j] + s] = Σ_x p·log p of that row */
    double *log_cond;   /* log of cond, entry by entry (the divergences' log p) */
    double *logP;       /* (n_ctx, V) log of P */
    double *P_plogp;    /* (n_ctx) Σ_x P[c][x]·log P[c][x] */
    double  entropy_rate;
    int     iterations; /* power iterations used */
};

/* Builds the source from the data config (tables from the source seed, stationary law by power
 * iteration to an L1 change below MODEL_MARKOV_TOL). Returns SF_OK, SF_ENOMEM or SF_ENOCONV. */
#define MODEL_MARKOV_TOL 1e-14
#define MODEL_MARKOV_MAX_ITER 200000
/* Largest transition table (V^(K+1) entries) the source accepts. */
#define MODEL_MARKOV_MAX_TABLE (INT64_C(1) << 22)
enum sf_status model_markov_init(struct model_markov *mk, const struct model_data_config *d,
                                 struct sf_error *err);
void           model_markov_free(struct model_markov *mk);
/* The Bayes-optimal loss averaged over a window of T predictions (position t sees t+1 symbols). */
double model_markov_bayes_loss(const struct model_markov *mk, size_t T);
/* Draws a stationary window of n symbols into out. */
void model_markov_sample(const struct model_markov *mk, struct model_rng *r, int32_t *out,
                         size_t n);
/* The true next-symbol distribution after the window prefix w[0..t] (t+1 symbols: the last K of
 * them, or all when fewer — the in-window Bayes predictive): a row of V probabilities inside mk
 * (borrowed, valid while mk lives), with its Σ_x p·log p into *plogp (when not NULL). */
const double *model_markov_predictive(const struct model_markov *mk, const int32_t *w, size_t t,
                                      double *plogp);
/* The log of model_markov_predictive's row (borrowed, as it). */
const double *model_markov_predictive_log(const struct model_markov *mk, const int32_t *w,
                                          size_t t);
/* The true source's log-loss (nats) of predicting w[t+1] from w[0..t], for t = 0..n-2, into
 * loss (n-1 values): −log of model_markov_predictive's row at w[t+1]. */
void model_markov_true_losses(const struct model_markov *mk, const int32_t *w, size_t n,
                              double *loss);

// ---- the tasks source ----

/* A Zipf mixture of M order-1 Markov tasks over V symbols (source_tasks.c). Rows of the tables
 * are 2V wide (symbols, then the digit tokens, which have probability 0). */
struct model_tasks {
    size_t  M, V, K;      /* tasks, symbols, digits naming a task */
    size_t  W;            /* the vocabulary: 2V, and the blank with blank_fraction > 0 */
    double *task_cdf;     /* (M) cumulative task probabilities */
    double *rows;         /* (M, V+1, W): row s < V after symbol s; row V the first symbol */
    double *cdf;          /* (M, V+1, V) cumulative rows over the symbols */
    double *plogp;        /* (M, V+1) Σ p·log p of each row */
    double  h_first;      /* E_k H(first symbol of task k) */
    double  entropy_rate; /* E_k of task k's entropy rate */
};

/* Builds the tasks from the data config (tables from the source seed). Returns SF_OK, SF_ENOMEM
 * or SF_ENOCONV (a chain that does not mix). */
enum sf_status model_tasks_init(struct model_tasks *tk, const struct model_data_config *d,
                                struct sf_error *err);
void           model_tasks_free(struct model_tasks *tk);
/* The Bayes loss averaged over the counted predictions of a window of T (positions K−1..T−1). */
double model_tasks_bayes_loss(const struct model_tasks *tk, size_t T);

// ---- the math source ----

/* Its tokens: the digits 0..9, then these; the vocabulary is MODEL_MATH_VOCAB. */
enum model_math_token {
    MODEL_MATH_PLUS = 10,
    MODEL_MATH_MINUS,
    MODEL_MATH_TIMES,
    MODEL_MATH_PERCENT,
    MODEL_MATH_LESS,
    MODEL_MATH_GREATER,
    MODEL_MATH_EQUALS,
    MODEL_MATH_COMMA,
    MODEL_MATH_QUERY,     /* compare's operator */
    MODEL_MATH_SORT_MARK, /* `s`, before the numbers to sort */
    MODEL_MATH_END,       /* `.`, the answer's end */
    MODEL_MATH_PAD,       /* after the answer; never predicted */
    MODEL_MATH_VOCAB
};
/* Room for the longest problem (sort at the highest difficulty: 61 tokens). */
#define MODEL_MATH_MAX_WINDOW 64
/* The text of a token ("7", "+", ".", "_" for the pad). */
char model_math_token_char(int32_t tok);

/* One problem: its module, its difficulty (digits of its operands) and its operands. */
struct model_math_problem {
    enum model_math_module module;
    int                    difficulty;
    uint64_t               a[3]; /* sort: three numbers; compare, the others: a[0], a[1] */
};
/* The longest problem (prompt, answer and its end) of a module at a difficulty, in tokens. */
size_t model_math_max_len(enum model_math_module m, int difficulty);
/* Draws a problem of module m at difficulty d (operands of exactly d digits; 0..9 for d = 1). */
void model_math_draw(struct model_math_problem *p, enum model_math_module m, int d,
                     struct model_rng *r);
/* Whether the problem is held out of training for the interpolation split: a hash of the
 * problem keyed by the source seed, below `holdout` (so never drawn for training). */
bool model_math_held_out(const struct model_math_problem *p, uint64_t key, double holdout);
/* Writes the problem's tokens (prompt, answer, end) into out (room for model_math_max_len);
 * returns their number, the prompt's (up to and with `=`) into *prompt. */
size_t model_math_render(const struct model_math_problem *p, int32_t *out, size_t *prompt);
/* The module and difficulty of a window's problem (after its leading pads). */
void model_math_classify(const int32_t *w, enum model_math_module *m, int *difficulty);

/* What the open math source holds. */
struct model_math {
    double  *onehot;      /* (V, V): row x is the one-hot of token x, the true predictive */
    uint64_t holdout_key; /* keys model_math_held_out */
};

// ---- the video source ----

/* How a clip's item moves: its position in the first frame and its step per frame. */
struct model_video_motion {
    int64_t x0, y0, vx, vy;
};
/* Draws a motion for items of side S on frames of side R: x0, y0 uniform in 0..R−S, vx, vy
 * uniform in −speed..speed. */
void model_video_draw(struct model_video_motion *m, int64_t R, int64_t S, int64_t speed,
                      struct model_rng *r);
/* Renders tokens first..first+n−1 of the clip of `item` (S·S pixel tokens) moving by m over
 * frames of R·R pixels (the background level 0; the item bounces off the frame's edges), frame
 * after frame in raster order, into out (n tokens). */
void model_video_render(const uint16_t *item, int64_t S, int64_t R,
                        const struct model_video_motion *m, size_t first, size_t n, int32_t *out);

/* What the open video source holds: the eval clips' items (indices into the eval items) and
 * motions, one per eval window. */
struct model_video {
    size_t                    *eval_item;
    struct model_video_motion *eval_motion;
};

// ---- data sources ----

struct model_data;

/* A growable array of tokens (the train or eval stream of a file source). */
struct model_token_buf {
    uint16_t **v;
    size_t    *n, *cap;
};
/* Appends count tokens; false when out of memory. */
bool model_tokens_append(const struct model_token_buf *buf, const uint16_t *src, size_t count);

/* What a source does, behind its entry (struct model_source_entry). */
struct model_source_ops {
    /* Why one of its keys does not apply under its other settings ("generator loglinear"), or
     * NULL when it applies; NULL when every key always applies. */
    const char *(*key_excluded)(const struct model_data_config *d, const char *key);
    /* A key run.yaml must give for this source, and what it is (NULL: none). */
    const char *required_key, *required_what;
    /* The checks of its settings as a whole, with the rest of the run's (n_ctx) where they
     * meet (configurations built in memory included): each problem into out, with the key it
     * concerns ("data.order") as its `where`; the caller turns the key into the key's place. */
    void (*validate)(const struct model_config *cfg, struct sf_diags *out);
    /* Its keys of `data:` as run.yaml, after `source`, in a fixed order. */
    void (*emit)(struct sf_yaml_out *y, const struct model_data_config *d);
    /* Opens the source into d (whose common fields and eval window array model_data_open has
     * set): train stream or generator, the materialised eval windows, info. Errors in err. */
    enum sf_status (*open)(struct model_data *d, const struct model_config *cfg,
                           const char *base_dir, struct sf_error *err);
    /* B training windows from the step's generator r: inputs and targets (B,T). */
    void (*batch)(const struct model_data *d, struct model_rng *r, size_t B, int32_t *inputs,
                  int32_t *targets);
    /* Frees what open made beyond the common fields (NULL: nothing). */
    void (*close)(struct model_data *d);
    /* Exact sources (entry->exact): the true next-token distribution at position t of the eval
     * window w (T+1 tokens: the prediction of w[t+1] from w[0..t], the same in-window predictive
     * as eval_true_loss), a row of n_vocab probabilities (borrowed, valid while d is open), with
     * its Σ_x p·log p into *plogp. NULL for sources that are not exact. Never allocates. */
    const double *(*predictive)(const struct model_data *d, const int32_t *w, size_t t,
                                double *plogp);
    /* Optional, with predictive: the logarithm of its row (borrowed as it), which spares the
     * divergences a log per token; NULL: computed from the row. */
    const double *(*predictive_log)(const struct model_data *d, const int32_t *w, size_t t);
    /* Sources whose counted predictions choose among classes: the tokens lo..hi-1 of the
     * classes (the eval's error rate takes the argmax over them); NULL, or lo == hi: none. */
    void (*choices)(const struct model_data_config *d, int64_t *lo, int64_t *hi);
    /* Sources whose samples have two parts (a caption and an image): blanks the first part of
     * the eval window w (a copy, T+1 tokens) and sets [*p0, *p1), the positions that predict
     * the second part; false (w untouched) when the configuration has no such parts. NULL: none.
     */
    bool (*pair)(const struct model_data *d, int32_t *w, size_t *p0, size_t *p1);
    /* Sources with a loss mask: whether the prediction at position t of `target`, made from
     * inputs[0..t] (a training window's inputs, or an eval window), counts in the losses, the
     * Bayes loss and the KL. NULL: every position counts. Never allocates. */
    bool (*counted)(const struct model_data *d, const int32_t *inputs, size_t t, int32_t target);
    /* Sources whose counted predictions are answers (math): the token that ends an answer, for
     * greedy decoding (NULL: none). */
    const int32_t *answer_end;
    /* Sources with answers: writes problems.csv (its rows by split, module and difficulty) from
     * the final evaluation's sums per window — counted predictions' loss and number, and whether
     * greedy decoding gave the answer exactly — over the eval windows, then the extrapolation
     * windows. */
    enum sf_status (*problems_csv)(const struct model_data *d, const char *path, const double *loss,
                                   const size_t *count, const bool *exact, struct sf_error *err);
    /* File sources: appends the tokens of one file (its bytes, borrowed) to out. Errors name
     * the file. */
    enum sf_status (*decode)(const struct model_data_config *d, const char *name, const char *bytes,
                             size_t len, const struct model_token_buf *out, struct sf_error *err);
};

/* The sources' names in the order of enum model_source (NULL-terminated). */
extern const char *const model_source_names[];

/* What the file sources share (data.c): opening (expand, load, split, eval windows), batches,
 * the checks of paths, emitting paths, and the description. */
enum sf_status model_files_open(struct model_data *d, const struct model_config *cfg,
                                const char *base_dir, struct sf_error *err);
void model_files_batch(const struct model_data *d, struct model_rng *r, size_t B, int32_t *inputs,
                       int32_t *targets);
void model_files_validate(const struct model_config *cfg, struct sf_diags *out);
void model_files_emit(struct sf_yaml_out *y, const struct model_data_config *d);
void model_files_describe(struct sf_buf *b, const struct model_data_config *d);
/* The keys every file source takes. */
#define MODEL_FILES_KEYS "paths", "eval_paths", "eval_fraction"
/* Names for enum values as spelled in run.yaml ("markov", "cosine", ...); outside src/model a
 * source's name is its entry's. */
const char *model_source_name(enum model_source s);
const char *model_lr_schedule_name(enum model_lr_schedule s);
const char *model_markov_generator_name(enum model_markov_generator g);

/* The SHA-256 (64 hex digits) of n_parts arrays of doubles, each as little-endian bytes in
 * turn: what identifies a synthetic source's tables. */
void model_sha256_doubles(const double *const *parts, const size_t *sizes, size_t n_parts,
                          char hex[65]);

/* tokens_per_sample of sources whose tokens stand alone: 1. */
int64_t model_source_one_token(const struct model_data_config *d);

/* An opened data source with its eval set. */
struct model_data {
    const struct model_source_entry *entry;  /* the source (its id is entry->id) */
    struct model_data_config         config; /* its settings (a copy) */
    int64_t                          n_vocab;
    size_t                           T;      /* n_ctx: windows are T+1 tokens */
    struct model_markov              markov; /* markov only */
    struct model_tasks               tasks;  /* tasks only */
    struct model_math                math;   /* math only */
    double *div_scratch;      /* (n_vocab) the divergences' scratch row (model_divergences_add) */
    struct model_video video; /* video only */
    uint64_t           batch_key; /* training stream key (derived from the run seed) */
    /* file sources: train and eval token streams */
    uint16_t *train;
    size_t    n_train;
    uint16_t *eval;
    size_t    n_eval;
    size_t    align; /* window starts are multiples of this (tokens_per_sample) */
    /* the eval set, materialised: n_eval_win windows of T+1 tokens */
    size_t   n_eval_win;
    int32_t *eval_win;       /* (n_eval_win, T+1) */
    double  *eval_true_loss; /* (n_eval_win, T) exact sources, else NULL */
    /* Sources with paired parts (ops->pair): each eval window with its first part blanked, and
     * the positions [pair_p0, pair_p1) that predict its second part; NULL when none. */
    int32_t *eval_win_blank;
    size_t   pair_p0, pair_p1;
    size_t   n_eval_counted; /* eval predictions that count (ops->counted) */
    /* Sources with an extrapolation split (math): its windows, evaluated beside the eval set
     * and never part of eval_loss; NULL when none. */
    int32_t                 *extrap_win; /* (n_extrap_win, T+1) */
    size_t                   n_extrap_win, n_extrap_counted;
    struct model_source_info info;
};

/* Opens the source of `cfg` for windows of cfg->n_ctx tokens: loads or builds it, splits
 * train/eval and materialises the eval set. Returns SF_OK, SF_EINVAL (with place), SF_EIO,
 * SF_ENOMEM or SF_ENOCONV. */
enum sf_status model_data_open(struct model_data *d, const struct model_config *cfg,
                               const char *base_dir, struct sf_error *err);
void           model_data_free(struct model_data *d);
/* Whether the prediction at position t of the window w (T+1 tokens: w[t+1] from w[0..t]) counts
 * (the source's loss mask). */
bool model_data_counted(const struct model_data *d, const int32_t *w, size_t t);
/* The exact forward KL of the model's q from the source's p, Σ_t Σ_x p_t(x)·log(p_t(x)/q_t(x)),
 * summed over the counted positions t of the eval window w (T+1 tokens, borrowed), where p_t is the
 * source's in-window predictive (ops->predictive) and q_t = softmax(logits row t). logits
 * (T, n_vocab) are borrowed. In nats, accumulated in double (log q_t from the logits through a
 * double log-sum-exp, so a q_t that underflows in float stays finite). Exact sources only
 * (SF_ASSERT). Never allocates. */
double model_data_window_kl(const struct model_data *d, const int32_t *w, const float *logits);

/* Divergences of the model's q from the source's p (nats), each summed over positions. */
struct model_divergences {
    double kl;  /* forward KL(p‖q) = Σ p·log(p/q) */
    double rkl; /* reverse KL(q‖p) = Σ q·log(q/p); +inf where some p(x) = 0 < q(x) */
    double js;  /* Jensen–Shannon: ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2 */
    double tv;  /* total variation ½Σ|p − q| */
    double h2;  /* squared Hellinger 1 − Σ√(pq) */
    double cs;  /* Cauchy–Schwarz −log((Σpq)² / (Σp²·Σq²)) */
};
/* The divergences of q = softmax(logits, in double) from p, rows of n entries, added to *sum;
 * logp: log p (NULL: computed here); scratch holds n doubles. */
void model_divergences_add(const double *p, const double *logp, const float *logits, size_t n,
                           double *scratch, struct model_divergences *sum);
/* Adds each of `one` to *sum. */
void model_divergences_sum(struct model_divergences *sum, const struct model_divergences *one);
/* Their sums over the counted positions of the eval window w (as model_data_window_kl), added to
 * *sum; each position's forward KL also to per_t[t] (NULL: none). Exact sources only; never
 * allocates. */
void model_data_window_divergences(const struct model_data *d, const int32_t *w,
                                   const float *logits, struct model_divergences *sum,
                                   double *per_t);
/* The training batch of step `step` (1-based): B windows, inputs and targets (B,T), the
 * targets of positions that do not count set to MODEL_IGNORE. Depends on (run seed, step) only;
 * never allocates. */
void model_data_batch(const struct model_data *d, int64_t step, size_t B, int32_t *inputs,
                      int32_t *targets);
/* Reads an IDX image file (gzip or not) downsampled to R×R with Q levels: *out (caller frees)
 * holds n_images·R·R tokens in raster order. */
enum sf_status model_idx_images(const char *path, int64_t R, int64_t Q, uint16_t **out,
                                size_t *n_images, struct sf_error *err);
/* Reads the IDX label file at `path` (gzip or not) for the n_images images of the file
 * `images`: *out (caller frees) holds n_images labels, each below `classes`. A count that
 * differs from the images' is SF_EINVAL naming both files. */
enum sf_status model_idx_labels(const char *path, const char *images, size_t n_images,
                                int64_t classes, uint8_t **out, struct sf_error *err);

// ---- the image source's layouts (image_layout.c) ----

#define MODEL_CAPTION_LEN 2      /* words of a caption (pads after a one-word name) */
#define MODEL_CAPTION_WORDS 12   /* the words of Fashion-MNIST's ten class names */
#define MODEL_CAPTION_CLASSES 10 /* the classes captions name */

/* The tokens after the pixel levels 0..levels-1. */
struct model_layout_tokens {
    int32_t word;        /* the first caption word (words are word..word+WORDS-1) */
    int32_t label;       /* label 0 (image_label: labels are label..label+classes-1) */
    int32_t pad;         /* after a one-word caption; never predicted */
    int32_t blank_text;  /* a blanked caption's tokens; never predicted */
    int32_t blank_image; /* a blanked image's tokens; never predicted */
};
struct model_layout_tokens model_layout_tokens(const struct model_data_config *d);
/* The vocabulary and the tokens of one sample of a layout. */
int64_t model_layout_vocab(const struct model_data_config *d);
int64_t model_layout_sample(const struct model_data_config *d);
/* Whether the layout needs each image's label (everything but `image`). */
bool model_layout_labelled(const struct model_data_config *d);
/* Writes the sample of an image (R·R pixel tokens) of class `label` into out
 * (model_layout_sample tokens). */
void model_layout_compose(const struct model_data_config *d, const uint16_t *pixels, unsigned label,
                          uint16_t *out);
/* The loss mask: image_label counts the label's prediction only; the caption layouts every
 * prediction but of a pad or a blank. */
bool model_layout_counted(const struct model_data *d, size_t t, int32_t target);
/* Caption layouts: blanks the first part of each sample of the B training windows (inputs and
 * targets, (B,T)) with probability blank_fraction, drawn from r in window order. */
void model_layout_blank_batch(const struct model_data *d, struct model_rng *r, size_t B,
                              int32_t *inputs, int32_t *targets);
/* ops->pair for the image source (one sample per window in the caption layouts). */
bool model_layout_pair(const struct model_data *d, int32_t *w, size_t *p0, size_t *p1);
/* ops->choices: image_label's label tokens, none elsewhere (lo == hi). */
void model_layout_choices(const struct model_data_config *d, int64_t *lo, int64_t *hi);
/* Caption layouts: the entropy of the eval set's classes as its captions name them (nats per
 * caption); NaN for the other layouts. */
double model_layout_caption_entropy(const struct model_data *d);
/* Caption word w (0..MODEL_CAPTION_WORDS-1), or NULL. */
const char *model_caption_word(size_t w);

// ---- checkpoints ----

#define MODEL_CKPT_MAGIC UINT32_C(0x4B434653) /* "SFCK" little-endian */
#define MODEL_CKPT_VERSION 1

/* Training state beyond the model's blocks, saved in the checkpoint. */
struct model_train_state {
    int64_t  step;           /* steps completed */
    int64_t  data_cursor;    /* batches consumed (= step: batches are drawn from (seed, step)) */
    uint64_t batch_key;      /* the training stream key, checked on load */
    double   loss_sum;       /* train loss summed since the last evaluation */
    int64_t  loss_count;     /* steps in loss_sum */
    double   loss_min;       /* lowest train loss so far (divergence test) */
    double   elapsed_s;      /* training time so far (timing only) */
    double   eval_elapsed_s; /* elapsed_s at the last evaluation (timing only) */
    int64_t  eval_step;      /* step of the last evaluation (0 = none) */
    double   last_eval_loss; /* NaN = none */
};

/* Writes model + state to `path` atomically. config_hash is 64 hex digits. */
enum sf_status model_checkpoint_save(const char *path, const struct model *m,
                                     const struct model_train_state *st, const char *config_hash,
                                     struct sf_error *err);
/* Reads a checkpoint into m and st after checking magic, version, config hash (unless NULL),
 * shape, size and checksum. Every mismatch is SF_EINVAL at the path, naming found vs expected and a
 * fix. */
enum sf_status model_checkpoint_load(const char *path, struct model *m,
                                     struct model_train_state *st, const char *config_hash,
                                     struct sf_error *err);

/* The shape and step recorded in a checkpoint's header (magic and version checked). */
enum sf_status model_checkpoint_shape(const char *path, struct model_shape *s, int64_t *step,
                                      struct sf_error *err);
/* A shape in words ("n_layer 2, d_model 32, ..., tied head") for messages. */
void model_shape_text(char *buf, size_t n, const struct model_shape *s);
/* Starts m (already initialised) from the weights of another run: `path` is its run directory
 * (its checkpoint.bin) or a checkpoint file. The shapes must agree except n_vocab and n_ctx,
 * which may be larger in m: the token and position embeddings' (and an untied head's) first
 * rows are the checkpoint's, the others keep m's initial values. The optimiser state is not
 * read. Sets *from and *step (the checkpoint's). SF_EINVAL names the path and both shapes. */
enum sf_status model_init_from(struct model *m, const char *path, struct model_shape *from,
                               int64_t *step, struct sf_error *err);

// ---- the run directory (run.c) ----

/* Cuts the metrics.csv at `path` back to the header and the complete rows with step <= `step`
 * (what a resume keeps), rows under an older header rewritten in the current columns; written
 * atomically. A missing file becomes the header alone. */
enum sf_status model_metrics_cut(const char *path, int64_t step, struct sf_error *err);

// ---- config internals shared with the tests ----

/* The keys of run.yaml at the top level and in `data:` (NULL-terminated). */
extern const char *const model_config_keys[];
extern const char *const model_data_keys[];
/* The image source's layouts as run.yaml spells them (NULL-terminated). */
extern const char *const model_image_layout_names[];

#endif /* SF_MODEL_INTERNAL_H */
