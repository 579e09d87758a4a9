"""Binary, ternary and multi-bit convolutions: QKeras == C simulation == emulator through both plugin backends.

Two chains cover kernel sizes 1-5, strides 1 and 2, 'valid' and 'same' padding (every border position, on the
XNOR path too), odd channel counts, max-pooling before the BatchNorm (where negative scales turn the pool into a
minimum of the levels) and after the activation (levels of a multi-level ReLU, 'same' padding), an activation written
inside the convolution, conv -> flatten -> dense; BatchNorms are hostile (negative and zero gammas, ties that the
inputs reach).
"""

import numpy as np
import pytest

tf = pytest.importorskip('tensorflow', reason='the agreement tests need the qkeras extra (TensorFlow + QKeras)')

from qkeras import QActivation, QConv1D, QConv2D, QDense, binary, binary_tanh, quantized_bits, quantized_relu, ternary  # noqa: E402
from tensorflow.keras.layers import BatchNormalization, Flatten, Input, MaxPooling1D, MaxPooling2D  # noqa: E402
from tensorflow.keras.models import Model  # noqa: E402

from hlsbinary.frontend.activations import ternary_tanh  # noqa: E402
from tests.zoo import check_agreement, randomize, representable_inputs  # noqa: E402

pytestmark = pytest.mark.csim


def conv2d_chain():
    inp = Input((14, 14, 2), name='img')
    x = QConv2D(5, 3, padding='same', kernel_quantizer=quantized_bits(4, 0, alpha=1), name='c0')(inp)
    x = BatchNormalization(name='bn0')(x)
    x = QActivation(binary_tanh, name='a0')(x)
    x = QConv2D(3, 2, strides=2, kernel_quantizer=binary(), use_bias=False, name='c1')(x)  # XNOR, valid
    x = MaxPooling2D(2, name='p1')(x)  # before the BatchNorm: a minimum where gamma < 0
    x = BatchNormalization(name='bn1')(x)
    x = QActivation(binary_tanh, name='a1')(x)
    x = QConv2D(4, 5, padding='same', kernel_quantizer=binary(), use_bias=False, name='c2')(x)  # XNOR, all borders
    x = BatchNormalization(name='bn2')(x)
    x = QActivation(ternary_tanh, name='a2')(x)
    x = QConv2D(7, 3, padding='same', kernel_quantizer=ternary(), name='c3')(x)  # ternary x ternary, bias
    x = BatchNormalization(name='bn3')(x)
    x = QActivation(quantized_relu(2, 1), name='a3')(x)
    x = MaxPooling2D(3, strides=2, padding='same', name='p3')(x)  # after the activation, on 4 levels, padded
    x = QConv2D(3, 1, kernel_quantizer=binary(), activation=binary(alpha=1), name='c4')(x)  # 1x1, activation inside
    x = Flatten(name='flat')(x)
    x = QDense(5, kernel_quantizer=quantized_bits(4, 0, alpha='auto_po2'), name='out')(x)
    x = BatchNormalization(name='bn_out')(x)
    return Model(inp, x, name='conv2d_chain')


def conv1d_chain():
    inp = Input((24, 3), name='seq')
    x = QConv1D(5, 1, kernel_quantizer=quantized_bits(6, 0, alpha=1), name='k1')(inp)
    x = BatchNormalization(name='b1')(x)
    x = QActivation(binary_tanh, name='a1')(x)
    x = QConv1D(3, 2, strides=2, padding='same', kernel_quantizer=ternary(), use_bias=False, name='k2')(x)
    x = BatchNormalization(name='b2')(x)
    x = QActivation(ternary_tanh, name='a2')(x)
    x = QConv1D(7, 3, padding='same', kernel_quantizer=quantized_bits(3, 0, alpha=1), name='k3')(x)
    x = BatchNormalization(name='b3')(x)
    x = QActivation(quantized_relu(3, 1), name='a3')(x)
    x = QConv1D(4, 4, strides=2, kernel_quantizer=binary(), use_bias=False, name='k4')(x)  # valid, stride 2
    x = MaxPooling1D(2, padding='same', name='p4')(x)  # before the BatchNorm, padded
    x = BatchNormalization(name='b4')(x)
    x = QActivation(binary_tanh, name='a4')(x)
    x = QConv1D(3, 5, padding='same', kernel_quantizer=binary(), use_bias=False, name='k5')(x)  # XNOR, borders
    x = BatchNormalization(name='b5')(x)
    x = QActivation(binary(alpha=1), name='a5')(x)
    x = Flatten(name='flat')(x)
    x = QDense(4, kernel_quantizer=ternary(), name='out')(x)
    return Model(inp, x, name='conv1d_chain')


def conv2d_rectangular_chain():
    """Rectangular images, non-square kernels and strides, 'same' padding with a stride (uneven borders), a pool
    whose windows do not tile the image, ternary activations into a multi-bit kernel."""
    inp = Input((9, 13, 3), name='img')
    x = QConv2D(5, (2, 3), strides=(2, 1), padding='same', kernel_quantizer=ternary(), name='r0')(inp)
    x = BatchNormalization(name='bn0')(x)
    x = QActivation(ternary_tanh, name='a0')(x)
    x = QConv2D(3, (3, 1), padding='same', kernel_quantizer=quantized_bits(3, 0, alpha=1), use_bias=False, name='r1')(x)
    x = BatchNormalization(name='bn1')(x)
    x = QActivation(binary_tanh, name='a1')(x)
    x = MaxPooling2D((2, 3), strides=(1, 2), name='p1')(x)  # after the activation: an OR of bits, windows overlap
    x = QConv2D(4, (1, 4), strides=(1, 2), padding='same', kernel_quantizer=binary(), use_bias=False, name='r2')(x)
    x = MaxPooling2D((3, 2), padding='same', name='p2')(x)  # before the BatchNorm, padded
    x = BatchNormalization(name='bn2')(x)
    x = QActivation(binary_tanh, name='a2')(x)
    x = Flatten(name='flat')(x)
    x = QDense(3, kernel_quantizer=binary(), name='out')(x)
    return Model(inp, x, name='conv2d_rectangular_chain')


IO = [
    ('VitisBinary', 'io_parallel'),
    ('VivadoBinary', 'io_parallel'),
    ('VitisBinary', 'io_stream'),
    ('VivadoBinary', 'io_stream'),
]


@pytest.mark.parametrize(('backend', 'io_type'), IO)
def test_conv2d_chain(outdir, rng, backend, io_type):
    model = conv2d_chain()
    X = representable_inputs(rng, 1500, (14, 14, 2))
    randomize(model, rng, X, weight_scale=0.6)
    hls_model = check_agreement(model, X, backend, outdir, io_type=io_type)
    kinds = [n.class_name for n in hls_model.graph.values()]
    assert kinds.count('IntegerDense') == 6 and kinds.count('IntegerPool') == 2


@pytest.mark.parametrize(('backend', 'io_type'), IO)
def test_conv1d_chain(outdir, rng, backend, io_type):
    model = conv1d_chain()
    X = representable_inputs(rng, 2000, (24, 3))
    randomize(model, rng, X, weight_scale=0.6)
    check_agreement(model, X, backend, outdir, io_type=io_type)


@pytest.mark.parametrize(('backend', 'io_type'), [IO[0], IO[3]])
def test_conv2d_rectangular_chain(outdir, rng, backend, io_type):
    model = conv2d_rectangular_chain()
    X = representable_inputs(rng, 1500, (9, 13, 3))
    randomize(model, rng, X, weight_scale=0.6)
    check_agreement(model, X, backend, outdir, io_type=io_type)


@pytest.mark.parametrize(('backend', 'io_type'), [IO[1], IO[2]])
def test_causal_conv1d(outdir, rng, backend, io_type):
    """'causal' padding puts k - 1 zeros before the sequence, whatever the stride (hls4ml's own padding arithmetic
    pads k - stride there, which moves every window of a strided causal convolution)."""
    inp = Input((13, 2), name='seq')
    x = QConv1D(4, 3, strides=2, padding='causal', kernel_quantizer=binary(), use_bias=False, name='causal')(inp)
    x = BatchNormalization(name='bn')(x)
    x = QActivation(binary_tanh, name='act')(x)
    x = QConv1D(3, 4, padding='causal', kernel_quantizer=ternary(), use_bias=False, name='causal_xnor')(x)
    x = BatchNormalization(name='bn2')(x)
    x = QActivation(ternary_tanh, name='act2')(x)
    x = Flatten(name='flat')(x)
    x = QDense(3, kernel_quantizer=binary(), name='out')(x)
    model = Model(inp, x)
    X = representable_inputs(rng, 1500, (13, 2))
    randomize(model, rng, X)
    check_agreement(model, X, backend, outdir, io_type=io_type)


def test_pool_before_a_negative_batchnorm_takes_the_minimum(rng):
    """Every gamma negative: the max-pool of the accumulator becomes the minimum of the thresholded levels."""
    import hlsbinary

    inp = Input((8, 8, 1), name='img')
    x = QConv2D(3, 3, kernel_quantizer=binary(), use_bias=False, name='c')(inp)
    x = MaxPooling2D(2, name='p')(x)
    x = BatchNormalization(name='bn')(x)
    x = QActivation(binary_tanh, name='a')(x)
    model = Model(inp, x)
    X = representable_inputs(rng, 2000, (8, 8, 1))
    randomize(model, rng, X)
    gamma, beta, mean, var = model.get_layer('bn').get_weights()
    model.get_layer('bn').set_weights([-np.abs(gamma) - 0.1, beta, mean, var])
    network = hlsbinary.read_network(model)
    assert network.layers[1].take_min.all()
    np.testing.assert_array_equal(hlsbinary.emulate(network, X), model.predict(X, verbose=0).reshape(len(X), -1))
