/*
 * figures.h — the public interface of scalefit's figures (prefix figures_): the figures of one
 * fit (which figure kinds apply to its law, the tables they plot, drawn with src/plot into
 * DIR/figures/), the folder of one fit (fit.yaml, figures, report.md), the figures of a sweep
 * directory (figure 7, the learning curves of curves.csv, and figure 5, the compute frontier of
 * the sweep's frontier fit, into OUT/figures/), and redrawing the stored figures of a fit, a
 * comparison or a sweep (`scalefit plot`).
 *
 * It uses src/fit for the numbers and src/plot to draw; it never prints: every problem goes to
 * the caller's diagnostics list, in DESIGN.md's wording, for the caller to print.
 */
#ifndef SF_FIGURES_H
#define SF_FIGURES_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "fit.h"

/* What was drawn: figure base names (files FIGDIR/NAME.png and .svg) and, for each figure
 * that could not be drawn, "NAME: reason". Both NULL-terminated; set up by figures_list_init
 * (or the draw calls below), freed with figures_list_free. */
struct figures_list {
    char **drawn;
    char **missing;
    size_t n_drawn, n_missing;
    /* A figure failed because the disk is full (sys_errno ENOSPC or EDQUOT): the first such
     * failure. Not a figure's problem: callers stop there, writing no report. */
    bool            disk_full;
    struct sf_error full;
    /* Figures are written as tables and scripts only, not drawn (a fit made with --no-plot:
     * `scalefit plot` draws them later); they are then in neither list. */
    bool write_only;
};

/* Empty lists (an allocation failure leaves them NULL; adding then does nothing). */
void figures_list_init(struct figures_list *f);
void figures_list_free(struct figures_list *f);

/* Draws the figures of `r` into DIR/figures/ when `enabled`, else writes only their tables and
 * scripts there for a later `scalefit plot` (the lists in `out` are set up either way, and stay
 * empty then; free with figures_list_free). Never fails the fit: a figure that cannot be drawn
 * is listed as missing with the reason, and added to `diags` as a warning ("figure NAME not
 * drawn: REASON"), as is each line gnuplot writes ("figure NAME: gnuplot: LINE"). */
void figures_fit_draw(const struct fit_result *r, const char *dir, bool enabled,
                      struct figures_list *out, struct sf_diags *diags);

/* Writes one fit's folder `dir` (created): fit.yaml, the figures (when `plot`; warnings to
 * `diags` as figures_fit_draw) and report.md naming them. Used by `scalefit fit` and a sweep's
 * fits alike. Returns the status of the first file that could not be written, with `err` (a full
 * disk while drawing included: then report.md is left as it was). */
enum sf_status figures_fit_write(const struct fit_result *r, const struct fit_provenance *prov,
                                 const char *dir, bool plot, struct sf_diags *diags,
                                 struct sf_error *err);

/* The sweep's fits its figures draw (each borrowed, NULL when the sweep has none such): a law
 * fitted to learning curves (the frontier), the measured KL as a pure power law in N with its
 * fit's name, and a law of N with a constant whose L(N) − L_inf is the reducible loss it
 * implies, with its name. */
struct figures_sweep_fits {
    const struct fit_result *frontier;
    const struct fit_result *kl;
    const char              *kl_name;
    const struct fit_result *reducible;
    const char              *reducible_name;
    const struct fit_result *kl_frontier; /* the measured KL on its compute frontier */
    const char              *kl_frontier_name;
    /* A classification stage (runs with an error rate): its loss and its error rate against N,
     * drawn beside the main grid's loss (`reducible`'s fit). */
    const struct fit_result *class_loss, *class_error;
    const char              *class_loss_name, *class_error_name;
    /* The `log` law of the mutual information between a sample's two parts (y final_mi). */
    const struct fit_result *mi;
    const char              *mi_name;
    /* A law of N fitted to the extrapolation split's loss (y final_extrap_loss), drawn in
     * "problems" beside `reducible` (the interpolation split's). */
    const struct fit_result *extrap;
    const char              *extrap_name;
    /* What the data source's samples are ("frame": "frames" draws the loss per frame). */
    const char *sample_unit;
    /* A sweep over resolutions: each resolution's law of N with a constant (per token, its
     * tokens_per_sample the pixels of an image), drawn per sample in "resolutions", and the
     * target reducible loss per sample its forecasts invert (0: none). */
    const struct fit_result *resolution_laws[8];
    double                   resolutions[8];
    size_t                   n_resolutions;
    double                   resolution_target;
    /* The divergences to the truth (forward KL, reverse KL, JS, TV, H², CS): each one's pure
     * power law in N (y best_eval_NAME) and on its compute frontier (eval_NAME), NULL where the
     * sweep has none; drawn in "divergences" and "divergences_compute". */
    const struct fit_result *div_n[6], *div_c[6];
    const char              *div_n_names[6], *div_c_names[6];
};

/* Draws the sweep's figures into SWEEP_DIR/figures/: "curves" from SWEEP_DIR/curves.csv (with
 * the data's entropy from results.csv's bayes_loss when every run gives the same value),
 * "frontier" from fits->frontier, "kl" where results.csv has the exact KL of its runs
 * (best_eval_kl) with the KL and reducible fits, and "kl_compute" where curves.csv has it
 * (eval_kl) with the frontier fit's reducible loss, and "classify" where results.csv has runs of
 * a stage with an error rate (best_eval_loss and final_eval_error against N beside the main
 * grid's best_eval_loss, with their fits), and "mi" and "mi_losses" where results.csv has the
 * mutual information between the two parts of its samples (final_mi, with the `log` law fitted
 * to it), and "problems" where results.csv has an extrapolation split's loss (both splits' loss
 * and error rate against N, with `reducible` and `extrap`, and problems.csv's difficulties). The
 * lists in `out` are set up here (free with
 * figures_list_free). Never fails the sweep: a figure that cannot be drawn is listed as missing
 * with the reason and added to `diags` as a warning. */
void figures_sweep_draw(const char *sweep_dir, const struct figures_sweep_fits *fits,
                        struct figures_list *out, struct sf_diags *diags);

/* What figures_redraw found and did. */
struct figures_redraw {
    const char *kind; /* "fit", "comparison of fits" or "sweep" (static), NULL when none */
    size_t      folders, drawn, failed;
};

/* Redraws the figures stored in DIR (an existing directory): of a fit (DIR/fit.yaml), of a
 * comparison (each DIR/LAW or DIR/GROUP/LAW with a fit.yaml) or of a sweep (DIR/figures and
 * DIR/fits/NAME/figures), by running gnuplot on each figures/NAME.gp. A script that fails is
 * counted in `res->failed` and added to `diags` as an error; gnuplot's messages as warnings.
 * Returns SF_EINVAL, with the error in `diags`, when DIR holds no fit or sweep or has no
 * figure scripts; else SF_OK. */
enum sf_status figures_redraw(const char *dir, struct figures_redraw *res, struct sf_diags *diags);

#endif /* SF_FIGURES_H */
