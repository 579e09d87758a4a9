"""A tiny sweep end to end through the real command line (real Optuna and SQLite, real QKeras training, the front
converted with the plugin and compiled with g++), and the trial's scoring on Keras's own validation holdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('qkeras', reason='sweep trials train QKeras models (qkeras extra)')
optuna = pytest.importorskip('optuna', reason='the sweep needs optuna (a core dependency)')

TINY = """study: {name: tiny, heartbeat: 5}
data: {name: jets, max_train_events: 2000}
space:
  hidden_layers: {low: 1, high: 2}
  neurons: {low: 8, high: 24, log: true}
  weights: [binary, ternary]
train: {epochs: 1, batch_size: 256, patience: 1}
budget: {trials: 2}
sampler: {seed: 7}
export: {csim: true, csim_events: 300, max_members: 2}
output: results
"""


def run_cli(cwd: Path, argv: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def load(url: str, name: str = 'tiny'):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name=name, storage=url)


@pytest.mark.csim
def test_tiny_sweep_end_to_end(tmp_path):
    (tmp_path / 'tiny.yml').write_text(TINY)
    result = run_cli(tmp_path, ['sweep', '-c', 'tiny.yml'])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "study 'tiny'" in result.stdout and 'results written to results/' in result.stdout

    # every figure recorded on every trial, the objectives and constraints Optuna saw among them
    study = load(f'sqlite:///{tmp_path / "results.db"}')
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ['COMPLETE', 'COMPLETE']
    for t in trials:
        a = t.user_attrs
        assert a['seed'] == 1 + t.number  # train.seed + trial number: a trial is reproducible on its own
        assert t.values == [a['val_accuracy'], a['LUT'], a['latency_ns']]
        assert a['DSP'] == 0 and a['FF'] > 0 and 0 < a['lut_percent'] < 20 and a['latency_cycles'] >= 1
        assert set(t.constraints) == {'lut_percent', 'latency_ns', 'dsp'}
        assert t.constraints['lut_percent'] == pytest.approx(a['lut_percent'] - 20.0)
        assert set(a['val_auc']) == {'g', 'q', 't', 'W', 'Z'} and a['val_mean_auc'] == pytest.approx(
            np.mean(list(a['val_auc'].values()))
        )
        assert a['weights'].count(',') == len(a['architecture'].split('x')) - 2  # one kind per layer

    # the published results: table, plots, every front member retrained, saved, tested and == in C simulation
    out = tmp_path / 'results'
    assert (out / '.hlsbinary-manifest.json').exists()  # published through hlsbinary.files
    for name in ('pareto.csv', 'pareto.json', 'trials.csv', 'summary.md', 'accuracy_vs_lut.png', 'accuracy_vs_latency.png'):
        assert (out / name).stat().st_size > 0, name
    assert (out / 'accuracy_vs_lut.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    front = json.loads((out / 'pareto.json').read_text())['front']
    assert front and len((out / 'pareto.csv').read_text().splitlines()) == 1 + len(front)
    assert len((out / 'trials.csv').read_text().splitlines()) == 3
    from hlsbinary.datasets import load_jets

    jets = load_jets()
    X_val, y_val = jets.X_train[1600:2000], jets.y_train[1600:2000]  # the last 20 % of the 2,000 training jets
    import hlsbinary

    for row in front:
        trial = study.trials[row['trial']]
        assert row['bit_exact'] is True and row['csim_agreement'] == 1.0 and row['csim_events'] == 300
        assert row['reproduced'] is True  # retraining with the trial's seed gave the trial's network again
        assert 0.2 < row['test_accuracy'] < 1 and 0.5 < row['test_mean_auc'] < 1
        assert (out / row['hls_project'] / 'firmware' / 'myproject.cpp').exists()
        assert not list((out / row['hls_project']).rglob('*.so'))  # built in staging; rebuild after publication
        assert str(out) in (out / row['hls_project'] / 'hls4ml_config.yml').read_text()  # names its final folder
        # independently: the saved model's emulated firmware scores the recorded validation accuracy
        y = hlsbinary.emulate(str(out / row['model']), X_val, input_precision=trial.user_attrs['input_precision'])
        assert np.mean(y.argmax(axis=1) == y_val) == trial.user_attrs['val_accuracy']
    assert '==' in result.stdout  # the C simulation column of the printed table

    # --summary reads the study back; the same command again finds the budget spent and only re-publishes
    summary = run_cli(
        tmp_path, ['sweep', '--summary', '--storage', f'sqlite:///{tmp_path / "results.db"}', '--study-name', 'tiny']
    )
    assert summary.returncode == 0 and 'study tiny: 2 complete' in summary.stdout and '==' in summary.stdout
    again = run_cli(tmp_path, ['sweep', '-c', 'tiny.yml', '--set', 'export.csim=false'])
    assert again.returncode == 0, again.stderr[-2000:]
    assert '2 finished trials of 2' in again.stdout and len(load(f'sqlite:///{tmp_path / "results.db"}').trials) == 2
    # a run with other search settings is refused: its trials would not be comparable
    other = run_cli(tmp_path, ['sweep', '-c', 'tiny.yml', '--set', 'train.epochs=2'])
    assert (
        other.returncode == 2
        and "the study 'tiny' was made with other settings (train.epochs: the study has 1, this run asks for 2)"
        in other.stderr
    )


def test_trials_are_scored_on_the_keras_holdout(tmp_path):
    """The validation split the objective scores is exactly the tail Keras held out for early stopping."""
    from hlsbinary.sweep.objective import firmware_scores, load_data, train_candidate
    from hlsbinary.sweep.space import Candidate
    from hlsbinary.zoo import Spec

    data = load_data({'name': 'jets', 'source': 'bundled', 'max_train_events': 1003, 'validation_split': 0.25})
    assert data.split_at == 752 and len(data.X_val) == 251  # floor(1003 * 0.75)
    np.testing.assert_array_equal(data.X_val, data.dataset.X_train[752:1003])
    candidate = Candidate(
        Spec(16, (12, 5), 'ternary', 'ternary_tanh'), 'fixed<16,6>', epochs=1, batch_size=64, learning_rate=1e-3
    )
    trained = train_candidate(candidate, data, seed=3, patience=1)
    loss_on_tail = trained.model.evaluate(data.X_val, data.y_val, verbose=0, batch_size=64)[0]
    loss_elsewhere = trained.model.evaluate(data.dataset.X_train[500:751], data.dataset.y_train[500:751], verbose=0)[0]
    assert trained.history['val_loss'][-1] == pytest.approx(loss_on_tail, rel=1e-5)
    assert abs(trained.history['val_loss'][-1] - loss_elsewhere) > 1e-4
    again = train_candidate(candidate, data, seed=3, patience=1)
    scores = firmware_scores(trained.network, data.X_val, data.y_val, data.class_names)
    assert firmware_scores(again.network, data.X_val, data.y_val, data.class_names) == scores  # seeded: identical
