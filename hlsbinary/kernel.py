"""How the hardware encodes an :class:`~hlsbinary.ir.IntegerLayer`: the one home of the kernel-domain mathematics.

Pure NumPy on the IR, used by the hls4ml plugin (constants and C++ types of ``nnet_integer_dense.h``), by the
emulator (its compiled kernel works in the same domains) and by the estimator (it counts the same adders).

* **Paths.**  Binary inputs (bits) times binary weights: XNOR with the weight row, then a popcount
  ``p = #agreements`` and ``acc = 2p - n``.  Everything else: an add/sub tree over *digit planes*: each weight is
  written in canonical signed-digit form ``w = sum_e s_e 2^e`` (``s_e`` in -1/0/+1, no two adjacent nonzero), and
  leaf ``(e, i)`` contributes ``+x_i << e``, ``-x_i << e`` or nothing.  Binary and ternary weights are the one-plane
  case; no multiplication anywhere.
* **Thresholds** are compared in the path's own domain: the popcount ``p = (acc + n) / 2`` for XNOR layers
  (agreement domain, the HLS kernel), the disagreement count ``d = (n - acc) / 2`` in the emulator's kernel, the
  accumulator itself otherwise; each is clipped just outside the reachable range, which keeps every outcome and
  bounds the comparator width.
* **Widths**: every intermediate (tree result, score, compared value, thresholds, affine constants and product,
  outputs) is derived here, so nothing is left to a default precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hlsbinary.fold import accumulator_range, signed_width, unsigned_width
from hlsbinary.ir import AffineStage, Encoding, FixedType, IntegerLayer, Pool, ThresholdStage

HLS_WORD_BITS = 32  # weight masks in the HLS project: 32-bit words (ap_uint<32> constants)


# ---- digit planes ---------------------------------------------------------------------------------------------------


def csd(value: int) -> list[tuple[int, int]]:
    """Canonical signed-digit form of an integer: ``[(shift, sign), ...]`` with ``value = sum sign * 2**shift``.

    It has the fewest nonzero digits of any signed-digit form (no two adjacent), hence the fewest adders."""
    value, shift, digits = int(value), 0, []
    while value:
        if value & 1:
            digit = 2 - (value & 3)  # +1 if value % 4 == 1, -1 if value % 4 == 3
            digits.append((shift, digit))
            value -= digit
        value >>= 1
        shift += 1
    return digits


def csd_digits(value: int) -> int:
    """Number of nonzero canonical signed digits of ``value`` (a shift-and-add multiplier needs one adder less)."""
    return len(csd(value))


def digit_planes(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pos, neg)``, each ``(n_planes, n_in, n_out)`` bool: digit ``e`` of ``w_ij`` is +1 / -1.

    ``sum_e (pos[e] - neg[e]) * 2**e == weights`` exactly; binary and ternary weights have one plane."""
    w = np.asarray(weights, dtype=np.int64)
    n_planes = max(1, int(np.abs(w).max()).bit_length() + 1 if w.size and np.abs(w).max() > 1 else 1)
    pos = np.zeros((n_planes, *w.shape), dtype=bool)
    neg = np.zeros((n_planes, *w.shape), dtype=bool)
    rest = w.copy()
    for e in range(n_planes):
        odd = (rest & 1).astype(bool)
        digit = np.where(odd, 2 - (rest & 3), 0)  # CSD digit at position e
        pos[e] = digit == 1
        neg[e] = digit == -1
        rest = (rest - digit) >> 1
    assert not rest.any(), 'digit planes lost a weight'
    used = pos.any(axis=(1, 2)) | neg.any(axis=(1, 2))
    keep = max(1, int(np.flatnonzero(used).max()) + 1) if used.any() else 1
    return pos[:keep], neg[:keep]


def pack_rows(mask: np.ndarray, word_bits: int = HLS_WORD_BITS) -> np.ndarray:
    """``mask[n_bits, n_out]`` packed per output row into little-endian words: bit ``b`` of row ``j`` is bit
    ``b % word_bits`` of word ``j * n_words + b // word_bits``.  Shape ``(n_out * n_words,)``."""
    n_bits, n_out = mask.shape
    n_words = -(-n_bits // word_bits)
    padded = np.zeros((n_out, n_words * word_bits), dtype=np.uint64)
    padded[:, :n_bits] = mask.T
    bits = padded.reshape(n_out, n_words, word_bits)
    words = (bits << np.arange(word_bits, dtype=np.uint64)).sum(axis=-1)
    return words.astype(np.uint32 if word_bits == 32 else np.uint64).reshape(-1)


# ---- the plan: path and every width ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KernelPlan:
    """What the C++ kernel needs for one layer: its path and every type."""

    path: str  # 'xnor' (binary inputs x binary weights) or 'addsub' (digit-plane add/sub tree)
    n_planes: int  # digit planes of the weights (1 for binary/ternary)
    n_leaves: int  # leaves of the tree: n_in for xnor, n_planes * n_in for addsub
    n_words: int  # HLS words per output row of a mask
    accum: FixedType  # the tree's result: the popcount, or acc in input LSB units (an integer)
    score: FixedType  # signed acc as an integer
    compare_width: int  # signed width of the value compared with thresholds
    threshold_width: int  # signed width of the stored thresholds

    @property
    def popcount(self) -> bool:
        return self.path == 'xnor'


def accumulator_bounds(layer: IntegerLayer) -> tuple[int, int]:
    """Smallest and largest ``acc_j`` over every channel and every input the layer can receive."""
    lo, hi = accumulator_range(layer.weights, layer.input_range)
    return int(lo.min()), int(hi.max())


def plan(layer: IntegerLayer) -> KernelPlan:
    """Exact widths for every intermediate of ``layer``."""
    lo, hi = accumulator_bounds(layer)
    score_w = signed_width(lo, hi)
    if layer.input_encoding is Encoding.BITS and layer.weight_kind == 'binary':
        n_leaves = layer.n_in
        accum = FixedType(unsigned_width(layer.n_in), unsigned_width(layer.n_in), False)
        # agreements p in [0, n] against ceil((T + n_real) / 2), which a window into padding can take below 0
        compare_w = signed_width(-layer.n_in - 1, layer.n_in + 1)
        n_planes = 1
        path = 'xnor'
    else:
        n_planes = digit_planes(layer.weights)[0].shape[0]
        n_leaves = n_planes * layer.n_in
        accum = FixedType(score_w, score_w, True)  # the tree sums input codes (LSB units) as integers
        compare_w = signed_width(lo - 1, hi + 1)
        path = 'addsub'
    return KernelPlan(
        path=path,
        n_planes=n_planes,
        n_leaves=n_leaves,
        n_words=-(-n_leaves // HLS_WORD_BITS),
        accum=accum,
        score=FixedType(score_w, score_w, True),
        compare_width=compare_w,
        threshold_width=compare_w,
    )


def hls_masks(layer: IntegerLayer) -> tuple[np.ndarray, np.ndarray]:
    """The HLS kernel's weight masks, packed rows of 32-bit words over the plan's leaves.

    XNOR path: bit ``i`` is ``w_i > 0`` (and the second mask is unused zeros).  Add/sub path: leaf ``e * n_in + i``
    is digit plane ``e`` of input ``i``; one mask for +1 digits, one for -1 digits."""
    if plan(layer).popcount:
        pos = layer.weights > 0
        return pack_rows(pos), pack_rows(np.zeros_like(pos))
    pos, neg = digit_planes(layer.weights)
    return pack_rows(pos.reshape(-1, layer.n_out)), pack_rows(neg.reshape(-1, layer.n_out))


# ---- thresholds in the hardware's domains ---------------------------------------------------------------------------


def clipped_thresholds(layer: IntegerLayer) -> np.ndarray:
    """Thresholds in the accumulator domain, clipped to one beyond the reachable range (outcomes unchanged)."""
    lo, hi = accumulator_bounds(layer)
    return np.clip(layer.output.thresholds, lo - 1, hi + 1)


def hls_thresholds(layer: IntegerLayer) -> np.ndarray:
    """Thresholds as the HLS kernel stores them: in the accumulator domain, clipped (:func:`clipped_thresholds`).

    The XNOR path compares its agreements ``p`` instead, converting each threshold where it is used (a constant
    once unrolled) with the number ``n`` of real inputs of the window (all of them for a Dense layer):
    ``acc >= T  <=>  p >= ceil((T + n) / 2)`` and ``acc <= T  <=>  p <= floor((T + n) / 2)``
    (:func:`popcount_threshold`)."""
    assert isinstance(layer.output, ThresholdStage)
    return clipped_thresholds(layer)


def popcount_threshold(t_acc: np.ndarray, n_real, decreasing: np.ndarray) -> np.ndarray:
    """The agreement-domain threshold of an accumulator-domain one (what the HLS kernel computes inline)."""
    t = np.asarray(t_acc) + n_real
    return np.where(decreasing, t // 2, -((-t) // 2))


def emulator_thresholds(layer: IntegerLayer, disagreements: bool) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds and flips such that ``hit_k = [a >= thr_k] xor flip`` equals the stage's comparison, for the
    emulator's kernel (which only compares ``>=``).

    With ``a = acc``: increasing ``thr = T``, flip 0; decreasing ``acc <= T <=> not acc >= T + 1``.
    With ``a = d`` disagreements of an XNOR layer (``acc = n - 2d``): ``acc >= T <=> d <= floor((n - T) / 2)
    <=> not d >= floor((n - T) / 2) + 1``, and ``acc <= T <=> d >= ceil((n - T) / 2)``."""
    stage = layer.output
    t = clipped_thresholds(layer)
    down = stage.decreasing[:, None]
    if not disagreements:
        return t + down, stage.decreasing.copy()
    u = layer.n_in - t
    return np.where(down, -((-u) // 2), u // 2 + 1), ~stage.decreasing


# ---- output and affine types ----------------------------------------------------------------------------------------


def output_type(layer: IntegerLayer, levels_as_values: bool) -> tuple[FixedType, int, int]:
    """``(type, level_base, level_step)`` of the layer's output tensor: code = base + step * count.

    Binary levels feeding another hlsbinary layer are single bits (``ap_uint<1>``, 1 = +1); binary levels that are
    the model's output or feed hls4ml's standard path are the numbers -1/+1 (``levels_as_values``); ternary levels
    are ``ap_int<2>``; multi-level outputs are the codes of their fixed-point type.  Affine outputs use the folded
    type, scores the score type.
    """
    stage = layer.output
    if isinstance(stage, ThresholdStage):
        encoding = stage.encoding
        if encoding is Encoding.BITS:
            return (FixedType(2, 2, True), -1, 2) if levels_as_values else (FixedType(1, 1, False), 0, 1)
        if encoding is Encoding.TERNARY:
            return FixedType(2, 2, True), -1, 1
        t = stage.out_type
        if t.width == 1 and not t.signed:  # ap_uint<1> means a binary level (bit 1 = +1) to the kernel: widen
            t = FixedType(2, t.integer + 1, False)
        return t, stage.levels[0], 1
    if isinstance(stage, AffineStage):
        return stage.out_type, 0, 1
    return plan(layer).score, 0, 1


def affine_types(layer: IntegerLayer) -> tuple[FixedType, FixedType, FixedType]:
    """``(scale_t, offset_t, product_t)`` of a folded affine output ``y = (S * s + O) 2**-frac``, all integers.

    ``S`` and ``O`` need their signed widths; the product of ``S`` with the score ``s`` needs ``width(S) + width(s)``
    bits; the sum, the output type's width (its raw bits are the output)."""
    stage = layer.output
    assert isinstance(stage, AffineStage)
    score = plan(layer).score
    widths = [signed_width(int(np.min(ints)), int(np.max(ints))) for ints in (stage.scale, stage.offset)]
    product_w = widths[0] + score.width
    return (
        FixedType(widths[0], widths[0], True),
        FixedType(widths[1], widths[1], True),
        FixedType(product_w, product_w, True),
    )


STORAGE_BITS = 32  # thresholds and affine constants are stored as ap_int<32>/<64> (constants: their storage type
# costs no hardware; one type for every layer compiles faster) and cast to their exact types where they are used


MAXIMUM_PARTITION = 4096  # hls4ml's MaximumSize: config_array_partition -maximum_size in build_prj.tcl


def partitioned_arrays(layer: IntegerLayer | Pool, io_type: str) -> dict[str, int]:
    """Elements of every array the generated code partitions completely for ``layer``: Vivado/Vitis HLS will not
    partition one beyond ``MaximumSize`` (hls4ml's config key, 4,096 by default)."""
    arrays: dict[str, int] = {}
    if io_type == 'io_parallel':
        arrays['output'] = layer.out_size  # hls4ml partitions every io_parallel tensor
    elif layer.window is not None:  # the line buffer (hlsb_stream_windows)
        w = layer.window
        kh = 1 if len(w.kernel) == 1 else w.kernel[0]
        padded_width = w.in_shape[-2] + sum(w.pads[-1])
        arrays['line buffer'] = kh * padded_width * w.channels
    else:
        arrays['gathered inputs'] = layer.in_size
    if isinstance(layer, IntegerLayer):
        kp = plan(layer)
        arrays['weight masks'] = layer.n_out * kp.n_words
        if isinstance(layer.output, ThresholdStage):
            arrays['thresholds'] = layer.output.thresholds.size
    return arrays


def partition_warnings(layer: IntegerLayer | Pool, io_type: str, maximum: int = MAXIMUM_PARTITION) -> list[str]:
    """One sentence per array of ``layer`` too large to partition (empty when the layer fits)."""
    hint = 'io_stream, fewer neurons or filters' if io_type == 'io_parallel' else 'fewer neurons or filters'
    return [
        f'layer {layer.name!r}: its {name} array has {size:,} elements, more than MaximumSize {maximum:,}: Vivado/Vitis '
        f'HLS will not partition it completely and the design will not be fully parallel (use {hint}, or raise '
        'MaximumSize in the HLS config)'
        for name, size in partitioned_arrays(layer, io_type).items()
        if size > maximum
    ]
