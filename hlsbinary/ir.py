"""The neutral integer description of a quantized network.

Every consumer (hls4ml plugin, emulator, estimator) reads these frozen dataclasses; only :mod:`hlsbinary.frontend`
builds them.  All arithmetic they describe is on integers.  For layer ``j`` of an :class:`IntegerLayer`:

* ``acc_j = sum_i x_i * w_ij``: ``x_i`` is the input in units of its LSB (``+-1``/``0`` for binary and ternary
  activations, the code ``k`` of a fixed-point value ``k * 2**-frac`` otherwise) and ``w_ij`` an integer (binary
  weights are ``+-1``, ternary ``-1/0/+1``, ``quantized_bits`` weights their integer codes).  Each output channel's
  weights carry a real scale (a power of two, or QKeras's ``alpha='auto'`` scale): it never reaches the hardware,
  because it is folded into the output stage;
* the output stage maps ``acc`` to levels (:class:`ThresholdStage`), to an exact fixed-point affine
  (:class:`AffineStage`), or passes the integer score through (``None``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

import numpy as np


class Encoding(str, enum.Enum):
    """How a tensor between layers is represented in hardware."""

    BITS = 'bits'  # two levels -1/+1 as one bit: 1 means +1, 0 means -1
    TERNARY = 'ternary'  # -1, 0, +1 as ap_int<2>
    FIXED = 'fixed'  # integer codes k of a fixed-point number k * 2**-frac: inputs, multi-level activations


@dataclass(frozen=True)
class FixedType:
    """A fixed-point type: ``width`` bits of which ``integer`` (sign included if signed) are integer bits.

    Values are ``k * 2**-(width - integer)`` with ``k`` in the signed/unsigned range of ``width`` bits.
    """

    width: int
    integer: int
    signed: bool = True

    @property
    def frac(self) -> int:
        return self.width - self.integer

    @property
    def int_range(self) -> tuple[int, int]:
        """Smallest and largest representable value in LSB units."""
        if self.signed:
            return -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        return 0, (1 << self.width) - 1

    def hls(self) -> str:
        if self.frac == 0:
            return f'ap_{"" if self.signed else "u"}int<{self.width}>'
        return f'ap_{"" if self.signed else "u"}fixed<{self.width},{self.integer}>'

    @classmethod
    def holding(cls, lo: int, hi: int, frac: int) -> FixedType:
        """The narrowest type holding every code in ``[lo, hi]`` with ``frac`` fractional bits."""
        if lo >= 0:
            width = max(1, int(hi).bit_length())
            return cls(width, width - frac, False)
        width = 1
        while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
            width += 1
        return cls(width, width - frac, True)


_FIXED = re.compile(r'^\s*(ap_)?(u?)(fixed|int)<\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?(?:,[^>]*)?>\s*$')


def parse_fixed(text: str) -> FixedType:
    """``'ap_fixed<16,6>'``, ``'fixed<8,1>'``, ``'ap_ufixed<8,0>'``, ``'int<8>'`` ... as a :class:`FixedType`."""
    m = _FIXED.match(str(text))
    if not m:
        raise ValueError(f'precision {text!r} is not a fixed-point or integer type such as ap_fixed<16,6> or ap_int<8>')
    unsigned, kind, width, integer = m.group(2), m.group(3), int(m.group(4)), m.group(5)
    integer = width if kind == 'int' else int(integer)
    return FixedType(width, integer, signed=not unsigned)


@dataclass(frozen=True, eq=False)
class ThresholdStage:
    """Multi-threshold activation (FINN's MVTU, qonnx's MultiThreshold) on the integer accumulator.

    For channel ``j``: ``count_j = sum_k [acc_j >= T_jk]`` when ``decreasing[j]`` is False, and
    ``count_j = sum_k [acc_j <= T_jk]`` when it is True (a negative BatchNorm scale flips the comparison).  The
    output code is ``levels[count_j]``; ``thresholds`` has shape ``(n_out, len(levels) - 1)``.  Constant channels
    (BatchNorm gamma == 0) have thresholds outside the accumulator range.

    ``out_type`` gives the codes their value (``code * 2**-out_type.frac``) for multi-level outputs (quantized ReLU,
    ``quantized_bits``); it is None for the -1/+1 and -1/0/+1 levels of binary and ternary activations.
    """

    thresholds: np.ndarray
    decreasing: np.ndarray
    levels: tuple[int, ...]
    out_type: FixedType | None = None

    @property
    def encoding(self) -> Encoding:
        if self.out_type is None and self.levels == (-1, 1):
            return Encoding.BITS
        if self.out_type is None and self.levels == (-1, 0, 1):
            return Encoding.TERNARY
        return Encoding.FIXED

    @property
    def lsb(self) -> float:
        """The value of one code step."""
        return 1.0 if self.out_type is None else 2.0**-self.out_type.frac

    @property
    def value_type(self) -> FixedType:
        """A fixed-point type holding every output value exactly (ternary and binary levels as ap_int<2>)."""
        if self.out_type is not None:
            return self.out_type
        return FixedType(2, 2, True)


@dataclass(frozen=True, eq=False)
class AffineStage:
    """Exact fixed-point affine output: ``y_j = (scale[j] * acc_j + offset[j]) * 2**-frac``.

    ``scale`` and ``offset`` are integers; ``out_type`` holds every value ``y`` can take exactly.
    It approximates QKeras's real output (bias and final BatchNorm folded) to a relative 2**-20 of the scale.
    """

    scale: np.ndarray
    offset: np.ndarray
    frac: int
    out_type: FixedType


@dataclass(frozen=True)
class Window:
    """Where a layer applies: every window of a channels-last input (a convolution, or a pooling window).

    ``in_shape`` is the input's spatial dimensions then its channels (``(H, W, C)`` or ``(L, C)``); ``kernel``,
    ``strides`` and ``pads`` (zeros ``(before, after)`` each spatial dimension) follow Keras (``'same'`` padding puts
    the odd one after).  Window elements are ordered like a Keras kernel ``(kh, kw, C)``, positions and outputs
    channels-last ``(oy, ox, filter)``, so that Flatten moves no value.
    """

    in_shape: tuple[int, ...]
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]

    @property
    def channels(self) -> int:
        return int(self.in_shape[-1])

    @property
    def out_spatial(self) -> tuple[int, ...]:
        return tuple(
            (n + b + a - k) // s + 1
            for n, k, s, (b, a) in zip(self.in_shape[:-1], self.kernel, self.strides, self.pads, strict=True)
        )

    @property
    def n_positions(self) -> int:
        return int(np.prod(self.out_spatial))

    @property
    def window_size(self) -> int:
        return int(np.prod(self.kernel)) * self.channels

    @property
    def in_size(self) -> int:
        return int(np.prod(self.in_shape))

    def input_index(self) -> np.ndarray:
        """``(n_positions, window_size)``: the flat input index of each window element, -1 in the padding."""
        dims = len(self.kernel)
        grids = np.meshgrid(*[np.arange(n) for n in self.out_spatial], indexing='ij')
        offsets = np.meshgrid(*[np.arange(k) for k in self.kernel], indexing='ij')
        coords, valid = [], np.ones((self.n_positions, int(np.prod(self.kernel))), dtype=bool)
        for d in range(dims):
            pos = grids[d].reshape(-1, 1) * self.strides[d] - self.pads[d][0] + offsets[d].reshape(1, -1)
            valid &= (pos >= 0) & (pos < self.in_shape[d])
            coords.append(pos)
        flat = np.zeros_like(coords[0])
        for d in range(dims):
            flat = flat * self.in_shape[d] + coords[d]
        c = self.channels
        index = flat[:, :, None] * c + np.arange(c)[None, None, :]
        index = np.where(valid[:, :, None], index, -1)
        return index.reshape(self.n_positions, -1)

    @classmethod
    def of_keras(cls, in_shape, kernel, strides, padding: str) -> Window:
        """The window of a Keras layer (``padding`` 'valid', 'same' or, for Conv1D, 'causal': TensorFlow's
        conventions, 'causal' being k - 1 zeros before the sequence)."""
        if padding not in ('valid', 'same', 'causal'):
            raise ValueError(f"padding {padding!r}: one of 'valid', 'same', 'causal'")
        pads = []
        for n, k, s in zip(in_shape[:-1], kernel, strides, strict=True):
            if padding == 'same':
                out = -(-n // s)
                total = max((out - 1) * s + k - n, 0)
                pads.append((total // 2, total - total // 2))
            elif padding == 'causal':
                pads.append((k - 1, 0))
            else:
                pads.append((0, 0))
        return cls(
            tuple(int(v) for v in in_shape), tuple(int(v) for v in kernel), tuple(int(v) for v in strides), tuple(pads)
        )


@dataclass(frozen=True, eq=False)
class IntegerLayer:
    """One fully connected integer layer: ``acc = x @ weights`` then an output stage.

    ``weights`` has shape ``(n_in, n_out)``, integers; binary weights are the two-level case ``{-1, +1}``, ternary
    the three-level ``{-1, 0, +1}``.  ``output`` is a :class:`ThresholdStage`, an :class:`AffineStage`, or ``None``
    for raw integer scores.  ``keras_layers`` names the Keras layers the block was folded from (Dense, BatchNorm,
    activation); ``weight_scale`` is each output channel's real weight scale (documentation: it is folded into the
    output stage), None where it is 1.
    """

    name: str
    weights: np.ndarray
    input_encoding: Encoding
    input_type: FixedType | None
    output: ThresholdStage | AffineStage | None
    keras_layers: tuple[str, ...] = field(default=())
    weight_scale: np.ndarray | None = None
    window: Window | None = None  # a convolution: the weights apply to every window of the input

    @property
    def n_in(self) -> int:
        """Inputs of one neuron (a window's elements for a convolution)."""
        return int(self.weights.shape[0])

    @property
    def n_out(self) -> int:
        """Outputs per position (the filters of a convolution)."""
        return int(self.weights.shape[1])

    @property
    def in_size(self) -> int:
        """Elements of the input tensor."""
        return self.window.in_size if self.window is not None else self.n_in

    @property
    def out_size(self) -> int:
        """Elements of the output tensor (channels-last)."""
        return self.n_out * (self.window.n_positions if self.window is not None else 1)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (*self.window.out_spatial, self.n_out) if self.window is not None else (self.n_out,)

    @property
    def weight_kind(self) -> str:
        """``'binary'`` (all weights +-1), ``'ternary'`` (in -1/0/+1, some 0) or ``'integer'`` (multi-bit)."""
        w = self.weights
        if np.all(np.abs(w) == 1):
            return 'binary'
        if np.all(np.abs(w) <= 1):
            return 'ternary'
        return 'integer'

    @property
    def ternary_weights(self) -> bool:
        """Whether any weight is 0 (so an XNOR-popcount cannot compute the layer)."""
        return bool((self.weights == 0).any())

    @property
    def weight_bits(self) -> int:
        """Bits of the narrowest signed integer holding every weight (1 for binary: one bit per weight in hardware)."""
        if self.weight_kind == 'binary':
            return 1
        return FixedType.holding(int(self.weights.min()), int(self.weights.max()), 0).width

    @property
    def input_range(self) -> tuple[int, int]:
        """Range of one input in LSB units."""
        if self.input_encoding is Encoding.FIXED:
            return self.input_type.int_range
        if self.input_encoding is Encoding.BITS:
            return -1, 1
        return -1, 1

    @property
    def output_encoding(self) -> Encoding:
        if isinstance(self.output, ThresholdStage):
            return self.output.encoding
        return Encoding.FIXED

    @property
    def output_type(self) -> FixedType | None:
        """The fixed-point type of a multi-level output (the next layer's input type), None otherwise."""
        if isinstance(self.output, ThresholdStage):
            return self.output.out_type
        return None


@dataclass(frozen=True, eq=False)
class Pool:
    """Max-pooling of the level codes of the layer before it, per channel (on bits: an OR).

    ``take_min`` channels take the minimum instead: a max-pool of the *accumulator* before a decreasing threshold
    (negative BatchNorm scale) equals the minimum of the thresholded levels.  A window reaching into ``'same'``
    padding pools over its real inputs only.  Encoding and type pass through unchanged.
    """

    name: str
    window: Window
    take_min: np.ndarray
    input_encoding: Encoding
    input_type: FixedType | None
    keras_layers: tuple[str, ...] = field(default=())

    @property
    def in_size(self) -> int:
        return self.window.in_size

    @property
    def out_size(self) -> int:
        return self.window.n_positions * self.window.channels

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (*self.window.out_spatial, self.window.channels)

    @property
    def output_encoding(self) -> Encoding:
        return self.input_encoding

    @property
    def output_type(self) -> FixedType | None:
        return self.input_type


@dataclass(frozen=True, eq=False)
class Network:
    """A chain of :class:`IntegerLayer` s and :class:`Pool` s, the input precision and the Keras model's name.

    Tensors are flat in channels-last order, so Flatten and Reshape between them move no value."""

    layers: tuple[IntegerLayer | Pool, ...]
    input_type: FixedType
    name: str = 'network'

    @property
    def in_size(self) -> int:
        return self.layers[0].in_size

    @property
    def integer_layers(self) -> tuple[IntegerLayer, ...]:
        return tuple(layer for layer in self.layers if isinstance(layer, IntegerLayer))
