/*
 * model.c — the GPT-style transformer: parameter layout (fill-in of tensor sizes, one block each
 * for parameters, gradients and AdamW moments), activation layout (one block), GPT-2
 * initialisation, the forward and backward passes over the kernels, the AdamW update with
 * global-norm clipping, and parameter / FLOP accounting.
 *
 * Not here: data, schedules and the run directory (run.c), the kernels themselves (kernels.c).
 * The step (forward, zero_grad, backward, update) never allocates.
 */
#include "internal.h"
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Initialisation of GPT-2 (Radford et al. 2019, as in llm.c and nanoGPT). */
#define MODEL_INIT_STD 0.02
/* Alignment of every region of the activation block (bytes): a cache line. */
#define MODEL_ALIGN 64

// ---- accounting ----

struct model_shape model_config_shape(const struct model_config *cfg) {
    struct model_shape s;
    s.n_layer        = cfg->n_layer;
    s.d_model        = cfg->d_model;
    s.n_head         = cfg->n_head;
    s.d_ff           = cfg->d_ff > 0 ? cfg->d_ff : 4 * cfg->d_model;
    s.d_attn         = cfg->d_attn > 0 ? cfg->d_attn : cfg->d_model;
    s.n_ctx          = cfg->n_ctx;
    s.tie_embeddings = cfg->tie_embeddings;
    s.n_vocab        = model_source_get(cfg->data.source)->n_vocab(&cfg->data);
    return s;
}

struct model_adamw model_config_adamw(const struct model_config *cfg) {
    return (struct model_adamw){
        cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay, cfg->weight_decay_all, cfg->grad_clip};
}

int64_t model_config_steps(const struct model_config *cfg) {
    if (cfg->steps > 0) return cfg->steps;
    int64_t per = cfg->batch * cfg->n_ctx;
    return per > 0 ? (cfg->tokens + per - 1) / per : 0;
}

int64_t model_params_nonembed(const struct model_shape *s) {
    int64_t C = s->d_model, A = s->d_attn, F = s->d_ff;
    int64_t per_layer = 2 * C               /* ln1 */
                        + 3 * A * C + 3 * A /* qkv */
                        + C * A + C         /* attention output projection */
                        + 2 * C             /* ln2 */
                        + F * C + F         /* fc */
                        + C * F + C;        /* fc projection */
    return s->n_layer * per_layer + 2 * C;  /* + final LayerNorm */
}

int64_t model_params_total(const struct model_shape *s) {
    int64_t C = s->d_model;
    int64_t n = model_params_nonembed(s) + s->n_vocab * C + s->n_ctx * C;
    if (!s->tie_embeddings) n += s->n_vocab * C;
    return n;
}

double model_flops_per_token(const struct model_shape *s) {
    double C = (double)s->d_model, A = (double)s->d_attn, F = (double)s->d_ff;
    double V = (double)s->n_vocab, T = (double)s->n_ctx, L = (double)s->n_layer;
    /* Multiply-adds per token of the weight products (forward). */
    double macs = L * (3.0 * A * C + A * C + 2.0 * F * C) + V * C;
    /* Causal attention: Q·Kᵀ and P·V each A multiply-adds per visible key; (T+1)/2 keys on
     * average over the positions of a window. */
    double att = L * 2.0 * A * (T + 1.0) / 2.0;
    /* 2 FLOPs per multiply-add, forward + input gradient + weight gradient = 3 products; the
     * attention backward is two products per forward product too. */
    return 6.0 * macs + 6.0 * att;
}

double model_flops_6n(const struct model_shape *s, double tokens) {
    return 6.0 * (double)model_params_nonembed(s) * tokens;
}

// ---- layout ----

static void model_fill_tensors_impl(struct model *m) {
    size_t C = m->C, A = m->A, F = m->F, V = m->V, L = m->L, T = m->T;
    struct {
        enum model_tensor_id id;
        const char          *name;
        size_t               size;
        bool                 decay, embedding;
    } spec[MODEL_TENSOR_COUNT] = {
        {MODEL_TENSOR_WTE, "wte", V * C, false, true},
        {MODEL_TENSOR_WPE, "wpe", T * C, false, true},
        {MODEL_TENSOR_LN1W, "ln1w", L * C, false, false},
        {MODEL_TENSOR_LN1B, "ln1b", L * C, false, false},
        {MODEL_TENSOR_QKVW, "qkvw", L * 3 * A * C, true, false},
        {MODEL_TENSOR_QKVB, "qkvb", L * 3 * A, false, false},
        {MODEL_TENSOR_ATTPROJW, "attprojw", L * C * A, true, false},
        {MODEL_TENSOR_ATTPROJB, "attprojb", L * C, false, false},
        {MODEL_TENSOR_LN2W, "ln2w", L * C, false, false},
        {MODEL_TENSOR_LN2B, "ln2b", L * C, false, false},
        {MODEL_TENSOR_FCW, "fcw", L * F * C, true, false},
        {MODEL_TENSOR_FCB, "fcb", L * F, false, false},
        {MODEL_TENSOR_FCPROJW, "fcprojw", L * C * F, true, false},
        {MODEL_TENSOR_FCPROJB, "fcprojb", L * C, false, false},
        {MODEL_TENSOR_LNFW, "lnfw", C, false, false},
        {MODEL_TENSOR_LNFB, "lnfb", C, false, false},
        {MODEL_TENSOR_HEADW, "headw", m->shape.tie_embeddings ? 0 : V * C, true, true},
    };
    size_t off = 0;
    for (int i = 0; i < MODEL_TENSOR_COUNT; i++) {
        SF_ASSERT(spec[i].id == (enum model_tensor_id)i);
        m->tensors[i].name      = spec[i].name;
        m->tensors[i].offset    = off;
        m->tensors[i].size      = spec[i].size;
        m->tensors[i].decay     = spec[i].decay;
        m->tensors[i].embedding = spec[i].embedding;
        off += spec[i].size;
    }
    m->n_params = off;
}

float *model_head_weights(struct model *m, float *block) {
    return model_tensor_ptr(block, m,
                            m->shape.tie_embeddings ? MODEL_TENSOR_WTE : MODEL_TENSOR_HEADW);
}

/* Carves the activation block (or, with base == NULL, only measures it). */
static size_t model_layout_acts_impl(struct model *m, char *base) {
    size_t B = m->B, T = m->T, C = m->C, A = m->A, F = m->F, V = m->V, L = m->L, NH = m->NH;
    size_t off = 0;
#define MODEL_CARVE(field, type, count)                                                            \
    do {                                                                                           \
        off = (off + MODEL_ALIGN - 1) / MODEL_ALIGN * MODEL_ALIGN;                                 \
        if (base != NULL) m->acts.field = (type *)(void *)(base + off);                            \
        off += (size_t)(count) * sizeof(type);                                                     \
    } while (0)
    MODEL_CARVE(encoded, float, B *T *C);
    MODEL_CARVE(ln1, float, L *B *T *C);
    MODEL_CARVE(ln1_mean, float, L *B *T);
    MODEL_CARVE(ln1_rstd, float, L *B *T);
    MODEL_CARVE(qkv, float, L *B *T * 3 * A);
    MODEL_CARVE(atty, float, L *B *T *A);
    MODEL_CARVE(att, float, L *B *NH *T *T);
    MODEL_CARVE(resid2, float, L *B *T *C);
    MODEL_CARVE(ln2, float, L *B *T *C);
    MODEL_CARVE(ln2_mean, float, L *B *T);
    MODEL_CARVE(ln2_rstd, float, L *B *T);
    MODEL_CARVE(fch, float, L *B *T *F);
    MODEL_CARVE(fch_gelu, float, L *B *T *F);
    MODEL_CARVE(resid3, float, L *B *T *C);
    MODEL_CARVE(lnf, float, B *T *C);
    MODEL_CARVE(lnf_mean, float, B *T);
    MODEL_CARVE(lnf_rstd, float, B *T);
    MODEL_CARVE(logits, float, B *T *V);
    MODEL_CARVE(probs, float, B *T *V);
    MODEL_CARVE(losses, float, B *T);
    MODEL_CARVE(dres, float, B *T *C);
    MODEL_CARVE(dbuf_c, float, B *T *C);
    MODEL_CARVE(dbuf_a, float, B *T *A);
    MODEL_CARVE(dqkv, float, B *T * 3 * A);
    MODEL_CARVE(dfch, float, B *T *F);
    MODEL_CARVE(datt, float, B *NH *T *T);
    MODEL_CARVE(partial, double, (m->n_params + MODEL_SUMSQ_BLOCK - 1) / MODEL_SUMSQ_BLOCK);
    MODEL_CARVE(order, int32_t, B * T + V + 1);
#undef MODEL_CARVE
    return off;
}

static float *model_alloc_floats_impl(size_t n) {
    void  *p     = NULL;
    size_t bytes = (n * sizeof(float) + MODEL_ALIGN - 1) / MODEL_ALIGN * MODEL_ALIGN;
    if (posix_memalign(&p, MODEL_ALIGN, bytes > 0 ? bytes : MODEL_ALIGN) != 0) return NULL;
    memset(p, 0, bytes);
    return p;
}

struct model *model_alloc(const struct model_shape *shape, size_t B, struct sf_error *err) {
    if (shape->n_layer < 1 || shape->d_model < 1 || shape->n_head < 1 || shape->d_ff < 1 ||
        shape->d_attn < 1 || shape->n_ctx < 1 || shape->n_vocab < 2 || B < 1) {
        SF_SET(err, SF_EINVAL, "invalid model shape");
        return NULL;
    }
    if (shape->d_attn % shape->n_head != 0) {
        SF_SET(err, SF_EINVAL, "n_head %lld does not divide d_attn %lld", (long long)shape->n_head,
               (long long)shape->d_attn);
        return NULL;
    }
    struct model *m = calloc(1, sizeof *m);
    if (m == NULL) goto oom;
    m->shape = *shape;
    m->B     = B;
    m->T     = (size_t)shape->n_ctx;
    m->C     = (size_t)shape->d_model;
    m->A     = (size_t)shape->d_attn;
    m->F     = (size_t)shape->d_ff;
    m->NH    = (size_t)shape->n_head;
    m->V     = (size_t)shape->n_vocab;
    m->L     = (size_t)shape->n_layer;
    model_fill_tensors_impl(m);
    m->params = model_alloc_floats_impl(m->n_params);
    m->grads  = model_alloc_floats_impl(m->n_params);
    m->adam_m = model_alloc_floats_impl(m->n_params);
    m->adam_v = model_alloc_floats_impl(m->n_params);
    if (!m->params || !m->grads || !m->adam_m || !m->adam_v) goto oom;
    m->acts_bytes = model_layout_acts_impl(m, NULL);
    size_t bytes  = (m->acts_bytes + MODEL_ALIGN - 1) / MODEL_ALIGN * MODEL_ALIGN;
    if (posix_memalign(&m->acts_memory, MODEL_ALIGN, bytes) != 0) {
        m->acts_memory = NULL;
        goto oom;
    }
    memset(m->acts_memory, 0, bytes);
    model_layout_acts_impl(m, m->acts_memory);
    /* The transposed-weight scratch, as large as the largest layer LIBXSMM may take. */
    size_t C = m->C, A = m->A, F = m->F, V = m->V, T = m->T, wt = 0;
    size_t outs[3] = {3 * A, F, V};
    for (size_t i = 0; i < 3; i++)
        if (C <= KERNEL_XSMM_MAX_DIM && outs[i] <= KERNEL_XSMM_MAX_DIM && outs[i] * C > wt)
            wt = outs[i] * C;
    if ((m->gemm_wt = model_alloc_floats_impl(wt)) == NULL) goto oom;
    kernel_linear_plan(&m->lin_qkv, C, 3 * A, T, m->gemm_wt);
    kernel_linear_plan(&m->lin_attproj, A, C, T, m->gemm_wt);
    kernel_linear_plan(&m->lin_fc, C, F, T, m->gemm_wt);
    kernel_linear_plan(&m->lin_fcproj, F, C, T, m->gemm_wt);
    kernel_linear_plan(&m->lin_head, C, V, T, m->gemm_wt);
    if ((m->att_tr = model_alloc_floats_impl(B * T * A)) == NULL) goto oom;
    kernel_attention_plan(&m->attn, T, A, m->NH, m->att_tr);
    m->mean_loss = NAN;
    return m;
oom:
    model_free(m);
    SF_SET(err, SF_ENOMEM, "out of memory allocating the model");
    return NULL;
}

void model_free(struct model *m) {
    if (m == NULL) return;
    free(m->params);
    free(m->grads);
    free(m->adam_m);
    free(m->adam_v);
    free(m->acts_memory);
    free(m->gemm_wt);
    free(m->att_tr);
    free(m);
}

void model_kernels(const struct model *m, char *buf, size_t n) {
    const char *const names[6] = {"qkv", "attention", "attproj", "fc", "fcproj", "head"};
    const bool        xsmm[6]  = {m->lin_qkv.fwd != NULL,     m->attn.s[0] != NULL,
                                  m->lin_attproj.fwd != NULL, m->lin_fc.fwd != NULL,
                                  m->lin_fcproj.fwd != NULL,  m->lin_head.fwd != NULL};
    char              xs[64] = "", ob[64] = "";
    for (size_t i = 0; i < 6; i++) {
        char *list = xsmm[i] ? xs : ob;
        strcat(list, " ");
        strcat(list, names[i]);
    }
    const char *arch = kernel_xsmm_arch();
    if (xs[0] && ob[0])
        snprintf(buf, n, "libxsmm %s:%s; openblas:%s", arch, xs, ob);
    else if (xs[0])
        snprintf(buf, n, "libxsmm %s:%s", arch, xs);
    else
        snprintf(buf, n, "openblas:%s", ob);
}

size_t model_n_params(const struct model *m) {
    return m->n_params;
}
float *model_params(struct model *m) {
    return m->params;
}
const float *model_losses(const struct model *m) {
    return m->acts.losses;
}
const float *model_logits(const struct model *m) {
    return m->acts.logits;
}

void model_set_threads(int threads) {
    if (threads < 1) threads = 1;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    openblas_set_num_threads(threads);
}

void model_init_params(struct model *m, uint64_t seed) {
    struct model_rng r;
    bool             have_spare = false;
    double           spare      = 0.0;
    model_rng_seed(&r, sf_seed_derive(seed, MODEL_STREAM_INIT));
    double resid_std = MODEL_INIT_STD / sqrt(2.0 * (double)m->L);
    for (int i = 0; i < MODEL_TENSOR_COUNT; i++) {
        const struct model_tensor *t = &m->tensors[i];
        float                     *p = m->params + t->offset;
        switch ((enum model_tensor_id)i) {
        case MODEL_TENSOR_LN1W:
        case MODEL_TENSOR_LN2W:
        case MODEL_TENSOR_LNFW:
            for (size_t k = 0; k < t->size; k++)
                p[k] = 1.0f;
            break;
        case MODEL_TENSOR_LN1B:
        case MODEL_TENSOR_LN2B:
        case MODEL_TENSOR_LNFB:
        case MODEL_TENSOR_QKVB:
        case MODEL_TENSOR_ATTPROJB:
        case MODEL_TENSOR_FCB:
        case MODEL_TENSOR_FCPROJB:
            for (size_t k = 0; k < t->size; k++)
                p[k] = 0.0f;
            break;
        default: {
            double std = (i == MODEL_TENSOR_ATTPROJW || i == MODEL_TENSOR_FCPROJW) ? resid_std
                                                                                   : MODEL_INIT_STD;
            for (size_t k = 0; k < t->size; k++)
                p[k] = (float)(std * model_rng_normal(&r, &have_spare, &spare));
        } break;
        }
    }
    memset(m->adam_m, 0, m->n_params * sizeof(float));
    memset(m->adam_v, 0, m->n_params * sizeof(float));
    memset(m->grads, 0, m->n_params * sizeof(float));
    m->adam_t = 0;
}

// ---- one layer's view ----

/* Pointers to layer l's activations (strided by the allocated batch, so a smaller B fits). */
struct model_layer_acts {
    const float *x; /* (B,T,C) the layer's input: encoded or the previous resid3 */
    float       *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *att, *resid2, *ln2, *ln2_mean, *ln2_rstd;
    float       *fch, *fch_gelu, *resid3;
};

/* Pointers to layer l's tensors inside a block with the parameter layout (params or grads). */
struct model_layer_params {
    float *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb, *ln2w, *ln2b, *fcw, *fcb, *fcprojw,
        *fcprojb;
};

static struct model_layer_acts model_layer_acts_impl(struct model *m, size_t l) {
    struct model_acts      *a  = &m->acts;
    size_t                  MT = m->B * m->T, C = m->C, A = m->A, F = m->F;
    struct model_layer_acts v;
    v.x        = l == 0 ? a->encoded : a->resid3 + (l - 1) * MT * C;
    v.ln1      = a->ln1 + l * MT * C;
    v.ln1_mean = a->ln1_mean + l * MT;
    v.ln1_rstd = a->ln1_rstd + l * MT;
    v.qkv      = a->qkv + l * MT * 3 * A;
    v.atty     = a->atty + l * MT * A;
    v.att      = a->att + l * m->B * m->NH * m->T * m->T;
    v.resid2   = a->resid2 + l * MT * C;
    v.ln2      = a->ln2 + l * MT * C;
    v.ln2_mean = a->ln2_mean + l * MT;
    v.ln2_rstd = a->ln2_rstd + l * MT;
    v.fch      = a->fch + l * MT * F;
    v.fch_gelu = a->fch_gelu + l * MT * F;
    v.resid3   = a->resid3 + l * MT * C;
    return v;
}

static struct model_layer_params model_layer_params_impl(struct model *m, float *block, size_t l) {
    size_t                    C = m->C, A = m->A, F = m->F;
    struct model_layer_params v;
    v.ln1w     = model_tensor_ptr(block, m, MODEL_TENSOR_LN1W) + l * C;
    v.ln1b     = model_tensor_ptr(block, m, MODEL_TENSOR_LN1B) + l * C;
    v.qkvw     = model_tensor_ptr(block, m, MODEL_TENSOR_QKVW) + l * 3 * A * C;
    v.qkvb     = model_tensor_ptr(block, m, MODEL_TENSOR_QKVB) + l * 3 * A;
    v.attprojw = model_tensor_ptr(block, m, MODEL_TENSOR_ATTPROJW) + l * C * A;
    v.attprojb = model_tensor_ptr(block, m, MODEL_TENSOR_ATTPROJB) + l * C;
    v.ln2w     = model_tensor_ptr(block, m, MODEL_TENSOR_LN2W) + l * C;
    v.ln2b     = model_tensor_ptr(block, m, MODEL_TENSOR_LN2B) + l * C;
    v.fcw      = model_tensor_ptr(block, m, MODEL_TENSOR_FCW) + l * F * C;
    v.fcb      = model_tensor_ptr(block, m, MODEL_TENSOR_FCB) + l * F;
    v.fcprojw  = model_tensor_ptr(block, m, MODEL_TENSOR_FCPROJW) + l * C * F;
    v.fcprojb  = model_tensor_ptr(block, m, MODEL_TENSOR_FCPROJB) + l * C;
    return v;
}

// ---- forward ----

/* The forward pass up to the logits (m->acts.logits), recording the inputs and targets. */
static void model_logits_impl(struct model *m, const int32_t *inputs, const int32_t *targets,
                              size_t B) {
    SF_ASSERT(B >= 1 && B <= m->B);
    size_t T = m->T, C = m->C, A = m->A, F = m->F, V = m->V, L = m->L, NH = m->NH;
    size_t N = B * T; /* rows this call */
    for (size_t i = 0; i < N; i++)
        SF_ASSERT(inputs[i] >= 0 && (size_t)inputs[i] < V);
    m->cur_B   = B;
    m->inputs  = inputs;
    m->targets = targets;

    struct model_acts *a = &m->acts;
    float             *p = m->params;
    encoder_forward(a->encoded, inputs, model_tensor_ptr(p, m, MODEL_TENSOR_WTE),
                    model_tensor_ptr(p, m, MODEL_TENSOR_WPE), B, T, C);
    for (size_t l = 0; l < L; l++) {
        struct model_layer_acts   v = model_layer_acts_impl(m, l);
        struct model_layer_params w = model_layer_params_impl(m, p, l);
        layernorm_forward(v.ln1, v.ln1_mean, v.ln1_rstd, v.x, w.ln1w, w.ln1b, N, C);
        matmul_forward(&m->lin_qkv, v.qkv, v.ln1, w.qkvw, w.qkvb, NULL, N, C, 3 * A);
        attention_forward(&m->attn, v.atty, v.att, v.qkv, B, T, A, NH);
        /* resid2 = x + attproj(atty), the residual added in the product's epilogue. */
        matmul_forward(&m->lin_attproj, v.resid2, v.atty, w.attprojw, w.attprojb, v.x, N, A, C);
        layernorm_forward(v.ln2, v.ln2_mean, v.ln2_rstd, v.resid2, w.ln2w, w.ln2b, N, C);
        matmul_gelu_forward(&m->lin_fc, v.fch, v.fch_gelu, v.ln2, w.fcw, w.fcb, N, C, F);
        matmul_forward(&m->lin_fcproj, v.resid3, v.fch_gelu, w.fcprojw, w.fcprojb, v.resid2, N, F,
                       C);
    }
    const float *x_last = a->resid3 + (L - 1) * m->B * T * C;
    layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, x_last,
                      model_tensor_ptr(p, m, MODEL_TENSOR_LNFW),
                      model_tensor_ptr(p, m, MODEL_TENSOR_LNFB), N, C);
    matmul_forward(&m->lin_head, a->logits, a->lnf, model_head_weights(m, p), NULL, NULL, N, C, V);
}

/* The mean of the losses over the positions whose target (or mask) is not MODEL_IGNORE. */
static double model_mean_loss_impl(struct model *m, const int32_t *targets, size_t N) {
    size_t counted = 0;
    double s       = 0.0;
    for (size_t i = 0; i < N; i++) {
        counted += targets[i] != MODEL_IGNORE;
        s += (double)m->acts.losses[i];
    }
    m->n_counted = counted;
    m->mean_loss = counted ? s / (double)counted : (double)NAN;
    return m->mean_loss;
}

double model_forward(struct model *m, const int32_t *inputs, const int32_t *targets, size_t B) {
    model_logits_impl(m, inputs, targets, B);
    m->teacher = NULL;
    if (targets == NULL) {
        m->mean_loss = NAN;
        return NAN;
    }
    size_t N = B * m->T, V = m->V;
    for (size_t i = 0; i < N; i++)
        SF_ASSERT(targets[i] == MODEL_IGNORE || (targets[i] >= 0 && (size_t)targets[i] < V));
    crossentropy_forward(m->acts.losses, m->acts.probs, m->acts.logits, targets, N, V);
    return model_mean_loss_impl(m, targets, N);
}

double model_forward_distill(struct model *m, const int32_t *inputs, const int32_t *mask,
                             const float *teacher, enum model_objective obj, double lambda,
                             size_t B) {
    SF_ASSERT(obj != MODEL_OBJECTIVE_TOKENS && teacher != NULL && mask != NULL);
    model_logits_impl(m, inputs, mask, B);
    static const enum kernel_objective kind[] = {
        [MODEL_OBJECTIVE_FORWARD_KL] = KERNEL_OBJECTIVE_FORWARD_KL,
        [MODEL_OBJECTIVE_REVERSE_KL] = KERNEL_OBJECTIVE_REVERSE_KL,
        [MODEL_OBJECTIVE_JS]         = KERNEL_OBJECTIVE_JS,
        [MODEL_OBJECTIVE_MIX]        = KERNEL_OBJECTIVE_MIX,
    };
    m->teacher   = teacher;
    m->objective = kind[obj];
    m->lambda    = lambda;
    size_t N     = B * m->T;
    distill_forward(m->acts.losses, m->acts.probs, m->acts.logits, teacher, mask, N, m->V,
                    m->objective, lambda);
    return model_mean_loss_impl(m, mask, N);
}

void model_zero_grad(struct model *m) {
    memset(m->grads, 0, m->n_params * sizeof(float));
}

// ---- backward ----

void model_backward(struct model *m) {
    SF_ASSERT(m->targets != NULL);
    size_t B = m->cur_B, T = m->T, C = m->C, A = m->A, F = m->F, V = m->V, L = m->L, NH = m->NH;
    size_t N             = B * T;
    struct model_acts *a = &m->acts;
    float             *p = m->params, *g = m->grads;

    /* dlogits (in place of probs) for the mean loss over the counted positions (ignored ones
     * get zero rows). */
    float dloss = m->n_counted ? 1.0f / (float)m->n_counted : 0.0f;
    if (m->teacher != NULL)
        distill_backward(a->probs, a->probs, m->teacher, m->targets, dloss, N, V, m->objective,
                         m->lambda);
    else
        crossentropy_backward(a->probs, a->probs, m->targets, dloss, N, V);
    const float *x_last = a->resid3 + (L - 1) * m->B * T * C;
    /* Head: dlnf = dlogits · W (written), dW += dlogitsᵀ · lnf. */
    matmul_backward(&m->lin_head, a->dbuf_c, model_head_weights(m, g), NULL, a->probs, a->lnf,
                    model_head_weights(m, p), N, C, V);
    /* dres = LayerNorm backward of the final norm (dres starts from zero). */
    memset(a->dres, 0, N * C * sizeof(float));
    layernorm_backward(a->dres, model_tensor_ptr(g, m, MODEL_TENSOR_LNFW),
                       model_tensor_ptr(g, m, MODEL_TENSOR_LNFB), a->dbuf_c, x_last,
                       model_tensor_ptr(p, m, MODEL_TENSOR_LNFW), a->lnf_mean, a->lnf_rstd, N, C);
    for (size_t l = L; l-- > 0;) {
        struct model_layer_acts   v  = model_layer_acts_impl(m, l);
        struct model_layer_params w  = model_layer_params_impl(m, p, l);
        struct model_layer_params dw = model_layer_params_impl(m, g, l);
        /* MLP branch: resid3 = resid2 + fcproj(gelu(fc(ln2(resid2)))). */
        matmul_gelu_backward(&m->lin_fcproj, a->dfch, dw.fcprojw, dw.fcprojb, a->dres, v.fch_gelu,
                             w.fcprojw, v.fch, N, F, C);
        matmul_backward(&m->lin_fc, a->dbuf_c, dw.fcw, dw.fcb, a->dfch, v.ln2, w.fcw, N, C, F);
        layernorm_backward(a->dres, dw.ln2w, dw.ln2b, a->dbuf_c, v.resid2, w.ln2w, v.ln2_mean,
                           v.ln2_rstd, N, C);
        /* Attention branch: resid2 = x + attproj(attention(qkv(ln1(x)))). */
        matmul_backward(&m->lin_attproj, a->dbuf_a, dw.attprojw, dw.attprojb, a->dres, v.atty,
                        w.attprojw, N, A, C);
        attention_backward(&m->attn, a->dqkv, a->datt, a->dbuf_a, v.qkv, v.att, B, T, A, NH);
        matmul_backward(&m->lin_qkv, a->dbuf_c, dw.qkvw, dw.qkvb, a->dqkv, v.ln1, w.qkvw, N, C,
                        3 * A);
        layernorm_backward(a->dres, dw.ln1w, dw.ln1b, a->dbuf_c, v.x, w.ln1w, v.ln1_mean,
                           v.ln1_rstd, N, C);
    }
    encoder_backward(model_tensor_ptr(g, m, MODEL_TENSOR_WTE),
                     model_tensor_ptr(g, m, MODEL_TENSOR_WPE), a->dres, m->inputs, a->order, B, T,
                     C, V);
}

// ---- update ----

double model_update(struct model *m, const struct model_adamw *opt, double lr) {
    double norm  = sqrt(sumsq(m->grads, m->n_params, m->acts.partial));
    float  scale = 1.0f;
    /* torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6), clamped to 1. */
    if (opt->grad_clip > 0.0) {
        double coef = opt->grad_clip / (norm + 1e-6);
        if (coef < 1.0) scale = (float)coef;
    }
    m->adam_t++;
    for (int i = 0; i < MODEL_TENSOR_COUNT; i++) {
        const struct model_tensor *t = &m->tensors[i];
        if (t->size == 0) continue;
        double wd = (t->decay || opt->weight_decay_all) ? opt->weight_decay : 0.0;
        adamw_update(m->params + t->offset, m->grads + t->offset, m->adam_m + t->offset,
                     m->adam_v + t->offset, t->size, (float)lr, (float)opt->beta1,
                     (float)opt->beta2, (float)opt->eps, (float)wd, scale, m->adam_t);
    }
    return norm;
}

// ---- machine facts ----

double model_sgemm_gflops(size_t n, double min_seconds) {
    float *a = model_alloc_floats_impl(3 * n * n);
    if (a == NULL) return NAN;
    float           *b = a + n * n, *c = b + n * n;
    struct model_rng r;
    model_rng_seed(&r, 1);
    for (size_t i = 0; i < 2 * n * n; i++)
        a[i] = (float)model_rng_uniform(&r) - 0.5f;
    double best = 0.0, t_start = sf_now();
    int    reps = 0;
    do {
        double t0 = sf_now();
        sgemm_rowmajor(CblasNoTrans, CblasTrans, (int)n, (int)n, (int)n, 1.0f, a, (int)n, b, (int)n,
                       0.0f, c, (int)n);
        double dt   = sf_now() - t0;
        double rate = 2.0 * (double)n * (double)n * (double)n / dt / 1e9;
        if (rate > best) best = rate;
        reps++;
    } while (sf_now() - t_start < min_seconds || reps < 3);
    free(a);
    return best;
}

const char *model_blas_config(void) {
    return openblas_get_config();
}
