"""QKeras -> :mod:`hlsbinary.ir`.

A *block* is ``QDense(quantized kernel) [-> BatchNormalization] [-> activation]``, the activation either inside the
QDense or as its own layer; a BatchNormalization and/or quantized activation standing on a fixed-point tensor alone
(e.g. an input quantizer) is a block with identity weights.

* **Weights** come from calling the layer's own kernel quantizer, so ``binary``, ``ternary``, ``quantized_bits`` and
  every ``alpha`` (1, a power of two, ``'auto_po2'``, ``'auto'``) give the values QKeras uses; they are factored into
  a per-channel scale times integers (:func:`quantized_kernel`).
* **Activations**: any monotone QKeras quantizer with at most :data:`MAX_LEVELS` output values on a uniform
  fixed-point grid (binary/ternary and their ``_tanh`` forms, ``quantized_relu`` with or without a negative slope,
  ``quantized_bits``, ...) becomes exact integer thresholds, found by bisection on QKeras's own float32 arithmetic
  (BiasAdd, the Keras BatchNorm layer, the activation) and then *verified* at every step
  (:func:`hlsbinary.fold.verify_thresholds`): negative and zero gammas, ties on reachable integers and zero
  conventions come out exact without special cases.  A linear block becomes an exact fixed-point affine, or raw
  integer scores.
* **Scales that are not powers of two** (``alpha='auto'``) make the real pre-activation ``acc * scale + bias``;
  QKeras sums it in float32 in an order of its own, the thresholds here use the exact sum rounded once, so the two
  can differ where the pre-activation falls within float32 rounding of a step (README: how often).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from hlsbinary.errors import UnsupportedModelError
from hlsbinary.fold import accumulator_range, find_thresholds, fold_affine, verify_thresholds
from hlsbinary.ir import Encoding, FixedType, IntegerLayer, Network, Pool, ThresholdStage, Window

FLOAT32_EXACT = 1 << 24  # integers up to this magnitude are exact in float32
MAX_LEVELS = 256  # most output levels folded into thresholds (an 8-bit activation)
MAX_FRAC = 32  # finest output grid tried: 2**-32
WEIGHT_QUANTIZERS = ('binary', 'ternary', 'quantized_bits', 'stochastic_binary', 'stochastic_ternary')
SUPPORTED_WEIGHT_QUANTIZERS = (
    "binary(), ternary(), quantized_bits(bits, integer, ...) with alpha 1, a power of two, 'auto_po2' or 'auto', "
    'stochastic_binary(), stochastic_ternary()'
)
SUPPORTED_ACTIVATIONS = (
    'binary_tanh, ternary_tanh, binary(), ternary(threshold=...), quantized_relu(bits, integer[, negative_slope]), '
    f'quantized_bits(bits, integer), quantized_tanh(bits), quantized_sigmoid(bits), with at most {MAX_LEVELS} '
    'levels; linear (no activation) at the end'
)
# The activation quantizers hls4ml 1.3.0's QKeras parser reads (converters/keras/qkeras.py,
# get_activation_quantizer; functions named *binary*/*ternary* too): the plugin folds only what reaches it.
HLS4ML_ACTIVATIONS = (
    'quantized_relu',
    'quantized_tanh',
    'binary_tanh',
    'ternary_tanh',
    'quantized_sigmoid',
    'quantized_bits',
    'binary',
    'ternary',
)
BATCHNORMS = ('BatchNormalization', 'QBatchNormalization')
ACTIVATION_LAYERS = ('QActivation', 'Activation')
WEIGHT_LAYERS = ('QDense', 'QConv1D', 'QConv2D')
POOLS = ('MaxPooling1D', 'MaxPooling2D')
PASS_THROUGH = ('InputLayer', 'Dropout', 'Flatten', 'Reshape')  # move no value: tensors are flat, channels-last


def quantizer_name(q) -> str:
    if q is None:
        return 'linear'
    return getattr(q, '__name__', None) or type(q).__name__


def kernel_quantizer(layer):
    """The layer's kernel quantizer, or None (float weights, or no kernel)."""
    return getattr(layer, 'kernel_quantizer_internal', None)


def is_integer_dense(layer) -> bool:
    """True for a QDense, QConv1D or QConv2D whose kernel quantizer gives integer multiples of a scale (binary,
    ternary, quantized_bits)."""
    return type(layer).__name__ in WEIGHT_LAYERS and quantizer_name(kernel_quantizer(layer)) in WEIGHT_QUANTIZERS


is_integer_layer = is_integer_dense


def is_linear(activation) -> bool:
    return quantizer_name(activation) == 'linear'


def is_quantized_activation(activation) -> bool:
    """A QKeras quantizer (or hlsbinary's ``ternary_tanh``), as opposed to a float Keras activation or linear."""
    if activation is None or is_linear(activation):
        return False
    module = getattr(activation, '__module__', '') or type(activation).__module__
    return module.startswith(('qkeras', 'hlsbinary'))


@dataclass(frozen=True)
class BlockLayers:
    """The Keras layers of one block.  ``dense`` is None for identity weights (a block standing on its input);
    ``activation_layer`` is None when the activation lives inside ``dense`` or there is none."""

    dense: object | None
    batchnorm: object | None
    activation_layer: object | None
    activation: object | None  # the callable applying the activation, None for a linear block
    pool: object | None = None  # a MaxPooling between the weights and the activation
    pool_before_batchnorm: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        layers = [self.dense, self.pool if self.pool_before_batchnorm else None, self.batchnorm]
        layers += [None if self.pool_before_batchnorm else self.pool, self.activation_layer]
        return tuple(layer.name for layer in layers if layer is not None)

    @property
    def name(self) -> str:
        return self.names[0]


def _joins_block(activation) -> bool:
    """Quantized activations join the block before them; so do float element-wise ones (to be refused by name);
    linear and softmax stay layers of their own (a softmax runs on hls4ml's standard path)."""
    return not is_linear(activation) and quantizer_name(activation) != 'softmax'


def activation_of(layer):
    """The callable an activation layer applies (a QKeras quantizer or a Keras activation)."""
    return layer.quantizer if type(layer).__name__ == 'QActivation' else layer.activation


def check_hls4ml_parses_activations(model) -> None:
    """Refuse, naming the layer and the alternatives, a QKeras activation quantizer that hls4ml's parser rejects
    (e.g. ``quantized_po2``, ``stochastic_ternary``), before hls4ml says only "Unsupported QKeras activation"."""
    for layer in model.layers:
        if type(layer).__name__ not in ('QActivation', *WEIGHT_LAYERS):
            continue
        activation = activation_of(layer)
        if not is_quantized_activation(activation):
            continue
        name = quantizer_name(activation)
        is_function = not hasattr(activation, 'get_config')
        if name in HLS4ML_ACTIVATIONS or (is_function and ('binary' in name or 'ternary' in name)):
            continue
        raise UnsupportedModelError(
            f'layer {layer.name!r}: the activation {name} cannot be converted (hls4ml cannot read it); supported: '
            f'{SUPPORTED_ACTIVATIONS}'
        )


def consumers(model, layer) -> list:
    return [node.outbound_layer for node in layer._outbound_nodes if node.outbound_layer in model.layers]


def block_layers(model, first) -> BlockLayers:
    """The block starting at ``first`` (a QDense/QConv, a BatchNormalization or an activation layer), following the
    single-consumer chain ``[QDense|QConv] [-> MaxPooling] [-> BatchNormalization] [-> MaxPooling] [-> activation]``
    (one MaxPooling at most, and only where an activation follows to pool the levels of)."""
    dense = first if is_integer_dense(first) else None
    if dense is not None and is_quantized_activation(getattr(dense, 'activation', None)):
        return BlockLayers(dense, None, None, dense.activation)
    if dense is not None and not is_linear(getattr(dense, 'activation', None)):
        return BlockLayers(dense, None, None, None)  # a float activation (softmax) stays a layer of its own
    bn = act_layer = pool = None
    pool_first = False
    current = first
    if dense is None and type(first).__name__ in BATCHNORMS:
        bn = first
    elif dense is None:
        return BlockLayers(None, None, first, activation_of(first))
    nxt = consumers(model, current)

    def single(kinds):
        return nxt[0] if len(nxt) == 1 and type(nxt[0]).__name__ in kinds else None

    if dense is not None and single(POOLS) is not None:
        pool, pool_first = nxt[0], True
        nxt = consumers(model, pool)
    if bn is None and single(BATCHNORMS) is not None:
        bn = nxt[0]
        nxt = consumers(model, bn)
    if pool is None and dense is not None and single(POOLS) is not None:
        pool = nxt[0]
        nxt = consumers(model, pool)
    if single(ACTIVATION_LAYERS) is not None and _joins_block(activation_of(nxt[0])):
        act_layer = nxt[0]
    if pool is not None and act_layer is None:  # nothing to pool the levels of: leave the pool to stand alone
        return block_layers_without_pool(model, dense)
    activation = None if act_layer is None else activation_of(act_layer)
    return BlockLayers(dense, bn, act_layer, activation, pool, pool_first)


def block_layers_without_pool(model, dense) -> BlockLayers:
    """A weight layer followed by a MaxPooling but no activation: the block is the weights alone (linear)."""
    return BlockLayers(dense, None, None, None)


# ---- weights ---------------------------------------------------------------------------------------------------------


def _quantizer_unit(q) -> float:
    """The step of a quantizer's integer grid before its scale (``m_i / m`` of ``quantized_bits``, 1 otherwise)."""
    if quantizer_name(q) != 'quantized_bits':
        return 1.0
    unsigned_bits = int(q.bits) - int(bool(q.keep_negative))
    if unsigned_bits <= 0:
        return 1.0  # one bit: the sign
    return 2.0 ** (int(np.asarray(q.integer)) - unsigned_bits)


def quantized_kernel(dense) -> tuple[np.ndarray, np.ndarray]:
    """``q(W) = W_int * unit``: integer weights ``(n_in, n_out)`` and each output channel's real ``unit``.

    The kernel is quantized by the layer's own quantizer (what QKeras multiplies with); ``unit`` is its scale
    (``alpha``, learned per channel for ``'auto'``/``'auto_po2'``) times the grid step of ``quantized_bits``."""
    q = kernel_quantizer(dense)
    where = f'layer {dense.name!r}, kernel quantizer {q}'
    qw = np.asarray(q(dense.kernel).numpy(), dtype=np.float64)
    qw = qw.reshape(-1, qw.shape[-1])  # a convolution's (kh, kw, C, F) kernel: one row per window element
    n_out = qw.shape[-1]
    scale = getattr(q, 'scale', None)
    scale = np.ones(n_out) if scale is None else np.broadcast_to(np.asarray(scale, dtype=np.float64).reshape(-1), (n_out,))
    unit = scale * _quantizer_unit(q)
    unit = np.where(unit > 0, unit, 1.0)
    w = qw / unit
    w_int = np.rint(w)
    if not np.all(np.abs(w - w_int) <= 1e-3) or np.abs(w_int).max(initial=0) >= 1 << 15:
        raise UnsupportedModelError(
            f'{where}: quantized weights are not a per-channel scale times integers. Supported: {SUPPORTED_WEIGHT_QUANTIZERS}.'
        )
    return w_int.astype(np.int16 if np.abs(w_int).max(initial=0) > 127 else np.int8), unit


def _bias(dense) -> np.ndarray:
    if dense is None or not dense.use_bias:
        n = int(dense.kernel.shape[-1]) if dense is not None else 0
        return np.zeros(n, dtype=np.float32)
    q = getattr(dense, 'bias_quantizer_internal', None)
    b = q(dense.bias) if q is not None else dense.bias
    return np.asarray(b.numpy() if hasattr(b, 'numpy') else b, dtype=np.float32)


# ---- activations -----------------------------------------------------------------------------------------------------


def _frac_bits(values: np.ndarray) -> int | None:
    """Fractional bits of the finest dyadic grid holding ``values``, None beyond :data:`MAX_FRAC`."""
    for frac in range(MAX_FRAC + 1):
        scaled = np.ldexp(values, frac)
        if np.all(scaled == np.rint(scaled)):
            return frac
    return None


def _hinted_frac(q) -> int:
    """The grid a quantizer declares (``bits - integer`` fractional bits), 0 if it declares none."""
    bits, integer = getattr(q, 'bits', None), getattr(q, 'integer', None)
    if bits is None or integer is None:
        return 0
    sign = int(bool(getattr(q, 'keep_negative', False))) if quantizer_name(q) == 'quantized_bits' else 0
    return max(0, int(bits) - sign - int(np.asarray(integer)))


def fold_levels(value_fn, lo: np.ndarray, hi: np.ndarray, hint_frac: int, where: str):
    """The :class:`~hlsbinary.ir.ThresholdStage` of a monotone activation of the accumulator, verified exact.

    Output values are taken to be codes on a grid ``2**-frac`` (from probing, or the quantizer's declared grid if
    finer); the codes between the smallest and largest output are the levels (the ends a channel never reaches
    dropped, and a never-used 0 between -1 and +1, so binary activations stay one bit).  If the thresholds do not
    reproduce ``value_fn`` at every step, the grid is refined; past :data:`MAX_FRAC` the activation is refused."""
    probe = np.unique(np.concatenate([np.linspace(lo, hi, 257).round().astype(np.int64), lo[None], hi[None]]), axis=0)
    values = np.asarray(value_fn(probe), dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise UnsupportedModelError(f'{where}: the activation gives non-finite values. Supported: {SUPPORTED_ACTIVATIONS}.')
    frac = _frac_bits(values)
    if frac is None:
        raise UnsupportedModelError(
            f'{where}: the activation outputs real numbers, not levels of a fixed-point grid; it cannot become '
            f'integer thresholds. Use a quantized activation (e.g. quantized_relu(bits, integer) for relu). '
            f'Supported: {SUPPORTED_ACTIVATIONS}.'
        )
    frac = max(frac, hint_frac)
    while frac <= MAX_FRAC:
        codes = np.rint(np.ldexp(values, frac)).astype(np.int64)
        c_lo, c_hi = int(codes.min()), int(codes.max())
        if c_hi - c_lo + 1 > MAX_LEVELS:
            raise UnsupportedModelError(
                f'{where}: the activation has {c_hi - c_lo + 1} output levels; at most {MAX_LEVELS} are folded into '
                f'thresholds (an 8-bit activation). Use fewer bits. Supported: {SUPPORTED_ACTIVATIONS}.'
            )
        levels = tuple(range(c_lo, c_hi + 1))
        out_type = None if frac == 0 and levels in ((-1, 0, 1), (-1, 1)) else FixedType.holding(c_lo, c_hi, frac)
        if out_type is None and set(np.unique(codes)) <= {-1, 1}:
            levels = (-1, 1)
        stage = find_thresholds(value_fn, lo, hi, levels, out_type)
        if out_type is None and levels == (-1, 0, 1) and _never_zero(stage):
            stage = find_thresholds(value_fn, lo, hi, (-1, 1), None)
        if not len(verify_thresholds(value_fn, stage, lo, hi)):
            return stage
        frac += 1
    raise UnsupportedModelError(
        f'{where}: the activation is not a monotone step function on a fixed-point grid of at most {MAX_LEVELS} levels. '
        f'Supported: {SUPPORTED_ACTIVATIONS}.'
    )


def _never_zero(stage) -> bool:
    """True when no channel ever outputs the middle level of -1/0/+1 (its two thresholds coincide)."""
    t = stage.thresholds
    return bool(np.all(t[:, 0] == t[:, 1]))


# ---- blocks ----------------------------------------------------------------------------------------------------------


def window_of(layer) -> Window | None:
    """The window a QConv1D/QConv2D applies its weights to (None for a QDense); what is not a plain channels-last
    convolution is refused by name."""
    kind = type(layer).__name__
    shape = tuple(int(d) for d in layer.input_shape[1:])
    if kind == 'QDense':
        if len(shape) != 1:
            raise UnsupportedModelError(
                f'layer {layer.name!r}: a QDense on a {len(shape)}-dimensional input applies along the last axis only; '
                'put a Flatten before it (a 1x1 convolution, QConv1D/QConv2D with kernel size 1, does the other).'
            )
        return None
    config = layer.get_config()
    if config.get('data_format', 'channels_last') != 'channels_last':
        raise UnsupportedModelError(
            f'layer {layer.name!r}: data_format {config["data_format"]!r}; only channels_last is supported'
        )
    if any(int(d) != 1 for d in np.atleast_1d(config.get('dilation_rate', 1))) or int(config.get('groups', 1)) != 1:
        raise UnsupportedModelError(f'layer {layer.name!r}: dilated or grouped convolutions are not supported')
    return Window.of_keras(shape, tuple(layer.kernel_size), tuple(layer.strides), layer.padding)


def pool_of(layer, take_min, input_encoding: Encoding, input_type: FixedType | None) -> Pool:
    """A Keras MaxPooling1D/2D as a :class:`Pool` of levels."""
    config = layer.get_config()
    if config.get('data_format', 'channels_last') != 'channels_last':
        raise UnsupportedModelError(
            f'layer {layer.name!r}: data_format {config["data_format"]!r}; only channels_last is supported'
        )
    shape = tuple(int(d) for d in layer.input_shape[1:])
    size = tuple(np.atleast_1d(config['pool_size']).tolist())
    strides = tuple(np.atleast_1d(config['strides'] or config['pool_size']).tolist())
    window = Window.of_keras(shape, size, strides, config['padding'])
    take_min = np.zeros(window.channels, bool) if take_min is None else np.asarray(take_min, bool)
    return Pool(
        layer.name, window, take_min, input_encoding, input_type if input_encoding is Encoding.FIXED else None, (layer.name,)
    )


def fold_block(
    model,
    first_name: str,
    input_encoding: Encoding,
    input_type: FixedType | None,
    integer_scores: bool = False,
    n_features: int | None = None,
) -> list[IntegerLayer | Pool]:
    """Fold the block starting at layer ``first_name`` into an :class:`IntegerLayer` (and the :class:`Pool` of its
    levels, if the block holds a MaxPooling), given how its input is encoded.

    ``n_features`` is the width of the input of a block without a QDense (identity weights)."""
    import tensorflow as tf

    block = block_layers(model, model.get_layer(first_name))
    window = window_of(block.dense) if block.dense is not None else None
    if block.dense is not None:
        w, unit = quantized_kernel(block.dense)
    else:
        w, unit = np.eye(n_features, dtype=np.int8), np.ones(n_features)
    bias = _bias(block.dense) if block.dense is not None else np.zeros(w.shape[1], np.float32)
    lsb = 1.0 if input_encoding is not Encoding.FIXED else 2.0**-input_type.frac
    step64 = unit * lsb
    po2 = bool(np.all(np.frexp(step64)[0] == 0.5))
    step = step64.astype(np.float32)  # exact for powers of two
    x_range = (-1, 1) if input_encoding is not Encoding.FIXED else input_type.int_range
    lo, hi = accumulator_range(w, x_range)
    if po2 and max(-lo.min(), hi.max()) >= FLOAT32_EXACT:
        warnings.warn(
            f"layer {block.name!r}: sums reach {max(-lo.min(), hi.max())} input LSBs, beyond float32's exact integers; "
            'QKeras rounds them in float32 while the firmware sums exactly. Narrow the input precision.',
            stacklevel=2,
        )

    def pre_activation(acc: np.ndarray):
        # QDense/QConv: the dot product (exact for power-of-two scales, see above) then BiasAdd in float32; for other
        # scales the exact sum rounded once to float32.  Then the Keras BatchNorm layer itself (per channel).
        if po2:
            pre = acc.astype(np.float32) * step + bias
        else:
            pre = (acc.astype(np.float64) * step64 + bias.astype(np.float64)).astype(np.float32)
        out = tf.constant(pre, dtype=tf.float32)
        if block.batchnorm is not None:
            rank = len(block.batchnorm.input_shape)  # a convolution's BatchNorm wants (m, 1, [1,] channels)
            shaped = tf.reshape(out, [out.shape[0]] + [1] * (rank - 2) + [out.shape[-1]])
            out = tf.reshape(block.batchnorm(shaped, training=False), out.shape)
        return out

    if block.activation is not None and not is_linear(block.activation):
        where = f'layer {block.names[-1]!r}'
        if not is_quantized_activation(block.activation):
            raise UnsupportedModelError(
                f'{where}: the float activation {quantizer_name(block.activation)!r} outputs real numbers, not levels of a '
                'fixed-point grid, so it cannot become integer thresholds. Use a quantized activation (e.g. '
                f'quantized_relu(bits, integer) for relu). Supported: {SUPPORTED_ACTIVATIONS}.'
            )

        def value_fn(acc):
            return np.asarray(block.activation(pre_activation(acc)).numpy(), dtype=np.float64)

        output = fold_levels(value_fn, lo, hi, _hinted_frac(block.activation), where)
    elif integer_scores:
        output = None
    else:
        # The affine of a linear block: read it off QKeras's own arithmetic at two points per channel.
        at = np.stack([np.zeros_like(lo), np.full_like(lo, 1 << 12)])
        y = np.asarray(pre_activation(at).numpy(), dtype=np.float64)
        y_scale = (y[1] - y[0]) / float(1 << 12)
        output = fold_affine(y_scale, y[0], lo, hi)
    layer = IntegerLayer(
        name=block.name,
        weights=w,
        input_encoding=input_encoding,
        input_type=input_type if input_encoding is Encoding.FIXED else None,
        output=output,
        keras_layers=tuple(name for name in block.names if block.pool is None or name != block.pool.name),
        weight_scale=None if np.all(unit == 1) else unit,
        window=window,
    )
    if block.pool is None:
        return [layer]
    # A max-pool of the accumulator (before the BatchNorm) meets a decreasing threshold as the minimum of the levels;
    # anywhere later, the activation is non-decreasing, so the max of the levels is the level of the max.
    take_min = output.decreasing if block.pool_before_batchnorm else None
    pool = pool_of(block.pool, take_min, layer.output_encoding, layer.output_type)
    after = block.names[block.names.index(block.pool.name) :]  # the pool's output is the activation's (last) tensor
    return [layer, dataclasses.replace(pool, keras_layers=after)]


def starts_block(layer) -> bool:
    """Whether a Keras layer starts a block hlsbinary folds (a quantized QDense/QConv, a BatchNorm or an activation)."""
    kind = type(layer).__name__
    return is_integer_dense(layer) or kind in BATCHNORMS or kind in ACTIVATION_LAYERS


def read_network(model, input_type: FixedType | None = None, integer_scores: bool = False) -> Network:
    """Read a QKeras model that is a chain of blocks (and MaxPooling layers on their levels) into a :class:`Network`.

    ``input_type`` is the input precision (hls4ml's default ``ap_fixed<16,6>`` if None).  Input, Dropout, Flatten and
    Reshape layers are allowed around the blocks; anything else raises an error naming it.
    """
    from hlsbinary.frontend.keras_objects import register_keras_objects

    register_keras_objects()
    input_type = input_type or FixedType(16, 6, True)  # hls4ml's default precision
    layers: list[IntegerLayer | Pool] = []
    consumed: set[str] = set()
    encoding, ftype = Encoding.FIXED, input_type
    for layer in model.layers:
        kind = type(layer).__name__
        if layer.name in consumed or kind in PASS_THROUGH:
            continue  # Flatten and Reshape move no value: tensors are flat, channels-last, as in the firmware
        if kind in ACTIVATION_LAYERS and is_linear(activation_of(layer)):
            continue
        last = next((op for op in reversed(layers) if isinstance(op, IntegerLayer)), None)
        if last is not None and not isinstance(last.output, ThresholdStage):
            raise UnsupportedModelError(
                f'layer {layer.name!r} ({kind}) follows a linear block ({last.name!r}, no quantized activation); '
                'a block without a quantized activation must be the last one.'
            )
        if kind in POOLS:
            layers.append(pool_of(layer, None, encoding, ftype))
            continue
        if not starts_block(layer):
            raise UnsupportedModelError(
                f'layer {layer.name!r} ({kind}) is not part of a block hlsbinary folds; the emulator reads chains of '
                f'QDense|QConv1D|QConv2D(quantized kernel) [-> MaxPooling] [-> BatchNormalization] [-> '
                f'{SUPPORTED_ACTIVATIONS}] and MaxPooling. Convert such models with the hls4ml plugin instead, which '
                'leaves other layers to hls4ml.'
            )
        block = block_layers(model, layer)
        if block.dense is None and block.activation is not None and quantizer_name(block.activation) == 'softmax':
            raise UnsupportedModelError(
                f"layer {layer.name!r}: a softmax runs on hls4ml's standard path, which hlsbinary does not emulate; "
                'emulate the model without it (its logits rank the classes the same way).'
            )
        if block.dense is not None and quantizer_name(getattr(block.dense, 'activation', None)) == 'softmax':
            raise UnsupportedModelError(
                f"layer {layer.name!r}: its softmax runs on hls4ml's standard path, which hlsbinary does not emulate; "
                'emulate the model with a linear output (its logits rank the classes the same way).'
            )
        width = int(np.prod(layer.input_shape[1:]))
        ops = fold_block(model, layer.name, encoding, ftype, integer_scores=integer_scores, n_features=width)
        for op in ops:
            consumed.update(op.keras_layers)
        layers.extend(ops)
        encoding, ftype = ops[-1].output_encoding, ops[-1].output_type
    if not any(isinstance(op, IntegerLayer) for op in layers):
        raise UnsupportedModelError('the model has no quantized QDense, QConv, BatchNormalization or activation to fold')
    return Network(layers=tuple(layers), input_type=input_type, name=model.name)
