"""Every output hlsbinary writes goes through here: written whole or not at all, and never over a user's file.

The one mechanism:

* **Staging.**  Outputs are written into a hidden staging folder beside the target
  (``.hlsbinary-staging-<random>``, same filesystem) and published only after the work succeeded.  A staging
  folder holds a ``lock`` file that its writer keeps ``flock``-ed; the next run in the same folder deletes staging
  folders whose lock is free (their writer died, even by ``kill -9``).
* **Ownership.**  A folder hlsbinary wrote holds a manifest, ``.hlsbinary-manifest.json``, with the SHA-256 of each
  file it wrote there.  A file is hlsbinary's own if the manifest lists it *and* it still has that content;
  everything else (files a user added, files a user edited, folders Vivado made) is the user's and is never
  deleted or replaced.  Content hashes, not times, so a manifest stays true across copies and git checkouts.
* **Publishing a folder** (:func:`publish_directory`: HLS projects, reports, sweep results): a new or empty target
  is replaced by the staging folder in one ``rename``.  An existing folder hlsbinary wrote is updated file by file
  (each ``rename`` atomic): new files moved in, its own stale files removed, the user's files left alone, the
  manifest written last.  A non-empty folder hlsbinary did not write is refused unless ``force``, and even then
  only files that do not exist yet are added.
* **Publishing files** (:func:`publish_files`: models with their metrics, emulator outputs, estimates): all the
  files of one result are staged together and moved into place together after success; an existing file is
  replaced only if it is hlsbinary's own, or if ``force`` is given for that explicitly named file.
* **Never** the current folder, one of its parents, the home folder or one of its parents, even with ``force``.

Internal caches (downloads, generator chunks) use :func:`atomic_file`: write then rename, no ownership rules.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hlsbinary.errors import OutputRefused

MANIFEST = '.hlsbinary-manifest.json'
STAGING_PREFIX = '.hlsbinary-staging-'
LOCK = 'lock'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def digest(path: Path) -> str:
    """SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def writable(path: Path) -> bool:
    """Whether ``path`` may be written: permitted, and not marked read-only (no write bit; root ignores permissions,
    hlsbinary respects the mark)."""
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def protected_reason(path: Path) -> str | None:
    """Why ``path`` may never be an output target (the current folder, home, or a parent of either), or None."""
    path = Path(path).resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if path == cwd:
        return 'it is the current folder'
    if path in cwd.parents:
        return 'it is a parent of the current folder'
    if path == home:
        return 'it is your home folder'
    if path in home.parents:
        return 'it is a parent of your home folder'
    return None


def read_manifest(directory: Path) -> dict | None:
    """The manifest of ``directory``, or None if it has none (or an unreadable one: then nothing there is ours).

    ``folder`` is True when the folder itself is an hlsbinary output (a project, a report); ``files`` are that
    output's files, ``singles`` the single-file outputs written into the folder (models, emulator outputs).
    """
    try:
        data = json.loads((Path(directory) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), dict) for k in ('files', 'singles')):
        return None
    return data


def own_files(directory: Path, manifest: dict | None, parts: tuple[str, ...] = ('files', 'singles')) -> set[str]:
    """Relative paths under ``directory`` that hlsbinary wrote and nobody changed since."""
    if manifest is None:
        return set()
    own = set()
    for part in parts:
        for rel, sha in manifest[part].items():
            path = Path(directory) / rel
            if path.is_file() and not path.is_symlink() and digest(path) == sha:
                own.add(rel)
    return own


def _write_manifest(directory: Path, folder: bool, files: dict[str, str], singles: dict[str, str]) -> None:
    from hlsbinary import __version__

    data = {
        'written_by': f'hlsbinary {__version__}',
        'folder': folder,
        'files': dict(sorted(files.items())),
        'singles': dict(sorted(singles.items())),
    }
    tmp = Path(directory) / f'{MANIFEST}.{os.getpid()}.tmp'
    tmp.write_text(json.dumps(data, indent=1) + '\n')
    os.replace(tmp, Path(directory) / MANIFEST)


@contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` while its manifest is read and rewritten (concurrent writers queue)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _listing(root: Path) -> list[str]:
    """Every file under ``root`` as a relative POSIX path (symlinks listed, not followed)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(out)


def clean_stale_staging(parent: Path) -> list[Path]:
    """Delete staging folders in ``parent`` left by runs that died (their lock is free); return what was deleted.

    Only folders named ``.hlsbinary-staging-*`` that hold hlsbinary's ``lock`` file are candidates.
    """
    removed = []
    try:
        entries = list(Path(parent).glob(STAGING_PREFIX + '*'))
    except OSError:
        return removed
    for entry in entries:
        lock = entry / LOCK
        if not entry.is_dir() or entry.is_symlink() or not lock.is_file():
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # its writer is alive
        try:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        finally:
            os.close(fd)
    return removed


class _Staging:
    """A hidden folder beside the target, locked for as long as this process works in it."""

    def __init__(self, parent: Path):
        self.path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
        os.chmod(self.path, 0o777 & ~_umask())  # mkdtemp makes it 0700; published folders get the usual mode
        self._fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.release()


def _check_parent(target: Path, what: str) -> Path:
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputRefused(
            f'cannot create the folder {parent} for the {what}: {err.strerror}; choose another location'
        ) from err
    if not parent.is_dir():
        raise OutputRefused(f'{parent} is not a folder, so the {what} cannot be written under it; choose another location')
    if not writable(parent):
        raise OutputRefused(f'cannot write the {what} into {parent}: it is read-only; choose a folder you can write to')
    return parent


def _folder_name(what: str) -> str:
    """A subfolder name to suggest for an output described as ``what`` ('HLS project' -> 'hls_project')."""
    return '_'.join(what.lower().split()) or 'output'


def check_directory_target(target: str | Path, force: bool = False, what: str = 'output folder') -> Path:
    """Refuse a folder target before any work starts; returns it resolved.  See :func:`publish_directory`."""
    target = Path(target).expanduser().resolve()
    reason = protected_reason(target)
    if reason:
        raise OutputRefused(
            f'refusing to write the {what} into {target}: {reason}, and hlsbinary never writes over such a folder '
            '(not even with --force); name a new subfolder instead, e.g. ' + str(target / _folder_name(what))
        )
    if target.exists() and not target.is_dir():
        raise OutputRefused(f'{target} is a file, not a folder; choose a folder for the {what}')
    if target.is_dir() and not writable(target):
        raise OutputRefused(f'cannot write the {what} into {target}: it is read-only; choose a folder you can write to')
    if target.is_dir() and not force:
        manifest = read_manifest(target)
        entries = sorted(p.name for p in target.iterdir())
        if entries and not (manifest and manifest.get('folder')):
            shown = ', '.join(entries[:3]) + (' ...' if len(entries) > 3 else '')
            raise OutputRefused(
                f'{target} is not empty ({shown}) and was not written by hlsbinary; choose a new or empty folder for the '
                f"{what}, or pass --force to add hlsbinary's files beside what is there (nothing there is deleted or replaced)"
            )
    _check_parent(target, what)
    return target


@contextmanager
def publish_directory(target: str | Path, force: bool = False, what: str = 'output folder') -> Iterator[Path]:
    """Yield a staging folder to write ``target``'s content into; publish it when the block succeeds.

    On failure (any exception, Ctrl-C) the staging folder is deleted and ``target`` is untouched.  See the module
    docstring for what is replaced (only hlsbinary's own files) and what is refused.
    """
    target = check_directory_target(target, force, what)
    clean_stale_staging(target.parent)
    staging = _Staging(target.parent)
    try:
        yield staging.path
        (staging.path / LOCK).unlink()
        _publish_tree(staging.path, target, force, what)
    except BaseException:
        staging.discard()
        raise
    staging.discard()


def _publish_tree(staging: Path, target: Path, force: bool, what: str) -> None:
    files = {rel: digest(staging / rel) for rel in _listing(staging) if rel != MANIFEST}
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        _write_manifest(staging, True, files, {})
        with contextlib.suppress(FileNotFoundError):
            target.rmdir()  # an empty folder: renaming over it is the one atomic step
        os.rename(staging, target)
        return
    with _directory_lock(target):
        manifest = read_manifest(target)
        if not force and not (manifest and manifest.get('folder')):
            check_directory_target(target, force, what)  # something appeared meanwhile: refuse as before any work
        own = own_files(target, manifest)
        clashes = [rel for rel in files if os.path.lexists(target / rel) and rel not in own]
        clashes += [rel for rel in files for p in Path(rel).parents if p != Path('.') and (target / p).is_file()]
        if clashes:
            listed = set(manifest['files']) | set(manifest['singles']) if manifest else set()
            note = (
                ' (hlsbinary wrote it, but it was changed since)'
                if clashes[0] in listed
                else ' (hlsbinary did not write it)'
            )
            more = f'; {len(clashes) - 1} more such file(s)' if len(clashes) > 1 else ''
            raise OutputRefused(
                f'{target / clashes[0]} already exists{note}; hlsbinary does not replace it. Move it away or choose '
                f'another folder for the {what}{more}'
            )
        for rel in files:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, dest)
        stale = own_files(target, manifest, ('files',)) - set(files) if manifest else set()
        for rel in sorted(stale):  # the previous output's own files that the new one no longer has
            (target / rel).unlink()
            for parent in (target / rel).parents:
                if parent == target or any(parent.iterdir()):
                    break
                parent.rmdir()
        singles = {
            rel: sha for rel, sha in (manifest['singles'].items() if manifest else ()) if rel in own and rel not in files
        }
        _write_manifest(target, True, files, singles)


def check_file_targets(targets: Sequence[str | Path], force: bool = False, what: str = 'output') -> list[Path]:
    """Refuse file targets before any work starts; returns them resolved.  See :func:`publish_files`."""
    resolved = []
    for target in targets:
        target = Path(target).expanduser().resolve()
        if target.is_dir():
            raise OutputRefused(f'{target} is a folder; give the {what} a file name, e.g. {target / "outputs.npy"}')
        _check_parent(target, what)
        if os.path.lexists(target):
            if target.is_symlink() or not target.is_file():
                raise OutputRefused(f'{target} exists and is not a regular file; choose another name for the {what}')
            if not writable(target):
                raise OutputRefused(
                    f'{target} is read-only; hlsbinary does not replace it. Choose another name for the {what}'
                )
            if not force and target.name not in own_files(target.parent, read_manifest(target.parent)):
                raise OutputRefused(
                    f'{target} exists and was not written by hlsbinary (or was changed since); pass --force to replace it, '
                    f'or choose another name for the {what}'
                )
        resolved.append(target)
    return resolved


@contextmanager
def publish_files(targets: Sequence[str | Path], force: bool = False, what: str = 'output') -> Iterator[list[Path]]:
    """Yield temporary paths (same names, so writers that check suffixes behave) for ``targets``; move them all into
    place when the block succeeds, and record them as hlsbinary's own in their folder's manifest.

    A target that exists is replaced only if hlsbinary wrote it and nobody changed it since, or with ``force``.
    Targets must be in one folder (a result and its sidecar, e.g. ``model.h5`` and ``model.json``).
    """
    targets = check_file_targets(targets, force, what)
    parents = {t.parent for t in targets}
    if len(parents) != 1:
        raise ValueError(f'publish_files: targets must share one folder, got {sorted(map(str, parents))}')
    if len({t.name for t in targets}) != len(targets):
        raise ValueError('publish_files: two targets have the same name')
    (parent,) = parents
    clean_stale_staging(parent)
    staging = _Staging(parent)
    try:
        yield [staging.path / t.name for t in targets]
        missing = [t.name for t in targets if not (staging.path / t.name).is_file()]
        if missing:
            raise RuntimeError(f'internal error: nothing was written for {missing}')
        with _directory_lock(parent):
            check_file_targets(targets, force, what)  # again: something may have appeared meanwhile
            manifest = read_manifest(parent) or {'folder': False, 'files': {}, 'singles': {}}
            files, singles = dict(manifest['files']), dict(manifest['singles'])
            for t in targets:
                files.pop(t.name, None)  # now a result of its own, not part of the folder's output
                singles[t.name] = digest(staging.path / t.name)
                os.replace(staging.path / t.name, t)
            _write_manifest(parent, bool(manifest.get('folder')), files, singles)
    except BaseException:
        staging.discard()
        raise
    staging.discard()


@contextmanager
def publish_file(target: str | Path, force: bool = False, what: str = 'output') -> Iterator[Path]:
    """:func:`publish_files` for one file."""
    with publish_files([target], force, what) as (tmp,):
        yield tmp


@contextmanager
def atomic_file(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` (same suffix); renamed over ``target`` on success, deleted on failure.

    For hlsbinary's own caches only (downloads, generator chunks): no ownership rules apply.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f'.{target.stem}.{os.getpid()}.tmp{target.suffix}')
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
