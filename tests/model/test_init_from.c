/*
 * test_init_from.c — a run that starts from another run's weights (run.yaml's init_from):
 *   - a model with a larger vocabulary and context takes a trained parent's weights: every
 *     tensor equals the parent's, the embeddings' first rows too, and the rows past them keep
 *     what a fresh initialisation with the child's seed gives them;
 *   - any other difference of shape (width, depth, an untied head, a smaller vocabulary) and a
 *     run directory without a checkpoint are SF_EINVAL (exit status 2) naming both shapes or
 *     the place;
 *   - a child trained through model_run says where its weights came from (log.txt,
 *     summary.yaml), and one stopped part-way and resumed ends bit-identical to one that was not
 *     (the resume reads its own checkpoint, never the parent's again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "internal.h"
#include "tiny_run.h"

static const char *parent_yaml = "data: {source: markov, n_vocab: 4, order: 2}\n"
                                 "n_layer: 1\nd_model: 16\nn_head: 2\nn_ctx: 8\nbatch: 4\n"
                                 "steps: 20\nlr: 0.01\neval_points: 2\neval_tokens: 64\n";

/* The child's run.yaml: a larger vocabulary and context, weights from the folder above. */
static const char *child_yaml = "data: {source: markov, n_vocab: 6, order: 2}\n"
                                "n_layer: 1\nd_model: 16\nn_head: 2\nn_ctx: 12\nbatch: 4\n"
                                "steps: 12\nlr: 0.01\neval_points: 2\neval_tokens: 96\n"
                                "checkpoint_every: 0\nseed: 7\ndiverge_factor: 0\ninit_from: ..\n";

static struct model *alloc_or_die(const struct model_shape *s) {
    struct sf_error e;
    struct model   *m = model_alloc(s, 1, &e);
    if (m == NULL) {
        sf_error_print(&e, stdout);
        exit(1);
    }
    return m;
}

/* The parameters of a run directory's checkpoint, in a model of `shape`. */
static struct model *load_run(const char *dir, const struct model_shape *shape) {
    char path[700];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    struct model            *m = alloc_or_die(shape);
    struct model_train_state ts;
    struct sf_error          e;
    if (!check(model_checkpoint_load(path, m, &ts, NULL, &e) == SF_OK, "%s loads", path))
        sf_error_print(&e, stdout);
    return m;
}

static bool rows_equal(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void test_weights(const char *parent, const struct model_shape *ps) {
    struct model_shape cs = *ps;
    cs.n_vocab            = 6;
    cs.n_ctx              = 12;
    struct model *child   = alloc_or_die(&cs);
    model_init_params(child, 7);
    float *fresh = malloc(child->n_params * sizeof *fresh);
    memcpy(fresh, child->params, child->n_params * sizeof *fresh);
    struct model_shape from;
    int64_t            step;
    struct sf_error    e;
    enum sf_status     st = model_init_from(child, parent, &from, &step, &e);
    if (!check(st == SF_OK, "init_from a run directory")) sf_error_print(&e, stdout);
    check(step == 20 && from.n_vocab == 4 && from.n_ctx == 8,
          "the checkpoint's step and shape are reported (step %lld, n_vocab %lld, n_ctx %lld)",
          (long long)step, (long long)from.n_vocab, (long long)from.n_ctx);
    struct model *p    = load_run(parent, ps);
    size_t        C    = (size_t)ps->d_model;
    bool          same = true;
    for (int i = 0; i < MODEL_TENSOR_COUNT; i++) {
        if (i == MODEL_TENSOR_WTE || i == MODEL_TENSOR_WPE) continue;
        same &= child->tensors[i].size == p->tensors[i].size &&
                rows_equal(child->params + child->tensors[i].offset,
                           p->params + p->tensors[i].offset, p->tensors[i].size);
    }
    check(same, "every tensor but the embeddings is the parent's, bit for bit");
    const float *cw = model_tensor_ptr(child->params, child, MODEL_TENSOR_WTE);
    const float *pw = model_tensor_ptr(p->params, p, MODEL_TENSOR_WTE);
    const float *fw = model_tensor_ptr(fresh, child, MODEL_TENSOR_WTE);
    check(rows_equal(cw, pw, 4 * C), "token embedding rows 0-3 are the parent's");
    check(rows_equal(cw + 4 * C, fw + 4 * C, 2 * C),
          "token embedding rows 4-5 are the child's fresh initialisation");
    cw = model_tensor_ptr(child->params, child, MODEL_TENSOR_WPE);
    pw = model_tensor_ptr(p->params, p, MODEL_TENSOR_WPE);
    fw = model_tensor_ptr(fresh, child, MODEL_TENSOR_WPE);
    check(rows_equal(cw, pw, 8 * C), "position embedding rows 0-7 are the parent's");
    check(rows_equal(cw + 8 * C, fw + 8 * C, 4 * C),
          "position embedding rows 8-11 are the child's fresh initialisation");
    bool zero = true;
    for (size_t i = 0; i < child->n_params; i++)
        zero &= child->adam_m[i] == 0.0f && child->adam_v[i] == 0.0f;
    check(zero && child->adam_t == 0, "the optimiser starts fresh");
    model_free(p);
    model_free(child);
    free(fresh);
}

/* A shape that does not fit is refused with both shapes named. */
static void expect_refused(const char *parent, struct model_shape s, const char *what,
                           const char *mention) {
    struct model *m = alloc_or_die(&s);
    model_init_params(m, 1);
    struct model_shape from;
    int64_t            step;
    struct sf_error    e;
    sf_error_clear(&e);
    enum sf_status st = model_init_from(m, parent, &from, &step, &e);
    check(st == SF_EINVAL && sf_status_exit_code(st) == 2 && strstr(e.message, mention) != NULL &&
              strstr(e.message, "n_vocab 4") != NULL,
          "%s: refused, exit status 2, naming both shapes (%s)", what, e.message);
    model_free(m);
}

static char *read_text(const char *dir, const char *name) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char           *t = NULL;
    size_t          n;
    struct sf_error e;
    if (sf_read_file(path, &t, &n, &e) != SF_OK) return NULL;
    return t;
}

static enum sf_status train(const char *dir, int64_t stop_after) {
    struct model_run_options o = {.stop_after_step = stop_after};
    struct sf_diags          d;
    struct sf_error          e;
    sf_diag_init(&d);
    sf_error_clear(&e);
    enum sf_status st = model_run(dir, &o, &d, &e);
    if (st != SF_OK && st != SF_EINTERRUPTED) sf_error_print(&e, stdout);
    sf_diag_free(&d);
    return st;
}

static void test_child_runs(const char *parent) {
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/child", parent);
    snprintf(b, sizeof b, "%s/child-stopped", parent);
    for (int k = 0; k < 2; k++) {
        const char *dir = k ? b : a;
        mkdir(dir, 0755);
        char path[720];
        snprintf(path, sizeof path, "%s/run.yaml", dir);
        FILE *f = fopen(path, "w");
        fputs(child_yaml, f);
        fclose(f);
    }
    check(train(a, 0) == SF_OK, "a child run trains from its parent");
    char *log = read_text(a, "log.txt"), *sum = read_text(a, "summary.yaml");
    check(log != NULL && strstr(log, "weights from .. (its step 20), optimiser fresh; n_vocab 4 "
                                     "-> 6, n_ctx 8 -> 12") != NULL,
          "log.txt says where the weights came from");
    check(sum != NULL && strstr(sum, "init_from: ..\n") != NULL, "summary.yaml names init_from");
    free(log);
    free(sum);
    check(train(b, 5) == SF_EINTERRUPTED, "another copy stops at step 5");
    check(train(b, 0) == SF_OK, "and resumes to the end");
    log = read_text(b, "log.txt");
    check(log != NULL && strstr(log, "resuming") != NULL &&
              strstr(strstr(log, "resuming"), "weights from") == NULL,
          "the resume reads its own checkpoint, not the parent's");
    free(log);
    struct model_shape cs = {.n_layer        = 1,
                             .d_model        = 16,
                             .n_head         = 2,
                             .d_ff           = 64,
                             .d_attn         = 16,
                             .n_ctx          = 12,
                             .n_vocab        = 6,
                             .tie_embeddings = true};
    struct model      *ma = load_run(a, &cs), *mb = load_run(b, &cs);
    check(rows_equal(ma->params, mb->params, ma->n_params) &&
              rows_equal(ma->adam_m, mb->adam_m, ma->n_params),
          "stopped and resumed = uninterrupted, bit for bit");
    model_free(ma);
    model_free(mb);
}

int main(void) {
    char                root[] = "/tmp/sf_init_from_XXXXXX";
    struct model_config pcfg;
    if (!tiny_run_train(root, parent_yaml, &pcfg)) return check_summary();
    struct model_shape ps = model_config_shape(&pcfg);
    test_weights(root, &ps);
    struct model_shape s = ps;
    s.d_model            = 24;
    s.d_attn             = 24;
    s.d_ff               = 96;
    expect_refused(root, s, "another width", "d_model 24");
    s         = ps;
    s.n_layer = 2;
    expect_refused(root, s, "another depth", "n_layer 2");
    s                = ps;
    s.tie_embeddings = false;
    expect_refused(root, s, "an untied head", "untied head");
    s         = ps;
    s.n_vocab = 3;
    expect_refused(root, s, "a smaller vocabulary", "n_vocab 3");
    /* A run directory with no checkpoint yet. */
    char empty[700];
    snprintf(empty, sizeof empty, "%s/untrained", root);
    mkdir(empty, 0755);
    struct model      *m = alloc_or_die(&ps);
    struct model_shape from;
    int64_t            step;
    struct sf_error    e;
    sf_error_clear(&e);
    check(model_init_from(m, empty, &from, &step, &e) == SF_EINVAL && strcmp(e.where, empty) == 0 &&
              strstr(e.message, "no checkpoint.bin") != NULL,
          "a run directory without a checkpoint: refused at its path (%s)", e.message);
    model_free(m);
    test_child_runs(root);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) printf("could not remove %s\n", root);
    return check_summary();
}
