"""Bit-exact CPU emulation of the firmware the plugin generates, on the integer IR.

Per layer: ``acc = x_int @ W`` (BLAS in float32 when every partial sum is an integer below 2**24,
which makes it exact, float64 below 2**53), then the output stage of :mod:`hlsbinary.fold`.
TensorFlow is needed only to read a Keras model; a :class:`~hlsbinary.ir.Network` emulates without it.
"""

from __future__ import annotations

import numpy as np

from hlsbinary.fold import accumulator_range, apply_affine, multithreshold, quantize_input
from hlsbinary.ir import AffineStage, BinaryDense, Network, ThresholdStage

DEFAULT_BATCH = 65536


def exact_weights(layer: BinaryDense) -> np.ndarray:
    """The weights in the narrowest float type whose matrix products are exact for this layer's inputs."""
    lo, hi = accumulator_range(layer.weights, layer.input_range)
    bound = max(-int(lo.min()), int(hi.max()))
    if bound >= (1 << 53):
        raise OverflowError(f'layer {layer.name!r}: accumulator bound {bound} exceeds float64 integers')
    return layer.weights.astype(np.float32 if bound < (1 << 24) else np.float64)


def layer_outputs(x_int: np.ndarray, layer: BinaryDense, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(acc, out)`` of one layer for integer inputs (LSB units; +-1/0 for binary/ternary).

    ``weights`` is :func:`exact_weights` of the layer, computed once by callers that stream batches.
    """
    w = exact_weights(layer) if weights is None else weights
    acc = (x_int.astype(w.dtype, copy=False) @ w).astype(np.int64)
    if isinstance(layer.output, ThresholdStage):
        out = multithreshold(acc, layer.output)
    elif isinstance(layer.output, AffineStage):
        out = apply_affine(acc, layer.output)
    else:
        out = acc
    return acc, out


def emulate_network(network: Network, X: np.ndarray, batch_size: int = DEFAULT_BATCH, trace: bool = False):
    """Firmware outputs for real inputs ``X`` (converted to the input precision as ``ap_fixed`` does).

    Binary/ternary outputs are returned as -1/0/+1, affine outputs as their exact fixed-point values,
    integer scores as integers.  With ``trace=True`` also returns ``{layer name: output}`` for every layer.
    Memory stays flat in the number of events: inputs are processed ``batch_size`` rows at a time.
    """
    X = np.asarray(X)
    X = X.reshape(X.shape[0], -1)
    outs, traces = [], {layer.name: [] for layer in network.layers}
    weights = [exact_weights(layer) for layer in network.layers]  # once, not per batch
    for start in range(0, X.shape[0], batch_size):
        x = quantize_input(X[start : start + batch_size], network.input_type)
        for layer, w in zip(network.layers, weights, strict=True):
            _, x = layer_outputs(x, layer, w)
            if trace:
                traces[layer.name].append(x)
        outs.append(x)
    result = np.concatenate(outs) if outs else np.zeros((0, network.layers[-1].n_out))
    if trace:
        return result, {name: np.concatenate(v) for name, v in traces.items()}
    return result


def emulate(model, X: np.ndarray, input_precision: str | None = None, batch_size: int = DEFAULT_BATCH, trace: bool = False):
    """Emulate ``model`` (a :class:`Network`, a QKeras model, or a path to a saved one) on inputs ``X``.

    ``input_precision`` is the hls4ml input type, e.g. ``'ap_fixed<16,6>'`` (hls4ml's default if None).
    """
    if not isinstance(model, Network):
        from hlsbinary.frontend.keras_objects import load_model
        from hlsbinary.frontend.qkeras import read_network
        from hlsbinary.hls4ml_plugin.types import parse_fixed

        if isinstance(model, str):
            model = load_model(model)
        model = read_network(model, parse_fixed(input_precision) if input_precision else None)
    return emulate_network(model, X, batch_size=batch_size, trace=trace)


__all__ = ['emulate', 'emulate_network', 'exact_weights', 'layer_outputs']
