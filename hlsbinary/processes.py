"""Child processes (compilers) that die with hlsbinary, even when hlsbinary is killed with ``kill -9``.

A killed Python process cannot clean up, and ``bash build_lib.sh`` -> ``g++`` -> ``cc1plus`` would go on compiling
as orphans.  So every command runs under a small reaper (:mod:`hlsbinary._reaper`): it leads a process group of its
own, asks the kernel for a signal when its parent dies (Linux ``PR_SET_PDEATHSIG``), and then kills its whole group.
Where ``prctl`` does not exist (not Linux), the command runs directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REAPER = Path(__file__).with_name('_reaper.py')


def bound_command(cmd: list[str]) -> list[str]:
    """``cmd`` wrapped so that it, and everything it starts, dies when this process dies."""
    if not sys.platform.startswith('linux'):
        return list(cmd)
    return [sys.executable, '-I', '-S', str(REAPER), str(os.getpid()), '--', *cmd]


def run_bound(cmd: list[str], cwd: str | Path | None = None, capture: bool = True, text: bool = True):
    """Run ``cmd`` under the reaper; returns a :class:`subprocess.CompletedProcess` (stdout and stderr merged when
    ``capture``).  Any exception here (Ctrl-C included) stops the command and everything it started."""
    out = subprocess.PIPE if capture else None
    with subprocess.Popen(
        bound_command(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT if capture else None, text=text
    ) as proc:
        try:
            stdout, _ = proc.communicate()
        except BaseException:
            proc.terminate()  # SIGTERM: the reaper kills its whole group (SIGKILL would kill only the reaper)
            proc.wait()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, None)
