"""Hostile QKeras models for the agreement tests, and the three-way check QKeras == C simulation == emulator."""

from __future__ import annotations

import numpy as np


def step_points(activation) -> list[float]:
    """Pre-activation values where an activation steps: aiming BatchNorm outputs there makes ties."""
    from hlsbinary.frontend.qkeras import _hinted_frac, quantizer_name

    name = quantizer_name(activation)
    if 'ternary' in name:
        threshold = getattr(activation, 'threshold', None) or 0.33
        return [threshold, -threshold]
    if 'binary' in name or activation is None:
        return [0.0]
    lsb = 2.0 ** -_hinted_frac(activation)
    return [(k + 0.5) * lsb for k in range(-2, 3)] + [k * lsb for k in range(-2, 3)]


def hostile_batchnorm(bn, pre, steps, rng, zero_gamma=2):
    """BatchNorm statistics that break naive folds: negative and zero gammas, and ties the test inputs reach.

    ``pre`` holds the BatchNorm's inputs on the test inputs ``(events, channels)``.  Half the channels get a mean
    equal to one of those inputs and ``beta`` on a step of the activation, so that event lands on the step (to
    float32 rounding of Keras's BatchNorm arithmetic): the activation's tie convention decides.
    """
    n = bn.gamma.shape[0]
    spread = np.maximum(pre.std(axis=0), 1e-3)
    gamma = rng.normal(0, 1, n)
    gamma[rng.permutation(n)[: n // 3]] *= -1
    gamma[:zero_gamma] = 0.0
    tie = np.arange(n) % 2 == 0
    picked = pre[rng.integers(0, len(pre), n), np.arange(n)]
    mean = np.where(tie, picked, pre.mean(axis=0) + rng.normal(0, 0.5, n) * spread)
    beta = np.where(tie, rng.choice(steps, n), rng.normal(0, 1, n))
    var = rng.uniform(0.2, 4, n) * spread**2
    bn.set_weights([gamma.astype(np.float32), beta.astype(np.float32), mean.astype(np.float32), var.astype(np.float32)])


def _next_activation(model, layer):
    from hlsbinary.frontend.qkeras import ACTIVATION_LAYERS, POOLS, activation_of, consumers

    nxt = consumers(model, layer)
    while len(nxt) == 1 and type(nxt[0]).__name__ in POOLS:  # a pool between the BatchNorm and the activation
        nxt = consumers(model, nxt[0])
    if len(nxt) == 1 and type(nxt[0]).__name__ in ACTIVATION_LAYERS:
        return activation_of(nxt[0])
    return None


def randomize(model, rng, X, weight_scale=1.0):
    """Random kernels and biases (biases on a coarse lattice, so ties stay reachable without BatchNorm), then
    hostile statistics for every BatchNorm, aimed at ties the inputs ``X`` reach, layer after layer."""
    from tensorflow.keras.layers import BatchNormalization
    from tensorflow.keras.models import Model

    for layer in model.layers:
        if type(layer).__name__ in ('QDense', 'QConv1D', 'QConv2D'):
            weights = [rng.normal(0, weight_scale, layer.kernel.shape).astype(np.float32)]
            if layer.use_bias:
                weights.append((np.round(rng.normal(0, 2, layer.bias.shape)) / 4).astype(np.float32))
            layer.set_weights(weights)
    for layer in model.layers:
        if isinstance(layer, BatchNormalization):
            pre = Model(model.inputs, layer.input).predict(X, verbose=0, batch_size=4096)
            pre = pre.reshape(-1, pre.shape[-1])  # per channel: every event and position
            hostile_batchnorm(layer, pre, step_points(_next_activation(model, layer)), rng)


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


def check_agreement(model, X, backend, outdir, hls_overrides=None, input_precision=None, io_type='io_parallel'):
    """Convert, compile and demand: hidden activations and integer outputs ``==`` QKeras, real outputs within
    1e-3 relative; the emulator ``==`` the C simulation on every traced layer.  Returns the hls4ml model."""
    import hls4ml

    import hlsbinary
    from hlsbinary.hls4ml_plugin.layer import IntegerDense, IntegerPool
    from hlsbinary.hls4ml_plugin.types import from_hls4ml
    from hlsbinary.ir import AffineStage, FixedType, ThresholdStage

    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend=backend)
    for name in config['LayerName']:
        config['LayerName'][name]['Trace'] = True
    if input_precision:
        config['LayerName'][model.layers[0].name]['Precision']['result'] = input_precision
    for key, value in (hls_overrides or {}).items():
        config['Model'][key] = value
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, backend=backend, output_dir=str(outdir / 'prj'), io_type=io_type
    )
    y_hls, trace = hls_model.trace(np.ascontiguousarray(X))  # compiles the C simulation (with tracing) once
    n_events = len(X)
    y_hls = y_hls.reshape(n_events, -1)
    nodes = [n for n in hls_model.graph.values() if isinstance(n, IntegerDense | IntegerPool)]
    assert nodes, 'no layer was converted by the plugin'
    network = hlsbinary.read_network(
        model,
        input_precision=input_precision or 'fixed<16,6>',
        integer_scores=bool((hls_overrides or {}).get('IntegerScores')),
    )
    y_emu, emu_trace = hlsbinary.emulate(network, X, trace=True)  # the compiled kernel
    scores_network = hlsbinary.read_network(model, input_precision=input_precision or 'fixed<16,6>', integer_scores=True)
    _, emu_trace_scores = hlsbinary.emulate(scores_network, X, trace=True)
    y_np, np_trace = hlsbinary.emulate(network, X, trace=True, engine='numpy')
    y_from_hls = hlsbinary.emulate(hls_model, X)  # the IR read back from the converted hls4ml model
    keras = keras_outputs(model, [n.get_attr('ir').keras_layers[-1] for n in nodes], X)
    for index, (node, k) in enumerate(zip(nodes, keras, strict=True)):
        ir = node.get_attr('ir')
        k = k.reshape(n_events, -1)
        h = trace[node.name].reshape(n_events, -1)
        if from_hls4ml(node.get_output_variable().type.precision) == FixedType(1, 1, False):
            h = 2 * h - 1  # hidden binary activations travel as bits
        np.testing.assert_array_equal(emu_trace[node.name], h, err_msg=f'emulator != C simulation at {node.name}')
        np.testing.assert_array_equal(np_trace[node.name], h, err_msg=f'NumPy emulator != C simulation at {node.name}')
        following = nodes[index + 1] if index + 1 < len(nodes) else None
        if isinstance(following, IntegerPool) and following.get_attr('ir').keras_layers[-1] == ir.keras_layers[-1]:
            continue  # levels before a pool that came before the activation in Keras: no Keras tensor holds them
        if isinstance(node, IntegerPool) or isinstance(ir.output, ThresholdStage):
            np.testing.assert_array_equal(h, k, err_msg=f'levels at {node.name}')
        elif isinstance(ir.output, AffineStage):
            # The design's guarantee: scale and offset rounded to 2**-(frac+1) each, so |y - y_qkeras| is at most
            # 2**-(frac+1) * (|acc| + 1), plus QKeras's own float32 rounding of its output.
            acc = emu_trace_scores[node.name]
            bound = 2.0 ** -(ir.output.frac + 1) * (np.abs(acc) + 1) + 2.0**-21 * np.abs(k).max(axis=0)
            assert np.all(np.abs(h - k) <= bound), f'real output at {node.name}: beyond the folded affine guarantee'
            np.testing.assert_allclose(h, k, rtol=1e-3, atol=1e-3 * np.abs(k).max(), err_msg=f'real output at {node.name}')
        elif ir.output is None:
            from hlsbinary.frontend.qkeras import quantized_kernel

            dense = model.get_layer(ir.name)
            _, unit = quantized_kernel(dense)
            lsb = 2.0**-ir.input_type.frac if ir.input_type is not None else 1.0
            bias = dense.bias.numpy() if dense.use_bias else np.float32(0)
            # QKeras's float32 BiasAdd recomputed from the firmware's integer scores must give its output exactly.
            rebuilt = h.astype(np.float32) * (unit * lsb).astype(np.float32) + bias
            np.testing.assert_array_equal(rebuilt, k, err_msg=f'integer scores at {node.name}')
    np.testing.assert_array_equal(y_emu.reshape(y_hls.shape), y_hls)
    np.testing.assert_array_equal(y_np, y_emu)
    np.testing.assert_array_equal(y_from_hls, y_emu)
    assert hlsbinary.estimate(hls_model).to_dict() == hlsbinary.estimate(network, io_type=io_type).to_dict()
    return hls_model
