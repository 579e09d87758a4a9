"""hlsbinary: bit-exact binary and ternary neural networks on FPGAs with hls4ml.

``import hlsbinary`` stays light (no TensorFlow); heavy pieces load on first use.
"""

from __future__ import annotations

__version__ = '0.1.0'


def emulate(model, X, input_precision=None, batch_size=65536, trace=False):
    """Firmware outputs of ``model`` on inputs ``X``, bit for bit (see :func:`hlsbinary.emulator.emulate`)."""
    from hlsbinary.emulator import emulate as _emulate

    return _emulate(model, X, input_precision=input_precision, batch_size=batch_size, trace=trace)


def read_network(model, input_precision=None, integer_scores=False):
    """Read a QKeras model into the integer IR (:class:`hlsbinary.ir.Network`)."""
    from hlsbinary.frontend.qkeras import read_network as _read
    from hlsbinary.hls4ml_plugin.types import parse_fixed

    return _read(model, parse_fixed(input_precision) if input_precision else None, integer_scores=integer_scores)


__all__ = ['emulate', 'read_network', '__version__']
