"""Bit-exact CPU emulation of the firmware the plugin generates, on the integer IR.

Two engines compute the same integers:

* ``'compiled'`` (default when a C compiler is present): the fixed-point first layer is a BLAS product of the
  quantized inputs, then ``csrc/emulate.c`` takes blocks of events through every layer: bit-packed XNOR-popcount
  (``acc = n - 2 popcount(x ^ w)``) for binary tensors, two-plane popcounts for ternary ones, integer products
  for multi-level activations and multi-bit weights; exact while every accumulator bound is below 2**30;
* ``'numpy'``: ``acc = x_int @ W`` with BLAS in float32 when every partial sum is an integer below 2**24 (exact),
  float64 below 2**53, then the output stage of :mod:`hlsbinary.fold`.

TensorFlow is needed only to read a Keras model; a :class:`~hlsbinary.ir.Network` emulates without it.
Outputs: binary and ternary levels -1/0/+1 (int8), multi-level activations their exact fixed-point values
(float64), affine layers their exact fixed-point values (float64), integer-score layers the scores (int64).
"""

from __future__ import annotations

import ctypes
import warnings
from dataclasses import dataclass, field

import numpy as np

from hlsbinary.errors import InputError
from hlsbinary.fold import accumulator_range, apply_affine, multithreshold, quantize_input
from hlsbinary.ir import AffineStage, Encoding, IntegerLayer, Network, Pool, ThresholdStage
from hlsbinary.kernel import emulator_thresholds, output_type

DEFAULT_BATCH = 8192
ENGINES = ('auto', 'compiled', 'numpy')
KERNEL_BOUND = 1 << 30  # int32 accumulators (and thresholds one beyond them) never wrap below this
KERNEL_MAX_WIDTH = 4096  # the kernel's bit planes hold 64 words of 64 bits (csrc/emulate.c: HLSB_MAX_WORDS)


def accumulator_bound(layer: IntegerLayer) -> int:
    """The largest ``|acc_j|`` the layer can reach over every input it can receive."""
    lo, hi = accumulator_range(layer.weights, layer.input_range)
    return max(-int(lo.min()), int(hi.max()))


def exact_weights(layer: IntegerLayer) -> np.ndarray:
    """The weights in the narrowest float type whose matrix products are exact for this layer's inputs."""
    bound = accumulator_bound(layer)
    if bound >= (1 << 53):
        raise OverflowError(f'layer {layer.name!r}: accumulator bound {bound} exceeds float64 integers')
    return layer.weights.astype(np.float32 if bound < (1 << 24) else np.float64)


def finish(acc: np.ndarray, layer: IntegerLayer) -> np.ndarray:
    """The layer's output in the next layer's input units: level codes, exact affine values, or scores (int64)."""
    if isinstance(layer.output, ThresholdStage):
        return multithreshold(acc, layer.output)
    if isinstance(layer.output, AffineStage):
        return apply_affine(acc, layer.output)
    return acc.astype(np.int64)


def present(out: np.ndarray, layer: IntegerLayer) -> np.ndarray:
    """An output as the user sees it: binary/ternary levels as int8, multi-level codes as their values (for a pool,
    ``layer`` is the layer whose levels it pools)."""
    stage = layer.output
    if isinstance(stage, ThresholdStage):
        if stage.out_type is None:
            return out.astype(np.int8)
        return np.ldexp(out.astype(np.float64), -stage.out_type.frac)
    return out


def layer_outputs(
    x_int: np.ndarray, layer: IntegerLayer, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(acc, out)`` of one layer for integer inputs (LSB units; +-1/0 for binary/ternary), with NumPy/BLAS;
    ``out`` is in the next layer's input units (see :func:`finish`).  A convolution sums each window (im2col; the
    padding adds 0) and thresholds every position with its filter's thresholds.

    ``weights`` is :func:`exact_weights` of the layer, computed once by callers that stream batches.
    """
    w = exact_weights(layer) if weights is None else weights
    if layer.window is None:
        acc = (x_int.astype(w.dtype, copy=False) @ w).astype(np.int64)
        return acc, finish(acc, layer)
    n = len(x_int)
    index = _window_index(layer.window)
    padded = np.concatenate([x_int.astype(w.dtype, copy=False), np.zeros((n, 1), w.dtype)], axis=1)  # index -1: 0
    acc = (padded[:, index].reshape(-1, layer.n_in) @ w).astype(np.int64).reshape(n, -1, layer.n_out)
    return acc.reshape(n, -1), finish(acc, layer).reshape(n, -1)


_INDEX_CACHE: dict = {}


def _window_index(window) -> np.ndarray:
    """``window.input_index()``, computed once per window."""
    key = (window.in_shape, window.kernel, window.strides, window.pads)
    if key not in _INDEX_CACHE:
        _INDEX_CACHE[key] = window.input_index()
    return _INDEX_CACHE[key]


def pool_outputs(x: np.ndarray, pool: Pool) -> np.ndarray:
    """Max (or, on ``take_min`` channels, min) of level codes over each pooling window; padding ignored."""
    window = pool.window
    c = window.channels
    index = _window_index(window).reshape(window.n_positions, -1, c)  # (positions, window elements, channels)
    values = x[:, np.maximum(index, 0)]  # (events, positions, elements, channels)
    real = (index >= 0)[None]
    big = np.iinfo(np.int64).max
    highest = np.where(real, values, -big).max(axis=2)
    lowest = np.where(real, values, big).min(axis=2)
    return np.where(pool.take_min[None, None, :], lowest, highest).reshape(len(x), -1)


def _pack_rows(mask: np.ndarray) -> np.ndarray:
    """``mask[n_in, n_out]`` as ``[n_words, n_out]`` uint64: bit ``i % 64`` of word ``i // 64`` is ``mask[i, j]``.

    The emulator's layout (event-minor words per input word), not the HLS project's rows (:mod:`hlsbinary.kernel`)."""
    n_in, n_out = mask.shape
    n_words = -(-n_in // 64)
    padded = np.zeros((n_words * 64, n_out), dtype=np.uint8)
    padded[:n_in] = mask
    packed = np.packbits(padded.reshape(n_words, 64, n_out), axis=1, bitorder='little')  # (n_words, 8, n_out)
    return np.ascontiguousarray(packed.transpose(0, 2, 1)).view('<u8').reshape(n_words, n_out)


class _KernelLayer(ctypes.Structure):
    _fields_ = [
        ('kind', ctypes.c_int32),
        ('n_in', ctypes.c_int32),
        ('n_out', ctypes.c_int32),
        ('n_words', ctypes.c_int32),
        ('n_thr', ctypes.c_int32),
        ('wp', ctypes.c_void_p),
        ('wn', ctypes.c_void_p),
        ('w', ctypes.c_void_p),
        ('table', ctypes.c_void_p),
        ('n_positions', ctypes.c_int32),
        ('out_size', ctypes.c_int32),
        ('thr', ctypes.c_void_p),
        ('flip', ctypes.c_void_p),
        ('out_codes', ctypes.c_int32),
        ('code_base', ctypes.c_int32),
        ('code_step', ctypes.c_int32),
        ('code_trace', ctypes.c_void_p),
        ('scale', ctypes.c_void_p),
        ('offset', ctypes.c_void_p),
        ('lsb', ctypes.c_double),
        ('trace', ctypes.c_void_p),
        ('acc_out', ctypes.c_void_p),
        ('affine_out', ctypes.c_void_p),
    ]


_PRODUCT, _XNOR, _PLANES, _CODES, _POOL = 0, 1, 2, 3, 4  # csrc/emulate.c: HLSB_IN_*


def _windowed(op) -> bool:
    return isinstance(op, Pool) or op.window is not None


def input_kind(network: Network, index: int) -> int:
    """How the kernel computes op ``index``: BLAS product, XNOR or two-plane popcounts on bit planes, integer
    products on codes (convolutions always, with their windows' table), or a pool of codes."""
    layer = network.layers[index]
    if isinstance(layer, Pool):
        return _POOL
    if layer.window is not None:
        return _CODES
    if index == 0:
        return _PRODUCT  # BLAS beat a fused in-kernel sum by 1.7x even at 16 inputs (measured)
    if _windowed(network.layers[index - 1]):
        return _CODES  # a convolution or pool hands codes on
    if layer.input_encoding is Encoding.BITS and layer.weight_kind == 'binary':
        return _XNOR
    if layer.input_encoding is not Encoding.FIXED and layer.weight_kind != 'integer':
        return _PLANES
    return _CODES


def outputs_codes(network: Network, index: int) -> bool:
    """Whether op ``index`` hands integer codes (not bit planes) on: convolutions and pools, multi-level outputs, or
    a consumer that reads codes."""
    layer = network.layers[index]
    if _windowed(layer):
        return True
    if not isinstance(layer.output, ThresholdStage):
        return False
    if layer.output.encoding is Encoding.FIXED:
        return True
    return index + 1 < len(network.layers) and input_kind(network, index + 1) in (_CODES, _POOL)


def kernel_refusal(network: Network) -> str | None:
    """Why the compiled kernel cannot run ``network`` exactly, or None if it can."""
    if network.input_type.width > 32:
        return f'input type {network.input_type.hls()} is wider than 32 bits'
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Pool):
            continue
        planes = input_kind(network, index) in (_XNOR, _PLANES) or not outputs_codes(network, index)
        if planes and max(layer.n_in, layer.n_out) > KERNEL_MAX_WIDTH:
            return f'layer {layer.name!r} is wider than {KERNEL_MAX_WIDTH}'
        if accumulator_bound(layer) >= KERNEL_BOUND:
            return f'layer {layer.name!r} can reach sums of 2**30 or more'
        stage = layer.output
        if isinstance(stage, AffineStage) and stage.out_type.width > 53:
            return f'layer {layer.name!r} has a {stage.out_type.width}-bit affine output, beyond double precision'
    return None


@dataclass
class CompiledNetwork:
    """A :class:`Network` laid out for the C kernel: the first layer's weights for BLAS, packed masks, integer
    weights and thresholds for the rest, and the ctypes descriptors pointing at them."""

    network: Network
    first_weights: np.ndarray  # float32 (or float64 when float32 sums could be inexact)
    arrays: list  # keeps every buffer the descriptors point to alive
    descriptors: ctypes.Array
    scratch: dict = field(default_factory=dict)

    @classmethod
    def build(cls, network: Network) -> CompiledNetwork:
        reason = kernel_refusal(network)
        if reason:
            raise ValueError(f'the compiled emulator cannot run network {network.name!r} exactly: {reason}')
        arrays, descs = [], (_KernelLayer * len(network.layers))()

        def keep(a):
            a = np.ascontiguousarray(a)
            arrays.append(a)
            return a.ctypes.data

        for index, (d, layer) in enumerate(zip(descs, network.layers, strict=True)):
            d.kind = input_kind(network, index)
            d.out_size, d.n_positions = layer.out_size, 1
            if isinstance(layer, Pool):
                window = layer.window
                d.n_in, d.n_out, d.n_positions = window.window_size, window.channels, window.n_positions
                d.table = keep(_window_index(window).astype(np.int32))
                d.flip, d.out_codes = keep(layer.take_min.astype(np.int32)), 1
                continue
            d.n_in, d.n_out, d.n_words = layer.n_in, layer.n_out, -(-layer.n_in // 64)
            if layer.window is not None:
                d.n_positions = layer.window.n_positions
                d.table = keep(_window_index(layer.window).astype(np.int32))
            if d.kind == _XNOR:
                d.wp = keep(_pack_rows(layer.weights > 0))
            elif d.kind == _PLANES:
                d.wp, d.wn = keep(_pack_rows(layer.weights > 0)), keep(_pack_rows(layer.weights < 0))
            elif d.kind == _CODES:
                d.w = keep(layer.weights.astype(np.int32))
            if isinstance(layer.output, ThresholdStage):
                thr, flip = emulator_thresholds(layer, d.kind == _XNOR)
                d.n_thr = thr.shape[1]
                d.thr, d.flip = keep(thr.T.astype(np.int32)), keep(flip.astype(np.int32))
                d.out_codes = outputs_codes(network, index)
                _, d.code_base, d.code_step = output_type(layer, levels_as_values=True)
            elif isinstance(layer.output, AffineStage):
                d.scale, d.offset = keep(layer.output.scale.astype(np.int64)), keep(layer.output.offset.astype(np.int64))
                d.lsb = 2.0**-layer.output.frac
        first = network.layers[0]
        if input_kind(network, 0) == _PRODUCT:
            weights = exact_weights(first)
        else:  # inputs go to the kernel as codes in floats: float32 holds them exactly up to 24 bits
            weights = np.ones((1, 1), np.float32 if network.input_type.width <= 24 else np.float64)
        return cls(network, weights, arrays, descs)

    def run(self, X: np.ndarray, outputs: list[np.ndarray | None], first_event: int) -> None:
        """Fill rows ``first_event ...`` of each layer's output buffer (None skips a layer): int8 levels, int32
        codes of multi-level layers, float64 affine values or int32 scores."""
        from hlsbinary.native import load_kernel

        kernel = load_kernel()
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        X = np.ascontiguousarray(X)
        w = self.first_weights
        single = w.dtype == np.float32
        n, n_in = X.shape
        x_int = self._scratch('x_int', (n, n_in), w.dtype)
        ftype = self.network.input_type
        bad = kernel.hlsb_quantize(
            ctypes.c_void_p(X.ctypes.data),
            ctypes.c_int32(X.dtype == np.float32),
            ctypes.c_int64(n),
            ctypes.c_int32(n_in),
            ctypes.c_int32(ftype.frac),
            ctypes.c_int32(ftype.width),
            ctypes.c_int32(ftype.signed),
            ctypes.c_void_p(x_int.ctypes.data),
            ctypes.c_int32(single),
        )
        if bad >= 0:
            raise InputError(
                f'input event {first_event + bad} holds a non-finite or huge value; the firmware input type '
                f'{ftype.hls()} cannot represent it meaningfully. Clean or clip the inputs.'
            )
        if input_kind(self.network, 0) == _PRODUCT:
            # [n_out][events]; exact: integers, every partial sum below the type's limit
            product = np.matmul(w.T, x_int.T, out=self._scratch('product', (w.shape[1], n), w.dtype))
            ld = product.strides[0] // product.itemsize
        else:  # a convolution or pool first: the kernel reads the quantized inputs themselves
            product, ld = x_int, n_in
        width = max(max(op.in_size, op.out_size) for op in self.network.layers)
        for d, layer, out in zip(self.descriptors, self.network.layers, outputs, strict=True):
            ptr = None if out is None else out.ctypes.data + first_event * out.strides[0]
            thresholded = isinstance(layer, Pool) or isinstance(layer.output, ThresholdStage)
            d.trace = ptr if thresholded and out is not None and out.dtype == np.int8 else None
            d.code_trace = ptr if thresholded and out is not None and out.dtype == np.int32 else None
            if isinstance(layer, Pool):
                continue
            d.affine_out = ptr if isinstance(layer.output, AffineStage) else None
            d.acc_out = ptr if layer.output is None else None
        status = kernel.hlsb_run(
            self.descriptors,
            ctypes.c_int32(len(self.descriptors)),
            ctypes.c_void_p(product.ctypes.data),
            ctypes.c_int32(single),
            ctypes.c_int64(n),
            ctypes.c_int64(ld),
            ctypes.c_int32(width),
        )
        if status != 0:
            raise MemoryError('the emulator kernel could not allocate its activation buffers')

    def _scratch(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """A reusable buffer: streaming batches allocate (and page-fault) once, not per batch."""
        buf = self.scratch.get(name)
        size = int(np.prod(shape))
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self.scratch[name] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)


def choose_engine(network: Network, engine: str = 'auto') -> str:
    """``'compiled'`` or ``'numpy'``: the compiled kernel when it can run the network and a compiler is present."""
    if engine not in ENGINES:
        raise ValueError(f'engine {engine!r} is not one of {ENGINES}')
    if engine == 'numpy':
        return engine
    reason = kernel_refusal(network)
    if reason is None:
        from hlsbinary.native import KernelUnavailable, load_kernel

        try:
            load_kernel()
            return 'compiled'
        except KernelUnavailable as err:
            reason = str(err)
    if engine == 'compiled':
        raise ValueError(f'engine=compiled is unavailable for network {network.name!r}: {reason}')
    warnings.warn(f'hlsbinary.emulate: using the slower NumPy engine ({reason})', stacklevel=3)
    return 'numpy'


def _window_batch(network: Network, budget: int = 1 << 24) -> int:
    """Events per batch keeping a convolution's im2col (events x positions x window elements) near ``budget``."""
    widest = (
        max(
            (op.window.n_positions * (op.n_in if isinstance(op, IntegerLayer) else op.window.window_size))
            for op in network.layers
            if op.window is not None
        )
        if any(op.window is not None for op in network.layers)
        else 1
    )
    return max(16, budget // widest)


def _output_buffer(layer, n: int, kernel: bool) -> np.ndarray:
    """Levels as int8, multi-level codes as int32 (kernel; values after the run) or their values (NumPy), affine
    values as float64, scores as int32 (kernel) or int64 (NumPy).  A pool's buffer is that of its levels' layer."""
    size = layer.out_size
    if isinstance(layer, Pool):
        if layer.input_encoding is not Encoding.FIXED:
            return np.empty((n, size), dtype=np.int8)
        return np.empty((n, size), dtype=np.int32 if kernel else np.float64)
    if isinstance(layer.output, ThresholdStage):
        if layer.output.out_type is not None:
            return np.empty((n, size), dtype=np.int32 if kernel else np.float64)
        return np.empty((n, size), dtype=np.int8)
    if isinstance(layer.output, AffineStage):
        return np.empty((n, size), dtype=np.float64)
    return np.empty((n, size), dtype=np.int32 if kernel else np.int64)


def emulate_network(
    network: Network, X: np.ndarray, batch_size: int = DEFAULT_BATCH, trace: bool = False, engine: str = 'auto'
):
    """Firmware outputs for real inputs ``X`` (converted to the input precision as ``ap_fixed`` does: floor, wrap).

    With ``trace=True`` also returns ``{layer name: output}`` for every layer.  Inputs are streamed
    ``batch_size`` rows at a time, so memory beyond the outputs stays flat in the number of events.
    """
    X = np.asarray(X)
    if X.dtype.kind not in 'biuf' or X.ndim < 1:
        raise InputError(f'inputs must be an array of numbers of shape (events, features), got {X.dtype} of shape {X.shape}')
    X = X.reshape(X.shape[0], -1)
    n = X.shape[0]
    if X.shape[1] != network.in_size:
        raise InputError(f'inputs have {X.shape[1]} features per event; network {network.name!r} takes {network.in_size}')
    kernel = choose_engine(network, engine) == 'compiled'
    layers = network.layers
    buffers = [_output_buffer(layer, n, kernel) if trace or layer is layers[-1] else None for layer in layers]
    compiled = CompiledNetwork.build(network) if kernel else None
    weights = None if kernel else [exact_weights(op) if isinstance(op, IntegerLayer) else None for op in layers]
    batch_size = min(batch_size, _window_batch(network))
    for start in range(0, n, batch_size):
        chunk = X[start : start + batch_size]
        if kernel:
            compiled.run(chunk, buffers, start)
            continue
        finite = np.isfinite(chunk).all(axis=1)
        if not finite.all():
            raise InputError(
                f'input event {start + int(np.argmin(finite))} holds a non-finite value; the firmware input type '
                f'{network.input_type.hls()} cannot represent it meaningfully. Clean or clip the inputs.'
            )
        x = quantize_input(chunk, network.input_type)
        levels_of = None
        for w, buf, layer in zip(weights, buffers, layers, strict=True):
            if isinstance(layer, Pool):
                x = pool_outputs(x, layer)
            else:
                _, x = layer_outputs(x, layer, w)
                levels_of = layer
            if buf is not None:
                buf[start : start + len(chunk)] = present(x, levels_of)
    # scores and codes travel as int32 in the kernel; every output is returned in one type whichever engine ran
    results = [_returned(buf, level) for buf, level in zip(buffers, _levels_layers(layers), strict=True)]
    if trace:
        return results[-1], {layer.name: r for layer, r in zip(layers, results, strict=True)}
    return results[-1]


def _levels_layers(ops) -> list:
    """For each op, the integer layer whose outputs it carries (a pool carries the levels of the layer before)."""
    out, last = [], None
    for op in ops:
        last = op if isinstance(op, IntegerLayer) else last
        out.append(last)
    return out


def _returned(buf: np.ndarray | None, layer) -> np.ndarray | None:
    if buf is None or buf.dtype != np.int32:
        return buf
    if isinstance(layer, IntegerLayer) and isinstance(layer.output, ThresholdStage):
        return present(buf, layer)  # codes of a multi-level layer
    return buf.astype(np.int64)


def network_of(model, input_precision: str | None = None, integer_scores: bool = False) -> Network:
    """The integer IR of ``model``: a :class:`Network`, an hls4ml model made by the plugin, a QKeras model or a path."""
    if isinstance(model, Network):
        return model
    if hasattr(model, 'graph') and hasattr(model, 'config'):
        from hlsbinary.hls4ml_plugin.graph import network_from_hls4ml

        return network_from_hls4ml(model)
    from hlsbinary.frontend.keras_objects import load_model
    from hlsbinary.frontend.qkeras import read_network
    from hlsbinary.ir import parse_fixed

    if isinstance(model, str | bytes) or hasattr(model, '__fspath__'):
        model = load_model(str(model))
    return read_network(model, parse_fixed(input_precision) if input_precision else None, integer_scores=integer_scores)


def emulate(
    model,
    X: np.ndarray,
    input_precision: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    trace: bool = False,
    engine: str = 'auto',
    integer_scores: bool = False,
):
    """Emulate ``model`` bit for bit on inputs ``X``.

    ``model`` is a :class:`Network`, an hls4ml model converted with the VivadoBinary/VitisBinary backend, a
    QKeras model or a path to a saved one.  ``input_precision`` (e.g. ``'ap_fixed<16,6>'``, hls4ml's default if
    None) and ``integer_scores`` apply to QKeras models only; an hls4ml model carries its own.
    """
    network = network_of(model, input_precision, integer_scores)
    return emulate_network(network, X, batch_size=batch_size, trace=trace, engine=engine)


__all__ = ['CompiledNetwork', 'emulate', 'emulate_network', 'exact_weights', 'layer_outputs', 'network_of']
