"""Training: reproducible with a seed, saves the model and metrics, and the firmware agrees with Keras."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip('qkeras', reason='training needs the qkeras extra')

from hlsbinary.train import load_train_config, train  # noqa: E402


def _config(tmp_path, name, **extra):
    config = {
        'Model': 'mnist_binary_128_128_128',
        'Data': 'mnist',
        'Output': str(tmp_path / f'{name}.h5'),
        'Epochs': 2,
        'BatchSize': 256,
    }
    config.update(extra)
    path = tmp_path / f'{name}.yml'
    path.write_text('\n'.join(f'{k}: {v}' for k, v in config.items()))
    return load_train_config(path)


def test_training_is_reproducible_and_saves_model_and_metrics(tmp_path):
    from hlsbinary.frontend.keras_objects import load_model

    first = train(_config(tmp_path, 'a', Seed=7), verbose=False)
    second = train(_config(tmp_path, 'b', Seed=7), verbose=False)
    wa = load_model(str(tmp_path / 'a.h5')).get_weights()
    wb = load_model(str(tmp_path / 'b.h5')).get_weights()
    for x, y in zip(wa, wb, strict=True):
        np.testing.assert_array_equal(x, y)
    saved = json.loads((tmp_path / 'a.json').read_text())
    assert saved['epochs_run'] == 2 and set(saved['test_auc']) == {str(d) for d in range(10)}
    # the emulated firmware classifies exactly as Keras does (bit-exact hidden layers, 1e-3 outputs)
    assert first['test_accuracy'] == pytest.approx(first['keras_test_accuracy'], abs=1e-3)
    assert first['test_accuracy'] > 0.5 and second['test_accuracy'] == first['test_accuracy']


def test_train_config_errors_name_the_key(tmp_path):
    path = tmp_path / 'bad.yml'
    path.write_text('Model: mnist_binary_128_128_128\nData: mnist\nOutput: x.h5\nEpoch: 3\n')
    with pytest.raises(ValueError, match=r"unknown key 'Epoch'. Did you mean 'Epochs'"):
        load_train_config(path)
    path.write_text('Model: mnist_binary_64\nData: mnist\nOutput: x.h5\n')
    with pytest.raises(ValueError, match="Model: 'mnist_binary_64' is not allowed: one of"):
        load_train_config(path)
    path.write_text('Data: mnist\nOutput: x.h5\n')
    with pytest.raises(ValueError, match='Model is required'):
        load_train_config(path)
