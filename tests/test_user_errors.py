"""Bad inputs through the real command line, in a folder holding a user's files.

Each case must exit with code 2, print one line naming the problem (no traceback), and leave every file of the
folder byte-identical, with nothing added (no output, no staging leftovers).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('qkeras', reason='the CLI cases read a saved QKeras model (qkeras extra)')

ROOT = Path(__file__).parents[1]
GOOD_CONFIG = """KerasModel: model.h5
OutputDir: prj
Backend: VitisBinary
Part: xcvu9p-flga2104-2L-e
ClockPeriod: 5
IOType: io_parallel
HLSConfig:
  Model:
    Precision: fixed<16,6>
    ReuseFactor: 1
"""
GOOD_TRAIN = 'Model: jets_binary_64_32_32\nData: jets\nOutput: trained.h5\nEpochs: 1\n'


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A user's working folder: a thesis, an analysis, their own model and data, and a shipped-style config."""
    from hlsbinary.zoo import build

    root = tmp_path_factory.mktemp('user')
    build('jets_binary_64_32_32').save(root / 'model.h5')
    (root / 'thesis').mkdir()
    (root / 'thesis' / 'draft.tex').write_text('\\chapter{Triggers}\n')
    (root / 'analysis.csv').write_text('a,b\n1,2\n')
    (root / 'notes.txt').write_text('remember the gammas\n')
    (root / 'fake.h5').write_text('this is not HDF5\n')
    (root / 'config.yml').write_text(GOOD_CONFIG)
    (root / 'outdir.npy').mkdir()
    rng = np.random.default_rng(1)
    np.save(root / 'x.npy', rng.normal(size=(20, 16)))
    np.save(root / 'x_wrong.npy', rng.normal(size=(20, 7)))
    nan = rng.normal(size=(20, 16))
    nan[13, 2] = np.nan
    np.save(root / 'x_nan.npy', nan)
    np.savez(root / 'two.npz', a=rng.normal(size=(3, 16)), b=rng.normal(size=(3, 16)))
    ro = root / 'readonly.npy'
    ro.write_bytes(b'keep')
    ro.chmod(0o444)
    return root


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob('*'))}


def _config(workspace, name, text):
    path = workspace / 'cfgs' / name
    return path, text


# (id, argv, files to write first {relative path: text}, regex the one-line message must match)
CASES = [
    # convert: the config file itself
    (
        'yaml-malformed',
        ['convert', '-c', 'cfgs/bad.yml'],
        {'cfgs/bad.yml': 'KerasModel: [model.h5\nOutputDir: prj\n'},
        r'bad\.yml: not valid YAML at line \d+',
    ),
    (
        'yaml-list',
        ['convert', '-c', 'cfgs/list.yml'],
        {'cfgs/list.yml': '- KerasModel: model.h5\n'},
        r'must be a mapping.*holds a list',
    ),
    ('yaml-scalar', ['convert', '-c', 'cfgs/s.yml'], {'cfgs/s.yml': 'model.h5\n'}, r'must be a mapping.*single string'),
    ('config-is-folder', ['convert', '-c', 'thesis'], {}, r'thesis is a folder; give the path of a conversion config'),
    ('config-missing', ['convert', '-c', 'nothere.yml'], {}, r'nothere\.yml: no such conversion config file'),
    (
        'unknown-key',
        ['convert', '-c', 'cfgs/k.yml'],
        {'cfgs/k.yml': GOOD_CONFIG + 'OutpuDir: x\n'},
        r"unknown key 'OutpuDir'. Did you mean 'OutputDir'",
    ),
    ('no-model', ['convert', '-c', 'cfgs/n.yml'], {'cfgs/n.yml': 'OutputDir: prj\n'}, r'no model given: set KerasModel'),
    (
        'model-missing',
        ['convert', '-c', 'cfgs/m.yml'],
        {'cfgs/m.yml': GOOD_CONFIG.replace('model.h5', 'gone.h5')},
        r"KerasModel: 'gone\.h5' is not allowed: no such",
    ),
    (
        'model-not-hdf5',
        ['convert', '-c', 'cfgs/f.yml'],
        {'cfgs/f.yml': GOOD_CONFIG.replace('model.h5', 'fake.h5')},
        r"KerasModel: 'fake\.h5' is not allowed: not an HDF5 file",
    ),
    (
        'backend-typo',
        ['convert', '-c', 'cfgs/b.yml'],
        {'cfgs/b.yml': GOOD_CONFIG.replace('Backend: VitisBinary', 'Backend: VitisBinry')},
        r"Backend: 'VitisBinry' is not allowed.*Did you mean 'VitisBinary'",
    ),
    (
        'reuse-many',
        ['convert', '-c', 'cfgs/r.yml'],
        {'cfgs/r.yml': GOOD_CONFIG.replace('ReuseFactor: 1', 'ReuseFactor: many')},
        r"HLSConfig: Model: ReuseFactor: 'many' is not allowed: an integer >= 1",
    ),
    (
        'hlsconfig-scalar',
        ['convert', '-c', 'cfgs/h.yml'],
        {'cfgs/h.yml': 'KerasModel: model.h5\nOutputDir: prj\nHLSConfig: 5\n'},
        r'HLSConfig: 5 is not allowed: a mapping',
    ),
    (
        'clock-negative',
        ['convert', '-c', 'cfgs/c.yml'],
        {'cfgs/c.yml': GOOD_CONFIG.replace('ClockPeriod: 5', 'ClockPeriod: -5')},
        r'ClockPeriod: -5 is not allowed: a number > 0',
    ),
    (
        'clock-text',
        ['convert', '-c', 'cfgs/c2.yml'],
        {'cfgs/c2.yml': GOOD_CONFIG.replace('ClockPeriod: 5', 'ClockPeriod: fast')},
        r"ClockPeriod: 'fast' is not allowed",
    ),
    (
        'part-unknown',
        ['convert', '-c', 'cfgs/p.yml'],
        {'cfgs/p.yml': GOOD_CONFIG.replace('xcvu9p', 'xcvu9q')},
        r"Part: 'xcvu9q-flga2104-2L-e' is not allowed: not a device hlsbinary knows. Did you mean xcvu9p",
    ),
    (
        'precision-bad',
        ['convert', '-c', 'cfgs/pr.yml'],
        {'cfgs/pr.yml': GOOD_CONFIG.replace('fixed<16,6>', 'fixed<16>')},
        r"Precision: 'fixed<16>' is not allowed: fixed<W,I> needs the integer bits",
    ),
    (
        'project-name',
        ['convert', '-c', 'cfgs/pn.yml'],
        {'cfgs/pn.yml': GOOD_CONFIG + 'ProjectName: 1st-try\n'},
        r"ProjectName: '1st-try' is not allowed: a C identifier",
    ),
    (
        'uncertainty',
        ['convert', '-c', 'cfgs/u.yml'],
        {'cfgs/u.yml': GOOD_CONFIG + 'ClockUncertainty: lots\n'},
        r"ClockUncertainty: 'lots' is not allowed: a percentage",
    ),
    (
        'iotype-typo',
        ['convert', '-c', 'cfgs/io2.yml'],
        {'cfgs/io2.yml': GOOD_CONFIG.replace('io_parallel', 'io_paralel')},
        r"IOType: 'io_paralel' is not allowed: one of io_parallel, io_stream. Did you mean 'io_parallel'",
    ),
    # convert: where the project would go
    (
        'outdir-cwd',
        ['convert', '-c', 'cfgs/o1.yml'],
        {'cfgs/o1.yml': GOOD_CONFIG.replace('OutputDir: prj', 'OutputDir: .')},
        r'it is the current folder.*not even with --force',
    ),
    (
        'outdir-parent',
        ['convert', '-c', 'cfgs/o2.yml', '--force'],
        {'cfgs/o2.yml': GOOD_CONFIG.replace('OutputDir: prj', 'OutputDir: ..')},
        r'parent of the current folder',
    ),
    (
        'outdir-home',
        ['convert', '-c', 'cfgs/o3.yml'],
        {'cfgs/o3.yml': GOOD_CONFIG.replace('OutputDir: prj', 'OutputDir: "~"')},
        r'your home folder',
    ),
    (
        'outdir-user-folder',
        ['convert', '-c', 'cfgs/o4.yml'],
        {'cfgs/o4.yml': GOOD_CONFIG.replace('OutputDir: prj', 'OutputDir: thesis')},
        r'thesis is not empty \(draft\.tex\) and was not written by hlsbinary.*--force',
    ),
    (
        'outdir-is-file',
        ['convert', '-c', 'cfgs/o5.yml'],
        {'cfgs/o5.yml': GOOD_CONFIG.replace('OutputDir: prj', 'OutputDir: notes.txt')},
        r'notes\.txt is a file, not a folder',
    ),
    (
        'layername-typo',
        ['convert', '-c', 'cfgs/ln.yml'],
        {'cfgs/ln.yml': GOOD_CONFIG + '  LayerName:\n    fc_1:\n      Trace: true\n'},
        r"LayerName: 'fc_1' is not a layer of the model. Did you mean 'fc1'",
    ),
    (
        'strategy-resource',
        ['convert', '-c', 'cfgs/st.yml'],
        {'cfgs/st.yml': GOOD_CONFIG + '    Strategy: Resource\n'},
        r"layer 'fc1': Strategy 'resource' is not supported by the VitisBinary backend",
    ),
    # emulate
    ('emulate-model-missing', ['emulate', 'gone.h5', 'x.npy', '-o', 'y.npy'], {}, r'gone\.h5: no such model file'),
    ('emulate-model-not-hdf5', ['emulate', 'fake.h5', 'x.npy', '-o', 'y.npy'], {}, r'fake\.h5: not an HDF5 file'),
    ('emulate-inputs-missing', ['emulate', 'model.h5', 'gone.npy', '-o', 'y.npy'], {}, r'gone\.npy: no such input file'),
    (
        'emulate-npz-needs-key',
        ['emulate', 'model.h5', 'two.npz', '-o', 'y.npy'],
        {},
        r'two\.npz: holds 2 arrays \(a, b\); choose one with --key',
    ),
    (
        'emulate-npz-bad-key',
        ['emulate', 'model.h5', 'two.npz', '--key', 'c', '-o', 'y.npy'],
        {},
        r"two\.npz: no array named 'c'; it has a, b",
    ),
    ('emulate-output-folder', ['emulate', 'model.h5', 'x.npy', '-o', 'outdir.npy'], {}, r'outdir\.npy is a folder'),
    (
        'emulate-output-readonly',
        ['emulate', 'model.h5', 'x.npy', '-o', 'readonly.npy', '--force'],
        {},
        r'readonly\.npy is read-only',
    ),
    (
        'emulate-output-user-file',
        ['emulate', 'model.h5', 'x.npy', '-o', 'analysis.csv'],
        {},
        r'analysis\.csv exists and was not written by hlsbinary.*--force',
    ),
    ('emulate-output-suffix', ['emulate', 'model.h5', 'x.npy', '-o', 'y.txt'], {}, r'y\.txt: outputs go to \.npy'),
    ('emulate-nan', ['emulate', 'model.h5', 'x_nan.npy', '-o', 'y.npy'], {}, r'input event 13 holds a non-finite'),
    (
        'emulate-wrong-width',
        ['emulate', 'model.h5', 'x_wrong.npy', '-o', 'y.npy'],
        {},
        r'inputs have 7 features per event.*takes 16',
    ),
    (
        'emulate-precision',
        ['emulate', 'model.h5', 'x.npy', '--input-precision', 'fixed<a,b>'],
        {},
        r"argument --input-precision: 'fixed<a,b>' is not a precision",
    ),
    # estimate
    ('estimate-nothing', ['estimate'], {}, r'give either a conversion config .* or a saved model'),
    ('estimate-part', ['estimate', 'model.h5', '--part', 'xc9000'], {}, r"argument --part: 'xc9000': not a device"),
    (
        'estimate-clock',
        ['estimate', 'model.h5', '--clock-period', '-5'],
        {},
        r"argument --clock-period: '-5' is not a positive number",
    ),
    (
        'estimate-json-user-file',
        ['estimate', 'model.h5', '--json', 'notes.txt'],
        {},
        r'notes\.txt exists and was not written by hlsbinary',
    ),
    # report
    ('report-model-missing', ['report', 'gone.h5', '--data', 'jets', '--out', 'rep'], {}, r'gone\.h5: no such model file'),
    (
        'report-out-cwd',
        ['report', 'model.h5', '--data', 'jets', '--out', '.'],
        {},
        r'it is the current folder.*e\.g\. \S+/report$',
    ),
    ('report-out-user-folder', ['report', 'model.h5', '--data', 'jets', '--out', 'thesis'], {}, r'thesis is not empty'),
    ('report-data', ['report', 'model.h5', '--data', 'cifar'], {}, r"argument --data: invalid choice: 'cifar'"),
    (
        'report-wrong-data',
        ['report', 'model.h5', '--data', 'mnist', '--out', 'rep'],
        {},
        r'model\.h5: the model reads 16 inputs per event, but --data mnist gives 784; .*trained on',
    ),
    (
        'report-source-missing',
        ['report', 'model.h5', '--data', 'jets', '--source', 'nothere.npz', '--out', 'rep'],
        {},
        r'nothere\.npz: no such file',
    ),
    # train
    (
        'train-epochs-zero',
        ['train', '-c', 'cfgs/t1.yml'],
        {'cfgs/t1.yml': GOOD_TRAIN.replace('Epochs: 1', 'Epochs: 0')},
        r'Epochs: 0 is not allowed: an integer >= 1',
    ),
    (
        'train-validation-split',
        ['train', '-c', 'cfgs/t2.yml'],
        {'cfgs/t2.yml': GOOD_TRAIN + 'ValidationSplit: 1.5\n'},
        r'ValidationSplit: 1.5 is not allowed: a number > 0 and < 1',
    ),
    (
        'train-over-user-model',
        ['train', '-c', 'cfgs/t3.yml'],
        {'cfgs/t3.yml': GOOD_TRAIN.replace('trained.h5', 'model.h5')},
        r'model\.h5 exists and was not written by hlsbinary.*--force',
    ),
    (
        'train-unknown-model',
        ['train', '-c', 'cfgs/t4.yml'],
        {'cfgs/t4.yml': GOOD_TRAIN.replace('jets_binary_64_32_32', 'jets_binary_64_32')},
        r"Model: 'jets_binary_64_32' is not allowed: one of .*Did you mean 'jets_binary_64_32_32'",
    ),
    (
        'train-data',
        ['train', '-c', 'cfgs/t5.yml'],
        {'cfgs/t5.yml': GOOD_TRAIN.replace('Data: jets', 'Data: cifar')},
        r"Data: 'cifar' is not allowed: one of jets, jet_constituents, mnist",
    ),
    (
        'train-seeds-not-integers',
        ['train', '-c', 'cfgs/t7.yml', '--seeds', '1,x'],
        {'cfgs/t7.yml': GOOD_TRAIN},
        r"--seeds '1,x': 'x' is not a seed",
    ),
    (
        'train-seeds-empty',
        ['train', '-c', 'cfgs/t8.yml', '--seeds', ''],
        {'cfgs/t8.yml': GOOD_TRAIN},
        r"--seeds '': '' is not a seed",
    ),
    (
        'train-seeds-repeated',
        ['train', '-c', 'cfgs/t8.yml', '--seeds', '1,2,1'],
        {'cfgs/t8.yml': GOOD_TRAIN},
        r'seed 1 is repeated',
    ),
    (
        'train-seed-sibling-over-user-file',
        ['train', '-c', 'cfgs/t9.yml', '--seeds', '1,2'],
        {'cfgs/t9.yml': GOOD_TRAIN.replace('trained.h5', 'mine.h5'), 'mine.seed2.h5': 'a file of the user'},
        r'mine\.seed2\.h5 exists and was not written by hlsbinary.*--force',
    ),
    (
        'train-iotype',
        ['train', '-c', 'cfgs/t10.yml'],
        {'cfgs/t10.yml': GOOD_TRAIN + 'IOType: stream\n'},
        r"IOType: 'stream' is not allowed: one of io_parallel, io_stream",
    ),
    (
        'train-missing-output',
        ['train', '-c', 'cfgs/t6.yml'],
        {'cfgs/t6.yml': 'Model: jets_binary_64_32_32\nData: jets\n'},
        r'Output is required',
    ),
    # data and models
    ('data-no-name', ['data', 'fetch'], {}, r'needs a data set name: jets, jet_constituents, mnist'),
    ('data-unknown', ['data', 'fetch', 'jet'], {}, r"unknown data set 'jet'. Did you mean 'jets'"),
    ('data-generate-mnist', ['data', 'generate', 'mnist'], {}, r'only the jet data set has a generator'),
    ('data-local-missing', ['data', 'fetch', 'jets', '--source', 'nothere.npz'], {}, r'nothere\.npz: no such file'),
    (
        'data-jets-per-class',
        ['data', 'generate', 'jets', '--jets-per-class', '0'],
        {},
        r"argument --jets-per-class: '0' is not a positive integer",
    ),
    ('models-unknown', ['models', 'build', 'jets_binary_64'], {}, r"unknown architecture 'jets_binary_64'"),
]


def run_cli(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}  # the CLI must silence TF itself
    return subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', *argv], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


def test_at_least_thirty_cases_across_every_command():
    assert len(CASES) >= 30
    assert {argv[0] for _, argv, _, _ in CASES} >= {'convert', 'emulate', 'estimate', 'report', 'train', 'data', 'models'}


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line_and_touches_nothing(workspace, case):
    _, argv, files, pattern = case
    for rel, text in files.items():
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text(text)
    before = _snapshot(workspace)
    result = run_cli(workspace, argv)
    after = _snapshot(workspace)
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    message = lines[-1]
    assert message.startswith(('hlsbinary: error: ', 'hlsbinary ')) and 'error' in message, result.stderr
    import re

    assert re.search(pattern, message), f'{message!r} does not match {pattern!r}'
    assert after == before, sorted(set(after) ^ set(before))  # byte-identical, nothing added (no staging left)
    own_lines = [line for line in lines if not line.startswith(('usage:', ' '))]  # argparse adds its usage
    assert own_lines == [message], result.stderr


def test_debug_shows_the_traceback(workspace):
    result = run_cli(workspace, ['emulate', 'gone.h5', 'x.npy', '--debug'])
    assert result.returncode == 2 and 'Traceback' in result.stderr and 'no such model file' in result.stderr


def test_internal_errors_say_so(workspace, tmp_path):
    # An exception that is no user mistake (here: a KeyError planted in a command): exit 1 and where to report it.
    code = (
        'import sys, hlsbinary.cli as c\n'
        'def boom(args): raise KeyError("oops")\n'
        'c._models = boom\n'
        'sys.exit(c.main(["models", "list"]))\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=workspace)
    assert result.returncode == 1
    assert 'internal error: KeyError' in result.stderr and 'bug in hlsbinary' in result.stderr
    assert 'Traceback' not in result.stderr


def test_version_and_help_with_defaults():
    out = subprocess.run([sys.executable, '-m', 'hlsbinary.cli', '--version'], capture_output=True, text=True)
    from hlsbinary import __version__

    assert out.returncode == 0 and out.stdout.strip() == f'hlsbinary {__version__}'
    helptext = subprocess.run([sys.executable, '-m', 'hlsbinary.cli', 'emulate', '--help'], capture_output=True, text=True)
    assert '(default: outputs.npy)' in helptext.stdout and '(default: auto)' in helptext.stdout
    convert_help = subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', 'convert', '--help'], capture_output=True, text=True
    )
    assert 'ClockPeriod' in convert_help.stdout and '(default 5)' in convert_help.stdout


def test_tensorflow_is_quiet_unless_verbose(workspace, tmp_path):
    out = tmp_path / 'y.npy'
    quiet = run_cli(workspace, ['emulate', 'model.h5', 'x.npy', '-o', str(out)])
    assert quiet.returncode == 0 and quiet.stderr.strip() == '', quiet.stderr
    assert np.load(out).shape == (20, 5)
