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

from hlsbinary.files import check_file_targets, publish_files
from hlsbinary.parts import IO_TYPES
from hlsbinary.validate import (
    REQUIRED,
    Invalid,
    Key,
    choice,
    existing_path,
    integer,
    load_yaml,
    number,
    precision,
    string,
    validate,
)


def _architecture(value):
    from hlsbinary.zoo import ARCHITECTURES

    return choice(list(ARCHITECTURES), case_insensitive=False)(value)


def _source(value):
    if value in ('bundled', 'openml', 'keras'):
        return value
    try:
        return existing_path('file')(value)
    except Invalid:
        raise Invalid('bundled, openml, keras (MNIST), or the path of a local data file (.npz, .h5, .csv)') from None


def _precision(value):
    return precision(value, allow_auto=False)


TRAIN_SCHEMA = {
    'Model': Key('zoo architecture (hlsbinary models list)', _architecture, REQUIRED),
    'Data': Key(
        'jets, jet_constituents or mnist', choice(('jets', 'jet_constituents', 'mnist'), case_insensitive=False), REQUIRED
    ),
    'Source': Key('bundled, openml, keras (MNIST), or a local file', _source, 'bundled'),
    'Output': Key(
        'the trained .h5 (its metrics go beside it as .json)', string(r'.+\.(h5|hdf5)', 'a path ending in .h5'), REQUIRED
    ),
    'Seed': Key('random seed for Python, NumPy and TensorFlow', integer(0, 2**31 - 1), 1),
    'Epochs': Key('maximum number of epochs', integer(1), 100),
    'BatchSize': Key('batch size', integer(1), 256),
    'LearningRate': Key('initial Adam learning rate', number(0, 1, open_min=True), 1e-3),
    'Patience': Key('early-stopping patience in epochs', integer(0), 10),
    'ValidationSplit': Key('share of the training part held out for early stopping', number(0, 1, True, True), 0.2),
    'InputPrecision': Key('firmware input precision for the emulated metrics (default: per data set)', _precision),
    'IOType': Key(
        'the interface the model is meant for, recorded in its metrics .json (hlsbinary report estimates it so)',
        choice(IO_TYPES, case_insensitive=False),
        'io_parallel',
    ),
}
TRAIN_KEYS = {name: key.help for name, key in TRAIN_SCHEMA.items()}


def seed_output(config: dict, seed: int) -> Path:
    """Where the model trained with ``seed`` goes: the config's ``Output`` for its own ``Seed``, otherwise the
    sibling ``<stem>.seed<N>.h5`` (which ``hlsbinary report`` gathers for its error bars)."""
    output = Path(config['Output'])
    return output if seed == config['Seed'] else output.with_name(f'{output.stem}.seed{seed}{output.suffix}')


def parse_seeds(text: str) -> list[int]:
    """``'1,2,3'`` -> ``[1, 2, 3]``; a user's mistake (not an integer, negative, repeated) is a ``UserError``."""
    from hlsbinary.errors import UserError

    seeds = []
    for part in text.split(','):
        part = part.strip()
        if not part.isdigit() or int(part) >= 2**31:
            raise UserError(f'--seeds {text!r}: {part!r} is not a seed; give integers from 0 to 2**31-1, e.g. --seeds 1,2,3')
        if int(part) in seeds:
            raise UserError(f'--seeds {text!r}: seed {part} is repeated; give each seed once, e.g. --seeds 1,2,3')
        seeds.append(int(part))
    return seeds


def load_train_config(path: str | Path) -> dict:
    """Read and validate a training config: unknown keys, missing required ones and bad values are named."""
    return validate(load_yaml(path, 'training config'), TRAIN_SCHEMA, str(path), 'a training config')


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


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic: call before building a model."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def fit(
    model,
    dataset,
    seed: int = 1,
    epochs: int = 100,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    patience: int = 10,
    validation_split: float = 0.2,
    verbose: bool = True,
):
    """Train a compiled-from-scratch Keras ``model`` on ``dataset``'s training part with the recipe of this module.

    Seeds everything again with ``seed`` (batch order, dropout); build the model after :func:`seed_everything` with
    the same seed for identical initial weights, then the same call gives the same trained weights.
    Returns ``(history, seconds)``; the best weights (validation loss) are restored.
    """
    import tensorflow as tf

    seed_everything(seed)
    steps = int(np.ceil(len(dataset.X_train) * (1 - validation_split) / batch_size)) * epochs
    schedule = tf.keras.optimizers.schedules.CosineDecay(float(learning_rate), decay_steps=steps, alpha=0.01)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(schedule),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=['accuracy'],
    )
    stop = tf.keras.callbacks.EarlyStopping(monitor='val_loss', patience=int(patience), restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(
        dataset.X_train,
        dataset.y_train,
        validation_split=float(validation_split),
        epochs=int(epochs),
        batch_size=int(batch_size),
        callbacks=[stop, _tqdm_callback(int(epochs))] if verbose else [stop],
        verbose=0,
        shuffle=True,
    )
    return history, time.perf_counter() - start


def train(config: dict, verbose: bool = True, force: bool = False) -> dict:
    """Train ``config['Model']`` on its data set; save the model and its metrics, together, and return the metrics.

    Nothing is written unless training and evaluation succeed; an existing model is replaced only if hlsbinary
    wrote it (or with ``force``), see :mod:`hlsbinary.files`.
    """
    output = Path(config['Output'])
    check_file_targets([output, output.with_suffix('.json')], force, 'trained model')  # before minutes of training
    from hlsbinary.datasets import DATASETS
    from hlsbinary.report import DEFAULT_INPUT_PRECISION, evaluate_model
    from hlsbinary.zoo import architecture

    dataset = DATASETS[config['Data']][2](source=config['Source'])
    seed_everything(config['Seed'])
    model = architecture(config['Model'])
    history, seconds = fit(
        model,
        dataset,
        seed=config['Seed'],
        epochs=config['Epochs'],
        batch_size=config['BatchSize'],
        learning_rate=config['LearningRate'],
        patience=config['Patience'],
        validation_split=config['ValidationSplit'],
        verbose=verbose,
    )
    input_precision = config.get('InputPrecision', DEFAULT_INPUT_PRECISION[config['Data']])
    with publish_files([output, output.with_suffix('.json')], force, 'trained model') as (h5_tmp, json_tmp):
        model.save(h5_tmp, include_optimizer=False)  # weights only: a small file
        result = evaluate_model(h5_tmp, dataset, input_precision, io_type=config['IOType'])
        metrics = {
            'model': config['Model'],
            'data': f'{config["Data"]} ({dataset.source})',
            'seed': int(config['Seed']),
            'io_type': config['IOType'],
            'epochs_run': len(history.history['loss']),
            'train_seconds': round(seconds, 1),
            'evaluated_as': result.kind,
            'test_accuracy': result.accuracy,
            'test_auc': result.aucs(),
            'keras_test_accuracy': float(model.evaluate(dataset.X_test, dataset.y_test, verbose=0)[1]),
            'history': {k: [float(v) for v in vals] for k, vals in history.history.items() if k != 'lr'},
        }
        json_tmp.write_text(json.dumps(metrics, indent=2))
    return metrics
