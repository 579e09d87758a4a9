"""Data loaders: the bundled MNIST subset, local files, and clear errors offline (no network is used here)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from hlsbinary.datasets import JET_CLASSES, JET_FEATURES, DatasetUnavailable, load_jets, load_mnist


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network and an empty cache, whatever the machine."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError('network disabled by the test')

    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket, 'getaddrinfo', refuse)
    monkeypatch.setenv('HLSBINARY_DATA', str(tmp_path / 'cache'))


def test_bundled_mnist_is_the_real_subset_exact_in_ufixed_8_0():
    d = load_mnist()
    assert d.X_train.shape == (4000, 784) and d.X_test.shape == (1000, 784)
    assert np.bincount(d.y_train).tolist() == [400] * 10 and np.bincount(d.y_test).tolist() == [100] * 10
    assert d.X_train.min() == 0 and d.X_train.max() <= 255 / 256
    np.testing.assert_array_equal(d.X_train * 256, np.round(d.X_train * 256))  # every pixel exact in ap_ufixed<8,0>
    assert d.class_names == [str(i) for i in range(10)]
    # deterministic split
    np.testing.assert_array_equal(load_mnist().y_test, d.y_test)


def test_offline_sources_fail_with_alternatives(offline):
    with pytest.raises(DatasetUnavailable, match="source='<path>'"):
        load_jets('openml')
    with pytest.raises(DatasetUnavailable, match="source='bundled'"):
        load_mnist('keras')
    with pytest.raises(DatasetUnavailable, match='Alternatives'):
        load_mnist('openml')


def test_jets_from_local_files_standard_recipe(tmp_path, rng):
    n = 1000
    X = rng.normal(loc=3.0, scale=2.0, size=(n, 16)).astype(np.float32)
    labels = np.array(['g', 'q', 't', 'w', 'z'])[rng.integers(0, 5, n)]
    np.savez(tmp_path / 'jets.npz', X=X, y=labels)
    d = load_jets(str(tmp_path / 'jets.npz'))
    assert d.feature_names == JET_FEATURES and d.class_names == JET_CLASSES
    assert len(d.X_train) == 800 and len(d.X_test) == 200
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-5)  # scaler fitted on the training part
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-4)
    assert set(d.y_train) <= set(range(5))
    # a CSV with the columns shuffled and the class column named: same numbers
    import pandas as pd

    frame = pd.DataFrame(X, columns=JET_FEATURES)[JET_FEATURES[::-1]]
    frame['class'] = labels
    frame.to_csv(tmp_path / 'jets.csv', index=False)
    c = load_jets(str(tmp_path / 'jets.csv'))
    np.testing.assert_allclose(c.X_test, d.X_test, rtol=1e-6)
    np.testing.assert_array_equal(c.y_test, d.y_test)
    # integer class indices, as the generator writes them
    index = np.array([JET_CLASSES.index({'w': 'W', 'z': 'Z'}.get(v, v)) for v in labels])
    np.savez(tmp_path / 'ints.npz', X=X, y=index.astype(np.int8))
    np.testing.assert_array_equal(load_jets(str(tmp_path / 'ints.npz')).y_test, d.y_test)


def test_bad_local_files_are_named(tmp_path):
    with pytest.raises(DatasetUnavailable, match='no such file'):
        load_jets(str(tmp_path / 'missing.npz'))
    np.savez(tmp_path / 'narrow.npz', X=np.zeros((10, 3)), y=np.zeros(10))
    with pytest.raises(DatasetUnavailable, match='3 feature columns'):
        load_jets(str(tmp_path / 'narrow.npz'))


def test_data_cli_lists_and_fetches():
    out = subprocess.run([sys.executable, '-m', 'hlsbinary.cli', 'data', 'list'], capture_output=True, text=True, check=True)
    assert 'jets' in out.stdout and 'mnist' in out.stdout and 'cache:' in out.stdout
    out = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'data', 'fetch', 'mnist'], capture_output=True, text=True, check=True
    )
    assert '4,000 train / 1,000 test' in out.stdout
    out = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'data', 'fetch', 'jets'], capture_output=True, text=True, check=True
    )
    assert '80,000 train / 20,000 test' in out.stdout
    bad = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'data', 'fetch', 'jets', '--source', 'nowhere.npz'],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and 'nowhere.npz: no such file' in bad.stderr


def test_jet_extras_follow_their_rows_through_the_split(tmp_path, rng):
    """A generated .npz's per-jet arrays land in extra_train/extra_test beside the very rows of X they belong to."""
    n = 500
    X = rng.normal(size=(n, 16)).astype(np.float32)
    y = np.repeat(np.arange(5), n // 5).astype(np.int8)
    kinematics = np.stack([np.arange(n), np.zeros(n), np.zeros(n)], axis=1).astype(np.float32)  # j_pt = row number
    X[:, 0] = kinematics[:, 0]
    constituents = np.zeros((n, 30, 3), dtype=np.float16)
    constituents[:, 0, 0] = np.arange(n) / n
    np.savez(tmp_path / 'gen.npz', X=X, y=y, kinematics=kinematics, constituents=constituents)
    d = load_jets(str(tmp_path / 'gen.npz'), scale=False)
    assert sorted(d.extra_train) == ['constituents', 'j_eta', 'j_mass', 'j_pt']
    for part in ('train', 'test'):
        X_part, extra = getattr(d, f'X_{part}'), getattr(d, f'extra_{part}')
        np.testing.assert_array_equal(extra['j_pt'], X_part[:, 0])
        np.testing.assert_allclose(extra['constituents'][:, 0, 0], X_part[:, 0] / n, rtol=1e-3)
    # files without them (and the other loaders) carry no extras
    np.savez(tmp_path / 'plain.npz', X=X, y=y)
    assert load_jets(str(tmp_path / 'plain.npz')).extra_test == {}
    assert load_mnist().extra_train == {}


def test_dataset_refuses_misaligned_extras():
    from hlsbinary.datasets import Dataset

    X, y = np.zeros((4, 2), dtype=np.float32), np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match=r"extra_test\['j_pt'\] has 3 rows but X_test has 4"):
        Dataset('toy', 'test', X, y, X, y, ['a', 'b'], ['c'], extra_test={'j_pt': np.zeros(3)})
