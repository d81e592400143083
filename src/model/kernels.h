/*
 * kernels.h — private to src/model and its tests: the layer kernels of the transformer, one
 * <op>_forward / <op>_backward pair each, in llm.c's argument order (outputs first, then inputs,
 * then sizes). Shapes use llm.c's letters: B batch, T time, C channels (d_model), A attention
 * width (d_attn), F MLP width (d_ff), OC output channels, NH heads, V vocabulary.
 *
 * Conventions. Storage is float; sums over many terms (means, variances, bias and LayerNorm
 * gradients, the loss) are accumulated in double. A backward kernel *adds* into parameter
 * gradients; for activation gradients each kernel says whether it writes or adds. Loops are
 * parallel with OpenMP over a partition in which every thread owns its outputs (no atomics), and
 * every reduction runs in an order that does not depend on the thread count. Matrix products go
 * through cblas_sgemm. Nothing here allocates.
 */
#ifndef SF_MODEL_KERNELS_H
#define SF_MODEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Row-major C = alpha·op(A)·op(B) + beta·C through OpenBLAS's Fortran-interface sgemm_. The
 * Fortran symbol is used on purpose: GSL's libgslcblas also defines cblas_sgemm (a naive
 * reference loop, 30× slower), and in a program that links GSL before OpenBLAS the dynamic
 * linker binds cblas_* to whichever comes first; sgemm_ exists only in OpenBLAS. trans_a and
 * trans_b are CblasNoTrans or CblasTrans. */
void sgemm_rowmajor(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                    int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* LayerNorm's epsilon, as torch.nn.LayerNorm. */
#define MODEL_LAYERNORM_EPS 1e-5f

/* out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]. */
void encoder_forward(float         *out, // (B,T,C)
                     const int32_t *inp, // (B,T)
                     const float   *wte, // (V,C)
                     const float   *wpe, // (maxT,C)
                     size_t B, size_t T, size_t C);
/* dwte and dwpe += the gradients of encoder_forward. `order` is scratch of B·T + V + 1 ints
 * (a counting sort of the tokens, so that each row of dwte sums its positions in order). */
void encoder_backward(float         *dwte,  // (V,C)
                      float         *dwpe,  // (maxT,C)
                      const float   *dout,  // (B,T,C)
                      const int32_t *inp,   // (B,T)
                      int32_t       *order, // (B·T + V + 1) scratch
                      size_t B, size_t T, size_t C, size_t V);

/* LayerNorm over the last axis; mean and rstd are saved for the backward. */
void layernorm_forward(float       *out,    // (N,C)
                       float       *mean,   // (N)
                       float       *rstd,   // (N)
                       const float *inp,    // (N,C)
                       const float *weight, // (C)
                       const float *bias,   // (C)
                       size_t N, size_t C);
/* dinp += gradient w.r.t. the input; dweight, dbias += their gradients. */
void layernorm_backward(float       *dinp,    // (N,C)
                        float       *dweight, // (C)
                        float       *dbias,   // (C)
                        const float *dout,    // (N,C)
                        const float *inp,     // (N,C)
                        const float *weight,  // (C)
                        const float *mean,    // (N)
                        const float *rstd,    // (N)
                        size_t N, size_t C);

/* out = inp · weightᵀ + bias (bias may be NULL). With `accumulate`, out += instead of =. */
void matmul_forward(float       *out,    // (N,OC)
                    const float *inp,    // (N,C)
                    const float *weight, // (OC,C)
                    const float *bias,   // (OC) or NULL
                    size_t N, size_t C, size_t OC, int accumulate);
/* dinp = dout · weight (written; skipped when dinp is NULL); dweight += doutᵀ · inp;
 * dbias += column sums of dout (skipped when NULL). */
void matmul_backward(float       *dinp,    // (N,C) or NULL
                     float       *dweight, // (OC,C)
                     float       *dbias,   // (OC) or NULL
                     const float *dout,    // (N,OC)
                     const float *inp,     // (N,C)
                     const float *weight,  // (OC,C)
                     size_t N, size_t C, size_t OC);

/* Causal multi-head self-attention. qkv holds Q, K and V side by side in each row (A each);
 * head h uses columns h·hs..(h+1)·hs-1 of each, hs = A/NH. att keeps the softmax probabilities
 * (zero above the diagonal) for the backward. Scores are scaled by 1/sqrt(hs). */
void attention_forward(float       *out, // (B,T,A)
                       float       *att, // (B,NH,T,T)
                       const float *qkv, // (B,T,3A)
                       size_t B, size_t T, size_t A, size_t NH);
/* dqkv = gradient w.r.t. qkv (written). datt is scratch of the same size as att. */
void attention_backward(float       *dqkv, // (B,T,3A)
                        float       *datt, // (B,NH,T,T) scratch
                        const float *dout, // (B,T,A)
                        const float *qkv,  // (B,T,3A)
                        const float *att,  // (B,NH,T,T)
                        size_t B, size_t T, size_t A, size_t NH);

/* GELU, tanh approximation (torch.nn.functional.gelu(approximate='tanh')). */
void gelu_forward(float *out, const float *inp, size_t n); // (n), (n)
/* dinp = dout · gelu'(inp) (written; dinp may alias dout). */
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);

/* Softmax of each row of logits and the cross-entropy against targets: losses[i] =
 * -log softmax(logits[i])[targets[i]] (computed as logsumexp − logit, in double). probs may
 * be NULL when only losses are wanted. A negative target (MODEL_IGNORE) is a position that does
 * not count: its loss is 0 and its probs row is left unwritten. */
void crossentropy_forward(float         *losses,  // (N)
                          float         *probs,   // (N,V) or NULL
                          const float   *logits,  // (N,V)
                          const int32_t *targets, // (N)
                          size_t N, size_t V);
/* dlogits = dloss · (probs − onehot(targets)) (written; dlogits may alias probs); rows of
 * negative targets (ignored positions) are zero. */
void crossentropy_backward(float         *dlogits, // (N,V)
                           const float   *probs,   // (N,V)
                           const int32_t *targets, // (N)
                           float dloss, size_t N, size_t V);

/* Σ x² over n floats in double, summed in fixed blocks so that the result does not depend on
 * the thread count. `partial` is scratch of ceil(n / MODEL_SUMSQ_BLOCK) doubles. */
#define MODEL_SUMSQ_BLOCK 4096
double sumsq(const float *x, size_t n, double *partial);

/* One AdamW step over n parameters (PyTorch's _single_tensor_adamw formula in float), with
 * gradients scaled by `grad_scale` (clipping) first. t is the 1-based step. */
void adamw_update(float *param, const float *grad, float *m, float *v, size_t n, float lr,
                  float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                  int64_t t);

#endif /* SF_MODEL_KERNELS_H */
