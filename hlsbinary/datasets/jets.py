"""The hls4ml LHC jet data set (OpenML 42468, ``hls4ml_lhc_jets_hlf``): 16 high-level features, 5 classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hlsbinary.datasets.base import Dataset, DatasetUnavailable, as_labels, data_dir, read_table, split

OPENML_ID = 42468
JET_FEATURES = [
    'j_zlogz', 'j_c1_b0_mmdt', 'j_c1_b1_mmdt', 'j_c1_b2_mmdt', 'j_c2_b1_mmdt', 'j_c2_b2_mmdt', 'j_d2_b1_mmdt',
    'j_d2_b2_mmdt', 'j_d2_a1_b1_mmdt', 'j_d2_a1_b2_mmdt', 'j_m2_b1_mmdt', 'j_m2_b2_mmdt', 'j_n2_b1_mmdt',
    'j_n2_b2_mmdt', 'j_mass_mmdt', 'j_multiplicity',
]  # fmt: skip
JET_CLASSES = ['g', 'q', 't', 'W', 'Z']  # the index order of hls4ml's tutorial (LabelEncoder on g, q, t, w, z)
KINEMATICS = ['j_pt', 'j_eta', 'j_mass']  # per jet, beside the features in the bundled sample (GeV, -, GeV)
CONSTITUENT_FEATURES = ['pt_rel', 'deta', 'dphi']  # per constituent: pT / pT_jet, eta - eta_jet, phi - phi_jet
BUNDLED = Path(__file__).parent / 'data' / 'jets_pythia8.npz'
LOCAL = "source='<path>' to a local .npz/.h5 (X, y) or .csv (the 16 features and a class column) copy of OpenML 42468"


def _normalise_classes(y) -> np.ndarray:
    """Class indices from indices, one-hot rows, or class names in any case (g, q, t, w/W, z/Z)."""
    y = np.asarray(y)
    if y.dtype.kind in 'iub' or y.ndim == 2:
        return as_labels(y, JET_CLASSES, 'jets')
    names = {c.lower(): c for c in JET_CLASSES}
    return as_labels(np.array([names.get(str(v).lower(), str(v)) for v in y]), JET_CLASSES, 'jets')


def _from_openml():
    from sklearn.datasets import fetch_openml

    try:
        data = fetch_openml(data_id=OPENML_ID, data_home=str(data_dir() / 'openml'), as_frame=True, parser='auto')
    except Exception as err:  # URLError, HTTPError, socket errors, OpenML server errors: all mean "not available"
        raise DatasetUnavailable(
            f'the jet data set could not be fetched from OpenML (id {OPENML_ID}) and is not cached in '
            f"{data_dir() / 'openml'}: {err}. Alternatives: {LOCAL}; or the bundled sample (source='bundled')."
        ) from err
    X = data.data[JET_FEATURES].to_numpy(dtype=np.float32)
    return X, _normalise_classes(data.target), 'openml'


def _extras(path: Path) -> dict[str, np.ndarray]:
    """The per-jet arrays a generated ``.npz`` holds beside ``X``: ``j_pt``, ``j_eta``, ``j_mass`` (float32) and
    ``constituents`` (float16 ``(n, 30, 3)``: ``pt_rel``, ``deta``, ``dphi`` of the leading constituents)."""
    with np.load(path) as data:
        if 'kinematics' not in data.files:
            return {}
        names = [str(n) for n in data['kinematic_names']] if 'kinematic_names' in data.files else KINEMATICS
        extras = {name: data['kinematics'][:, i] for i, name in enumerate(names)}
        if 'constituents' in data.files:
            extras['constituents'] = data['constituents']
        return extras


def _from_bundle():
    if not BUNDLED.exists():
        raise DatasetUnavailable(
            f'the bundled Pythia 8 jet sample {BUNDLED} is missing from this installation (reinstall hlsbinary, or make '
            'it with `hlsbinary data generate jets`). '
            f"Alternatives: source='openml' (needs the network once, then cached), or {LOCAL}."
        )
    with np.load(BUNDLED) as data:
        X, y = data['X'].astype(np.float32), data['y'].astype(np.int64)
    return X, y, 'bundled', _extras(BUNDLED)


def load_jets(source: str = 'bundled', scale: bool = True, test_size: float = 0.2, seed: int = 42) -> Dataset:
    """The jet data in the standard recipe: 80/20 split with ``random_state=42`` (stratified), and a
    ``StandardScaler`` fitted on the training part applied to both parts (``scale=False`` keeps raw features;
    the fitted mean and scale are in ``notes`` either way, for the firmware's input precision).

    ``source``: ``'bundled'`` (the shipped sample), ``'openml'`` (OpenML 42468, cached), or a path.  For the
    bundled sample (and any ``.npz`` the generator wrote) ``extra_train`` and ``extra_test`` hold, row-aligned with
    ``X_train`` and ``X_test`` and never scaled: ``j_pt`` [GeV], ``j_eta``, ``j_mass`` (ungroomed) [GeV] and
    ``constituents`` ``(n, 30, 3)`` float16 (``pT / pT_jet``, ``eta - eta_jet``, ``phi - phi_jet`` of the 30 leading
    constituents by ``pT``, zero-padded).
    """
    extras: dict[str, np.ndarray] = {}
    if source == 'bundled':
        X, y, origin, extras = _from_bundle()
    elif source == 'openml':
        X, y, origin = _from_openml()
    else:
        X, y, names = read_table(source, label_column=None)
        if names is not None and names != JET_FEATURES and set(JET_FEATURES) <= set(names):
            X = X[:, [names.index(n) for n in JET_FEATURES]]
        if X.shape[1] != len(JET_FEATURES):
            raise DatasetUnavailable(
                f'{source}: {X.shape[1]} feature columns; the jet data has {len(JET_FEATURES)}: {JET_FEATURES}'
            )
        X, y, origin = X.astype(np.float32), _normalise_classes(y), str(source)
        if str(source).lower().endswith('.npz'):
            extras = _extras(Path(source))
    # split row indices, so the extra arrays follow X (the same partition as splitting X itself)
    i_train, i_test, y_train, y_test = split(np.arange(len(y)), y, test_size, seed)
    X_train, X_test = X[i_train], X[i_test]
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    if scale:
        X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    notes = {
        'split_seed': seed,
        'test_size': test_size,
        'scaled': scale,
        'scaler_mean': mean.tolist(),
        'scaler_scale': std.tolist(),
    }
    return Dataset(
        'jets',
        origin,
        X_train.astype(np.float32),
        y_train,
        X_test.astype(np.float32),
        y_test,
        list(JET_FEATURES),
        list(JET_CLASSES),
        notes,
        extra_train={k: v[i_train] for k, v in extras.items()},
        extra_test={k: v[i_test] for k, v in extras.items()},
    )


def load_jet_constituents(source: str = 'bundled', test_size: float = 0.2, seed: int = 42) -> Dataset:
    """The 30 leading constituents of each jet as flat rows of 90 numbers (constituent-major: ``pt_rel``,
    ``deta``, ``dphi`` of the leading constituent, then the next; a 1D convolution reshapes them to ``(30, 3)``),
    same jets and split as :func:`load_jets`: see :func:`constituent_inputs`."""
    return constituent_inputs(load_jets(source, scale=False, test_size=test_size, seed=seed))


def constituent_inputs(jets: Dataset) -> Dataset:
    """The jets of ``jets`` (a :func:`load_jets` data set) with their constituents as the inputs, same rows.

    Each of the three quantities is divided by its standard deviation over the real constituents of the training
    part (no shift: zero padding stays zero); the factors are in ``notes``.  Only samples with constituents (the
    bundled one, or a generator ``.npz``) have them."""
    if 'constituents' not in jets.extra_train:
        raise DatasetUnavailable(
            f'{jets.source}: this jet sample has no constituents (the OpenML set has only the 16 features); use the '
            "bundled sample (source='bundled') or one made by `hlsbinary data generate jets`"
        )
    train, test = (jets.extra_train['constituents'].astype(np.float32), jets.extra_test['constituents'].astype(np.float32))
    real = train[:, :, 0] > 0
    scale = train[real].std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    names = [f'c{i}_{q}' for i in range(train.shape[1]) for q in CONSTITUENT_FEATURES]
    return Dataset(
        'jet_constituents',
        jets.source,
        (train / scale).reshape(len(train), -1),
        jets.y_train,
        (test / scale).reshape(len(test), -1),
        jets.y_test,
        names,
        list(JET_CLASSES),
        {**{k: v for k, v in jets.notes.items() if not k.startswith('scaler')}, 'constituent_scale': scale.tolist()},
        extra_train={k: v for k, v in jets.extra_train.items() if k != 'constituents'},
        extra_test={k: v for k, v in jets.extra_test.items() if k != 'constituents'},
    )


def inputs_for(dataset: Dataset, n_inputs: int) -> Dataset:
    """``dataset`` with the inputs a model of ``n_inputs`` inputs reads: the jets' 16 features, or, for a model
    over constituents, the same jets' constituents (:func:`constituent_inputs`), so a report can put feature and
    constituent taggers on one ROC plot.  Anything else is returned unchanged (the caller names the mismatch)."""
    if dataset.X_test.shape[1] == n_inputs or dataset.name != 'jets' or 'constituents' not in dataset.extra_test:
        return dataset
    constituents = dataset.extra_test['constituents']
    if n_inputs != constituents.shape[1] * constituents.shape[2]:
        return dataset
    return constituent_inputs(dataset)
