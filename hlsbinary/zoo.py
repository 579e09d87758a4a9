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

WEIGHT_KINDS = "'float', 'binary', 'ternary', or 'bits<b>' (quantized_bits(b, 0, alpha=1), b from 2 to 8)"
ACTIVATION_KINDS = (
    "'relu' (float), 'binary_tanh', 'ternary_tanh', or 'relu<b>' (quantized_relu(b, min(b, 2)), b from 1 to 8)"
)


def _bits(kind: str, prefix: str, lo: int, hi: int) -> int | None:
    if kind.startswith(prefix) and kind[len(prefix) :].isdigit() and lo <= int(kind[len(prefix) :]) <= hi:
        return int(kind[len(prefix) :])
    return None


def check_weight_kind(kind: str) -> str:
    if kind in ('float', 'binary', 'ternary') or _bits(kind, 'bits', 2, 8):
        return kind
    raise ValueError(f'weights {kind!r}: one of {WEIGHT_KINDS}')


def check_activation_kind(kind: str) -> str:
    if kind in ('relu', 'binary_tanh', 'ternary_tanh') or _bits(kind, 'relu', 1, 8):
        return kind
    raise ValueError(f'activation {kind!r}: one of {ACTIVATION_KINDS}')


@dataclass(frozen=True)
class Spec:
    """An MLP: ``n_in`` inputs, hidden ``widths`` then the classes.

    ``weights`` is one kind for every layer or a tuple with one per layer (``WEIGHT_KINDS``, e.g. a ``bits6`` first
    layer on fixed-point inputs then binary layers); ``activation`` is the hidden activation (``ACTIVATION_KINDS``).
    """

    n_in: int
    widths: tuple[int, ...]
    weights: str | tuple[str, ...]
    activation: str

    def __post_init__(self):
        kinds = (self.weights,) if isinstance(self.weights, str) else self.weights
        if not isinstance(self.weights, str) and len(kinds) != len(self.widths):
            raise ValueError(f'{len(kinds)} weight kinds for {len(self.widths)} layers')
        for kind in kinds:
            check_weight_kind(kind)
        check_activation_kind(self.activation)

    def weights_of(self, layer: int) -> str:
        return self.weights if isinstance(self.weights, str) else self.weights[layer]

    @property
    def layer_weights(self) -> tuple[str, ...]:
        return tuple(self.weights_of(i) for i in range(len(self.widths)))

    @property
    def convertible(self) -> bool:
        """Whether the hlsbinary plugin folds every block: quantized weights everywhere and a quantized activation."""
        return 'float' not in self.layer_weights and self.activation != 'relu'

    @property
    def plugin_note(self) -> str:
        """Why the plugin leaves this model to hlsbinary's neighbours ('' if it folds every block)."""
        if self.convertible:
            return ''
        if 'float' in self.layer_weights:
            return 'float baseline'
        return 'float ReLU: not folded (use relu<b>)'

    def describe(self) -> str:
        kinds = sorted(set(self.layer_weights), key=self.layer_weights.index)
        act = {'relu': 'ReLU', 'binary_tanh': 'binary act.', 'ternary_tanh': 'ternary act.'}.get(
            self.activation, f'{self.activation[4:]}-bit ReLU'
        )
        return f'{"/".join(kinds)} weights, {act}'


@dataclass(frozen=True)
class ConvSpec:
    """A CNN on flat inputs reshaped to ``input_shape`` (channels last): conv blocks ``(filters, kernel, stride,
    pool)``, each Conv -> BatchNormalization -> activation [-> MaxPooling of ``pool`` (1: none)], then Flatten, the
    hidden Dense ``dense`` widths and the classes.  ``weights``: one kind, or one per layer (convs then dense)."""

    input_shape: tuple[int, ...]
    convs: tuple[tuple[int, int, int, int], ...]
    dense: tuple[int, ...]
    weights: str | tuple[str, ...]
    activation: str
    padding: str = 'valid'

    def __post_init__(self):
        n_layers = len(self.convs) + len(self.dense)
        kinds = (self.weights,) if isinstance(self.weights, str) else self.weights
        if not isinstance(self.weights, str) and len(kinds) != n_layers:
            raise ValueError(f'{len(kinds)} weight kinds for {n_layers} layers')
        for kind in kinds:
            check_weight_kind(kind)
        check_activation_kind(self.activation)

    @property
    def n_in(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(c[0] for c in self.convs) + tuple(self.dense)

    weights_of = Spec.weights_of
    layer_weights = Spec.layer_weights
    convertible = Spec.convertible
    plugin_note = Spec.plugin_note

    def describe(self) -> str:
        return 'CNN, ' + Spec.describe(self)


ARCHITECTURES: dict[str, Spec | ConvSpec] = {
    'jets_float_64_32_32': Spec(16, (64, 32, 32, 5), 'float', 'relu'),
    'jets_binary_64_32_32': Spec(16, (64, 32, 32, 5), 'binary', 'binary_tanh'),
    'jets_binary_448_224_224': Spec(16, (448, 224, 224, 5), 'binary', 'binary_tanh'),
    'jets_binary_relu_128_64_64': Spec(16, (128, 64, 64, 5), 'binary', 'relu4'),
    'jets_ternary_128_64_64_64': Spec(16, (128, 64, 64, 64, 5), 'ternary', 'ternary_tanh'),
    'jets_ternary_relu_64_32_32': Spec(16, (64, 32, 32, 5), 'ternary', 'relu4'),
    'jets_q6_binary_64_32_32': Spec(16, (64, 32, 32, 5), ('bits6', 'binary', 'binary', 'binary'), 'binary_tanh'),
    'mnist_float_128_128_128': Spec(784, (128, 128, 128, 10), 'float', 'relu'),
    'mnist_binary_128_128_128': Spec(784, (128, 128, 128, 10), 'binary', 'binary_tanh'),
    'mnist_ternary_128_128_128': Spec(784, (128, 128, 128, 10), 'ternary', 'ternary_tanh'),
    # CNNs: every layer's output stays under the 4,096 elements an array may have to be fully partitioned
    'mnist_binary_cnn': ConvSpec((28, 28, 1), ((4, 3, 1, 2), (8, 3, 1, 2)), (64, 10), 'binary', 'binary_tanh'),
    'mnist_ternary_cnn': ConvSpec((28, 28, 1), ((4, 3, 1, 2), (8, 3, 1, 2)), (64, 10), 'ternary', 'ternary_tanh'),
    # over the 30 leading constituents: a 6-bit pointwise embedding, then binary convolutions (binary_tanh: 47 %,
    # 6-bit first 3-wide convolution: 58-64 %, this: 66 %; a float CNN of the same shape: 71 %)
    'jets_binary_conv1d': ConvSpec(
        (30, 3),
        ((32, 1, 1, 1), (16, 3, 1, 2), (16, 3, 1, 2)),
        (32, 5),
        ('bits6', 'binary', 'binary', 'binary', 'binary'),
        'relu4',
    ),
}


def spec(name: str) -> Spec:
    if name not in ARCHITECTURES:
        from hlsbinary.errors import UserError
        from hlsbinary.validate import close_matches

        raise UserError(
            f'unknown architecture {name!r}.{close_matches(name, ARCHITECTURES)} Known: {", ".join(ARCHITECTURES)}'
        )
    return ARCHITECTURES[name]


def kernel_quantizer(kind: str):
    """The QKeras kernel quantizer of a weight kind (None for float weights)."""
    from qkeras import binary, quantized_bits, ternary

    if kind == 'float':
        return None
    if kind == 'binary':
        return binary()
    if kind == 'ternary':
        return ternary()
    return quantized_bits(_bits(kind, 'bits', 2, 8), 0, alpha=1)


def activation_layer(kind: str, name: str):
    """The Keras layer applying a hidden activation kind."""
    from qkeras import QActivation, binary_tanh, quantized_relu
    from tensorflow.keras.layers import Activation

    from hlsbinary.frontend.activations import ternary_tanh

    if kind == 'relu':
        return Activation('relu', name=name)
    if kind == 'binary_tanh':
        return QActivation(binary_tanh, name=name)
    if kind == 'ternary_tanh':
        return QActivation(ternary_tanh, name=name)
    bits = _bits(kind, 'relu', 1, 8)
    return QActivation(quantized_relu(bits, min(bits, 2)), name=name)


def build_model(s: Spec | ConvSpec, name: str = 'model'):
    """The untrained Keras model of a :class:`Spec` or :class:`ConvSpec` (Glorot kernels, BatchNorm at identity);
    outputs are logits.

    Every hidden block is ``Dense/QDense -> BatchNormalization -> activation``, the output block
    ``Dense/QDense -> BatchNormalization``; no biases (BatchNorm has them).  A CNN's conv blocks come first.
    """
    from qkeras import QDense
    from tensorflow.keras.layers import BatchNormalization, Dense, Input
    from tensorflow.keras.models import Model

    inp = Input((s.n_in,), name='inputs')  # 'input' is a reserved name in hls4ml
    x = inp
    if isinstance(s, ConvSpec):
        x = _conv_blocks(s, x)
    first_dense = len(s.convs) if isinstance(s, ConvSpec) else 0
    widths = s.dense if isinstance(s, ConvSpec) else s.widths
    for i, width in enumerate(widths):
        i = i + first_dense
        last = i == len(s.widths) - 1
        dense_name = 'output' if last else f'fc{i + 1}'
        quantizer = kernel_quantizer(s.weights_of(i))
        if quantizer is None:
            x = Dense(width, use_bias=False, name=dense_name)(x)
        else:
            x = QDense(width, kernel_quantizer=quantizer, use_bias=False, name=dense_name)(x)
        x = BatchNormalization(name='bn_output' if last else f'bn{i + 1}')(x)
        if not last:
            x = activation_layer(s.activation, f'act{i + 1}')(x)
    return Model(inp, x, name=name)


def _conv_blocks(s: ConvSpec, x):
    from qkeras import QConv1D, QConv2D
    from tensorflow.keras.layers import BatchNormalization, Conv1D, Conv2D, Flatten, MaxPooling1D, MaxPooling2D, Reshape

    x = Reshape(s.input_shape, name='image')(x)
    two_d = len(s.input_shape) == 3
    for i, (filters, kernel, stride, pool) in enumerate(s.convs):
        quantizer = kernel_quantizer(s.weights_of(i))
        name = f'conv{i + 1}'
        if quantizer is None:
            x = (Conv2D if two_d else Conv1D)(filters, kernel, strides=stride, padding=s.padding, use_bias=False, name=name)(
                x
            )
        else:
            layer = QConv2D if two_d else QConv1D
            x = layer(
                filters, kernel, strides=stride, padding=s.padding, kernel_quantizer=quantizer, use_bias=False, name=name
            )(x)
        x = BatchNormalization(name=f'bn_conv{i + 1}')(x)
        x = activation_layer(s.activation, f'act_conv{i + 1}')(x)
        if pool > 1:
            x = (MaxPooling2D if two_d else MaxPooling1D)(pool, name=f'pool{i + 1}')(x)
    return Flatten(name='flatten')(x)


def architecture(name: str):
    """The untrained Keras model of the zoo architecture ``name``."""
    return build_model(spec(name), name)


def build(name: str, seed: int = 0):
    """``architecture(name)`` with deterministic random weights and BatchNorm statistics (converter testing)."""
    model = architecture(name)
    _initialise(model, np.random.default_rng(seed))
    return model


def _initialise(model, rng):
    from tensorflow.keras.layers import BatchNormalization, Conv1D, Conv2D, Dense

    fan_in = None
    for layer in model.layers:
        if isinstance(layer, Dense | Conv1D | Conv2D):  # QDense and QConv are these
            kernel = rng.normal(0, 1, layer.kernel.shape).astype(np.float32)
            layer.set_weights([kernel])
            fan_in = int(np.prod(kernel.shape[:-1]))
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
