"""Run a command in a process group that is killed as soon as the parent process dies (see hlsbinary.processes).

Usage: python -I -S _reaper.py PARENT_PID -- COMMAND [ARGS...].  Standard library only; started without site.
"""

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def _kill_group(signum=None, frame=None):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.killpg(os.getpgrp(), signal.SIGKILL)  # takes this reaper along


def main() -> int:
    parent, command = int(sys.argv[1]), sys.argv[3:]
    os.setpgrp()  # a group of our own: the command and all its children
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _kill_group)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        return 1
    proc = subprocess.Popen(command)
    while True:
        try:
            return proc.wait()
        except InterruptedError:
            continue


if __name__ == '__main__':
    sys.exit(main())
