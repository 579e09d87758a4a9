"""The report: files written, and the numbers in them equal to an independent computation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_emulator import random_network

from hlsbinary.estimator import estimate_network
from hlsbinary.ir import FixedType
from hlsbinary.report import ModelResult, write_report


def synthetic(rng, n=3000, skill=1.0):
    y = rng.integers(0, 3, n)
    scores = rng.normal(size=(n, 3))
    scores[np.arange(n), y] += skill
    return y, scores


def test_report_files_and_numbers(tmp_path, rng):
    from sklearn.metrics import roc_auc_score

    y, good = synthetic(rng, skill=2.0)
    _, poor = synthetic(rng, skill=0.3)
    poor_y = y  # same labels, weaker scores
    classes = ['a', 'b', 'c']
    est = estimate_network(random_network(rng, [16, 32, 3], FixedType(16, 6, True), 'bb'))
    results = [
        ModelResult('good', y, good, classes, est, 'binary'),
        ModelResult('poor', poor_y, poor + np.eye(3)[y] * 0.3, classes, est, 'binary'),
    ]
    out = write_report(results, tmp_path / 'report', title='test report')
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ['report.md', 'report.html', 'report.json', 'roc_good.png', 'roc_poor.png', 'auc_vs_latency.png', 'auc_vs_lut.png']
        + ['.hlsbinary-manifest.json']
    )
    for png in out.glob('*.png'):
        assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and png.stat().st_size > 5000
    data = json.loads((out / 'report.json').read_text())
    good_row = data['models'][0]
    for k, c in enumerate(classes):
        assert good_row['auc'][c] == pytest.approx(roc_auc_score(y == k, good[:, k]), abs=1e-12)
    assert good_row['accuracy'] == pytest.approx(np.mean(good.argmax(1) == y))
    assert good_row['mean_auc'] > data['models'][1]['mean_auc']
    assert good_row['estimate']['LUT'] == est.LUT and good_row['estimate']['DSP'] == 0
    md = (out / 'report.md').read_text()
    assert f'{100 * good_row["auc"]["a"]:.1f}%' in md and '![roc_good](roc_good.png)' in md
    html = (out / 'report.html').read_text()
    assert '<table>' in html and 'src="auc_vs_lut.png"' in html
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.report-')]


def test_report_refuses_mismatched_inputs(tmp_path, rng):
    y, s = synthetic(rng)
    with pytest.raises(ValueError, match='3 output columns for 2 classes'):
        ModelResult('m', y, s, ['a', 'b'])
    with pytest.raises(ValueError, match='same classes'):
        write_report([ModelResult('m', y, s, ['a', 'b', 'c']), ModelResult('n', y, s, ['x', 'y', 'z'])], tmp_path / 'r')
    assert not (tmp_path / 'r').exists()


def test_report_cli_emulates_the_firmware(tmp_path):
    """`hlsbinary report` on a binary MNIST model: its AUCs are those of the emulated firmware outputs."""
    pytest.importorskip('qkeras', reason='saved QKeras models need the qkeras extra')
    import subprocess
    import sys

    from sklearn.metrics import roc_auc_score

    import hlsbinary
    from hlsbinary.datasets import load_mnist
    from hlsbinary.zoo import build_all

    (path,) = build_all(tmp_path / 'models', ['mnist_binary_128_128_128'])
    subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'report', str(path), '--data', 'mnist', '--out', str(tmp_path / 'rep')],
        check=True,
        capture_output=True,
    )
    data = json.loads((tmp_path / 'rep' / 'report.json').read_text())
    d = load_mnist()
    from hlsbinary.report import softmax

    scores = softmax(hlsbinary.emulate(path, d.X_test, input_precision='ufixed<8,0>'))
    row = data['models'][0]
    assert row['auc']['3'] == pytest.approx(roc_auc_score(d.y_test == 3, scores[:, 3]), abs=1e-12)
    assert row['estimate']['DSP'] == 0 and (tmp_path / 'rep' / 'auc_vs_lut.png').exists()


def test_report_of_the_shipped_cnns_in_both_interfaces(tmp_path):
    """The committed MNIST CNNs are reported from their emulated firmware, estimated for io_parallel and io_stream:
    the same scores, and the interface changes only the estimate (a line buffer: far fewer LUTs, an II of one
    image's pixels)."""
    pytest.importorskip('qkeras', reason='saved QKeras models need the qkeras extra')
    from pathlib import Path

    from hlsbinary.datasets import load_mnist
    from hlsbinary.report import evaluate_model

    dataset = load_mnist()
    path = Path(__file__).parents[1] / 'models' / 'trained' / 'mnist_binary_cnn.h5'
    parallel = evaluate_model(path, dataset, io_type='io_parallel')
    stream = evaluate_model(path, dataset, io_type='io_stream')
    np.testing.assert_array_equal(parallel.scores, stream.scores)
    assert parallel.accuracy > 0.85
    assert parallel.estimate.II == 1 and stream.estimate.II == 28 * 28
    assert stream.estimate.LUT < parallel.estimate.LUT / 5 and stream.estimate.DSP == parallel.estimate.DSP == 0
    md = write_report([parallel], tmp_path / 'r').joinpath('report.md').read_text()
    assert '| II (cycles) |' in md
