"""Every shipped conversion config converts on a fresh clone: its model is committed and every block is folded."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip('qkeras', reason='conversion needs the qkeras extra (TensorFlow + QKeras)')
ROOT = Path(__file__).parents[1]
CONFIGS = sorted(p.name for p in (ROOT / 'configs').glob('*.yml') if not p.name.startswith(('train_', 'sweep_')))


def test_there_are_configs():
    assert len(CONFIGS) >= 8


@pytest.mark.parametrize('name', CONFIGS)
def test_shipped_config_converts_with_every_block_folded(monkeypatch, name):
    from hlsbinary.config import hls_model_from_config

    monkeypatch.chdir(ROOT)  # configs name their models relative to the repository, as users run them
    hls_model, config = hls_model_from_config(f'configs/{name}')
    kinds = {node.class_name for node in hls_model.graph.values()}
    assert kinds <= {'Input', 'IntegerDense', 'Reshape', 'Repack', 'IntegerPool'}, kinds
    assert Path(config['KerasModel']).parts[:2] == ('models', 'trained')


@pytest.mark.parametrize('io_type', ['io_parallel', 'io_stream'])
@pytest.mark.parametrize('name', CONFIGS)
def test_shipped_models_fit_the_partition_limit(monkeypatch, name, io_type):
    """Every array the generated code partitions completely stays within Vivado/Vitis's 4,096 elements (hls4ml's
    MaximumSize), in both interfaces: the shipped designs are fully parallel as written."""
    import hlsbinary
    from hlsbinary.config import load_config
    from hlsbinary.kernel import MAXIMUM_PARTITION, partitioned_arrays

    monkeypatch.chdir(ROOT)
    config = load_config(f'configs/{name}')
    network = hlsbinary.read_network(config['KerasModel'], input_precision=config['HLSConfig']['Model']['Precision'])
    for layer in network.layers:
        arrays = partitioned_arrays(layer, io_type)
        assert arrays and max(arrays.values()) <= MAXIMUM_PARTITION, (layer.name, arrays)


def test_an_array_beyond_the_partition_limit_is_named(tmp_path):
    """A 64x64 image through a 3x3 convolution: 15,376 outputs in io_parallel.  The conversion says which layer and
    array, and what to do; in io_stream the same layer fits."""
    import warnings

    import hls4ml
    from qkeras import QActivation, QConv2D, binary
    from tensorflow.keras.layers import Input
    from tensorflow.keras.models import Model

    inp = Input((64, 64, 2))
    x = QActivation('binary', name='act')(QConv2D(4, 3, kernel_quantizer=binary(), use_bias=False, name='big')(inp))
    model = Model(inp, x)
    for io_type, expected in (('io_parallel', 1), ('io_stream', 0)):
        config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter('always')
            hls4ml.converters.convert_from_keras_model(
                model, hls_config=config, backend='VitisBinary', output_dir=str(tmp_path / io_type), io_type=io_type
            )
        named = [str(w.message) for w in record if 'MaximumSize' in str(w.message)]
        assert len(named) == expected, named
        if expected:
            assert "layer 'big': its output array has 15,376 elements, more than MaximumSize 4,096" in named[0]
            assert 'use io_stream' in named[0]
