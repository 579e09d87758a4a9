"""The threshold mathematics against brute force, on hostile cases (ties, flips, constant channels)."""

import numpy as np
import pytest

from hlsbinary.fold import (
    accumulator_range,
    apply_affine,
    find_thresholds,
    fold_affine,
    multithreshold,
    popcount_thresholds,
    quantize_input,
    signed_width,
)
from hlsbinary.ir import FixedType


def _step_fn(a, t, levels, tie_up):
    """A float32 BN + quantizer with a known tie rule: level boundary at a*(acc - t) == 0."""
    a = np.asarray(a, np.float32)
    t = np.asarray(t, np.float32)

    def fn(acc):
        y = (acc.astype(np.float32) - t) * a
        if len(levels) == 2:
            return np.where(y > 0, 1.0, np.where(y < 0, -1.0, 1.0 if tie_up else -1.0))
        return np.where(y >= 0.5, 1.0, np.where(y <= -0.5, -1.0, 0.0))

    return fn


@pytest.mark.parametrize('levels', [(-1, 1), (-1, 0, 1)])
@pytest.mark.parametrize('tie_up', [True, False])
def test_thresholds_reproduce_function_everywhere(levels, tie_up):
    rng = np.random.default_rng(1)
    n_out = 64
    a = rng.normal(0, 1, n_out)
    a[:6] = 0.0  # constant channels (gamma = 0)
    a[6:20] = -np.abs(a[6:20])  # negative BatchNorm scales
    t = rng.integers(-40, 40, n_out).astype(np.float64)  # thresholds exactly on reachable integers
    t[20:30] += 0.5  # and halfway between
    fn = _step_fn(a, t, levels, tie_up)
    lo = np.full(n_out, -37)
    hi = np.full(n_out, 41)
    stage = find_thresholds(fn, lo, hi, levels)
    acc = np.arange(-37, 42)[:, None].repeat(n_out, axis=1)
    np.testing.assert_array_equal(multithreshold(acc, stage), fn(acc))


def test_popcount_domain_matches_accumulator_domain():
    rng = np.random.default_rng(2)
    for n in (1, 2, 7, 16, 33, 64, 127):
        fn = _step_fn(rng.normal(0, 1, 40), rng.integers(-n - 2, n + 3, 40), (-1, 1), bool(rng.integers(2)))
        stage = find_thresholds(fn, np.full(40, -n), np.full(40, n), (-1, 1))
        p = np.arange(n + 1)[:, None].repeat(40, axis=1)
        acc = 2 * p - n
        tp = popcount_thresholds(stage, n)
        hw = np.where(stage.decreasing[None, :], p <= tp[:, 0], p >= tp[:, 0])
        np.testing.assert_array_equal(np.where(hw, 1, -1), multithreshold(acc, stage))


def test_accumulator_range_and_width():
    w = np.array([[1, -1, 0], [1, 1, 0], [-1, 1, 1]])
    lo, hi = accumulator_range(w, (-3, 5))
    np.testing.assert_array_equal(lo, [-11, -11, -3])
    np.testing.assert_array_equal(hi, [13, 13, 5])
    assert signed_width(-784, 784) == 11  # ceil(log2(785)) + 1
    assert signed_width(-1, 0) == 1
    assert signed_width(0, 1) == 2


def test_affine_is_exact_fixed_point_and_close():
    rng = np.random.default_rng(3)
    scale = rng.normal(0, 0.3, 10)
    offset = rng.normal(0, 2, 10)
    lo, hi = np.full(10, -300), np.full(10, 300)
    stage = fold_affine(scale, offset, lo, hi)
    acc = rng.integers(-300, 301, (1000, 10))
    y = apply_affine(acc, stage)
    ref = scale * acc + offset
    np.testing.assert_allclose(y, ref, rtol=0, atol=np.abs(ref).max() * 1e-5)
    k = np.ldexp(y, stage.frac)
    np.testing.assert_array_equal(k, np.round(k))
    assert np.abs(k).max() < 2.0 ** (stage.out_type.width - 1)


def test_quantize_input_truncates_and_wraps_like_ap_fixed():
    t = FixedType(8, 3, True)  # step 1/32, range [-4, 4)
    x = np.array([0.0, 1 / 32, 1 / 64, -1 / 64, 3.99, 4.0, -4.0, -4.01])
    np.testing.assert_array_equal(quantize_input(x, t), [0, 1, 0, -1, 127, -128, -128, 127])
