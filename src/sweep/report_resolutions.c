/*
 * report_resolutions.c — the sweep report's section on a sweep over several resolutions
 * (`data.resolution` as a list): for each resolution its law of N (the main grid's fits whose
 * filter keeps that resolution), the entropy estimate per pixel and per image, the reducible loss
 * per image at the sizes the sweep trained, and Henighan et al.'s forecast where the fit names a
 * target: the model size that reaches that reducible loss per image, with its interval (the law
 * inverted, as `scalefit fit --target-reducible` does).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int64_t sweep_fit_resolution(const struct sweep_fit *f) {
    for (size_t k = 0; k < f->n_filters; k++)
        if (strncmp(f->filters[k], "resolution=", 11) == 0) return atoll(f->filters[k] + 11);
    return 0;
}

/* The smallest and largest N of the done main runs at resolution R. */
static void sweep_resolution_sizes_impl(const struct sf_csv *results, int64_t R, double *lo,
                                        double *hi) {
    long c_r = sf_csv_column(results, "resolution"),
         c_n = sf_csv_column(results, "params_nonembed");
    long c_s = sf_csv_column(results, "status"), c_g = sf_csv_column(results, "stage");
    *lo = *hi = NAN;
    for (size_t i = 0; c_r >= 0 && c_n >= 0 && c_s >= 0 && i < results->n_rows; i++) {
        char **f = results->rows[i].fields;
        double n;
        if (strcmp(f[c_s], "done") != 0 || (c_g >= 0 && strcmp(f[c_g], "main") != 0) ||
            atoll(f[c_r]) != R || !sf_parse_double(f[c_n], &n))
            continue;
        *lo = isnan(*lo) ? n : fmin(*lo, n);
        *hi = isnan(*hi) ? n : fmax(*hi, n);
    }
}

void sweep_report_resolutions(struct sf_buf *b, const struct sweep_spec *s,
                              const struct sf_csv *results, const struct sweep_fit_outcome *fits,
                              size_t n_fits) {
    if (s->n_resolutions == 0) return;
    const char *unit = model_source_get(s->base.data.source)->sample_unit;
    unit             = unit ? unit : "sample";
    char a[9][32];
    sf_buf_printf(
        b,
        "## Resolutions\n\n"
        "One grid per resolution; each law of N fitted to one resolution's runs "
        "(figure `resolutions`). Per %s = per pixel × the pixels of one %s (a window "
        "predicts every pixel of its %s but the first: the mean over those, "
        "scaled).\n\n"
        "| resolution | fit | entropy estimate per pixel | per %s | alpha | reducible per "
        "%s, smallest N | largest N | target per %s | N that reaches it |\n"
        "|---|---|---|---|---|---|---|---|---|\n",
        unit, unit, unit, unit, unit, unit);
    for (size_t ri = 0; ri < s->n_resolutions; ri++) {
        int64_t R = s->resolutions[ri];
        for (size_t i = 0; i < n_fits; i++) {
            const struct sweep_fit  *f = fits[i].fit;
            const struct fit_result *r = fits[i].result;
            if (r == NULL || strcmp(f->stage, "main") != 0 || sweep_fit_resolution(f) != R ||
                fit_law_fits_curves(f->law) || fit_law_n_vars(f->law) != 1 ||
                !fit_law_has_constant(f->law))
                continue;
            double k = r->req.tokens_per_sample > 0 ? r->req.tokens_per_sample : NAN;
            double lo, hi, red[2], rlo[2], rhi[2];
            sweep_resolution_sizes_impl(results, R, &lo, &hi);
            double x[2] = {lo, hi};
            fit_result_reducible_curve(r, x, 0, 2, red, rlo, rhi);
            const struct fit_estimate *e = &r->entropy;
            sf_buf_printf(
                b, "| %lldx%lld | %s | %s [%s, %s] | %s [%s, %s] | %s | %s | %s |", (long long)R,
                (long long)R, f->name, sf_fmt_sig(a[0], sizeof a[0], e->estimate),
                sf_fmt_sig(a[1], sizeof a[1], e->lo), sf_fmt_sig(a[2], sizeof a[2], e->hi),
                sf_fmt_sig(a[3], sizeof a[3], e->estimate * k),
                sf_fmt_sig(a[4], sizeof a[4], e->lo * k), sf_fmt_sig(a[5], sizeof a[5], e->hi * k),
                sf_fmt_sig(a[6], sizeof a[6], r->param[r->p - 1].value.estimate),
                sf_fmt_sig(a[7], sizeof a[7], red[0] * k),
                sf_fmt_sig(a[8], sizeof a[8], red[1] * k));
            if (f->target_per_sample > 0 && r->targets != NULL)
                sf_buf_printf(b, " %g | %s [%s, %s] |\n", f->target_per_sample,
                              sf_fmt_sig(a[1], sizeof a[1], r->targets[0].estimate),
                              sf_fmt_sig(a[2], sizeof a[2], r->targets[0].lo),
                              sf_fmt_sig(a[3], sizeof a[3], r->targets[0].hi));
            else
                sf_buf_puts(b, " | |\n");
        }
    }
    sf_buf_puts(b, "\n");
}
