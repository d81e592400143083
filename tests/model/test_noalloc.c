/*
 * test_noalloc.c — "the step never allocates": the program defines malloc, calloc, realloc and
 * posix_memalign itself (interposing them for the whole process, libraries included) and counts
 * every call, handing each on to glibc's own allocator. A training step — the batch, forward,
 * zero_grad, backward, AdamW update — and an evaluation-sized forward with the exact KL of an
 * eval window (model_data_window_kl) must make none, after the model and the data source are
 * built and one step has let OpenMP and OpenBLAS set up their pools. (Linker wrapping, used
 * before, cannot link LIBXSMM: its static library defines the __real_ symbols itself.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "internal.h"

static size_t n_alloc;

/* glibc's allocator under its own names. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t k);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t a, size_t n);

void *malloc(size_t n) {
    n_alloc++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t k) {
    n_alloc++;
    return __libc_calloc(n, k);
}
void *realloc(void *p, size_t n) {
    n_alloc++;
    return __libc_realloc(p, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
    n_alloc++;
    void *q = __libc_memalign(a, n);
    if (q == NULL) return ENOMEM;
    *p = q;
    return 0;
}

int main(void) {
    struct model_config c = model_config_default();
    c.data.order = 3, c.n_layer = 2, c.d_model = 48, c.n_head = 3, c.n_ctx = 40, c.batch = 4;
    c.tie_embeddings = false;
    struct model_data d;
    struct sf_error   e;
    check(model_data_open(&d, &c, NULL, &e) == SF_OK, "data opens");
    struct model_shape s = model_config_shape(&c);
    struct model      *m = model_alloc(&s, 4, &e);
    check(m != NULL && n_alloc > 0, "building the model allocates (%zu calls counted)", n_alloc);
    model_init_params(m, 1);
    int32_t            in[160], tg[160];
    struct model_adamw opt = {0.9, 0.95, 1e-8, 0.1, false, 1.0};
    for (int threads = 1; threads <= 2; threads++) {
        model_set_threads(threads);
        /* One step first: OpenMP and OpenBLAS set up their pools on first use. */
        model_data_batch(&d, 1, 4, in, tg);
        model_forward(m, in, tg, 4);
        model_zero_grad(m);
        model_backward(m);
        model_update(m, &opt, 1e-3);
        size_t before = n_alloc;
        for (int64_t step = 2; step <= 6; step++) {
            model_data_batch(&d, step, 4, in, tg);
            model_forward(m, in, tg, 4);
            model_zero_grad(m);
            model_backward(m);
            model_update(m, &opt, 1e-3);
        }
        model_forward(m, in, tg, 3); /* a short eval batch, and its exact KL */
        double kl = model_data_window_kl(&d, d.eval_win, model_logits(m));
        check(n_alloc == before,
              "%d thread(s): 5 training steps, an eval batch and its KL (window sum %.3g) allocate "
              "nothing "
              "(%zu calls)",
              threads, kl, n_alloc - before);
    }
    model_free(m);
    model_data_free(&d);
    return check_summary();
}
