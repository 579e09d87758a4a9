"""An hls4ml project built in a staging folder that becomes another folder: paths that must name the final place,
and the C simulation library compiled with the compiler bound to this process (:mod:`hlsbinary.processes`)."""

from __future__ import annotations

import ctypes
import re
import shlex
from pathlib import Path

from hlsbinary.processes import run_bound

BASEDIR_LINE = re.compile(r'^BASEDIR=.*$', re.MULTILINE)


class CompileError(RuntimeError):
    """The C simulation did not compile; the message carries the compiler's last lines."""


def retarget(staging: Path, target: Path) -> list[Path]:
    """Replace the staging folder's path by ``target`` in every text file of the project (hls4ml records its
    ``OutputDir``, e.g. in ``hls4ml_config.yml``, which ``hls4ml build -p`` reads).  Returns the files changed."""
    old, new = str(staging), str(target)
    changed = []
    for path in sorted(Path(staging).rglob('*')):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > (64 << 20):
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue  # binary files (the saved Keras model, libraries) hold no path
        if old in text:
            path.write_text(text.replace(old, new))
            changed.append(path)
    return changed


def build_library(hls_model, build_dir: Path, final_dir: Path | None = None) -> Path:
    """Compile the C simulation library of a written project in ``build_dir``; return the library's path there.

    ``final_dir`` is where the project will live: the library reads its weight files from there at run time
    (hls4ml's ``build_lib.sh`` would record ``build_dir``).  g++ is killed if this process dies.
    """
    build_dir = Path(build_dir)
    script = (build_dir / 'build_lib.sh').read_text()
    if final_dir is not None:
        script, n = BASEDIR_LINE.subn(f'BASEDIR={shlex.quote(str(final_dir))}', script)
        if n != 1:
            raise RuntimeError(f'{build_dir}/build_lib.sh has no BASEDIR line to point at {final_dir}')
    result = run_bound(['bash', '-c', script], cwd=build_dir)
    if result.returncode != 0:
        tail = '\n'.join(result.stdout.strip().splitlines()[-15:])
        raise CompileError(f'the C simulation of {hls_model.config.get_project_name()!r} did not compile:\n{tail}')
    config = hls_model.config
    return build_dir / 'firmware' / f'{config.get_project_name()}-{config.get_config_value("Stamp")}.so'


def load_library(hls_model, library: Path) -> None:
    """Link a compiled C simulation into ``hls_model`` (what ``hls_model.compile()`` does after building)."""
    hls_model._top_function_lib = ctypes.cdll.LoadLibrary(str(library))
