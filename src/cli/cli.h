/*
 * cli.h — private to the command: one entry point per subcommand, and what they share: the
 * option-table parser, error printing, the version and the recorded command line. Each entry
 * returns the process exit status (DESIGN.md); only main() exits.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"

struct fit_result;

int cli_fit_main(int argc, char **argv);
int cli_plot_main(int argc, char **argv);
int cli_train_main(int argc, char **argv);
int cli_run_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);
int cli_bench_fit_main(int argc, char **argv);
int cli_bench_train_main(int argc, char **argv);

/* `scalefit fit` on a table in memory, for the Python interface (api.c): argv as the
 * subcommand gets it ("fit", a name for the data, options; no --out), one law and one group.
 * Returns the fit, or NULL with the exit status in *status having printed why on stderr, as
 * the command would. Free with cli_fit_memory_free. */
struct cli_fit_memory;
struct cli_fit_memory   *cli_fit_memory_run(int argc, char **argv, const char *text, size_t len,
                                            int *status);
const struct fit_result *cli_fit_memory_result(const struct cli_fit_memory *m);
/* fit.yaml's text for the fit (caller frees), or NULL having printed why. */
char *cli_fit_memory_yaml(const struct cli_fit_memory *m);
void  cli_fit_memory_free(struct cli_fit_memory *m);

/* The program's version string (from meson). */
const char *cli_version(void);
/* The whole command line as one string (for reports), valid until exit. */
const char *cli_command_line(void);
void        cli_set_command_line(int argc, char **argv);

/* Prints "scalefit: --OPTION: error: MESSAGE" and returns 2. */
int cli_option_error(const char *option, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints an sf_error in DESIGN.md's format and returns its exit status. */
int cli_report(const struct sf_error *err);

/* True when the argument asks for help (-h or --help). */
bool cli_is_help(const char *arg);

/* ---- The option tables (options.c) ----
 * Each subcommand describes its options in one table; cli_parse() reads `--opt value` and
 * `--opt=value` against it, stores each value where the entry says, checks it, suggests the
 * nearest name for an unknown option and prints --help made from the table. */

/* What an option takes, and the type of what `dest` points to. */
enum cli_arg {
    CLI_ARG_FLAG,   /* no value; bool */
    CLI_ARG_STRING, /* const char * (borrowed from argv) */
    CLI_ARG_DOUBLE, /* a finite number; double */
    CLI_ARG_SIZE,   /* a non-negative integer; size_t */
    CLI_ARG_U64,    /* a non-negative integer; unsigned long long */
};

/* A check of a number beyond its kind; each failure reads "must ... (got VALUE)". */
enum cli_check {
    CLI_CHECK_NONE,
    CLI_CHECK_POSITIVE,  /* > 0 */
    CLI_CHECK_OPEN_UNIT, /* strictly between 0 and 1 */
    CLI_CHECK_AT_LEAST,  /* integers: >= lo */
    CLI_CHECK_AT_MOST,   /* integers: <= hi */
    CLI_CHECK_BETWEEN,   /* integers: lo <= v <= hi */
};

/* One entry of a table. A table ends with an entry whose name and help are NULL; an entry with
 * a NULL name and a help text is a heading of the --help text ("rows"). */
struct cli_option {
    const char        *name;    /* "--out" */
    enum cli_arg       arg;     /* what it takes */
    void              *dest;    /* where the value goes (NULL: only `then` sees it) */
    const char        *metavar; /* the value's name in --help ("DIR") */
    const char        *help;    /* --help text; '\n' starts a continuation line */
    const char        *choices; /* CLI_ARG_STRING: the accepted values, "log|linear" (NULL: any) */
    enum cli_check     check;
    unsigned long long lo, hi; /* the bounds of CLI_CHECK_AT_LEAST, _AT_MOST, _BETWEEN */
    size_t            *count;  /* repeatable: dest is an array of `max`, *count values in it */
    size_t             max;
    bool              *given; /* set to true when the option is used */
    /* Called after the value is stored and checked, with the command's ctx; returns false
     * having printed the error. */
    bool (*then)(void *ctx, const char *option, const char *value);
};

/* A table entry: name, kind, where the value goes, its name in --help, the help text, then any
 * other field by name (`.check = CLI_CHECK_POSITIVE`); a heading of the help; the end. */
#define CLI_OPTION(NAME, ARG, DEST, METAVAR, ...)                                                  \
    { .name = (NAME), .arg = (ARG), .dest = (DEST), .metavar = (METAVAR), .help = __VA_ARGS__ }
#define CLI_HEADING(TEXT)                                                                          \
    { .help = (TEXT) }
#define CLI_END                                                                                    \
    { .name = NULL, .help = NULL }

/* A subcommand: its usage line, the texts around its options, and its one operand. */
struct cli_command {
    const char              *name;     /* "fit", "bench fit" */
    const char              *synopsis; /* what follows "usage: scalefit NAME " */
    const char              *intro;    /* between the usage line and the options (or NULL) */
    const char              *outro;    /* after the options (or NULL) */
    const struct cli_option *options;  /* NULL: none */
    const char              *operand;  /* what the positional argument is ("data file"); NULL:
                                          none is taken */
    const char **operand_at;           /* where it goes; it is required */
    void        *ctx;                  /* passed to each option's `then` */
};

/* Parses argv[1..argc) against the command's table. Returns true to go on; false when the
 * command is to end with *exit_status: 0 after printing the help on stdout, 2 after printing
 * the error on stderr. */
bool cli_parse(const struct cli_command *cmd, int argc, char **argv, int *exit_status);

#endif /* SF_CLI_H */
