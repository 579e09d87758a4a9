"""Bayesian (multi-objective TPE) versus random search at equal trial budget on the jet task.

Usage: python benchmarks/bench_sweep.py [--trials 40] [--seeds 1 2 3] [--jobs 2] [--set data.max_train_events=20000 ...]
                                        [--workdir DIR] [--json bench_sweep.json]

For every seed, one study per sampler (``tpe``, ``random``) runs ``--trials`` trials of ``configs/sweep_jets.yml``
(with the overrides below and ``--set``), each study in its own process on one thread, the two samplers of a seed
side by side so that both see the same machine load.  The same seed drives both samplers and the training (trial n
trains with seed + n), so the samplers differ only in what they propose.  Reported:

* the hypervolume of the feasible (accuracy, LUT, latency) front, normalised to the box the constraints define
  (``hlsbinary.sweep.front.normalised_hypervolume``: 0 = nothing better than chance, 1 = perfect and free), after
  10, 20, ... trials and at the end, as mean and standard deviation over the seeds;
* trials per hour (per single-threaded worker, and for the whole benchmark);
* the paper's 16x448x224x224x5 binary and 16x128x64x64x64x5 ternary networks trained with the same recipe and
  seeds, next to the most accurate feasible architecture the TPE runs found and, for each paper network, the most
  accurate one found within its LUT and latency; those are retrained and scored on the test part too.
"""

from __future__ import annotations

import os

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS'):
    os.environ.setdefault(_var, '1')  # one core per study process
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).parents[1]
CONFIG = ROOT / 'configs' / 'sweep_jets.yml'
BENCH_SET = [  # smaller than the shipped sweep, so that several seeds of both samplers fit in the budget
    'data.max_train_events=20000',
    'train.epochs=10',
    'train.patience=3',
    'export.csim=false',
    'sampler.startup_trials=10',
]
PAPER_NETWORKS = {  # the paper's two large jet taggers (Di Guglielmo et al. 2020, table 2)
    'binary 16x448x224x224x5': ((448, 224, 224, 5), 'binary', 'binary_tanh'),
    'ternary 16x128x64x64x64x5': ((128, 64, 64, 64, 5), 'ternary', 'ternary_tanh'),
}
REFERENCE_RECIPE = {'batch_size': 512, 'learning_rate': 1e-3, 'input_precision': 'fixed<16,6>'}


def _threads() -> None:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def run_study(sampler: str, seed: int, trials: int, overrides: list[str], workdir: str) -> dict:
    """One study of ``trials`` trials with ``sampler``; returns its trials' figures and its wall time."""
    _threads()
    from hlsbinary.sweep.config import load_sweep_config
    from hlsbinary.sweep.objective import Objective, load_data
    from hlsbinary.sweep.study import prepare, quiet_optuna, run_trials

    quiet_optuna()
    name = f'{sampler}-{seed}'
    flags = {
        'study.name': (name, '--study-name'),
        'study.storage': (f'sqlite:///{Path(workdir) / name}.db', '--storage'),
        'budget.trials': (trials, '--trials'),
        'sampler.name': (sampler, '--sampler'),
        'sampler.seed': (seed, 'bench'),
        'train.seed': (seed, 'bench'),
    }
    config = load_sweep_config(CONFIG, [*BENCH_SET, *overrides], flags)
    data = load_data(config['data'])
    opened, journal = prepare(config, config['study']['storage'], data)
    start = time.perf_counter()
    run_trials(opened.study, Objective(opened.space, data, config), config, None, show=False, journal=journal)
    seconds = time.perf_counter() - start
    rows = []
    for t in opened.study.get_trials(deepcopy=False):
        rows.append(
            {
                'number': t.number,
                'state': t.state.name,
                'values': t.values,
                'constraints': t.constraints,
                'params': t.params,
                'attrs': t.user_attrs,
            }
        )
    return {'sampler': sampler, 'seed': seed, 'seconds': seconds, 'trials': rows, 'config': _jsonable(config)}


def reference(label: str, seed: int, overrides: list[str]) -> dict:
    """A paper network trained with the sweep's recipe and seed: validation and test figures, LUT, latency."""
    _threads()
    from hlsbinary.sweep.config import load_sweep_config
    from hlsbinary.sweep.objective import load_data
    from hlsbinary.sweep.space import Candidate
    from hlsbinary.zoo import Spec

    config = load_sweep_config(CONFIG, [*BENCH_SET, *overrides])
    data = load_data(config['data'])
    widths, weights, act = PAPER_NETWORKS[label]
    epochs = config['train']['epochs'].value
    candidate = Candidate(
        Spec(16, widths, weights, act),
        REFERENCE_RECIPE['input_precision'],
        epochs,
        REFERENCE_RECIPE['batch_size'],
        REFERENCE_RECIPE['learning_rate'],
    )
    return _scored(candidate, data, config, seed, label) | {'label': label}


def retrain(params: dict, seed: int, overrides: list[str], label: str) -> dict:
    """A trial's architecture trained again with its seed, scored on validation and test parts."""
    _threads()
    from optuna.trial import FixedTrial

    from hlsbinary.sweep.config import load_sweep_config, search_space
    from hlsbinary.sweep.objective import load_data

    config = load_sweep_config(CONFIG, [*BENCH_SET, *overrides])
    data = load_data(config['data'])
    candidate = search_space(config, data.n_in, len(data.class_names)).sample(FixedTrial(params))
    return _scored(candidate, data, config, seed, label) | {'label': label}


def _scored(candidate, data, config, seed: int, label: str) -> dict:
    from hlsbinary.sweep.objective import firmware_scores, hardware_figures, train_candidate

    trained = train_candidate(candidate, data, seed, config['train']['patience'])
    val = firmware_scores(trained.network, data.X_val, data.y_val, data.class_names)
    test = firmware_scores(trained.network, data.dataset.X_test, data.dataset.y_test, data.class_names)
    hw = hardware_figures(trained.network, config['hardware']['part'], config['hardware']['clock_period'])
    return {
        'architecture': candidate.architecture,
        'weights': candidate.weight_kinds,
        'activation': candidate.spec.activation,
        'input_precision': candidate.input_precision,
        'seed': seed,
        'val_accuracy': val.accuracy,
        'test_accuracy': test.accuracy,
        'test_mean_auc': test.mean_auc,
        **{k: hw[k] for k in ('LUT', 'lut_percent', 'FF', 'DSP', 'latency_ns')},
    }


def _jsonable(value):
    from hlsbinary.sweep.config import _plain

    return json.loads(json.dumps(_plain(value), default=str))


# ---- analysis -------------------------------------------------------------------------------------------------------


class _Trial:
    """The fields of a FrozenTrial that hlsbinary.sweep.front reads, from a run's JSON rows."""

    def __init__(self, row: dict):
        from optuna.trial import TrialState

        self.number, self.values, self.constraints = row['number'], row['values'], row['constraints']
        self.state = TrialState[row['state']]
        self.user_attrs, self.params = row['attrs'], row['params']


def hypervolume_curve(run: dict, config: dict, checkpoints: list[int]) -> dict[int, float]:
    from hlsbinary.sweep.front import normalised_hypervolume

    trials = [_Trial(r) for r in sorted(run['trials'], key=lambda r: r['number'])]
    return {k: normalised_hypervolume(trials[:k], config, 5) for k in checkpoints}


def _mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f'{values[0]:.4f}'
    return f'{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--trials', type=int, default=40, help='trials per study (equal for both samplers)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    parser.add_argument('--jobs', type=int, default=2, help='studies run at once (each on one thread)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='more config overrides')
    parser.add_argument('--workdir', default=None, help='keep the study databases here (default: a temporary folder)')
    parser.add_argument('--json', default=None, help='also write every figure to this JSON file')
    args = parser.parse_args()

    from hlsbinary.sweep.config import load_sweep_config
    from hlsbinary.sweep.front import is_feasible

    workdir = args.workdir or tempfile.mkdtemp(prefix='bench-sweep-')
    Path(workdir).mkdir(parents=True, exist_ok=True)
    config = load_sweep_config(CONFIG, [*BENCH_SET, *args.set])
    print(
        f'bench_sweep: {args.trials} trials x {len(args.seeds)} seeds x (tpe, random), {args.jobs} at once; studies in {workdir}'
    )
    print(f'overrides: {" ".join(BENCH_SET + args.set)}')
    started = time.perf_counter()
    ctx = get_context('spawn')  # a fresh TensorFlow per process
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx, max_tasks_per_child=1) as pool:
        jobs = [
            pool.submit(run_study, s, seed, args.trials, args.set, workdir) for seed in args.seeds for s in ('tpe', 'random')
        ]
        runs = []
        for job in jobs:
            run = job.result()
            runs.append(run)
            print(
                f'  {run["sampler"]:6s} seed {run["seed"]}: {len(run["trials"])} trials in {run["seconds"] / 60:.1f} min',
                flush=True,
            )
        refs = [pool.submit(reference, label, seed, args.set) for label in PAPER_NETWORKS for seed in args.seeds]
        references = [r.result() for r in refs]
        # the best architectures the TPE runs found: overall, and within each paper network's LUT and latency
        tpe_trials = [(run['seed'], _Trial(r)) for run in runs if run['sampler'] == 'tpe' for r in run['trials']]
        feasible = [(seed, t) for seed, t in tpe_trials if is_feasible(t)]
        picks = {'most accurate feasible (TPE)': max(feasible, key=lambda st: st[1].values[0])} if feasible else {}
        for label in PAPER_NETWORKS:
            mine = [r for r in references if r['label'] == label]
            lut, lat = statistics.mean(r['LUT'] for r in mine), statistics.mean(r['latency_ns'] for r in mine)
            inside = [(s, t) for s, t in feasible if t.user_attrs['LUT'] <= lut and t.user_attrs['latency_ns'] <= lat]
            if inside:
                picks[f'most accurate within {label} LUT and latency (TPE)'] = max(inside, key=lambda st: st[1].values[0])
        retrained = [
            pool.submit(retrain, t.params, t.user_attrs['seed'], args.set, f'{label}: trial {t.number} of tpe-{seed}')
            for label, (seed, t) in picks.items()
        ]
        best = [r.result() for r in retrained]
    wall = time.perf_counter() - started

    checkpoints = sorted({k for k in (10, 20, 30, 40, 60, 80, 100) if k < args.trials} | {args.trials})
    curves = {s: [hypervolume_curve(r, config, checkpoints) for r in runs if r['sampler'] == s] for s in ('tpe', 'random')}
    print('\n## Hypervolume of the feasible (accuracy, LUT, latency) front, normalised (mean ± sd over seeds)\n')
    print('| trials | ' + ' | '.join(f'{k}' for k in checkpoints) + ' |')
    print('|---|' + '---|' * len(checkpoints))
    for s in ('tpe', 'random'):
        print(f'| {s} | ' + ' | '.join(_mean_sd([c[k] for c in curves[s]]) for k in checkpoints) + ' |')
    final = {s: [c[args.trials] for c in curves[s]] for s in curves}
    wins = sum(a > b for a, b in zip(final['tpe'], final['random'], strict=True))
    print(
        f'\nTPE above random in {wins} of {len(final["tpe"])} seeds; per seed (tpe, random): '
        + ', '.join(f'({a:.4f}, {b:.4f})' for a, b in zip(final['tpe'], final['random'], strict=True))
    )

    print('\n## Trials per hour\n')
    for s in ('tpe', 'random'):
        rates = [len(r['trials']) / (r['seconds'] / 3600) for r in runs if r['sampler'] == s]
        feasible_share = [
            sum(is_feasible(_Trial(t)) for t in r['trials']) / len(r['trials']) for r in runs if r['sampler'] == s
        ]
        seconds = [t['attrs'].get('trial_seconds', 0) for r in runs if r['sampler'] == s for t in r['trials']]
        print(
            f'- {s}: {statistics.mean(rates):.0f} trials/hour per one-thread worker (median trial {statistics.median(seconds):.1f} s), feasible {100 * statistics.mean(feasible_share):.0f} %'
        )
    total = sum(len(r['trials']) for r in runs)
    print(
        f'- whole benchmark: {total} trials + {len(references) + len(best)} reference trainings in {wall / 60:.1f} min wall ({total / (wall / 3600):.0f} trials/hour, {args.jobs} at once)'
    )

    print("\n## The paper's networks (same recipe, mean over seeds) and the best found\n")
    print('| network | val acc. | test acc. | test mean AUC | est. LUT | LUT % | latency (ns) |')
    print('|---|---|---|---|---|---|---|')
    for label in PAPER_NETWORKS:
        mine = [r for r in references if r['label'] == label]
        m = {
            k: statistics.mean(r[k] for r in mine)
            for k in ('val_accuracy', 'test_accuracy', 'test_mean_auc', 'LUT', 'lut_percent', 'latency_ns')
        }
        print(
            f'| paper {label} | {100 * m["val_accuracy"]:.1f} % | {100 * m["test_accuracy"]:.1f} % | {100 * m["test_mean_auc"]:.1f} % | {m["LUT"]:,.0f} | {m["lut_percent"]:.2f} | {m["latency_ns"]:.0f} |'
        )
    for r in best:
        print(
            f'| {r["label"]}: {r["architecture"]} ({r["weights"]}, {r["activation"]}, {r["input_precision"]}) | {100 * r["val_accuracy"]:.1f} % | {100 * r["test_accuracy"]:.1f} % | {100 * r["test_mean_auc"]:.1f} % | {r["LUT"]:,} | {r["lut_percent"]:.2f} | {r["latency_ns"]:.0f} |'
        )

    if args.json:
        from hlsbinary.files import publish_file

        with publish_file(args.json, True, 'benchmark results') as tmp:
            tmp.write_text(
                json.dumps(
                    {
                        'args': vars(args),
                        'wall_seconds': wall,
                        'runs': runs,
                        'references': references,
                        'best': best,
                        'hypervolume': {s: [{str(k): v for k, v in c.items()} for c in curves[s]] for s in curves},
                    },
                    indent=1,
                    default=str,
                )
            )
        print(f'\nfigures written to {args.json}')


if __name__ == '__main__':
    main()
