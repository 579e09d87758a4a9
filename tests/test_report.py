"""The report: files written, and the numbers in them equal to an independent computation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_emulator import random_network

from hlsbinary.estimator import estimate_network
from hlsbinary.ir import FixedType
from hlsbinary.report import ModelResult, _rejection_text, write_report


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
        + [f'roc_{c}_vs_rest.png' for c in 'abc']
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
    assert f'| {100 * good_row["auc"]["a"]:.1f} |' in md and '![roc_good](roc_good.png)' in md
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


def test_each_model_is_estimated_in_its_own_interface(tmp_path):
    """The shipped 1D CNN is meant for io_stream (its training config's IOType, recorded in its metrics), the
    MLPs for io_parallel: the report estimates each so, names the interface per model, and --io-type overrides."""
    pytest.importorskip('qkeras', reason='saved QKeras models need the qkeras extra')
    from pathlib import Path

    from hlsbinary.datasets import load_jets
    from hlsbinary.report import evaluate_model, recorded_io_type

    trained = Path(__file__).parents[1] / 'models' / 'trained'
    cnn, mlp = trained / 'jets_binary_conv1d.h5', trained / 'jets_binary_64_32_32.h5'
    assert recorded_io_type(cnn) == recorded_io_type(trained / 'jets_binary_conv1d.seed3.h5') == 'io_stream'
    assert recorded_io_type(mlp) == 'io_parallel' and recorded_io_type(tmp_path / 'none.h5') == 'io_parallel'
    dataset = load_jets()
    own = [evaluate_model(cnn, dataset), evaluate_model(mlp, dataset)]
    forced = evaluate_model(cnn, dataset, io_type='io_parallel')
    assert [r.io_type for r in own] == ['io_stream', 'io_parallel'] and forced.io_type == 'io_parallel'
    assert own[0].estimate.II == 30 and forced.estimate.II == 1 and own[0].estimate.LUT < forced.estimate.LUT / 5
    np.testing.assert_array_equal(own[0].scores, forced.scores)  # the interface changes the estimate only
    out = write_report([[r] for r in own], tmp_path / 'r')
    md = (out / 'report.md').read_text()
    assert '| model | interface | LUT |' in md and '| jets_binary_conv1d | io_stream |' in md
    assert '| jets_binary_64_32_32 | io_parallel |' in md
    data = json.loads((out / 'report.json').read_text())
    assert [m['io_type'] for m in data['models']] == ['io_stream', 'io_parallel']


def test_rejection_at_fixed_signal_efficiency_by_hand():
    """1/eps_B at the loosest reachable cut keeping >= eps_S of the signal; Poisson error; lower limits; a discrete
    score cannot be cut between its values, so the efficiency reached is reported."""
    from hlsbinary.report import rejection_at

    signal = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.85, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01, 0.02, 0.03])
    r = rejection_at(signal, score, 0.5)  # 2 of 4 signal: cut at 0.8, one background (0.85) passes
    assert r['signal_efficiency'] == 0.5 and r['background'] == 10 and r['background_passing'] == 1
    assert r['value'] == 10.0 and r['error'] == pytest.approx(10.0) and r['few']
    r = rejection_at(signal, score, 0.3)  # 1.2 of 4: two signal needed, the same cut
    assert r['value'] == 10.0
    r = rejection_at(signal, score, 0.25)  # one signal at 0.9: no background passes
    assert r['value'] is None and r['lower_limit'] == 10.0
    # discrete scores: 3 of 4 signal and 1 of 10 background at 1, the rest at 0; 50 % is reached only at 75 %
    discrete = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    r = rejection_at(signal, discrete, 0.5)
    assert r['signal_efficiency'] == 0.75 and r['value'] == 10.0
    # many events: the Poisson error is R / sqrt(n passing)
    rng = np.random.default_rng(5)
    sig = np.r_[np.ones(2000, bool), np.zeros(8000, bool)]
    sc = np.r_[rng.normal(1, 1, 2000), rng.normal(0, 1, 8000)]
    r = rejection_at(sig, sc, 0.5)
    cut = np.sort(sc[sig])[::-1][999]  # the 1000th highest signal score
    n = int(np.sum(sc[~sig] >= cut))
    assert r['background_passing'] == n and r['value'] == pytest.approx(8000 / n) and not r['few']
    assert r['error'] == pytest.approx(8000 / n / np.sqrt(n))


def test_seeds_give_mean_and_standard_deviation(tmp_path, rng):
    from sklearn.metrics import roc_auc_score

    classes = ['a', 'b', 'c']
    y, _ = synthetic(rng)
    seeds = []
    for seed, skill in ((1, 1.0), (2, 1.3), (3, 0.8)):
        _, s = synthetic(np.random.default_rng(seed), skill=0)
        seeds.append(ModelResult('net', y, s + skill * np.eye(3)[y], classes, seed=seed))
    out = write_report([seeds], tmp_path / 'r', meta=None)
    row = json.loads((out / 'report.json').read_text())['models'][0]
    acc = [np.mean(r.scores.argmax(1) == y) for r in seeds]
    auc_b = [roc_auc_score(y == 1, r.scores[:, 1]) for r in seeds]
    assert row['n_seeds'] == 3 and row['seeds'] == [1, 2, 3]
    assert row['stats']['accuracy']['mean'] == pytest.approx(np.mean(acc))
    assert row['stats']['accuracy']['std'] == pytest.approx(np.std(acc, ddof=1))
    assert row['stats']['auc']['b']['std'] == pytest.approx(np.std(auc_b, ddof=1))
    md = (out / 'report.md').read_text()
    assert f'{100 * np.mean(acc):.1f} ± {100 * np.std(acc, ddof=1):.1f}' in md
    one = write_report([seeds[0]], tmp_path / 'one')
    assert json.loads((one / 'report.json').read_text())['models'][0]['stats']['accuracy']['std'] is None


def test_roc_curves_are_steps_through_reachable_points_only(rng):
    """A binary network's scores take few values: the curve is drawn as steps between its real operating points
    (no straight segment inventing cuts), and the points drawn are those recorded in the JSON."""
    from hlsbinary.report import _roc_overlay, summarise

    classes = ['a', 'b', 'c']
    y = rng.integers(0, 3, 4000)
    coarse = np.round(rng.normal(size=(4000, 3)) + 1.5 * np.eye(3)[y])  # a handful of score values per class
    fine = rng.normal(size=(4000, 3)) + 1.5 * np.eye(3)[y]
    results = [ModelResult('coarse', y, coarse, classes), ModelResult('fine', y, fine, classes)]
    rows = [summarise([r]) for r in results]
    fig, drawn = _roc_overlay(rows, results, 'a', 'test data')
    lines = fig.axes[0].get_lines()
    assert [line.get_drawstyle() for line in lines] == ['steps-pre', 'steps-pre']
    for line, result in zip(lines, results, strict=True):
        fpr, tpr, _ = result.roc()['a']
        reachable = {(t, 1 / f) for f, t in zip(fpr, tpr, strict=True) if f > 0}
        xy = line.get_xydata()
        assert all((x, v) in reachable for x, v in xy)  # every vertex is a real cut
        assert np.array_equal(xy[:, 0], drawn[result.name]['signal_efficiency'])
    assert len(lines[0].get_xydata()) < 15 < len(lines[1].get_xydata())
    assert 'test data' in fig.axes[0].get_title()
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_tradeoff_labels_stay_in_the_frame_and_apart(rng):
    """Eight models with nearly the same AUC and latency: every name is readable (legend entries inside the
    figure, not overlapping each other or the axes), and the models without an estimate are named."""
    from hlsbinary.report import _tradeoff

    rows = [
        {
            'model': f'jets_binary_model_with_a_long_name_{i}',
            'n_seeds': 3,
            'estimate': {'latency_ns': 40.0 + (i % 2), 'LUT': 12_000 + i},
            'stats': {'mean_auc': {'mean': 0.9 + 0.0001 * i, 'std': 0.002}},
        }
        for i in range(8)
    ]
    fig, points = _tradeoff(rows, 'latency_ns', 'estimated latency (ns)', 'test data', ['float_net'])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    (legend,) = fig.legends
    boxes = [t.get_window_extent(renderer) for t in legend.get_texts()]
    assert len(boxes) == 8
    for box in [*boxes, legend.get_window_extent(renderer)]:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1 :])
    assert not legend.get_window_extent(renderer).overlaps(fig.axes[0].get_window_extent(renderer))
    notes = [t.get_text() for t in fig.texts]
    assert any('float_net' in t for t in notes)
    xlabel = fig.axes[0].xaxis.label.get_window_extent(renderer)
    assert not any(t.get_window_extent(renderer).overlaps(xlabel) for t in fig.texts)
    assert 'test data' in fig.axes[0].get_title() and len(points) == 8
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_train_seeds_and_the_report_gathers_them(tmp_path):
    """`hlsbinary train --seeds 1,2` writes the model and its .seed2 sibling; `hlsbinary report` on the model (and
    on a glob that matches both) reports one model with two seeds, and states the data, target and versions."""
    pytest.importorskip('qkeras', reason='training needs the qkeras extra')
    import subprocess
    import sys

    (tmp_path / 't.yml').write_text(
        'Model: jets_binary_64_32_32\nData: jets\nOutput: m.h5\nEpochs: 1\nSeed: 1\nIOType: io_stream\n'
    )

    def cli(*argv):
        return subprocess.run(
            [sys.executable, '-m', 'hlsbinary.cli', *argv], cwd=tmp_path, capture_output=True, text=True, check=True
        )

    cli('train', '-c', 't.yml', '--seeds', '1,2')
    assert {p.name for p in tmp_path.glob('m*')} == {'m.h5', 'm.json', 'm.seed2.h5', 'm.seed2.json'}
    assert json.loads((tmp_path / 'm.seed2.json').read_text())['seed'] == 2
    assert json.loads((tmp_path / 'm.json').read_text())['io_type'] == 'io_stream'  # the interface it is meant for
    cli('report', 'm.h5', 'm.seed2.h5', '--data', 'jets', '--out', 'rep')
    data = json.loads((tmp_path / 'rep' / 'report.json').read_text())
    (row,) = data['models']
    assert row['model'] == 'm' and row['seeds'] == [1, 2] and row['stats']['accuracy']['std'] is not None
    assert data['meta']['data'] == 'bundled Pythia 8 particle-level proxy' and data['meta']['test_events'] == 20000
    assert data['meta']['versions']['hls4ml'] and data['meta']['part'] and data['meta']['io_type'] == 'io_stream'
    assert row['io_type'] == 'io_stream'
    md = (tmp_path / 'rep' / 'report.md').read_text()
    assert 'bundled Pythia 8 particle-level proxy' in md and 'one class against the rest' in md
    for c in 'gqtWZ':
        assert c in data['roc_curves_drawn'] and (tmp_path / 'rep' / f'roc_{c}_vs_rest.png').exists()
        assert _rejection_cell(row, c, '50') in md


def _rejection_cell(row, cls, eff):
    return _rejection_text(row, cls, eff)
