/*
 * decode.c — greedy decoding: the model's most likely next token, fed back position after
 * position, by the forward pass over the growing prefix (at these lengths the whole window is
 * recomputed at each position; causal attention makes the prefix's logits the same as in one
 * pass).
 */
#include "internal.h"

#include <string.h>

void model_greedy(struct model *m, int32_t *wins, const size_t *prompt, size_t nb, int32_t end,
                  int32_t *scratch, size_t *len) {
    size_t T = m->T, W = T + 1, V = m->V;
    SF_ASSERT(nb <= m->B);
    bool active = false;
    for (size_t b = 0; b < nb; b++) {
        SF_ASSERT(prompt[b] >= 1 && prompt[b] <= T);
        len[b] = 0;
        for (size_t i = prompt[b]; i < W; i++)
            wins[b * W + i] = end; /* nothing after the prompt is seen before it is written */
        active = true;
    }
    bool *done = (bool *)(scratch + nb * T); /* the caller's scratch has room for it */
    memset(done, 0, nb * sizeof *done);
    while (active) {
        for (size_t b = 0; b < nb; b++)
            memcpy(scratch + b * T, wins + b * W, T * sizeof *scratch);
        model_forward(m, scratch, NULL, nb);
        const float *logits = model_logits(m); // (nb, T, V)
        active              = false;
        for (size_t b = 0; b < nb; b++) {
            if (done[b]) continue;
            size_t       t    = prompt[b] + len[b] - 1; /* predicts wins[b][t + 1] */
            const float *row  = logits + (b * T + t) * V;
            size_t       best = 0;
            for (size_t x = 1; x < V; x++)
                if (row[x] > row[best]) best = x;
            wins[b * W + t + 1] = (int32_t)best;
            len[b]++;
            done[b] = (int32_t)best == end || t + 1 == T;
            active |= !done[b];
        }
    }
}
