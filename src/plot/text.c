/*
 * text.c — the text that goes into figure scripts: file stems, gnuplot string quoting,
 * enhanced-text escaping of user names, numbers for labels (10^{k} exponents), numbers for
 * tables, and the
 * tick marks of an axis (powers of ten on log axes, round values when a log axis spans less
 * than a decade, where gnuplot's own log ticks would leave the axis unlabelled).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Ticks a narrow log axis aims for (it takes the first set of round values giving this many)... */
#define PLOT_TICS_WANT 4
/* ...and the most ticks on any axis (also the most decades labelled on a wide log axis). */
#define PLOT_TICS_MAX 8
/* The widest stretch without a tick that a narrow log axis may keep, as a share of its length. */
#define PLOT_TICS_GAP 0.45

bool plot_is_stem(const char *s) {
    if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-') return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') return false;
    return true;
}

void plot_gp_quote(struct sf_buf *b, const char *s) {
    sf_buf_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == '"')
            sf_buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            sf_buf_puts(b, "\\n");
        else if (*p == '\t')
            sf_buf_puts(b, " ");
        else
            sf_buf_append(b, p, 1);
    }
    sf_buf_puts(b, "\"");
}

void plot_fmt_number(char *buf, size_t n, double v) {
    if (!isfinite(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    sf_fmt_double(buf, n, v);
}

void plot_enhanced_escape(struct sf_buf *b, const char *text) {
    for (const char *p = text ? text : ""; *p; p++) {
        if (strchr("^_@&~{}\\", *p) != NULL) sf_buf_puts(b, "\\");
        sf_buf_append(b, p, 1);
    }
}

void plot_label_number(struct sf_buf *b, double v, int digits) {
    if (!isfinite(v)) {
        sf_buf_puts(b, isnan(v) ? "NaN" : v > 0 ? "∞" : "-∞");
        return;
    }
    if (digits < 1) digits = 1;
    double a = fabs(v);
    char   tmp[64];
    /* Plain digits from 10^-3 up to where %g would switch to an exponent (10^digits). */
    snprintf(tmp, sizeof tmp, "%.*g", digits, v);
    char *e = strchr(tmp, 'e');
    if (a == 0 || (a >= 1e-3 && e == NULL)) {
        sf_buf_puts(b, tmp);
        return;
    }
    if (e == NULL) {
        /* Small numbers that %g writes plainly (0.0001): take the exponent form too. */
        snprintf(tmp, sizeof tmp, "%.*e", digits - 1, v);
        e = strchr(tmp, 'e');
        /* Trim trailing zeros of the mantissa, as %g would. */
        char *m_end = e;
        if (strchr(tmp, '.') != NULL) {
            while (m_end[-1] == '0')
                m_end--;
            if (m_end[-1] == '.') m_end--;
        }
        memmove(m_end, e, strlen(e) + 1);
        e = m_end;
    }
    int exponent = atoi(e + 1);
    *e           = '\0';
    if (strcmp(tmp, "1") == 0)
        sf_buf_printf(b, "10^{%d}", exponent);
    else if (strcmp(tmp, "-1") == 0)
        sf_buf_printf(b, "-10^{%d}", exponent);
    else
        sf_buf_printf(b, "%s×10^{%d}", tmp, exponent);
}

void plot_axis_tics(struct sf_buf *tics, struct sf_buf *format, double lo, double hi,
                    bool log_axis) {
    if (!log_axis) {
        sf_buf_puts(tics, "autofreq");
        sf_buf_puts(format, "%g");
        return;
    }
    double e_lo = ceil(log10(lo) - 1e-9), e_hi = floor(log10(hi) + 1e-9);
    if (e_hi - e_lo >= 1) {
        /* Two or more powers of ten inside: label powers, every k-th decade. */
        double decades = e_hi - e_lo + 1;
        double k       = ceil(decades / PLOT_TICS_MAX);
        /* gnuplot steps a log axis from the start given (else from the range's end), so the
         * start is a power of ten, a multiple of k. */
        double start = k * ceil(e_lo / k);
        sf_buf_printf(tics, "1e%.0f, %.0e", start, pow(10, k));
        sf_buf_puts(format, "10^{%L}");
        return;
    }
    /* Less than that: values from ever finer sets of mantissas (1; 1, 3; 1, 2, 5; ...), the
     * first set that puts PLOT_TICS_WANT ticks spread over the axis, so the ticks look
     * logarithmic. */
    static const double sets[][20] = {
        {1},
        {1, 3},
        {1, 2, 5},
        {1, 2, 3, 5},
        {1, 2, 3, 4, 5, 6, 8},
        {1, 2, 3, 4, 5, 6, 7, 8, 9},
        {1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5},
    };
    const size_t n_sets = sizeof sets / sizeof sets[0];
    double       ticks[PLOT_TICS_MAX], best[PLOT_TICS_MAX];
    size_t       n_best = 0;
    for (size_t k = 0; k < n_sets; k++) {
        size_t n = 0;
        for (double e = floor(log10(lo)); e <= ceil(log10(hi)) && n <= PLOT_TICS_MAX; e++) {
            for (size_t m = 0; m < 20 && sets[k][m] > 0; m++) {
                double v = sets[k][m] * pow(10, e);
                if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
                if (n == PLOT_TICS_MAX) {
                    n++;
                    break;
                }
                ticks[n++] = v;
            }
        }
        if (n > PLOT_TICS_MAX) break; /* too dense: keep the coarser set */
        /* A set must also spread its ticks: no stretch of the axis left bare (0.7, 0.8, 0.9, 1
         * on an axis from 0.65 to 1.8 leaves its upper half without a label), and no gap between
         * ticks more than three times another (0.7, 0.75, ..., 1, 1.5 crowds the bottom). */
        double gap = log10(n ? ticks[0] / lo : hi / lo), inner_max = 0, inner_min = INFINITY;
        for (size_t i = 0; i < n; i++) {
            double g = log10((i + 1 < n ? ticks[i + 1] : hi) / ticks[i]);
            gap      = fmax(gap, g);
            if (i + 1 < n) inner_max = fmax(inner_max, g), inner_min = fmin(inner_min, g);
        }
        if (n < 3 || gap > PLOT_TICS_GAP * log10(hi / lo) || inner_max > 3 * inner_min) continue;
        memcpy(best, ticks, n * sizeof *ticks);
        n_best = n;
        if (n >= PLOT_TICS_WANT) break;
    }
    if (n_best < 3) {
        /* No set fits (0.80 to 0.88 holds only 0.85): evenly spaced values, with
         * the largest round step (1, 2 or 5 x 10^k) that puts three ticks on the axis. */
        double mag = pow(10, ceil(log10(hi - lo)));
        for (int i = 0; n_best < 3 && i < 12; i++) {
            double step = mag * (i % 3 == 0 ? 1 : i % 3 == 1 ? 0.5 : 0.2) * pow(10, -(i / 3));
            n_best      = 0;
            for (double v = ceil(lo / step - 1e-9) * step;
                 v <= hi * (1 + 1e-12) && n_best < PLOT_TICS_MAX; v += step)
                best[n_best++] = v;
        }
    }
    /* Each tick labelled as the other numbers of a figure (5×10^{6}, not 5e+06), in single
     * quotes: the list travels inside a double-quoted gnuplot string. */
    sf_buf_puts(tics, "(");
    for (size_t i = 0; i < n_best; i++) {
        sf_buf_printf(tics, "%s'", i ? ", " : "");
        plot_label_number(tics, best[i], 3);
        sf_buf_printf(tics, "' %.10g", best[i]);
    }
    sf_buf_puts(tics, ")");
    sf_buf_puts(format, "%g");
}
