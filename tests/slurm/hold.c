/* hold PID — keeps a process stopped the way a hung trainer would be: it attaches with ptrace
 * (PTRACE_SEIZE, then PTRACE_INTERRUPT) and never resumes it, so the SIGCONT and SIGTERM that
 * Slurm sends stay pending and only SIGKILL ends it. Prints "held" whenever the process enters a
 * ptrace stop, and "hold: PID ended (signal N | exit N)" once it is dead; exiting earlier would
 * detach and let the process go on. The slurm suite's time-limit test uses it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    char *end = NULL;
    long  pid = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end != '\0' || pid <= 0) {
        fprintf(stderr, "usage: hold PID\n");
        return 2;
    }
    if (ptrace(PTRACE_SEIZE, (pid_t)pid, NULL, NULL) != 0 ||
        ptrace(PTRACE_INTERRUPT, (pid_t)pid, NULL, NULL) != 0) {
        fprintf(stderr, "hold: ptrace %ld: %s\n", pid, strerror(errno));
        return 1;
    }
    for (;;) {
        int status = 0;
        if (waitpid((pid_t)pid, &status, __WALL) < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "hold: waitpid %ld: %s\n", pid, strerror(errno));
            return 1;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            printf("hold: %ld ended (%s %d)\n", pid, WIFSIGNALED(status) ? "signal" : "exit",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            return 0;
        }
        /* A ptrace stop (the interrupt, or a signal being delivered): leave it stopped. */
        printf("held\n");
        fflush(stdout);
    }
}
