/*
 * curves.c — what the sweep reads off one run's learning curve in curves.csv: how much its loss
 * still fell over the last doubling of its tokens, the sign that a run ended before it
 * converged (its size's L(N) point is then limited by the data, not by the model).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

double sweep_curve_last_doubling_drop(const struct sf_csv *curves, const char *run,
                                      const char *column) {
    long cr = sf_csv_column(curves, "run"), ct = sf_csv_column(curves, "tokens");
    long cl = sf_csv_column(curves, column);
    if (cr < 0 || ct < 0 || cl < 0) return NAN;
    /* The run's evaluations are in the order they were made: tokens increase. */
    double t_end = NAN, l_end = NAN;
    for (size_t i = 0; i < curves->n_rows; i++) {
        const char *const *f = (const char *const *)curves->rows[i].fields;
        double             t, l;
        if (strcmp(f[cr], run) == 0 && sf_parse_double(f[ct], &t) && sf_parse_double(f[cl], &l))
            t_end = t, l_end = l;
    }
    if (!isfinite(t_end)) return NAN;
    double l_half = NAN;
    for (size_t i = 0; i < curves->n_rows; i++) {
        const char *const *f = (const char *const *)curves->rows[i].fields;
        double             t, l;
        if (strcmp(f[cr], run) == 0 && sf_parse_double(f[ct], &t) && t <= t_end / 2 &&
            sf_parse_double(f[cl], &l))
            l_half = l;
    }
    return l_half - l_end;
}
