/*
 * report_md.c — report.md, the same fit for a person: the law and how it was fitted, the
 * parameters with intervals, the entropy / reducible-loss split, forecasts, held-out points,
 * diagnostics, warnings and the figures; the comparison report of several fits; and the short
 * summary printed on stdout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void fit_md_interval_impl(struct sf_buf *b, double lo, double hi) {
    char x[32], y[32];
    if (!isfinite(lo) || !isfinite(hi))
        sf_buf_puts(b, "–");
    else
        sf_buf_printf(b, "[%s, %s]", sf_fmt_sig(x, sizeof x, lo), sf_fmt_sig(y, sizeof y, hi));
}

static void fit_md_interval_source_impl(struct sf_buf *b, const struct fit_result *r) {
    double pct = 100 * r->req.params.level;
    if (r->intervals_bootstrap && r->state->law->curves)
        sf_buf_printf(b,
                      "Intervals: %g%% bootstrap intervals from %zu replicates (each learning "
                      "curve's residuals around a local quadratic smoother resampled, the "
                      "frontier built and fitted again; symmetric about the estimate, so that "
                      "they are two-sided and hold it, with the half-width the replicates' "
                      "distance from the fit to the smooth curves' frontier, which takes in the "
                      "running minimum's pull towards low noise, or for the optimal-size law "
                      "their distance from the estimate; seed %llu; %zu failed "
                      "and %zu on a bound, left out).\n",
                      pct, r->boot.used, (unsigned long long)r->req.params.seed, r->boot.failed,
                      r->boot.degenerate);
    else if (r->intervals_bootstrap)
        sf_buf_printf(b,
                      "Intervals: %g%% bootstrap percentile intervals from %zu replicates "
                      "(resampling unit: row; seed %llu; %zu failed and %zu on a bound, left "
                      "out).\n",
                      pct, r->boot.used, (unsigned long long)r->req.params.seed, r->boot.failed,
                      r->boot.degenerate);
    else
        sf_buf_printf(b,
                      "Intervals: %g%% intervals from the covariance alone (%s), with Student's t "
                      "quantile, on the log scale for positive quantities.\n",
                      pct,
                      r->req.params.bootstrap == 0
                          ? "no bootstrap: --bootstrap 0"
                          : "the bootstrap was not usable: see the warnings");
    sf_buf_printf(b, "Standard errors: %s.\n", r->cov_method);
}

/* The opening paragraph: the law, the data, the objective. */
static void fit_md_intro_impl(struct sf_buf *b, const struct fit_result *r,
                              const struct fit_provenance *prov) {
    const struct fit_law_desc *law = r->state->law;
    sf_buf_printf(b, "Law: `%s` (%s), fitted to %zu %s of %zu rows read from `%s`", law->name,
                  law->formula, r->n_fit,
                  law->curves
                      ? (r->req.frontier_hull ? "points of the frontier's lower convex hull, from"
                                              : "compute-frontier points of the learning curves in")
                      : "points",
                  prov->rows_read, prov->input_path);
    if (prov->group) sf_buf_printf(b, " (group `%s`)", prov->group);
    sf_buf_puts(b, ".\n");
    if (r->data->runs_read > 0)
        sf_buf_printf(b,
                      "The %zu runs are seeds of %zu shapes (--shape): each shape's seeds were "
                      "averaged into one curve before the frontier, which therefore never takes "
                      "the luckiest seed.\n",
                      r->data->runs_read, r->data->n_runs);
    if (law->note) sf_buf_printf(b, "%s\n", law->note);
    if (prov->n_filters > 0) {
        sf_buf_puts(b, "Filters:");
        for (size_t i = 0; i < prov->n_filters; i++)
            sf_buf_printf(b, " `%s`", prov->filters[i]);
        sf_buf_puts(b, ".\n");
    }
    sf_buf_printf(b, "Objective: %s of the residuals in %s space, summed",
                  r->req.loss == FIT_LOSS_HUBER ? "Huber loss" : "squares",
                  r->req.space == FIT_SPACE_LOG ? "log" : "linear");
    if (r->req.loss == FIT_LOSS_HUBER) sf_buf_printf(b, " (delta = %g)", r->req.delta);
    if (prov->weights) sf_buf_printf(b, ", weighted by `%s`", prov->weights);
    sf_buf_printf(b, ". Final value %.10g, gradient norm %.3g: %s.\n\n", r->objective,
                  r->gradient_norm,
                  r->converged ? "converged to a stationary point" : "**did not converge**");
}

/* ## Parameters, with the law's derived values. */
static void fit_md_parameters_impl(struct sf_buf *b, const struct fit_result *r) {
    const struct fit_law_desc *law = r->state->law;
    char                       n1[32], n2[32];
    sf_buf_puts(b, "## Parameters\n\n| parameter | estimate | std. error | interval | unit |\n"
                   "|---|---|---|---|---|\n");
    for (size_t j = 0; j < r->p; j++) {
        const struct fit_param *pp = &r->param[j];
        const char             *unit =
            (pp->unit[0] == 'x' && pp->unit[1] == '\0') ? r->data->x1_name : pp->unit;
        sf_buf_printf(b, "| %s | %s%s | %s | ", pp->name,
                      sf_fmt_sig(n1, sizeof n1, pp->value.estimate),
                      pp->at_bound ? " (on its bound)"
                      : pp->fixed  ? " (fixed)"
                                   : "",
                      sf_fmt_sig(n2, sizeof n2, pp->value.se));
        fit_md_interval_impl(b, pp->value.lo, pp->value.hi);
        sf_buf_printf(b, " | %s |\n", unit[0] ? unit : "–");
    }
    for (size_t j = 0; j < law->n_derived; j++) {
        sf_buf_printf(b, "| %s | %s | %s | ", law->derived_labels[j],
                      sf_fmt_sig(n1, sizeof n1, r->derived[j].estimate),
                      sf_fmt_sig(n2, sizeof n2, r->derived[j].se));
        fit_md_interval_impl(b, r->derived[j].lo, r->derived[j].hi);
        sf_buf_puts(b, " | – |\n");
    }
    sf_buf_puts(b, "\n");
    fit_md_interval_source_impl(b, r);
    sf_buf_puts(b, "\n");
}

/* ## Entropy and reducible loss: laws with a constant only. */
static void fit_md_entropy_impl(struct sf_buf *b, const struct fit_result *r) {
    const struct fit_law_desc *law = r->state->law;
    const struct fit_data     *d   = r->data;
    char                       n1[32], n2[32], n3[32];
    if (!law->has_constant) return;
    const struct fit_estimate *e = &r->entropy;
    sf_buf_puts(b, "## Entropy and reducible loss\n\n");
    sf_buf_printf(b, "The constant %s = %s nats/token ", law->params[0].name,
                  sf_fmt_sig(n1, sizeof n1, e->estimate));
    fit_md_interval_impl(b, e->lo, e->hi);
    sf_buf_printf(b, " = %s bits/token", sf_fmt_sig(n2, sizeof n2, e->estimate / M_LN2));
    if (r->req.tokens_per_sample > 0)
        sf_buf_printf(b, " = %s nats per sample of %g tokens",
                      sf_fmt_sig(n3, sizeof n3, e->estimate * r->req.tokens_per_sample),
                      r->req.tokens_per_sample);
    sf_buf_puts(b, " estimates the entropy of the data (the irreducible loss); the rest, "
                   "L − L_inf, estimates the KL divergence between the data and the model "
                   "(the reducible loss; Henighan et al. 2020, eq. 1.2).\n");
    if (r->req.true_entropy == 0.0) {
        bool inside = isfinite(e->lo) && e->lo <= 0.0;
        sf_buf_printf(b,
                      "\nThe data's entropy is exactly zero (each target is a function of what "
                      "precedes it): the constant is the irreducible error of the model family "
                      "at this training, not an entropy, and zero lies %s its interval.\n",
                      inside ? "inside" : "outside");
    } else if (isfinite(r->req.true_entropy)) {
        double t      = r->req.true_entropy;
        bool   inside = isfinite(e->lo) && t >= e->lo && t <= e->hi;
        sf_buf_printf(b,
                      "\nThe true entropy is %.6g nats/token: the estimate is off by %+.4g "
                      "(%+.3g%%), and the true value lies %s the interval.\n",
                      t, e->estimate - t, 100 * (e->estimate - t) / t,
                      inside ? "inside" : "**outside**");
    }
    if (!law->curves) {
        sf_buf_printf(b,
                      "\n| line | %s%s%s | loss | reducible | share of loss |\n"
                      "|---|---|---|---|---|%s\n",
                      d->x1_name, d->x2_name ? " | " : "", d->x2_name ? d->x2_name : "",
                      d->x2_name ? "---|" : "");
        for (size_t i = 0; i < d->n; i++) {
            if (d->held_out[i]) continue;
            const struct fit_point_out *po = &r->points[i];
            sf_buf_printf(b, "| %zu | %.4g", d->line[i], d->x1[i]);
            if (d->x2) sf_buf_printf(b, " | %.4g", d->x2[i]);
            sf_buf_printf(b, " | %.5g | %.4g | %.1f%% |\n", d->y[i], po->reducible,
                          100 * po->reducible / d->y[i]);
        }
    }
    sf_buf_puts(b, "\n");
}

/* ## Compute frontier: laws fitted to learning curves only. */
static void fit_md_frontier_impl(struct sf_buf *b, const struct fit_result *r) {
    if (!r->state->law->curves) return;
    const struct fit_data     *d  = r->data;
    const struct fit_frontier *fr = &r->frontier;
    sf_buf_printf(b,
                  "## Compute frontier\n\nThe frontier of %zu learning curves, the lowest loss "
                  "any of them reached at compute up to C (it never rises), at %zu points (a "
                  "log-spaced compute grid, %g per decade, and the points where a run set a new "
                  "lowest loss); ",
                  d->n_runs, fr->n_env, r->req.params.frontier_points_per_decade);
    if (fr->n_front < fr->n_env)
        sf_buf_printf(b,
                      "the last %zu repeat its lowest loss after the best run ended (its flat "
                      "tail) and are not fitted; ",
                      fr->n_env - fr->n_front);
    sf_buf_printf(b, "%zu points lie on its lower convex hull, owned by:", fr->n_hull);
    size_t *hr = malloc((fr->n_hull ? fr->n_hull : 1) * sizeof *hr);
    size_t  nh = hr ? fit_frontier_hull_runs(fr, hr) : 0;
    for (size_t h = 0; h < nh; h++)
        sf_buf_printf(b, " `%s`", d->run_names[hr[h]]);
    free(hr);
    sf_buf_printf(b,
                  ". The optimal-size law N_opt = (C/C_n)^beta_opt was %s (%zu %s with a model "
                  "size).\n\n",
                  fr->nopt_fitted ? "fitted to the sizes of the runs owning the points L(C) "
                                    "was fitted to"
                                  : "**not fitted**",
                  fr->nopt_points, r->req.frontier_hull ? "hull points" : "frontier points");
}

/* ## Forecasts, ## Size for a target reducible loss, ## Compute-optimal allocation. */
static void fit_md_forecasts_impl(struct sf_buf *b, const struct fit_result *r) {
    const struct fit_law_desc *law = r->state->law;
    char                       n1[32];
    if (r->req.n_predict > 0) {
        sf_buf_puts(b, "## Forecasts\n\n| at | loss | interval |\n|---|---|---|\n");
        for (size_t i = 0; i < r->req.n_predict; i++) {
            sf_buf_printf(b, "| %s | %s | ", r->req.predict[i].text,
                          sf_fmt_sig(n1, sizeof n1, r->forecasts[i].estimate));
            fit_md_interval_impl(b, r->forecasts[i].lo, r->forecasts[i].hi);
            sf_buf_puts(b, " |\n");
        }
        sf_buf_puts(b, "\n");
    }
    if (r->req.n_target > 0 && law->n_vars == 2) {
        sf_buf_puts(b, "## Compute for a target reducible loss\n\nAt the compute-optimal "
                       "allocation (the N that minimises the law at C = 6ND).\n\n| reducible "
                       "loss | compute (FLOP) | interval | N | interval | D | interval |\n"
                       "|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < r->req.n_target; i++) {
            sf_buf_printf(b, "| %g |", r->req.target_reducible[i]);
            for (size_t k = 0; k < 3; k++) {
                const struct fit_estimate *e = &r->targets[3 * i + k];
                sf_buf_printf(b, " %s | ", sf_fmt_sig(n1, sizeof n1, e->estimate));
                fit_md_interval_impl(b, e->lo, e->hi);
                sf_buf_puts(b, " |");
            }
            sf_buf_puts(b, "\n");
        }
        sf_buf_puts(b, "\n");
    } else if (r->req.n_target > 0) {
        sf_buf_printf(b,
                      "## Size for a target reducible loss\n\n| reducible loss | %s | interval |\n"
                      "|---|---|---|\n",
                      law->x_heading ? law->x_heading : r->data->x1_name);
        for (size_t i = 0; i < r->req.n_target; i++) {
            sf_buf_printf(b, "| %g | %s | ", r->req.target_reducible[i],
                          sf_fmt_sig(n1, sizeof n1, r->targets[i].estimate));
            fit_md_interval_impl(b, r->targets[i].lo, r->targets[i].hi);
            sf_buf_puts(b, " |\n");
        }
        sf_buf_puts(b, "\n");
    }
    if (r->req.n_compute > 0 && law->alloc != NULL) {
        sf_buf_puts(b, "## Compute-optimal allocation (C = 6ND)\n\n| compute (FLOP) | PF-days | "
                       "N_opt | D_opt | tokens per parameter |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < r->req.n_compute; i++) {
            const struct fit_estimate *a = &r->alloc[3 * i];
            sf_buf_printf(b, "| %g | %.4g |", r->req.compute[i],
                          r->req.compute[i] / SF_PF_DAY_FLOP);
            for (size_t k = 0; k < 3; k++) {
                sf_buf_printf(b, " %s ", sf_fmt_sig(n1, sizeof n1, a[k].estimate));
                fit_md_interval_impl(b, a[k].lo, a[k].hi);
                sf_buf_puts(b, " |");
            }
            sf_buf_puts(b, "\n");
        }
        sf_buf_puts(b, "\n");
    }
}

/* ## Held-out points. */
static void fit_md_heldout_impl(struct sf_buf *b, const struct fit_result *r,
                                const struct fit_provenance *prov) {
    const struct fit_data *d      = r->data;
    size_t                 n_hold = 0;
    for (size_t i = 0; i < d->n; i++)
        n_hold += d->held_out[i];
    if (n_hold == 0) return;
    sf_buf_printf(b,
                  "## Held-out points%s%s\n\n| line | %s%s%s | loss | predicted | interval | "
                  "relative error |\n|---|---|---|---|---|---|%s\n",
                  prov->holdout ? ": " : "", prov->holdout ? prov->holdout : "", d->x1_name,
                  d->x2_name ? " | " : "", d->x2_name ? d->x2_name : "", d->x2 ? "---|" : "");
    for (size_t i = 0; i < d->n; i++) {
        if (!d->held_out[i]) continue;
        const struct fit_point_out *po = &r->points[i];
        sf_buf_printf(b, "| %zu | %.4g", d->line[i], d->x1[i]);
        if (d->x2) sf_buf_printf(b, " | %.4g", d->x2[i]);
        sf_buf_printf(b, " | %.5g | %.5g | ", d->y[i], po->predicted);
        fit_md_interval_impl(b, po->lo, po->hi);
        sf_buf_printf(b, " | %+.3f%% |\n", 100 * po->rel_error);
    }
    sf_buf_printf(b, "\nRMSE of the held-out log residuals: %.4g.\n\n", r->heldout_rmse_log);
}

/* ## Rolling-origin extrapolation (only with --rollout). */
static void fit_md_rollout_impl(struct sf_buf *b, const struct fit_result *r) {
    const struct fit_rollout *ro = r->rollout;
    const struct fit_data    *d  = r->data;
    if (ro == NULL) return;
    char n1[32], n2[32];
    sf_buf_printf(b,
                  "## Rolling-origin extrapolation\n\nEach split fits the law, with the settings "
                  "above, to the rows of the k smallest values of %s (k from %zu) and predicts "
                  "every row of the next value; the interval is the split's own %g%% interval of "
                  "the prediction.\n\n| split | fitted: %s up to | predicts %s | %s%sloss | "
                  "predicted | interval | error (log) |\n|---|---|---|---|%s---|---|---|\n",
                  d->x1_name, ro->first, 100 * r->req.params.level, d->x1_name, d->x1_name,
                  d->x2 ? d->x2_name : "", d->x2 ? " | " : "", d->x2 ? "---|" : "");
    for (size_t i = 0; i < ro->n_points; i++) {
        const struct fit_rollout_point *pt = &ro->points[i];
        const struct fit_rollout_split *sp = &ro->splits[pt->split];
        sf_buf_printf(b, "| %zu | %s | %s | ", pt->split + 1,
                      sf_fmt_sig(n1, sizeof n1, sp->fitted_max),
                      sf_fmt_sig(n2, sizeof n2, sp->predicted_size));
        if (d->x2) sf_buf_printf(b, "%s | ", sf_fmt_sig(n1, sizeof n1, pt->x2));
        sf_buf_printf(b, "%.5g | %.5g | ", pt->y, pt->predicted);
        fit_md_interval_impl(b, pt->lo, pt->hi);
        sf_buf_printf(b, "%s | %+.4f |\n", pt->inside ? "" : " (outside)", pt->residual_log);
    }
    sf_buf_printf(b,
                  "\nRMSE of the log residuals over the %zu predictions of %zu splits: %s; %zu "
                  "of %zu losses inside their interval.\n\n",
                  ro->n_points, ro->n_splits, sf_fmt_sig(n1, sizeof n1, ro->rmse_log), ro->covered,
                  ro->n_points);
}

/* ## Diagnostics, ## Warnings, ## Stages. */
static void fit_md_diagnostics_impl(struct sf_buf *b, const struct fit_result *r) {
    char n1[32], n2[32], n3[32];
    sf_buf_printf(b,
                  "## Diagnostics\n\nR² (log space) %s, RMSE of log residuals %s, AIC %s, BIC %s "
                  "over %zu points.\n\n",
                  sf_fmt_sig(n1, sizeof n1, r->r2_log), sf_fmt_sig(n2, sizeof n2, r->rmse_log),
                  sf_fmt_sig(n3, sizeof n3, r->aic), sf_fmt_sig((char[32]){0}, 32, r->bic),
                  r->n_fit);
    if (r->n_warnings > 0) {
        sf_buf_puts(b, "## Warnings\n\n");
        for (size_t i = 0; i < r->n_warnings; i++)
            sf_buf_printf(b, "- %s\n", r->warnings[i]);
        sf_buf_puts(b, "\n");
    }
    sf_buf_puts(b, "## Stages\n\n| stage | start | status | iterations | objective |\n"
                   "|---|---|---|---|---|\n");
    for (size_t s = 0; s < r->n_stages; s++) {
        const struct fit_stage *st = &r->stages[s];
        if (strcmp(st->name, "grid") == 0)
            sf_buf_printf(b, "| grid (%zu cells) | – | %s | – | %.10g |\n", st->points, st->status,
                          st->objective);
        else
            sf_buf_printf(b, "| polish | %zu | %s | %zu | %.10g |\n", st->start, st->status,
                          st->iterations, st->objective);
    }
    sf_buf_puts(b, "\n");
}

static void fit_md_body_impl(struct sf_buf *b, const struct fit_result *r,
                             const struct fit_provenance *prov) {
    fit_md_intro_impl(b, r, prov);
    fit_md_parameters_impl(b, r);
    fit_md_entropy_impl(b, r);
    fit_md_frontier_impl(b, r);
    fit_md_forecasts_impl(b, r);
    fit_md_heldout_impl(b, r, prov);
    fit_md_rollout_impl(b, r);
    fit_md_diagnostics_impl(b, r);
}

enum sf_status fit_write_report(const struct fit_result *r, const struct fit_provenance *prov,
                                const char *const *figures, const char *const *missing_figures,
                                const char *dir, struct sf_error *err) {
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b, "# Fit: %s\n\n", r->state->law->name);
    sf_buf_printf(&b, "Made by scalefit %s: `%s`\n\n", prov->version, prov->command);
    fit_md_body_impl(&b, r, prov);
    if ((figures && figures[0]) || (missing_figures && missing_figures[0])) {
        sf_buf_puts(&b, "## Figures\n\n");
        for (size_t i = 0; figures && figures[i]; i++)
            sf_buf_printf(&b, "![%s](figures/%s.png)\n\n", figures[i], figures[i]);
        for (size_t i = 0; missing_figures && missing_figures[i]; i++)
            sf_buf_printf(&b, "- not drawn: %s\n", missing_figures[i]);
        sf_buf_puts(&b, "\n");
    }
    enum sf_status st = sf_write_buf_at(dir, "report.md", &b, err);
    sf_buf_free(&b);
    return st;
}

void fit_summary(const struct fit_result *r, const char *label, struct sf_buf *b) {
    char n1[32], n2[32], n3[32];
    sf_buf_printf(b, "%s%s%s: %s, %zu points, objective %.6g%s\n", label ? label : "",
                  label ? " " : "", fit_law_name(r->law), fit_law_formula(r->law), r->n_fit,
                  r->objective, r->converged ? "" : " (NOT CONVERGED)");
    for (size_t j = 0; j < r->p; j++) {
        const struct fit_param *pp = &r->param[j];
        sf_buf_printf(
            b, "  %-8s = %s  [%s, %s]%s\n", pp->name, sf_fmt_sig(n1, sizeof n1, pp->value.estimate),
            sf_fmt_sig(n2, sizeof n2, pp->value.lo), sf_fmt_sig(n3, sizeof n3, pp->value.hi),
            pp->at_bound ? "  (on bound)"
            : pp->fixed  ? "  (fixed)"
                         : "");
    }
    if (isfinite(r->heldout_rmse_log))
        sf_buf_printf(b, "  held-out RMSE (log) = %.4g\n", r->heldout_rmse_log);
    for (size_t i = 0; i < r->n_warnings; i++)
        sf_buf_printf(b, "  warning: %s\n", r->warnings[i]);
}

/* One row of the comparison's table. */
static void fit_md_comparison_row_impl(struct sf_buf *b, const struct fit_comparison_entry *e,
                                       size_t rank, enum fit_rank_by by) {
    const struct fit_result *r = e->result;
    char                     n1[32], n2[32], n3[32], n4[32], n5[32];
    sf_buf_printf(b, "| %s | %zu | %s | %s | %zu | %.6g%s | %s | %s | %s | %s | %s | ",
                  e->group ? e->group : "–", rank, fit_rank_by_text(by), fit_law_name(r->law),
                  r->n_fit, r->objective, r->converged ? "" : " (not converged)",
                  sf_fmt_sig(n1, sizeof n1, r->aic), sf_fmt_sig(n2, sizeof n2, r->bic),
                  sf_fmt_sig(n3, sizeof n3, r->rmse_log),
                  sf_fmt_sig(n4, sizeof n4, r->heldout_rmse_log),
                  r->rollout ? sf_fmt_sig(n5, sizeof n5, r->rollout->rmse_log) : "–");
    for (size_t j = 0; j < r->p; j++)
        sf_buf_printf(b, "%s%s = %s", j ? ", " : "", r->param[j].name,
                      sf_fmt_sig(n1, sizeof n1, r->param[j].value.estimate));
    sf_buf_printf(b, " | [%s/report.md](%s/report.md) |\n", e->dir, e->dir);
}

/* ## Early stopping: Kaplan's step from an L(N, D) and an L(N, S) fit of one group. */
static void fit_md_early_stop_impl(struct sf_buf *b, const struct fit_comparison_entry *e,
                                   size_t n) {
    char n1[32], n2[32], n3[32];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (!fit_early_stop_pair(e[i].result, e[j].result) ||
                !fit_same_group(e[i].group, e[j].group))
                continue;
            struct fit_early_stop s[64];
            size_t                m = fit_early_stop(e[i].result, e[j].result, s, 64);
            sf_buf_printf(b,
                          "\n## Early stopping%s%s\n\nKaplan et al. (2020): a model of N "
                          "parameters trained on D tokens should stop no sooner than S_stop = "
                          "S_c / [L(N, D) - L(N, inf)]^(1/alpha_S), with L(N, D) from `%s` "
                          "(L(N, inf) = (N_c/N)^alpha_N, its limit of unlimited data) and S_c, "
                          "alpha_S from `%s` (point estimates); D is the most tokens a row of "
                          "that size saw.\n\n| N | D | S_stop |\n|---|---|---|\n",
                          e[i].group ? ": " : "", e[i].group ? e[i].group : "", e[i].dir, e[j].dir);
            for (size_t k = 0; k < m; k++)
                sf_buf_printf(b, "| %s | %s | %s |\n", sf_fmt_sig(n1, sizeof n1, s[k].n),
                              sf_fmt_sig(n2, sizeof n2, s[k].d),
                              sf_fmt_sig(n3, sizeof n3, s[k].steps));
        }
    }
}

enum sf_status fit_write_comparison_report(const struct fit_comparison_entry *e, size_t n,
                                           const size_t *rank, const enum fit_rank_by *by,
                                           const struct fit_provenance *prov, const char *dir,
                                           struct sf_error *err) {
    struct sf_buf b;
    sf_buf_init(&b);
    sf_buf_printf(&b,
                  "# Fits compared\n\nMade by scalefit %s: `%s`\n\nInput `%s`, %zu rows read. "
                  "AIC and BIC use the residual sum of squares in each fit's residual space "
                  "(lower is better); held-out error is the RMSE of log residuals on the "
                  "held-out rows.\n\n",
                  prov->version, prov->command, prov->input_path, prov->rows_read);
    sf_buf_puts(&b, "Ranked within each group (1 is best): converged fits first, then by the "
                    "held-out RMSE where every fit of the group has held-out rows, else by the "
                    "RMSE of the rollout's predictions where every fit has a rollout (--rollout), "
                    "else by AIC; ties by AIC, then BIC.\n\n");
    sf_buf_puts(&b,
                "| group | rank | ranked by | law | points | objective | AIC | BIC | RMSE (log) "
                "| held-out RMSE | rollout RMSE | parameters | report "
                "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    /* Each group's rows in the order of their ranks, the groups in order of appearance. */
    for (size_t g = 0; g < n; g++) {
        bool first = true;
        for (size_t j = 0; j < g; j++)
            first = first && !fit_same_group(e[j].group, e[g].group);
        for (size_t want = 1; first && want <= n; want++)
            for (size_t i = g; i < n; i++)
                if (rank[i] == want && fit_same_group(e[i].group, e[g].group))
                    fit_md_comparison_row_impl(&b, &e[i], rank[i], by[i]);
    }
    fit_md_early_stop_impl(&b, e, n);
    enum sf_status st = sf_write_buf_at(dir, "report.md", &b, err);
    sf_buf_free(&b);
    return st;
}
