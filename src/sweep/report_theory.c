/*
 * report_theory.c — the sweep report's comparison of fitted exponents with what theory predicts
 * for the data source (its entry's `theory`: the quantization model for `tasks`). A law's
 * exponent of N is compared with the predicted alpha_N, of D with alpha_D, and the frontier's
 * with what the additive law L = E + A/N^alpha_N + B/D^alpha_D gives at C = 6ND:
 * alpha_C = alpha_N·alpha_D/(alpha_N + alpha_D) and beta_opt = alpha_D/(alpha_N + alpha_D).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The predicted value of a fit's exponent, or NaN when theory says nothing of it. */
static double sweep_theory_predicted_impl(const struct sweep_fit *f, enum fit_exponent what,
                                          double an, double ad) {
    switch (what) {
    case FIT_EXPONENT_X1: return strcmp(f->x, "params_nonembed") == 0 ? an : NAN;
    case FIT_EXPONENT_X2: return strcmp(f->d, "tokens") == 0 ? ad : NAN;
    case FIT_EXPONENT_COMPUTE: return an * ad / (an + ad);
    case FIT_EXPONENT_NOPT: return ad / (an + ad);
    case FIT_EXPONENT_NONE: break;
    }
    return NAN;
}

void sweep_report_theory(struct sf_buf *b, const struct sweep_spec *s,
                         const struct sweep_fit_outcome *fits, size_t n_fits) {
    const struct model_source_entry *src = model_source_get(s->base.data.source);
    if (src->theory == NULL) return;
    double      an, ad;
    const char *name;
    src->theory(&s->base.data, &an, &ad, &name);
    char n1[32], n2[32], n3[32], n4[32];
    sf_buf_printf(b,
                  "## Exponents against theory\n\nPredicted by %s: alpha_N = %s where the model "
                  "is the limit, alpha_D = %s where the data are, and on the compute frontier of "
                  "L = E + A/N^alpha_N + B/D^alpha_D, alpha_C = %s and beta_opt = %s. A law of N "
                  "fitted to runs that are still improving (listed above) sees a mixture of both "
                  "regimes.\n\n| fit | parameter | estimate | interval | predicted | inside |\n"
                  "|---|---|---|---|---|---|\n",
                  name, sf_fmt_sig(n1, sizeof n1, an), sf_fmt_sig(n2, sizeof n2, ad),
                  sf_fmt_sig(n3, sizeof n3, an * ad / (an + ad)),
                  sf_fmt_sig(n4, sizeof n4, ad / (an + ad)));
    for (size_t i = 0; i < n_fits; i++) {
        const struct fit_result *r = fits[i].result;
        const struct sweep_fit  *f = fits[i].fit;
        for (size_t j = 0; r != NULL && j < r->p; j++) {
            double pred = sweep_theory_predicted_impl(f, fit_law_param_exponent(f->law, j), an, ad);
            if (isnan(pred)) continue;
            const struct fit_estimate *e = &r->param[j].value;
            bool inside = isfinite(e->lo) && isfinite(e->hi) && pred >= e->lo && pred <= e->hi;
            sf_buf_printf(b, "| %s | %s | %s | [%s, %s] | %s | %s |\n", f->name, r->param[j].name,
                          sf_fmt_sig(n1, sizeof n1, e->estimate), sf_fmt_sig(n2, sizeof n2, e->lo),
                          sf_fmt_sig(n3, sizeof n3, e->hi), sf_fmt_sig(n4, sizeof n4, pred),
                          inside ? "yes" : "**no**");
        }
    }
    sf_buf_puts(b, "\n");
}
