"""Convert a zoo of hostile binary/ternary networks with both plugin backends and demand exact agreement."""

import numpy as np
import pytest

tf = pytest.importorskip('tensorflow', reason='the agreement tests need the qkeras extra (TensorFlow + QKeras)')

from qkeras import QActivation, QDense, binary, binary_tanh, ternary  # noqa: E402
from tensorflow.keras.layers import BatchNormalization, Input  # noqa: E402
from tensorflow.keras.models import Model  # noqa: E402

from hlsbinary.frontend.activations import ternary_tanh  # noqa: E402
from tests.zoo import check_agreement, randomize, representable_inputs  # noqa: E402

pytestmark = pytest.mark.csim


def _mlp(n_in, widths, kernel, act, name, final_bn=True, use_bias=False, inner_activation=False):
    inp = Input((n_in,), name='inp')
    x = inp
    for i, width in enumerate(widths[:-1]):
        if inner_activation:
            x = QDense(width, kernel_quantizer=kernel(), use_bias=use_bias, activation=act, name=f'd{i}')(x)
            continue
        x = QDense(width, kernel_quantizer=kernel(), use_bias=use_bias, name=f'd{i}')(x)
        x = BatchNormalization(name=f'bn{i}')(x)
        x = QActivation(act, name=f'a{i}')(x)
    x = QDense(widths[-1], kernel_quantizer=kernel(), use_bias=use_bias, name='out')(x)
    if final_bn:
        x = BatchNormalization(name='bn_out')(x)
    return Model(inp, x, name=name)


@pytest.mark.parametrize('backend', ['VitisBinary', 'VivadoBinary'])
def test_jets_binary_64_32_32(backend, outdir, rng):
    model = _mlp(16, [64, 32, 32, 5], binary, binary_tanh, 'jets_binary')
    X = representable_inputs(rng, 3000, (16,))
    randomize(model, rng, X)
    check_agreement(model, X, backend, outdir)


def test_ternary_odd_widths_and_conventions(outdir, rng):
    inp = Input((16,), name='inp')
    x = QDense(33, kernel_quantizer=ternary(), name='d0')(inp)
    x = BatchNormalization(name='bn0')(x)
    x = QActivation(ternary_tanh, name='a0')(x)
    x = QDense(17, kernel_quantizer=binary(), name='d1')(x)  # binary weights on ternary inputs
    x = BatchNormalization(name='bn1')(x)
    x = QActivation(ternary(alpha=1, threshold=0.5), name='a1')(x)
    x = QDense(7, kernel_quantizer=ternary(alpha=1), name='d2')(x)
    x = BatchNormalization(name='bn2')(x)
    x = QActivation(binary(), name='a2')(x)  # binary() maps 0 to +1, binary_tanh maps it to -1
    x = QDense(5, kernel_quantizer=ternary(), name='out')(x)  # no BatchNorm: bias only
    model = Model(inp, x, name='ternary_odd')
    X = representable_inputs(rng, 3000, (16,))
    randomize(model, rng, X)
    check_agreement(model, X, 'VitisBinary', outdir)


def test_no_batchnorm_bias_inner_activations_binary_output(outdir, rng):
    inp = Input((10,), name='inp')
    x = QDense(31, kernel_quantizer=binary(alpha=1), activation='binary_tanh', name='d0')(inp)
    x = QDense(9, kernel_quantizer=binary(), name='d1')(x)
    x = QActivation(binary(alpha=1), name='a1')(x)
    x = QDense(3, kernel_quantizer=binary(), activation=binary_tanh, name='out')(x)
    model = Model(inp, x, name='no_bn')
    X = representable_inputs(rng, 3000, (10,))
    randomize(model, rng, X)
    for layer in model.layers:  # biases on the integer lattice make ties reachable without BatchNorm
        if type(layer).__name__ == 'QDense':
            k, b = layer.get_weights()
            layer.set_weights([k, np.round(b * 3)])
    hls_model = check_agreement(model, X, 'VitisBinary', outdir)
    y = hls_model.predict(representable_inputs(rng, 100, (10,)))
    assert set(np.unique(y)) <= {-1.0, 1.0}


def test_wide_layers_exact_accumulators(outdir, rng):
    # 400 inputs: hls4ml's default fixed<16,6> accumulator would wrap past 32 inputs.
    model = _mlp(400, [200, 61, 10], binary, binary_tanh, 'wide')
    X = representable_inputs(rng, 2000, (400,), width=8, integer=0, signed=False)
    randomize(model, rng, X)
    check_agreement(model, X, 'VitisBinary', outdir, input_precision='ufixed<8,0>')


def test_integer_scores_on_request(outdir, rng):
    model = _mlp(16, [24, 5], ternary, ternary_tanh, 'scores', final_bn=True, use_bias=True)
    X = representable_inputs(rng, 2000, (16,))
    randomize(model, rng, X)
    # Scores come from the last QDense (its BatchNorm left out), so compare against the QDense output.
    scores_model = Model(model.inputs, model.get_layer('out').output, name='scores_view')
    check_agreement(scores_model, X, 'VivadoBinary', outdir, hls_overrides={'IntegerScores': True})
