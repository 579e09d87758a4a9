"""Output safety (hlsbinary.files): never delete or replace a user's file, publish whole or not at all, clean up
after runs that died."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from hlsbinary.errors import OutputRefused
from hlsbinary.files import (
    MANIFEST,
    STAGING_PREFIX,
    check_directory_target,
    clean_stale_staging,
    publish_directory,
    publish_file,
    publish_files,
)


def _write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def test_new_folder_is_published_in_one_rename_with_normal_permissions(tmp_path):
    with publish_directory(tmp_path / 'prj') as staging:
        _write(staging, {'a.txt': 'a', 'firmware/b.h': 'b'})
        assert not (tmp_path / 'prj').exists()  # nothing visible before success
    assert _tree(tmp_path / 'prj').keys() == {'a.txt', 'firmware/b.h', MANIFEST}
    mode = (tmp_path / 'prj').stat().st_mode & 0o777
    assert mode == 0o777 & ~_umask()
    assert not list(tmp_path.glob(STAGING_PREFIX + '*'))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_failure_publishes_nothing_and_leaves_no_staging(tmp_path):
    _write(tmp_path, {'prj/keep.txt': 'old'})
    with pytest.raises(RuntimeError, match='boom'):
        with publish_directory(tmp_path / 'prj', force=True) as staging:
            _write(staging, {'keep.txt': 'new'})
            raise RuntimeError('boom')
    assert _tree(tmp_path / 'prj') == {'keep.txt': b'old'}
    assert not list(tmp_path.glob(STAGING_PREFIX + '*'))


def test_republishing_keeps_user_files_and_removes_own_stale_ones(tmp_path):
    target = tmp_path / 'prj'
    with publish_directory(target) as staging:
        _write(staging, {'a.txt': 'a1', 'old/stale.txt': 's', 'firmware/w.txt': 'w'})
    _write(target, {'vivado_synth_results.txt': 'user', 'myproject_prj/solution1/x.log': 'user log'})
    with publish_directory(target) as staging:
        _write(staging, {'a.txt': 'a2', 'firmware/w.txt': 'w'})
    tree = _tree(target)
    assert tree['a.txt'] == b'a2' and tree['vivado_synth_results.txt'] == b'user'
    assert tree['myproject_prj/solution1/x.log'] == b'user log'
    assert 'old/stale.txt' not in tree and not (target / 'old').exists()  # our stale file and its empty folder


def test_an_edited_own_file_is_never_replaced(tmp_path):
    target = tmp_path / 'prj'
    with publish_directory(target) as staging:
        _write(staging, {'build_prj.tcl': 'generated'})
    (target / 'build_prj.tcl').write_text('my edits')
    for force in (False, True):
        with pytest.raises(OutputRefused, match='build_prj.tcl already exists .hlsbinary wrote it, but it was changed'):
            with publish_directory(target, force=force) as staging:
                _write(staging, {'build_prj.tcl': 'generated again'})
        assert (target / 'build_prj.tcl').read_text() == 'my edits'


def test_foreign_folder_refused_without_force_and_only_added_to_with_force(tmp_path):
    target = tmp_path / 'thesis'
    _write(target, {'draft.tex': 'chapter 1', 'a.txt': 'mine'})
    with pytest.raises(OutputRefused, match='not empty .* was not written by hlsbinary.*--force'):
        check_directory_target(target)
    with pytest.raises(OutputRefused, match=r'a\.txt already exists \(hlsbinary did not write it\)'):
        with publish_directory(target, force=True) as staging:
            _write(staging, {'a.txt': 'ours', 'b.txt': 'ours'})
    assert _tree(target) == {'draft.tex': b'chapter 1', 'a.txt': b'mine'}
    with publish_directory(target, force=True) as staging:
        _write(staging, {'b.txt': 'ours'})
    assert _tree(target)['draft.tex'] == b'chapter 1' and _tree(target)['b.txt'] == b'ours'
    check_directory_target(target)  # now it holds an hlsbinary output: no --force needed to update it


@pytest.mark.parametrize('where', ['cwd', 'parent', 'home'])
def test_protected_folders_refused_even_with_force(tmp_path, monkeypatch, where):
    work = tmp_path / 'a' / 'b'
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    (tmp_path / 'home').mkdir()
    target = {'cwd': work, 'parent': tmp_path / 'a', 'home': tmp_path / 'home'}[where]
    with pytest.raises(OutputRefused, match='not even with --force'):
        check_directory_target(target, force=True)


def test_files_replaced_only_when_own_or_forced(tmp_path):
    user = tmp_path / 'results.npy'
    user.write_bytes(b'user data')
    with pytest.raises(OutputRefused, match='was not written by hlsbinary.*--force'):
        with publish_file(user) as tmp:
            tmp.write_text('ours')
    assert user.read_bytes() == b'user data'
    mine = tmp_path / 'out.npy'
    for text in ('first', 'second'):  # our own output: replaced without --force
        with publish_file(mine) as tmp:
            tmp.write_text(text)
    assert mine.read_text() == 'second'
    mine.write_text('edited by the user')
    with pytest.raises(OutputRefused, match='changed since'):
        with publish_file(mine) as tmp:
            tmp.write_text('third')
    with publish_file(user, force=True) as tmp:  # an explicitly named file, with --force
        tmp.write_text('ours')
    assert user.read_text() == 'ours'


def test_read_only_and_folder_targets_refused(tmp_path):
    ro = tmp_path / 'ro.npy'
    ro.write_text('x')
    ro.chmod(0o444)
    with pytest.raises(OutputRefused, match='read-only'):
        with publish_file(ro, force=True) as tmp:
            tmp.write_text('y')
    assert ro.read_text() == 'x'
    (tmp_path / 'd.npy').mkdir()
    with pytest.raises(OutputRefused, match='is a folder'):
        with publish_file(tmp_path / 'd.npy') as tmp:
            tmp.write_text('y')
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o555)
    with pytest.raises(OutputRefused, match='read-only'):
        with publish_file(locked / 'x.npy') as tmp:
            tmp.write_text('y')


def test_files_of_one_result_appear_together_or_not_at_all(tmp_path):
    h5, js = tmp_path / 'm.h5', tmp_path / 'm.json'
    with pytest.raises(KeyboardInterrupt):
        with publish_files([h5, js]) as (a, b):
            a.write_text('model')
            raise KeyboardInterrupt
    assert not h5.exists() and not js.exists()
    with publish_files([h5, js]) as (a, b):
        a.write_text('model')
        b.write_text('{}')
    assert h5.read_text() == 'model' and js.read_text() == '{}'


def test_stale_staging_of_a_killed_run_is_cleaned_but_a_live_one_is_not(tmp_path):
    code = textwrap.dedent(
        f"""
        import os, sys, time
        from hlsbinary.files import publish_directory
        with publish_directory({str(tmp_path / 'prj')!r}) as staging:
            (staging / 'half.txt').write_text('half')
            print('staged', flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'staged'
    assert clean_stale_staging(tmp_path) == []  # its writer is alive
    proc.kill()
    proc.wait()
    leftover = list(tmp_path.glob(STAGING_PREFIX + '*'))
    assert len(leftover) == 1 and not (tmp_path / 'prj').exists()
    with publish_directory(tmp_path / 'prj') as staging:  # the next run cleans it
        _write(staging, {'a.txt': 'a'})
    assert not list(tmp_path.glob(STAGING_PREFIX + '*'))
    (tmp_path / (STAGING_PREFIX + 'not-ours')).mkdir()  # no lock file: not ours to delete
    assert clean_stale_staging(tmp_path) == []
