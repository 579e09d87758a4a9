"""Register every object a saved QKeras model needs with Keras, so ``keras.models.load_model`` works."""

from __future__ import annotations

import inspect
from pathlib import Path

from hlsbinary.errors import InputError

_registered = False


def custom_objects() -> dict:
    """QKeras layers, quantizer classes and quantizer functions (``binary_tanh`` ...), plus ``ternary_tanh``."""
    import qkeras.quantizers as qq
    from qkeras.utils import _add_supported_quantized_objects

    from hlsbinary.frontend.activations import ternary_tanh

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    # QKeras registers its quantizer classes but not its plain functions (binary_tanh, hard_sigmoid ...):
    # models using them fail to load, and hls4ml's own QActivation parser fails too.
    for name, obj in vars(qq).items():
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == qq.__name__ and not name.startswith('_'):
            objects.setdefault(name, obj)
    objects['ternary_tanh'] = ternary_tanh
    return objects


def register_keras_objects() -> None:
    """Add :func:`custom_objects` to Keras's global custom objects (idempotent)."""
    global _registered
    if _registered:
        return
    import tensorflow as tf

    tf.keras.utils.get_custom_objects().update(custom_objects())
    _registered = True


def check_model_path(path) -> Path:
    """A saved model's path: an HDF5 file, a ``.keras`` archive or a SavedModel folder; else an InputError."""
    import zipfile

    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f'{path}: no such model file (looked in {Path.cwd()})')
    if path.is_dir():
        if not (path / 'saved_model.pb').exists():
            raise InputError(
                f'{path} is a folder but not a SavedModel (no saved_model.pb); give a model saved with model.save()'
            )
        return path
    if path.suffix.lower() == '.keras':
        if not zipfile.is_zipfile(path):
            raise InputError(f'{path}: not a Keras archive (.keras files are zip archives written by model.save())')
        return path
    import h5py

    if not h5py.is_hdf5(path):
        raise InputError(f"{path}: not an HDF5 file; give a model saved with model.save('model.h5')")
    return path


def saved_input_size(path) -> int | None:
    """The number of inputs per event of a model saved as HDF5, read from its stored configuration without
    TensorFlow (so a command can check its inputs before any work); None where that configuration is not there."""
    import json

    import h5py
    import numpy as np

    try:
        with h5py.File(path, 'r') as f:
            config = json.loads(f.attrs['model_config'])
        shape = config['config']['layers'][0]['config']['batch_input_shape'][1:]
        return int(np.prod(shape)) if shape and all(isinstance(d, int) for d in shape) else None
    except (OSError, KeyError, IndexError, TypeError, ValueError):
        return None


def load_model(path):
    """``keras.models.load_model`` with every QKeras object registered (no compilation needed).

    A missing or unreadable file, or one Keras cannot load, raises :class:`~hlsbinary.errors.InputError`.
    """
    path = check_model_path(path)
    register_keras_objects()
    import tensorflow as tf

    try:
        return tf.keras.models.load_model(path, compile=False)
    except Exception as err:  # Keras raises ValueError, OSError, KeyError ... for files it cannot read
        message = (str(err).strip() or type(err).__name__).splitlines()[0][:300]
        raise InputError(f'{path}: Keras cannot load this model: {message}') from err
