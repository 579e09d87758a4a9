"""How a :class:`~hlsbinary.ir.BinaryDense` maps onto the HLS kernel: paths, widths and stored constants.

Pure NumPy on the IR, shared by the hls4ml layer and the estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hlsbinary.fold import accumulator_range, popcount_thresholds, signed_width, unsigned_width
from hlsbinary.ir import AffineStage, BinaryDense, Encoding, FixedType, ThresholdStage

WORD_BITS = 32
MAX_INPUTS = 1024  # ap_uint<N> is limited to AP_INT_MAX_W = 1024 bits by default


@dataclass(frozen=True)
class KernelPlan:
    """What the C++ kernel needs for one layer."""

    popcount: bool  # binary inputs x binary weights: XNOR + popcount
    n_words: int
    accum: FixedType  # type of the tree's result (popcount, or acc in input units)
    score: FixedType  # signed acc in LSB units
    compare_width: int  # signed width of the value compared with thresholds
    threshold_width: int


def plan(layer: BinaryDense) -> KernelPlan:
    """Exact widths for every intermediate of ``layer``: nothing is left to a default precision."""
    lo, hi = accumulator_range(layer.weights, layer.input_range)
    score_w = signed_width(int(lo.min()), int(hi.max()))
    popcount = layer.input_encoding is Encoding.BITS and not layer.ternary_weights
    n_words = -(-layer.n_in // WORD_BITS)
    if popcount:
        accum = FixedType(unsigned_width(layer.n_in), unsigned_width(layer.n_in), False)
        compare_w = signed_width(-1, layer.n_in + 1)
        thr_w = compare_w
    else:
        frac = layer.input_type.frac if layer.input_encoding is Encoding.FIXED else 0
        accum = FixedType(score_w, score_w - frac, True)
        compare_w = signed_width(int(lo.min()) - 1, int(hi.max()) + 1)
        thr_w = compare_w
    return KernelPlan(popcount, n_words, accum, FixedType(score_w, score_w, True), compare_w, thr_w)


def pack_masks(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bit masks of ``w > 0`` and ``w < 0``, row ``j`` (output) packed little-endian into 32-bit words.

    Bit ``i`` of row ``j`` is bit ``i % 32`` of word ``j * n_words + i // 32``.  Shape ``(n_out * n_words,)``.
    """
    n_in, n_out = weights.shape
    n_words = -(-n_in // WORD_BITS)
    padded = np.zeros((n_out, n_words * WORD_BITS), dtype=np.uint64)

    def pack(mask):
        padded[:] = 0
        padded[:, :n_in] = mask.T
        bits = padded.reshape(n_out, n_words, WORD_BITS)
        return (bits << np.arange(WORD_BITS, dtype=np.uint64)).sum(axis=-1).astype(np.uint32).reshape(-1)

    return pack(weights > 0), pack(weights < 0)


def hardware_thresholds(layer: BinaryDense) -> np.ndarray:
    """Thresholds in the domain the kernel compares: popcount for XNOR layers, acc otherwise."""
    stage = layer.output
    assert isinstance(stage, ThresholdStage)
    if plan(layer).popcount:
        return popcount_thresholds(stage, layer.n_in)
    lo, hi = accumulator_range(layer.weights, layer.input_range)
    return np.clip(stage.thresholds, lo.min() - 1, hi.max() + 1)


def output_type(layer: BinaryDense, is_model_output: bool) -> tuple[FixedType, int, int]:
    """``(type, level_base, level_step)`` of the layer's output tensor.

    Hidden binary activations are single bits (1 = +1); binary network outputs and ternary activations
    are ``ap_int<2>`` holding -1/0/+1.  Affine outputs use the folded type, scores the score type.
    """
    stage = layer.output
    if isinstance(stage, ThresholdStage):
        if stage.encoding is Encoding.BITS and not is_model_output:
            return FixedType(1, 1, False), 0, 1
        step = 2 if stage.encoding is Encoding.BITS else 1
        return FixedType(2, 2, True), -1, step
    if isinstance(stage, AffineStage):
        return stage.out_type, 0, 1
    return plan(layer).score, 0, 1
