"""The estimator: its formulas on hand-counted trees, its invariants, and its agreement with published synthesis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_emulator import random_network

from hlsbinary.estimator import PARTS, Part, csd_digits, estimate_network, find_part, leaf_digits, tree_levels
from hlsbinary.fold import fold_affine
from hlsbinary.ir import Encoding, FixedType, IntegerLayer, Network, Pool, ThresholdStage, Window

JETS_INPUT = FixedType(16, 6, True)

# ../shared/REFERENCE.md section 5: Di Guglielmo et al. 2020 (arXiv:2003.06308), VU9P, 200 MHz, fully unrolled.
PUBLISHED = {
    'jets_binary_64_32_32': {'LUT': 0.8, 'FF': 0.1, 'DSP': 0.0, 'latency_ns': 40.0},
    'jets_ternary_128_64_64_64': {'LUT': 6.0, 'FF': 1.0, 'DSP': 0.0, 'latency_ns': 110.0},
}


def test_csd_digits():
    assert [csd_digits(v) for v in (0, 1, 2, 3, 7, 11, 15, 0b101010, -7)] == [0, 1, 1, 2, 2, 3, 2, 3, 2]


def golden_network():
    """Two layers small enough to count by hand (the counts are in test_golden_counts_by_hand)."""
    t4 = FixedType(4, 2, True)  # inputs: codes -8..7
    w1 = np.array([[1, 1], [1, -1]], np.int8)  # n0 = x0 + x1 in [-16, 14], n1 = x0 - x1 in [-15, 15]
    l1 = IntegerLayer('l1', w1, Encoding.FIXED, t4, ThresholdStage(np.array([[0], [3]]), np.array([False, True]), (-1, 1)))
    w2 = np.array([[1], [-1]], np.int8)  # binary inputs, binary weights: the XNOR-popcount path
    affine = fold_affine(np.array([0.75]), np.array([0.5]), np.array([-2]), np.array([2]))
    l2 = IntegerLayer('l2', w2, Encoding.BITS, None, affine)
    return Network((l1, l2), t4)


def test_golden_counts_by_hand():
    """Counted by hand from the formulas of hlsbinary/estimator.py (VU9P, 5 ns, 12.5 % uncertainty: 4.375 ns).

    l1 (add/sub on 4-bit inputs): accumulator [-16, 15] -> 5 bits.  One tree level: both neurons add their two
    leaves, and their digit rows (1, 1) and (1, -1) differ, so 2 adders x 5 LUTs = 10.  Thresholds: both inside
    the range, compared on signed_width(-17, 16) = 6 bits -> 3 LUTs each = 6.  LUT 16.  Steps: add(5) = 0.80 ns,
    compare(6) = 0.72 ns.
    l2 (XNOR-popcount of 2 bits): one adder of two single bits = 1 LUT; 2p - n on 3 bits = 3 LUTs; affine with
    S = 0.75 * 2**20 = 2**20 - 2**18 (2 CSD digits -> 1 adder of 3 + 20 = 23 bits) and the offset adder on the
    23-bit output: 23 + 23 = 46 LUTs.  LUT 50.  Steps: add(2) = 0.74, add(3) = 0.76, add(23) = 1.16, add(23) = 1.16.
    Chained: 0.80, 1.52, 2.26, 3.02, 4.18, then 5.34 > 4.375: one register stage before the offset adder, holding
    the 23-bit product, and the 23-bit output register: 2 cycles, FF 46, all in l2.
    """
    est = estimate_network(golden_network())
    l1, l2 = est.layers
    assert (l1.LUT, l1.FF, l1.latency_cycles) == (16, 0, 0)
    assert l1.LUT_detail == {'adder tree': 10, 'thresholds': 6}
    assert (l2.LUT, l2.FF, l2.latency_cycles) == (50, 46, 2)
    assert l2.LUT_detail == {'adder tree': 1, '2p-n': 3, 'affine': 46}
    assert (est.LUT, est.FF, est.latency_ns) == (66, 46, 10.0)


def golden_conv_network():
    """A max-pool of 4-bit inputs and a 'same' 1D convolution, small enough to count by hand
    (test_golden_conv_counts_by_hand)."""
    t4 = FixedType(4, 2, True)
    pool = Pool('p', Window((8, 1), (2,), (2,), ((0, 0),)), np.zeros(1, bool), Encoding.FIXED, t4)
    w = np.array([[1, 1], [1, -1], [1, 1]], np.int8)  # taps (k, filter): n0 = x0 + x1 + x2, n1 = x0 - x1 + x2
    stage = ThresholdStage(np.array([[0], [0]]), np.array([False, False]), (-1, 1))
    conv = IntegerLayer('c', w, Encoding.FIXED, t4, stage, window=Window((4, 1), (3,), (1,), ((1, 1),)))
    return Network((pool, conv), t4)


def test_golden_conv_counts_by_hand():
    """Counted by hand (VU9P, 5 ns: 4.375 ns per cycle).

    Pool: windows of two 4-bit codes: one compare-and-select each, 2 + 4 = 6 LUTs, compare(4) = 0.68 ns.
    Convolution: accumulator [-24, 22], 6 bits, compares on 6 bits.  The tree of a full window (taps 0 | 1 2):
    level 1 adds taps 1 and 2, level 2 adds tap 0; the filters differ on every range, so 2 + 2 adders x 6 LUTs =
    24; thresholds 2 x 3 = 6.  Steps add(6) 0.82, add(6) 0.82, compare(6) 0.72 ns.  Its outputs are the model's:
    -1/+1 in 2 bits.

    io_parallel: 4 pool windows, 24 LUTs.  Conv positions 1 and 2 are full windows (24 + 6 each); position 0 lacks
    tap 0, position 3 tap 2: one adder level each, at the layer's 6 bits (12 + 6).  Conv LUT 96.  Everything
    chains into 3.04 ns: one cycle, the output register holds 4 positions x 2 filters x 2 bits = 16 FF.

    io_stream: the pool reads 8 pixels (interval 8), one window's logic (6), a 1x2 window of 4-bit registers (8 FF),
    four counters of bit_length(8) = 4 bits (16 LUT, 16 FF), its output register (4 FF), the FIFO to the
    convolution (4 packs of 4 bits in SRLs: 4 LUTs): LUT 26, FF 28, latency 8 + 1.  The convolution: one
    position's logic (24 + 6), taps 0 and 2 can be padding, gated: ceil(2 x 4 / 2) = 4 LUTs; a 1x3 window of 4-bit
    registers (12 FF), no line (one row), counters of bit_length(6 padded columns) = 3 bits (12 LUT, 12 FF), its
    output register (4 FF): LUT 46, FF 28, interval 6, and after the last input its pipeline and the right pad: 2.
    """
    parallel = estimate_network(golden_conv_network())
    pool, conv = parallel.layers
    assert (pool.LUT, pool.FF, pool.latency_cycles) == (24, 0, 0)
    assert conv.LUT_detail == {'adder tree': 72, 'thresholds': 24}
    assert (conv.LUT, conv.FF, conv.latency_cycles) == (96, 16, 1)
    stream = estimate_network(golden_conv_network(), io_type='io_stream')
    pool, conv = stream.layers
    assert pool.LUT_detail == {'pool': 6, 'line buffer': 0, 'control': 16, 'fifo': 4}
    assert (pool.LUT, pool.FF, pool.latency_cycles, pool.II) == (26, 28, 9, 8)
    assert conv.LUT_detail == {'adder tree': 24, 'thresholds': 6, 'line buffer': 0, 'control': 12, 'padding': 4}
    assert (conv.LUT, conv.FF, conv.latency_cycles, conv.II) == (46, 28, 2, 6)
    assert (stream.LUT, stream.FF, stream.latency_cycles, stream.II, stream.BRAM) == (72, 56, 11, 8, 0)


def test_stream_line_buffer_and_fifo_grow_with_the_image():
    """A 2D image: (kh - 1) rows of the padded width in SRL32s, one LUT per 32 pixels per bit lane; a FIFO of more than
    1,024 bits goes to block RAM; on the XNOR path every reachable threshold moves with the real-input count."""
    from hlsbinary.estimator import fifo_cost

    assert fifo_cost(32, 32) == (32, 0) and fifo_cost(33, 16) == (32, 0) and fifo_cost(33, 32) == (0, 1)
    assert fifo_cost(676, 16) == (0, 1) and fifo_cost(4096, 72) == (0, 8) and fifo_cost(1024, 40) == (0, 2)
    rng = np.random.default_rng(0)
    w = rng.choice(np.array([-1, 1], np.int8), size=(3 * 3 * 5, 4))
    stage = ThresholdStage(np.zeros((4, 1), np.int64), np.zeros(4, bool), (-1, 1))
    for width, lane_luts in ((30, 2), (31, 4), (64, 6)):  # padded 32, 33, 66: 1, 2, 3 SRL32s x 2 rows
        window = Window((8, width, 5), (3, 3), (1, 1), ((1, 1), (1, 1)))
        conv = IntegerLayer('c', w, Encoding.BITS, None, stage, window=window)
        est = estimate_network(Network((conv,), FixedType(16, 6, True)), io_type='io_stream').layers[0]
        assert est.LUT_detail['line buffer'] == lane_luts * 5  # 5 channels of 1 bit
        assert est.LUT_detail['padding'] == 4 * 7  # 4 reachable thresholds, each moved by a 7-bit adder (n_in 45)
        assert est.II == 10 * (width + 2)


@pytest.mark.parametrize('factor', [0.7, 1.3])
@pytest.mark.parametrize('clock', [5.0, 2.0])
def test_golden_counts_catch_a_uniform_30_percent_delay_error(monkeypatch, clock, factor):
    """Every delay 30 % off moves the register stages of the golden network: its pinned FF/cycles would fail."""
    import hlsbinary.estimator as estimator

    golden = estimate_network(golden_network(), clock_period=clock)
    for name in ('ADD_DELAY_NS', 'ADD_DELAY_PER_BIT_NS', 'CMP_DELAY_NS', 'CMP_DELAY_PER_BIT_NS'):
        monkeypatch.setattr(estimator, name, getattr(estimator, name) * factor)
    moved = estimate_network(golden_network(), clock_period=clock)
    assert (moved.FF, moved.latency_cycles) != (golden.FF, golden.latency_cycles)


def test_multi_bit_weights_cost_one_adder_per_extra_digit():
    """w = (3, -5): CSD 3 = 4 - 1 and -5 = -4 - 1, leaves (plane-major) -x0, -x1, 0, 0, +x0, -x1: three adders in a
    tree of height 3 over 6 leaves, each 7 bits wide (acc in [-59, 61])."""
    layer = IntegerLayer('q', np.array([[3], [-5]]), Encoding.FIXED, FixedType(4, 2, True), None)
    assert leaf_digits(layer).ravel().tolist() == [-1, -1, 0, 0, 1, -1]
    assert tree_levels(leaf_digits(layer), 4, False, 7) == [(1, 7, 7, 18), (1, 7, 7, 14), (1, 7, 7, 7)]


def test_popcount_tree_hand_counted():
    """64 bits: 32 one-LUT bit adders, then 16 x 3, 8 x 4, 4 x 5, 2 x 6, 1 x 7 LUTs (carry-chain adders)."""
    levels = tree_levels(np.ones((64, 1), dtype=np.int8), 1, exact=True)
    assert [a for a, _, _, _ in levels] == [32, 16, 8, 4, 2, 1]
    assert sum(lut for _, lut, _, _ in levels) == 32 + 48 + 32 + 20 + 12 + 7
    assert [w for _, _, w, _ in levels] == [2, 3, 4, 5, 6, 7]
    assert levels[-1][3] == 7  # only the 7-bit count is alive at the end


def test_addsub_tree_drops_zero_weights_and_shares_equal_subtrees():
    w = np.array([[1], [0], [0], [-1]], dtype=np.int8)  # x0 - x3: one adder, at the root
    assert [a for a, _, _, _ in tree_levels(w, 8, exact=False, width=10)] == [0, 1]
    twins = np.array([[1, 1, -1], [-1, -1, -1]], dtype=np.int8)  # neurons 0 and 1 compute the same x0 - x1
    assert tree_levels(twins, 8, exact=False, width=10, share=True)[0][0] == 2
    assert tree_levels(twins, 8, exact=False, width=10, share=False)[0][0] == 3


@pytest.mark.parametrize('kinds', ['bbb', 'ttt', 'btb', 'qsb'])
def test_consistent_totals(kinds, rng):
    network = random_network(rng, [16, 64, 32, 5], JETS_INPUT, kinds)
    est = estimate_network(network)
    d = est.to_dict()
    assert d['total']['LUT'] == sum(layer['LUT'] for layer in d['layers']) == est.LUT > 0
    assert d['total']['latency_ns'] == est.latency_cycles * 5.0
    assert d['percent']['LUT'] == pytest.approx(100 * est.LUT / PARTS['xcvu9p'].LUT)
    assert 'total' in est.table() and '% of xcvu9p' in est.table()


def test_ranks_like_synthesis(rng):
    """More neurons, wider inputs or ternary weights cost more; a shorter clock costs cycles, not LUTs."""
    small = estimate_network(random_network(rng, [16, 64, 32, 32, 5], JETS_INPUT, 'bbbb'))
    wide = estimate_network(random_network(rng, [16, 128, 64, 64, 5], JETS_INPUT, 'bbbb'))
    narrow_in = estimate_network(random_network(rng, [16, 64, 32, 32, 5], FixedType(8, 3, True), 'bbbb'))
    assert wide.LUT > small.LUT and wide.FF > small.FF
    assert narrow_in.LUT < small.LUT
    network = random_network(rng, [16, 64, 32, 32, 5], JETS_INPUT, 'bbbb')
    slow, fast = estimate_network(network, clock_period=10), estimate_network(network, clock_period=2.5)
    assert fast.latency_cycles > slow.latency_cycles and fast.LUT == slow.LUT
    unshared = estimate_network(network, share_subtrees=False)
    assert unshared.LUT > estimate_network(network).LUT


def test_parts():
    assert find_part('xcvu9p-flga2104-2L-e') is PARTS['xcvu9p']
    custom = Part('mine', 1000, 2000, 10, 5)
    assert find_part(custom) is custom
    assert find_part('xc7z020clg400-1').name == 'xc7z020'  # no dash between device and package
    assert find_part('XCU250-figd2104-2L-e').name == 'xcu250'
    with pytest.raises(ValueError, match="'xcvu9q-flga2104-2L-e': not a device hlsbinary knows. Did you mean xcvu9p"):
        find_part('xcvu9q-flga2104-2L-e')


PUBLISHED_RELU = {  # the same paper, table 3: binary/ternary weights with ReLU activations (hls4ml's own ReLU)
    'jets_binary_relu_128_64_64': {'LUT': 6.0, 'DSP': 4.0, 'latency_ns': 140.0},
    'jets_ternary_relu_64_32_32': {'LUT': 2.0, 'DSP': 2.0, 'latency_ns': 60.0},
}
TRAINED = Path(__file__).parents[1] / 'models' / 'trained'


@pytest.mark.parametrize('weights', ['random', 'trained'])
def test_against_published_synthesis(capsys, weights):
    """Estimate vs the published Vivado results for the paper's jet taggers (same architectures), with the zoo's
    deterministic random weights and with the trained, committed models.

    Claimed agreement: LUT and FF within a factor 2, DSP exactly 0, the binary design's latency within 25 %,
    and the same ranking as synthesis (binary below ternary in LUT, FF and latency).  The ternary latency is
    below the published 110 ns by design: the paper's ternary layers went through hls4ml's generic Dense
    (a product per weight and a serial sum, unrolled), ours through balanced add/sub trees (README).
    """
    pytest.importorskip('qkeras', reason='the zoo models need the qkeras extra')
    import hlsbinary
    from hlsbinary.zoo import build

    results = {}
    for name, published in PUBLISHED.items():
        model = build(name) if weights == 'random' else str(TRAINED / f'{name}.h5')
        est = hlsbinary.estimate(model, input_precision='fixed<16,6>')
        pct = est.percent()
        results[name] = (est, pct)
        with capsys.disabled():
            print(
                f'\n{name} ({weights}): LUT {pct["LUT"]:.2f}% (published {published["LUT"]}%), FF {pct["FF"]:.2f}% '
                f'({published["FF"]}%), DSP {est.DSP} ({published["DSP"]}%), latency {est.latency_ns:.0f} ns '
                f'({published["latency_ns"]:.0f} ns)'
            )
        assert est.DSP == 0
        assert 0.5 <= pct['LUT'] / published['LUT'] <= 2.0
        assert 0.5 <= pct['FF'] / published['FF'] <= 2.0
    binary, ternary = results['jets_binary_64_32_32'], results['jets_ternary_128_64_64_64']
    assert abs(binary[0].latency_ns / PUBLISHED['jets_binary_64_32_32']['latency_ns'] - 1) <= 0.25
    assert binary[0].LUT < ternary[0].LUT and binary[0].FF < ternary[0].FF
    assert binary[0].latency_ns < ternary[0].latency_ns


def test_relu_variants_next_to_the_paper(capsys):
    """The paper's ReLU variants spent DSPs (4 % and 2 %) on multi-bit activations times weights; folded, they use
    none: the products become the add/sub trees' leaves (LUTs).  Printed next to the published figures."""
    pytest.importorskip('qkeras', reason='the zoo models need the qkeras extra')
    import hlsbinary
    from hlsbinary.zoo import build

    for name, published in PUBLISHED_RELU.items():
        est = hlsbinary.estimate(build(name), input_precision='fixed<16,6>')
        pct = est.percent()
        with capsys.disabled():
            print(
                f'\n{name}: LUT {pct["LUT"]:.2f}% (published {published["LUT"]}%), DSP {est.DSP} '
                f'(published {published["DSP"]}%), latency {est.latency_ns:.0f} ns ({published["latency_ns"]:.0f} ns); '
                f'LUTs by kind: ' + ', '.join(f'{k} {v:,}' for k, v in _lut_kinds(est).items())
            )
        assert est.DSP == 0
        assert 0.25 <= pct['LUT'] / published['LUT'] <= 4.0


def _lut_kinds(est) -> dict:
    kinds: dict = {}
    for layer in est.layers:
        for key, value in layer.LUT_detail.items():
            kinds[key] = kinds.get(key, 0) + value
    return kinds
