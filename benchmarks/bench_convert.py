"""Convert + compile wall time and agreement with QKeras: VitisBinary (ours) vs stock Vitis, same run.

Usage: python benchmarks/bench_convert.py [--model mnist_binary_128_128_128 | models/trained/x.h5] [--events 5000]
                                         [--io-type io_parallel | io_stream]
Both conversions use the configuration hls4ml proposes (config_from_keras_model), untouched, except the
input precision both get: ap_ufixed<8,0>, in which the inputs are exact.  A backend that fails to convert or
compile is reported with its error.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def run(backend, model, X, workdir, io_type):
    import hls4ml

    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend=backend)
    config['LayerName'][model.layers[0].name]['Precision']['result'] = 'ufixed<8,0>'
    t0 = time.perf_counter()
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend=backend, output_dir=f'{workdir}/{backend}', io_type=io_type
    )
    t1 = time.perf_counter()
    hls_model.compile()
    t2 = time.perf_counter()
    y = hls_model.predict(X)
    t3 = time.perf_counter()
    return y.reshape(len(X), -1), t1 - t0, t2 - t1, len(X) / (t3 - t2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='mnist_binary_128_128_128')
    parser.add_argument('--events', type=int, default=5000)
    parser.add_argument('--io-type', choices=('io_parallel', 'io_stream'), default='io_parallel')
    args = parser.parse_args()

    from hlsbinary.frontend.keras_objects import load_model
    from hlsbinary.zoo import build

    model = load_model(args.model) if args.model.endswith('.h5') else build(args.model)
    rng = np.random.default_rng(0)
    X = np.floor(rng.uniform(0, 1, (args.events, *model.input_shape[1:])) * 256) / 256
    y_keras = model.predict(X, verbose=0, batch_size=4096).reshape(len(X), -1)
    print(f'model {args.model}, {args.events} events, inputs exact in ap_ufixed<8,0>, {args.io_type}')
    print(
        f'{"backend":14s} {"convert s":>10s} {"compile s":>10s} {"csim ev/s":>10s} {"argmax agree":>13s} {"max rel err":>12s}'
    )
    with tempfile.TemporaryDirectory() as workdir:
        for backend in ('VitisBinary', 'Vitis'):
            try:
                y, t_conv, t_comp, rate = run(backend, model, X, workdir, args.io_type)
            except Exception as err:  # stock hls4ml fails on some binary designs: say how, and go on
                print(f'{backend:14s} failed: {str(err).strip().splitlines()[-1][:160]}')
                continue
            agree = np.mean(np.argmax(y, 1) == np.argmax(y_keras, 1))
            rel = np.max(np.abs(y - y_keras) / np.maximum(np.abs(y_keras), 1e-3 * np.abs(y_keras).max()))
            print(f'{backend:14s} {t_conv:10.1f} {t_comp:10.1f} {rate:10.0f} {agree:13.4f} {rel:12.2e}')


if __name__ == '__main__':
    main()
