/*
 * test_markov_train.c — a small model trained on a markov source with K = 2 (the previous two
 * symbols matter, so the model must use attention: position t alone holds only x_t) reaches
 * within 3% of the exact bayes_loss, in both the raw eval loss and the control-variate column.
 * The test also shows that the bar needs attention: the best loss without it, the order-1
 * conditional entropy H_1 averaged over the window, lies above 1.03·bayes_loss.
 * Runs through model_run() in a temporary run directory (1500 steps, about 10 s).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "tiny_run.h"

int main(void) {
    char                root[] = "/tmp/sf_mtrain_XXXXXX";
    struct model_config cfg;
    if (!tiny_run_train(root,
                        "data: {source: markov, n_vocab: 4, order: 2, decay: 1.0}\n"
                        "n_layer: 2\nd_model: 32\nn_head: 2\nn_ctx: 16\nbatch: 32\nsteps: 1500\n"
                        "lr: 0.01\neval_points: 4\neval_tokens: 16384\n",
                        &cfg))
        return check_summary();
    struct sf_error     e;
    struct model_markov mk;
    model_markov_init(&mk, &cfg.data, &e);
    double bayes = model_markov_bayes_loss(&mk, (size_t)cfg.n_ctx);
    /* Without attention every position predicts from its own symbol: at best H_1 (position 0
     * has H_1 anyway); averaged over the window that is H_1 itself. */
    double no_attention = mk.cond_H[1];
    check(no_attention > 1.03 * bayes, "attention is needed: H_1 %.5f > 1.03 x bayes_loss %.5f",
          no_attention, 1.03 * bayes);
    model_markov_free(&mk);

    char mpath[600];
    snprintf(mpath, sizeof mpath, "%s/metrics.csv", root);
    char  *text = NULL;
    size_t len;
    sf_read_file(mpath, &text, &len, &e);
    char *last = text;
    for (char *p = text; p && p + 1 < text + len; p++)
        if (*p == '\n') last = p + 1;
    /* step,tokens,flops_6n,flops_exact,lr,train_loss,eval_loss,eval_true_loss,eval_loss_cv,... */
    double v[9];
    char  *p = last;
    for (int i = 0; i < 9 && p; i++) {
        v[i] = strtod(p, &p);
        p    = *p == ',' ? p + 1 : NULL;
    }
    check(p != NULL && v[0] == 1500, "final row at step 1500");
    check(v[6] <= 1.03 * bayes, "eval_loss %.5f within 3%% of bayes_loss %.5f (+%.2f%%)", v[6],
          bayes, 100 * (v[6] / bayes - 1));
    check(v[8] <= 1.03 * bayes, "eval_loss_cv %.5f within 3%% of bayes_loss %.5f (+%.2f%%)", v[8],
          bayes, 100 * (v[8] / bayes - 1));
    check(v[8] >= bayes - 0.005, "eval_loss_cv %.5f not below bayes_loss %.5f beyond noise", v[8],
          bayes);
    free(text);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) return 1;
    return check_summary();
}
