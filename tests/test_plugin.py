"""Registration through the entry point, idempotence, and the generated code's DSP-freedom."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = Path(__file__).parents[1] / 'hlsbinary' / 'hls4ml_plugin' / 'nnet_utils' / 'nnet_integer_dense.h'


@pytest.mark.parametrize(
    'code',
    [
        'import hls4ml; import hlsbinary',
        'import hlsbinary; import hls4ml',
    ],
)
def test_backends_registered_by_plain_import(code):
    probe = code + '; from hls4ml.backends import get_available_backends as g; print(sorted(g()))'
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True)
    assert 'vivadobinary' in out.stdout and 'vitisbinary' in out.stdout
    assert 'WARNING' not in out.stdout, out.stdout  # hls4ml prints plugin failures as warnings


def test_register_twice_is_harmless():
    import hls4ml  # noqa: F401

    from hlsbinary.hls4ml_plugin import register

    register()
    register()
    from hls4ml.backends import get_backend

    assert type(get_backend('VitisBinary')).__name__ == 'VitisBinaryBackend'


def test_import_hlsbinary_stays_light():
    code = 'import sys, hlsbinary, hlsbinary.emulator; print("tensorflow" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'False'


def _bodies(source, name):
    """The brace-delimited body after every occurrence of ``name`` (a template and its specialisations)."""
    bodies, start = [], source.find(name)
    while start >= 0:
        depth, i = 0, source.index('{', start)
        begin = i
        while True:
            depth += source[i] == '{'
            depth -= source[i] == '}'
            i += 1
            if depth == 0:
                break
        bodies.append(source[begin:i])
        start = source.find(name, i)
    return bodies


def test_integer_kernels_have_no_multiplication_and_bind_adders_to_fabric():
    """The datapath of every path (popcount tree, add/sub tree with its digit shifts, thresholds, scores) and of
    convolutions (the window's input positions, the count of real inputs) and pools has no multiplication: array
    indices, pointer arithmetic and window positions are constants once unrolled; index expressions are stripped
    first.  (``hlsb_window_inputs`` computes input addresses from loop counters only, never from data: constants.)"""
    window = _bodies(HEADER.read_text(), 'struct hlsb_window_inputs')[0]
    assert 'data' not in window and 'x[' not in window  # addresses from (position, element) alone
    source = HEADER.read_text()
    datapath = [
        'struct hlsb_popcount',
        'struct hlsb_addsub',
        'inline int hlsb_real_inputs',
        'void hlsb_threshold_position',
        'void hlsb_scores_position',
        'void hlsb_pool_position',
    ]
    for name in datapath:
        bodies = _bodies(source, name)
        assert len(bodies) >= (2 if name.startswith('struct') else 1), name  # the recursion and its leaf
        for body in bodies:
            code = re.sub(r'//.*', '', body)
            code = re.sub(r'\[[^\]]*\]|range\([^)]*\)|<[^<>;]*>', '', code)
            code = re.sub(r'\(const [\w: ]+\*\)0|\bconst\s+[\w: ]+\*\s*\w+', '', code)
            assert '*' not in code, f'multiplication in {name}: {code}'
    assert 'BIND_OP variable = var op = add impl = fabric' in source
    assert 'core = AddSub' in source
    assert source.count('HLSB_FABRIC_ADD(s)') == 4  # both trees: their nodes and their 32-leaf words
    assert source.count('HLSB_FABRIC_SUB(s)') == 1  # the add/sub tree's words subtract the -1 digits


def test_stream_interface_adds_no_arithmetic_on_data():
    """io_stream only moves data: its per-position operations call the io_parallel datapath, and the line buffer's
    only products are of loop counters and constants (output positions), never of data."""
    source = (HEADER.parent / 'nnet_integer_stream.h').read_text()
    for name in ('struct hlsb_threshold_op', 'struct hlsb_affine_op', 'struct hlsb_scores_op', 'struct hlsb_pool_op'):
        (body,) = _bodies(source, name)
        code = re.sub(r'//.*', '', body)
        code = re.sub(r'\[[^\]]*\]|<[^<>;]*>', '', code)
        code = re.sub(r'^\s*const [^;(]*;$', '', code, flags=re.M)  # member pointer declarations
        code = re.sub(r'\bconst\s+[\w: ]+\*\s*\w+|\w+_t\s*\*\s*\w+', '', code)
        assert '*' not in code, f'multiplication in {name}: {code}'
        assert 'hlsb_' in body  # delegates to the shared datapath
    streamer = _bodies(source, 'void hlsb_stream_windows')[0]
    products = re.findall(r'(\w+(?:\([^()]*\))?)\s*\*\s*(\w+(?:::\w+)?)', re.sub(r'//.*', '', streamer))
    assert products, 'expected the output position product'
    for left, right in products:
        assert 'pixel' not in left + right and 'window' not in left + right and 'lines' not in left + right


ORDERS = [
    'import hlsbinary; import keras',
    'import keras; import hlsbinary',
    'import hls4ml; import keras',
    'import keras; import hls4ml',
    'import hls4ml; import tensorflow as tf; keras = tf.keras',
    'import hlsbinary; from tensorflow import keras',
    'import tensorflow as tf; import hlsbinary; keras = tf.keras',
    'import tensorflow as tf; import hls4ml; keras = tf.keras',
]


@pytest.mark.parametrize('order', ORDERS)
def test_saved_models_load_with_plain_keras_in_any_import_order(order):
    """A user's ``keras.models.load_model`` finds QDense & co. once hlsbinary or hls4ml is imported, before or after."""
    pytest.importorskip('qkeras', reason='loading a QKeras model needs the qkeras extra')
    path = Path(__file__).parents[1] / 'models' / 'trained' / 'jets_binary_64_32_32.h5'
    code = f'{order}; m = keras.models.load_model({str(path)!r}, compile=False); print(type(m.layers[1]).__name__)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == 'QDense'
