"""QKeras -> :mod:`hlsbinary.ir`.

A *block* is ``QDense(binary|ternary kernel) [-> BatchNormalization] [-> binary/ternary activation]``.
Weights are read by calling the layer's own kernel quantizer (so ``alpha='auto_po2'`` scales are the
ones QKeras uses) and factored into a per-channel power of two times ``{-1, 0, +1}``.  Activation
thresholds are found by bisection on QKeras's own float32 arithmetic (BiasAdd, BatchNorm, the
activation), which makes them exact for every sign of gamma, for ties and for both zero conventions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from hlsbinary.errors import UnsupportedModelError
from hlsbinary.fold import accumulator_range, find_thresholds, fold_affine
from hlsbinary.ir import BinaryDense, Encoding, FixedType, Network

BINARY_LEVELS = (-1, 1)
TERNARY_LEVELS = (-1, 0, 1)
FLOAT32_EXACT = 1 << 24  # integers up to this magnitude are exact in float32
SUPPORTED_WEIGHT_QUANTIZERS = (
    'binary(), binary(alpha=1 | power of two), ternary(), ternary(alpha=1 | power of two), stochastic_*'
)
SUPPORTED_ACTIVATIONS = (
    'binary_tanh, ternary_tanh, binary(), ternary(threshold=...), stochastic_binary(), stochastic_ternary()'
)


@dataclass(frozen=True)
class BlockLayers:
    """The Keras layers of one block; ``activation`` is a layer, or None when it lives inside ``dense``."""

    dense: object
    batchnorm: object | None
    activation_layer: object | None
    activation: object | None  # the callable applying the activation, None for a linear block

    @property
    def names(self) -> tuple[str, ...]:
        layers = [self.dense, self.batchnorm, self.activation_layer]
        return tuple(layer.name for layer in layers if layer is not None)


def _quantizer_name(q) -> str:
    if q is None:
        return 'linear'
    return getattr(q, '__name__', None) or type(q).__name__


def is_binary_dense(layer) -> bool:
    """True for a QDense whose kernel quantizer is binary or ternary (any variant)."""
    if type(layer).__name__ != 'QDense':
        return False
    name = _quantizer_name(getattr(layer, 'kernel_quantizer_internal', None))
    return 'binary' in name or 'ternary' in name


def activation_levels(q, where: str) -> tuple[int, ...] | None:
    """The output levels of a supported activation quantizer, None for linear/softmax, else an error."""
    name = _quantizer_name(q)
    if name in ('linear', 'softmax'):
        return None
    if 'binary' in name:
        if getattr(q, 'use_01', False):
            raise UnsupportedModelError(
                f'{where}: binary(use_01=True) activations are not supported; use binary() or binary_tanh'
            )
        return BINARY_LEVELS
    if 'ternary' in name:
        return TERNARY_LEVELS
    raise UnsupportedModelError(
        f'{where}: activation {name!r} after a binary/ternary QDense is not supported. Supported: {SUPPORTED_ACTIVATIONS}.'
    )


def _consumers(model, layer):
    out = []
    for node in layer._outbound_nodes:
        if node.outbound_layer in model.layers:
            out.append(node.outbound_layer)
    return out


def block_layers(model, dense) -> BlockLayers:
    """Collect the BatchNorm and activation that follow ``dense`` along a single-consumer chain."""
    inner = getattr(dense, 'activation', None)
    inner_levels = activation_levels(inner, f'layer {dense.name!r}')
    if inner_levels is not None:
        return BlockLayers(dense, None, None, inner)
    bn = act_layer = act = None
    current = dense
    nxt = _consumers(model, current)
    if len(nxt) == 1 and type(nxt[0]).__name__ in ('BatchNormalization', 'QBatchNormalization'):
        bn = current = nxt[0]
        nxt = _consumers(model, current)
    if len(nxt) == 1 and type(nxt[0]).__name__ in ('QActivation', 'Activation'):
        layer = nxt[0]
        q = layer.quantizer if type(layer).__name__ == 'QActivation' else layer.activation
        if activation_levels(q, f'layer {layer.name!r}') is not None:
            act_layer, act = layer, q
    return BlockLayers(dense, bn, act_layer, act)


def quantized_kernel(dense) -> tuple[np.ndarray, np.ndarray]:
    """``q(W) = W_int * alpha``: integer weights in {-1,0,+1} (n_in, n_out) and per-channel power-of-two alphas."""
    q = dense.kernel_quantizer_internal
    qw = np.asarray(q(dense.kernel).numpy(), dtype=np.float64)
    alpha = np.abs(qw).max(axis=0)
    alpha[alpha == 0] = 1.0
    w = qw / alpha
    where = f'layer {dense.name!r}, kernel quantizer {q}'
    if not np.all(np.isin(w, (-1.0, 0.0, 1.0))):
        raise UnsupportedModelError(
            f'{where}: quantized weights are not a per-channel scale times {{-1, 0, +1}}. Supported: {SUPPORTED_WEIGHT_QUANTIZERS}.'
        )
    mantissa, _ = np.frexp(alpha)
    if not np.all(mantissa == 0.5):
        raise UnsupportedModelError(
            f"{where}: scale alpha={alpha[mantissa != 0.5][:3]} is not a power of two, so QKeras's float sums cannot "
            "be reproduced exactly. Use alpha=1, alpha='auto_po2' (the default) or a power of two."
        )
    return w.astype(np.int8), alpha


def _bias(dense) -> np.ndarray:
    if not dense.use_bias:
        return np.zeros(dense.units, dtype=np.float32)
    q = getattr(dense, 'bias_quantizer_internal', None)
    b = q(dense.bias) if q is not None else dense.bias
    return np.asarray(b.numpy() if hasattr(b, 'numpy') else b, dtype=np.float32)


def fold_block(
    model,
    dense_name: str,
    input_encoding: Encoding,
    input_type: FixedType | None,
    integer_scores: bool = False,
) -> BinaryDense:
    """Fold one block into a :class:`BinaryDense` given how its input is encoded."""
    import tensorflow as tf

    dense = model.get_layer(dense_name)
    block = block_layers(model, dense)
    w, alpha = quantized_kernel(dense)
    bias = _bias(dense)
    lsb = 1.0 if input_encoding is not Encoding.FIXED else 2.0**-input_type.frac
    step = (alpha * lsb).astype(np.float32)  # exact: powers of two
    x_range = (-1, 1) if input_encoding is not Encoding.FIXED else input_type.int_range
    lo, hi = accumulator_range(w, x_range)
    if max(-lo.min(), hi.max()) >= FLOAT32_EXACT:
        warnings.warn(
            f"layer {dense.name!r}: sums reach {max(-lo.min(), hi.max())} input LSBs, beyond float32's exact integers; "
            'QKeras rounds them in float32 while the firmware sums exactly. Narrow the input precision.',
            stacklevel=2,
        )

    def pre_activation(acc: np.ndarray):
        # QDense: dot product (exact, see the bound above) then BiasAdd in float32, then BatchNorm.
        pre = acc.astype(np.float32) * step + bias
        out = tf.constant(pre, dtype=tf.float32)
        if block.batchnorm is not None:
            out = block.batchnorm(out, training=False)
        return out

    if block.activation is not None:
        levels = activation_levels(block.activation, f'layer {block.names[-1]!r}')

        def value_fn(acc):
            return np.asarray(block.activation(pre_activation(acc)).numpy(), dtype=np.float64)

        output = find_thresholds(value_fn, lo, hi, levels)
        _check_levels(value_fn, lo, hi, levels, block.names[-1])
    elif integer_scores:
        output = None
    else:
        # The affine of a linear block: read it off QKeras's own arithmetic at two points per channel.
        at = np.stack([np.zeros_like(lo), np.full_like(lo, 1 << 12)])
        y = np.asarray(pre_activation(at).numpy(), dtype=np.float64)
        y_scale = (y[1] - y[0]) / float(1 << 12)
        output = fold_affine(y_scale, y[0], lo, hi)
    return BinaryDense(
        name=dense.name,
        weights=w,
        input_encoding=input_encoding,
        input_type=input_type if input_encoding is Encoding.FIXED else None,
        output=output,
        keras_layers=block.names,
    )


def _check_levels(value_fn, lo, hi, levels, name):
    probe = np.linspace(lo, hi, 257).round().astype(np.int64)
    seen = np.unique(value_fn(probe))
    if not np.all(np.isin(seen, levels)):
        raise UnsupportedModelError(
            f'layer {name!r}: activation outputs {seen[:6]} are not the levels {levels}; only alpha=1 activation '
            f'quantizers are supported ({SUPPORTED_ACTIVATIONS}).'
        )


def read_network(model, input_type: FixedType | None = None, integer_scores: bool = False) -> Network:
    """Read a QKeras model that is a plain chain of binary/ternary blocks into a :class:`Network`.

    ``input_type`` is the input precision (hls4ml's default ``ap_fixed<16,6>`` if None).  Input,
    Dropout and Flatten layers are allowed around the blocks; anything else raises an error naming it.
    """
    from hlsbinary.frontend.keras_objects import register_keras_objects

    register_keras_objects()
    input_type = input_type or FixedType(16, 6, True)  # hls4ml's default precision
    layers = []
    consumed: set[str] = set()
    encoding, ftype = Encoding.FIXED, input_type
    for layer in model.layers:
        kind = type(layer).__name__
        if layer.name in consumed or kind in ('InputLayer', 'Dropout'):
            continue
        if kind == 'Flatten' and len(layer.input_shape) == 2:
            continue
        if not is_binary_dense(layer):
            raise UnsupportedModelError(
                f'layer {layer.name!r} ({kind}) is not part of a binary/ternary block; the emulator reads chains of '
                f'QDense(binary|ternary) [-> BatchNormalization] [-> {SUPPORTED_ACTIVATIONS}]. Convert such models with '
                'the hls4ml plugin instead, which leaves other layers to hls4ml.'
            )
        block = fold_block(model, layer.name, encoding, ftype, integer_scores=integer_scores)
        consumed.update(block.keras_layers)
        layers.append(block)
        encoding, ftype = block.output_encoding, None
        if encoding is Encoding.FIXED and layer is not _last_block_dense(model):
            raise UnsupportedModelError(
                f'layer {layer.name!r}: a binary/ternary block without a binary or ternary activation must be the last one.'
            )
    if not layers:
        raise UnsupportedModelError('the model has no binary/ternary QDense layer')
    return Network(layers=tuple(layers), input_type=input_type, name=model.name)


def _last_block_dense(model):
    denses = [layer for layer in model.layers if is_binary_dense(layer)]
    return denses[-1] if denses else None
