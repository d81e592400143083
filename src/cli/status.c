/*
 * status.c (cli) — `scalefit status DIR`: the state of every run of a sweep directory and the
 * sweep's progress (src/sweep does the reading).
 */
#include <stdio.h>

#include "cli.h"
#include "sweep.h"

int cli_status_main(int argc, char **argv) {
    const char              *dir = NULL;
    const struct cli_command cmd = {
        .name       = "status",
        .synopsis   = "DIR",
        .intro      = "Prints every run of the sweep directory DIR with its state (pending, "
                      "running, done,\ndiverged, failed, interrupted, with the reason), its step "
                      "and last eval loss.",
        .operand    = "directory",
        .operand_at = &dir,
    };
    int rc;
    if (!cli_parse(&cmd, argc, argv, &rc)) return rc;
    struct sf_error err;
    if (sweep_status_print(dir, stdout, &err) != SF_OK) return cli_report(&err);
    return 0;
}
