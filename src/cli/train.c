/*
 * train.c — `scalefit train --run-dir DIR`: parses the options, installs the SIGTERM/SIGINT
 * handlers (the first signal asks the run to checkpoint and stop with exit status 4; a second
 * SIGINT ends the process at once, which a checkpointed run survives), runs model_run() and turns
 * its result into messages and the exit status. The run directory's contents are documented in
 * src/model/model.h and docs/run-format.md.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model.h"

/* The one flag a signal handler may touch (async-signal-safe); read by the run between steps. */
static volatile sig_atomic_t cli_train_stop;

static volatile sig_atomic_t cli_train_interrupts; /* SIGINTs received */

static void cli_train_on_signal(int sig) {
    if (sig == SIGINT && cli_train_interrupts++ > 0) {
        /* Ctrl-C pressed twice: the default action now. Nothing else forces the exit: a sweep
         * runner forwards SIGTERM to trainers that also get the terminal's SIGINT (in either
         * order), and Slurm may signal more than once; the run stops at the next step anyway. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cli_train_stop = 1;
}

int cli_train_main(int argc, char **argv) {
    const char             *run_dir = NULL;
    bool                    quiet   = false;
    const struct cli_option table[] = {
        CLI_OPTION("--run-dir", CLI_ARG_STRING, &run_dir, "DIR", "the run directory (required)"),
        CLI_OPTION("--quiet", CLI_ARG_FLAG, &quiet, NULL, "no progress display"),
        CLI_END,
    };
    const struct cli_command cmd = {
        .name     = "train",
        .synopsis = "--run-dir DIR",
        .intro =
            "Trains the run described by DIR/run.yaml and leaves metrics.csv, checkpoint.bin,\n"
            "status, summary.yaml and log.txt in DIR (keys: docs/run-format.md). A directory\n"
            "with a checkpoint resumes from it. SIGTERM or SIGINT checkpoints and exits with 4.",
        .outro   = "exit status: 0 done, 1 failed, 2 bad input, 3 diverged, 4 interrupted",
        .options = table,
    };
    int rc;
    if (!cli_parse(&cmd, argc, argv, &rc)) return rc;
    if (run_dir == NULL || run_dir[0] == '\0')
        return cli_option_error("--run-dir", "required (the run directory)");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_train_on_signal;
    /* Restart interrupted system calls: the run looks at the flag between steps, and a read
     * cut short by the signal must not turn into an I/O error. */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    enum sf_log_level        min_level = SF_LOG_LEVEL_INFO;
    struct sf_logger         log       = sf_logger_stderr(&min_level);
    struct model_run_options opts      = {0};
    opts.stop                          = &cli_train_stop;
    opts.log                           = &log;
    opts.progress                      = quiet ? NULL : stderr;
    opts.version                       = cli_version();
    /* The fault tests' hook (docs/run-format.md): freeze once this step is done. */
    const char *hold = getenv("SCALEFIT_TEST_HOLD_STEP");
    int64_t     hold_step;
    if (hold != NULL && sf_parse_int64(hold, &hold_step) && hold_step > 0)
        opts.hold_at_step = hold_step;

    struct sf_diags diags;
    struct sf_error err;
    sf_diag_init(&diags);
    sf_error_clear(&err);
    enum sf_status st = model_run(run_dir, &opts, &diags, &err);
    rc                = sf_status_exit_code(st);
    if (st == SF_EINVAL && diags.n > 0) {
        sf_diag_print(&diags, stderr);
    } else if (st == SF_EDIVERGED || st == SF_EINTERRUPTED) {
        fprintf(stderr, "scalefit: %s\n", err.message);
    } else if (st != SF_OK) {
        /* The run already logged it; the closing line repeats it in DESIGN.md's format. */
        sf_error_print(&err, stderr);
    }
    sf_diag_free(&diags);
    return rc;
}
