"""Writing results whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_directory(target: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` to write into; on success it replaces ``target``, on any failure it
    is deleted, so ``target`` is never left half-written."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{target.name}-', dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)


@contextmanager
def staged_file(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` with the same suffix (so writers that append one keep it); on success it
    replaces ``target``, on any failure it is deleted."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f'.{target.stem}.tmp{target.suffix}')
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
