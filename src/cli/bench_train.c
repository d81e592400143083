/*
 * bench_train.c — `scalefit bench train`: measures, in one process, the machine's single-
 * precision GEMM rate at the requested thread count, then trains the requested shape on uniform
 * random tokens (AdamW at a constant small learning rate) and reports ms/step, tokens/s and the
 * model FLOP utilisation: the engine's exact FLOPs per step (model_flops_per_token, causal
 * attention) ÷ that GEMM rate, and beside it the same with the convention,
 * B·T·[6·(12·n_layer·d² + V·d) + 12·n_layer·T·d] with d = d_model (PaLM's count, attention over
 * the full T×T), so that figures compare with the recorded baselines. The timed region is what
 * llm.c times: the batch, forward, zero_grad, backward and the AdamW update.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"

static void cli_bench_train_usage(FILE *out) {
    fprintf(out, "usage: scalefit bench train [options]\n\n"
                 "options (named like run.yaml's keys):\n"
                 "  --n-layer N      default 4\n"
                 "  --d-model N      default 256\n"
                 "  --n-head N       default 4\n"
                 "  --d-ff N         default 4·d_model\n"
                 "  --d-attn N       default d_model\n"
                 "  --n-vocab N      default 512\n"
                 "  --batch N        default 8\n"
                 "  --n-ctx N        default 128\n"
                 "  --threads N      default 1\n"
                 "  --steps N        timed steps, default 20\n"
                 "  --warmup N       untimed steps first, default 3\n"
                 "  --untied         untie the output head\n"
                 "  --gemm-size N    n of the n×n×n sgemm measured, default 1024\n"
                 "prints one line 'tokens/s: X' per configuration, among others.\n");
}

static int cli_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int cli_bench_train_main(int argc, char **argv) {
    struct model_shape s = {.n_layer        = 4,
                            .d_model        = 256,
                            .n_head         = 4,
                            .d_ff           = 0,
                            .d_attn         = 0,
                            .n_ctx          = 128,
                            .n_vocab        = 512,
                            .tie_embeddings = true};
    size_t             B = 8, threads = 1, steps = 20, warmup = 3, gemm_n = 1024;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            cli_bench_train_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--untied") == 0) {
            s.tie_embeddings = false;
            continue;
        }
        struct {
            const char *name;
            size_t     *sz;
            int64_t    *i64;
        } opts[] = {
            {"--n-layer", NULL, &s.n_layer}, {"--d-model", NULL, &s.d_model},
            {"--n-head", NULL, &s.n_head},   {"--d-ff", NULL, &s.d_ff},
            {"--d-attn", NULL, &s.d_attn},   {"--n-vocab", NULL, &s.n_vocab},
            {"--n-ctx", NULL, &s.n_ctx},     {"--batch", &B, NULL},
            {"--threads", &threads, NULL},   {"--steps", &steps, NULL},
            {"--warmup", &warmup, NULL},     {"--gemm-size", &gemm_n, NULL},
        };
        bool matched = false;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
            if (strcmp(a, opts[k].name) != 0) continue;
            if (i + 1 >= argc) return cli_option_error(a, "needs a value");
            size_t v;
            if (!cli_parse_size(a, argv[++i], &v)) return 2;
            if (v == 0 && opts[k].i64 != &s.d_ff && opts[k].i64 != &s.d_attn &&
                opts[k].sz != &warmup)
                return cli_option_error(a, "must be at least 1");
            if (opts[k].sz) *opts[k].sz = v;
            if (opts[k].i64) *opts[k].i64 = (int64_t)v;
            matched = true;
        }
        if (!matched)
            return cli_option_error(a, "unknown option (see scalefit bench train --help)");
    }
    if (s.d_ff == 0) s.d_ff = 4 * s.d_model;
    if (s.d_attn == 0) s.d_attn = s.d_model;
    if (s.d_attn % s.n_head != 0)
        return cli_option_error("--n-head", "%lld does not divide d_attn %lld", (long long)s.n_head,
                                (long long)s.d_attn);
    if (s.n_vocab < 2) return cli_option_error("--n-vocab", "must be at least 2");

    model_set_threads((int)threads);
    printf("openblas: %s\n", model_blas_config());
    double gemm = model_sgemm_gflops(gemm_n, 1.0);
    printf("sgemm: %.1f GFLOP/s (%zu^3, %zu thread%s, best of 1 s)\n", gemm, gemm_n, threads,
           threads == 1 ? "" : "s");

    struct sf_error err;
    sf_error_clear(&err);
    struct model *m = model_alloc(&s, B, &err);
    if (m == NULL) return cli_report(&err);
    model_init_params(m, 1);
    size_t   T      = (size_t)s.n_ctx;
    int32_t *tokens = malloc((steps + warmup) * B * (T + 1) * sizeof *tokens);
    int32_t *inp    = malloc(B * T * sizeof *inp);
    int32_t *tgt    = malloc(B * T * sizeof *tgt);
    double  *ms     = malloc(4 * (steps > 0 ? steps : 1) * sizeof *ms);
    if (!tokens || !inp || !tgt || !ms) {
        free(tokens);
        free(inp);
        free(tgt);
        free(ms);
        model_free(m);
        fprintf(stderr, "scalefit: error: out of memory\n");
        return 1;
    }
    /* Uniform random tokens from a fixed linear congruential stream (data are irrelevant here). */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < (steps + warmup) * B * (T + 1); i++) {
        x         = x * 6364136223846793005ull + 1442695040888963407ull;
        tokens[i] = (int32_t)((x >> 33) % (uint64_t)s.n_vocab);
    }
    struct model_adamw opt  = {0.9, 0.999, 1e-8, 0.0, false, 0.0};
    double             loss = NAN;
    for (size_t k = 0; k < warmup + steps; k++) {
        double         t0 = sf_now();
        const int32_t *w  = tokens + k * B * (T + 1);
        for (size_t b = 0; b < B; b++) {
            memcpy(inp + b * T, w + b * (T + 1), T * sizeof *inp);
            memcpy(tgt + b * T, w + b * (T + 1) + 1, T * sizeof *tgt);
        }
        double t1 = sf_now();
        loss      = model_forward(m, inp, tgt, B);
        double t2 = sf_now();
        model_zero_grad(m);
        model_backward(m);
        double t3 = sf_now();
        model_update(m, &opt, 1e-4);
        double t4 = sf_now();
        if (k >= warmup) {
            ms[k - warmup]             = 1e3 * (t4 - t0);
            ms[steps + k - warmup]     = 1e3 * (t2 - t1);
            ms[2 * steps + k - warmup] = 1e3 * (t3 - t2);
            ms[3 * steps + k - warmup] = 1e3 * (t4 - t3);
        }
    }
    double phase[4];
    for (int ph = 0; ph < 4; ph++) {
        double *col = ms + (size_t)ph * steps;
        qsort(col, steps, sizeof *col, cli_cmp_double);
        phase[ph] = steps % 2 ? col[steps / 2] : 0.5 * (col[steps / 2 - 1] + col[steps / 2]);
    }
    double med = phase[0];
    double d = (double)s.d_model, L = (double)s.n_layer, V = (double)s.n_vocab, Td = (double)T;
    double bt       = (double)(B * T);
    double flops    = bt * (6.0 * (12.0 * L * d * d + V * d) + 12.0 * L * Td * d);
    double flops_ex = bt * model_flops_per_token(&s);
    double tok_s    = bt / (med / 1e3);
    printf("config: n_layer %lld d_model %lld n_head %lld d_ff %lld d_attn %lld n_vocab %lld "
           "batch %zu n_ctx %zu threads %zu %s; params %lld (non-embedding %lld)\n",
           (long long)s.n_layer, (long long)s.d_model, (long long)s.n_head, (long long)s.d_ff,
           (long long)s.d_attn, (long long)s.n_vocab, B, T, threads,
           s.tie_embeddings ? "tied" : "untied", (long long)model_params_total(&s),
           (long long)model_params_nonembed(&s));
    printf("flops/step: %.4g GFLOP (issue convention), %.4g GFLOP (exact, causal)\n", flops / 1e9,
           flops_ex / 1e9);
    printf("ms/step: median %.1f (min %.1f, max %.1f) over %zu steps; final loss %.4f\n", med,
           ms[0], ms[steps - 1], steps, loss);
    printf("phases: forward %.1f ms, zero_grad + backward %.1f ms, update %.1f ms (medians)\n",
           phase[1], phase[2], phase[3]);
    printf("tokens/s: %.0f\n", tok_s);
    double rate_ex = flops_ex / (med / 1e3) / 1e9, rate_conv = flops / (med / 1e3) / 1e9;
    printf("mfu: %.1f%% exact (%.1f GFLOP/s of the %.1f sgemm rate); %.1f%% by the issue's count "
           "(%.1f GFLOP/s)\n",
           100.0 * rate_ex / gemm, rate_ex, gemm, 100.0 * rate_conv / gemm, rate_conv);
    free(tokens);
    free(inp);
    free(tgt);
    free(ms);
    model_free(m);
    return 0;
}
