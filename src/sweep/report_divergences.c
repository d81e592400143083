/*
 * report_divergences.c — the sweep report's section on the divergences to the truth (sources
 * that know their next-token distribution): each divergence's exponent as a pure power law in N
 * and on its own compute frontier, beside forward KL's, with the ratio of the exponents that the
 * expansion near the truth predicts (reverse KL, 4·JS, 4·H² and Cauchy–Schwarz second order like
 * the KL: ratio 1; total variation first order: ratio 1/2), and each run's ratios of the
 * divergences themselves (RKL/KL, 4·JS/KL, 4·H²/KL, which are 1 near the truth): where they leave
 * 1 by more than 10% the models are outside that regime.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const sweep_divergence_names[SWEEP_N_DIVERGENCES] = {"kl", "rkl", "js",
                                                                 "tv", "h2",  "cs"};

int sweep_divergence_of(const char *y) {
    const char *n = strncmp(y, "best_", 5) == 0 ? y + 5 : y;
    if (strncmp(n, "eval_", 5) != 0) return -1;
    for (int k = 0; k < SWEEP_N_DIVERGENCES; k++)
        if (strcmp(n + 5, sweep_divergence_names[k]) == 0) return k;
    return -1;
}

/* The exponent of a pure power law (its last parameter) with its interval; NULL when none. */
static const struct fit_param *sweep_div_exponent_impl(const struct sweep_fit_outcome *fits,
                                                       size_t n_fits, int k, bool curves) {
    for (size_t i = 0; i < n_fits; i++) {
        const struct sweep_fit *f = fits[i].fit;
        if (fits[i].result == NULL || strcmp(f->stage, "main") != 0 ||
            fit_law_has_constant(f->law) || fit_law_fits_curves(f->law) != curves ||
            sweep_divergence_of(f->y) != k)
            continue;
        const struct fit_result *r = fits[i].result;
        for (size_t j = 0; j < r->p; j++)
            if (strncmp(r->param[j].name, "alpha", 5) == 0) return &r->param[j];
    }
    return NULL;
}

static void sweep_div_cell_impl(struct sf_buf *b, const struct fit_param *a,
                                const struct fit_param *kl, double expect) {
    char n1[32], n2[32], n3[32];
    if (a == NULL) {
        sf_buf_puts(b, " | |");
        return;
    }
    sf_buf_printf(b, " %s [%s, %s] |", sf_fmt_sig(n1, sizeof n1, a->value.estimate),
                  sf_fmt_sig(n2, sizeof n2, a->value.lo), sf_fmt_sig(n3, sizeof n3, a->value.hi));
    if (kl == NULL || !(kl->value.estimate > 0)) {
        sf_buf_puts(b, " |");
        return;
    }
    /* The ratio's interval from the two intervals' ends (the widest it can be). */
    double r  = a->value.estimate / kl->value.estimate;
    double lo = a->value.lo / kl->value.hi, hi = a->value.hi / kl->value.lo;
    bool   in = isfinite(lo) && isfinite(hi) && expect >= lo && expect <= hi;
    /* An interval of zero width (a bootstrap whose replicates all agree) gives no verdict. */
    const char *verdict = !(hi > lo) ? "no interval: no verdict on" : in ? "holds" : "**misses**";
    sf_buf_printf(b, " %s [%s, %s] (%s %g) |", sf_fmt_sig(n1, sizeof n1, r),
                  sf_fmt_sig(n2, sizeof n2, lo), sf_fmt_sig(n3, sizeof n3, hi), verdict, expect);
}

void sweep_report_divergences(struct sf_buf *b, const struct sf_csv *results,
                              const struct sweep_fit_outcome *fits, size_t n_fits) {
    long c[SWEEP_N_DIVERGENCES];
    bool any = false;
    for (int k = 0; k < SWEEP_N_DIVERGENCES; k++) {
        char col[32];
        snprintf(col, sizeof col, "best_eval_%s", sweep_divergence_names[k]);
        c[k] = sf_csv_column(results, col);
    }
    long c_n = sf_csv_column(results, "params_nonembed"), c_s = sf_csv_column(results, "status");
    long c_g = sf_csv_column(results, "stage");
    for (size_t i = 0; c[0] >= 0 && c[2] >= 0 && i < results->n_rows; i++)
        any |= results->rows[i].fields[c[2]][0] != '\0';
    if (!any || c_n < 0 || c_s < 0) return;
    static const char *const label[SWEEP_N_DIVERGENCES] = {"forward KL(p‖q)",   "reverse KL(q‖p)",
                                                           "Jensen–Shannon",    "total variation",
                                                           "squared Hellinger", "Cauchy–Schwarz"};
    static const double      expect[SWEEP_N_DIVERGENCES] = {1, 1, 1, 0.5, 1, 1};
    sf_buf_puts(b, "## Divergences to the truth\n\n"
                   "Each divergence of the model's q from the source's p at every eval position "
                   "(metrics.csv's eval_kl, eval_rkl, eval_js, eval_tv, eval_h2, eval_cs), fitted "
                   "as a pure power law in N (`best_eval_*`, at the evaluation of the best loss) "
                   "and on its own compute frontier. Near the truth the KLs, 4·JS, 4·H² and the "
                   "Cauchy–Schwarz divergence are second order in q − p and total variation first "
                   "order, so each exponent should be forward KL's (ratio 1), total variation's "
                   "half of it; the ratio's interval is the widest the two intervals allow.\n\n"
                   "| divergence | alpha in N | ratio to KL's | alpha in C | ratio to KL's |\n"
                   "|---|---|---|---|---|\n");
    const struct fit_param *kl_n = sweep_div_exponent_impl(fits, n_fits, 0, false);
    const struct fit_param *kl_c = sweep_div_exponent_impl(fits, n_fits, 0, true);
    bool                    rkl  = false;
    for (size_t i = 0; c[1] >= 0 && i < results->n_rows; i++)
        rkl |= results->rows[i].fields[c[1]][0] != '\0';
    for (int k = 0; k < SWEEP_N_DIVERGENCES; k++) {
        sf_buf_printf(b, "| %s |", label[k]);
        if (k == 1 && !rkl) {
            sf_buf_puts(b, " undefined: p gives some tokens probability 0, which q never does | "
                           "| | |\n");
            continue;
        }
        sweep_div_cell_impl(b, sweep_div_exponent_impl(fits, n_fits, k, false), k ? kl_n : NULL,
                            expect[k]);
        sweep_div_cell_impl(b, sweep_div_exponent_impl(fits, n_fits, k, true), k ? kl_c : NULL,
                            expect[k]);
        sf_buf_puts(b, "\n");
    }
    /* Each run's ratios of the divergences themselves. */
    sf_buf_puts(b,
                "\nEach run (main grid, done) at its best evaluation: the ratios that are 1 near "
                "the truth, and TV²/KL (at most 1/2, by Pinsker's inequality):\n\n"
                "| N | KL | RKL/KL | 4·JS/KL | 4·H²/KL | TV²/KL | within 10% of 1 |\n"
                "|---|---|---|---|---|---|---|\n");
    double n_leave = NAN;
    for (size_t i = 0; i < results->n_rows; i++) {
        char **f = results->rows[i].fields;
        double v[SWEEP_N_DIVERGENCES], N;
        if (strcmp(f[c_s], "done") != 0 || (c_g >= 0 && strcmp(f[c_g], "main") != 0) ||
            !sf_parse_double(f[c_n], &N) || !sf_parse_double(f[c[0]], &v[0]) || !(v[0] > 0))
            continue;
        for (int k = 1; k < SWEEP_N_DIVERGENCES; k++)
            if (c[k] < 0 || !sf_parse_double(f[c[k]], &v[k])) v[k] = NAN;
        double r1 = v[1] / v[0], r2 = 4 * v[2] / v[0], r3 = 4 * v[4] / v[0];
        bool   near =
            (isnan(r1) || fabs(r1 - 1) <= 0.1) && fabs(r2 - 1) <= 0.1 && fabs(r3 - 1) <= 0.1;
        if (!near && (isnan(n_leave) || N > n_leave)) n_leave = N;
        char a[5][32];
        sf_buf_printf(b, "| %.4g | %s | %s | %s | %s | %s | %s |\n", N,
                      sf_fmt_sig(a[0], sizeof a[0], v[0]),
                      isnan(r1) ? "–" : sf_fmt_sig(a[1], sizeof a[1], r1),
                      sf_fmt_sig(a[2], sizeof a[2], r2), sf_fmt_sig(a[3], sizeof a[3], r3),
                      sf_fmt_sig(a[4], sizeof a[4], v[3] * v[3] / v[0]), near ? "yes" : "**no**");
    }
    if (isnan(n_leave))
        sf_buf_puts(b, "\nEvery run is within 10% of the near-truth regime.\n\n");
    else
        sf_buf_printf(b,
                      "\nThe models leave the near-truth regime (a ratio more than 10%% from 1) "
                      "up to N = %.4g.\n\n",
                      n_leave);
}
