/*
 * cli.h — private to the command: one entry point per subcommand, and the small option helpers
 * they share. Each entry returns the process exit status (DESIGN.md); only main() exits.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

int cli_fit_main(int argc, char **argv);
int cli_plot_main(int argc, char **argv);
int cli_train_main(int argc, char **argv);
int cli_run_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);
int cli_bench_fit_main(int argc, char **argv);
int cli_bench_train_main(int argc, char **argv);

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

/* Option value parsers: on failure they print the option error and return false. */
bool cli_parse_double(const char *option, const char *value, double *out);
bool cli_parse_size(const char *option, const char *value, size_t *out);
bool cli_parse_u64(const char *option, const char *value, unsigned long long *out);

/* True when the argument asks for help (-h or --help). */
bool cli_is_help(const char *arg);

#endif /* SF_CLI_H */
