"""How often QKeras's own float32 arithmetic disagrees with the exact firmware when weight scales are not powers of two.

With ``alpha='auto'`` a channel's weights are ``scale_j * w_int`` with a real ``scale_j``; QKeras sums
``x_i * (scale_j w_ij)`` in float32 in an order of its own, the firmware sums the integers exactly and folds
``scale_j`` into exact thresholds (the exact sum rounded once).  The two differ only where the pre-activation falls
within float32 rounding of a step.  This script counts, on random inputs exact in the input type, the activations
(and argmaxes) where QKeras and the firmware differ, for ``alpha='auto'`` and, as a control, ``alpha='auto_po2'``.

Usage: python benchmarks/bench_auto_alpha.py [--events 200000] [--seeds 5]
"""

from __future__ import annotations

import argparse

import numpy as np


def aim_at_ties(model, X, rng):
    """Hostile BatchNorm: each hidden channel's mean is the pre-activation of one event and beta 0, so that event
    sits exactly on the sign step (to float32 rounding): where QKeras's summation order can decide."""
    from tensorflow.keras.models import Model

    for layer in model.layers:
        if type(layer).__name__ == 'BatchNormalization' and layer.name != model.layers[-1].name:
            pre = Model(model.inputs, layer.input).predict(X[:2000], verbose=0)
            n = pre.shape[1]
            gamma, beta, mean, var = layer.get_weights()
            mean = pre[rng.integers(0, len(pre), n), np.arange(n)]
            layer.set_weights([gamma, np.zeros_like(beta), mean.astype(np.float32), var])


def build(kernel, activation, seed, n_in=16, widths=(64, 32, 5)):
    import tensorflow as tf
    from qkeras import QActivation, QDense
    from tensorflow.keras.layers import BatchNormalization, Input
    from tensorflow.keras.models import Model

    tf.keras.utils.set_random_seed(seed)
    inp = Input((n_in,))
    x = inp
    for i, width in enumerate(widths):
        x = QDense(width, kernel_quantizer=kernel(), use_bias=False, name=f'd{i}')(x)
        x = BatchNormalization(name=f'bn{i}')(x)
        if i < len(widths) - 1:
            x = QActivation(activation, name=f'a{i}')(x)
    model = Model(inp, x)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == 'BatchNormalization':
            n = layer.gamma.shape[0]
            fan_in = layer.input_shape[-1]
            layer.set_weights(
                [
                    rng.normal(1, 0.5, n).astype(np.float32),
                    rng.normal(0, 0.3, n).astype(np.float32),
                    rng.normal(0, 0.2, n).astype(np.float32) * np.sqrt(fan_in),
                    rng.uniform(0.5, 2, n).astype(np.float32) * fan_in,
                ]
            )
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--events', type=int, default=200_000)
    parser.add_argument('--seeds', type=int, default=5)
    args = parser.parse_args()

    from qkeras import quantized_bits, ternary
    from tensorflow.keras.models import Model

    import hlsbinary

    cases = {
        "ternary(alpha='auto')": (lambda: ternary(alpha='auto'), 'binary_tanh'),
        "quantized_bits(4, 0, alpha='auto')": (lambda: quantized_bits(4, 0, alpha='auto'), 'binary_tanh'),
        "ternary(alpha='auto_po2') (control)": (lambda: ternary(alpha='auto_po2'), 'binary_tanh'),
    }
    print(f'{args.events:,} events x {args.seeds} seeds, inputs exact in ap_fixed<16,6>')
    print(f'{"kernel quantizer":38s} {"BatchNorm":>9s} {"hidden activations differing":>29s} {"argmax differing":>17s}')
    for (label, (kernel, activation)), ties in [(case, ties) for case in cases.items() for ties in (False, True)]:
        wrong = total = wrong_argmax = 0
        for seed in range(args.seeds):
            model = build(kernel, activation, seed)
            rng = np.random.default_rng(100 + seed)
            X = np.clip(np.floor(rng.normal(0, 2, (args.events, 16)) * 2**10) / 2**10, -32, 32 - 2**-10)
            if ties:
                aim_at_ties(model, X, rng)
            network = hlsbinary.read_network(model, input_precision='fixed<16,6>')
            y, trace = hlsbinary.emulate(network, X, trace=True)
            names = [layer.keras_layers[-1] for layer in network.layers]
            keras = Model(model.inputs, [model.get_layer(n).output for n in names]).predict(X, verbose=0, batch_size=8192)
            for layer, k in zip(network.layers[:-1], keras[:-1], strict=True):
                wrong += int(np.sum(trace[layer.name] != k))
                total += k.size
            wrong_argmax += int(np.sum(np.argmax(y, 1) != np.argmax(keras[-1], 1)))
        bn = 'ties' if ties else 'random'
        print(f'{label:38s} {bn:>9s} {wrong / total:28.2e}  {wrong_argmax / (args.events * args.seeds):16.2e}')


if __name__ == '__main__':
    main()
