"""Random architectures: networks nobody wrote by hand, drawn from the space the plugin folds.

Each seed draws an MLP or a 1D/2D CNN: kernel sizes 1-3, strides 1-2, valid/same padding, pools before or after the
BatchNorm, binary/ternary/multi-bit kernels, six activation kinds, with or without bias and a final BatchNorm; an
interface and a backend. ``randomize`` gives it hostile BatchNorm statistics (negative and zero gammas, ties on
reachable integers). QKeras == C simulation == emulator, as in the hand-written zoos.
"""

import random

import numpy as np
import pytest

tf = pytest.importorskip('tensorflow', reason='the agreement tests need the qkeras extra (TensorFlow + QKeras)')

from qkeras import QActivation, QConv1D, QConv2D, QDense  # noqa: E402
from qkeras.quantizers import binary, quantized_bits, quantized_relu, ternary  # noqa: E402
from tensorflow.keras.layers import BatchNormalization, Flatten, Input, MaxPooling1D, MaxPooling2D  # noqa: E402
from tensorflow.keras.models import Model  # noqa: E402

from tests.zoo import check_agreement, randomize, representable_inputs  # noqa: E402

pytestmark = pytest.mark.csim

KERNELS = (
    lambda: binary(alpha=1),
    lambda: ternary(alpha=1),
    lambda: quantized_bits(3, 0, alpha=1),
    lambda: quantized_bits(5, 1, alpha='auto_po2'),
    lambda: ternary(alpha='auto_po2'),
)
ACTIVATIONS = (
    lambda: 'binary_tanh',
    lambda: binary(alpha=1),
    lambda: ternary(alpha=1, threshold=0.5),
    lambda: quantized_relu(2, 0),
    lambda: quantized_relu(3, 1),
    lambda: quantized_bits(3, 1),
)


def random_network(r: random.Random):
    """A random foldable network and its input shape."""
    dims = r.choice([0, 1, 2])
    shape = {0: (r.randint(3, 20),), 1: (r.randint(8, 16), r.randint(1, 4))}.get(
        dims, (r.randint(5, 9), r.randint(5, 9), r.randint(1, 3))
    )
    x = inp = Input(shape, name='inp')
    conv, pool = (QConv1D, MaxPooling1D) if dims == 1 else (QConv2D, MaxPooling2D)
    for i in range(r.randint(1, 2) if dims else 0):
        kernel, stride, padding = r.randint(1, 3), r.choice([1, 1, 2]), r.choice(['valid', 'same'])
        if padding == 'valid' and min(x.shape[1:-1]) < kernel:
            padding = 'same'
        x = conv(
            r.choice([3, 5, 7]), kernel, strides=stride, padding=padding, kernel_quantizer=r.choice(KERNELS)(),
            use_bias=r.random() < 0.5, name=f'c{i}',
        )(x)  # fmt: skip
        before = r.random() < 0.3 and min(x.shape[1:-1]) >= 2
        if before:
            x = pool(2, name=f'pool_before{i}')(x)
        x = BatchNormalization(name=f'bn_c{i}')(x)
        x = QActivation(r.choice(ACTIVATIONS)(), name=f'act_c{i}')(x)
        if not before and r.random() < 0.4 and min(x.shape[1:-1]) >= 2:
            x = pool(2, name=f'pool_after{i}')(x)
    if dims:
        x = Flatten(name='flat')(x)
    for i in range(r.randint(1, 2)):
        x = QDense(r.randint(3, 40), kernel_quantizer=r.choice(KERNELS)(), use_bias=r.random() < 0.5, name=f'd{i}')(x)
        x = BatchNormalization(name=f'bn_d{i}')(x)
        x = QActivation(r.choice(ACTIVATIONS)(), name=f'act_d{i}')(x)
    x = QDense(r.randint(2, 6), kernel_quantizer=r.choice(KERNELS)(), name='out')(x)
    if r.random() < 0.5:
        x = BatchNormalization(name='bn_out')(x)
    return Model(inp, x), shape


@pytest.mark.parametrize('seed', [200, 201, 203, 204, 209, 214, 219, 223])
def test_random_architecture(outdir, seed):
    r, rng = random.Random(seed), np.random.default_rng(seed)
    model, shape = random_network(r)
    X = representable_inputs(rng, 300, shape)
    randomize(model, rng, X)
    check_agreement(
        model, X, r.choice(['VitisBinary', 'VivadoBinary']), outdir, io_type=r.choice(['io_parallel', 'io_stream'])
    )
