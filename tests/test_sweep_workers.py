"""Two worker processes on one study in a real PostgreSQL server that this test starts on loopback.

The server is Debian's ``postgresql`` package (``.ci/run`` installs it): ``initdb`` into a temporary folder and
``pg_ctl start`` on 127.0.0.1 and a free port, as the ``postgres`` user when running as root (PostgreSQL refuses
root).  Where no server can be started the test is skipped saying why, except in CI, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip('qkeras', reason='sweep trials train QKeras models (qkeras extra)')
optuna = pytest.importorskip('optuna', reason='the sweep needs optuna (a core dependency)')

CONFIG = """study: {name: workers, heartbeat: 5}
data: {name: jets, max_train_events: 1500}
space:
  hidden_layers: {low: 1, high: 2}
  neurons: {low: 8, high: 24, log: true}
train: {epochs: 1, batch_size: 128, patience: 1}
budget: {trials: 4}
"""


def _unavailable(reason: str):
    if os.environ.get('CI') == 'true':
        pytest.fail(f'CI must run the PostgreSQL test: {reason}')
    pytest.skip(reason)


def _pg_bin() -> Path | None:
    for candidate in sorted(Path('/usr/lib/postgresql').glob('*/bin'), reverse=True):
        if (candidate / 'initdb').exists() and (candidate / 'pg_ctl').exists():
            return candidate
    initdb = shutil.which('initdb')
    return Path(initdb).parent if initdb and shutil.which('pg_ctl') else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def postgres_url():
    """``postgresql://postgres@127.0.0.1:<port>/postgres`` of a server started for this module, stopped after it."""
    if not _has_driver():
        _unavailable("no PostgreSQL driver for SQLAlchemy: pip install 'hlsbinary[postgres]'")
    bin_dir = _pg_bin()
    if bin_dir is None:
        _unavailable('no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql')
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix='hlsbinary-pg-'))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user
        import pwd

        try:
            pw = pwd.getpwnam('postgres')
        except KeyError:
            shutil.rmtree(root)
            _unavailable('running as root and there is no postgres user to run the server as')
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ['runuser', '-u', 'postgres', '--']
    data, port = root / 'data', _free_port()

    def run(*cmd):
        return subprocess.run([*prefix, *map(str, cmd)], capture_output=True, text=True, timeout=180)

    started = False
    try:
        init = run(bin_dir / 'initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync')
        if init.returncode != 0:
            _unavailable(f'initdb failed: {(init.stderr or init.stdout).strip()[-300:]}')
        options = f'-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off'
        start = run(bin_dir / 'pg_ctl', '-D', data, '-l', root / 'server.log', '-o', options, '-w', '-t', '60', 'start')
        if start.returncode != 0:
            log = (root / 'server.log').read_text()[-300:] if (root / 'server.log').exists() else ''
            _unavailable(f'the PostgreSQL server did not start: {(start.stderr or start.stdout).strip()[-200:]} {log}')
        started = True
        yield f'postgresql://postgres@127.0.0.1:{port}/postgres'
    finally:
        if started:
            run(bin_dir / 'pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop')
        shutil.rmtree(root, ignore_errors=True)


def _has_driver() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


def test_two_workers_share_one_study(tmp_path, postgres_url):
    (tmp_path / 'sweep.yml').write_text(CONFIG)
    cmd = [
        sys.executable,
        '-m',
        'hlsbinary.cli',
        'sweep',
        '-c',
        'sweep.yml',
        '--storage',
        postgres_url,
        '--study-name',
        'pair',
        '--no-export',
    ]
    workers = [
        subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [w.communicate(timeout=900) for w in workers]
    for w, (_, err) in zip(workers, results, strict=True):
        assert w.returncode == 0, err[-3000:]
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name='pair', storage=postgres_url)
    trials = study.get_trials()
    states = [t.state.name for t in trials]
    assert 'RUNNING' not in states and 'FAIL' not in states
    # the budget is the study's: the two workers stop together (one may finish the trial it was running)
    assert 4 <= states.count('COMPLETE') <= 5
    assert len({t.user_attrs['worker'] for t in trials}) == 2  # both worked
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    # a third process reads the front back from the server
    summary = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'sweep', '--summary', '--storage', postgres_url, '--study-name', 'pair'],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert summary.returncode == 0 and 'study pair:' in summary.stdout and 'on the front' in summary.stdout
