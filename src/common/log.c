/*
 * log.c — the logger that library code reports through, the progress display (redrawn in place
 * on a terminal, plain rate-limited lines elsewhere), a monotonic clock and duration formatting.
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void sf_log(const struct sf_logger *log, enum sf_log_level level, const char *fmt, ...) {
    if (log == NULL || log->fn == NULL) return;
    char    msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log->fn(log->ctx, level, msg);
}

static void sf_logger_stderr_impl(void *ctx, enum sf_log_level level, const char *message) {
    const enum sf_log_level *min_level = ctx;
    enum sf_log_level        floor     = min_level != NULL ? *min_level : SF_LOG_LEVEL_INFO;
    if (level < floor) return;
    switch (level) {
    case SF_LOG_LEVEL_WARNING: fprintf(stderr, "scalefit: warning: %s\n", message); break;
    case SF_LOG_LEVEL_ERROR: fprintf(stderr, "scalefit: error: %s\n", message); break;
    default: fprintf(stderr, "%s\n", message); break;
    }
}

struct sf_logger sf_logger_stderr(enum sf_log_level *min_level) {
    struct sf_logger l = {sf_logger_stderr_impl, min_level};
    return l;
}

double sf_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sf_format_duration(char *buf, size_t n, double seconds) {
    if (!(seconds >= 0) || seconds > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, n, "%lds", s);
}

/* Display defaults: redraw at most 10 times a second on a terminal; plain lines every 10 s. */
static const double sf_progress_tty_interval   = 0.1;
static const double sf_progress_plain_interval = 10.0;

void sf_progress_init(struct sf_progress *p, FILE *out) {
    memset(p, 0, sizeof *p);
    p->out            = out;
    const char *term  = getenv("TERM");
    p->tty            = isatty(fileno(out)) && !(term != NULL && strcmp(term, "dumb") == 0);
    p->min_interval   = sf_progress_tty_interval;
    p->plain_interval = sf_progress_plain_interval;
    p->last_draw      = -1e300;
}

bool sf_progress_draw(struct sf_progress *p, const char *const *lines, size_t n, bool force) {
    double now      = sf_now();
    double interval = p->tty ? p->min_interval : p->plain_interval;
    if (!force && now - p->last_draw < interval) return false;
    p->last_draw = now;
    if (p->tty) {
        /* Move up over the previous block, then rewrite each line and clear its tail. */
        for (size_t i = 0; i < p->lines_drawn; i++)
            fputs("\033[A", p->out);
        fputs("\r", p->out);
        for (size_t i = 0; i < n; i++)
            fprintf(p->out, "%s\033[K\n", lines[i]);
        for (size_t i = n; i < p->lines_drawn; i++)
            fputs("\033[K\n", p->out);
        for (size_t i = n; i < p->lines_drawn; i++)
            fputs("\033[A", p->out);
        p->lines_drawn = n;
    } else {
        for (size_t i = 0; i < n; i++)
            fprintf(p->out, "%s\n", lines[i]);
    }
    fflush(p->out);
    return true;
}

void sf_progress_finish(struct sf_progress *p) {
    if (p->out != NULL) fflush(p->out);
    p->lines_drawn = 0;
}
