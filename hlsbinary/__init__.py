"""hlsbinary: bit-exact binary and ternary neural networks on FPGAs with hls4ml.

``import hlsbinary`` stays light (NumPy only, no TensorFlow); heavy pieces load on first use.
"""

from __future__ import annotations

__version__ = '0.1.0'

from hlsbinary.emulator import emulate  # noqa: E402
from hlsbinary.estimator import estimate  # noqa: E402
from hlsbinary.keras_hook import register_keras_objects_on_import  # noqa: E402

register_keras_objects_on_import()  # saved QKeras models load with plain keras.models.load_model, in any import order


def read_network(model, input_precision=None, integer_scores=False):
    """The integer IR (:class:`hlsbinary.ir.Network`) of a QKeras model, the path of a saved one, or an hls4ml model
    converted by the plugin.  ``input_precision`` (e.g. ``'ap_fixed<16,6>'``, hls4ml's default if None) and
    ``integer_scores`` apply to Keras models; an hls4ml model carries its own."""
    from hlsbinary.emulator import network_of

    return network_of(model, input_precision, integer_scores)


__all__ = ['emulate', 'estimate', 'read_network', '__version__']
