"""Shared fixtures: hostile QKeras models, per-test output folders, and a guard against hls4ml ERROR logs."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')


@pytest.fixture
def outdir(tmp_path, request):
    """An output folder named after the test."""
    path = tmp_path / request.node.name.replace('[', '_').replace(']', '').replace('/', '_')
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
