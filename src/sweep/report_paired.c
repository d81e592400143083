/*
 * report_paired.c — the sweep report's sections on the analyses Henighan et al. pair with the
 * loss: the mutual information between a sample's two parts (caption and image, or a task's name
 * and its symbols), measured as the second part's loss after a blanked first part less after the
 * true one, beside its bound or its exact value; and classification after generative training
 * (a stage of runs with an error rate), beside the generative loss of the same models.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

static double sweep_paired_cell_impl(const struct sf_csv *t, size_t row, long col) {
    double v;
    return col >= 0 && sf_parse_double(t->rows[row].fields[col], &v) ? v : (double)NAN;
}

/* The first fit of `law` with y `y` of the stage `stage` that was made, or NULL. */
static const struct sweep_fit_outcome *sweep_paired_fit_impl(const struct sweep_fit_outcome *fits,
                                                             size_t n, enum fit_law_kind law,
                                                             const char *y, const char *stage) {
    for (size_t i = 0; i < n; i++)
        if (fits[i].result != NULL && fits[i].fit->law == law && strcmp(fits[i].fit->y, y) == 0 &&
            strcmp(fits[i].fit->stage, stage) == 0)
            return &fits[i];
    return NULL;
}

void sweep_report_mi(struct sf_buf *b, const struct sf_csv *r, const struct sweep_fit_outcome *fits,
                     size_t n_fits) {
    long c_st = sf_csv_column(r, "status"), c_n = sf_csv_column(r, "params_nonembed");
    long c_run = sf_csv_column(r, "run"), c_pt = sf_csv_column(r, "final_part_loss");
    long c_pb = sf_csv_column(r, "final_part_loss_blank"), c_mi = sf_csv_column(r, "final_mi");
    long c_ex = sf_csv_column(r, "mutual_information"), c_h = sf_csv_column(r, "caption_entropy");
    long c_l = sf_csv_column(r, "final_eval_loss");
    if (c_st < 0 || c_n < 0 || c_run < 0 || c_mi < 0) return;
    size_t n = 0;
    for (size_t k = 0; k < r->n_rows; k++)
        n += strcmp(r->rows[k].fields[c_st], "done") == 0 &&
             isfinite(sweep_paired_cell_impl(r, k, c_mi));
    if (n == 0) return;
    char a1[32], a2[32], a3[32], a4[32], a5[32], a6[32], a7[32];
    sf_buf_puts(b,
                "## Mutual information between the two parts\n\n"
                "Each evaluation scores the same eval samples twice: after their true first part "
                "and after a blanked one (a share of the training samples were blanked, so the "
                "blank is in distribution). The second part's loss, summed over its tokens, "
                "falls by the mutual information I between the parts, in nats per sample "
                "(Henighan et al. 2020); the last evaluation of each run:\n\n"
                "| run | N | second part after the true first (nats) | after a blank | I "
                "(nats) | bound or truth (nats) | I / bound | infogain I / L(second after a "
                "blank) | I in tokens of loss (I / eval loss per token) |\n"
                "|---|---|---|---|---|---|---|---|---|\n");
    const char *bound_kind = NULL;
    for (size_t k = 0; k < r->n_rows; k++) {
        double mi = sweep_paired_cell_impl(r, k, c_mi);
        if (strcmp(r->rows[k].fields[c_st], "done") != 0 || !isfinite(mi)) continue;
        double pt = sweep_paired_cell_impl(r, k, c_pt), pb = sweep_paired_cell_impl(r, k, c_pb);
        double ex = sweep_paired_cell_impl(r, k, c_ex), h = sweep_paired_cell_impl(r, k, c_h);
        double bound = isfinite(ex) ? ex : h, l = sweep_paired_cell_impl(r, k, c_l);
        bound_kind = isfinite(ex)  ? "the exact mutual information of the source"
                     : isfinite(h) ? "the entropy of the eval set's captions, which bounds I"
                                   : bound_kind;
        sf_buf_printf(b, "| %s | %.4g | %s | %s | %s | %s | %s | %s | %s |\n",
                      r->rows[k].fields[c_run], sweep_paired_cell_impl(r, k, c_n),
                      sf_fmt_sig(a1, sizeof a1, pt), sf_fmt_sig(a2, sizeof a2, pb),
                      sf_fmt_sig(a3, sizeof a3, mi), sf_fmt_sig(a4, sizeof a4, bound),
                      isfinite(bound) ? sf_fmt_sig(a5, sizeof a5, mi / bound) : "",
                      sf_fmt_sig(a6, sizeof a6, mi / pb), sf_fmt_sig(a7, sizeof a7, mi / l));
    }
    sf_buf_printf(b, "\nThe bound or truth is %s. ", bound_kind ? bound_kind : "not known");
    sf_buf_puts(b, "In a caption-first sweep the second part is the image: I / (eval loss per "
                   "token) says how many image tokens' worth of loss a caption removes. In an "
                   "image-first sweep the second part is the caption, and its loss after a blank "
                   "image is L(caption) of Henighan's infogain.\n\n");
    const struct sweep_fit_outcome *o =
        sweep_paired_fit_impl(fits, n_fits, FIT_LAW_LOG, "final_mi", "main");
    if (o != NULL) {
        const struct fit_result *f = o->result;
        sf_buf_printf(b,
                      "%s fits I(N) = lambda ln(N/N_c): lambda = %s [%s, %s] nats per e-fold of "
                      "N, N_c = %s [%s, %s].\n\n",
                      o->fit->name, sf_fmt_sig(a1, sizeof a1, f->param[0].value.estimate),
                      sf_fmt_sig(a2, sizeof a2, f->param[0].value.lo),
                      sf_fmt_sig(a3, sizeof a3, f->param[0].value.hi),
                      sf_fmt_sig(a4, sizeof a4, f->param[1].value.estimate),
                      sf_fmt_sig(a5, sizeof a5, f->param[1].value.lo),
                      sf_fmt_sig(a6, sizeof a6, f->param[1].value.hi));
    }
}

void sweep_report_classify(struct sf_buf *b, const struct sweep_spec *s, const struct sf_csv *r,
                           const struct sweep_fit_outcome *fits, size_t n_fits) {
    long c_st = sf_csv_column(r, "status"), c_n = sf_csv_column(r, "params_nonembed");
    long c_g = sf_csv_column(r, "stage"), c_p = sf_csv_column(r, "parent");
    long c_run = sf_csv_column(r, "run"), c_l = sf_csv_column(r, "best_eval_loss");
    long c_e = sf_csv_column(r, "final_eval_error"), c_fl = sf_csv_column(r, "final_eval_loss");
    if (c_st < 0 || c_n < 0 || c_g < 0 || c_p < 0 || c_run < 0 || c_l < 0 || c_e < 0) return;
    char   stage[64] = "";
    size_t n         = 0;
    for (size_t k = 0; k < r->n_rows; k++) {
        const char *g = r->rows[k].fields[c_g];
        if (strcmp(g, "main") == 0 || !isfinite(sweep_paired_cell_impl(r, k, c_e))) continue;
        if (stage[0] == '\0') snprintf(stage, sizeof stage, "%s", g);
        n += strcmp(stage, g) == 0;
    }
    if (n == 0) return;
    char a1[32], a2[32], a3[32], a4[32];
    sf_buf_printf(b,
                  "## Classification after generative training\n\n"
                  "Stage `%s` starts from each model of the main grid and trains it on the "
                  "labels (Henighan et al. 2020). Beside each model's generative loss (per "
                  "token), its classification loss (per label, the lowest over its evaluations), "
                  "the loss and the error rate at its last evaluation:\n\n"
                  "| run | N | generative loss | classification loss | final classification "
                  "loss | final error rate |\n|---|---|---|---|---|---|\n",
                  stage);
    for (size_t k = 0; k < r->n_rows; k++) {
        if (strcmp(r->rows[k].fields[c_g], stage) != 0) continue;
        double gen = NAN;
        for (size_t j = 0; j < r->n_rows; j++)
            if (strcmp(r->rows[j].fields[c_run], r->rows[k].fields[c_p]) == 0)
                gen = sweep_paired_cell_impl(r, j, c_l);
        sf_buf_printf(b, "| %s | %.4g | %s | %s | %s | %s |\n", r->rows[k].fields[c_run],
                      sweep_paired_cell_impl(r, k, c_n), sf_fmt_sig(a1, sizeof a1, gen),
                      sf_fmt_sig(a2, sizeof a2, sweep_paired_cell_impl(r, k, c_l)),
                      sf_fmt_sig(a3, sizeof a3, sweep_paired_cell_impl(r, k, c_fl)),
                      sf_fmt_sig(a4, sizeof a4, sweep_paired_cell_impl(r, k, c_e)));
    }
    sf_buf_puts(b, "\n");
    /* The laws of N side by side: the generative loss's reducible part against the stage's
     * classification loss and error rate. */
    sf_buf_puts(b, "| law | of | fitted | exponent of N | interval |\n|---|---|---|---|---|\n");
    bool any = false;
    for (size_t i = 0; i < n_fits; i++) {
        const struct sweep_fit_outcome *o = &fits[i];
        if (o->result == NULL || fit_law_n_vars(o->fit->law) != 1 ||
            fit_law_fits_curves(o->fit->law) || o->fit->law == FIT_LAW_LOG)
            continue;
        bool main_grid = strcmp(o->fit->stage, "main") == 0;
        if (!main_grid && strcmp(o->fit->stage, stage) != 0) continue;
        size_t ia = fit_law_has_constant(o->fit->law) ? 2 : 1;
        sf_buf_printf(b, "| %s | %s | %s | %s | [%s, %s] |\n", o->fit->name,
                      main_grid ? "generative loss" : stage, sweep_fit_y(s, o->fit),
                      sf_fmt_sig(a1, sizeof a1, o->result->param[ia].value.estimate),
                      sf_fmt_sig(a2, sizeof a2, o->result->param[ia].value.lo),
                      sf_fmt_sig(a3, sizeof a3, o->result->param[ia].value.hi));
        any = true;
    }
    if (!any) sf_buf_puts(b, "| (no law of N was fitted) | | | | |\n");
    sf_buf_puts(b,
                "\nHenighan et al. found the classification loss still falling as a power law in "
                "N where the generative loss had levelled off; the exponents above say whether "
                "it does here (a larger exponent falls faster).\n\n");
}
