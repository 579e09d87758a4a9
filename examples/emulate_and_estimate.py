"""Emulate a trained network bit for bit on a CPU and estimate its FPGA resources and latency, without vendor tools.

python examples/emulate_and_estimate.py [--model models/trained/jets_binary_64_32_32.h5] [--json estimate.json]
"""

import argparse
import json
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='models/trained/jets_binary_64_32_32.h5')
    parser.add_argument('--json', default=None, help='also write the estimate here')
    args = parser.parse_args()

    import numpy as np

    import hlsbinary
    from hlsbinary.datasets import load_jets

    network = hlsbinary.read_network(args.model, input_precision='fixed<16,6>')  # once; then no TensorFlow needed
    data = load_jets()
    start = time.perf_counter()
    logits = hlsbinary.emulate(network, data.X_test)
    seconds = time.perf_counter() - start
    accuracy = np.mean(np.argmax(logits, 1) == data.y_test)
    print(f'firmware accuracy {accuracy:.4f} on {len(logits):,} jets ({len(logits) / seconds:,.0f} jets/s emulated)')
    estimate = hlsbinary.estimate(network, part='xcvu9p-flga2104-2L-e', clock_period=5)
    print(estimate.table())
    if args.json:
        from hlsbinary.files import publish_file

        with publish_file(args.json) as tmp:
            tmp.write_text(json.dumps(estimate.to_dict(), indent=2))


if __name__ == '__main__':
    main()
