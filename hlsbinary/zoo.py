"""QKeras builders for the shipped architectures (Di Guglielmo et al., arXiv:2003.06308, table 2).

Until trained weights land (issue 4) the shipped ``models/*.h5`` carry deterministic random kernels and
BatchNorm statistics drawn like a trained network's (mixed-sign gammas, means on the reachable lattice),
which is what exercising the converter needs.  ``hlsbinary models build`` regenerates them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# name: (inputs, widths, weight kind, activation)
ARCHITECTURES: dict[str, tuple[int, tuple[int, ...], str]] = {
    'jets_binary_64_32_32': (16, (64, 32, 32, 5), 'binary'),
    'jets_binary_448_224_224': (16, (448, 224, 224, 5), 'binary'),
    'jets_ternary_128_64_64_64': (16, (128, 64, 64, 64, 5), 'ternary'),
    'mnist_binary_128_128_128': (784, (128, 128, 128, 10), 'binary'),
    'mnist_ternary_128_128_128': (784, (128, 128, 128, 10), 'ternary'),
}


def build(name: str, seed: int = 0):
    """The QKeras model ``name``: QDense -> BatchNorm -> binary_tanh/ternary_tanh blocks, a final BatchNorm."""
    from qkeras import QActivation, QDense, binary, binary_tanh, ternary
    from tensorflow.keras.layers import BatchNormalization, Input
    from tensorflow.keras.models import Model

    from hlsbinary.frontend.activations import ternary_tanh

    n_in, widths, kind = ARCHITECTURES[name]
    quantizer, act = (binary, binary_tanh) if kind == 'binary' else (ternary, ternary_tanh)
    inp = Input((n_in,), name='inputs')
    x = inp
    for i, width in enumerate(widths):
        x = QDense(
            width, kernel_quantizer=quantizer(), use_bias=False, name=f'fc{i + 1}' if i < len(widths) - 1 else 'output'
        )(x)
        x = BatchNormalization(name=f'bn{i + 1}' if i < len(widths) - 1 else 'bn_output')(x)
        if i < len(widths) - 1:
            x = QActivation(act, name=f'act{i + 1}')(x)
    model = Model(inp, x, name=name)
    _initialise(model, np.random.default_rng(seed))
    return model


def _initialise(model, rng):
    from tensorflow.keras.layers import BatchNormalization

    fan_in = None
    for layer in model.layers:
        if type(layer).__name__ == 'QDense':
            kernel = rng.normal(0, 1, layer.kernel.shape).astype(np.float32)
            layer.set_weights([kernel])
            fan_in = kernel.shape[0]
        elif isinstance(layer, BatchNormalization):
            n = layer.gamma.shape[0]
            gamma = rng.normal(1, 0.5, n)
            mean = 2 * rng.integers(-int(fan_in**0.5), int(fan_in**0.5) + 1, n)
            var = rng.uniform(0.5, 2, n) * fan_in
            beta = rng.normal(0, 0.3, n)
            layer.set_weights([a.astype(np.float32) for a in (gamma, beta, mean, var)])


def build_all(directory: str | Path, names=None) -> list[Path]:
    """Write every (or the named) model to ``directory/<name>.h5`` and return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or ARCHITECTURES:
        path = directory / f'{name}.h5'
        build(name).save(path)
        paths.append(path)
    return paths
