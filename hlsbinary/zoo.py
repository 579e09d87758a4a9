"""QKeras builders for the paper's architectures (Di Guglielmo et al., arXiv:2003.06308, table 2).

Every hidden block is ``Dense/QDense -> BatchNormalization -> activation``; the output block is
``Dense/QDense -> BatchNormalization`` and gives logits (softmax belongs to the loss and the report).

* :func:`architecture` builds a model for training (standard initialisation);
* :func:`build` builds the same model with deterministic random kernels and BatchNorm statistics drawn like a
  trained network's (mixed-sign gammas, means on the reachable lattice): what exercising the converter needs.
  ``hlsbinary models build`` writes those to ``models/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Spec:
    """``n_in`` inputs, hidden ``widths`` then the classes; weights ``float``/``binary``/``ternary``; hidden activation."""

    n_in: int
    widths: tuple[int, ...]
    weights: str
    activation: str  # 'relu', 'binary_tanh' or 'ternary_tanh'

    @property
    def convertible(self) -> bool:
        """Whether the hlsbinary plugin folds every block (binary/ternary weights and activations)."""
        return self.weights != 'float' and self.activation != 'relu'

    @property
    def plugin_note(self) -> str:
        """Why the plugin leaves this model to hlsbinary's neighbours ('' if it folds every block)."""
        if self.convertible:
            return ''
        return 'float baseline' if self.weights == 'float' else 'ReLU blocks: not folded by the plugin yet'

    def describe(self) -> str:
        act = {'relu': 'ReLU', 'binary_tanh': 'binary act.', 'ternary_tanh': 'ternary act.'}[self.activation]
        return f'{self.weights} weights, {act}'


ARCHITECTURES: dict[str, Spec] = {
    'jets_float_64_32_32': Spec(16, (64, 32, 32, 5), 'float', 'relu'),
    'jets_binary_64_32_32': Spec(16, (64, 32, 32, 5), 'binary', 'binary_tanh'),
    'jets_binary_448_224_224': Spec(16, (448, 224, 224, 5), 'binary', 'binary_tanh'),
    'jets_binary_relu_128_64_64': Spec(16, (128, 64, 64, 5), 'binary', 'relu'),
    'jets_ternary_128_64_64_64': Spec(16, (128, 64, 64, 64, 5), 'ternary', 'ternary_tanh'),
    'jets_ternary_relu_64_32_32': Spec(16, (64, 32, 32, 5), 'ternary', 'relu'),
    'mnist_float_128_128_128': Spec(784, (128, 128, 128, 10), 'float', 'relu'),
    'mnist_binary_128_128_128': Spec(784, (128, 128, 128, 10), 'binary', 'binary_tanh'),
    'mnist_ternary_128_128_128': Spec(784, (128, 128, 128, 10), 'ternary', 'ternary_tanh'),
}


def spec(name: str) -> Spec:
    if name not in ARCHITECTURES:
        from hlsbinary.errors import UserError
        from hlsbinary.validate import close_matches

        raise UserError(
            f'unknown architecture {name!r}.{close_matches(name, ARCHITECTURES)} Known: {", ".join(ARCHITECTURES)}'
        )
    return ARCHITECTURES[name]


def architecture(name: str):
    """The untrained Keras model ``name`` (Glorot kernels, BatchNorm at identity), outputs are logits."""
    from qkeras import QActivation, QDense, binary, binary_tanh, ternary
    from tensorflow.keras.layers import Activation, BatchNormalization, Dense, Input
    from tensorflow.keras.models import Model

    from hlsbinary.frontend.activations import ternary_tanh

    s = spec(name)
    inp = Input((s.n_in,), name='inputs')  # 'input' is a reserved name in hls4ml
    x = inp
    for i, width in enumerate(s.widths):
        last = i == len(s.widths) - 1
        dense_name = 'output' if last else f'fc{i + 1}'
        if s.weights == 'float':
            x = Dense(width, use_bias=False, name=dense_name)(x)
        else:
            quantizer = binary() if s.weights == 'binary' else ternary()
            x = QDense(width, kernel_quantizer=quantizer, use_bias=False, name=dense_name)(x)
        x = BatchNormalization(name='bn_output' if last else f'bn{i + 1}')(x)
        if last:
            break
        if s.activation == 'relu':
            x = Activation('relu', name=f'act{i + 1}')(x)
        elif s.activation == 'binary_tanh':
            x = QActivation(binary_tanh, name=f'act{i + 1}')(x)
        else:
            x = QActivation(ternary_tanh, name=f'act{i + 1}')(x)
    return Model(inp, x, name=name)


def build(name: str, seed: int = 0):
    """``architecture(name)`` with deterministic random weights and BatchNorm statistics (converter testing)."""
    model = architecture(name)
    _initialise(model, np.random.default_rng(seed))
    return model


def _initialise(model, rng):
    from tensorflow.keras.layers import BatchNormalization, Dense

    fan_in = None
    for layer in model.layers:
        if isinstance(layer, Dense):  # QDense is a Dense
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


def build_all(directory: str | Path, names=None, force: bool = False) -> list[Path]:
    """Write every convertible (or the named) model to ``directory/<name>.h5`` and return the paths.

    Files are published through :mod:`hlsbinary.files`: an existing file is replaced only if hlsbinary wrote it.
    """
    from hlsbinary.files import check_file_targets, publish_file

    names = [spec(name) and name for name in names] if names else [n for n, s in ARCHITECTURES.items() if s.convertible]
    paths = check_file_targets([Path(directory) / f'{name}.h5' for name in names], force, 'model')
    for name, path in zip(names, paths, strict=True):
        with publish_file(path, force, 'model') as tmp:
            build(name).save(tmp)
    return paths
