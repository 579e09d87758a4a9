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
    """Read a QKeras model into the integer IR (:class:`hlsbinary.ir.Network`)."""
    from hlsbinary.frontend.qkeras import read_network as _read
    from hlsbinary.ir import parse_fixed

    return _read(model, parse_fixed(input_precision) if input_precision else None, integer_scores=integer_scores)


__all__ = ['emulate', 'estimate', 'read_network', '__version__']
