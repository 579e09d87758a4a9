"""Build and load the emulator's C kernel (``csrc/emulate.c``) with the system C compiler, once per machine.

The shared library is cached under ``$HLSBINARY_CACHE`` (default ``~/.cache/hlsbinary``), keyed by the source,
the compiler flags and the CPU's feature flags, so a home directory shared by cluster nodes with different CPUs
never loads a library built for another instruction set.  It is written to a temporary name and moved into
place, so concurrent first uses cannot see a half-written file.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import tempfile
from pathlib import Path

from hlsbinary.processes import run_bound

SOURCE = Path(__file__).parent / 'csrc' / 'emulate.c'
FLAG_SETS = (
    ['-O3', '-fno-trapping-math', '-ffp-contract=fast', '-march=native', '-mprefer-vector-width=512'],
    ['-O3', '-fno-trapping-math', '-march=native'],
    ['-O3', '-fno-trapping-math', '-mcpu=native'],
    ['-O3'],
)


class KernelUnavailable(RuntimeError):
    """No C compiler could build the kernel; the NumPy engine is used instead."""


def cache_dir() -> Path:
    return Path(os.environ.get('HLSBINARY_CACHE', Path.home() / '.cache' / 'hlsbinary'))


def _cpu_signature() -> str:
    try:
        text = Path('/proc/cpuinfo').read_text()
        flags = next((line for line in text.splitlines() if line.startswith(('flags', 'Features'))), '')
    except OSError:
        flags = ''
    return f'{platform.machine()} {platform.processor()} {flags}'


def _compiler() -> str | None:
    for name in (os.environ.get('CC'), 'cc', 'gcc', 'clang'):
        if name and shutil.which(name):
            return name
    return None


def _build(compiler: str, flags: list[str], target: Path) -> str | None:
    """Compile into ``target``; returns None, or the compiler's complaint."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        out = Path(tmp) / target.name
        cmd = [compiler, *flags, '-shared', '-fPIC', '-std=c11', str(SOURCE), '-o', str(out), '-lm']
        result = run_bound(cmd)  # the compiler dies with us
        if result.returncode != 0:
            return f'{" ".join(cmd)}: {result.stdout.strip()[-500:]}'
        os.replace(out, target)
    return None


@functools.cache
def load_kernel() -> ctypes.CDLL:
    """The compiled emulator kernel (built on first use).  Raises :class:`KernelUnavailable` without a compiler."""
    compiler = _compiler()
    if compiler is None:
        raise KernelUnavailable('no C compiler (cc, gcc or clang; or $CC) found to build the emulator kernel')
    source = SOURCE.read_bytes()
    complaint = ''
    for flags in FLAG_SETS:
        key = hashlib.sha256(source + ' '.join([compiler, *flags, _cpu_signature()]).encode()).hexdigest()[:16]
        target = cache_dir() / f'emulate-{key}.so'
        if not target.exists():
            complaint = _build(compiler, flags, target) or ''
        if target.exists():
            lib = ctypes.CDLL(str(target))
            lib.hlsb_run.restype = ctypes.c_int32
            lib.hlsb_quantize.restype = ctypes.c_int64
            lib.hlsb_popcount_peak.restype = ctypes.c_int64
            return lib
    raise KernelUnavailable(f'{compiler} could not compile {SOURCE} with any of {FLAG_SETS}; last error: {complaint}')
