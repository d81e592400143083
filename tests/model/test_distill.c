/*
 * test_distill.c — the distillation objectives (distill_forward, distill_backward in kernels.c:
 * forward KL, reverse KL, Jensen–Shannon, the mix λ·forward + (1 − λ)·reverse) on 6 rows of 7
 * logits against teacher distributions (random ones, one with a probability of 1e-9, one row
 * masked out):
 *   - losses and gradients against PyTorch's autograd in double (tests/ref/model_distill_ref.py):
 *     losses within 1e-6 relative, gradients within 1e-6 absolute (float outputs);
 *   - gradients against central finite differences of the engine's own losses (step 1e-2 in the
 *     logits, within 2e-3 absolute);
 *   - every objective is 0 with a zero gradient when the teacher is the model's own softmax, and
 *     the masked row has loss 0 and a zero gradient row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "internal.h"

enum { N = 6, V = 7, NOBJ = 4 };
static const double lambda = 0.3;
static const char *const obj_name[NOBJ] = {"forward KL", "reverse KL", "JS", "mix"};

static double total(const float *logits, const float *teacher, const int32_t *mask,
                    enum kernel_objective obj) {
    float losses[N], probs[N * V];
    distill_forward(losses, probs, logits, teacher, mask, N, V, obj, lambda);
    double s = 0;
    for (size_t i = 0; i < N; i++)
        s += (double)losses[i];
    return s;
}

int main(int argc, char **argv) {
    const char *python = argc > 2 ? argv[1] : "", *script = argc > 2 ? argv[2] : "";
    float            logits[N * V], teacher[N * V];
    int32_t          mask[N] = {0, 1, 2, MODEL_IGNORE, 4, 5};
    struct model_rng r;
    model_rng_seed(&r, 5);
    for (size_t i = 0; i < N; i++) {
        double s = 0, p[V];
        for (size_t j = 0; j < V; j++) {
            logits[i * V + j] = (float)(3.0 * model_rng_uniform(&r) - 1.5);
            p[j]              = model_rng_uniform(&r) + 0.02;
            if (i == 2 && j == 4) p[j] = 1e-9;
            s += p[j];
        }
        for (size_t j = 0; j < V; j++)
            teacher[i * V + j] = (float)(p[j] / s);
    }
    float loss[NOBJ][N], grad[NOBJ][N * V];
    for (int k = 0; k < NOBJ; k++) {
        float probs[N * V];
        distill_forward(loss[k], probs, logits, teacher, mask, N, V, (enum kernel_objective)k,
                        lambda);
        distill_backward(grad[k], probs, teacher, mask, 1.0f, N, V, (enum kernel_objective)k,
                         lambda);
        /* finite differences of the engine's own losses */
        double worst = 0;
        for (size_t e = 0; e < N * V; e++) {
            float l2[N * V];
            memcpy(l2, logits, sizeof l2);
            l2[e] = logits[e] + 0.01f;
            double up = total(l2, teacher, mask, (enum kernel_objective)k);
            l2[e]     = logits[e] - 0.01f;
            double dn = total(l2, teacher, mask, (enum kernel_objective)k);
            double fd = (up - dn) / (double)((logits[e] + 0.01f) - (logits[e] - 0.01f));
            worst     = fmax(worst, fabs(fd - (double)grad[k][e]));
        }
        check(worst < 2e-3, "%s: gradient vs finite differences, largest gap %.3g", obj_name[k],
              worst);
        bool masked = loss[k][3] == 0.0f;
        for (size_t j = 0; j < V; j++)
            masked &= grad[k][3 * V + j] == 0.0f;
        check(masked, "%s: the masked row has loss 0 and no gradient", obj_name[k]);
        /* the teacher the model's own softmax */
        float self_loss[N], self_grad[N * V];
        distill_forward(self_loss, self_grad, logits, probs, mask, N, V, (enum kernel_objective)k,
                        lambda);
        distill_backward(self_grad, self_grad, probs, mask, 1.0f, N, V, (enum kernel_objective)k,
                         lambda);
        double lmax = 0, gmax = 0;
        for (size_t i = 0; i < N; i++)
            lmax = fmax(lmax, fabs((double)self_loss[i]));
        for (size_t e = 0; e < N * V; e++)
            gmax = fmax(gmax, fabs((double)self_grad[e]));
        check(lmax < 1e-6 && gmax < 1e-6, "%s: 0 against itself (loss %.2g, gradient %.2g)",
              obj_name[k], lmax, gmax);
    }

    /* PyTorch */
    char in[] = "/tmp/sf_distill_XXXXXX";
    int  fd   = mkstemp(in);
    if (!check(fd >= 0, "a temporary file")) return check_summary();
    char out[64];
    snprintf(out, sizeof out, "%s.out", in);
    FILE   *f      = fdopen(fd, "wb");
    int64_t hdr[2] = {N, V};
    fwrite(hdr, sizeof hdr[0], 2, f);
    fwrite(&lambda, sizeof lambda, 1, f);
    fwrite(logits, sizeof(float), N * V, f);
    fwrite(teacher, sizeof(float), N * V, f);
    fwrite(mask, sizeof(int32_t), N, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s'", python, script, in, out);
    int rc = python[0] ? system(cmd) : -1;
    remove(in);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        remove(out);
        printf("SKIP the PyTorch reference did not run\n");
        return getenv("CI") ? 1 : 77;
    }
    double ref_loss[NOBJ][N], ref_grad[NOBJ][N * V];
    FILE  *g = fopen(out, "r");
    char   key[8];
    int    k, i, j;
    double v;
    while (g && fscanf(g, "%7s", key) == 1) {
        if (strcmp(key, "loss") == 0 && fscanf(g, "%d %d %lf", &k, &i, &v) == 3 && k >= 0 &&
            k < NOBJ && i >= 0 && i < N)
            ref_loss[k][i] = v;
        else if (strcmp(key, "grad") == 0 && fscanf(g, "%d %d %d %lf", &k, &i, &j, &v) == 4 &&
                 k >= 0 && k < NOBJ && i >= 0 && i < N && j >= 0 && j < V)
            ref_grad[k][i * V + j] = v;
    }
    if (g) fclose(g);
    remove(out);
    for (k = 0; k < NOBJ; k++) {
        double lw = 0, gw = 0;
        for (i = 0; i < N; i++)
            lw = fmax(lw, fabs((double)loss[k][i] - ref_loss[k][i]) /
                              fmax(fabs(ref_loss[k][i]), 1e-300));
        for (i = 0; i < N * V; i++)
            gw = fmax(gw, fabs((double)grad[k][i] - ref_grad[k][i]));
        check(lw < 1e-6 && gw < 1e-6, "%s vs PyTorch: losses within %.2g relative, gradients %.2g",
              obj_name[k], lw, gw);
    }
    return check_summary();
}
