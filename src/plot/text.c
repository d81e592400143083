/*
 * text.c — the text that goes into figure scripts: gnuplot string quoting, enhanced-text
 * escaping of user names, numbers for labels (10^{k} exponents), numbers for tables, and the
 * tick marks of an axis (powers of ten on log axes, round values when a log axis spans less
 * than a decade, where gnuplot's own log ticks would leave the axis unlabelled).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Tick counts a narrow axis aims for: at least this many labelled values... */
#define PLOT_TICS_MIN 3
/* ...and at most this many (also the most decades labelled on a log axis). */
#define PLOT_TICS_MAX 8

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
            while (m_end[-1] == '0') m_end--;
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

/* A round step (1, 2, 2.5 or 5 times a power of ten) giving about `target` steps over span. */
static double plot_round_step_impl(double span, int target) {
    double raw  = span / target;
    double mag  = pow(10, floor(log10(raw)));
    double mult[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++)
        if (mult[i] * mag >= raw) return mult[i] * mag;
    return 10 * mag;
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
        double start   = k * ceil(e_lo / k);
        sf_buf_printf(tics, "1e%.0f, %.0e", start, pow(10, k));
        sf_buf_puts(format, "10^{%L}");
        return;
    }
    /* Less than that: round values, with a step giving PLOT_TICS_MIN..PLOT_TICS_MAX ticks. */
    int    target = 5;
    double step   = plot_round_step_impl(hi - lo, target);
    size_t count  = 0;
    for (int tries = 0; tries < 4; tries++) {
        count = (size_t)(floor(hi / step + 1e-9) - ceil(lo / step - 1e-9) + 1);
        if (count >= PLOT_TICS_MIN) break;
        step = plot_round_step_impl(hi - lo, target *= 2);
    }
    sf_buf_puts(tics, "(");
    double first = ceil(lo / step - 1e-9);
    for (size_t i = 0; i < count; i++) {
        double v = (first + (double)i) * step;
        sf_buf_printf(tics, "%s%.10g", i ? ", " : "", v);
    }
    sf_buf_puts(tics, ")");
    sf_buf_puts(format, "%g");
}
