/*
 * process.c — the one child-process runner: fork and exec (no shell) with stdin from /dev/null,
 * output captured through pipes, appended to a log or discarded, an optional working folder and
 * process group, a time limit, and the failures of the start (pipe, fork, chdir, exec) reported
 * through a status pipe that closes on a successful exec. The figure module runs gnuplot with it,
 * the local executor its trainers, the Slurm executor Slurm's commands.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the child reports through its status pipe when it cannot become the program. */
struct sf_process_failure {
    int step; /* 1: set up descriptors, 2: chdir, 3: exec */
    int errnum;
};

/* The file to run and the name in messages: `program` when given, else argv[0]. */
static const char *sf_process_name_impl(const struct sf_process_spec *spec) {
    return spec->program ? spec->program : spec->argv[0];
}

/* In the child: descriptors, folder, signals, then the program. Only async-signal-safe calls
 * (open, dup2, setpgid, sigaction, sigprocmask, chdir, execvp, write, _exit). */
static _Noreturn void sf_process_child_impl(const struct sf_process_spec *spec, int out_fd,
                                            int err_fd, int status_fd) {
    struct sf_process_failure failure = {1, 0};
    int                       null_fd = open("/dev/null", O_RDWR);
    if (spec->own_group) setpgid(0, 0);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO) < 0 ||
        dup2(err_fd >= 0 ? err_fd : null_fd, STDERR_FILENO) < 0)
        goto fail;
    /* The caller's handlers end at exec; what it ignored or blocked must not carry over. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler   = SIG_DFL;
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    failure.step = 2;
    if (spec->dir != NULL && chdir(spec->dir) != 0) goto fail;
    failure.step = 3;
    execvp(sf_process_name_impl(spec), spec->argv);
fail:
    failure.errnum = errno;
    (void)!write(status_fd, &failure, sizeof failure);
    _exit(127);
}

static void sf_process_close_impl(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Fills in how the child ended from its wait status. */
static void sf_process_ended_impl(struct sf_process_result *res, int ws) {
    res->wait_status = ws;
    res->exit_code   = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Forks and execs; on success *pid is the child and *out_read, *err_read the read ends of the
 * captured streams (-1 when not captured). */
static enum sf_status sf_process_spawn_impl(const struct sf_process_spec *spec, pid_t *pid,
                                            int *out_read, int *err_read, struct sf_error *err) {
    const char *prog  = sf_process_name_impl(spec);
    int         po[2] = {-1, -1}, pe[2] = {-1, -1}, ps[2] = {-1, -1}, log_fd = -1;
    const char *step = "pipe";
    *out_read = *err_read = -1;
    if (spec->log_path != NULL) {
        log_fd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) SF_FAIL(err, SF_EIO, "cannot open %s: %s", spec->log_path, strerror(errno));
    }
    if ((spec->capture_out && pipe2(po, O_CLOEXEC) != 0) ||
        (spec->capture_err && pipe2(pe, O_CLOEXEC) != 0) || pipe2(ps, O_CLOEXEC) != 0)
        goto fail;
    step = "fork";
    *pid = fork();
    if (*pid < 0) goto fail;
    if (*pid == 0)
        sf_process_child_impl(spec, spec->capture_out ? po[1] : log_fd,
                              spec->capture_err ? pe[1] : log_fd, ps[1]);
    sf_process_close_impl(&log_fd);
    sf_process_close_impl(&po[1]);
    sf_process_close_impl(&pe[1]);
    sf_process_close_impl(&ps[1]);
    /* The status pipe closes on a successful exec (O_CLOEXEC) or carries the failure. */
    struct sf_process_failure failure = {0, 0};
    ssize_t                   got;
    do
        got = read(ps[0], &failure, sizeof failure);
    while (got < 0 && errno == EINTR);
    sf_process_close_impl(&ps[0]);
    if (got != (ssize_t)sizeof failure) {
        *out_read = po[0];
        *err_read = pe[0];
        return SF_OK;
    }
    sf_process_close_impl(&po[0]);
    sf_process_close_impl(&pe[0]);
    int ws;
    sf_process_reap(*pid, true, &ws);
    if (failure.step == 3) {
        bool hint = failure.errnum == ENOENT && spec->missing_hint != NULL;
        SF_FAIL(err, SF_EIO, "cannot run %s: %s%s%s%s", prog, strerror(failure.errnum),
                hint ? " (" : "", hint ? spec->missing_hint : "", hint ? ")" : "");
    }
    if (failure.step == 2)
        SF_FAIL(err, SF_EIO, "cannot start %s in %s: %s", prog, spec->dir,
                strerror(failure.errnum));
    SF_FAIL(err, SF_EIO, "cannot start %s: %s", prog, strerror(failure.errnum));
fail:;
    int e = errno;
    sf_process_close_impl(&log_fd);
    for (int k = 0; k < 2; k++)
        sf_process_close_impl(&po[k]), sf_process_close_impl(&pe[k]), sf_process_close_impl(&ps[k]);
    SF_FAIL(err, SF_EIO, "cannot start %s: %s: %s", prog, step, strerror(e));
}

enum sf_status sf_process_start(const struct sf_process_spec *spec, pid_t *pid,
                                struct sf_error *err) {
    SF_ASSERT(!spec->capture_out && !spec->capture_err);
    int unused_out, unused_err;
    return sf_process_spawn_impl(spec, pid, &unused_out, &unused_err, err);
}

/* Reads the captured streams until both close or the deadline passes (false then). */
static bool sf_process_drain_impl(int fds[2], struct sf_buf *bufs[2], size_t max, double deadline) {
    struct pollfd pf[2]    = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    int           open_fds = (fds[0] >= 0) + (fds[1] >= 0);
    char          chunk[4096];
    while (open_fds > 0) {
        double left = deadline - sf_now();
        if (left <= 0) return false;
        int r = poll(pf, 2, left > 1e6 ? -1 : (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return false;
        for (int k = 0; k < 2; k++) {
            if (pf[k].fd < 0 || pf[k].revents == 0) continue;
            ssize_t got = read(pf[k].fd, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                pf[k].fd = -1;
                open_fds--;
                continue;
            }
            if (max == 0 || bufs[k]->len < max) sf_buf_append(bufs[k], chunk, (size_t)got);
        }
    }
    return true;
}

enum sf_status sf_process_run(const struct sf_process_spec *spec, struct sf_process_result *res,
                              struct sf_error *err) {
    memset(res, 0, sizeof *res);
    sf_buf_init(&res->out);
    sf_buf_init(&res->err);
    pid_t          pid;
    int            fds[2];
    enum sf_status st = sf_process_spawn_impl(spec, &pid, &fds[0], &fds[1], err);
    if (st != SF_OK) return st;
    double         deadline = spec->timeout_s > 0 ? sf_now() + spec->timeout_s : INFINITY;
    struct sf_buf *bufs[2]  = {&res->out, &res->err};
    bool           finished = sf_process_drain_impl(fds, bufs, spec->capture_max, deadline);
    sf_process_close_impl(&fds[0]);
    sf_process_close_impl(&fds[1]);
    /* With nothing captured, the child's end is the only thing to wait for. */
    int ws = 0;
    if (finished && !spec->capture_out && !spec->capture_err && spec->timeout_s > 0) {
        while (sf_process_reap(pid, false, &ws) == SF_PROCESS_STATE_RUNNING) {
            if (sf_now() >= deadline) {
                finished = false;
                break;
            }
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (finished) {
            sf_process_ended_impl(res, ws);
            return SF_OK;
        }
    }
    if (!finished) sf_process_signal(pid, spec->own_group, SIGKILL);
    sf_process_reap(pid, true, &ws);
    if (!finished) {
        sf_process_result_free(res);
        SF_FAIL(err, SF_EIO, "%s ran longer than %.0f s and was stopped",
                sf_process_name_impl(spec), spec->timeout_s);
    }
    if (res->out.failed || res->err.failed) {
        sf_process_result_free(res);
        SF_FAIL(err, SF_ENOMEM, "out of memory reading the output of %s",
                sf_process_name_impl(spec));
    }
    sf_process_ended_impl(res, ws);
    return SF_OK;
}

void sf_process_result_free(struct sf_process_result *r) {
    if (r == NULL) return;
    sf_buf_free(&r->out);
    sf_buf_free(&r->err);
}

enum sf_process_state sf_process_reap(pid_t pid, bool block, int *wait_status) {
    for (;;) {
        pid_t got = waitpid(pid, wait_status, block ? 0 : WNOHANG);
        if (got > 0) return SF_PROCESS_STATE_ENDED;
        if (got == 0) return SF_PROCESS_STATE_RUNNING;
        if (errno != EINTR) return SF_PROCESS_STATE_LOST;
        if (!block) return SF_PROCESS_STATE_RUNNING;
    }
}

void sf_process_signal(pid_t pid, bool own_group, int sig) {
    if (pid > 0) kill(own_group ? -pid : pid, sig);
}
