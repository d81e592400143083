/*
 * status.c (cli) — `scalefit status DIR`: the state of every run of a sweep directory and the
 * sweep's progress (src/sweep does the reading).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sweep.h"

int cli_status_main(int argc, char **argv) {
    if (argc == 2 && cli_is_help(argv[1])) {
        printf("usage: scalefit status DIR\n\nPrints every run of the sweep directory DIR with its "
               "state (pending, running, done,\ndiverged, failed, interrupted, with the reason), "
               "its step and last eval loss.\n");
        return 0;
    }
    if (argc != 2 || strncmp(argv[1], "--", 2) == 0) {
        fprintf(stderr, "usage: scalefit status DIR\n");
        return 2;
    }
    struct sf_error err;
    if (sweep_status_print(argv[1], stdout, &err) != SF_OK) return cli_report(&err);
    return 0;
}
