/*
 * report_positions.c — the sweep report's section on the loss by position (the sweep's
 * positions.csv): for each run of the main grid its loss at the first and the last position, the
 * law L(t) = L_inf + (t0/t)^alpha fitted to its positions where the loss still falls with t
 * (Kaplan et al. 2020, Henighan et al. 2020), and, where the source knows its next-token
 * distribution, the largest model's loss by position against the Bayes loss: on a Markov source
 * of order K the Bayes loss is flat from t = K on. For video, the same table summed frame by
 * frame.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The loss still falls with t when the mean loss over the last quarter of the positions is below
 * that over the first quarter (the fit is made only then). */
static bool sweep_positions_falls_impl(const struct sf_csv *t, const size_t *rows, size_t n,
                                       long c_l) {
    size_t q = n / 4 ? n / 4 : 1;
    double a = 0, b = 0, v;
    for (size_t i = 0; i < q; i++) {
        a += sf_parse_double(t->rows[rows[i]].fields[c_l], &v) ? v : NAN;
        b += sf_parse_double(t->rows[rows[n - 1 - i]].fields[c_l], &v) ? v : NAN;
    }
    return b < a;
}

static double sweep_positions_cell_impl(const struct sf_csv *t, size_t row, long col) {
    double v;
    return col >= 0 && sf_parse_double(t->rows[row].fields[col], &v) ? v : (double)NAN;
}

/* The main grid's rows of the sweep's positions.csv into *t; false (nothing to free) without. */
static bool sweep_positions_read_impl(const char *out_dir, struct sf_csv *t) {
    char           *path = sf_path_join(out_dir, "positions.csv");
    struct sf_error err;
    bool            ok = path != NULL && sf_csv_read(path, t, &err) == SF_OK;
    free(path);
    if (ok) sf_csv_keep(t, "stage", "main");
    return ok;
}

void sweep_report_positions(struct sf_buf *b, const struct sweep_spec *s, const char *out_dir) {
    /* Problems with answers (problems.csv) start at random offsets in their windows: a position
     * means nothing there. */
    char *problems = sf_path_join(out_dir, "problems.csv");
    bool  answers  = problems == NULL || sf_path_exists(problems);
    free(problems);
    if (answers) return;
    struct sf_csv   t;
    struct sf_error err;
    if (!sweep_positions_read_impl(out_dir, &t)) return;
    long c_n = sf_csv_column(&t, "params_nonembed"), c_t = sf_csv_column(&t, "position");
    long c_l = sf_csv_column(&t, "loss"), c_b = sf_csv_column(&t, "bayes_loss");
    long c_k                 = sf_csv_column(&t, "kl");
    struct fit_selection sel = {NULL, 0, NULL, 0, NULL, 0, 0, "run"};
    struct fit_groups    g;
    memset(&g, 0, sizeof g);
    if (c_n < 0 || c_t < 0 || c_l < 0 || t.n_rows == 0 ||
        fit_select_rows(&t, &sel, &g, &err) != SF_OK) {
        sf_csv_free(&t);
        return;
    }
    char a1[32], a2[32], a3[32], a4[32], a5[32];
    sf_buf_puts(b, "## Loss by position\n\n"
                   "Each run's last evaluation by position t (t = 1: the first predicted token; "
                   "`positions.csv`, figure `positions`), and L(t) = L_inf + (t0/t)^alpha fitted "
                   "to its positions where the loss still falls with t (the last quarter of the "
                   "positions below the first):\n\n"
                   "| run | N | loss at t = 1 | loss at the last t | L_inf of L(t) | alpha | "
                   "interval of alpha |\n|---|---|---|---|---|---|---|\n");
    size_t largest = 0;
    double n_max   = -1;
    for (size_t k = 0; k < g.n; k++) {
        size_t *rows = g.rows[k], n = g.n_rows[k];
        double  N = sweep_positions_cell_impl(&t, rows[0], c_n);
        if (N > n_max) n_max = N, largest = k;
        sf_buf_printf(b, "| %s | %.4g | %s | %s |", g.names[k], N,
                      sf_fmt_sig(a1, sizeof a1, sweep_positions_cell_impl(&t, rows[0], c_l)),
                      sf_fmt_sig(a2, sizeof a2, sweep_positions_cell_impl(&t, rows[n - 1], c_l)));
        struct fit_data    data;
        struct fit_columns cols = {.x = "position", .y = "loss"};
        struct fit_result *r    = NULL;
        if (sweep_positions_falls_impl(&t, rows, n, c_l) &&
            fit_data_build(&t, rows, n, FIT_LAW_POWER_CONST, &cols, &sel, &data, &err) == SF_OK) {
            struct fit_request req;
            fit_request_init(&req, FIT_LAW_POWER_CONST);
            req.params.bootstrap = s->bootstrap < 200 ? s->bootstrap : 200;
            req.params.seed      = s->fit_seed;
            req.params.level     = s->level;
            r                    = fit_run(&data, &req, NULL, &err);
            if (r != NULL)
                sf_buf_printf(b, " %s | %s | [%s, %s] |\n",
                              sf_fmt_sig(a3, sizeof a3, r->param[0].value.estimate),
                              sf_fmt_sig(a4, sizeof a4, r->param[2].value.estimate),
                              sf_fmt_sig(a5, sizeof a5, r->param[2].value.lo),
                              sf_fmt_sig(a1, sizeof a1, r->param[2].value.hi));
            fit_result_free(r);
            fit_data_free(&data);
        }
        if (r == NULL) sf_buf_puts(b, " | | |\n");
    }
    sf_buf_puts(b, "\n");
    /* The largest model against the Bayes loss by position. */
    size_t *rows = g.rows[largest], n = g.n_rows[largest];
    if (c_b >= 0 && isfinite(sweep_positions_cell_impl(&t, rows[0], c_b))) {
        size_t K  = s->base.data.source == MODEL_SOURCE_MARKOV ? (size_t)s->base.data.order : 1;
        double bl = 0, bh = 0, ks = 0, km = 0, bs = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double pos = sweep_positions_cell_impl(&t, rows[i], c_t);
            double bay = sweep_positions_cell_impl(&t, rows[i], c_b);
            double kl  = sweep_positions_cell_impl(&t, rows[i], c_k);
            if (!(pos >= (double)K) || !isfinite(bay)) continue;
            bl = m ? fmin(bl, bay) : bay, bh = m ? fmax(bh, bay) : bay;
            bs += bay, ks += kl, km = fmax(km, kl);
            m++;
        }
        if (m > 0)
            sf_buf_printf(b,
                          "The largest model (%s, N = %.4g) against the Bayes loss by position, "
                          "from t = %zu on (%s): the Bayes loss averages %s over %zu positions "
                          "(from %s to %s: the eval set's sampling), the model's exact KL at t "
                          "averages %s, at most %s.\n\n",
                          g.names[largest], n_max, K,
                          s->base.data.source == MODEL_SOURCE_MARKOV
                              ? "a Markov source of order K: flat from there"
                              : "every position",
                          sf_fmt_sig(a1, sizeof a1, bs / (double)m), m,
                          sf_fmt_sig(a2, sizeof a2, bl), sf_fmt_sig(a3, sizeof a3, bh),
                          sf_fmt_sig(a4, sizeof a4, ks / (double)m), sf_fmt_sig(a5, sizeof a5, km));
    }
    fit_groups_free(&g);
    sf_csv_free(&t);
}

void sweep_report_frames(struct sf_buf *b, const struct sweep_spec *s, const char *out_dir) {
    const struct model_source_entry *src = model_source_get(s->base.data.source);
    if (src->sample_unit == NULL || strcmp(src->sample_unit, "frame") != 0) return;
    struct sf_csv t;
    if (!sweep_positions_read_impl(out_dir, &t)) return;
    long   c_n = sf_csv_column(&t, "params_nonembed"), c_t = sf_csv_column(&t, "position");
    long   c_l = sf_csv_column(&t, "loss"), c_r = sf_csv_column(&t, "run");
    size_t F  = (size_t)s->base.data.frames,
           RR = (size_t)(s->base.data.resolution * s->base.data.resolution);
    if (c_n < 0 || c_t < 0 || c_l < 0 || c_r < 0 || t.n_rows == 0 || F > 64) {
        sf_csv_free(&t);
        return;
    }
    char a[32];
    sf_buf_printf(b,
                  "## Loss per frame\n\n"
                  "Each run's last evaluation summed over the positions of each frame (nats per "
                  "frame of %zu pixels; the first frame's first pixel is never predicted, so "
                  "frame 1 sums %zu predictions): the first frame costs an image, the later "
                  "ones what the motion leaves unknown (figure `frames`).\n\n| run | N |",
                  RR, RR - 1);
    for (size_t f = 1; f <= F; f++)
        sf_buf_printf(b, " frame %zu |", f);
    sf_buf_puts(b, " later frames / first |\n|---|---|");
    for (size_t f = 0; f <= F; f++)
        sf_buf_puts(b, "---|");
    sf_buf_puts(b, "\n");
    for (size_t i = 0; i < t.n_rows;) {
        const char *run       = t.rows[i].fields[c_r];
        double      frame[64] = {0}, N = sweep_positions_cell_impl(&t, i, c_n);
        for (; i < t.n_rows && strcmp(t.rows[i].fields[c_r], run) == 0; i++) {
            double p = sweep_positions_cell_impl(&t, i, c_t),
                   l = sweep_positions_cell_impl(&t, i, c_l);
            size_t f = (size_t)p / RR;
            if (isfinite(l) && f < F) frame[f] += l;
        }
        sf_buf_printf(b, "| %s | %.4g |", run, N);
        double later = 0;
        for (size_t f = 0; f < F; f++) {
            sf_buf_printf(b, " %s |", sf_fmt_sig(a, sizeof a, frame[f]));
            later += f > 0 ? frame[f] / (double)(F - 1) : 0;
        }
        sf_buf_printf(b, " %s |\n", F > 1 ? sf_fmt_sig(a, sizeof a, later / frame[0]) : "");
    }
    sf_buf_puts(b, "\n");
    sf_csv_free(&t);
}
