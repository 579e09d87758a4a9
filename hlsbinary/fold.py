"""The threshold and width mathematics, pure NumPy: the one place the plugin, emulator and estimator use.

Notation: ``acc_j = sum_i x_i w_ij`` (integers).  For binary inputs and binary weights the hardware
counts agreements instead, ``p_j = popcount(XNOR(x, w_j))``, and ``acc_j = 2 p_j - n``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hlsbinary.ir import AffineStage, FixedType, ThresholdStage

# Significant bits kept for the scale of a folded output affine: relative error <= 2**-20.
AFFINE_SIGNIFICANT_BITS = 20


def accumulator_range(weights: np.ndarray, input_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel, the smallest and largest ``sum_i x_i w_ij`` over inputs ``x_i`` in ``input_range``."""
    x_lo, x_hi = input_range
    w = weights.astype(np.int64)
    lo = np.minimum(w * x_lo, w * x_hi).sum(axis=0)
    hi = np.maximum(w * x_lo, w * x_hi).sum(axis=0)
    return lo, hi


def signed_width(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement integer type holding every value in ``[lo, hi]``.

    For ``[-n, n]`` this is ``ceil(log2(n + 1)) + 1``.
    """
    lo, hi = int(lo), int(hi)
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width


def unsigned_width(hi: int) -> int:
    """Bits of the smallest unsigned integer type holding ``[0, hi]`` (at least 1)."""
    return max(1, int(hi).bit_length())


def find_thresholds(
    value_fn: Callable[[np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    levels: tuple[int, ...],
    out_type: FixedType | None = None,
) -> ThresholdStage:
    """Exact integer thresholds of a monotone step function of the accumulator.

    ``value_fn`` maps an integer array ``acc`` of shape ``(m, n_out)`` to the activation's output (the reference
    framework's own float arithmetic, ties and zero conventions included).  It must be monotone in ``acc`` per
    channel, which holds for Dense -> BatchNorm -> any monotone quantizer.  Its outputs are the codes ``levels``
    (increasing integers) times ``2**-out_type.frac`` (times 1 without ``out_type``).  The direction is read off the
    ends of ``[lo, hi]``; each level boundary is found by bisection on the integers, so the result reproduces
    ``value_fn`` at every integer in range, exactly (:func:`verify_thresholds` proves it).
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    lsb = 1.0 if out_type is None else 2.0**-out_type.frac
    ends = value_fn(np.stack([lo, hi]))
    decreasing = ends[1] < ends[0]
    # Search on u = acc (increasing) or u = -acc (decreasing): g(u) is then non-decreasing.
    u_lo = np.where(decreasing, -hi, lo)
    u_hi = np.where(decreasing, -lo, hi)
    sign = np.where(decreasing, -1, 1)
    bounds = np.asarray(levels[1:], dtype=np.float64) * lsb  # output >= bounds[k] <=> count > k
    n_thr = len(bounds)
    left = np.repeat(u_lo[None, :], n_thr, axis=0)
    right = np.repeat(u_hi[None, :] + 1, n_thr, axis=0)  # u_hi + 1 stands for "never"
    while (left < right).any():
        mid = (left + right) // 2
        probe = np.minimum(mid, u_hi[None, :])
        reached = value_fn(probe * sign[None, :]) >= bounds[:, None]
        active = left < right
        right = np.where(active & reached, mid, right)
        left = np.where(active & ~reached, mid + 1, left)
    thresholds = (left * sign[None, :]).T.copy()  # (n_out, n_thr) in the accumulator domain
    return ThresholdStage(
        thresholds=thresholds, decreasing=decreasing, levels=tuple(int(v) for v in levels), out_type=out_type
    )


def verify_thresholds(
    value_fn: Callable[[np.ndarray], np.ndarray], stage: ThresholdStage, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Channels where ``stage`` disagrees with ``value_fn`` at a step (empty when exact).

    For a monotone ``value_fn`` agreement at both sides of every threshold (``T_k`` and the integer before it, in
    the direction of the channel) and at the ends of ``[lo, hi]`` implies agreement at every integer in between:
    between two steps both functions are constant.  This also catches output values that are not among the levels.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    t = stage.thresholds
    back = np.where(stage.decreasing[:, None], t + 1, t - 1)
    points = np.concatenate([t, back, lo[:, None], hi[:, None]], axis=1)
    points = np.clip(points, lo[:, None], hi[:, None]).T  # (m, n_out)
    expected = multithreshold(points, stage).astype(np.float64) * stage.lsb
    got = np.asarray(value_fn(points), dtype=np.float64)
    return np.flatnonzero((got != expected).any(axis=0))


def multithreshold(acc: np.ndarray, stage: ThresholdStage) -> np.ndarray:
    """The level code each accumulator value maps to: ``levels[sum_k [acc >= T_k]]`` (``<=`` where decreasing)."""
    acc = acc[..., None]
    up = acc >= stage.thresholds
    down = acc <= stage.thresholds
    count = np.where(stage.decreasing[:, None], down, up).sum(axis=-1)
    return np.asarray(stage.levels, dtype=np.int64)[count]


def fold_affine(scale: np.ndarray, offset: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> AffineStage:
    """Quantize a real affine ``y = scale * acc + offset`` to exact fixed point.

    ``scale`` and ``offset`` become integers over a common ``2**frac`` with ``AFFINE_SIGNIFICANT_BITS``
    significant bits for the largest scale; the output type holds ``y`` over ``acc`` in ``[lo, hi]``
    without rounding, so the hardware result is exactly ``(S * acc + O) * 2**-frac``.
    """
    scale = np.asarray(scale, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    biggest = float(np.max(np.abs(scale))) if np.any(scale) else 1.0
    frac = AFFINE_SIGNIFICANT_BITS - int(np.floor(np.log2(biggest))) - 1
    frac = max(frac, 0)
    s_int = np.round(scale * 2.0**frac).astype(np.int64)
    o_int = np.round(offset * 2.0**frac).astype(np.int64)
    y_lo = np.minimum(s_int * lo, s_int * hi) + o_int
    y_hi = np.maximum(s_int * lo, s_int * hi) + o_int
    width = signed_width(int(y_lo.min()), int(y_hi.max()))
    return AffineStage(scale=s_int, offset=o_int, frac=frac, out_type=FixedType(width, width - frac, True))


def apply_affine(acc: np.ndarray, stage: AffineStage) -> np.ndarray:
    """``(scale * acc + offset) * 2**-frac`` computed exactly in integers, returned as float64."""
    y = acc.astype(np.int64) * stage.scale + stage.offset
    return np.ldexp(y.astype(np.float64), -stage.frac)


def quantize_input(x: np.ndarray, ftype: FixedType) -> np.ndarray:
    """Real inputs to LSB units the way ``ap_fixed<W,I>`` (AP_TRN, AP_WRAP) converts them: floor, then wrap."""
    k = np.floor(np.ldexp(np.asarray(x, dtype=np.float64), ftype.frac)).astype(np.int64)
    lo, hi = ftype.int_range
    span = hi - lo + 1
    return (k - lo) % span + lo
