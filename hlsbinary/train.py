"""``hlsbinary train -c configs/train_<name>.yml``: the binary-network training recipe, reproducibly.

Recipe (Courbariaux et al., arXiv:1602.02830; Di Guglielmo et al., arXiv:2003.06308): straight-through
estimators in the quantizers (QKeras's ``binary``/``ternary`` kernels, ``binary_tanh``/``ternary_tanh``),
BatchNormalization after every layer, Adam, a cosine learning-rate decay, early stopping on the validation loss
(best weights restored), seeds fixed for Python, NumPy and TensorFlow with deterministic ops.  The model is saved
as ``.h5`` with a ``.json`` of its metrics beside it; both are written to temporary names and moved into place.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import yaml

from hlsbinary.files import staged_file

TRAIN_KEYS = {
    'Model': 'zoo architecture name (hlsbinary models list)',
    'Data': 'jets or mnist',
    'Source': 'data source: bundled (default), openml, keras, or a path',
    'Output': 'where the trained .h5 goes (metrics: same name, .json)',
    'Seed': 'random seed (default 1)',
    'Epochs': 'maximum epochs (default 100)',
    'BatchSize': 'batch size (default 256)',
    'LearningRate': 'initial Adam learning rate (default 1e-3)',
    'Patience': 'early-stopping patience in epochs (default 10)',
    'ValidationSplit': 'share of the training part held out for early stopping (default 0.2)',
    'InputPrecision': 'firmware input precision for the emulated metrics (default per data set)',
}


def load_train_config(path: str | Path) -> dict:
    """Read and validate a training config: unknown keys and missing required ones are named."""
    from hlsbinary.zoo import spec

    with open(path) as f:
        config = yaml.safe_load(f) or {}
    unknown = sorted(set(config) - set(TRAIN_KEYS))
    if unknown:
        raise ValueError(f'{path}: unknown key(s) {unknown}. Known keys: {sorted(TRAIN_KEYS)}.')
    for key in ('Model', 'Data', 'Output'):
        if key not in config:
            raise ValueError(f'{path}: {key} is required ({TRAIN_KEYS[key]}).')
    spec(config['Model'])  # names the known architectures if unknown
    if config['Data'] not in ('jets', 'mnist'):
        raise ValueError(f"{path}: Data {config['Data']!r} must be 'jets' or 'mnist'.")
    defaults = {
        'Source': 'bundled',
        'Seed': 1,
        'Epochs': 100,
        'BatchSize': 256,
        'LearningRate': 1e-3,
        'Patience': 10,
        'ValidationSplit': 0.2,
    }
    return {**defaults, **config}


def _tqdm_callback(epochs: int):
    import tensorflow as tf
    from tqdm import tqdm

    class EpochBar(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = tqdm(total=epochs, desc=f'training {self.model.name}', unit='epoch')

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            self.bar.set_postfix(loss=f'{logs.get("loss", 0):.4f}', val_acc=f'{logs.get("val_accuracy", 0):.4f}')
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()


def train(config: dict, verbose: bool = True) -> dict:
    """Train ``config['Model']`` on its data set; save the model and return its metrics."""
    import tensorflow as tf

    from hlsbinary.datasets import DATASETS
    from hlsbinary.report import DEFAULT_INPUT_PRECISION, evaluate_model
    from hlsbinary.zoo import architecture

    seed = int(config['Seed'])
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    dataset = DATASETS[config['Data']][2](source=config['Source'])
    model = architecture(config['Model'])
    epochs = int(config['Epochs'])
    steps = int(np.ceil(len(dataset.X_train) * (1 - config['ValidationSplit']) / config['BatchSize'])) * epochs
    schedule = tf.keras.optimizers.schedules.CosineDecay(float(config['LearningRate']), decay_steps=steps, alpha=0.01)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(schedule),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=['accuracy'],
    )
    stop = tf.keras.callbacks.EarlyStopping(monitor='val_loss', patience=int(config['Patience']), restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(
        dataset.X_train,
        dataset.y_train,
        validation_split=float(config['ValidationSplit']),
        epochs=epochs,
        batch_size=int(config['BatchSize']),
        callbacks=[stop, _tqdm_callback(epochs)] if verbose else [stop],
        verbose=0,
        shuffle=True,
    )
    seconds = time.perf_counter() - start
    output = Path(config['Output'])
    with staged_file(output) as tmp:
        model.save(tmp, include_optimizer=False)  # weights only: a small file
    precision = config.get('InputPrecision', DEFAULT_INPUT_PRECISION[config['Data']])
    result = evaluate_model(output, dataset, precision)
    metrics = {
        'model': config['Model'],
        'data': f'{config["Data"]} ({dataset.source})',
        'seed': seed,
        'epochs_run': len(history.history['loss']),
        'train_seconds': round(seconds, 1),
        'evaluated_as': result.kind,
        'test_accuracy': result.accuracy,
        'test_auc': result.aucs(),
        'keras_test_accuracy': float(model.evaluate(dataset.X_test, dataset.y_test, verbose=0)[1]),
        'history': {k: [float(v) for v in vals] for k, vals in history.history.items() if k != 'lr'},
    }
    with staged_file(output.with_suffix('.json')) as tmp:
        tmp.write_text(json.dumps(metrics, indent=2))
    return metrics
