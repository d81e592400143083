/*
 * report_math.c — the sweep report's section on problems with answers (the math source: the
 * sweep's problems.csv): each run's loss per answer token and per problem and its exact-match
 * accuracy under greedy decoding on the interpolation and extrapolation splits, the laws fitted
 * to each split side by side, and every module and difficulty against N. The answers are a
 * function of the problems, so the data's entropy is exactly zero: a law's constant is the model
 * family's irreducible error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static double sweep_math_cell_impl(const struct sf_csv *t, size_t row, const char *col) {
    long   c = sf_csv_column(t, col);
    double v;
    return c >= 0 && sf_parse_double(t->rows[row].fields[c], &v) ? v : (double)NAN;
}

static const char *sweep_math_str_impl(const struct sf_csv *t, size_t row, const char *col) {
    long c = sf_csv_column(t, col);
    return c < 0 ? "" : t->rows[row].fields[c];
}

/* The main grid's runs that are done, in order of N (row indices into results, *n of them). */
static size_t *sweep_math_runs_impl(const struct sf_csv *results, size_t *n) {
    size_t *rows = malloc((results->n_rows + 1) * sizeof *rows);
    *n           = 0;
    for (size_t i = 0; rows != NULL && i < results->n_rows; i++) {
        if (strcmp(sweep_math_str_impl(results, i, "status"), "done") != 0) continue;
        const char *st = sweep_math_str_impl(results, i, "stage");
        if (st[0] != '\0' && strcmp(st, "main") != 0) continue;
        size_t k = (*n)++;
        double N = sweep_math_cell_impl(results, i, "params_nonembed");
        while (k > 0 && sweep_math_cell_impl(results, rows[k - 1], "params_nonembed") > N) {
            rows[k] = rows[k - 1];
            k--;
        }
        rows[k] = i;
    }
    return rows;
}

/* The laws of each split: every main fit of a loss or error rate, its split from its column. */
static void sweep_math_laws_impl(struct sf_buf *b, const struct sweep_spec *s,
                                 const struct sweep_fit_outcome *fits, size_t n_fits) {
    char n1[32], n2[32], n3[32];
    bool head = false;
    for (size_t i = 0; i < n_fits; i++) {
        const struct sweep_fit *f = fits[i].fit;
        if (fits[i].result == NULL || strcmp(f->stage, "main") != 0) continue;
        const char *y = sweep_fit_y(s, f);
        if (!head)
            sf_buf_puts(b, "| fit | split | y | law | parameters |\n|---|---|---|---|---|\n");
        head = true;
        sf_buf_printf(b, "| %s | %s | `%s` | `%s` |", f->name,
                      strstr(y, "extrap") ? "extrapolation" : "interpolation", y,
                      fit_law_name(f->law));
        const struct fit_result *r = fits[i].result;
        for (size_t j = 0; j < r->p; j++)
            sf_buf_printf(b, "%s %s = %s [%s, %s]", j ? ";" : "", r->param[j].name,
                          sf_fmt_sig(n1, sizeof n1, r->param[j].value.estimate),
                          sf_fmt_sig(n2, sizeof n2, r->param[j].value.lo),
                          sf_fmt_sig(n3, sizeof n3, r->param[j].value.hi));
        sf_buf_puts(b, " |\n");
    }
    if (head) sf_buf_puts(b, "\n");
}

/* Every split, module and difficulty of problems.csv against the runs in order of N. */
static void sweep_math_groups_impl(struct sf_buf *b, const struct sf_csv *p,
                                   const struct sf_csv *results, const size_t *runs, size_t n) {
    char n1[32];
    sf_buf_puts(b, "By module and difficulty (loss per answer token / exact match), one column "
                   "per run in order of N:\n\n| split | module | difficulty |");
    for (size_t k = 0; k < n; k++)
        sf_buf_printf(b, " N = %.3g |", sweep_math_cell_impl(results, runs[k], "params_nonembed"));
    sf_buf_puts(b, "\n|---|---|---|");
    for (size_t k = 0; k < n; k++)
        sf_buf_puts(b, "---|");
    sf_buf_puts(b, "\n");
    /* The groups in the order of the first run's table. */
    const char *first = n ? sweep_math_str_impl(results, runs[0], "run") : "";
    for (size_t i = 0; i < p->n_rows; i++) {
        if (strcmp(sweep_math_str_impl(p, i, "run"), first) != 0) continue;
        const char *split = sweep_math_str_impl(p, i, "split");
        const char *mod   = sweep_math_str_impl(p, i, "module");
        const char *diff  = sweep_math_str_impl(p, i, "difficulty");
        sf_buf_printf(b, "| %s | %s | %s |", split, mod, diff);
        for (size_t k = 0; k < n; k++) {
            const char *run = sweep_math_str_impl(results, runs[k], "run");
            size_t      j   = 0;
            while (j < p->n_rows && !(strcmp(sweep_math_str_impl(p, j, "run"), run) == 0 &&
                                      strcmp(sweep_math_str_impl(p, j, "split"), split) == 0 &&
                                      strcmp(sweep_math_str_impl(p, j, "module"), mod) == 0 &&
                                      strcmp(sweep_math_str_impl(p, j, "difficulty"), diff) == 0))
                j++;
            if (j == p->n_rows) {
                sf_buf_puts(b, " |");
                continue;
            }
            sf_buf_printf(b, " %s / %.0f%% |",
                          sf_fmt_sig(n1, sizeof n1, sweep_math_cell_impl(p, j, "loss_per_token")),
                          100 * sweep_math_cell_impl(p, j, "exact_match"));
        }
        sf_buf_puts(b, "\n");
    }
    sf_buf_puts(b, "\n");
}

void sweep_report_math(struct sf_buf *b, const struct sweep_spec *s, const char *out_dir,
                       const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                       size_t n_fits) {
    char           *path = sf_path_join(out_dir, "problems.csv");
    struct sf_csv   p;
    struct sf_error err;
    if (path == NULL || !sf_path_exists(path) || sf_csv_read(path, &p, &err) != SF_OK) {
        free(path);
        return;
    }
    free(path);
    size_t n, *runs = sweep_math_runs_impl(results, &n);
    char   a[6][32];
    if (runs == NULL || n == 0) {
        free(runs);
        sf_csv_free(&p);
        return;
    }
    sf_buf_puts(b,
                "## Problems: interpolation and extrapolation\n\n"
                "The loss counts the answer tokens only (its end included). The answers are a "
                "function of the problems, so the data's entropy is exactly zero: every law's "
                "constant is the irreducible error of the model family (at this training), not an "
                "entropy, and all of the loss is reducible. Interpolation: unseen problems of the "
                "training modules and difficulties; extrapolation: harder ones "
                "(`problems.csv`, figure `problems`). Exact match: greedy decoding from the "
                "prompt, on every eval problem, at the last evaluation.\n\n"
                "| run | N | C | interpolation: nats/token | nats/problem | exact match | "
                "extrapolation: nats/token | nats/problem | exact match |\n"
                "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < n; k++) {
        size_t i  = runs[k];
        double li = sweep_math_cell_impl(results, i, "final_eval_loss");
        double lx = sweep_math_cell_impl(results, i, "final_extrap_loss");
        double ti = sweep_math_cell_impl(results, i, "sample_tokens");
        double tx = sweep_math_cell_impl(results, i, "extrap_sample_tokens");
        double ei = sweep_math_cell_impl(results, i, "final_eval_error");
        double ex = sweep_math_cell_impl(results, i, "final_extrap_error");
        sf_buf_printf(b, "| %s | %.4g | %.3g | %s | %s | %.1f%% | %s | %s | %.1f%% |\n",
                      sweep_math_str_impl(results, i, "run"),
                      sweep_math_cell_impl(results, i, "params_nonembed"),
                      sweep_math_cell_impl(results, i, "flops_6n"),
                      sf_fmt_sig(a[0], sizeof a[0], li), sf_fmt_sig(a[1], sizeof a[1], li * ti),
                      100 * (1 - ei), sf_fmt_sig(a[2], sizeof a[2], lx),
                      sf_fmt_sig(a[3], sizeof a[3], lx * tx), 100 * (1 - ex));
    }
    sf_buf_puts(b, "\n");
    sweep_math_laws_impl(b, s, fits, n_fits);
    sweep_math_groups_impl(b, &p, results, runs, n);
    free(runs);
    sf_csv_free(&p);
}
