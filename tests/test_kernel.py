"""The hardware encodings of hlsbinary.kernel against the integer semantics of the IR."""

from __future__ import annotations

import numpy as np
import pytest

from hlsbinary.fold import find_thresholds, multithreshold
from hlsbinary.ir import Encoding, IntegerLayer
from hlsbinary.kernel import csd, digit_planes, emulator_thresholds, hls_thresholds, pack_rows, plan, popcount_threshold


def test_csd_is_exact_minimal_and_non_adjacent():
    for value in range(-300, 301):
        digits = csd(value)
        assert sum(sign << shift for shift, sign in digits) == value
        shifts = [shift for shift, _ in digits]
        assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:], strict=False))  # no two adjacent nonzero digits
    assert [len(csd(v)) for v in (0, 1, 3, 7, 11, 15, 0b101010, -7)] == [0, 1, 2, 2, 3, 2, 3, 2]


def test_digit_planes_reconstruct_weights():
    rng = np.random.default_rng(1)
    for bound in (1, 3, 7, 100, 127):
        w = rng.integers(-bound, bound + 1, size=(37, 11))
        pos, neg = digit_planes(w)
        assert not (pos & neg).any()
        rebuilt = sum((pos[e].astype(int) - neg[e].astype(int)) << e for e in range(pos.shape[0]))
        np.testing.assert_array_equal(rebuilt, w)
        assert pos.shape[0] <= int(bound).bit_length() + 1
    pos, _ = digit_planes(rng.choice([-1, 1], size=(5, 4)))
    assert pos.shape[0] == 1  # binary and ternary weights: one plane


def test_pack_rows_round_trip():
    rng = np.random.default_rng(2)
    mask = rng.random((75, 9)) < 0.5
    words = pack_rows(mask).reshape(9, -1)
    bits = (words[:, :, None] >> np.arange(32, dtype=np.uint32)) & 1
    np.testing.assert_array_equal(bits.reshape(9, -1)[:, :75].T.astype(bool), mask)


def _binary_layer(rng, n, decreasing_share=0.4):
    w = rng.choice([-1, 1], size=(n, 40)).astype(np.int8)
    a = rng.normal(0, 1, 40)
    a[rng.random(40) < decreasing_share] *= -1
    a[:3] = 0
    t = rng.integers(-n - 2, n + 3, 40)

    def fn(acc):
        y = (acc - t[None, :]) * a[None, :]
        return np.where(y >= 0, 1.0, -1.0)

    stage = find_thresholds(fn, np.full(40, -n), np.full(40, n), (-1, 1))
    return IntegerLayer('x', w, Encoding.BITS, None, stage)


@pytest.mark.parametrize('n', [1, 2, 7, 16, 33, 64, 127])
def test_popcount_and_disagreement_domains_match_the_accumulator(n):
    rng = np.random.default_rng(n)
    layer = _binary_layer(rng, n)
    assert plan(layer).popcount
    stage = layer.output
    p = np.arange(n + 1)[:, None].repeat(40, axis=1)  # agreements
    acc = 2 * p - n
    want = multithreshold(acc, stage)
    tp = popcount_threshold(hls_thresholds(layer)[:, 0], n, stage.decreasing)
    hw = np.where(stage.decreasing[None, :], p <= tp, p >= tp)
    np.testing.assert_array_equal(np.where(hw, 1, -1), want)
    for real in range(n):  # a window reaching into padding: fewer real inputs, the same accumulator thresholds
        p_real = np.arange(real + 1)[:, None].repeat(40, axis=1)
        tp = popcount_threshold(hls_thresholds(layer)[:, 0], real, stage.decreasing)
        hw = np.where(stage.decreasing[None, :], p_real <= tp, p_real >= tp)
        np.testing.assert_array_equal(np.where(hw, 1, -1), multithreshold(2 * p_real - real, stage))
    thr, flip = emulator_thresholds(layer, disagreements=True)
    d = n - p
    np.testing.assert_array_equal(np.where((d >= thr[:, 0]) ^ flip, 1, -1), want)
