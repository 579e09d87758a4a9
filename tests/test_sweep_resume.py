"""``kill -9`` and Ctrl-C in the middle of a trial: no finished trial is lost, the dead trial does not stay RUNNING,
and running the same command again resumes up to the budget, re-running the dead trial with its parameters and
seed.  For SQLite (Optuna's heartbeat) and for the journal file (hlsbinary's heartbeat attribute)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip('qkeras', reason='sweep trials train QKeras models (qkeras extra)')
optuna = pytest.importorskip('optuna', reason='the sweep needs optuna (a core dependency)')

HEARTBEAT = 1
CONFIG = f"""study: {{name: resume, heartbeat: {HEARTBEAT}}}
data: {{name: jets, max_train_events: 1500}}
space:
  hidden_layers: {{low: 1, high: 2}}
  neurons: {{low: 8, high: 24, log: true}}
train: {{epochs: 2, batch_size: 128, patience: 1}}
budget: {{trials: 5}}
sampler: {{name: random, seed: 11}}
output: results
"""


def _storage(url: str):
    from hlsbinary.sweep.study import open_storage

    return open_storage(url) if url.startswith('journal:') else url


def _study(url: str):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name='resume', storage=_storage(url))


def _sweep(cwd: Path, url: str, **kw):
    cmd = [sys.executable, '-m', 'hlsbinary.cli', 'sweep', '-c', 'sweep.yml', '--storage', url, '--no-export']
    # Ctrl-C as in a terminal: a test run started in the background of a shell without job control inherits an
    # ignored SIGINT (and Python then installs no KeyboardInterrupt handler), which a user's terminal does not have.
    return subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint, **kw
    )


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_during_a_trial(proc, url: str, sig: int, timeout: float = 300):
    """Wait until two trials are complete and a third is training (its parameters chosen), then send ``sig``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        try:
            trials = _study(url).get_trials(deepcopy=False)
        except Exception:  # the study is not created yet
            continue
        states = [t.state.name for t in trials]
        if states.count('COMPLETE') >= 2 and any(
            t.state.name == 'RUNNING' and 'architecture' in t.user_attrs for t in trials
        ):
            os.kill(proc.pid, sig)
            return proc.communicate(timeout=120)
    raise AssertionError('no trial was running in time')


def _complete(study) -> dict:
    return {
        t.number: (t.values, t.params, t.user_attrs) for t in study.get_trials(deepcopy=False) if t.state.name == 'COMPLETE'
    }


@pytest.mark.parametrize(
    'storage, sig',
    [('sqlite', signal.SIGKILL), ('journal', signal.SIGKILL), ('sqlite', signal.SIGINT)],
    ids=['sqlite-kill9', 'journal-kill9', 'sqlite-ctrl-c'],
)
def test_stopped_mid_trial_loses_nothing_and_resumes(tmp_path, storage, sig):
    (tmp_path / 'sweep.yml').write_text(CONFIG)
    url = f'sqlite:///{tmp_path / "study.db"}' if storage == 'sqlite' else f'journal:{tmp_path / "study.journal"}'
    out, err = _stop_during_a_trial(_sweep(tmp_path, url), url, sig)
    if sig == signal.SIGINT:
        assert 'run the same command to resume' in err and 'Traceback' not in err
    before = _study(url)
    kept = _complete(before)
    (stopped,) = [t for t in before.get_trials(deepcopy=False) if t.state.name in ('RUNNING', 'FAIL')]
    assert len(kept) >= 2
    if sig == signal.SIGKILL:
        assert stopped.state.name == 'RUNNING'  # nobody could mark it: the heartbeat will tell it is dead
        time.sleep(2 * HEARTBEAT + 1)
    else:
        assert stopped.state.name == 'FAIL' and stopped.user_attrs['interrupted'] is True

    rerun = _sweep(tmp_path, url)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-3000:]
    assert f'{len(kept)} finished trials; budget 5' in out and 'finished trials of 5' in out
    after = _study(url)
    trials = after.get_trials(deepcopy=False)
    assert not [t for t in trials if t.state.name == 'RUNNING']  # the dead trial did not stay RUNNING
    complete = _complete(after)
    assert len(complete) == 5  # the budget counts finished trials; the dead one does not count
    for number, record in kept.items():
        assert complete[number] == record  # nothing lost, nothing changed
    assert after.trials[stopped.number].state.name == 'FAIL'
    (retried,) = [t for t in trials if t.user_attrs.get('retry_of') == stopped.number]
    assert retried.state.name == 'COMPLETE' and retried.params == stopped.params
    assert retried.user_attrs['seed'] == 1 + stopped.number  # the seed of the trial it repeats
