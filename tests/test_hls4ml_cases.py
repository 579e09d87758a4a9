"""hls4ml's own binary/ternary and quantizer test cases, re-expressed here and run through hlsbinary's backends.

The cases are those of hls4ml 1.3.0's ``test/pytest/test_qkeras.py`` (``test_btnn``, ``test_qactivation_kwarg``,
``test_quantizer``) and ``test/pytest/test_binary_cnn.py``: the same models, inputs and tolerances, with only the
backend changed (and stock's 0/1 decoding of binary outputs dropped: hlsbinary outputs -1/+1 as QKeras does).
Where hls4ml's tolerance is loose, the exact comparison hlsbinary guarantees is asserted as well.  A case hlsbinary
refuses must be refused with a named reason the README lists (``REFUSED``).
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip('tensorflow', reason='needs the qkeras extra (TensorFlow + QKeras)')

import hls4ml  # noqa: E402
from qkeras import QActivation, QBatchNormalization, QConv2D, QDense, binary, quantized_bits, quantized_relu, ternary  # noqa: E402
from tensorflow.keras.layers import BatchNormalization, Flatten, Input, MaxPooling2D  # noqa: E402
from tensorflow.keras.models import Model, Sequential  # noqa: E402

from hlsbinary.errors import UnsupportedModelError  # noqa: E402

pytestmark = pytest.mark.csim
BACKENDS = ('VitisBinary', 'VivadoBinary')
# What hlsbinary refuses among these cases, and the reason it gives (README: "hls4ml's own tests").
REFUSED = {
    'levels': r'output levels; at most 256 are folded',
    'reuse': r"'conv2d_1': ReuseFactor 9 is not supported by the Vi\w+Binary backend",
}


def _convert(model, outdir, backend, io_type='io_parallel', **config_kw):
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend=backend, **config_kw)
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(outdir / 'prj'), backend=backend, io_type=io_type
    )


# ---- test_btnn: QDense(10) with binary/ternary kernels, quantized bias, optional BN, binary/ternary activation ----

BTNN = [
    (1, ternary(alpha=1), quantized_bits(5, 2), 'binary_tanh', False),
    (2, binary(), quantized_bits(5, 2), 'binary_tanh', False),
    (3, ternary(alpha='auto'), quantized_bits(5, 2), binary(), True),
    (4, ternary(alpha='auto'), quantized_bits(5, 2), 'ternary', True),
    (5, ternary(alpha='auto'), quantized_bits(5, 2), ternary(threshold=0.2), True),
    (6, ternary(alpha='auto'), quantized_bits(5, 2), ternary(threshold=0.8), True),
    (7, binary(), quantized_bits(5, 2), binary(), False),
]


def make_btnn(kernel_quantizer, bias_quantizer, activation, use_batchnorm):
    model = Sequential()
    model.add(QDense(10, input_shape=(10,), kernel_quantizer=kernel_quantizer, bias_quantizer=bias_quantizer, name='dense'))
    if use_batchnorm:
        model.add(BatchNormalization(name='bn'))
    model.add(QActivation(activation=activation))
    model.compile()
    return model


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('case', BTNN, ids=[f'btnn{c[0]}' for c in BTNN])
def test_btnn(outdir, backend, case):
    number, kernel_q, bias_q, activation, use_bn = case
    np.random.seed(number)
    model = make_btnn(kernel_q, bias_q, activation, use_bn)
    X = np.random.rand(100, 10)  # hls4ml's inputs: not representable in the firmware's ap_fixed<16,6>
    hls_model = _convert(model, outdir, backend)
    hls_model.compile()
    y_hls, y_ker = hls_model.predict(X), model.predict(X, verbose=0)
    wrong = (y_hls != y_ker).ravel()
    assert sum(wrong) / len(wrong) < 0.005  # hls4ml's own criterion
    Xr = np.floor(X * 2**10) / 2**10  # representable inputs: hlsbinary's guarantee is exact agreement
    if number < 3:  # alpha 1 / power of two: QKeras's float32 sums are exact, so the firmware equals QKeras
        np.testing.assert_array_equal(hls_model.predict(Xr), model.predict(Xr, verbose=0))


@pytest.mark.parametrize('case', BTNN, ids=[f'btnn{c[0]}' for c in BTNN])
def test_btnn_io_stream(outdir, case):
    """hls4ml runs test_btnn with io_parallel only; hlsbinary's stream interface must give the same numbers."""
    number, kernel_q, bias_q, activation, use_bn = case
    np.random.seed(number)
    model = make_btnn(kernel_q, bias_q, activation, use_bn)
    X = np.floor(np.random.rand(100, 10) * 2**10) / 2**10
    hls_model = _convert(model, outdir, BACKENDS[number % 2], io_type='io_stream')
    hls_model.compile()
    y_hls, y_ker = hls_model.predict(X), model.predict(X, verbose=0)
    if number < 3:
        np.testing.assert_array_equal(y_hls, y_ker)
    else:
        assert np.mean(y_hls != y_ker) < 0.005


# ---- test_qactivation_kwarg: the activation written inside the QDense --------------------------------------------

KWARG = [
    ('binary', 'binary'),
    ('ternary', 'ternary'),
    ('quantized_bits(4, 0, alpha=1)', 'quantized_relu(2, 0)'),
    ('quantized_bits(4, 0, alpha=1)', 'quantized_relu(4, 0)'),
    ('quantized_bits(4, 0, alpha=1)', 'quantized_relu(8, 0)'),
]


@pytest.mark.parametrize(('index', 'case'), list(enumerate(KWARG)), ids=[f'{w}-{a}' for w, a in KWARG])
def test_qactivation_kwarg(outdir, index, case):
    weight_quantizer, activation_quantizer = case
    np.random.seed(index)
    inputs = Input(shape=(10,))
    outputs = QDense(
        10,
        activation=activation_quantizer,
        name='qdense',
        kernel_quantizer=weight_quantizer,
        bias_quantizer=weight_quantizer,
        kernel_initializer='lecun_uniform',
    )(inputs)
    model = Model(inputs, outputs)
    hls_model = _convert(model, outdir, BACKENDS[index % 2])
    hls_model.compile()
    # hls4ml checks here that its stock layer 'bnbt_qdense_alpha' (or similar) exists: an implementation detail of
    # stock's folding; hlsbinary folds the QDense and its activation into one layer instead.
    assert [layer.class_name for layer in hls_model.get_layers()] == ['Input', 'IntegerDense']
    X = np.round(np.random.rand(100, 10) * 2**10) * 2**-10
    y_qkeras, y_hls4ml = model.predict(X, verbose=0), hls_model.predict(X)
    np.testing.assert_array_equal(y_hls4ml.reshape(y_qkeras.shape), y_qkeras)  # hls4ml allows 0.5 % or 2**-(bits-1)


# ---- test_quantizer: a quantizer alone on one input ------------------------------------------------------------------

QUANTIZERS = [
    quantized_bits(8, 0),
    quantized_bits(8, 4),
    quantized_bits(4, 2),
    quantized_bits(4, 0),
    quantized_bits(10, 0),
    quantized_relu(4),
    quantized_relu(4, 2),
    quantized_relu(8),
    quantized_relu(8, 4),
    quantized_relu(10),
    quantized_relu(10, 5),
]
TOO_MANY_LEVELS = {'quantized_bits(10,0,0)', 'quantized_relu(10,0)', 'quantized_relu(10,5)'}


@pytest.mark.parametrize(('index', 'quantizer'), list(enumerate(QUANTIZERS)), ids=[str(q) for q in QUANTIZERS])
def test_quantizer(outdir, index, quantizer):
    np.random.seed(index)
    X = np.round(np.random.rand(1000, 1) * 2**10) * 2**-10  # exact in ap_fixed<16,6>
    model = Sequential()
    model.add(QActivation(input_shape=(1,), activation=quantizer, name='quantizer'))
    model.compile()
    backend = BACKENDS[index % 2]
    if str(quantizer) in TOO_MANY_LEVELS:
        with pytest.raises(UnsupportedModelError, match=REFUSED['levels']):
            _convert(model, outdir, backend)
        return
    hls_model = _convert(model, outdir, backend)
    hls_model.compile()
    np.testing.assert_array_equal(model.predict(X, verbose=0), hls_model.predict(X).reshape(-1, 1))


# ---- test_binary_cnn --------------------------------------------------------------------------------------------------


def binary_cnn():
    """hls4ml's binary CNN (28x28x1, three binary convolutions, two max-pools, two binary dense layers)."""
    from tensorflow.keras.regularizers import l2

    x_in = Input(shape=(28, 28, 1))
    x = QConv2D(
        4, (3, 3), kernel_quantizer='binary', name='conv2d_1', kernel_regularizer=l2(0.0001), use_bias=True,
        bias_quantizer='quantized_bits(5,2)',
    )(x_in)  # fmt: skip
    x = QBatchNormalization()(x)
    x = QActivation('binary', name='act1')(x)
    x = QConv2D(8, (3, 3), kernel_quantizer='binary', name='conv2d_2', kernel_regularizer=l2(0.0001), use_bias=False)(x)
    x = QBatchNormalization()(x)
    x = QActivation('binary', name='act2')(x)
    x = MaxPooling2D(pool_size=(2, 2))(x)
    x = QConv2D(8, (3, 3), kernel_quantizer='binary', name='conv2d_3', kernel_regularizer=l2(0.0001), use_bias=False)(x)
    x = QBatchNormalization()(x)
    x = QActivation('binary', name='act3')(x)
    x = MaxPooling2D(pool_size=(2, 2))(x)
    x = Flatten()(x)
    x = QDense(10, kernel_quantizer='binary', name='q_dense_6', use_bias=False)(x)
    x = QBatchNormalization()(x)
    x = QActivation('binary_tanh', name='act4')(x)
    x = QDense(10, kernel_quantizer='binary', activation='linear', name='q_dense_7', use_bias=False)(x)
    return Model(inputs=x_in, outputs=x)


@pytest.mark.parametrize('backend', BACKENDS)
def test_binary_cnn_with_hls4ml_reuse_factors_is_refused_by_name(outdir, backend):
    """hls4ml's test sets ReuseFactor 9..2000 per layer: hlsbinary's layers are fully unrolled, so it says so."""
    model = binary_cnn()
    config = hls4ml.utils.config_from_keras_model(
        model, granularity='name', default_precision='fixed<32,12>', backend=backend
    )
    config['LayerName']['conv2d_1']['ReuseFactor'] = 9
    with pytest.raises(UnsupportedModelError, match=REFUSED['reuse']):
        hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir=str(outdir / 'prj'), backend=backend, io_type='io_parallel'
        )


@pytest.mark.parametrize(('backend', 'io_type'), [(b, io) for b in BACKENDS for io in ('io_parallel', 'io_stream')])
def test_binary_cnn(outdir, backend, io_type):
    """The same CNN with the configuration left as proposed: exact, where hls4ml allows rtol 1e-2."""
    np.random.seed(3)
    model = binary_cnn()
    hls_model = _convert(model, outdir, backend, io_type=io_type, default_precision='fixed<32,12>')
    hls_model.compile()
    X = np.round(np.random.rand(100, 28, 28, 1) * 2**10) * 2**-10
    np.testing.assert_array_equal(hls_model.predict(X).reshape(100, -1), model.predict(X, verbose=0))
