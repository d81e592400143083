/*
 * test_slurm_text.c — the Slurm executor's pure pieces without a cluster: Slurm's time formats,
 * shell quoting (checked by running /bin/sh on the quoted text), reading `scontrol show job -o`
 * lines (fields with spaces, the unsplit pending rest of an array, a job that runs another
 * script), the batch script and sbatch arguments of a submission (values from the sweep file
 * never leave their quotes; `sh -n` accepts the script), and the verdict table: every Slurm
 * state against every run state the trainer can leave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static void test_times(void) {
    struct {
        const char *t;
        bool        ok;
        int64_t     s;
    } cases[] = {
        {"10", true, 600},     {"1:30", true, 90},      {"2:00:05", true, 7205},
        {"1-0", true, 86400},  {"1-2:30", true, 95400}, {"2-1:00:30", true, 176430},
        {"0", true, 0},        {"00:01:28", true, 88},  {"", false, 0},
        {"1:2:3:4", false, 0}, {"1-2-3", false, 0},     {"x", false, 0},
        {"5:", false, 0},      {"-5", false, 0},        {"1-", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t s  = -1;
        bool    ok = sweep_slurm_time_seconds(cases[i].t, &s);
        check(ok == cases[i].ok, "time '%s' %s", cases[i].t, cases[i].ok ? "parses" : "is refused");
        if (ok && cases[i].ok)
            check(s == cases[i].s, "time '%s' is %lld s (got %lld)", cases[i].t,
                  (long long)cases[i].s, (long long)s);
    }
}

/* Runs `printf %s QUOTED` through /bin/sh and returns what it printed (static buffer). */
static const char *test_shell_echo(const char *quoted) {
    static char out[4096];
    char       *cmd = NULL;
    size_t      len = 0;
    FILE       *m   = open_memstream(&cmd, &len);
    fprintf(m, "printf %%s %s", quoted);
    fclose(m);
    int p[2];
    out[0] = '\0';
    if (pipe(p) != 0) return out;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t  got = 0;
    ssize_t r;
    while ((r = read(p[0], out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(p[0]);
    waitpid(pid, NULL, 0);
    free(cmd);
    return out;
}

static void test_quoting(void) {
    const char *nasty[] = {"plain",        "it's",        "a b",       "$(touch /nonexistent/x)",
                           "`id`",         "\"$HOME\"",   "tab\there", "new\nline",
                           "'; exit 3; '", "back\\slash", "*?[a]",     ""};
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
        struct sf_buf b;
        sf_buf_init(&b);
        sweep_slurm_quote(&b, nasty[i]);
        const char *got = test_shell_echo(b.data);
        check(strcmp(got, nasty[i]) == 0, "quoted '%s' comes back from sh unchanged (got '%s')",
              nasty[i], got);
        sf_buf_free(&b);
    }
    check(sweep_slurm_text_ok("/a b/it's"), "spaces and quotes are not control characters");
    check(!sweep_slurm_text_ok("/a\nb"), "a newline is a control character");
    check(!sweep_slurm_text_ok("/a\tb"), "a tab is a control character");
}

static void test_fields(void) {
    const char *line = "JobId=14 ArrayJobId=12 ArrayTaskId=2 JobName=scalefit-x JobState=FAILED "
                       "Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=1 ExitCode=4:0 "
                       "RunTime=1-00:01:28 Command=/srv/my sweeps/slurm/submit-1.sh WorkDir=/srv";
    char        v[256];
    check(sweep_slurm_field(line, "JobId", v, sizeof v) && strcmp(v, "14") == 0, "JobId (got '%s')",
          v);
    check(sweep_slurm_field(line, "ArrayJobId", v, sizeof v) && strcmp(v, "12") == 0,
          "ArrayJobId is not JobId");
    check(sweep_slurm_field(line, "Command", v, sizeof v) &&
              strcmp(v, "/srv/my sweeps/slurm/submit-1.sh") == 0,
          "a Command with a space is read whole (got '%s')", v);
    check(!sweep_slurm_field(line, "Nothing", v, sizeof v) && v[0] == '\0',
          "a missing key is empty");
    const char *reason = "JobId=3 ArrayTaskId=0 JobState=PENDING Reason=launch failed requeued "
                         "held Dependency=(null)";
    check(sweep_slurm_field(reason, "Reason", v, sizeof v) &&
              strcmp(v, "launch failed requeued held") == 0,
          "a Reason with spaces is read whole (got '%s')", v);
}

static void test_parse(void) {
    const char *script = "/srv/out/slurm/submit-2.sh";
    const char *text =
        "JobId=20 ArrayJobId=20 ArrayTaskId=3-5%2 ArrayTaskThrottle=2 JobState=PENDING "
        "Reason=JobArrayTaskLimit "
        "Restarts=0 ExitCode=0:0 RunTime=00:00:00 Command=/srv/out/slurm/submit-2.sh "
        "WorkDir=/srv/out\n"
        "JobId=22 ArrayJobId=20 ArrayTaskId=1 JobState=RUNNING Reason=None Restarts=1 ExitCode=0:0 "
        "RunTime=00:00:07 Command=/srv/out/slurm/submit-2.sh WorkDir=/srv/out\n"
        "JobId=21 ArrayJobId=20 ArrayTaskId=0 JobState=TIMEOUT Reason=TimeLimit Restarts=0 "
        "ExitCode=0:15 "
        "RunTime=00:01:06 Command=/srv/out/slurm/submit-2.sh WorkDir=/srv/out\n"
        "JobId=23 ArrayJobId=20 ArrayTaskId=2 JobState=PENDING Reason=BeginTime Restarts=1 "
        "ExitCode=0:0 "
        "RunTime=00:00:00 Command=/srv/out/slurm/submit-2.sh WorkDir=/srv/out\n";
    struct sweep_slurm_task *t;
    size_t                   n;
    bool                     ours;
    struct sf_error          err;
    check(sweep_slurm_parse_jobs(text, script, &t, &n, &ours, &err) == SF_OK,
          "scontrol output parses");
    check(ours, "the job runs the submission's script");
    check(n == 6, "6 tasks: 3 split off and 3 in the pending rest (got %zu)", n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen |= 1 << t[i].index;
        if (t[i].index == 0)
            check(strcmp(t[i].state, "TIMEOUT") == 0 && t[i].exit_signal == 15 &&
                      t[i].run_seconds == 66 && strcmp(t[i].reason, "TimeLimit") == 0 &&
                      strcmp(t[i].job_id, "21") == 0,
                  "task 0: TIMEOUT, signal 15, 66 s, TimeLimit, job 21");
        if (t[i].index == 1)
            check(t[i].restarts == 1 && sweep_slurm_state_running(t[i].state),
                  "task 1 runs, restarted once");
        if (t[i].index >= 3)
            check(strcmp(t[i].state, "PENDING") == 0 && t[i].job_id[0] == '\0',
                  "task %lld of the pending rest is PENDING with no id of its own",
                  (long long)t[i].index);
    }
    check(seen == 0x3f, "tasks 0 to 5 all present");
    free(t);
    check(sweep_slurm_parse_jobs(text, "/elsewhere/slurm/submit-2.sh", &t, &n, &ours, &err) ==
                  SF_OK &&
              !ours,
          "a job id that runs another script is not ours");
    free(t);
    const char *odd =
        "JobId=9 ArrayJobId=9 ArrayTaskId=0 JobState=RUNNING Command=/srv/a b=c/slurm/submit-1.sh "
        "WorkDir=/srv/a b=c\n";
    check(sweep_slurm_parse_jobs(odd, "/srv/a b=c/slurm/submit-1.sh", &t, &n, &ours, &err) ==
                  SF_OK &&
              ours && n == 1,
          "a script path with a space and '=' is recognised as ours");
    free(t);
    check(sweep_slurm_parse_jobs(odd, "/srv/a b=c/slurm/submit-1", &t, &n, &ours, &err) == SF_OK &&
              !ours,
          "a prefix of the path is not the script");
    free(t);
    /* Found by fuzzing: a range past Slurm's largest index would expand to gigabytes. */
    const char *huge = "J=07 ArrayTaskId=4-6666666\n";
    t                = NULL;
    check(sweep_slurm_parse_jobs(huge, NULL, &t, &n, &ours, &err) != SF_OK,
          "an ArrayTaskId range past Slurm's largest index (4000000) is refused");
    free(t);
    const char *steps =
        "JobId=30 ArrayJobId=30 ArrayTaskId=1,4-8:2%3 JobState=PENDING Reason=Priority "
        "Command=/x WorkDir=/";
    check(sweep_slurm_parse_jobs(steps, NULL, &t, &n, &ours, &err) == SF_OK && n == 4 &&
              t[0].index == 1 && t[1].index == 4 && t[2].index == 6 && t[3].index == 8,
          "an index list with a step expands to 1, 4, 6, 8");
    free(t);
    check(sweep_slurm_parse_jobs("JobId=1 ArrayTaskId=a-b JobState=PENDING\n", NULL, &t, &n, &ours,
                                 &err) != SF_OK,
          "a malformed ArrayTaskId is an error, not a silent guess");
    check(sweep_slurm_parse_jobs("", NULL, &t, &n, &ours, &err) == SF_OK && n == 0,
          "no output: no task");
    free(t);
    check(sweep_slurm_state_terminal("OUT_OF_MEMORY") && sweep_slurm_state_terminal("NODE_FAIL") &&
              !sweep_slurm_state_terminal("COMPLETING") &&
              !sweep_slurm_state_terminal("REQUEUED") && !sweep_slurm_state_terminal("PENDING"),
          "terminal states: the nine final ones, not COMPLETING, REQUEUED or PENDING");
}

/* Writes `text` to a temporary file and runs `sh -n` on it: the script must parse. */
static bool test_sh_parses(const char *text) {
    char path[] = "/tmp/scalefit-slurm-test-XXXXXX";
    int  fd     = mkstemp(path);
    if (fd < 0) return false;
    bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-n", path, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    unlink(path);
    return ok && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

static void test_submission(void) {
    struct sweep_slurm o;
    memset(&o, 0, sizeof o);
    snprintf(o.partition, sizeof o.partition, "gpu,cpu");
    snprintf(o.time, sizeof o.time, "1-00:00:00");
    snprintf(o.mem, sizeof o.mem, "4G");
    snprintf(o.extra[0], sizeof o.extra[0], "--comment=$(touch /tmp/pwned) 'x'");
    o.n_extra                        = 1;
    o.signal_seconds                 = 90;
    const char               *ids[]  = {"d14l2-aaaa", "d6l1-bbbb"};
    struct sweep_slurm_submit s      = {&o,
                                        "it's \"a\" sweep\n$(x)",
                                        "/srv/it's a $(dir) 100%",
                                        "/opt/scale fit/scalefit",
                                        "/srv/it's a $(dir) 100%/slurm/submit-3.sh",
                                        3,
                                        2,
                                        4,
                                        ids,
                                        2};
    char                     *script = NULL, **argv = NULL;
    struct sf_error           err;
    check(sweep_slurm_submission(&s, &script, &argv, &err) == SF_OK, "a submission is written");
    if (script == NULL || argv == NULL) return;
    size_t n = 0;
    while (argv[n])
        n++;
    check(strcmp(argv[0], "sbatch") == 0 && strcmp(argv[n - 1], s.script_path) == 0,
          "sbatch first, the script last");
    bool array = false, output = false, signal = false, extra_last = false, name = false,
         requeue = false;
    for (size_t i = 0; i < n; i++) {
        array |= strcmp(argv[i], "--array=0-1%2") == 0;
        output |= strcmp(argv[i], "--output=/srv/it's a $(dir) 100%%/slurm/logs/%A_%a.log") == 0;
        signal |= strcmp(argv[i], "--signal=B:TERM@90") == 0;
        requeue |= strcmp(argv[i], "--requeue") == 0;
        name |= strncmp(argv[i], "--job-name=scalefit-it_s__a__sweep__", 36) == 0;
    }
    extra_last = strcmp(argv[n - 2], o.extra[0]) == 0;
    check(array, "--array=0-1%%2");
    check(output, "--output in the sweep's slurm/logs, its '%%' doubled for sbatch");
    check(signal && requeue, "--signal=B:TERM@90 and --requeue");
    check(name, "the job name keeps only plain characters");
    check(extra_last, "the extra option goes as one argument, unchanged, after the executor's own");
    check(strstr(script, "exec \"$scalefit\" train --run-dir \"$dir\"\n") != NULL,
          "the script execs the trainer");
    check(strstr(script, "out='/srv/it'\\''s a $(dir) 100%'\n") != NULL,
          "the sweep directory is single-quoted");
    check(strstr(script, "0) run='d14l2-aaaa' ;;\n1) run='d6l1-bbbb' ;;\n") != NULL,
          "task i maps to run i");
    check(strstr(script, "$(touch /tmp/pwned)") != NULL &&
              strstr(script, "'--comment=$(touch /tmp/pwned) '\\''x'\\'''") != NULL,
          "the extra option appears only quoted, in the comment");
    check(test_sh_parses(script), "sh -n accepts the script");
    /* Nothing of the sweep's name reaches a line of its own (the newline in it is quoted). */
    check(strstr(script, "\n$(x)") == NULL ||
              strstr(script, "'it'\\''s \"a\" sweep\n$(x)'") != NULL,
          "the sweep's name stays inside its quotes");
    free(script);
    sweep_slurm_args_free(argv);
    struct sweep_slurm_submit rel = s;
    rel.out_dir                   = "relative/out";
    check(sweep_slurm_submission(&rel, &script, &argv, &err) == SF_EINVAL,
          "a relative sweep directory is refused");
    struct sweep_slurm_submit nl = s;
    nl.out_dir                   = "/srv/a\nb";
    check(sweep_slurm_submission(&nl, &script, &argv, &err) == SF_EINVAL,
          "a path with a newline is refused");
}

static void test_verdicts(void) {
    struct sweep_slurm_case base = {.state         = "COMPLETED",
                                    .run_state     = SWEEP_STATE_DONE,
                                    .step_before   = 0,
                                    .step_now      = 100,
                                    .resubmits     = 0,
                                    .max_resubmits = 3};
    struct {
        const char              *label;
        struct sweep_slurm_case  c;
        enum sweep_slurm_verdict want;
    } cases[32];
    size_t k = 0;
#define CASE(lbl, mod, want_)                                                                      \
    do {                                                                                           \
        struct sweep_slurm_case c_ = base;                                                         \
        mod;                                                                                       \
        cases[k].label = (lbl), cases[k].c = c_, cases[k].want = (want_), k++;                     \
    } while (0)
    CASE("running task", (c_.state = "RUNNING", c_.run_state = SWEEP_STATE_RUNNING),
         SWEEP_SLURM_VERDICT_WAIT);
    CASE("completing task", (c_.state = "COMPLETING"), SWEEP_SLURM_VERDICT_WAIT);
    CASE("completed, done", (void)0, SWEEP_SLURM_VERDICT_DONE);
    CASE("failed exit 3, diverged",
         (c_.state = "FAILED", c_.exit_code = 3, c_.run_state = SWEEP_STATE_DIVERGED),
         SWEEP_SLURM_VERDICT_DIVERGED);
    CASE("trainer recorded failure",
         (c_.state = "FAILED", c_.exit_code = 2, c_.run_state = SWEEP_STATE_FAILED),
         SWEEP_SLURM_VERDICT_FAILED);
    CASE("time limit, advanced", (c_.state = "TIMEOUT", c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_RESUBMIT);
    CASE("time limit, killed before recording",
         (c_.state = "TIMEOUT", c_.exit_signal = 9, c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_RESUBMIT);
    CASE("time limit, no progress",
         (c_.state = "TIMEOUT", c_.run_state = SWEEP_STATE_INTERRUPTED, c_.step_before = 100),
         SWEEP_SLURM_VERDICT_STALLED);
    CASE("time limit, resubmissions used up",
         (c_.state = "TIMEOUT", c_.run_state = SWEEP_STATE_INTERRUPTED, c_.resubmits = 3),
         SWEEP_SLURM_VERDICT_EXHAUSTED);
    CASE("warned, checkpointed (exit 4)",
         (c_.state = "FAILED", c_.exit_code = 4, c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_RESUBMIT);
    CASE("warned, no progress",
         (c_.state = "FAILED", c_.exit_code = 4, c_.run_state = SWEEP_STATE_INTERRUPTED,
          c_.step_now = 0),
         SWEEP_SLURM_VERDICT_STALLED);
    CASE("node failure",
         (c_.state = "NODE_FAIL", c_.run_state = SWEEP_STATE_INTERRUPTED, c_.step_now = 0),
         SWEEP_SLURM_VERDICT_RESUBMIT);
    CASE("preempted", (c_.state = "PREEMPTED", c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_RESUBMIT);
    CASE("boot failure, capped",
         (c_.state = "BOOT_FAIL", c_.run_state = SWEEP_STATE_PENDING, c_.resubmits = 3),
         SWEEP_SLURM_VERDICT_EXHAUSTED);
    CASE("cancelled", (c_.state = "CANCELLED", c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_CANCELLED);
    CASE("cancelled before it started",
         (c_.state = "CANCELLED", c_.run_state = SWEEP_STATE_PENDING, c_.step_now = 0),
         SWEEP_SLURM_VERDICT_CANCELLED);
    CASE("out of memory",
         (c_.state = "OUT_OF_MEMORY", c_.exit_signal = 9, c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_LOST);
    CASE("killed by SIGKILL",
         (c_.state = "FAILED", c_.exit_signal = 9, c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_LOST);
    CASE("script could not start the trainer",
         (c_.state = "FAILED", c_.exit_code = 2, c_.run_state = SWEEP_STATE_PENDING),
         SWEEP_SLURM_VERDICT_LOST);
    CASE("deadline", (c_.state = "DEADLINE", c_.run_state = SWEEP_STATE_PENDING),
         SWEEP_SLURM_VERDICT_LOST);
    CASE("completed but not done", (c_.run_state = SWEEP_STATE_INTERRUPTED),
         SWEEP_SLURM_VERDICT_LOST);
    CASE("lock held by another trainer",
         (c_.state = "FAILED", c_.exit_code = 1, c_.run_state = SWEEP_STATE_INTERRUPTED,
          c_.lock_refused = true),
         SWEEP_SLURM_VERDICT_ELSEWHERE);
    CASE("a trainer here holds it",
         (c_.state = "FAILED", c_.exit_code = 1, c_.run_state = SWEEP_STATE_RUNNING,
          c_.locked = true),
         SWEEP_SLURM_VERDICT_HELD);
    CASE("purged, unfinished",
         (c_.state = NULL, c_.run_state = SWEEP_STATE_INTERRUPTED, c_.step_now = 0),
         SWEEP_SLURM_VERDICT_RESUBMIT);
    CASE("purged, done", (c_.state = NULL), SWEEP_SLURM_VERDICT_DONE);
    CASE("purged, capped",
         (c_.state = NULL, c_.run_state = SWEEP_STATE_INTERRUPTED, c_.resubmits = 3),
         SWEEP_SLURM_VERDICT_EXHAUSTED);
    CASE("no resubmissions allowed",
         (c_.state = "TIMEOUT", c_.run_state = SWEEP_STATE_INTERRUPTED, c_.max_resubmits = 0),
         SWEEP_SLURM_VERDICT_EXHAUSTED);
#undef CASE
    for (size_t i = 0; i < k; i++) {
        enum sweep_slurm_verdict got = sweep_slurm_judge(&cases[i].c);
        check(got == cases[i].want, "%s: %s (got %s)", cases[i].label,
              sweep_slurm_verdict_name(cases[i].want), sweep_slurm_verdict_name(got));
    }
}

int main(void) {
    test_times();
    test_quoting();
    test_fields();
    test_parse();
    test_submission();
    test_verdicts();
    return check_summary();
}
