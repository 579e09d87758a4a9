"""Hostile QKeras models for the agreement tests, and the three-way check QKeras == C simulation == emulator."""

from __future__ import annotations

import numpy as np


def hostile_batchnorm(bn, dense, rng, zero_gamma=2):
    """BatchNorm statistics that break naive folds: negative and zero gammas, thresholds on reachable integers.

    Half the channels get ``beta = 0`` and a mean equal to the Dense output at a reachable accumulator value,
    so ``y == 0`` exactly there and the activation's zero convention decides.
    """
    n = bn.gamma.shape[0]
    n_in = dense.kernel.shape[0]
    alpha = np.abs(dense.kernel_quantizer_internal(dense.kernel).numpy()).max(axis=0)
    alpha[alpha == 0] = 1
    bias = dense.bias.numpy() if dense.use_bias else np.zeros(n, np.float32)
    gamma = rng.normal(0, 1, n)
    gamma[rng.permutation(n)[: n // 3]] *= -1
    gamma[:zero_gamma] = 0.0
    acc = rng.integers(-n_in // 3, n_in // 3 + 1, n) * 2 + (n_in % 2)  # same parity as the sums it will see
    tie = np.arange(n) % 2 == 0
    mean = np.where(tie, alpha * acc + bias, rng.normal(0, n_in**0.5, n) * alpha)
    beta = np.where(tie, 0.0, rng.normal(0, 1, n))
    var = rng.uniform(0.2, 4, n)
    bn.set_weights([gamma.astype(np.float32), beta.astype(np.float32), mean.astype(np.float32), var.astype(np.float32)])


def randomize(model, rng):
    """Random kernels and biases, then hostile statistics for every BatchNorm that follows a QDense."""
    from tensorflow.keras.layers import BatchNormalization

    previous_dense = None
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == 'QDense':
            layer.set_weights([rng.normal(0, 1, w.shape).astype(np.float32) for w in layer.get_weights()])
            previous_dense = layer
        elif isinstance(layer, BatchNormalization):
            hostile_batchnorm(layer, previous_dense, rng)


def representable_inputs(rng, n, shape, width=16, integer=6, signed=True, scale=2.0):
    """Inputs exactly representable in ap_(u)fixed<width, integer>, spread over a useful range."""
    frac = width - integer
    x = rng.normal(0, scale, (n, *shape)) if signed else rng.uniform(0, 1, (n, *shape))
    x = np.floor(x * 2**frac) / 2**frac
    lo = -(2 ** (integer - 1)) if signed else 0
    hi = 2 ** (integer - 1 if signed else integer) - 2**-frac
    return np.clip(x, lo, hi)


def keras_outputs(model, names, X):
    from tensorflow.keras.models import Model

    sub = Model(model.inputs, [model.get_layer(name).output for name in names])
    outs = sub.predict(X, verbose=0, batch_size=4096)
    return outs if isinstance(outs, list) else [outs]


def check_agreement(model, X, backend, outdir, hls_overrides=None, input_precision=None):
    """Convert, compile and demand: hidden activations and integer outputs ``==`` QKeras, real outputs within
    1e-3 relative; the emulator ``==`` the C simulation on every traced layer.  Returns the hls4ml model."""
    import hls4ml

    import hlsbinary
    from hlsbinary.hls4ml_plugin.layer import BinaryThresholdDense
    from hlsbinary.ir import AffineStage, Encoding

    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend=backend)
    for name in config['LayerName']:
        config['LayerName'][name]['Trace'] = True
    if input_precision:
        config['LayerName'][model.layers[0].name]['Precision']['result'] = input_precision
    for key, value in (hls_overrides or {}).items():
        config['Model'][key] = value
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend=backend, output_dir=str(outdir / 'prj'), io_type='io_parallel'
    )
    hls_model.compile()
    y_hls, trace = hls_model.trace(np.ascontiguousarray(X))
    nodes = [n for n in hls_model.graph.values() if isinstance(n, BinaryThresholdDense)]
    assert nodes, 'no layer was converted by the plugin'
    network = hlsbinary.read_network(
        model,
        input_precision=input_precision or 'fixed<16,6>',
        integer_scores=bool((hls_overrides or {}).get('IntegerScores')),
    )
    y_emu, emu_trace = hlsbinary.emulate(network, X, trace=True)  # the compiled kernel
    y_np, np_trace = hlsbinary.emulate(network, X, trace=True, engine='numpy')
    y_from_hls = hlsbinary.emulate(hls_model, X)  # the IR read back from the converted hls4ml model
    keras = keras_outputs(model, [n.get_attr('ir').keras_layers[-1] for n in nodes], X)
    for node, k in zip(nodes, keras, strict=True):
        ir = node.get_attr('ir')
        h = trace[node.name].reshape(k.shape)
        is_output = node.get_attr('is_model_output')
        if ir.output_encoding is Encoding.BITS and not is_output:
            h = 2 * h - 1  # hidden binary activations travel as bits
        np.testing.assert_array_equal(emu_trace[node.name], h, err_msg=f'emulator != C simulation at {node.name}')
        np.testing.assert_array_equal(np_trace[node.name], h, err_msg=f'NumPy emulator != C simulation at {node.name}')
        if isinstance(ir.output, AffineStage):
            scale = np.abs(k).max()
            np.testing.assert_allclose(h, k, rtol=1e-3, atol=1e-3 * scale, err_msg=f'real output at {node.name}')
        elif ir.output is None:
            dense = model.get_layer(ir.name)
            w_alpha = np.abs(dense.kernel_quantizer_internal(dense.kernel).numpy()).max(axis=0)
            bias = dense.bias.numpy() if dense.use_bias else np.float32(0)
            # QKeras's float32 BiasAdd recomputed from the firmware's integer scores must give its output exactly.
            rebuilt = h.astype(np.float32) * w_alpha.astype(np.float32) + bias
            np.testing.assert_array_equal(rebuilt, k, err_msg=f'integer scores at {node.name}')
        else:
            np.testing.assert_array_equal(h, k, err_msg=f'activation at {node.name}')
    np.testing.assert_array_equal(y_emu.reshape(y_hls.shape), y_hls)
    np.testing.assert_array_equal(y_np, y_emu)
    np.testing.assert_array_equal(y_from_hls, y_emu)
    assert hlsbinary.estimate(hls_model).to_dict() == hlsbinary.estimate(network).to_dict()
    return hls_model
