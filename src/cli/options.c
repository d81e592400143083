/*
 * options.c — what the subcommands share: error printing in DESIGN.md's format, option value
 * parsing with the option's name in every message, the version and the recorded command line.
 */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char cli_command_buf[8192];

const char *cli_version(void) {
    return SF_VERSION;
}

void cli_set_command_line(int argc, char **argv) {
    struct sf_buf b;
    sf_buf_init(&b);
    for (int i = 0; i < argc; i++) {
        if (i > 0) sf_buf_puts(&b, " ");
        const char *a     = i == 0 ? "scalefit" : argv[i];
        bool        quote = strpbrk(a, " \t'\"$\\*?;&|<>()") != NULL || a[0] == '\0';
        if (!quote) {
            sf_buf_puts(&b, a);
            continue;
        }
        sf_buf_puts(&b, "'");
        for (const char *p = a; *p; p++) {
            if (*p == '\'')
                sf_buf_puts(&b, "'\\''");
            else
                sf_buf_append(&b, p, 1);
        }
        sf_buf_puts(&b, "'");
    }
    snprintf(cli_command_buf, sizeof cli_command_buf, "%s", b.data ? b.data : "scalefit");
    sf_buf_free(&b);
}

const char *cli_command_line(void) {
    return cli_command_buf;
}

int cli_option_error(const char *option, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "scalefit: %s: error: ", option);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return 2;
}

int cli_report(const struct sf_error *err) {
    sf_error_print(err, stderr);
    return sf_status_exit_code(err->code);
}

bool cli_parse_double(const char *option, const char *value, double *out) {
    if (!sf_parse_double(value, out) || !isfinite(*out)) {
        cli_option_error(option, "'%s' is not a finite number", value);
        return false;
    }
    return true;
}

bool cli_parse_u64(const char *option, const char *value, unsigned long long *out) {
    int64_t v;
    if (!sf_parse_int64(value, &v) || v < 0) {
        cli_option_error(option, "'%s' is not a non-negative integer", value);
        return false;
    }
    *out = (unsigned long long)v;
    return true;
}

bool cli_parse_size(const char *option, const char *value, size_t *out) {
    unsigned long long v;
    if (!cli_parse_u64(option, value, &v)) return false;
    *out = (size_t)v;
    return true;
}

bool cli_is_help(const char *arg) {
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}
