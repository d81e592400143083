/*
 * model.h — the public face of scalefit's training engine (src/model): the run configuration
 * (`run.yaml`: defaults, parsing with every problem reported at once, validation, emitting),
 * parameter and FLOP accounting for a shape, the facts of a data source (exact entropy rate and
 * Bayes loss of the `markov` source, the sha256 of file sources), the training driver behind
 * `scalefit train --run-dir DIR`, and the step-level model API (alloc / forward / zero_grad /
 * backward / update, as in llm.c) that the benchmark and the tests drive directly.
 *
 * What it deliberately does not hold: the kernels (kernels.h, private), the data sources'
 * internals, the markov chain and the checkpoint layout (internal.h, private to src/model and
 * its tests). The sweep module uses only this header: it builds `struct model_config` values,
 * writes them with model_config_emit(), reads shapes and parameter counts from here, asks a data
 * source's entry (model_source_get) what it knows, and runs each training as its own process
 * (`scalefit train --run-dir DIR`).
 *
 * ## The run directory (what `scalefit train --run-dir DIR` reads and leaves)
 *
 *   run.yaml        the configuration (input; keys in docs/run-format.md and below).
 *   lock            an exclusive flock(2) is held on it while a trainer runs; a second trainer
 *                   on the same directory fails (status 1). Executors must not lock it.
 *   status          one line, written atomically: a state word `pending|running|done|diverged|
 *                   failed|interrupted`, optionally followed by ": " and a reason, e.g.
 *                   "diverged: step 120: train loss nan" or "failed: out of memory". The trainer
 *                   writes running, done, diverged, failed and interrupted; `pending` belongs
 *                   to the sweep (a run not started yet).
 *   metrics.csv     header `step,tokens,flops_6n,flops_exact,lr,train_loss,eval_loss,
 *                   eval_true_loss,eval_loss_cv,eval_kl,grad_norm,elapsed_s,tokens_per_s`;
 *                   one whole line appended and flushed per evaluation; on resume it is cut
 *                   back to the rows with step <= the checkpoint's step (rows of an older
 *                   layout rewritten in these columns). Timing columns (elapsed_s,
 *                   tokens_per_s) are the only ones that differ between identical runs.
 *                   eval_true_loss, eval_loss_cv and eval_kl (the exact KL of the model from
 *                   the source's in-window predictive, mean nats/token) are empty where the
 *                   source is not exact (its entry's `exact`: markov).
 *                   A diverged run ends with a row whose eval columns are empty.
 *   checkpoint.bin  parameters, AdamW moments, step, data cursor, RNG key, loss accumulators,
 *                   with magic, version, the config hash and a CRC-32; written atomically at
 *                   every `checkpoint_every` steps, at the end and on SIGTERM/SIGINT.
 *   summary.yaml    written atomically at the start and again at the end (keys below).
 *   log.txt         human-readable log (appended across resumes).
 *
 * summary.yaml keys (every one always present; null where unknown):
 *   scalefit_version  string; status (the state word); reason (string or null);
 *   params, params_nonembed, n_vocab (integers); n_layer, d_model, n_head, d_ff, d_attn, n_ctx
 *   (the resolved shape); tie_embeddings (bool); flops_per_token (exact training FLOPs per
 *   token, model_flops_per_token()), flops_per_token_6n (6·params_nonembed);
 *   tokens_per_step (batch·n_ctx); steps (planned); entropy_rate, bayes_loss (markov: exact,
 *   nats/token; else null); data_sha256 (64 hex digits); train_tokens_available (size of the
 *   training split; 0 for markov, which is unlimited); eval_tokens (the eval set used); step,
 *   tokens (reached so far: 0 at the start, the final values at the end); final_eval_loss (the
 *   last evaluation, or null); start_elapsed_s (the seconds inside the training loop that this
 *   process started from: 0, or its checkpoint's) and elapsed_s (so far: the same at the start,
 *   the total when the process ends), timing only.
 *
 * Exit statuses of `scalefit train` (DESIGN.md): 0 done, 1 failed (runtime), 2 bad input
 * (run.yaml, data, checkpoint), 3 diverged (a recorded result), 4 interrupted (checkpointed).
 * A run whose status is `done` (checkpoint at the final step) or `diverged` is not trained again:
 * the trainer returns the same result at once (to retry a diverged run with a new run.yaml,
 * remove its status file and checkpoint).
 *
 * Determinism: the training batches come from (seed, step) and the eval set from the data
 * source alone, so a run killed at any moment (SIGKILL included) and restarted with the same
 * thread count ends bit-identical to one never interrupted.
 */
#ifndef SF_MODEL_H
#define SF_MODEL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

// ---- configuration (run.yaml) ----

/* The data sources, in the order of their entries (model_source_get). */
enum model_source {
    MODEL_SOURCE_MARKOV, /* synthetic order-K Markov source with exact entropy (markov.c) */
    MODEL_SOURCE_TEXT,   /* bytes of text files, vocabulary 256 (source_text.c) */
    MODEL_SOURCE_IMAGE,  /* IDX image files, R×R pixels of Q grey levels (source_image.c) */
    MODEL_SOURCE_TOKENS, /* flat little-endian uint16 token files (source_tokens.c) */
    MODEL_SOURCE_TASKS,  /* synthetic Zipf mixture of Markov tasks, exact (source_tasks.c) */
    MODEL_SOURCE_MATH,   /* generated arithmetic problems and their answers (source_math.c) */
    MODEL_SOURCE_VIDEO,  /* clips of IDX images moving over a canvas (source_video.c) */
    MODEL_SOURCE_COUNT
};

enum model_markov_generator {
    MODEL_MARKOV_GENERATOR_LOGLINEAR, /* softmax of Σ_d s0·γ^d·G_d[last d symbols, x] */
    MODEL_MARKOV_GENERATOR_DIRICHLET, /* rows ~ Dirichlet(concentration) */
};

enum model_lr_schedule {
    MODEL_LR_SCHEDULE_COSINE,   /* warm-up, then cosine from lr to lr·lr_floor */
    MODEL_LR_SCHEDULE_LINEAR,   /* warm-up, then linear from lr to lr·lr_floor (Henighan) */
    MODEL_LR_SCHEDULE_CONSTANT, /* warm-up, then lr */
};

/* What one sample of the image source holds (data.layout). */
enum model_image_layout {
    MODEL_IMAGE_LAYOUT_IMAGE,         /* R·R pixel tokens; n_vocab = levels */
    MODEL_IMAGE_LAYOUT_IMAGE_LABEL,   /* R·R pixels then the image's label token (levels + label,
                                         read from the IDX label file beside the images); the loss
                                         counts the label only; n_vocab = levels + classes */
    MODEL_IMAGE_LAYOUT_CAPTION_IMAGE, /* a caption naming the class in words (Fashion-MNIST's
                                         names), then the image; n_vocab = levels + 15 */
    MODEL_IMAGE_LAYOUT_IMAGE_CAPTION, /* the image, then its caption */
};

/* The math source's modules (`data.modules`), in the order of model_math_module_names. */
enum model_math_module {
    MODEL_MATH_ADD,     /* a+b= */
    MODEL_MATH_SUB,     /* a-b= (the answer may be negative) */
    MODEL_MATH_MUL,     /* a*b= */
    MODEL_MATH_COMPARE, /* a?b= answered <, > or = */
    MODEL_MATH_SORT,    /* sa,b,c= answered in ascending order */
    MODEL_MATH_REM,     /* a%b= (b has half of a's digits, rounded up, and is at least 1) */
    MODEL_MATH_MODULE_COUNT
};
extern const char *const model_math_module_names[];
/* Difficulties (operand digits) the math source takes: 1..MODEL_MATH_MAX_DIFFICULTY. */
#define MODEL_MATH_MAX_DIFFICULTY 9

/* Limits of the fixed-size path lists (the config is a plain value: copyable, comparable). */
#define MODEL_DATA_MAX_PATHS 16
#define MODEL_PATH_MAX 1024

/* The `data:` mapping of run.yaml. Fields that do not apply to `source` keep their defaults
 * (model_config_default()) and are neither emitted nor accepted in run.yaml. */
struct model_data_config {
    enum model_source source; /* key `source` (default markov) */
    /* markov and tokens */
    int64_t n_vocab; /* `n_vocab`: markov V (default 4); tokens: required */
    /* markov */
    int64_t                     order;         /* `order`: K >= 1 (default 5) */
    enum model_markov_generator generator;     /* `generator` (default loglinear) */
    double                      scale;         /* `scale`: s0 > 0 (default 1.5) */
    double                      decay;         /* `decay`: γ > 0 (default 0.7) */
    double                      concentration; /* `concentration` > 0 (dirichlet and tasks,
                                                  default 0.5) */
    uint64_t seed;                             /* `seed`: the source's own seed (default 1);
                                                  tables and the eval set depend on it only */
    /* text, image, tokens: file names or glob patterns, relative to the folder of run.yaml */
    size_t n_paths; /* `paths`: a string or a list */
    char   paths[MODEL_DATA_MAX_PATHS][MODEL_PATH_MAX];
    size_t n_eval_paths; /* `eval_paths`: optional held-out files */
    char   eval_paths[MODEL_DATA_MAX_PATHS][MODEL_PATH_MAX];
    double eval_fraction; /* `eval_fraction` in (0, 1) (default 0.1):
                             share held out when eval_paths is empty */
    /* tasks (concentration and seed as for markov) */
    int64_t tasks;   /* `tasks`: M >= 2 (default 4096) */
    double  zipf;    /* `zipf`: task k drawn with probability ∝ k^-zipf (default 1.6) */
    int64_t symbols; /* `symbols`: V >= 2 symbols; the vocabulary is 2V (default 8) */
    /* image (resolution and levels also video) */
    int64_t resolution;              /* `resolution`: R (default 8; video: the frame's side,
                                        2..64) */
    int64_t                 levels;  /* `levels`: Q grey levels (default 16) */
    enum model_image_layout layout;  /* `layout` (default image) */
    int64_t                 classes; /* `classes`: labels 0..classes-1 (image_label, default
                                        10) */
    double blank_fraction; /* `blank_fraction` in [0, 1): training samples whose first part (a
                              caption layout's first part, a task's digits) is blanked
                              (default 0: none) */
    /* video (paths, resolution, levels and seed as for image and markov) */
    int64_t frames; /* `frames`: F >= 1 frames per clip (default 4) */
    int64_t item;   /* `item`: the moving image's side in pixels, 1..R (default 4) */
    int64_t speed;  /* `speed`: the largest step per frame along each axis, 0..R (default 1) */
    /* math (seed as for markov) */
    uint32_t math_modules;     /* `modules`: bit m for each enum model_math_module (default all) */
    uint32_t math_difficulty;  /* `difficulty`: bit d−1 for each training difficulty d (default
                                  1, 2) */
    uint32_t math_extrapolate; /* `extrapolate`: bit d−1 for each difficulty of the extrapolation
                                  split, all above the training ones (default 3; 0: none) */
    double holdout;            /* `holdout` in (0, 0.5]: the share of the training difficulties'
                                  problems kept for the interpolation split (default 0.1) */
};

/* Training objectives: the cross-entropy of the sampled tokens, or distillation onto a teacher's
 * distribution (run.yaml's `objective`). */
enum model_objective {
    MODEL_OBJECTIVE_TOKENS,
    MODEL_OBJECTIVE_FORWARD_KL, /* KL(teacher ‖ model) */
    MODEL_OBJECTIVE_REVERSE_KL, /* KL(model ‖ teacher) */
    MODEL_OBJECTIVE_JS,         /* Jensen–Shannon */
    MODEL_OBJECTIVE_MIX,        /* λ·forward + (1 − λ)·reverse (BD-KD's balance) */
};

/* The training objectives as run.yaml spells them, in enum model_objective's order
 * (NULL-terminated). */
extern const char *const model_objective_names[];

/* The whole configuration of one run. Integers that are 0 mean "not set" where noted. */
struct model_config {
    struct model_data_config data;
    /* shape */
    int64_t n_layer;        /* default 2 */
    int64_t d_model;        /* default 64 */
    int64_t n_head;         /* default 2; must divide d_attn */
    int64_t d_ff;           /* 0 (emitted as null) = 4·d_model */
    int64_t d_attn;         /* 0 (emitted as null) = d_model */
    int64_t n_ctx;          /* default 64 */
    bool    tie_embeddings; /* default true: output head = token embedding */
    /* length: exactly one of steps and tokens is non-zero */
    int64_t steps;  /* default 1000 */
    int64_t tokens; /* 0; when set, steps = ceil(tokens / (batch·n_ctx)) */
    int64_t batch;  /* sequences per step, default 32 */
    /* learning rate */
    double                 lr;          /* peak, default 3e-3 */
    double                 lr_floor;    /* end of the decay as a fraction of lr, default 0.1 */
    double                 lr_warmup;   /* warm-up as a fraction of the steps, default 0.05 */
    enum model_lr_schedule lr_schedule; /* default cosine */
    /* AdamW (PyTorch's formula) */
    double beta1;            /* default 0.9 */
    double beta2;            /* default 0.95 */
    double eps;              /* default 1e-8 */
    double weight_decay;     /* default 0.1; matrices of the blocks (and an untied head) only */
    bool   weight_decay_all; /* default false: true also decays biases, LayerNorm, embeddings */
    double grad_clip;        /* global-norm clip, default 1.0; 0 disables */
    double diverge_factor;   /* diverged when a step's train loss > factor × the lowest so far,
                                default 4; 0 disables (NaN/inf always diverge) */
    /* evaluation: exactly one of eval_every and eval_points is non-zero */
    int64_t  eval_every;  /* every K steps (and the last step) */
    int64_t  eval_points; /* K steps evenly spaced in log(step), default 20, last step included */
    int64_t  eval_tokens; /* eval set size in tokens (rounded up to whole windows), default 8192 */
    int64_t  checkpoint_every; /* default 500; 0 = only at the end and on a signal */
    uint64_t seed;             /* run seed: initial weights and batches, default 1 */
    int64_t  threads;          /* OpenMP threads (kernels and OpenBLAS), default 1 */
    /* `init_from`: a run directory or checkpoint file whose weights start this run (relative to
     * the folder of run.yaml; "" = none). The optimiser starts fresh; the vocabulary and the
     * context may be larger than the checkpoint's, their new rows initialised as at the start
     * of training. */
    char init_from[MODEL_PATH_MAX];
    /* `objective` (default tokens): what training minimises (enum model_objective below); with
     * distillation `teacher` names the teacher: "" (the key left out) is the source's own
     * next-token distribution (exact sources), else a run directory or checkpoint file of a
     * trained model with the same vocabulary and context (relative to the folder of run.yaml).
     * `objective_weight` (mix only, default 0.5) is λ, forward KL's share. */
    enum model_objective objective;
    double               objective_weight;
    char                 teacher[MODEL_PATH_MAX];
};

/* The default configuration (every field set; see the comments above). */
struct model_config model_config_default(void);

/* Reads and validates a run.yaml. Every problem goes into `diags` (DESIGN.md's format, with
 * FILE:LINE:COL taken from libyaml's marks): unknown keys (with "did you mean"), wrong types,
 * values out of range, keys that do not apply to the data source, n_head not dividing d_attn,
 * steps and tokens both given, data files that are missing. Relative data paths are resolved
 * against the folder holding `path` when the data is opened; validation checks them there.
 * Inputs: path (borrowed); Outputs: *cfg (filled from the defaults, valid only on SF_OK).
 * Returns SF_OK, SF_EINVAL (diags holds at least one error) or SF_EIO (unreadable; in diags). */
enum sf_status model_config_load(const char *path, struct model_config *cfg,
                                 struct sf_diags *diags);

/* Parses a mapping of run.yaml keys that sits inside another YAML document (a sweep file's
 * run settings, with their `data:`) into *cfg, which holds the defaults or earlier values; the
 * keys named in `skip` (NULL-terminated, may be NULL) are left to the caller. Each problem with
 * a key or a value goes into `diags` with its FILE:LINE:COL; the checks that relate several keys
 * are model_config_validate's. Inputs borrowed. */
void model_config_parse_mapping(const char *path, yaml_document_t *doc, const yaml_node_t *map,
                                const char *const *skip, struct model_config *cfg,
                                struct sf_diags *diags);

/* Checks a configuration built in memory (the same rules as model_config_load, without places;
 * data files are looked up relative to `base_dir`, or not at all when base_dir is NULL).
 * Returns SF_OK or SF_EINVAL with every problem in diags. */
enum sf_status model_config_validate(const struct model_config *cfg, const char *base_dir,
                                     struct sf_diags *diags);

/* Writes `cfg` as run.yaml text: every key that applies, in a fixed order; model_config_load
 * of the text gives back a config equal to `cfg` (model_config_equal). On SF_OK *text is a
 * fresh string (caller frees). Errors: SF_ENOMEM, SF_ERUNTIME (emitter). */
enum sf_status model_config_emit(const struct model_config *cfg, char **text, struct sf_error *err);

/* True when a and b mean the same run (every field that applies to the data source equal). */
bool model_config_equal(const struct model_config *a, const struct model_config *b);

/* SHA-256 (hex) of the configuration as far as it determines the trained numbers: the emitted
 * text with `threads` and `checkpoint_every` left out. Checkpoints record it. */
enum sf_status model_config_hash(const struct model_config *cfg, char hex[65],
                                 struct sf_error *err);

// ---- shape and accounting ----

/* A resolved model shape (defaults filled in, vocabulary from the data source). */
struct model_shape {
    int64_t n_layer, d_model, n_head, d_ff, d_attn, n_ctx, n_vocab;
    bool    tie_embeddings;
};

/* The shape of a configuration: d_ff and d_attn resolved, n_vocab from the data source's entry
 * (markov and tokens: n_vocab; text: 256; image: levels). */
struct model_shape model_config_shape(const struct model_config *cfg);
/* Total steps of a configuration (steps, or ceil(tokens / (batch·n_ctx))). */
int64_t model_config_steps(const struct model_config *cfg);

/* Non-embedding parameters (Kaplan's and Henighan's N): every parameter of the blocks (both
 * LayerNorms, the attention projections with biases, the MLP with biases) and the final
 * LayerNorm; not the token and position embeddings, nor an untied output head. */
int64_t model_params_nonembed(const struct model_shape *s);
/* All parameters: N + token embedding (V·d_model) + position embedding (n_ctx·d_model)
 * + untied head (V·d_model, when not tied). */
int64_t model_params_total(const struct model_shape *s);
/* Exact FLOPs per token of one training step (forward + backward, 2 FLOPs per multiply-add):
 * every matrix product with a weight counts 6·(its multiply-adds per token) (forward, input
 * gradient, weight gradient), the output head included; causal attention (Q·Kᵀ and P·V)
 * counts 6·2·d_attn·(n_ctx+1)/2 per layer (the average number of visible keys). Elementwise
 * work (LayerNorm, GELU, softmax, biases, AdamW) is not counted. */
double model_flops_per_token(const struct model_shape *s);
/* C = 6·N·tokens (Henighan; N non-embedding). */
double model_flops_6n(const struct model_shape *s, double tokens);

// ---- data sources ----

/* A data source: its one entry in src/model (the source's own file; the table is in data.c).
 * What the rest of scalefit needs to know of a source it asks the entry, never the source's
 * name or id. The entry's operations (its checks, its run.yaml text, opening, batches) are
 * private to src/model. A new source touches its file, its lines in data.c's table, its value
 * below and meson.build; keys of its own also need their fields in model_data_config, their
 * defaults and reading in config.c, and docs/run-format.md. */
struct model_source_ops;
struct model_source_entry {
    enum model_source  id;
    const char        *name;  /* as spelled in run.yaml's `data.source` */
    const char *const *keys;  /* the `data:` keys it takes besides `source` (NULL-terminated) */
    bool               files; /* reads the files of `paths` / `eval_paths` */
    /* Knows its true next-token distribution: summary.yaml holds its exact entropy rate and
     * Bayes loss, metrics.csv its eval_true_loss, the control-variate eval_loss_cv and the
     * exact KL eval_kl (its ops give the predictive). */
    bool exact;
    /* Exact sources whose predictive gives every token a probability above 0 at every counted
     * position (markov): the reverse KL of a model from it is finite. */
    bool        full_support;
    const char *loss_unit;   /* the unit of its losses ("nats/token") */
    const char *sample_unit; /* what its losses per sample are per ("image", "frame", "problem":
                                model_source_info's sample_tokens); NULL: none */
    /* The vocabulary of a configuration of this source. */
    int64_t (*n_vocab)(const struct model_data_config *d);
    /* Tokens per sample (an image: R·R pixels; 1 where tokens stand alone). Eval windows and
     * batches start on sample boundaries. */
    int64_t (*tokens_per_sample)(const struct model_data_config *d);
    /* Appends the source in words for reports ("a synthetic order-5 Markov source over 4
     * symbols (loglinear generator, seed 1)"; "source `text`, 1 file pattern (first: `a.txt`)"). */
    void (*describe)(struct sf_buf *b, const struct model_data_config *d);
    /* What theory predicts for the reducible loss of models trained on it, L − L∞ ∝ N^−alpha_n
     * where the model is the limit and ∝ D^−alpha_d where the data are (the quantization
     * model for tasks), with the theory's name; NULL where there is no prediction. */
    void (*theory)(const struct model_data_config *d, double *alpha_n, double *alpha_d,
                   const char **name);
    const struct model_source_ops *ops; /* private to src/model */
};

/* The entry of a source (never NULL for a valid id; borrowed, static). */
const struct model_source_entry *model_source_get(enum model_source s);

/* What a data source says about itself. */
struct model_source_info {
    int64_t n_vocab;
    double  entropy_rate;    /* markov: exact entropy rate H (nats/token); NaN elsewhere */
    double  bayes_loss;      /* markov: the Bayes-optimal loss averaged over the n_ctx positions of
                                an eval window, position t seeing t+1 symbols; NaN elsewhere */
    char sha256[65];         /* markov: of its transition table (little-endian doubles); files:
                                of the input files' bytes, train then eval, each list sorted */
    int64_t train_tokens;    /* tokens available for training (markov: 0, unlimited) */
    int64_t eval_tokens;     /* tokens in the eval set actually used (whole windows) */
    double  caption_entropy; /* image, caption layouts: entropy of the eval set's captions
                                (nats per caption); NaN elsewhere */
    /* The tokens a loss per token multiplies to give a loss per sample (sample_unit): an image's
     * pixels (image), a frame's (video), the mean answer tokens of the eval set's problems
     * (math; extrap_sample_tokens: of the extrapolation split's); NaN where a sample is a token */
    double sample_tokens, extrap_sample_tokens;
    double mutual_information; /* tasks with blank_fraction: the exact mutual information
                                  between a window's task digits and its symbols, as the eval
                                  measures it (Bayes loss of the symbols after blanked digits
                                  less after the true ones, nats per window); NaN elsewhere */
};

/* Opens the configured data source just far enough to describe it (markov: builds the tables and
 * solves for the stationary distribution; files: reads and hashes them). `base_dir` (borrowed,
 * may be NULL for ".") resolves relative paths. Returns SF_OK, SF_EINVAL (bad data, with the
 * place), SF_EIO or SF_ENOMEM. */
enum sf_status model_source_describe(const struct model_config *cfg, const char *base_dir,
                                     struct model_source_info *info, struct sf_error *err);

// ---- the training driver ----

/* Options of a training run. Every pointer is borrowed and may be NULL. */
struct model_run_options {
    const volatile sig_atomic_t *stop; /* set non-zero (by a signal handler) to checkpoint and
                                          stop with SF_EINTERRUPTED at the next step boundary */
    const struct sf_logger *log;       /* messages (also copied to DIR/log.txt) */
    FILE                   *progress;  /* progress display (terminal bar or plain lines) */
    const char             *version;   /* recorded in summary.yaml */
    int64_t stop_after_step; /* tests: behave as if `stop` were set after this step (0 = off) */
    int64_t hold_at_step;    /* tests: stop the process (SIGSTOP to itself) once this step is
                                done, its checkpoint and metrics written (0 = off): a fault test
                                then signals a trainer frozen at a known step */
};

/* Trains the run in `run_dir` (see the top of this header), resuming from checkpoint.bin when
 * there is one. Returns SF_OK (done), SF_EDIVERGED, SF_EINTERRUPTED, SF_EINVAL (bad run.yaml,
 * data or checkpoint: the problems are in `diags`, and the first also in `err`), SF_EIO,
 * SF_ENOMEM or SF_ERUNTIME (in `err`). The status file is written on every path that gets as
 * far as the directory. */
enum sf_status model_run(const char *run_dir, const struct model_run_options *opts,
                         struct sf_diags *diags, struct sf_error *err);

/* Learning rate at step `step` (1-based) of `n_steps` under the configured schedule. */
double model_lr_at(const struct model_config *cfg, int64_t step, int64_t n_steps);

/* The evaluation steps of a run, ascending, the last always n_steps. *out is a fresh array
 * (caller frees) of *n entries. Returns SF_OK or SF_ENOMEM. */
enum sf_status model_eval_steps(const struct model_config *cfg, int64_t n_steps, int64_t **out,
                                size_t *n, struct sf_error *err);

// ---- the model itself (llm.c's decomposition) ----

/* A model with its parameters, gradients, AdamW moments and activations, each one contiguous
 * block, sized once for B sequences of n_ctx tokens. Opaque outside src/model. */
struct model;

/* AdamW and clipping settings for model_update (PyTorch's AdamW and clip_grad_norm_). */
struct model_adamw {
    double beta1, beta2, eps, weight_decay;
    bool   weight_decay_all;
    double grad_clip; /* 0 = no clipping */
};

/* The AdamW and clipping settings of a configuration (beta1, beta2, eps, weight_decay,
 * weight_decay_all, grad_clip). */
struct model_adamw model_config_adamw(const struct model_config *cfg);

/* Allocates a model for `shape` and batches of up to `B` sequences. Parameters start at zero:
 * call model_init_params. Returns NULL (with err) on bad shape (SF_EINVAL) or ENOMEM.
 * Caller frees with model_free. */
struct model *model_alloc(const struct model_shape *shape, size_t B, struct sf_error *err);
void          model_free(struct model *m);
/* GPT-2 initialisation from `seed`: weights N(0, 0.02), the two residual output projections
 * N(0, 0.02/sqrt(2·n_layer)), biases 0, LayerNorm gains 1. Resets the AdamW state. */
void model_init_params(struct model *m, uint64_t seed);
/* A target that does not count (the loss mask): no loss, no gradient (PyTorch's ignore_index). */
#define MODEL_IGNORE (-1)
/* Forward pass over B <= the allocated batch of sequences: inputs and targets are (B, n_ctx)
 * token ids (borrowed until model_backward). Returns the mean cross-entropy in nats/token over
 * the positions whose target is not MODEL_IGNORE (their losses are 0 in model_losses), or NaN
 * when targets is NULL (logits only) or every target is ignored. */
double model_forward(struct model *m, const int32_t *inputs, const int32_t *targets, size_t B);
/* Forward pass as model_forward, with the loss of `obj` (not TOKENS) against the teacher's
 * probabilities `teacher` ((B, n_ctx, n_vocab), borrowed until model_backward) at the positions
 * whose `mask` entry is not MODEL_IGNORE; returns its mean over them (nats/token), and
 * model_backward then takes its gradient. lambda: the mix's weight of forward KL. */
double model_forward_distill(struct model *m, const int32_t *inputs, const int32_t *mask,
                             const float *teacher, enum model_objective obj, double lambda,
                             size_t B);
/* Sets every gradient to zero. */
void model_zero_grad(struct model *m);
/* Backward pass of the last model_forward (which must have had targets): adds the gradient
 * of the mean loss (over the counted positions) into the gradients. */
void model_backward(struct model *m);
/* One AdamW step at learning rate `lr` with clipping. Returns the global gradient norm (before
 * clipping, in double). */
double model_update(struct model *m, const struct model_adamw *opt, double lr);
/* Number of parameters, and the parameter block (n floats, in the layout of model_tensor). */
size_t model_n_params(const struct model *m);
float *model_params(struct model *m);
/* The per-token losses of the last forward (B·n_ctx floats, valid until the next forward). */
const float *model_losses(const struct model *m);
/* The logits of the last forward ((B, n_ctx, n_vocab) floats, valid until the next forward or
 * backward). */
const float *model_logits(const struct model *m);
/* Greedy decoding of nb <= the allocated batch of windows (wins: (nb, n_ctx+1)): window b's
 * first prompt[b] tokens (1..n_ctx) are given; after them the model's most likely next token
 * (the lowest on a tie) is written, position after position, until it writes `end` or the window
 * is full. The generated tokens (`end` included) take their places in wins, their number into
 * len[b]. scratch: nb·n_ctx int32 and nb bools of room. Never allocates. */
void model_greedy(struct model *m, int32_t *wins, const size_t *prompt, size_t nb, int32_t end,
                  int32_t *scratch, size_t *len);
/* Sets the OpenMP and OpenBLAS thread count (call before model_forward; >= 1). */
void model_set_threads(int threads);

// ---- machine facts for benchmarks ----

/* Single-precision GEMM rate (GFLOP/s) of cblas_sgemm on n×n×n products at the current thread
 * count: the best of repeated products over at least `min_seconds`. */
double model_sgemm_gflops(size_t n, double min_seconds);
/* OpenBLAS's own description of its build (openblas_get_config()), borrowed. */
/* Which products run where, as summary.yaml's `kernels` says: "libxsmm ISA: LAYERS" and/or
 * "openblas: LAYERS" (of qkv, attention, attproj, fc, fcproj, head), chosen when the model was
 * allocated from its shape and the CPU's instruction set. */
void        model_kernels(const struct model *m, char *buf, size_t n);
const char *model_blas_config(void);

#endif /* SF_MODEL_H */
