"""Config-file conversion through both CLIs, and the errors bad input gets."""

import subprocess
import sys
from pathlib import Path

import pytest

tf = pytest.importorskip('tensorflow', reason='conversion needs the qkeras extra (TensorFlow + QKeras)')

from qkeras import QActivation, QDense, binary, quantized_relu  # noqa: E402
from tensorflow.keras.layers import Input  # noqa: E402
from tensorflow.keras.models import Model  # noqa: E402

from hlsbinary.config import ConfigError, load_config  # noqa: E402
from hlsbinary.frontend.qkeras import UnsupportedModelError, read_network  # noqa: E402

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope='module')
def jets_model(tmp_path_factory):
    from hlsbinary.zoo import build_all

    return build_all(tmp_path_factory.mktemp('models'), ['jets_binary_64_32_32'])[0]


def _config(tmp_path, model_path, extra=''):
    text = (ROOT / 'configs' / 'jets_binary_64_32_32.yml').read_text()
    text = text.replace('models/trained/jets_binary_64_32_32.h5', str(model_path))
    text = text.replace('hls_projects/jets_binary_64_32_32', str(tmp_path / 'prj'))
    path = tmp_path / 'config.yml'
    path.write_text(text + extra)
    return path


def test_hls4ml_cli_converts_shipped_config(tmp_path, jets_model):
    # A plain `hls4ml convert`: the plugin and the QKeras objects must load with no import of ours.
    cfg = _config(tmp_path, jets_model)
    hls4ml_cli = Path(sys.executable).parent / 'hls4ml'
    subprocess.run([str(hls4ml_cli), 'convert', '-c', str(cfg)], check=True, capture_output=True, cwd=tmp_path)
    code = (tmp_path / 'prj' / 'firmware' / 'myproject.cpp').read_text()
    assert code.count('nnet::integer_dense_threshold') == 3 and 'nnet::integer_dense_affine' in code


def test_hlsbinary_cli_converts_and_reports(tmp_path, jets_model):
    cfg = _config(tmp_path, jets_model)
    out = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'convert', '-c', str(cfg)], check=True, capture_output=True, text=True
    )
    assert f'HLS project written to {tmp_path / "prj"}' in out.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.prj-')]  # no staging folder left behind


def test_kerash5_key_works_in_hlsbinary(tmp_path, jets_model):
    cfg = _config(tmp_path, jets_model)
    cfg.write_text(cfg.read_text().replace('KerasModel:', 'KerasH5:'))
    from hlsbinary.config import convert

    hls_model, target = convert(cfg)
    assert (target / 'firmware' / 'myproject.cpp').exists()


def test_unknown_key_is_named(tmp_path, jets_model):
    cfg = _config(tmp_path, jets_model, extra='OutpuDir: typo\n')
    with pytest.raises(ConfigError, match=r"unknown key 'OutpuDir'. Did you mean 'OutputDir'"):
        load_config(cfg)
    out = subprocess.run([sys.executable, '-m', 'hlsbinary.cli', 'convert', '-c', str(cfg)], capture_output=True, text=True)
    assert out.returncode == 2 and 'OutpuDir' in out.stderr


def test_failed_conversion_leaves_nothing_behind(tmp_path, jets_model):
    cfg = _config(tmp_path, jets_model)
    cfg.write_text(cfg.read_text().replace('Backend: VitisBinary', 'Backend: NoSuchBackend'))
    from hlsbinary.config import convert

    with pytest.raises(Exception):  # noqa: B017 - hls4ml's own error for an unknown backend
        convert(cfg)
    assert not (tmp_path / 'prj').exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.prj-')]


def test_unsupported_activation_names_layer_and_alternatives():
    from tensorflow.keras.layers import Activation

    inp = Input((8,))
    x = QDense(4, kernel_quantizer=binary(), name='fc')(inp)
    x = QActivation(quantized_relu(3), name='relu3')(x)  # supported
    x = QDense(4, kernel_quantizer=binary(), name='fc2')(x)
    x = Activation('tanh', name='float_tanh')(x)  # not: real-valued outputs
    with pytest.raises(UnsupportedModelError, match=r"'float_tanh'.*real numbers.*quantized_relu.*Supported: binary_tanh"):
        read_network(Model(inp, x))


def test_plugin_refuses_a_mixed_model_by_name_and_writes_nothing(tmp_path):
    """A supported block then an unsupported activation: the named error, and no project written."""
    import hls4ml
    from tensorflow.keras.layers import Activation

    inp = Input((8,), name='x')
    x = QDense(6, kernel_quantizer=binary(), name='fc')(inp)
    x = QActivation(quantized_relu(2, 1), name='relu2')(x)
    x = QDense(4, kernel_quantizer=binary(), name='fc2')(x)
    x = Activation('sigmoid', name='float_sigmoid')(x)
    model = Model(inp, x)
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
    with pytest.raises(UnsupportedModelError, match=r"'float_sigmoid'.*real numbers"):
        hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, backend='VitisBinary', output_dir=str(tmp_path / 'prj')
        )
    assert not (tmp_path / 'prj').exists()


@pytest.mark.parametrize(
    'where, quantizer', [('layer', 'quantized_po2(4)'), ('layer', 'stochastic_ternary()'), ('inside', 'quantized_ulaw(4)')]
)
def test_activation_hls4ml_cannot_read_is_refused_by_name_through_the_cli(tmp_path, where, quantizer):
    """hls4ml's parser rejects some QKeras activations with a bare "Unsupported QKeras activation": hlsbinary
    convert refuses them first, one line naming the layer and the supported activations, exit 2, no project."""
    inp = Input((8,), name='x')
    x = QDense(6, kernel_quantizer=binary(), name='fc', activation=quantizer if where == 'inside' else None)(inp)
    if where == 'layer':
        x = QActivation(quantizer, name='odd_act')(x)
    x = QDense(4, kernel_quantizer=binary(), name='fc2')(x)
    Model(inp, x).save(tmp_path / 'm.h5')
    (tmp_path / 'c.yml').write_text(f'KerasModel: {tmp_path / "m.h5"}\nOutputDir: {tmp_path / "prj"}\n')
    result = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'convert', '-c', tmp_path / 'c.yml'], capture_output=True, text=True
    )
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    layer = 'odd_act' if where == 'layer' else 'fc'
    name = quantizer.split('(')[0]
    assert f"layer '{layer}': the activation {name} cannot be converted" in result.stderr
    assert 'supported: binary_tanh' in result.stderr and not (tmp_path / 'prj').exists()


def _cli(*args):
    return subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', *map(str, args)], check=True, capture_output=True, text=True
    )


@pytest.mark.parametrize('fmt', ['h5', 'npz', 'csv'])
def test_emulate_cli_file_formats(tmp_path, jets_model, fmt):
    import h5py
    import numpy as np

    import hlsbinary

    X = np.random.default_rng(3).normal(size=(257, 16))
    src = tmp_path / f'inputs.{fmt}'
    if fmt == 'h5':
        with h5py.File(src, 'w') as f:
            f.create_dataset('jets', data=X)
    elif fmt == 'npz':
        np.savez(src, jets=X)
    else:
        np.savetxt(src, X, delimiter=',', fmt='%.17g')
    out = tmp_path / f'outputs.{fmt}'
    _cli('emulate', jets_model, src, '-o', out, '--key', 'jets') if fmt != 'csv' else _cli(
        'emulate', jets_model, src, '-o', out
    )
    expected = hlsbinary.emulate(jets_model, X)
    if fmt == 'h5':
        with h5py.File(out) as f:
            got = f['outputs'][...]
    elif fmt == 'npz':
        got = np.load(out)['outputs']
    else:
        got = np.loadtxt(out, delimiter=',')
    np.testing.assert_array_equal(got, expected)
    assert not list(tmp_path.glob('.outputs*'))  # no temporary file left


def test_emulate_cli_reads_precision_from_config(tmp_path, jets_model):
    import numpy as np

    import hlsbinary

    cfg = _config(tmp_path, jets_model)
    cfg.write_text(cfg.read_text().replace('Precision: fixed<16,6>', 'Precision: fixed<12,4>'))
    X = np.random.default_rng(4).normal(scale=5, size=(300, 16))
    np.save(tmp_path / 'x.npy', X)
    _cli('emulate', cfg, tmp_path / 'x.npy', '-o', tmp_path / 'y.npy')
    got = np.load(tmp_path / 'y.npy')
    np.testing.assert_array_equal(got, hlsbinary.emulate(jets_model, X, input_precision='fixed<12,4>'))
    assert not np.array_equal(got, hlsbinary.emulate(jets_model, X, input_precision='fixed<16,6>'))


def test_estimate_cli_prints_table_and_json(tmp_path, jets_model):
    import json

    cfg = _config(tmp_path, jets_model)
    out = _cli('estimate', '-c', cfg, '--json', tmp_path / 'est.json')
    assert 'xnor-popcount' in out.stdout and '% of xcvu9p' in out.stdout
    data = json.loads((tmp_path / 'est.json').read_text())
    assert data['total']['DSP'] == 0 and data['clock_period'] == 5.0 and len(data['layers']) == 4
    assert [layer['name'] for layer in data['layers']] == ['fc1', 'fc2', 'fc3', 'output']
