"""Emulator throughput on one core vs the hls4ml C simulation of the same firmware, in the same run.

Usage: python benchmarks/bench_emulator.py [--models jets_binary_64_32_32 mnist_binary_128_128_128 ...]
                                           [--csim-events 3000] [--skip-csim]

Per model: events/s of the hls4ml C simulation (VitisBinary, g++), of the compiled emulator and of the NumPy
engine, the ratio, and a bit-for-bit check of the emulator against the C simulation on the C simulation's events.
Then how close the kernel comes to the machine: popcounts/s of the XNOR layers against this machine's measured
popcount limit, and the BLAS first layer's GFLOP/s against single-core sgemm on large matrices.  Finally the
memory beyond the outputs for 1x and 4x the events (flat = streaming works).
Targets (issue 3): 16x64x32x32x5 binary >= 5M events/s, 784x128x128x128x10 binary >= 100k events/s, one core;
(issue 10) the MNIST binary CNN (28x28x1, two conv+pool blocks, a dense head) >= 20k images/s.
"""

from __future__ import annotations

import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # one core, before NumPy loads BLAS
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import argparse  # noqa: E402
import ctypes  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from hlsbinary.emulator import emulate_network  # noqa: E402
from hlsbinary.ir import Encoding  # noqa: E402
from hlsbinary.native import load_kernel  # noqa: E402

EVENTS = {'jets': 4_000_000, 'mnist': 300_000, 'cnn': 100_000}


def inputs(name, n, rng, shape):
    if name.startswith('mnist'):
        return (np.floor(rng.uniform(0, 1, (n, *shape)) * 256) / 256).astype(np.float32)
    return rng.normal(size=(n, *shape)).astype(np.float32)


def best_rate(fn, n, repeats=3):
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = max(best, n / (time.perf_counter() - t0))
    return best


def csim(model, X, workdir, precision, io_type):
    import hls4ml

    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
    config['LayerName'][model.layers[0].name]['Precision']['result'] = precision
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend='VitisBinary', output_dir=workdir, io_type=io_type
    )
    t0 = time.perf_counter()
    hls_model.compile()
    print(f'  {model.name}: C simulation ({io_type}) compiled in {time.perf_counter() - t0:.1f} s')
    hls_model.predict(X[:10])
    t0 = time.perf_counter()
    y = hls_model.predict(X)
    return y.reshape(len(X), -1), len(X) / (time.perf_counter() - t0), hls_model


def popcount_peak():
    """Popcounts of XOR'd 64-bit words per second from L1, this machine, one core."""
    lib = load_kernel()
    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, 2**63, 2048, dtype=np.uint64) for _ in range(2))
    repeats = 20000
    lib.hlsb_popcount_peak(a.ctypes.data_as(ctypes.c_void_p), b.ctypes.data_as(ctypes.c_void_p), 2048, 100)
    t0 = time.perf_counter()
    lib.hlsb_popcount_peak(a.ctypes.data_as(ctypes.c_void_p), b.ctypes.data_as(ctypes.c_void_p), 2048, repeats)
    return 2048 * repeats / (time.perf_counter() - t0)


def sgemm_peak():
    """Single-core sgemm GFLOP/s on 2048x2048 matrices."""
    a = np.random.default_rng(2).random((2048, 2048), dtype=np.float32)
    a @ a
    t0 = time.perf_counter()
    a @ a
    return 2 * 2048**3 / (time.perf_counter() - t0) / 1e9


def work_per_event(network):
    """(popcounts of 64-bit words, first-layer flops) per event of a Dense network (NaN for convolutions)."""
    if any(getattr(layer, 'window', None) is not None for layer in network.layers):
        return float('nan'), float('nan')
    pops = 0
    for layer in network.layers[1:]:
        words = -(-layer.n_in // 64)
        ternary = layer.input_encoding is Encoding.TERNARY or layer.ternary_weights
        pops += words * layer.n_out * (2 if ternary else 1)
    first = network.layers[0]
    return pops, 2 * first.n_in * first.n_out


def extra_memory(network, X):
    """Peak bytes NumPy allocates beyond the outputs themselves."""
    tracemalloc.start()
    y = emulate_network(network, X, engine='compiled')
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - y.nbytes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        '--models',
        nargs='+',
        default=['jets_binary_64_32_32', 'mnist_binary_128_128_128', 'jets_binary_448_224_224', 'mnist_binary_cnn'],
    )
    parser.add_argument('--csim-events', type=int, default=3000)
    parser.add_argument('--skip-csim', action='store_true')
    parser.add_argument('--io-type', choices=('io_parallel', 'io_stream'), default='io_parallel', help='of the C simulation')
    args = parser.parse_args()

    import hlsbinary
    from hlsbinary.zoo import build

    rng = np.random.default_rng(0)
    pop_peak, blas_peak = popcount_peak(), sgemm_peak()
    print(f'machine, one core: popcount limit {pop_peak / 1e9:.2f} G words/s, sgemm {blas_peak:.0f} GFLOP/s')
    header = f'{"model":28s} {"csim ev/s":>10s} {"emulator ev/s":>14s} {"ratio":>9s} {"NumPy ev/s":>11s} {"== csim":>8s} {"popcount %":>10s} {"BLAS %":>7s}'
    print(header)
    rows = []
    for name in args.models:
        model = build(name)
        precision = 'ufixed<8,0>' if name.startswith('mnist') else 'fixed<16,6>'
        network = hlsbinary.read_network(model, input_precision=precision)
        kind = 'cnn' if 'cnn' in name else ('mnist' if name.startswith('mnist') else 'jets')
        n = EVENTS[kind] // (4 if '448' in name else 1)
        X = inputs(name, n, rng, model.input_shape[1:])
        emulate_network(network, X[:1000], engine='compiled')  # build the kernel and warm up
        rate = best_rate(lambda network=network, X=X: emulate_network(network, X, engine='compiled'), n)
        n_np = min(n, 200_000)
        rate_np = best_rate(
            lambda network=network, X=X, n_np=n_np: emulate_network(network, X[:n_np], engine='numpy'), n_np, 1
        )
        csim_rate, same = float('nan'), 'skipped'
        if not args.skip_csim:
            Xc = X[: args.csim_events].astype(np.float64)  # float64 in: hls4ml then returns outputs as double, exactly
            with tempfile.TemporaryDirectory() as workdir:
                y_csim, csim_rate, _ = csim(model, Xc, workdir, precision, args.io_type)
            same = 'yes' if np.array_equal(emulate_network(network, Xc).reshape(y_csim.shape), y_csim) else 'NO'
        pops, flops = work_per_event(network)
        # Share of each resource's limit if it alone took all the time: how close the kernel runs to the machine.
        pop_share = 100 * pops * rate / pop_peak
        blas_share = 100 * flops * rate / (blas_peak * 1e9)
        print(
            f'{name:28s} {csim_rate:10.0f} {rate:14,.0f} {rate / csim_rate:9,.0f} {rate_np:11,.0f} {same:>8s} '
            f'{pop_share:10.1f} {blas_share:7.1f}'
        )
        rows.append((name, network, X))
    name, network, X = rows[0]
    small, large = extra_memory(network, X[: len(X) // 4]), extra_memory(network, X)
    print(
        f'memory beyond outputs, {name}: {small / 2**20:.1f} MiB for {len(X) // 4:,} events, '
        f'{large / 2**20:.1f} MiB for {len(X):,} events'
    )


if __name__ == '__main__':
    main()
