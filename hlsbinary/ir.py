"""The neutral integer description of a binary/ternary network.

Every consumer (hls4ml plugin, emulator, estimator) reads these frozen dataclasses; only
:mod:`hlsbinary.frontend` builds them.  All arithmetic they describe is on integers:

* ``acc_j = sum_i x_i * w_ij`` where ``x_i`` is the input in units of its LSB (``+-1``/``0`` for
  binary and ternary activations) and ``w_ij`` is in ``{-1, 0, +1}``;
* the output stage maps ``acc`` to levels (thresholds), to an exact fixed-point affine, or passes
  the integer score through.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class Encoding(str, enum.Enum):
    """How a tensor between layers is represented in hardware."""

    BITS = 'bits'  # binary activation: bit 1 means +1, bit 0 means -1
    TERNARY = 'ternary'  # ternary activation: ap_int<2> holding -1, 0, +1
    FIXED = 'fixed'  # fixed-point number ap_(u)fixed<width, integer>


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


@dataclass(frozen=True, eq=False)
class ThresholdStage:
    """Multi-threshold activation (FINN's MVTU, qonnx's MultiThreshold) on the integer accumulator.

    For channel ``j``: ``count_j = sum_k [acc_j >= T_jk]`` when ``decreasing[j]`` is False, and
    ``count_j = sum_k [acc_j <= T_jk]`` when it is True (a negative BatchNorm scale flips the
    comparison).  The output is ``levels[count_j]``.  ``thresholds`` has shape ``(n_out, len(levels) - 1)``.
    Constant channels (BatchNorm gamma == 0) have thresholds outside the accumulator range.
    """

    thresholds: np.ndarray
    decreasing: np.ndarray
    levels: tuple[int, ...]

    @property
    def encoding(self) -> Encoding:
        return Encoding.BITS if self.levels == (-1, 1) else Encoding.TERNARY


@dataclass(frozen=True, eq=False)
class AffineStage:
    """Exact fixed-point affine output: ``y_j = (scale[j] * acc_j + offset[j]) * 2**-frac``.

    ``scale`` and ``offset`` are integers; ``out_type`` holds every value ``y`` can take exactly.
    It approximates QKeras's real output (bias and final BatchNorm folded) to well within 1e-3.
    """

    scale: np.ndarray
    offset: np.ndarray
    frac: int
    out_type: FixedType


@dataclass(frozen=True, eq=False)
class BinaryDense:
    """One fully connected layer with weights in {-1, +1} (binary) or {-1, 0, +1} (ternary).

    ``weights`` has shape ``(n_in, n_out)``.  ``output`` is a :class:`ThresholdStage`, an
    :class:`AffineStage`, or ``None`` for raw integer scores ``acc``.
    ``keras_layers`` names the Keras layers the block was folded from (Dense, BatchNorm, activation).
    """

    name: str
    weights: np.ndarray
    input_encoding: Encoding
    input_type: FixedType | None
    output: ThresholdStage | AffineStage | None
    keras_layers: tuple[str, ...] = field(default=())

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[1])

    @property
    def ternary_weights(self) -> bool:
        return bool((self.weights == 0).any())

    @property
    def input_range(self) -> tuple[int, int]:
        """Range of one input in LSB units."""
        if self.input_encoding is Encoding.FIXED:
            return self.input_type.int_range
        return -1, 1

    @property
    def output_encoding(self) -> Encoding:
        if isinstance(self.output, ThresholdStage):
            return self.output.encoding
        return Encoding.FIXED


@dataclass(frozen=True, eq=False)
class Network:
    """A chain of :class:`BinaryDense` layers, the input precision and the Keras model's name."""

    layers: tuple[BinaryDense, ...]
    input_type: FixedType
    name: str = 'network'
