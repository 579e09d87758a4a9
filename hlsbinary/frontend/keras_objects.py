"""Register every object a saved QKeras model needs with Keras, so ``keras.models.load_model`` works."""

from __future__ import annotations

import inspect

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


def load_model(path):
    """``keras.models.load_model`` with every QKeras object registered (no compilation needed)."""
    register_keras_objects()
    import tensorflow as tf

    return tf.keras.models.load_model(path, compile=False)
