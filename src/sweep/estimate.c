/*
 * estimate.c — how long runs will take on this machine: a short timed probe of each distinct
 * shape (a few training steps of the engine through its public API, at the run's batch, context
 * and threads), times the run's steps. `--dry-run` prints the estimates; the executors use them
 * for the ETA, scaled by what finished runs actually took.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

/* Steps timed per probe; the first warms caches and is not counted. */
enum { SWEEP_PROBE_STEPS = 4 };

static double sweep_probe_impl(const struct sweep_run *r) {
    struct model_shape shape = model_config_shape(&r->cfg);
    struct sf_error    err;
    struct model      *m = model_alloc(&shape, (size_t)r->cfg.batch, &err);
    if (m == NULL) return NAN;
    model_set_threads((int)r->cfg.threads);
    model_init_params(m, 1);
    size_t   ntok = (size_t)(r->cfg.batch * shape.n_ctx);
    int32_t *x = calloc(ntok, sizeof *x), *y = calloc(ntok, sizeof *y);
    double   best = NAN;
    if (x && y) {
        for (size_t i = 0; i < ntok; i++)
            x[i] = y[i] = (int32_t)(i % (size_t)shape.n_vocab);
        struct model_adamw opt = model_config_adamw(&r->cfg);
        for (int k = 0; k < SWEEP_PROBE_STEPS; k++) {
            double t0 = sf_now();
            model_forward(m, x, y, (size_t)r->cfg.batch);
            model_zero_grad(m);
            model_backward(m);
            model_update(m, &opt, r->cfg.lr);
            double t = sf_now() - t0;
            if (k > 0 && (isnan(best) || t < best)) best = t;
        }
    }
    free(x);
    free(y);
    model_free(m);
    return best;
}

void sweep_estimate_seconds(const struct sweep_run *runs, size_t n, double *seconds) {
    /* The probes set the engine's thread count; the caller's (the fits' bootstrap) comes back. */
#ifdef _OPENMP
    int threads = omp_get_max_threads();
#else
    int threads = 1;
#endif
    for (size_t i = 0; i < n; i++) {
        seconds[i] = NAN;
        /* Runs of one shape, context, vocabulary, batch and threads share a probe. */
        for (size_t j = 0; j < i; j++) {
            const struct model_config *a = &runs[i].cfg, *b = &runs[j].cfg;
            struct model_shape         sa = model_config_shape(a), sb = model_config_shape(b);
            if (runs[j].shape_index == runs[i].shape_index && a->batch == b->batch &&
                a->threads == b->threads && sa.n_ctx == sb.n_ctx && sa.n_vocab == sb.n_vocab &&
                runs[j].steps > 0) {
                seconds[i] = seconds[j] / (double)runs[j].steps * (double)runs[i].steps;
                break;
            }
        }
        if (isnan(seconds[i])) seconds[i] = sweep_probe_impl(&runs[i]) * (double)runs[i].steps;
    }
    model_set_threads(threads);
}
