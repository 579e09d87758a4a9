"""The threshold mathematics against brute force, on hostile cases (ties, flips, constant channels)."""

import numpy as np
import pytest

from hlsbinary.fold import (
    accumulator_range,
    apply_affine,
    find_thresholds,
    fold_affine,
    multithreshold,
    quantize_input,
    signed_width,
    verify_thresholds,
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


@pytest.mark.parametrize('levels', [(-1, 1), (-1, 0, 1), tuple(range(0, 16)), tuple(range(-8, 8))])
def test_multi_level_thresholds_and_their_verification(levels):
    """Any number of levels on a grid; verify_thresholds accepts the result and catches any threshold moved by one."""
    rng = np.random.default_rng(4)
    n_out = 48
    a = rng.normal(0, 0.2, n_out).astype(np.float32)
    a[:4] = 0.0
    a[4:20] *= -1
    b = rng.normal(0, 1, n_out).astype(np.float32)
    lsb = 0.25 if len(levels) > 3 else 1.0
    out_type = None if len(levels) <= 3 else FixedType(4, 2, levels[0] < 0)

    def fn(acc):  # a BatchNorm-like affine then round-half-up onto the grid, clipped to the levels
        y = acc.astype(np.float32) * a[None, :] + b[None, :]
        if levels == (-1, 1):
            return np.where(y >= 0, 1.0, -1.0)
        codes = np.clip(np.floor(y / np.float32(lsb) + np.float32(0.5)), levels[0], levels[-1])
        return codes.astype(np.float64) * lsb

    lo, hi = np.full(n_out, -60), np.full(n_out, 75)
    stage = find_thresholds(fn, lo, hi, levels, out_type)
    acc = np.arange(-60, 76)[:, None].repeat(n_out, axis=1)
    np.testing.assert_array_equal(multithreshold(acc, stage) * stage.lsb, fn(acc))
    assert len(verify_thresholds(fn, stage, lo, hi)) == 0
    inside = np.argwhere((stage.thresholds > -59) & (stage.thresholds < 74))
    j, k = inside[len(inside) // 2]
    moved = stage.thresholds.copy()
    moved[j, k] += 1
    wrong = type(stage)(moved, stage.decreasing, stage.levels, stage.out_type)
    assert j in verify_thresholds(fn, wrong, lo, hi)


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
