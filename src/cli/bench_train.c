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

static int cli_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Reads the options into the shape and the run's sizes. False when the command is to end with
 * *exit_status (cli_parse). */
static bool cli_bench_train_parse(int argc, char **argv, struct model_shape *s, size_t *B,
                                  size_t *threads, size_t *steps, size_t *warmup, size_t *gemm_n,
                                  int *exit_status) {
    size_t n_layer = 4, d_model = 256, n_head = 4, d_ff = 0, d_attn = 0, n_vocab = 512, n_ctx = 128;
    bool   untied = false;
    *B = 8, *threads = 1, *steps = 20, *warmup = 3, *gemm_n = 1024;
    const struct cli_option table[] = {
        CLI_OPTION("--n-layer", CLI_ARG_SIZE, &n_layer, "N", "default 4",
                   .check = CLI_CHECK_AT_LEAST, .lo = 1),
        CLI_OPTION("--d-model", CLI_ARG_SIZE, &d_model, "N", "default 256",
                   .check = CLI_CHECK_AT_LEAST, .lo = 1),
        CLI_OPTION("--n-head", CLI_ARG_SIZE, &n_head, "N", "default 4", .check = CLI_CHECK_AT_LEAST,
                   .lo = 1),
        CLI_OPTION("--d-ff", CLI_ARG_SIZE, &d_ff, "N", "default 4·d_model"),
        CLI_OPTION("--d-attn", CLI_ARG_SIZE, &d_attn, "N", "default d_model"),
        CLI_OPTION("--n-vocab", CLI_ARG_SIZE, &n_vocab, "N", "default 512",
                   .check = CLI_CHECK_AT_LEAST, .lo = 2),
        CLI_OPTION("--batch", CLI_ARG_SIZE, B, "N", "default 8", .check = CLI_CHECK_AT_LEAST,
                   .lo = 1),
        CLI_OPTION("--n-ctx", CLI_ARG_SIZE, &n_ctx, "N", "default 128", .check = CLI_CHECK_AT_LEAST,
                   .lo = 1),
        CLI_OPTION("--threads", CLI_ARG_SIZE, threads, "N", "default 1",
                   .check = CLI_CHECK_AT_LEAST, .lo = 1),
        CLI_OPTION("--steps", CLI_ARG_SIZE, steps, "N", "timed steps, default 20",
                   .check = CLI_CHECK_AT_LEAST, .lo = 1),
        CLI_OPTION("--warmup", CLI_ARG_SIZE, warmup, "N", "untimed steps first, default 3"),
        CLI_OPTION("--untied", CLI_ARG_FLAG, &untied, NULL, "untie the output head"),
        CLI_OPTION("--gemm-size", CLI_ARG_SIZE, gemm_n, "N",
                   "n of the n×n×n sgemm measured, default 1024", .check = CLI_CHECK_AT_LEAST,
                   .lo = 1),
        CLI_END,
    };
    const struct cli_command cmd = {
        .name     = "bench train",
        .synopsis = "[options]",
        .intro    = "Options are named like run.yaml's keys.",
        .outro    = "Prints one line 'tokens/s: X' per configuration, among others.",
        .options  = table,
    };
    bool go = cli_parse(&cmd, argc, argv, exit_status);
    *s      = (struct model_shape){.n_layer        = (int64_t)n_layer,
                                   .d_model        = (int64_t)d_model,
                                   .n_head         = (int64_t)n_head,
                                   .d_ff           = (int64_t)d_ff,
                                   .d_attn         = (int64_t)d_attn,
                                   .n_ctx          = (int64_t)n_ctx,
                                   .n_vocab        = (int64_t)n_vocab,
                                   .tie_embeddings = !untied};
    return go;
}

int cli_bench_train_main(int argc, char **argv) {
    struct model_shape s;
    size_t             B, threads, steps, warmup, gemm_n;
    int                prc;
    if (!cli_bench_train_parse(argc, argv, &s, &B, &threads, &steps, &warmup, &gemm_n, &prc))
        return prc;
    if (s.d_ff == 0) s.d_ff = 4 * s.d_model;
    if (s.d_attn == 0) s.d_attn = s.d_model;
    if (s.d_attn % s.n_head != 0)
        return cli_option_error("--n-head", "%lld does not divide d_attn %lld", (long long)s.n_head,
                                (long long)s.d_attn);

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
    char kernels[160];
    model_kernels(m, kernels, sizeof kernels);
    printf("kernels: %s\n", kernels);
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
