/*
 * report.c — the sweep's report.md: what ran (every run with its shape, size, tokens, compute,
 * state and losses), the spread over seeds, each named fit with its parameters and intervals,
 * the entropy / reducible-loss split with the source's Bayes loss beside the fitted constant and
 * the reducible loss measured directly (eval_loss − eval_true_loss), timing, and the figures:
 * one writer per section. What the report says of the data source comes from its entry in
 * src/model (model_source_get): its description, whether it knows its entropy, its unit.
 */
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A results.csv cell as a number (NAN when empty). */
static double sweep_cell_impl(const struct sf_csv *t, size_t row, const char *col) {
    long   c = sf_csv_column(t, col);
    double v;
    if (c < 0 || !sf_parse_double(t->rows[row].fields[c], &v)) return NAN;
    return v;
}

static const char *sweep_cell_str_impl(const struct sf_csv *t, size_t row, const char *col) {
    long c = sf_csv_column(t, col);
    return c < 0 ? "" : t->rows[row].fields[c];
}

/* The measured KL divergence of each run at its last evaluation: eval_loss − eval_true_loss. */
static double sweep_measured_kl_impl(const struct sf_csv *curves, const char *run) {
    double kl = NAN;
    if (curves == NULL) return kl;
    long cr = sf_csv_column(curves, "run"), ce = sf_csv_column(curves, "eval_loss");
    long ct = sf_csv_column(curves, "eval_true_loss");
    if (cr < 0 || ce < 0 || ct < 0) return kl;
    for (size_t i = 0; i < curves->n_rows; i++) {
        if (strcmp(curves->rows[i].fields[cr], run) != 0) continue;
        double e, t;
        if (sf_parse_double(curves->rows[i].fields[ce], &e) &&
            sf_parse_double(curves->rows[i].fields[ct], &t))
            kl = e - t;
    }
    return kl;
}

/* What every section of the report reads. */
struct sweep_report_ctx {
    struct sf_buf                    b;
    const struct sweep_spec         *s;
    const struct model_source_entry *src; /* the data source's entry */
    struct sf_csv                    results, curves;
    bool                             have_curves;
    double bayes, entropy; /* of the data, from results.csv; NaN where the source does not know */
    bool   exact_kl;       /* every done run has best_eval_kl (sweep_has_exact_kl_impl) */
};

/* Whether every run that is done has the exact KL (runs trained before it was recorded do
 * not). */
static bool sweep_has_exact_kl_impl(const struct sweep_report_ctx *c) {
    if (sf_csv_column(&c->results, "best_eval_kl") < 0) return false;
    for (size_t k = 0; k < c->results.n_rows; k++)
        if (strcmp(sweep_cell_str_impl(&c->results, k, "status"), "done") == 0 &&
            !isfinite(sweep_cell_impl(&c->results, k, "best_eval_kl")))
            return false;
    return true;
}

/* What the measured KL is, for the report's text. */
static const char *sweep_kl_what_impl(const struct sweep_report_ctx *c) {
    return c->exact_kl ? "the exact KL of the model from the source "
                         "(`best_eval_kl`), at the evaluation of the best loss"
                       : "eval_loss − eval_true_loss at the last evaluation";
}

/* The measured KL of results.csv's row k: best_eval_kl, or in an older sweep eval_loss −
 * eval_true_loss at the run's last evaluation (sweep_kl_what_impl says which). */
static double sweep_run_kl_impl(const struct sweep_report_ctx *c, size_t k) {
    if (c->exact_kl) return sweep_cell_impl(&c->results, k, "best_eval_kl");
    return c->have_curves
               ? sweep_measured_kl_impl(&c->curves, sweep_cell_str_impl(&c->results, k, "run"))
               : NAN;
}

/* The names of the sources that know their true distribution ("markov"). */
static void sweep_report_exact_sources_impl(struct sf_buf *b) {
    size_t k = 0;
    for (int i = 0; i < MODEL_SOURCE_COUNT; i++) {
        const struct model_source_entry *e = model_source_get((enum model_source)i);
        if (e->exact) sf_buf_printf(b, "%s%s", k++ ? ", " : "", e->name);
    }
}

/* The data source in words, as its entry describes it, with what it knows exactly. */
static void sweep_report_source_impl(struct sweep_report_ctx *c) {
    char n1[32], n2[32];
    sf_buf_puts(&c->b, "Data: ");
    c->src->describe(&c->b, &c->s->base.data);
    if (!c->src->exact) {
        sf_buf_puts(&c->b, ".\n\n");
        return;
    }
    sf_buf_printf(&c->b,
                  " whose entropy is known exactly: entropy rate %s %s, Bayes-optimal loss over an "
                  "eval window (early positions see less context) %s %s. Fits use the "
                  "control-variate columns (eval_loss − eval_true_loss + bayes_loss).\n\n",
                  sf_fmt_sig(n1, sizeof n1, c->entropy), c->src->loss_unit,
                  sf_fmt_sig(n2, sizeof n2, c->bayes), c->src->loss_unit);
}

/* One named fit: its law, its parameters with intervals, its entropy estimate beside the Bayes
 * loss where the source knows it, its warnings. */
static void sweep_report_fit_impl(struct sweep_report_ctx *c, const struct sweep_fit_outcome *o) {
    struct sf_buf           *b     = &c->b;
    const struct sweep_spec *s     = c->s;
    double                   bayes = c->bayes;
    char                     n1[32], n2[32], n3[32];
    const struct sweep_fit  *f = o->fit;
    sf_buf_printf(b, "### %s: `%s`\n\n", f->name, fit_law_name(f->law));
    if (o->result == NULL) {
        sf_buf_printf(b, "Not fitted: %s\n\n", o->error);
        return;
    }
    const struct fit_result *r = o->result;
    sf_buf_printf(b,
                  "%s, fitted to %zu %s (y = `%s`); objective %.6g%s. Full report: "
                  "[fits/%s/report.md](fits/%s/report.md).\n\n",
                  fit_law_formula(f->law), r->n_fit,
                  fit_law_fits_curves(f->law) ? "points of the compute frontier" : "runs",
                  sweep_fit_y(s, f), r->objective, r->converged ? "" : " (**not converged**)",
                  f->name, f->name);
    sf_buf_puts(b, "| parameter | estimate | interval |\n|---|---|---|\n");
    for (size_t j = 0; j < r->p; j++)
        sf_buf_printf(b, "| %s | %s%s | [%s, %s] |\n", r->param[j].name,
                      sf_fmt_sig(n1, sizeof n1, r->param[j].value.estimate),
                      r->param[j].at_bound ? " (bound)" : "",
                      sf_fmt_sig(n2, sizeof n2, r->param[j].value.lo),
                      sf_fmt_sig(n3, sizeof n3, r->param[j].value.hi));
    sf_buf_puts(b, "\n");
    bool entropy = strcmp(f->stage, "main") == 0 && strstr(sweep_fit_y(s, f), "error") == NULL;
    if (fit_law_has_constant(f->law) && !entropy) {
        /* A stage's loss or an error rate: its constant is the floor the law approaches. */
        const struct fit_estimate *e = &r->entropy;
        sf_buf_printf(b, "The constant (the floor the law approaches as N grows): %s [%s, %s].\n\n",
                      sf_fmt_sig(n1, sizeof n1, e->estimate), sf_fmt_sig(n2, sizeof n2, e->lo),
                      sf_fmt_sig(n3, sizeof n3, e->hi));
    }
    if (fit_law_has_constant(f->law) && entropy) {
        const struct fit_estimate *e = &r->entropy;
        sf_buf_printf(b, "Entropy estimate (the constant): %s %s [%s, %s] = %s bits/token",
                      sf_fmt_sig(n1, sizeof n1, e->estimate), c->src->loss_unit,
                      sf_fmt_sig(n2, sizeof n2, e->lo), sf_fmt_sig(n3, sizeof n3, e->hi),
                      sf_fmt_sig((char[32]){0}, 32, e->estimate / M_LN2));
        if (r->req.tokens_per_sample > 0 && c->src->sample_unit != NULL)
            sf_buf_printf(b, " = %s nats per %s (%g tokens)",
                          sf_fmt_sig(n1, sizeof n1, e->estimate * r->req.tokens_per_sample),
                          c->src->sample_unit, r->req.tokens_per_sample);
        bool inside = isfinite(e->lo) && bayes >= e->lo && bayes <= e->hi;
        if (bayes == 0.0)
            sf_buf_printf(b,
                          "; the data's entropy is exactly zero, so the constant is the model "
                          "family's irreducible error (zero %s the interval)",
                          inside ? "inside" : "outside");
        else if (isfinite(bayes))
            sf_buf_printf(b, "; the Bayes loss is %.6g: off by %+.3g%%, %s the interval", bayes,
                          100 * (e->estimate - bayes) / bayes, inside ? "inside" : "**outside**");
        sf_buf_puts(b, ".\n\n");
    }
    for (size_t i = 0; i < r->n_warnings; i++)
        sf_buf_printf(b, "- warning: %s\n", r->warnings[i]);
    if (r->n_warnings) sf_buf_puts(b, "\n");
}

/* Whether the results.csv record at physical `line` is one the fit used (not held out). */
static bool sweep_report_fitted_row_impl(const struct fit_data *d, size_t line) {
    for (size_t j = 0; d != NULL && j < d->n; j++)
        if (d->line[j] == line) return !d->held_out[j];
    return false;
}

/* The title, the data source and the count of runs by state. */
static void sweep_report_head_impl(struct sweep_report_ctx *c, size_t n,
                                   const struct sweep_report_info *info) {
    const struct sweep_spec *s         = c->s;
    size_t                   counts[6] = {0};
    for (size_t i = 0; i < c->results.n_rows; i++) {
        enum sweep_state state;
        if (sweep_state_from_name(sweep_cell_str_impl(&c->results, i, "status"), &state))
            counts[state]++;
    }
    sf_buf_printf(&c->b, "# Sweep: %s\n\nMade by scalefit %s: `%s`\n\n", s->name, info->version,
                  info->command);
    sweep_report_source_impl(c);
    sf_buf_printf(
        &c->b,
        "%zu runs (%zu shapes × %zu budgets × %zu seeds%s): %zu done, %zu diverged, "
        "%zu failed, %zu interrupted, %zu pending.\n\n",
        n, s->n_shapes, s->n_budgets, s->n_seeds, s->n_resolutions > 0 ? " × the resolutions" : "",
        counts[SWEEP_STATE_DONE], counts[SWEEP_STATE_DIVERGED], counts[SWEEP_STATE_FAILED],
        counts[SWEEP_STATE_INTERRUPTED], counts[SWEEP_STATE_PENDING] + counts[SWEEP_STATE_RUNNING]);
}

/* Timing of what trained in this invocation: the trainers' processes and their training loops'
 * own clocks (summary.yaml, added up by the executor) against the run slots. */
static void sweep_report_timing_impl(struct sf_buf *b, const struct sweep_report_info *info) {
    double in_loops = info->loop_seconds;
    double jobs     = info->jobs > 0 ? (double)info->jobs : 1;
    if (info->train_seconds > 0)
        sf_buf_printf(
            b,
            "Timing of this invocation: training took %.1f s of wall time with %lld runs at "
            "a time (the trainer processes %.1f s in all), then collection, fits and "
            "figures %.1f s. Inside their training loops (steps and evaluations, by the "
            "trainers' own clocks) they spent %.1f s. Of the %.1f s × %lld run slots, "
            "%.1f s went to starting, checkpointing outside the loop and stopping the "
            "trainers (the runner's own overhead) and %.1f s to slots with no trainer in "
            "them (near the end, fewer runs were left than slots; on Slurm, the queue's "
            "waits too).\n\n",
            info->wall_seconds, (long long)info->jobs, info->train_seconds, info->post_seconds,
            in_loops, info->wall_seconds, (long long)info->jobs,
            fmax(0, info->train_seconds - in_loops),
            fmax(0, info->wall_seconds * jobs - info->train_seconds));
    else
        sf_buf_printf(b,
                      "Nothing trained in this invocation (every run had finished); collection, "
                      "fits and figures took %.1f s.\n\n",
                      info->post_seconds);
}

/* Every run: shape, size, tokens, compute, state, losses and the measured KL. */
static void sweep_report_runs_impl(struct sweep_report_ctx *c) {
    const struct sf_csv *t = &c->results;
    char                 n1[32], n2[32], n3[32], n4[32], n5[32];
    sf_buf_puts(
        &c->b, "## Runs\n\n| run | state | seed | n_layer | d_model | N (non-embedding) | tokens | "
               "C = 6ND (FLOP) | best eval loss | final eval loss | measured KL |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < t->n_rows; i++) {
        const char *run = sweep_cell_str_impl(t, i, "run");
        bool        cv  = sf_csv_column(t, "best_eval_loss_cv") >= 0 &&
                  isfinite(sweep_cell_impl(t, i, "best_eval_loss_cv"));
        double best = sweep_cell_impl(t, i, cv ? "best_eval_loss_cv" : "best_eval_loss");
        sf_buf_printf(&c->b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", run,
                      sweep_cell_str_impl(t, i, "status"), sweep_cell_str_impl(t, i, "seed"),
                      sweep_cell_str_impl(t, i, "n_layer"), sweep_cell_str_impl(t, i, "d_model"),
                      sweep_cell_str_impl(t, i, "params_nonembed"),
                      sf_fmt_sig(n1, sizeof n1, sweep_cell_impl(t, i, "tokens")),
                      sf_fmt_sig(n2, sizeof n2, sweep_cell_impl(t, i, "flops_6n")),
                      sf_fmt_sig(n3, sizeof n3, best),
                      sf_fmt_sig(n4, sizeof n4, sweep_cell_impl(t, i, "final_eval_loss")),
                      sf_fmt_sig(n5, sizeof n5, sweep_run_kl_impl(c, i)));
    }
    sf_buf_printf(&c->b,
                  "\nBest eval loss: the minimum over the evaluations%s. Measured KL: %s, the "
                  "reducible loss measured directly against the true source (",
                  isfinite(c->bayes) ? " of the control-variate loss" : "", sweep_kl_what_impl(c));
    sweep_report_exact_sources_impl(&c->b);
    sf_buf_puts(&c->b, " only).\n\n");
}

/* The spread of the best loss over the seeds of each shape and budget (several seeds only). */
static void sweep_report_seeds_impl(struct sweep_report_ctx *c, const struct sweep_run *runs,
                                    size_t n) {
    const struct sweep_spec *s = c->s;
    if (s->n_seeds <= 1) return;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (v == NULL) {
        c->b.failed = true; /* reported as out of memory on writing */
        return;
    }
    char n1[32], n2[32], n3[32], n4[32];
    sf_buf_puts(&c->b,
                "## Spread over seeds\n\n| shape (d_model, n_layer) | budget | seeds done | mean "
                "best loss | std. dev. | min | max |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < s->n_shapes; i++)
        for (size_t bb = 0; bb < s->n_budgets; bb++) {
            size_t m = 0;
            for (size_t k = 0; k < n && k < c->results.n_rows; k++) {
                if (runs[k].shape_index != i || runs[k].budget_index != bb) continue;
                if (strcmp(sweep_cell_str_impl(&c->results, k, "status"), "done") != 0) continue;
                double x = sweep_cell_impl(
                    &c->results, k, isfinite(c->bayes) ? "best_eval_loss_cv" : "best_eval_loss");
                if (isfinite(x)) v[m++] = x;
            }
            double mean = m ? gsl_stats_mean(v, 1, m) : NAN;
            double sd   = m > 1 ? gsl_stats_sd_m(v, 1, m, mean) : NAN;
            double lo = NAN, hi = NAN;
            if (m) gsl_stats_minmax(&lo, &hi, v, 1, m);
            sf_buf_printf(&c->b, "| %lld, %lld | %g | %zu | %s | %s | %s | %s |\n",
                          (long long)s->shapes[i].d_model, (long long)s->shapes[i].n_layer,
                          s->budgets[bb], m, sf_fmt_sig(n1, sizeof n1, mean),
                          sf_fmt_sig(n2, sizeof n2, sd), sf_fmt_sig(n3, sizeof n3, lo),
                          sf_fmt_sig(n4, sizeof n4, hi));
        }
    sf_buf_puts(&c->b,
                "\nSeeds are fitted as repeated measurements: every seed's run is a row of the "
                "per-run fits, and every seed's curve enters the frontier.\n\n");
    free(v);
}

/* The reducible loss of a power+const fit, fitted (L(N) − L_inf at each run's N) against
 * measured (eval_loss − eval_true_loss), on the runs the law was fitted to. */
/* Whether a fit's reducible loss can be set beside each run's measured one: a law of one variable
 * (the run's x) with a constant, fitted to the runs (power+const). */
static bool sweep_report_has_reducible_impl(enum fit_law_kind law) {
    return fit_law_has_constant(law) && fit_law_n_vars(law) == 1 && !fit_law_fits_curves(law);
}

/* The reducible loss L(x) − L_inf that fit o gives at the x of results.csv's row k, with that x
 * (N) into *x. */
static double sweep_report_fitted_reducible_impl(const struct sweep_report_ctx  *c,
                                                 const struct sweep_fit_outcome *o, size_t k,
                                                 double *x) {
    double L, lo, hi;
    *x = sweep_cell_impl(&c->results, k, o->fit->x);
    fit_result_curve(o->result, x, 0, 1, &L, &lo, &hi);
    return L - o->result->entropy.estimate;
}

static void sweep_report_reducible_impl(struct sweep_report_ctx        *c,
                                        const struct sweep_fit_outcome *o) {
    const struct fit_result *r = o->result;
    char                     n1[32], n2[32], n3[32];
    sf_buf_printf(&c->b,
                  "Reducible loss of %s, fitted (L(N) − L_inf) against measured (%s), on the runs "
                  "the law was fitted to:\n\n"
                  "| run | N | fitted | measured | fitted / measured |\n|---|---|---|---|---|\n",
                  o->fit->name, sweep_kl_what_impl(c));
    for (size_t k = 0; k < c->results.n_rows; k++) {
        if (!sweep_report_fitted_row_impl(r->data, c->results.rows[k].line)) continue;
        double      N;
        double      fitted   = sweep_report_fitted_reducible_impl(c, o, k, &N);
        const char *run      = sweep_cell_str_impl(&c->results, k, "run");
        double      measured = sweep_run_kl_impl(c, k);
        /* A run without a measured KL (an older run's empty column) gets a dash, as in
         * sf_fmt_sig, not "nan". */
        double ratio = fitted / measured;
        if (isfinite(ratio))
            snprintf(n3, sizeof n3, "%.3g", ratio);
        else
            sf_fmt_sig(n3, sizeof n3, ratio);
        sf_buf_printf(&c->b, "| %s | %.4g | %s | %s | %s |\n", run, N,
                      sf_fmt_sig(n1, sizeof n1, fitted), sf_fmt_sig(n2, sizeof n2, measured), n3);
    }
    sf_buf_puts(&c->b, "\n");
}

/* A run whose loss still fell by more than this share of the fitted reducible loss at its size
 * over its last doubling of tokens is reported as still improving: its L(N) point measures
 * where the data ran out, not what the model can reach. */
static const double sweep_improving_share = 0.1;

/* The runs of a fit (a law of N with a constant) that were still improving at their end. */
static void sweep_report_improving_impl(struct sweep_report_ctx        *c,
                                        const struct sweep_fit_outcome *o) {
    const struct fit_result *r = o->result;
    const char *col = strstr(sweep_fit_y(c->s, o->fit), "_cv") ? "eval_loss_cv" : "eval_loss";
    size_t      n   = 0;
    char        n1[32], n2[32];
    for (size_t k = 0; k < c->results.n_rows; k++) {
        if (!sweep_report_fitted_row_impl(r->data, c->results.rows[k].line)) continue;
        double      N;
        double      reducible = sweep_report_fitted_reducible_impl(c, o, k, &N);
        const char *run       = sweep_cell_str_impl(&c->results, k, "run");
        double      drop      = sweep_curve_last_doubling_drop(&c->curves, run, col);
        if (!(isfinite(drop) && reducible > 0 && drop > sweep_improving_share * reducible))
            continue;
        if (n++ == 0)
            sf_buf_printf(&c->b,
                          "Runs of %s still improving at their end: over the last doubling of "
                          "its tokens, each run's loss (`%s`) fell by more than %.0f%% of the "
                          "reducible loss %s fits at its size, so L(N) there is limited by the "
                          "data, not by the model. Train longer, or let the budget grow with the "
                          "size (`train.tokens_per_param`), to fit L(N) at convergence.\n\n"
                          "| run | N | drop over the last doubling | fitted reducible | share |\n"
                          "|---|---|---|---|---|\n",
                          o->fit->name, col, 100 * sweep_improving_share, o->fit->name);
        sf_buf_printf(&c->b, "| %s | %.4g | %s | %s | %.0f%% |\n", run, N,
                      sf_fmt_sig(n1, sizeof n1, drop), sf_fmt_sig(n2, sizeof n2, reducible),
                      100 * drop / reducible);
    }
    if (n > 0) sf_buf_puts(&c->b, "\n");
}

/* A fit of the main grid with a constant (the data's entropy): a stage's constant is another
 * quantity's floor. */
static bool sweep_report_main_const_impl(const struct sweep_fit_outcome *o) {
    return o->result != NULL && fit_law_has_constant(o->fit->law) &&
           strcmp(o->fit->stage, "main") == 0;
}

/* The entropy / reducible split at a glance: each constant beside the Bayes loss where the
 * source knows it, then the reducible loss of the power+const fits. */
static void sweep_report_entropy_impl(struct sweep_report_ctx        *c,
                                      const struct sweep_fit_outcome *fits, size_t n_fits) {
    bool any_const = false;
    for (size_t i = 0; i < n_fits; i++)
        any_const |= sweep_report_main_const_impl(&fits[i]);
    if (!any_const) return;
    double bayes = c->bayes;
    char   n1[32], n2[32], n3[32];
    sf_buf_printf(&c->b,
                  "## Entropy and reducible loss\n\nThe constant of each law estimates the "
                  "entropy of the data (the irreducible loss); the rest of the loss estimates "
                  "the KL divergence between the data and the model (Henighan et al. 2020).\n\n"
                  "| fit | entropy estimate (%s) | interval |",
                  c->src->loss_unit);
    if (isfinite(bayes)) sf_buf_puts(&c->b, " Bayes loss | error | inside |");
    sf_buf_puts(&c->b, "\n|---|---|---|");
    if (isfinite(bayes)) sf_buf_puts(&c->b, "---|---|---|");
    sf_buf_puts(&c->b, "\n");
    for (size_t i = 0; i < n_fits; i++) {
        const struct fit_result *r = fits[i].result;
        if (!sweep_report_main_const_impl(&fits[i])) continue;
        sf_buf_printf(&c->b, "| %s | %s | [%s, %s] |", fits[i].fit->name,
                      sf_fmt_sig(n1, sizeof n1, r->entropy.estimate),
                      sf_fmt_sig(n2, sizeof n2, r->entropy.lo),
                      sf_fmt_sig(n3, sizeof n3, r->entropy.hi));
        bool inside = isfinite(r->entropy.lo) && bayes >= r->entropy.lo && bayes <= r->entropy.hi;
        if (bayes == 0.0) /* the error is the constant itself: no relative error */
            sf_buf_printf(&c->b, " 0 | %+.4g | %s |", r->entropy.estimate,
                          inside ? "yes" : "**no**");
        else if (isfinite(bayes))
            sf_buf_printf(&c->b, " %.6g | %+.3f%% | %s |", bayes,
                          100 * (r->entropy.estimate - bayes) / bayes, inside ? "yes" : "**no**");
        sf_buf_puts(&c->b, "\n");
    }
    sf_buf_puts(&c->b, "\n");
    for (size_t i = 0; i < n_fits && isfinite(bayes) && c->have_curves; i++)
        if (sweep_report_main_const_impl(&fits[i]) &&
            sweep_report_has_reducible_impl(fits[i].fit->law))
            sweep_report_reducible_impl(c, &fits[i]);
    for (size_t i = 0; i < n_fits && c->have_curves; i++)
        if (sweep_report_main_const_impl(&fits[i]) &&
            sweep_report_has_reducible_impl(fits[i].fit->law))
            sweep_report_improving_impl(c, &fits[i]);
}

/* The sweep's figures, each fit's figure folder, and the figures not drawn. */
static void sweep_report_figures_impl(struct sf_buf *b, const struct sweep_fit_outcome *fits,
                                      size_t n_fits, const struct sweep_report_info *info) {
    if (!(info->figures && info->figures[0]) &&
        !(info->missing_figures && info->missing_figures[0]))
        return;
    sf_buf_puts(b, "## Figures\n\n");
    for (size_t i = 0; info->figures && info->figures[i]; i++)
        sf_buf_printf(b, "![%s](figures/%s.png)\n\n", info->figures[i], info->figures[i]);
    for (size_t i = 0; i < n_fits; i++)
        if (fits[i].result != NULL)
            sf_buf_printf(b, "- figures of %s: [fits/%s/figures/](fits/%s/figures/)\n",
                          fits[i].fit->name, fits[i].fit->name, fits[i].fit->name);
    for (size_t i = 0; info->missing_figures && info->missing_figures[i]; i++)
        sf_buf_printf(b, "- not drawn: %s\n", info->missing_figures[i]);
    sf_buf_puts(b, "\n");
}

enum sf_status sweep_report_write(const struct sweep_spec *s, const struct sweep_run *runs,
                                  size_t n, const char *out_dir,
                                  const struct sweep_fit_outcome *fits, size_t n_fits,
                                  const struct sweep_report_info *info, struct sf_error *err) {
    struct sweep_report_ctx c;
    memset(&c, 0, sizeof c);
    c.s      = s;
    c.src    = model_source_get(s->base.data.source);
    char *rp = sf_path_join(out_dir, "results.csv"), *cp = sf_path_join(out_dir, "curves.csv");
    enum sf_status st =
        rp ? sf_csv_read(rp, &c.results, err) : SF_SET(err, SF_ENOMEM, "out of memory");
    c.have_curves = st == SF_OK && cp && sf_csv_read(cp, &c.curves, err) == SF_OK;
    free(rp);
    free(cp);
    if (st != SF_OK) return st;
    c.bayes = c.entropy = NAN;
    for (size_t i = 0; i < c.results.n_rows; i++) {
        if (isnan(c.bayes)) c.bayes = sweep_cell_impl(&c.results, i, "bayes_loss");
        if (isnan(c.entropy)) c.entropy = sweep_cell_impl(&c.results, i, "entropy_rate");
    }
    c.exact_kl = sweep_has_exact_kl_impl(&c);
    sf_buf_init(&c.b);
    sweep_report_head_impl(&c, n, info);
    sweep_report_timing_impl(&c.b, info);
    sweep_report_runs_impl(&c);
    sweep_report_seeds_impl(&c, runs, n);
    sf_buf_puts(&c.b, "## Laws\n\n");
    for (size_t i = 0; i < n_fits; i++)
        sweep_report_fit_impl(&c, &fits[i]);
    sweep_report_entropy_impl(&c, fits, n_fits);
    sweep_report_divergences(&c.b, &c.results, fits, n_fits);
    sweep_report_objectives(&c.b, s, &c.results, c.have_curves ? &c.curves : NULL, fits, n_fits);
    sweep_report_students(&c.b, s, &c.results, fits, n_fits);
    sweep_report_mi(&c.b, &c.results, fits, n_fits);
    sweep_report_classify(&c.b, s, &c.results, fits, n_fits);
    sweep_report_positions(&c.b, s, out_dir);
    sweep_report_frames(&c.b, s, out_dir);
    sweep_report_math(&c.b, s, out_dir, &c.results, fits, n_fits);
    sweep_report_resolutions(&c.b, s, &c.results, fits, n_fits);
    sweep_report_theory(&c.b, s, fits, n_fits);
    sweep_report_figures_impl(&c.b, fits, n_fits, info);
    sf_csv_free(&c.results);
    sf_csv_free(&c.curves);
    st = sf_write_buf_at(out_dir, "report.md", &c.b, err);
    sf_buf_free(&c.b);
    return st;
}
