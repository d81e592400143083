/*
 * status.c (cli) — `scalefit status DIR`: the state of every run of a sweep directory and the
 * sweep's progress (src/sweep does the reading).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sweep.h"

int cli_status_main(int argc, char **argv) {
    const char              *dir     = NULL;
    const struct cli_option  table[] = {CLI_END};
    const struct cli_command cmd     = {
            "status",
            "DIR",
            "Prints every run of the sweep directory DIR with its state (pending, running, done,\n"
                "diverged, failed, interrupted, with the reason), its step and last eval loss.",
            NULL,
            table,
            "directory",
            &dir,
            NULL};
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != 0) return rc == CLI_PARSE_HELP ? 0 : rc;
    struct sf_error err;
    if (sweep_status_print(dir, stdout, &err) != SF_OK) return cli_report(&err);
    return 0;
}
