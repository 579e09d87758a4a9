"""``kill -9`` in the middle of a conversion and of its C compilation: nothing half-written is published, no compiler
outlives hlsbinary, and the next run cleans up after the dead one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip('qkeras', reason='conversion needs the qkeras extra (TensorFlow + QKeras)')

from hlsbinary.files import MANIFEST, STAGING_PREFIX  # noqa: E402

pytestmark = pytest.mark.csim

CONFIG = 'KerasModel: model.h5\nOutputDir: prj\nBackend: VitisBinary\nPart: xcvu9p-flga2104-2L-e\nClockPeriod: 5\n'


@pytest.fixture
def workspace(tmp_path):
    from hlsbinary.zoo import build

    build('jets_binary_64_32_32').save(tmp_path / 'model.h5')
    (tmp_path / 'config.yml').write_text(CONFIG)
    return tmp_path


def _processes_mentioning(marker: str) -> list[int]:
    pids = []
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / 'cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(entry.name))
    return pids


def _wait_for(predicate, timeout=120.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError('timed out waiting')


def _convert(workspace, *extra):
    return subprocess.Popen(
        [sys.executable, '-m', 'hlsbinary.cli', 'convert', '-c', 'config.yml', *extra],
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rerun_cleans_up(workspace, *extra):
    rerun = _convert(workspace, *extra)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert not list(workspace.glob(STAGING_PREFIX + '*'))
    assert (workspace / 'prj' / MANIFEST).exists()
    assert f'OutputDir: {workspace / "prj"}' in (workspace / 'prj' / 'hls4ml_config.yml').read_text()


def test_kill_during_conversion(workspace):
    proc = _convert(workspace)
    _wait_for(lambda: list(workspace.glob(STAGING_PREFIX + '*')))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (workspace / 'prj').exists()  # nothing half-written was published
    _rerun_cleans_up(workspace)


def test_kill_during_compilation_leaves_no_compiler_running(workspace):
    marker = str(workspace / 'prj' / 'firmware' / 'weights')  # g++ gets -D WEIGHTS_DIR="<final project>/firmware/weights"
    proc = _convert(workspace, '--compile')
    compilers = _wait_for(lambda: [p for p in _processes_mentioning(marker) if p != proc.pid])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _wait_for(lambda: not _processes_mentioning(marker), timeout=10)
    assert compilers and not (workspace / 'prj').exists()
    _rerun_cleans_up(workspace, '--compile')
    assert list((workspace / 'prj' / 'firmware').glob('myproject-*.so'))


def test_reconverting_keeps_what_vivado_and_the_user_added(workspace):
    """The issue's case end to end: a project converted, then Vivado's folder, a synthesis report and a user's note
    added beside it; converting again refreshes hlsbinary's files and keeps theirs byte for byte; an hlsbinary file
    the user edited makes the next conversion refuse (exit 2) rather than overwrite it."""
    first = _convert(workspace)
    first.communicate(timeout=600)
    assert first.returncode == 0
    prj = workspace / 'prj'
    theirs = {
        'myproject_prj/solution1/syn/report/myproject_csynth.rpt': 'Vivado synthesis\n',
        'vivado_synth_results.txt': 'LUT 12345\n',
        'my_notes.md': 'tuned by hand\n',
    }
    for rel, text in theirs.items():
        (prj / rel).parent.mkdir(parents=True, exist_ok=True)
        (prj / rel).write_text(text)
    _rerun_cleans_up(workspace)
    assert {rel: (prj / rel).read_text() for rel in theirs} == theirs
    tcl = prj / 'build_prj.tcl'
    tcl.write_text(tcl.read_text() + '# my change\n')
    again = _convert(workspace)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 2 and 'Traceback' not in err
    assert 'build_prj.tcl' in err.strip().splitlines()[-1]
    assert tcl.read_text().endswith('# my change\n') and {rel: (prj / rel).read_text() for rel in theirs} == theirs
