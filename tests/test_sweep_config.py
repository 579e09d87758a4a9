"""The sweep's configuration, search space, front and hypervolume, and bad sweep inputs through the real CLI.

Bad inputs: exit code 2, one line naming the file, the key, the value and what is allowed, and every file of the
user's folder left byte-identical (no database, no results, no staging left behind).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('optuna', reason='the sweep needs optuna (a core dependency)')

from hlsbinary.errors import ConfigError  # noqa: E402
from hlsbinary.sweep.config import first_difference, load_sweep_config, search_settings  # noqa: E402
from hlsbinary.sweep.front import hypervolume, non_dominated  # noqa: E402
from hlsbinary.sweep.space import Choice, Fixed, FloatRange, IntRange, SearchSpace, foldable  # noqa: E402

ROOT = Path(__file__).parents[1]
GOOD = """study: {name: tiny}
data: {name: jets, max_train_events: 2000}
space:
  hidden_layers: {low: 1, high: 2}
  neurons: {low: 8, high: 32, log: true}
train: {epochs: 1}
budget: {trials: 2}
output: results
"""


def write(tmp_path: Path, text: str, name: str = 'sweep.yml') -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- the config -----------------------------------------------------------------------------------------------------


def test_shipped_configs_load_with_every_default_typed():
    for name in ('sweep_jets', 'sweep_mnist'):
        config = load_sweep_config(ROOT / 'configs' / f'{name}.yml')
        assert config['study']['name'] == name.removeprefix('sweep_')
        for key in ('hidden_layers', 'neurons', 'weights', 'activation', 'input_precision'):
            assert isinstance(config['space'][key], Fixed | Choice | IntRange | FloatRange), key
        for key in ('epochs', 'batch_size', 'learning_rate'):
            assert isinstance(config['train'][key], Fixed | Choice | IntRange | FloatRange), key


def test_defaults_are_checked_like_user_values(tmp_path):
    config = load_sweep_config(write(tmp_path, 'data: {name: jets}\n'))
    assert config['space']['neurons'] == IntRange(16, 512, True, 1)
    assert config['space']['weights'] == Choice(('binary', 'ternary'))
    assert config['train']['epochs'] == Fixed(30) and config['train']['learning_rate'] == Fixed(1e-3)
    assert config['output'] == str(Path('sweeps') / 'sweep') and config['study']['name'] == 'sweep'
    assert config['constraints'] == {'max_lut_percent': 20.0, 'max_latency_ns': 100.0, 'max_dsp': 0}


def test_set_overrides_any_key_as_yaml(tmp_path):
    path = write(tmp_path, GOOD)
    config = load_sweep_config(
        path,
        ['train.epochs=3', 'space.weights=[ternary]', 'train.learning_rate={low: 0.001, high: 0.01}', 'study.heartbeat=5'],
    )
    assert config['train']['epochs'] == Fixed(3)
    assert config['space']['weights'] == Choice(('ternary',))
    assert config['train']['learning_rate'] == FloatRange(0.001, 0.01, False)
    assert config['study']['heartbeat'] == 5
    flagged = load_sweep_config(path, [], {'budget.trials': (7, '--trials'), 'study.name': ('other', '--study-name')})
    assert flagged['budget']['trials'] == 7 and flagged['study']['name'] == 'other'


def test_settings_difference_names_the_key(tmp_path):
    a = search_settings(load_sweep_config(write(tmp_path, GOOD)))
    b = search_settings(load_sweep_config(write(tmp_path, GOOD), ['train.epochs=2']))
    assert first_difference(a, a) is None
    assert first_difference(a, b).startswith('train.epochs:')
    budget = search_settings(load_sweep_config(write(tmp_path, GOOD), ['budget.trials=9', 'sampler.name=random']))
    assert first_difference(a, budget) is None  # budgets and samplers may change between runs of one study


@pytest.mark.parametrize(
    'text, pattern',
    [
        (GOOD + 'outptu: x\n', r"sweep\.yml: unknown key 'outptu'\. Did you mean 'output'"),
        (GOOD.replace('epochs: 1', 'epocs: 1'), r"sweep\.yml: train: unknown key 'epocs'\. Did you mean 'epochs'"),
        (GOOD.replace('low: 8, high: 32', 'low: 512, high: 16'), r'space: neurons: .* is not allowed: low \(512\) is above high \(16\)'),
        (GOOD.replace('neurons: {low: 8, high: 32, log: true}', 'neurons: [16, 2048]'), r'space: neurons: \[16, 2048\] is not allowed: the choice 2048 is not an integer >= 1 and <= 1024'),
        (GOOD.replace('train: {epochs: 1}', 'train: {learning_rate: {low: 0, high: 0.1, log: true}}'), r'train: learning_rate: .* range bounds must be a number > 0'),
        (GOOD.replace('low: 8, high: 32, log: true', 'low: 8, high: 32, log: true, step: 2'), r'a log-scale range takes no step'),
        (GOOD.replace('low: 1, high: 2', 'low: 1, high: 2, steps: 1'), r"hidden_layers: .* a range takes the keys high, log, low, step; 'steps' is none of them"),
        (GOOD + 'sampler: {name: cmaes}\n', r"sampler: name: 'cmaes' is not allowed: one of tpe, nsga2, random"),
        (GOOD + 'objectives: {minimise: [luts]}\n', r'objectives: minimise: .* a list of costs to minimise, each once: lut, latency, ff'),
        (GOOD + 'space2: 1\n', r"unknown key 'space2'"),
        (GOOD.replace('data: {name: jets, max_train_events: 2000}\n', ''), r'data is required'),
        (GOOD + 'constraints: {max_lut_percent: 150}\n', r'constraints: max_lut_percent: 150 is not allowed: a number > 0 and <= 100'),
        (GOOD + 'hardware: {part: xcvu9q}\n', r"hardware: part: 'xcvu9q' is not allowed: not a device hlsbinary knows\. Did you mean xcvu9p"),
        (GOOD + 'study: {storage: mydb}\n', r"study: storage: 'mydb' is not allowed: an SQLAlchemy URL"),
    ],
    ids=['unknown', 'nested-unknown', 'low-above-high', 'neurons-limit', 'log-zero', 'log-step', 'range-key', 'sampler', 'minimise', 'section', 'data-required', 'lut-percent', 'part', 'storage-form'],
)  # fmt: skip
def test_bad_configs_name_the_key(tmp_path, text, pattern):
    with pytest.raises(ConfigError) as err:
        load_sweep_config(write(tmp_path, text))
    assert re.search(pattern, str(err.value)), str(err.value)
    assert '\n' not in str(err.value)


def test_bad_override_names_the_option(tmp_path):
    with pytest.raises(ConfigError, match=r'train: epochs: 0 is not allowed: .* \(from --set train\.epochs=0\)'):
        load_sweep_config(write(tmp_path, GOOD), ['train.epochs=0'])
    with pytest.raises(ConfigError, match=r"--set 'epochs': give KEY=VALUE"):
        load_sweep_config(write(tmp_path, GOOD), ['epochs'])
    with pytest.raises(ConfigError, match=r'--set output\.dir=x: output is a value, not a section'):
        load_sweep_config(write(tmp_path, GOOD), ['output.dir=x'])


# ---- the space ------------------------------------------------------------------------------------------------------


def _space(**changes) -> SearchSpace:
    base = dict(
        n_in=16, n_classes=5, hidden_layers=IntRange(1, 3), neurons=IntRange(8, 64, log=True), first_layer_weights=None,
        weights=Choice(('binary', 'ternary')), weights_per_layer=True, activation=Choice(('binary_tanh', 'ternary_tanh')),
        input_precision=Fixed('fixed<16,6>'), epochs=Fixed(2), batch_size=Choice((256, 512)), learning_rate=FloatRange(1e-4, 1e-2, True),
    )  # fmt: skip
    base.update(changes)
    return SearchSpace(**base)


def test_space_samples_depth_dependent_parameters_and_rebuilds_from_them():
    import optuna

    space = _space(first_layer_weights=Choice(('binary', 'ternary')))
    study = optuna.create_study(directions=['maximize', 'minimize'], sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(20):
        trial = study.ask()
        c = space.sample(trial)
        depth = trial.params['hidden_layers']
        assert len(c.spec.widths) == depth + 1 and c.spec.widths[-1] == 5
        assert {f'neurons_{i}' for i in range(1, depth + 1)} <= set(trial.params)
        assert 'weights_out' in trial.params and 'first_layer_weights' in trial.params and 'weights_1' not in trial.params
        assert c.spec.layer_weights[0] == trial.params['first_layer_weights']
        assert c.batch_size in (256, 512) and 1e-4 <= c.learning_rate <= 1e-2 and c.epochs == 2
        assert space.sample(optuna.trial.FixedTrial(trial.params)) == c  # the export rebuilds the same candidate
        study.tell(trial, [0.5, 1.0])
    assert SearchSpace.from_dict(space.to_dict()) == space


def test_one_weight_kind_for_all_layers():
    import optuna

    space = _space(weights_per_layer=False)
    c = space.sample(
        optuna.trial.FixedTrial(
            {
                'hidden_layers': 2,
                'neurons_1': 8,
                'neurons_2': 9,
                'weights': 'ternary',
                'activation': 'binary_tanh',
                'batch_size': 256,
                'learning_rate': 1e-3,
            }
        )
    )
    assert c.spec.layer_weights == ('ternary',) * 3 and c.architecture == '16x8x9x5'


def test_foldability_is_decided_by_spec_convertible_only(monkeypatch):
    from hlsbinary import zoo

    space = _space(
        first_layer_weights=Choice(('binary', 'bits6', 'float')),
        weights=Choice(('binary', 'ternary', 'bits4')),
        activation=Choice(('binary_tanh', 'relu4')),
    )
    today = {k: v for k, v in foldable(space)[1].items()}
    assert 'float' in today['first_layer_weights']  # the plugin never folds float layers
    # When the plugin learns multi-bit weights and quantized ReLU (Spec.convertible says so), the space grows by itself.
    folds = {'binary', 'ternary', 'bits4', 'bits6'}
    monkeypatch.setattr(
        zoo.Spec,
        'convertible',
        property(lambda s: set(s.layer_weights) <= folds and s.activation in ('binary_tanh', 'relu4')),
    )
    grown, dropped = foldable(space)
    assert dropped == {'first_layer_weights': ['float']}
    assert grown.first_layer_weights == Choice(('binary', 'bits6')) and grown.weights == space.weights
    assert grown.activation == space.activation
    monkeypatch.setattr(zoo.Spec, 'convertible', property(lambda s: False))
    with pytest.raises(ValueError, match='none of'):
        foldable(space)


# ---- front and hypervolume ------------------------------------------------------------------------------------------


def test_non_dominated_keeps_ties_and_drops_dominated():
    points = np.array([[1, 5], [2, 2], [2, 2], [3, 3], [5, 1], [1, 6]])
    assert non_dominated(points).tolist() == [True, True, True, False, True, False]


@pytest.mark.parametrize('dims', [2, 3])
def test_hypervolume_is_exact(dims, rng):
    from optuna._hypervolume import compute_hypervolume  # Optuna's WFG implementation as the reference

    for _ in range(20):
        points = rng.uniform(0, 1, (int(rng.integers(1, 25)), dims))
        ref = np.ones(dims) * 1.1
        assert hypervolume(points, ref) == pytest.approx(compute_hypervolume(points, ref), rel=1e-12)
    assert hypervolume(np.array([[0.5] * dims]), np.ones(dims)) == pytest.approx(0.5**dims)
    assert hypervolume(np.array([[1.5] * dims]), np.ones(dims)) == 0.0  # beyond the reference: nothing


# ---- bad inputs through the CLI -------------------------------------------------------------------------------------


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob('*'))}


def run_cli(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
    return subprocess.run(
        [sys.executable, '-m', 'hlsbinary.cli', *argv], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


CLI_CASES = [
    ('no-config', ['sweep'], r'hlsbinary sweep needs a config: -c'),
    ('config-missing', ['sweep', '-c', 'gone.yml'], r'gone\.yml: no such sweep config file'),
    ('unknown-key', ['sweep', '-c', 'typo.yml'], r"typo\.yml: train: unknown key 'epocs'"),
    ('set-bad', ['sweep', '-c', 'sweep.yml', '--set', 'space.neurons={low: 64, high: 8}'], r'space: neurons: .* low \(64\) is above high \(8\).* \(from --set space\.neurons='),
    ('set-form', ['sweep', '-c', 'sweep.yml', '--set', 'train.epochs'], r"--set 'train\.epochs': give KEY=VALUE"),
    ('trials-zero', ['sweep', '-c', 'sweep.yml', '--trials', '0'], r"argument --trials: '0' is not a positive integer"),
    ('sampler', ['sweep', '-c', 'sweep.yml', '--sampler', 'cmaes'], r"argument --sampler: invalid choice: 'cmaes'"),
    ('storage-form', ['sweep', '-c', 'sweep.yml', '--storage', 'mydb'], r"study: storage: 'mydb' is not allowed: an SQLAlchemy URL.*\(from --storage mydb\)"),
    ('storage-user-file', ['sweep', '-c', 'sweep.yml', '--storage', 'sqlite:///notes.txt'], r'notes\.txt exists and is not an SQLite database; hlsbinary leaves it alone'),
    ('storage-unreachable', ['sweep', '-c', 'sweep.yml', '--storage', 'postgresql://nobody@127.0.0.1:1/sweeps'], r'cannot open the study storage postgresql://nobody@127\.0\.0\.1:1/sweeps: .*(refused|connect)'),
    ('journal-no-folder', ['sweep', '-c', 'sweep.yml', '--storage', 'journal:shared/x.journal'], r'the folder .*shared does not exist'),
    ('output-user-folder', ['sweep', '-c', 'sweep.yml', '--output', 'thesis'], r'thesis is not empty \(draft\.tex\) and was not written by hlsbinary'),
    ('never-folds', ['sweep', '-c', 'sweep.yml', '--set', 'space.weights=[float]'], r'sweep\.yml: space: weights: none of float can be folded by the plugin'),
    ('summary-needs', ['sweep', '--summary'], r'--summary needs --storage URL and --study-name NAME'),
    ('summary-no-db', ['sweep', '--summary', '--storage', 'sqlite:///gone.db', '--study-name', 'x'], r'no such database file gone\.db'),
]  # fmt: skip


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp('user')
    (root / 'sweep.yml').write_text(GOOD)
    (root / 'typo.yml').write_text(GOOD.replace('epochs: 1', 'epocs: 1'))
    (root / 'thesis').mkdir()
    (root / 'thesis' / 'draft.tex').write_text('\\chapter{Triggers}\n')
    (root / 'notes.txt').write_text('remember the gammas\n')
    return root


@pytest.mark.parametrize('case', CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_sweep_input_is_one_clear_line_and_touches_nothing(workspace, case):
    _, argv, pattern = case
    before = _snapshot(workspace)
    result = run_cli(workspace, argv)
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    own = [line for line in lines if not line.startswith(('usage:', ' '))]
    assert len(own) == 1 and own[0].startswith('hlsbinary') and 'error' in own[0], result.stderr
    assert re.search(pattern, own[0]), f'{own[0]!r} does not match {pattern!r}'
    assert _snapshot(workspace) == before  # no database, no results, no staging


def test_summary_of_a_missing_study_names_what_is_there(tmp_path):
    import optuna

    url = f'sqlite:///{tmp_path / "s.db"}'
    optuna.create_study(study_name='jets-a', storage=url)
    result = run_cli(tmp_path, ['sweep', '--summary', '--storage', url, '--study-name', 'jets-b'])
    assert result.returncode == 2
    assert re.search(r"no study named 'jets-b' in sqlite:.*s\.db\. Did you mean 'jets-a'\? It holds: jets-a", result.stderr)
    other = run_cli(tmp_path, ['sweep', '--summary', '--storage', url, '--study-name', 'jets-a'])
    assert other.returncode == 2 and 'was not made by hlsbinary sweep' in other.stderr


def test_sweep_help_lists_the_keys_and_defaults():
    out = subprocess.run([sys.executable, '-m', 'hlsbinary.cli', 'sweep', '--help'], capture_output=True, text=True)
    assert out.returncode == 0
    for text in ('max_lut_percent', 'heartbeat', '--study-name', '--storage', 'journal:<file>', '(default 20.0)'):
        assert text in out.stdout, text


@pytest.mark.parametrize('name', ['tpe', 'nsga2', 'random'])
def test_every_sampler_searches_the_conditional_space_with_constraints(name):
    """A synthetic objective (no training): each sampler proposes valid candidates; the front holds only feasible ones."""
    import optuna

    from hlsbinary.sweep.front import is_feasible, pareto_trials
    from hlsbinary.sweep.study import make_sampler, quiet_optuna

    quiet_optuna()
    space = _space(first_layer_weights=Choice(('binary', 'ternary')))
    study = optuna.create_study(
        directions=['maximize', 'minimize'], sampler=make_sampler(name, seed=5, startup_trials=5, population_size=6)
    )

    def objective(trial):
        c = space.sample(trial)
        lut = sum(a * b for a, b in zip((16, *c.spec.widths[:-1]), c.spec.widths, strict=True))  # a stand-in cost
        trial.set_constraint('lut', lut - 3000)
        return min(1.0, lut / 5000), float(lut)

    study.optimize(objective, n_trials=24)
    assert all(t.state.name == 'COMPLETE' for t in study.trials)
    front = pareto_trials(study.trials, study.directions)
    assert front and all(is_feasible(t) for t in front)
    assert any(not is_feasible(t) for t in study.trials)  # the limit binds somewhere
