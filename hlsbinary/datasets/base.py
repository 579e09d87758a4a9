"""The :class:`Dataset` every loader returns, the cache directory, and the offline error."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hlsbinary.errors import UserError


class DatasetUnavailable(UserError):
    """A data set cannot be loaded from the requested source; the message names the alternatives."""


def data_dir() -> Path:
    """Where downloads are cached: ``$HLSBINARY_DATA`` or ``~/.cache/hlsbinary/data``."""
    return Path(os.environ.get('HLSBINARY_DATA', Path.home() / '.cache' / 'hlsbinary' / 'data'))


@dataclass
class Dataset:
    """A train/test split.  ``X_*`` are float32 ``(n, features)``; ``y_*`` are int64 class indices."""

    name: str
    source: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    notes: dict = field(default_factory=dict)  # provenance and preprocessing (scaler mean/scale, split seed)
    # per-row arrays beside X (e.g. the jets' pT, eta, mass and constituents), by name, row-aligned with X_train/X_test
    extra_train: dict[str, np.ndarray] = field(default_factory=dict)
    extra_test: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        for part in ('train', 'test'):
            X, y = getattr(self, f'X_{part}'), getattr(self, f'y_{part}')
            if len(X) != len(y):
                raise ValueError(f'{self.name}: X_{part} has {len(X)} rows but y_{part} has {len(y)}')
            for key, values in getattr(self, f'extra_{part}').items():
                if len(values) != len(X):
                    raise ValueError(f'{self.name}: extra_{part}[{key!r}] has {len(values)} rows but X_{part} has {len(X)}')
            if X.ndim != 2 or X.shape[1] != len(self.feature_names):
                raise ValueError(f'{self.name}: X_{part} has shape {X.shape}; expected (n, {len(self.feature_names)})')
            if len(y) and (y.min() < 0 or y.max() >= len(self.class_names)):
                raise ValueError(f'{self.name}: y_{part} holds labels outside 0..{len(self.class_names) - 1}')

    def first_train_rows(self, n: int) -> Dataset:
        """The same data set with only the first ``n`` training rows (and their extra arrays); the test part unchanged."""
        return dataclasses.replace(
            self,
            X_train=self.X_train[:n],
            y_train=self.y_train[:n],
            extra_train={k: v[:n] for k, v in self.extra_train.items()},
        )

    def summary(self) -> str:
        counts = np.bincount(self.y_train, minlength=len(self.class_names))
        per_class = ', '.join(f'{c} {n}' for c, n in zip(self.class_names, counts, strict=True))
        return (
            f'{self.name} ({self.source}): {len(self.X_train):,} train / {len(self.X_test):,} test, '
            f'{len(self.feature_names)} features; train per class: {per_class}'
        )


def split(X: np.ndarray, y: np.ndarray, test_size: float = 0.2, seed: int = 42):
    """The standard 80/20 split (``train_test_split(..., random_state=42)``), stratified by class."""
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)


def read_table(path: str | Path, label_column: str | int | None) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Features and labels from a local ``.npz`` (arrays ``X`` and ``y``), ``.h5`` (datasets ``X`` and ``y``) or
    ``.csv`` (a header row; the label column by name or index, the last one by default)."""
    path = Path(path)
    if not path.exists():
        raise DatasetUnavailable(f'{path}: no such file')
    suffix = path.suffix.lower()
    if suffix == '.npz':
        data = np.load(path, allow_pickle=False)
        names = [str(n) for n in data['feature_names']] if 'feature_names' in data.files else None
        return data['X'], data['y'], names
    if suffix in ('.h5', '.hdf5'):
        import h5py

        with h5py.File(path, 'r') as f:
            names = (
                [n.decode() if isinstance(n, bytes) else str(n) for n in f['feature_names'][...]]
                if 'feature_names' in f
                else None
            )
            return f['X'][...], f['y'][...], names
    if suffix == '.csv':
        import pandas as pd

        frame = pd.read_csv(path)
        column = (
            frame.columns[-1]
            if label_column is None
            else (frame.columns[label_column] if isinstance(label_column, int) else label_column)
        )
        y = frame.pop(column).to_numpy()
        return frame.to_numpy(dtype=np.float32), y, [str(c) for c in frame.columns]
    raise DatasetUnavailable(f'{path}: local data must be .npz (X, y), .h5 (X, y) or .csv')


def as_labels(y: np.ndarray, class_names: list[str], name: str) -> np.ndarray:
    """Class indices from indices, class-name strings or one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.argmax(axis=1).astype(np.int64)
    if y.dtype.kind in 'OUS':
        lookup = {c: i for i, c in enumerate(class_names)}
        unknown = sorted({str(v) for v in y} - set(lookup))
        if unknown:
            raise ValueError(f'{name}: labels {unknown[:5]} are not among the classes {class_names}')
        return np.array([lookup[str(v)] for v in y], dtype=np.int64)
    return y.astype(np.int64)
