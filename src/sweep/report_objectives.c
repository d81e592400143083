/*
 * report_objectives.c — the sweep report's section on a sweep over training objectives
 * (`train.objective` as a list: token training and distillation onto the truth): for each
 * objective the exponent of its forward KL to the truth in N and on its compute frontier (the
 * fits that keep that objective), and at compute levels spread over the sweep the lowest forward
 * KL each objective's runs had reached by then (the running minimum of curves.csv's eval_kl over
 * compute ≤ C), with the objective that is lowest: which objective gives the lowest forward KL at
 * a given compute, and whether it changes the exponent. Also the section on a stage of students
 * (teachers of several sizes distilled into students of several sizes).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The objective a fit keeps (its filter "objective=NAME"), or NULL. */
static const char *sweep_fit_objective_impl(const struct sweep_fit *f) {
    for (size_t k = 0; k < f->n_filters; k++)
        if (strncmp(f->filters[k], "objective=", 10) == 0) return f->filters[k] + 10;
    return NULL;
}

/* The exponent (a parameter named alpha…) of the first main fit of `objective` fitted to
 * curves (or not), with y divergence `div` (sweep_divergence_names); NULL when none. */
static const struct fit_param *sweep_obj_alpha_impl(const struct sweep_fit_outcome *fits,
                                                    size_t n_fits, const char *objective, int div,
                                                    bool curves) {
    for (size_t i = 0; i < n_fits; i++) {
        const struct sweep_fit *f = fits[i].fit;
        const char             *o = sweep_fit_objective_impl(f);
        if (fits[i].result == NULL || o == NULL || strcmp(o, objective) != 0 ||
            fit_law_fits_curves(f->law) != curves || sweep_divergence_of(f->y) != div)
            continue;
        for (size_t j = 0; j < fits[i].result->p; j++)
            if (strncmp(fits[i].result->param[j].name, "alpha", 5) == 0)
                return &fits[i].result->param[j];
    }
    return NULL;
}

/* The lowest eval_kl of the objective's done main runs at compute ≤ c (NaN: none yet). */
static double sweep_obj_best_impl(const struct sf_csv *curves, const char *const *done, size_t nd,
                                  const char *objective, double c) {
    long   c_r = sf_csv_column(curves, "run"), c_o = sf_csv_column(curves, "objective");
    long   c_c = sf_csv_column(curves, "flops_6n"), c_k = sf_csv_column(curves, "eval_kl");
    double best = NAN;
    for (size_t i = 0; c_r >= 0 && c_o >= 0 && c_c >= 0 && c_k >= 0 && i < curves->n_rows; i++) {
        char **f = curves->rows[i].fields;
        double x, k;
        if (strcmp(f[c_o], objective) != 0 || !sf_parse_double(f[c_c], &x) || x > c ||
            !sf_parse_double(f[c_k], &k))
            continue;
        bool ok = false;
        for (size_t j = 0; j < nd && !ok; j++)
            ok = strcmp(done[j], f[c_r]) == 0;
        if (ok && (isnan(best) || k < best)) best = k;
    }
    return best;
}

void sweep_report_objectives(struct sf_buf *b, const struct sweep_spec *s,
                             const struct sf_csv *results, const struct sf_csv *curves,
                             const struct sweep_fit_outcome *fits, size_t n_fits) {
    if (s->n_objectives == 0 || curves == NULL) return;
    /* the done main runs and the compute they span */
    long c_r = sf_csv_column(results, "run"), c_s = sf_csv_column(results, "status");
    long c_g = sf_csv_column(results, "stage"), c_c = sf_csv_column(results, "flops_6n");
    if (c_r < 0 || c_s < 0 || c_c < 0) return;
    const char **done = calloc(results->n_rows + 1, sizeof *done);
    size_t       nd   = 0;
    double       clo = NAN, chi = NAN;
    for (size_t i = 0; done != NULL && i < results->n_rows; i++) {
        char **f = results->rows[i].fields;
        double c;
        if (strcmp(f[c_s], "done") != 0 || (c_g >= 0 && strcmp(f[c_g], "main") != 0) ||
            !sf_parse_double(f[c_c], &c))
            continue;
        done[nd++] = f[c_r];
        clo        = isnan(clo) ? c : fmin(clo, c);
        chi        = isnan(chi) ? c : fmax(chi, c);
    }
    if (nd == 0) {
        free(done);
        return;
    }
    char a[4][32];
    sf_buf_puts(b,
                "## Objectives\n\n"
                "One grid per training objective; every run is evaluated the same way, on the "
                "sampled tokens and against the truth (eval_kl: the forward KL of the model from "
                "the source, the loss people care about). Exponents of each objective's forward "
                "KL, a pure power law in N (`KL_N_*`, at the best evaluation) and on its "
                "compute frontier (`KL_C_*`):\n\n"
                "| objective | alpha in N | alpha in C |\n|---|---|---|\n");
    for (size_t o = 0; o < s->n_objectives; o++) {
        const char *name = model_objective_names[s->objectives[o]];
        sf_buf_printf(b, "| %s |", name);
        for (int curves_law = 0; curves_law < 2; curves_law++) {
            const struct fit_param *p = sweep_obj_alpha_impl(fits, n_fits, name, 0, curves_law);
            if (p == NULL)
                sf_buf_puts(b, " |");
            else
                sf_buf_printf(b, " %s [%s, %s] |", sf_fmt_sig(a[0], sizeof a[0], p->value.estimate),
                              sf_fmt_sig(a[1], sizeof a[1], p->value.lo),
                              sf_fmt_sig(a[2], sizeof a[2], p->value.hi));
        }
        sf_buf_puts(b, "\n");
    }
    /* every other divergence to the truth: its exponent on the compute frontier, by objective */
    bool any_other = false;
    for (int k = 1; k < SWEEP_N_DIVERGENCES && !any_other; k++)
        for (size_t o = 0; o < s->n_objectives && !any_other; o++)
            any_other = sweep_obj_alpha_impl(fits, n_fits, model_objective_names[s->objectives[o]],
                                             k, true) != NULL;
    if (any_other) {
        sf_buf_puts(b, "\nEvery divergence to the truth, its exponent on its own compute frontier "
                       "(`D_C_*`; in N: `D_N_*`) by objective:\n\n| divergence |");
        for (size_t o = 0; o < s->n_objectives; o++)
            sf_buf_printf(b, " %s |", model_objective_names[s->objectives[o]]);
        sf_buf_puts(b, "\n|---|");
        for (size_t o = 0; o < s->n_objectives; o++)
            sf_buf_puts(b, "---|");
        sf_buf_puts(b, "\n");
        for (int k = 0; k < SWEEP_N_DIVERGENCES; k++) {
            sf_buf_printf(b, "| %s |", sweep_divergence_names[k]);
            for (size_t o = 0; o < s->n_objectives; o++) {
                const struct fit_param *p = sweep_obj_alpha_impl(
                    fits, n_fits, model_objective_names[s->objectives[o]], k, true);
                if (p == NULL)
                    sf_buf_puts(b, " |");
                else
                    sf_buf_printf(b, " %s [%s, %s] |",
                                  sf_fmt_sig(a[0], sizeof a[0], p->value.estimate),
                                  sf_fmt_sig(a[1], sizeof a[1], p->value.lo),
                                  sf_fmt_sig(a[2], sizeof a[2], p->value.hi));
            }
            sf_buf_puts(b, "\n");
        }
    }
    /* the lowest forward KL reached by each compute level: 5 levels, log-spaced from a tenth of
     * the smallest run's compute to the largest's */
    sf_buf_puts(b, "\nThe lowest forward KL each objective's runs had reached by a given compute "
                   "(their running minimum of eval_kl over every evaluation at C = 6ND or less), "
                   "and the objective lowest there:\n\n| C |");
    for (size_t o = 0; o < s->n_objectives; o++)
        sf_buf_printf(b, " %s |", model_objective_names[s->objectives[o]]);
    sf_buf_puts(b, " lowest |\n|---|");
    for (size_t o = 0; o <= s->n_objectives; o++)
        sf_buf_puts(b, "---|");
    sf_buf_puts(b, "\n");
    for (int k = 0; k < 5; k++) {
        double c = clo / 10 * pow(chi / (clo / 10), (double)k / 4);
        sf_buf_printf(b, "| %.3g |", c);
        double      best = NAN;
        const char *win  = "–";
        for (size_t o = 0; o < s->n_objectives; o++) {
            const char *name = model_objective_names[s->objectives[o]];
            double      v    = sweep_obj_best_impl(curves, done, nd, name, c);
            sf_buf_printf(b, " %s |", isnan(v) ? "–" : sf_fmt_sig(a[3], sizeof a[3], v));
            if (!isnan(v) && (isnan(best) || v < best)) best = v, win = name;
        }
        sf_buf_printf(b, " %s |\n", win);
    }
    sf_buf_puts(b, "\n");
    free(done);
}

/* The exponent of the first fit of stage `stage` that keeps parent_params=N and fits y (NULL:
 * none). */
static const struct fit_param *sweep_student_alpha_impl(const struct sweep_fit_outcome *fits,
                                                        size_t n_fits, const char *stage, double N,
                                                        const char *y) {
    char want[64];
    snprintf(want, sizeof want, "parent_params=%.17g", N);
    for (size_t i = 0; i < n_fits; i++) {
        const struct sweep_fit *f     = fits[i].fit;
        bool                    keeps = false;
        for (size_t k = 0; k < f->n_filters; k++)
            keeps |= strcmp(f->filters[k], want) == 0;
        if (fits[i].result == NULL || !keeps || strcmp(f->stage, stage) != 0 ||
            strcmp(f->y, y) != 0)
            continue;
        for (size_t j = 0; j < fits[i].result->p; j++)
            if (strncmp(fits[i].result->param[j].name, "alpha", 5) == 0)
                return &fits[i].result->param[j];
    }
    return NULL;
}

void sweep_report_students(struct sf_buf *b, const struct sweep_spec *s,
                           const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                           size_t n_fits) {
    long c_r = sf_csv_column(results, "run"), c_g = sf_csv_column(results, "stage");
    long c_p = sf_csv_column(results, "parent"), c_n = sf_csv_column(results, "params_nonembed");
    long c_k = sf_csv_column(results, "best_eval_kl"),
         c_l = sf_csv_column(results, "best_eval_loss");
    long c_t = sf_csv_column(results, "final_teacher_kl"), c_s = sf_csv_column(results, "status");
    if (c_r < 0 || c_g < 0 || c_p < 0 || c_n < 0 || c_l < 0 || c_s < 0) return;
    for (size_t k = 0; k < s->n_stages; k++) {
        const struct sweep_stage *st = &s->stages[k];
        if (st->n_students == 0) continue;
        bool        kl   = c_k >= 0 && model_source_get(s->base.data.source)->exact;
        long        c_y  = kl ? c_k : c_l;
        const char *what = kl ? "best_eval_kl, the forward KL to the truth" : "best_eval_loss";
        char        a[3][32];
        sf_buf_printf(b,
                      "## Students of stage %s\n\n"
                      "Each run of the stage it continues (the teacher, rows) distilled into "
                      "students of %zu sizes (columns) by `%s`. Each cell: the student's %s, "
                      "then its forward KL from the teacher on the eval set at the last evaluation "
                      "(final_teacher_kl); the teacher's own value in the second column, and the "
                      "last row the main grid's token-trained run of the student's size where "
                      "the grid has one. A teacher much stronger than its student can make a "
                      "worse student (the capacity gap, Busbridge et al. 2025).\n\n"
                      "| teacher N | teacher |",
                      st->name, st->n_students, model_objective_names[st->cfg.objective], what);
        /* the students' sizes, from the first parent's children, in the stage's order */
        double sizes[SWEEP_MAX_STUDENTS];
        size_t ns = 0;
        for (size_t i = 0; i < results->n_rows && ns < st->n_students; i++)
            if (strcmp(results->rows[i].fields[c_g], st->name) == 0 &&
                sf_parse_double(results->rows[i].fields[c_n], &sizes[ns]))
                ns++;
        for (size_t j = 0; j < ns; j++)
            sf_buf_printf(b, " student N = %.4g |", sizes[j]);
        sf_buf_puts(b, "\n|---|---|");
        for (size_t j = 0; j < ns; j++)
            sf_buf_puts(b, "---|");
        sf_buf_puts(b, "\n");
        /* one row per teacher, in the order of results.csv */
        for (size_t i = 0; i < results->n_rows; i++) {
            char      **f       = results->rows[i].fields;
            const char *id      = f[c_r];
            bool        teaches = false;
            for (size_t j = 0; j < results->n_rows && !teaches; j++)
                teaches = strcmp(results->rows[j].fields[c_g], st->name) == 0 &&
                          strcmp(results->rows[j].fields[c_p], id) == 0;
            if (!teaches) continue;
            double tn = NAN, ty = NAN, v;
            sf_parse_double(f[c_n], &tn);
            sf_parse_double(f[c_y], &ty);
            sf_buf_printf(b, "| %.4g | %s |", tn, sf_fmt_sig(a[0], sizeof a[0], ty));
            size_t col = 0;
            for (size_t j = 0; j < results->n_rows && col < ns; j++) {
                char **g = results->rows[j].fields;
                if (strcmp(g[c_g], st->name) != 0 || strcmp(g[c_p], id) != 0) continue;
                double y = sf_parse_double(g[c_y], &v) ? v : NAN;
                double t = c_t >= 0 && sf_parse_double(g[c_t], &v) ? v : NAN;
                sf_buf_printf(b, " %s (%s) |",
                              strcmp(g[c_s], "done") == 0 ? sf_fmt_sig(a[1], sizeof a[1], y)
                                                          : g[c_s],
                              sf_fmt_sig(a[2], sizeof a[2], t));
                col++;
            }
            sf_buf_puts(b, "\n");
        }
        sf_buf_puts(b, "| token-trained | |");
        for (size_t j = 0; j < ns; j++) {
            double y = NAN, v, n;
            for (size_t i = 0; i < results->n_rows; i++) {
                char **f = results->rows[i].fields;
                if (strcmp(f[c_g], "main") == 0 && sf_parse_double(f[c_n], &n) && n == sizes[j] &&
                    strcmp(f[c_s], "done") == 0 && sf_parse_double(f[c_y], &v))
                    y = v;
            }
            sf_buf_printf(b, " %s |", isnan(y) ? "–" : sf_fmt_sig(a[0], sizeof a[0], y));
        }
        sf_buf_puts(b, "\n\n");
        /* each teacher's students as laws (fits of the stage that keep parent_params=N) */
        static const char *const ys[4] = {"best_eval_kl", "final_teacher_kl", "eval_kl",
                                          "eval_teacher_kl"};
        bool                     head  = false;
        for (size_t i = 0; i < results->n_rows; i++) {
            char **f = results->rows[i].fields;
            double tn;
            if (strcmp(f[c_g], "main") != 0 || !sf_parse_double(f[c_n], &tn)) continue;
            const struct fit_param *p[4];
            bool                    any = false;
            for (size_t q = 0; q < 4; q++)
                any |= (p[q] = sweep_student_alpha_impl(fits, n_fits, st->name, tn, ys[q])) != NULL;
            if (!any) continue;
            if (!head)
                sf_buf_puts(b, "Each teacher's students as laws (the sweep's fits of this stage "
                               "that keep `parent_params` = the teacher's N): the exponent of "
                               "their forward KL to the truth and to the teacher, in the "
                               "student's N and on their compute frontier.\n\n"
                               "| teacher N | α_N to the truth | α_N to the teacher | α_C to the "
                               "truth | α_C to the teacher |\n|---|---|---|---|---|\n");
            head = true;
            sf_buf_printf(b, "| %.4g |", tn);
            for (size_t q = 0; q < 4; q++)
                if (p[q] == NULL)
                    sf_buf_puts(b, " |");
                else
                    sf_buf_printf(b, " %s [%s, %s] |",
                                  sf_fmt_sig(a[0], sizeof a[0], p[q]->value.estimate),
                                  sf_fmt_sig(a[1], sizeof a[1], p[q]->value.lo),
                                  sf_fmt_sig(a[2], sizeof a[2], p[q]->value.hi));
            sf_buf_puts(b, "\n");
        }
        if (head) sf_buf_puts(b, "\n");
    }
}
