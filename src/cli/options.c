/*
 * options.c — what the subcommands share: the option-table parser (--opt value, --opt=value,
 * checks, "did you mean", --help made from the table), error printing in DESIGN.md's format,
 * option value parsing with the option's name in every message, the version and the recorded
 * command line.
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

/* Option value parsers: on failure they print the option error and return false. */
static bool cli_parse_double(const char *option, const char *value, double *out) {
    if (!sf_parse_double(value, out) || !isfinite(*out)) {
        cli_option_error(option, "'%s' is not a finite number", value);
        return false;
    }
    return true;
}

static bool cli_parse_u64(const char *option, const char *value, unsigned long long *out) {
    int64_t v;
    if (!sf_parse_int64(value, &v) || v < 0) {
        cli_option_error(option, "'%s' is not a non-negative integer", value);
        return false;
    }
    *out = (unsigned long long)v;
    return true;
}

static bool cli_parse_size(const char *option, const char *value, size_t *out) {
    unsigned long long v;
    if (!cli_parse_u64(option, value, &v)) return false;
    *out = (size_t)v;
    return true;
}

bool cli_is_help(const char *arg) {
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* ---- The option tables ---- */

/* The command's table, or an empty one when it takes no option. */
static const struct cli_option *cli_options_of_impl(const struct cli_command *cmd) {
    static const struct cli_option none[] = {CLI_END};
    return cmd->options != NULL ? cmd->options : none;
}

/* The entry named `name`, or NULL. */
static const struct cli_option *cli_option_find_impl(const struct cli_option *t, const char *name) {
    for (; t->name != NULL || t->help != NULL; t++)
        if (t->name != NULL && strcmp(t->name, name) == 0) return t;
    return NULL;
}

/* Prints the unknown-option error, with the nearest name of the table when one is close. */
static int cli_unknown_option_impl(const struct cli_command *cmd, const char *name) {
    const char *names[128];
    size_t      n = 0;
    for (const struct cli_option *t = cli_options_of_impl(cmd); t->name != NULL || t->help != NULL;
         t++)
        if (t->name != NULL && n + 2 < sizeof names / sizeof names[0]) names[n++] = t->name;
    names[n++]       = "--help";
    names[n]         = NULL;
    const char *hint = sf_did_you_mean(name, names);
    if (hint) return cli_option_error(name, "unknown option (did you mean %s?)", hint);
    return cli_option_error(name, "unknown option (see scalefit %s --help)", cmd->name);
}

/* Checks `value` against "a|b|c"; prints "'x' is not a, b or c" when it is none of them. */
static bool cli_check_choice_impl(const char *option, const char *choices, const char *value) {
    struct sf_buf list; /* the choices for the message */
    sf_buf_init(&list);
    for (const char *c = choices;;) {
        size_t len = strcspn(c, "|");
        if (strlen(value) == len && strncmp(c, value, len) == 0) {
            sf_buf_free(&list);
            return true;
        }
        if (c != choices) sf_buf_puts(&list, c[len] == '\0' ? " or " : ", ");
        sf_buf_append(&list, c, len);
        if (c[len] == '\0') break;
        c += len + 1;
    }
    cli_option_error(option, "'%s' is not %s", value, list.data ? list.data : choices);
    sf_buf_free(&list);
    return false;
}

/* Checks a number against the entry's check. */
static bool cli_check_number_impl(const struct cli_option *o, const char *value, double v) {
    switch (o->check) {
    case CLI_CHECK_NONE: return true;
    case CLI_CHECK_POSITIVE:
        if (v > 0) return true;
        cli_option_error(o->name, "must be positive (got %s)", value);
        return false;
    case CLI_CHECK_OPEN_UNIT:
        if (v > 0 && v < 1) return true;
        cli_option_error(o->name, "must lie strictly between 0 and 1 (got %s)", value);
        return false;
    case CLI_CHECK_AT_LEAST:
        if (v >= (double)o->lo) return true;
        cli_option_error(o->name, "must be at least %llu (got %s)", o->lo, value);
        return false;
    case CLI_CHECK_AT_MOST:
        if (v <= (double)o->hi) return true;
        cli_option_error(o->name, "must be at most %llu (got %s)", o->hi, value);
        return false;
    case CLI_CHECK_BETWEEN:
        if (v >= (double)o->lo && v <= (double)o->hi) return true;
        cli_option_error(o->name, "must be between %llu and %llu (got %s)", o->lo, o->hi, value);
        return false;
    }
    return true;
}

/* Reads, checks and stores one use of an option. False after printing the error. */
static bool cli_option_store_impl(const struct cli_command *cmd, const struct cli_option *o,
                                  const char *value) {
    size_t slot = 0;
    if (o->count != NULL) {
        if (*o->count == o->max) {
            cli_option_error(o->name, "given more than %zu times", o->max);
            return false;
        }
        slot = (*o->count)++;
    }
    double             num = 0;
    size_t             sz  = 0;
    unsigned long long u   = 0;
    switch (o->arg) {
    case CLI_ARG_FLAG: break;
    case CLI_ARG_STRING:
        if (o->choices != NULL && !cli_check_choice_impl(o->name, o->choices, value)) return false;
        break;
    case CLI_ARG_DOUBLE:
        if (!cli_parse_double(o->name, value, &num)) return false;
        break;
    case CLI_ARG_SIZE:
        if (!cli_parse_size(o->name, value, &sz)) return false;
        num = (double)sz;
        break;
    case CLI_ARG_U64:
        if (!cli_parse_u64(o->name, value, &u)) return false;
        num = (double)u;
        break;
    }
    if (!cli_check_number_impl(o, value, num)) return false;
    if (o->dest != NULL) {
        switch (o->arg) {
        case CLI_ARG_FLAG: ((bool *)o->dest)[slot] = true; break;
        case CLI_ARG_STRING: ((const char **)o->dest)[slot] = value; break;
        case CLI_ARG_DOUBLE: ((double *)o->dest)[slot] = num; break;
        case CLI_ARG_SIZE: ((size_t *)o->dest)[slot] = sz; break;
        case CLI_ARG_U64: ((unsigned long long *)o->dest)[slot] = u; break;
        }
    }
    if (o->given != NULL) *o->given = true;
    return o->then == NULL || o->then(cmd->ctx, o->name, value);
}

/* Takes a positional argument. Returns 0, or 2 after printing the error. */
static int cli_operand_impl(const struct cli_command *cmd, const char *arg) {
    if (cmd->operand == NULL) {
        fprintf(stderr, "scalefit: error: unexpected argument '%s' (see scalefit %s --help)\n", arg,
                cmd->name);
        return 2;
    }
    if (*cmd->operand_at != NULL) {
        fprintf(stderr, "scalefit: error: more than one %s ('%s' and '%s')\n", cmd->operand,
                *cmd->operand_at, arg);
        return 2;
    }
    *cmd->operand_at = arg;
    return 0;
}

/* The column where help texts start: past the longest "  --name METAVAR", at most 26. */
static int cli_usage_column_impl(const struct cli_option *t) {
    int col = 16;
    for (; t->name != NULL || t->help != NULL; t++) {
        if (t->name == NULL) continue;
        const char *metavar = t->metavar ? t->metavar : t->choices;
        int         w = 2 + (int)strlen(t->name) + (metavar ? 1 + (int)strlen(metavar) : 0) + 2;
        if (w > col) col = w;
    }
    return col > 26 ? 26 : col;
}

/* One option's lines: "  --name METAVAR" and its help, continuation lines indented. */
static void cli_usage_line_impl(FILE *out, int col, const char *label, const char *metavar,
                                const char *help) {
    int w = fprintf(out, "  %s%s%s", label, metavar ? " " : "", metavar ? metavar : "");
    if (w + 2 > col) {
        fputc('\n', out);
        w = 0;
    }
    for (const char *h = help; h != NULL;) {
        const char *nl = strchr(h, '\n');
        fprintf(out, "%*s%.*s\n", col - w, "", nl ? (int)(nl - h) : (int)strlen(h), h);
        w = 0;
        h = nl ? nl + 1 : NULL;
    }
}

/* Prints the command's help, made from its table. */
static void cli_usage_impl(const struct cli_command *cmd, FILE *out) {
    fprintf(out, "usage: scalefit %s %s\n", cmd->name, cmd->synopsis);
    if (cmd->intro != NULL) fprintf(out, "\n%s\n", cmd->intro);
    const struct cli_option *t   = cli_options_of_impl(cmd);
    int                      col = cli_usage_column_impl(t);
    fprintf(out, "\n%s", t->name != NULL || t->help == NULL ? "options:\n" : "");
    for (; t->name != NULL || t->help != NULL; t++) {
        if (t->name == NULL)
            fprintf(out, "%s:\n", t->help);
        else
            cli_usage_line_impl(out, col, t->name, t->metavar ? t->metavar : t->choices, t->help);
    }
    cli_usage_line_impl(out, col, "-h, --help", NULL, "this text");
    if (cmd->outro != NULL) fprintf(out, "\n%s\n", cmd->outro);
}

/* cli_parse: returns 0 to go on, -1 after printing the help, 2 after printing an error. */
static int cli_parse_impl(const struct cli_command *cmd, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_usage_impl(cmd, stdout);
            return -1;
        }
        if (strncmp(arg, "--", 2) != 0 && (arg[0] != '-' || cmd->operand != NULL)) {
            if (cli_operand_impl(cmd, arg) != 0) return 2;
            continue;
        }
        /* --name, --name=value or --name value. */
        char        name[64];
        const char *value = NULL, *eq = strchr(arg, '=');
        if (eq != NULL && (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value          = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
        const struct cli_option *o = cli_option_find_impl(cli_options_of_impl(cmd), name);
        if (o == NULL) return cli_unknown_option_impl(cmd, name);
        if (o->arg == CLI_ARG_FLAG && value != NULL)
            return cli_option_error(name, "takes no value");
        if (o->arg != CLI_ARG_FLAG && value == NULL) {
            if (i + 1 >= argc) return cli_option_error(name, "needs a value");
            value = argv[++i];
        }
        if (!cli_option_store_impl(cmd, o, value)) return 2;
    }
    if (cmd->operand != NULL && *cmd->operand_at == NULL) {
        fprintf(stderr, "scalefit: error: no %s given (usage: scalefit %s %s)\n", cmd->operand,
                cmd->name, cmd->synopsis);
        return 2;
    }
    return 0;
}

bool cli_parse(const struct cli_command *cmd, int argc, char **argv, int *exit_status) {
    int rc       = cli_parse_impl(cmd, argc, argv);
    *exit_status = rc < 0 ? 0 : rc;
    return rc == 0;
}
