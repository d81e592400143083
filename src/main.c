/*
 * main.c — the `scalefit` command: picks the subcommand and hands over. Parsing of each
 * subcommand's options lives in src/cli/. This is the only place that decides the exit status.
 */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct cli_entry {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

static const struct cli_entry cli_commands[] = {
    {"run", cli_run_main, "train every run of a sweep, fit the laws, draw the figures"},
    {"train", cli_train_main, "train one run in a run directory"},
    {"fit", cli_fit_main, "fit a scaling law to a loss table"},
    {"plot", cli_plot_main, "redraw the figures of a fit or sweep directory"},
    {"status", cli_status_main, "show the state of every run of a sweep"},
    {"bench", NULL, "benchmarks: bench train|fit [options]"},
};

static void cli_main_usage(FILE *out) {
    fprintf(out, "usage: scalefit COMMAND [options]   (scalefit COMMAND --help for details)\n\n");
    fprintf(out, "commands:\n");
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        fprintf(out, "  %-8s %s\n", cli_commands[i].name, cli_commands[i].summary);
}

static int cli_bench_main(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: scalefit bench train|fit [options]   (scalefit bench KIND --help)\n");
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "train") == 0) return cli_bench_train_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "fit") == 0) return cli_bench_fit_main(argc - 1, argv + 1);
    fprintf(stderr, "scalefit: error: unknown benchmark '%s' (expected train or fit)\n", argv[1]);
    return 2;
}

int main(int argc, char **argv) {
    /* GSL's default handler aborts; every GSL status is checked where it is returned. */
    gsl_set_error_handler_off();
    cli_set_command_line(argc, argv);
    if (argc < 2) {
        cli_main_usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        cli_main_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("scalefit %s\n", cli_version());
        return 0;
    }
    if (strcmp(argv[1], "bench") == 0) return cli_bench_main(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++) {
        if (cli_commands[i].main != NULL && strcmp(argv[1], cli_commands[i].name) == 0)
            return cli_commands[i].main(argc - 1, argv + 1);
    }
    const char *names[sizeof cli_commands / sizeof cli_commands[0] + 1] = {NULL};
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        names[i] = cli_commands[i].name;
    const char *hint = sf_did_you_mean(argv[1], names);
    if (hint != NULL) {
        fprintf(stderr, "scalefit: error: unknown command '%s' (did you mean %s?)\n", argv[1],
                hint);
        return 2;
    }
    fprintf(stderr, "scalefit: error: unknown command '%s'\n", argv[1]);
    cli_main_usage(stderr);
    return 2;
}
