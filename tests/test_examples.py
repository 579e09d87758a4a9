"""Every script in examples/ runs as a user would run it, and says what it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip('qkeras', reason='the examples read trained QKeras models (qkeras extra)')
ROOT = Path(__file__).parents[1]


def run(script, *args, cwd=ROOT):
    result = subprocess.run(
        [sys.executable, str(ROOT / 'examples' / script), *map(str, args)], capture_output=True, text=True, cwd=cwd
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.csim
def test_convert_and_compare(tmp_path):
    out = run('convert_and_compare.py', '--out', tmp_path / 'prj', '--events', 500)
    assert 'argmax agreement 1.0000' in out
    assert (tmp_path / 'prj' / 'firmware' / 'myproject.cpp').exists()


def test_emulate_and_estimate(tmp_path):
    out = run('emulate_and_estimate.py', '--json', tmp_path / 'est.json')
    assert 'firmware accuracy' in out and '% of xcvu9p' in out
    assert json.loads((tmp_path / 'est.json').read_text())['total']['DSP'] == 0


def test_report(tmp_path):
    out = run('report.py', 'models/trained/jets_binary_64_32_32.h5', '--out', tmp_path / 'rep')
    assert 'jets_binary_64_32_32: accuracy' in out
    assert (tmp_path / 'rep' / 'report.html').exists()
