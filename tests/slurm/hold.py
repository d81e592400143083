#!/usr/bin/python3
# hold.py PID — holds a process still the way a hung trainer would be: attaches to it with
# ptrace (PTRACE_SEIZE, then PTRACE_INTERRUPT) and never lets it run again, so that the SIGCONT
# and SIGTERM Slurm sends stay pending and only SIGKILL ends it. Prints "held" once the process
# is stopped and exits when it is dead (detaching, were it to exit first, would let the process
# go on). The slurm suite's time-limit test uses it to make a task reach its time limit.
import ctypes
import os
import sys

PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long

pid = int(sys.argv[1])
for request in (PTRACE_SEIZE, PTRACE_INTERRUPT):
    if libc.ptrace(request, pid, None, None) != 0:
        sys.exit("hold.py: ptrace(%#x, %d): %s" % (request, pid, os.strerror(ctypes.get_errno())))
while True:
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) or os.WIFSIGNALED(status):
        how = "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit %d" % os.WEXITSTATUS(status)
        print("hold.py: %d ended (%s)" % (pid, how), flush=True)
        break
    # A ptrace stop (the interrupt, or a signal arriving): report it once, leave it stopped.
    print("held", flush=True)
