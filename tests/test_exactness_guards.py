"""Never silently wrong: what the plugin cannot fold exactly is refused by name, and what it hands to hls4ml's
standard path gets the numbers QKeras has (-1/+1, not bits)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip('tensorflow', reason='needs the qkeras extra (TensorFlow + QKeras)')

import hls4ml  # noqa: E402
from qkeras import QActivation, QDense, binary, binary_tanh  # noqa: E402
from tensorflow.keras.layers import BatchNormalization, Flatten, Input  # noqa: E402
from tensorflow.keras.models import Model  # noqa: E402

from hlsbinary.errors import UnsupportedModelError  # noqa: E402
from tests.zoo import randomize, representable_inputs  # noqa: E402


def _convert(model, outdir, backend='VitisBinary', **layer_settings):
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend=backend)
    for key, value in layer_settings.items():
        config['LayerName'][model.layers[-1].name][key] = value
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend=backend, output_dir=str(outdir / 'prj'), io_type='io_parallel'
    )


def test_binary_depthwise_conv_is_refused_by_name(outdir):
    from qkeras import QDepthwiseConv2D

    inp = Input((8, 8, 2), name='img')
    x = QDepthwiseConv2D(3, depthwise_quantizer=binary(), use_bias=False, name='dw')(inp)
    x = BatchNormalization(name='bn')(x)
    x = QActivation(binary_tanh, name='act')(x)
    x = Flatten(name='flat')(x)
    x = QDense(3, kernel_quantizer=binary(), name='out')(x)
    with pytest.raises(
        UnsupportedModelError, match=r"layer 'dw' \(QDepthwiseConv2D\).*depthwise kernel is not folded.*Supported blocks"
    ):
        _convert(Model(inp, x), outdir)


def test_binary_activation_on_the_inputs_is_folded_not_left_to_stock(outdir):
    """hls4ml's own folding of a binary activation is inexact: on a fixed-point tensor it becomes a block of ours."""
    inp = Input((6,), name='x')
    x = QActivation(binary_tanh, name='sign_of_inputs')(inp)
    x = QDense(3, kernel_quantizer=binary(), name='out')(x)
    hls_model = _convert(Model(inp, x), outdir)
    assert [n.class_name for n in hls_model.graph.values()] == ['Input', 'IntegerDense', 'IntegerDense']


@pytest.mark.parametrize(('key', 'value'), [('ReuseFactor', 4), ('Strategy', 'Resource')])
def test_settings_the_layers_cannot_honour_are_refused(outdir, key, value):
    inp = Input((6,), name='x')
    x = QDense(3, kernel_quantizer=binary(), name='out')(inp)
    with pytest.raises(UnsupportedModelError, match=rf"'out': {key} .*not supported by the VitisBinary backend"):
        _convert(Model(inp, x), outdir, **{key: value})


@pytest.mark.csim
def test_standard_layer_after_a_binary_block_gets_minus_one_plus_one(outdir, rng):
    """A float Dense after a binary block stays on hls4ml's standard path: it must see -1/+1, as in QKeras."""
    from tensorflow.keras.layers import Dense

    inp = Input((16,), name='x')
    x = QDense(32, kernel_quantizer=binary(), use_bias=False, name='d0')(inp)
    x = BatchNormalization(name='bn0')(x)
    x = QActivation(binary_tanh, name='a0')(x)
    x = Dense(5, use_bias=False, name='out')(x)
    model = Model(inp, x)
    X = representable_inputs(rng, 2000, (16,))
    randomize(model, rng, X)
    model.get_layer('out').set_weights([(np.round(rng.normal(0, 4, (32, 5))) / 8).astype(np.float32)])  # exact in fixed<8,4>
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
    config['LayerName']['out']['Precision'] = {'weight': 'fixed<8,4>', 'accum': 'fixed<16,8>', 'result': 'fixed<16,8>'}
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend='VitisBinary', output_dir=str(outdir / 'prj'), io_type='io_parallel'
    )
    hls_model.compile()
    np.testing.assert_array_equal(hls_model.predict(X), model.predict(X, verbose=0))


@pytest.mark.csim
@pytest.mark.parametrize('io_type', ['io_parallel', 'io_stream'])
def test_reshaped_input_takes_the_input_precision(outdir, rng, io_type):
    """A flat input reshaped into an image (hls4ml leaves the Reshape's precision 'auto'): the convolution folds
    on the Input's precision, carried through the Reshape (or io_stream's Repack), and agrees with QKeras."""
    from qkeras import QConv2D
    from tensorflow.keras.layers import Reshape

    inp = Input((36,), name='flat_pixels')
    x = Reshape((6, 6, 1), name='image')(inp)
    x = QConv2D(3, 3, kernel_quantizer=binary(), use_bias=False, name='conv')(x)
    x = BatchNormalization(name='bn')(x)
    x = QActivation(binary_tanh, name='act')(x)
    x = Flatten(name='flat')(x)
    x = QDense(2, kernel_quantizer=binary(), name='out')(x)
    model = Model(inp, x)
    X = np.floor(rng.uniform(0, 1, (500, 36)) * 256) / 256
    randomize(model, rng, X)
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
    config['LayerName']['flat_pixels']['Precision']['result'] = 'ufixed<8,0>'
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend='VitisBinary', output_dir=str(outdir / 'prj'), io_type=io_type
    )
    conv = hls_model.graph['conv']
    assert str(conv.get_input_variable().type.precision).startswith('ufixed<8,0')
    hls_model.compile()
    np.testing.assert_array_equal(hls_model.predict(X).reshape(len(X), -1), model.predict(X, verbose=0))
