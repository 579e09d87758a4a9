"""The compiled emulator kernel == the NumPy reference mathematics, on hostile random integer networks.

The NumPy engine is :mod:`hlsbinary.fold` applied literally (``x @ W``, ``multithreshold``, exact affine); the
agreement tests tie both engines to the C simulation.  These need no TensorFlow and no hls4ml.
"""

from __future__ import annotations

import numpy as np
import pytest

from hlsbinary import native
from hlsbinary.emulator import emulate_network, kernel_refusal
from hlsbinary.fold import accumulator_range, fold_affine, quantize_input
from hlsbinary.ir import Encoding, FixedType, IntegerLayer, Network, ThresholdStage


def hostile_thresholds(rng, weights, input_range, levels, out_type=None):
    """Thresholds on reachable integers (ties), just outside the range (constant channels), both directions."""
    lo, hi = accumulator_range(weights, input_range)
    n_out, k = weights.shape[1], len(levels) - 1
    t = np.sort(rng.integers(lo[:, None] - 1, hi[:, None] + 2, size=(n_out, k)), axis=1)
    if n_out > 2:
        t[0] = lo[0] - 5  # constant top level
        t[1] = hi[1] + 5  # constant bottom level
    decreasing = rng.random(n_out) < 0.4
    t = np.where(decreasing[:, None], t[:, ::-1], t)  # acc <= T_0 then acc <= T_1 with T_0 >= T_1
    return ThresholdStage(thresholds=t, decreasing=decreasing, levels=levels, out_type=out_type)


# A layer kind per letter: weights and the activation after them.
KINDS = {
    'b': ('binary weights', (-1, 1), None),
    't': ('ternary weights', (-1, 0, 1), None),
    'q': ('4-bit weights', tuple(range(0, 8)), FixedType(3, 1, False)),  # a 3-bit ReLU: codes 0..7 of ufixed<3,1>
    's': ('6-bit weights', tuple(range(-4, 4)), FixedType(3, 1, True)),  # a signed 3-bit activation
}


def random_weights(rng, kind, n_in, n_out):
    if kind == 'b':
        return rng.choice([-1, 1], size=(n_in, n_out)).astype(np.int8)
    if kind == 't':
        return rng.choice([-1, 0, 1], size=(n_in, n_out)).astype(np.int8)
    bound = 7 if kind == 'q' else 31
    return rng.integers(-bound, bound + 1, size=(n_in, n_out)).astype(np.int8)


def random_network(rng, widths, input_type, kinds, output='affine'):
    """A chain with ``widths[0]`` inputs; ``kinds[l]`` is a letter of :data:`KINDS` (weights and activation)."""
    assert len(kinds) == len(widths) - 1 and set(kinds) <= set(KINDS), kinds
    layers, encoding, ftype = [], Encoding.FIXED, input_type
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        w = random_weights(rng, kinds[i], n_in, n_out)
        x_range = ftype.int_range if encoding is Encoding.FIXED else (-1, 1)
        last = i == len(widths) - 2
        if last and output == 'affine':
            lo, hi = accumulator_range(w, x_range)
            stage = fold_affine(rng.normal(size=n_out) * 0.37, rng.normal(size=n_out), lo, hi)
        elif last and output == 'scores':
            stage = None
        else:
            _, levels, out_type = KINDS[kinds[i]]
            stage = hostile_thresholds(rng, w, x_range, levels, out_type)
        layers.append(IntegerLayer(f'd{i}', w, encoding, ftype if encoding is Encoding.FIXED else None, stage))
        encoding, ftype = layers[-1].output_encoding, layers[-1].output_type
    return Network(tuple(layers), input_type, 'hostile')


def both_engines(network, X, **kw):
    y_k, t_k = emulate_network(network, X, trace=True, engine='compiled', **kw)
    y_n, t_n = emulate_network(network, X, trace=True, engine='numpy', **kw)
    for name in t_n:
        np.testing.assert_array_equal(t_k[name], t_n[name], err_msg=f'compiled != numpy at {name}')
    np.testing.assert_array_equal(y_k, y_n)
    return y_k, t_k


CASES = {
    'jets_binary_odd': ([16, 63, 65, 1, 5], 'bbbb'),
    'ternary_between_binary': ([16, 64, 64, 7], 'btb'),
    'ternary_chain': ([16, 128, 64, 64, 5], 'tttt'),
    'mixed': ([12, 65, 129, 64, 3], 'btbt'),
    'wide': ([784, 1024, 200, 10], 'bbb'),
    'multibit_first_then_binary': ([16, 48, 33, 5], 'qbb'),
    'multilevel_chain': ([16, 40, 24, 9, 4], 'qsqt'),
    'binary_into_multibit': ([10, 70, 31, 6], 'bqs'),
}


@pytest.mark.parametrize('output', ['affine', 'scores', 'threshold'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_compiled_equals_numpy(case, output, rng):
    widths, kinds = CASES[case]
    input_type = FixedType(8, 0, False) if widths[0] == 784 else FixedType(16, 6, True)
    network = random_network(rng, widths, input_type, kinds, output)
    X = rng.normal(scale=8.0, size=(1000, widths[0])).astype(np.float32)  # also beyond the range: wraps
    y, trace = both_engines(network, X)
    for layer, letter in zip(network.layers[:-1], kinds, strict=False):  # the test sees the levels it names
        seen = np.unique(trace[layer.name])
        _, levels, out_type = KINDS[letter]
        expected = np.asarray(levels) * (1.0 if out_type is None else 2.0**-out_type.frac)
        assert set(seen) <= set(expected) and (len(seen) > 1 or layer.n_out < 3), (layer.name, seen)
    assert {layer.weight_kind for layer in network.layers} >= {
        {'b': 'binary', 't': 'ternary', 'q': 'integer', 's': 'integer'}[k] for k in kinds[:-1]
    }


@pytest.mark.parametrize('n', [1, 255, 256, 257, 1000])
def test_batch_boundaries_and_dtypes(n, rng):
    network = random_network(rng, [16, 64, 32, 5], FixedType(16, 6, True), 'btb')
    X = rng.normal(scale=4.0, size=(n, 16))
    ref = emulate_network(network, X, engine='numpy')
    for batch_size in (7, 256, 65536):
        for dtype in (np.float32, np.float64):
            y = emulate_network(network, X.astype(dtype), batch_size=batch_size, engine='compiled')
            np.testing.assert_array_equal(y, emulate_network(network, X.astype(dtype), engine='numpy'))
    np.testing.assert_array_equal(emulate_network(network, X, engine='compiled'), ref)


@pytest.mark.parametrize(
    'ftype', [FixedType(16, 6, True), FixedType(8, 0, False), FixedType(4, 2, True), FixedType(24, 12, True)]
)
def test_input_quantization_matches_ap_fixed(ftype, rng):
    """Exact LSB boundaries, just below them, negatives, and values that wrap; through a 1-layer score network."""
    lsb = 2.0**-ftype.frac
    k = rng.integers(-(1 << (ftype.width + 1)), 1 << (ftype.width + 1), size=4000)
    X = np.concatenate([k * lsb, k * lsb - lsb / 4, k * lsb + lsb / 3]).reshape(-1, 1)
    w = np.ones((1, 1), dtype=np.int8)
    network = Network((IntegerLayer('id', w, Encoding.FIXED, ftype, None),), ftype)
    y = emulate_network(network, X, engine='compiled')
    np.testing.assert_array_equal(y, quantize_input(X, ftype))


def test_nonfinite_input_is_refused(rng):
    network = random_network(rng, [16, 8, 3], FixedType(16, 6, True), 'bb')
    X = rng.normal(size=(300, 16))
    X[217, 3] = np.nan
    with pytest.raises(ValueError, match='input event 217'):
        emulate_network(network, X, engine='compiled', batch_size=100)


def test_kernel_refuses_what_it_cannot_sum_exactly(rng):
    wide_input = FixedType(32, 16, True)
    network = random_network(rng, [64, 8, 3], wide_input, 'bb')
    assert 'sums of 2**30' in kernel_refusal(network)
    with pytest.raises(ValueError, match='engine=compiled is unavailable'):
        emulate_network(network, np.zeros((2, 64)), engine='compiled')
    with pytest.warns(UserWarning, match='NumPy engine'):
        emulate_network(network, np.zeros((2, 64)))


def test_portable_build_equals_native(tmp_path, monkeypatch, rng):
    """The plain -O3 build (no AVX-512 paths: what other CPUs get) computes the same integers."""
    network = random_network(rng, [16, 65, 64, 40, 5], FixedType(16, 6, True), 'btqs')
    X = rng.normal(scale=4.0, size=(700, 16))
    native_y = emulate_network(network, X, engine='compiled')
    monkeypatch.setenv('HLSBINARY_CACHE', str(tmp_path))
    monkeypatch.setattr(native, 'FLAG_SETS', (['-O1'],))
    native.load_kernel.cache_clear()
    try:
        np.testing.assert_array_equal(emulate_network(network, X, engine='compiled'), native_y)
        assert list(tmp_path.glob('emulate-*.so'))
    finally:
        native.load_kernel.cache_clear()


def test_emulating_a_network_needs_no_tensorflow(tmp_path):
    """A Network read once (pickled here) emulates in a process that never imports TensorFlow."""
    import pickle
    import subprocess
    import sys

    network = random_network(np.random.default_rng(5), [16, 32, 5], FixedType(16, 6, True), 'bb')
    (tmp_path / 'net.pkl').write_bytes(pickle.dumps(network))
    code = (
        'import pickle, sys, numpy as np, hlsbinary\n'
        f'net = pickle.loads(open({str(tmp_path / "net.pkl")!r}, "rb").read())\n'
        'y = hlsbinary.emulate(net, np.ones((10, 16)), engine="compiled")\n'
        'print(y.shape, "tensorflow" in sys.modules, "hls4ml" in sys.modules)'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '(10, 5) False False'
