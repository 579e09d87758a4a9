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
    assert kinds <= {'Input', 'IntegerDense', 'Reshape', 'IntegerPool'}, kinds
    assert Path(config['KerasModel']).parts[:2] == ('models', 'trained')
