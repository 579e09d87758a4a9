"""Exact for every quantized MLP: multi-bit first layers, multi-level activations, activations inside and outside
the QDense, input quantizers; QKeras == C simulation == emulator through both plugin backends."""

import pytest

tf = pytest.importorskip('tensorflow', reason='the agreement tests need the qkeras extra (TensorFlow + QKeras)')

from qkeras import (  # noqa: E402
    QActivation,
    QDense,
    binary,
    binary_tanh,
    quantized_bits,
    quantized_relu,
    quantized_sigmoid,
    quantized_tanh,
    ternary,
)
from tensorflow.keras.layers import BatchNormalization, Input  # noqa: E402
from tensorflow.keras.models import Model  # noqa: E402

from hlsbinary.frontend.activations import ternary_tanh  # noqa: E402
from tests.zoo import check_agreement, randomize, representable_inputs  # noqa: E402

pytestmark = pytest.mark.csim
BACKENDS = ('VitisBinary', 'VivadoBinary')


def _first_layer_model(bits, alpha, hidden_act):
    """quantized_bits first layer (with a quantized bias) -> BN -> binary/ternary -> binary -> ternary -> affine."""
    inp = Input((16,), name='inp')
    x = QDense(40, kernel_quantizer=quantized_bits(bits, 0, alpha=alpha), bias_quantizer=quantized_bits(bits, 2), name='d0')(
        inp
    )
    x = BatchNormalization(name='bn0')(x)
    x = QActivation(hidden_act, name='a0')(x)
    x = QDense(24, kernel_quantizer=binary(), use_bias=False, name='d1')(x)
    x = BatchNormalization(name='bn1')(x)
    x = QActivation(binary_tanh, name='a1')(x)
    x = QDense(17, kernel_quantizer=ternary(), use_bias=False, name='d2')(x)
    x = BatchNormalization(name='bn2')(x)
    x = QActivation(ternary_tanh, name='a2')(x)
    x = QDense(5, kernel_quantizer=binary(), use_bias=False, name='out')(x)
    x = BatchNormalization(name='bn_out')(x)
    return Model(inp, x, name=f'first_q{bits}')


FIRST_LAYERS = [
    (bits, alpha, act)
    for bits in (2, 4, 6, 8)
    for alpha, act in ((1, binary_tanh), ('auto_po2', ternary_tanh), (0.5, binary_tanh))
]


@pytest.mark.parametrize(
    ('index', 'case'), list(enumerate(FIRST_LAYERS)), ids=[f'q{b}-alpha{a}' for b, a, _ in FIRST_LAYERS]
)
def test_quantized_bits_first_layer(outdir, rng, index, case):
    bits, alpha, act = case
    model = _first_layer_model(bits, alpha, act)
    X = representable_inputs(rng, 2000, (16,))
    randomize(model, rng, X, weight_scale=0.5)
    check_agreement(model, X, BACKENDS[index % 2], outdir)


@pytest.mark.parametrize('relu_bits', [1, 2, 3, 4])
@pytest.mark.parametrize('batchnorm', [True, False], ids=['bn', 'no-bn'])
def test_quantized_relu_levels(outdir, rng, relu_bits, batchnorm):
    """Multi-level ReLU outputs feed ternary and binary layers as fixed point (the add/sub path)."""
    inp = Input((16,), name='inp')
    x = inp
    for i, (width, kernel) in enumerate(((32, quantized_bits(4, 0, alpha=1)), (21, ternary()), (12, binary()))):
        x = QDense(width, kernel_quantizer=kernel, use_bias=not batchnorm, name=f'd{i}')(x)
        if batchnorm:
            x = BatchNormalization(name=f'bn{i}')(x)
        x = QActivation(quantized_relu(relu_bits, min(relu_bits, 2)), name=f'r{i}')(x)
    x = QDense(5, kernel_quantizer=quantized_bits(6, 0, alpha='auto_po2'), name='out')(x)
    model = Model(inp, x, name=f'relu{relu_bits}')
    X = representable_inputs(rng, 2000, (16,))
    randomize(model, rng, X, weight_scale=0.5)
    check_agreement(model, X, BACKENDS[relu_bits % 2], outdir)


ACTIVATIONS = {
    'binary_tanh': binary_tanh,
    'ternary_tanh': ternary_tanh,
    'binary': binary(alpha=1),
    'ternary_threshold_1.5': ternary(alpha=1, threshold=1.5),  # once applied twice when written inside the QDense
    'relu3': quantized_relu(3, 1),
    'leaky_relu': quantized_relu(3, 1, negative_slope=0.5),
    'bits3': quantized_bits(3, 1),
    'tanh4': quantized_tanh(4),
    'sigmoid4': quantized_sigmoid(4),
}


@pytest.mark.parametrize('inside', [True, False], ids=['inside-qdense', 'own-layer'])
def test_every_activation_inside_and_as_its_own_layer(outdir, rng, inside):
    """Each activation kind once, in a chain with biases on a lattice (ties without BatchNorm)."""
    inp = Input((12,), name='inp')
    x = inp
    for i, (name, act) in enumerate(ACTIVATIONS.items()):
        kernel = quantized_bits(4, 0, alpha=1) if i % 2 == 0 else ternary()
        if inside:
            x = QDense(19 + i, kernel_quantizer=kernel, activation=act, name=f'd{i}')(x)
        else:
            x = QDense(19 + i, kernel_quantizer=kernel, name=f'd{i}')(x)
            x = QActivation(act, name=f'{name.replace(".", "_")}')(x)
    x = QDense(4, kernel_quantizer=binary(), name='out')(x)
    model = Model(inp, x, name='activations')
    X = representable_inputs(rng, 3000, (12,))
    randomize(model, rng, X, weight_scale=0.7)
    check_agreement(model, X, 'VitisBinary' if inside else 'VivadoBinary', outdir)


def test_input_quantizer_and_batchnorm_alone(outdir, rng):
    """A QActivation on the inputs and a BatchNorm + activation on levels: blocks with identity weights."""
    inp = Input((10,), name='inp')
    x = QActivation(quantized_bits(6, 2), name='in_quant')(inp)
    x = QDense(20, kernel_quantizer=quantized_bits(3, 0, alpha=1), name='d0')(x)
    x = QActivation(binary(alpha=1), name='a0')(x)
    x = BatchNormalization(name='bn_alone')(x)
    x = QActivation(ternary_tanh, name='a1')(x)
    x = QDense(6, kernel_quantizer=ternary(), name='out')(x)
    model = Model(inp, x, name='identity_blocks')
    X = representable_inputs(rng, 3000, (10,))
    randomize(model, rng, X)
    hls_model = check_agreement(model, X, 'VitisBinary', outdir)
    kinds = [n.class_name for n in hls_model.graph.values()]
    assert kinds == ['Input'] + ['IntegerDense'] * 4
