/*
 * test_math.c — the `math` source (source_math.c) against what it must be:
 *   - the generator: 300 problems of every module at every difficulty 1..9, rendered as text and
 *     checked by tests/ref/model_math_ref.py with Python's integers (arbitrary precision): the
 *     exact format, operands of exactly d digits, the right answer; none longer than
 *     model_math_max_len;
 *   - the splits (modules all, difficulty 1, 2, extrapolation 3, holdout 0.1): every eval problem
 *     is held out and of a training difficulty, none of 20,000 training problems is held out and
 *     no training problem's text is an eval problem's; the extrapolation split has difficulty 3
 *     only, 100 problems of each module;
 *   - the loss mask: exactly the answer's predictions count (from `=`'s to `.`'s), in eval
 *     windows and as MODEL_IGNORE elsewhere in training batches; problems start at offsets
 *     covering the whole window;
 *   - determinism: the same batch for the same (seed, step), the same eval set when opened again,
 *     another eval set under another data seed; the predictive is one-hot on the answer;
 *   - a trained run: problems.csv's exact matches from greedy decoding, weighted by problems,
 *     equal 1 − the last eval_error (interpolation) and 1 − eval_extrap_error (the same
 *     criterion from one teacher-forced pass), its answer tokens summary.yaml's sample_tokens,
 *     eval_kl equals eval_loss (the entropy is zero), and positions.csv's losses average to
 *     eval_loss.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "internal.h"
#include "tiny_run.h"

/* The problem of a window (its text), parsed back into operands: false when it does not parse. */
static bool parse_window(const int32_t *w, size_t W, struct model_math_problem *p, char *text) {
    size_t i = 0, k = 0, n = 0;
    while (i < W && w[i] == MODEL_MATH_PAD)
        i++;
    int d;
    model_math_classify(w, &p->module, &d);
    p->difficulty = d;
    p->a[0] = p->a[1] = p->a[2] = 0;
    if (w[i] == MODEL_MATH_SORT_MARK) text[k++] = 's', i++;
    for (; i < W && w[i] != MODEL_MATH_EQUALS; i++) {
        text[k++] = model_math_token_char(w[i]);
        if (w[i] <= 9)
            p->a[n] = p->a[n] * 10 + (uint64_t)w[i];
        else if (++n > 2)
            return false;
    }
    for (; i < W && w[i] != MODEL_MATH_PAD; i++)
        text[k++] = model_math_token_char(w[i]);
    text[k] = '\0';
    return i < W || w[W - 1] == MODEL_MATH_END;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int test_generator(const char *python, const char *script) {
    char  path[] = "/tmp/sf_math_XXXXXX";
    int   fd     = mkstemp(path);
    FILE *f      = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!check(f != NULL, "a temporary file for the problems")) return 1;
    struct model_rng r;
    model_rng_seed(&r, 42);
    bool fits = true;
    for (int m = 0; m < MODEL_MATH_MODULE_COUNT; m++)
        for (int d = 1; d <= MODEL_MATH_MAX_DIFFICULTY; d++)
            for (int k = 0; k < 300; k++) {
                struct model_math_problem p;
                model_math_draw(&p, (enum model_math_module)m, d, &r);
                int32_t tok[MODEL_MATH_MAX_WINDOW];
                size_t  prompt, n = model_math_render(&p, tok, &prompt);
                fits &= n <= model_math_max_len(p.module, d) && n <= MODEL_MATH_MAX_WINDOW &&
                        tok[prompt - 1] == MODEL_MATH_EQUALS;
                fprintf(f, "%s %d ", model_math_module_names[m], d);
                for (size_t i = 0; i < n; i++)
                    fputc(model_math_token_char(tok[i]), f);
                fputc('\n', f);
            }
    fclose(f);
    check(fits, "every problem within model_math_max_len, its prompt ending at '='");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python, script, path);
    int rc = python[0] ? system(cmd) : -1;
    remove(path);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) == 126 || WEXITSTATUS(rc) == 127) return 77;
    check(WEXITSTATUS(rc) == 0, "16,200 problems checked by Python's integers");
    return 0;
}

static struct model_config math_config(uint64_t seed) {
    struct model_config cfg   = model_config_default();
    cfg.data.source           = MODEL_SOURCE_MATH;
    cfg.data.math_difficulty  = 3u;
    cfg.data.math_extrapolate = 4u;
    cfg.data.seed             = seed;
    cfg.n_ctx                 = 26;
    cfg.eval_tokens           = 26 * 600;
    return cfg;
}

static void test_splits(void) {
    struct model_config cfg = math_config(5);
    struct model_data   d, d2, d3;
    struct sf_error     e;
    if (!check(model_data_open(&d, &cfg, NULL, &e) == SF_OK, "the math source opens")) return;
    size_t T = d.T, W = T + 1;
    check(d.n_vocab == MODEL_MATH_VOCAB && d.n_eval_win == 600 && d.n_extrap_win == 600,
          "22 tokens, 600 eval and 600 extrapolation windows");
    char **eval_text = malloc(d.n_eval_win * sizeof *eval_text);
    bool   held = true, counted = true, kinds = true;
    size_t answer = 0;
    for (size_t i = 0; i < d.n_eval_win; i++) {
        const int32_t            *w = d.eval_win + i * W;
        struct model_math_problem p;
        eval_text[i] = malloc(W + 1);
        kinds &= parse_window(w, W, &p, eval_text[i]);
        held &= model_math_held_out(&p, d.math.holdout_key, 0.1) && p.difficulty <= 2;
        /* the mask: from the prediction after '=' to the one of '.' */
        bool in = false;
        for (size_t t = 0; t < T; t++) {
            if (w[t] == MODEL_MATH_EQUALS && !in) in = true;
            bool want = in && w[t + 1] != MODEL_MATH_PAD;
            counted &= model_data_counted(&d, w, t) == want;
            answer += want;
            if (w[t + 1] == MODEL_MATH_END) in = false;
        }
        double        plogp = 1.0;
        const double *row   = d.entry->ops->predictive(&d, w, T - 1, &plogp);
        counted &= row[w[T]] == 1.0 && plogp == 0.0;
    }
    check(kinds, "every eval window holds one problem that parses");
    check(held, "every eval problem is held out, at difficulty 1 or 2");
    check(counted, "exactly the answers' predictions count; the predictive is one-hot");
    check_rel((double)answer / (double)d.n_eval_win, d.info.sample_tokens, 1e-12,
              "sample_tokens: the answer tokens per problem");
    check(d.info.entropy_rate == 0.0 && d.info.bayes_loss == 0.0, "the entropy is zero");
    qsort(eval_text, d.n_eval_win, sizeof *eval_text, cmp_str);

    /* training: 20,000 problems in batches of 100 */
    enum { B = 100, STEPS = 200 };
    int32_t *in = malloc(B * T * sizeof *in), *tg = malloc(B * T * sizeof *tg);
    bool     never = true, masked = true, parsed = true;
    size_t   seen = 0, off_lo = W, off_hi = 0, d1[MODEL_MATH_MODULE_COUNT] = {0};
    char     text[64];
    int32_t  w[64];
    for (int64_t step = 1; step <= STEPS; step++) {
        model_data_batch(&d, step, B, in, tg);
        for (size_t b = 0; b < B; b++) {
            memcpy(w, in + b * T, T * sizeof *w);
            w[T] = MODEL_MATH_PAD;
            for (size_t t = 0; t < T; t++)
                if (tg[b * T + t] != MODEL_IGNORE) w[t + 1] = tg[b * T + t];
            struct model_math_problem p;
            parsed &= parse_window(w, W, &p, text);
            never &= !model_math_held_out(&p, d.math.holdout_key, 0.1) && p.difficulty <= 2;
            const char *key = text;
            never &= bsearch(&key, eval_text, d.n_eval_win, sizeof *eval_text, cmp_str) == NULL;
            size_t off = 0;
            while (w[off] == MODEL_MATH_PAD)
                off++;
            off_lo = off < off_lo ? off : off_lo;
            off_hi = off > off_hi ? off : off_hi;
            if (p.difficulty == 1) d1[p.module]++;
            for (size_t t = 0; t < T; t++)
                masked &= (tg[b * T + t] != MODEL_IGNORE) == model_data_counted(&d, w, t);
            seen++;
        }
    }
    check(parsed && seen == B * STEPS, "20,000 training problems parse");
    check(never, "no training problem is held out or has the text of an eval problem");
    check(masked, "training targets outside the answers are MODEL_IGNORE");
    check(off_lo == 0 && off_hi >= 20, "problems start anywhere in the window (offsets %zu..%zu)",
          off_lo, off_hi);
    bool all = true;
    for (int m = 0; m < MODEL_MATH_MODULE_COUNT; m++)
        all &= d1[m] > 0;
    check(all, "every module drawn at difficulty 1");

    /* the extrapolation split */
    bool   ex                           = true;
    size_t per[MODEL_MATH_MODULE_COUNT] = {0};
    for (size_t i = 0; i < d.n_extrap_win; i++) {
        enum model_math_module m;
        int                    k;
        model_math_classify(d.extrap_win + i * W, &m, &k);
        ex &= k == 3;
        per[m]++;
    }
    for (int m = 0; m < MODEL_MATH_MODULE_COUNT; m++)
        ex &= per[m] == 100;
    check(ex, "the extrapolation split: difficulty 3 only, 100 problems of each module");

    /* determinism */
    int32_t *in2 = malloc(B * T * sizeof *in2), *tg2 = malloc(B * T * sizeof *tg2);
    model_data_batch(&d, 17, B, in, tg);
    model_data_batch(&d, 17, B, in2, tg2);
    check(memcmp(in, in2, B * T * sizeof *in) == 0 && memcmp(tg, tg2, B * T * sizeof *tg) == 0,
          "the same batch for the same step");
    if (check(model_data_open(&d2, &cfg, NULL, &e) == SF_OK, "opens again")) {
        check(memcmp(d.eval_win, d2.eval_win, d.n_eval_win * W * sizeof *d.eval_win) == 0 &&
                  memcmp(d.extrap_win, d2.extrap_win, d.n_extrap_win * W * sizeof *d.eval_win) ==
                      0 &&
                  strcmp(d.info.sha256, d2.info.sha256) == 0,
              "the same eval and extrapolation windows and hash when opened again");
        model_data_free(&d2);
    }
    struct model_config other = math_config(6);
    if (check(model_data_open(&d3, &other, NULL, &e) == SF_OK, "opens under another seed")) {
        check(memcmp(d.eval_win, d3.eval_win, d.n_eval_win * W * sizeof *d.eval_win) != 0 &&
                  strcmp(d.info.sha256, d3.info.sha256) != 0,
              "another data seed, other eval windows and another hash");
        model_data_free(&d3);
    }
    for (size_t i = 0; i < d.n_eval_win; i++)
        free(eval_text[i]);
    free(eval_text);
    free(in), free(tg), free(in2), free(tg2);
    model_data_free(&d);
}

/* The n-th field of the last line of a CSV file (whole file text). */
static double last_field(const char *text, int n) {
    const char *end = text + strlen(text) - 1, *p = end;
    while (p > text && p[-1] != '\n')
        p--;
    for (int i = 0; i < n; i++)
        p = strchr(p, ',') + 1;
    return *p == ',' ? NAN : strtod(p, NULL);
}

static char *slurp_file(const char *path) {
    char           *t = NULL;
    size_t          n;
    struct sf_error e;
    return sf_read_file(path, &t, &n, &e) == SF_OK ? t : NULL;
}

static void test_trained(void) {
    char                root[] = "/tmp/sf_math_run_XXXXXX";
    struct model_config cfg;
    static const char   yaml[] = "data: {source: math, modules: [add, compare, rem], "
                                 "difficulty: [1, 2], extrapolate: [3], seed: 3}\n"
                                 "n_layer: 2\nd_model: 32\nn_head: 2\nn_ctx: 18\n"
                                 "steps: 300\nbatch: 32\nlr: 3e-3\neval_points: 3\n"
                                 "eval_tokens: 3000\nseed: 1\n";
    if (!tiny_run_train(root, yaml, &cfg)) return;
    char path[700];
    snprintf(path, sizeof path, "%s/metrics.csv", root);
    char *m = slurp_file(path);
    if (!check(m != NULL, "metrics.csv")) return;
    double ev = last_field(m, 6), kl = last_field(m, 9), er = last_field(m, 10);
    double xl = last_field(m, 13), xe = last_field(m, 14);
    free(m);
    check(isfinite(xl) && xl > 0, "eval_extrap_loss %g", xl);
    check_rel(kl, ev, 1e-6, "eval_kl equals eval_loss: the data's entropy is zero");
    snprintf(path, sizeof path, "%s/problems.csv", root);
    struct sf_csv   csv;
    struct sf_error e;
    if (!check(sf_csv_read(path, &csv, &e) == SF_OK, "problems.csv written")) return;
    double n[2] = {0}, ok[2] = {0}, tok[2] = {0};
    bool   shape = csv.n_cols == 8 && csv.n_rows == 9;
    for (size_t r = 0; r < csv.n_rows && shape; r++) {
        const char *const *f  = (const char *const *)csv.rows[r].fields;
        int                x  = strcmp(f[0], "extrapolation") == 0;
        double             np = atof(f[3]), a = atof(f[4]), lt = atof(f[5]), lp = atof(f[6]);
        n[x] += np;
        ok[x] += np * atof(f[7]);
        tok[x] += np * a;
        shape &= fabs(lp - lt * a) <= 1e-9 * lp && (x ? atoi(f[2]) == 3 : atoi(f[2]) <= 2);
    }
    sf_csv_free(&csv);
    check(shape, "9 rows (3 modules at difficulties 1, 2 and 3), loss per problem = per token × "
                 "answer tokens");
    check_abs(ok[0] / n[0], 1.0 - er, 1e-12,
              "greedy decoding's exact matches = 1 − eval_error (interpolation)");
    check_abs(ok[1] / n[1], 1.0 - xe, 1e-12,
              "greedy decoding's exact matches = 1 − eval_extrap_error (extrapolation)");
    snprintf(path, sizeof path, "%s/summary.yaml", root);
    char *s  = slurp_file(path);
    char *st = s ? strstr(s, "\nsample_tokens: ") : NULL;
    char *xt = s ? strstr(s, "\nextrap_sample_tokens: ") : NULL;
    check(st && xt && fabs(atof(st + 16) - tok[0] / n[0]) < 1e-9 &&
              fabs(atof(xt + 23) - tok[1] / n[1]) < 1e-9 && strstr(s, "sample_unit: problem"),
          "summary.yaml's sample_tokens are problems.csv's answer tokens");
    free(s);
    snprintf(path, sizeof path, "%s/positions.csv", root);
    if (check(sf_csv_read(path, &csv, &e) == SF_OK, "positions.csv written")) {
        double sl = 0, sn = 0;
        for (size_t r = 0; r < csv.n_rows; r++)
            if (csv.rows[r].fields[2][0] != '\0')
                sl += atof(csv.rows[r].fields[1]) * atof(csv.rows[r].fields[2]),
                    sn += atof(csv.rows[r].fields[1]);
        check_rel(sl / sn, ev, 1e-9, "positions.csv averages to eval_loss");
        sf_csv_free(&csv);
    }
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    check(system(cmd) == 0, "%s removed", root);
}

int main(int argc, char **argv) {
    int rc = test_generator(argc > 2 ? argv[1] : "", argc > 2 ? argv[2] : "");
    test_splits();
    test_trained();
    int verdict = check_summary();
    return verdict != 0 ? verdict : rc;
}
