"""The results of a study: the Pareto table (CSV, JSON), every trial (CSV), the trade-off plots, and the front's
members retrained, saved as ``.h5``, scored on the test part, converted with the plugin and checked in C simulation.

Each member is rebuilt from its trial's parameters and trained again with the trial's seed (training is
deterministic, so this reproduces the trial's network; ``reproduced`` in the table says whether its validation
score came out identical).  Its C simulation (hls4ml's ``VitisBinary`` project, compiled with g++) runs on test
events and is compared with :func:`hlsbinary.emulator.emulate_network` with ``==``.

Everything is written into a staging folder and published only when the export succeeded
(:func:`hlsbinary.files.publish_directory`): never over a user's files.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from hlsbinary.sweep.front import (
    FRONT_KEYS,
    TRIAL_KEYS,
    normalised_hypervolume,
    pareto_trials,
    table,
    to_csv,
    to_json,
    trial_row,
)
from hlsbinary.sweep.objective import SweepData, firmware_scores, train_candidate
from hlsbinary.sweep.space import SearchSpace


def csim_agreement(
    model, network, input_precision: str, X: np.ndarray, project: Path, hardware: dict, verbose: bool = False
) -> dict:
    """Convert ``model`` with the plugin into ``project``, compile its C simulation (g++, killed with this process)
    and compare its outputs on ``X`` with the emulator's: ``{'csim_events', 'csim_agreement', 'bit_exact'}``."""
    import hls4ml

    from hlsbinary.emulator import emulate_network
    from hlsbinary.hls_project import build_library, load_library

    config = hls4ml.utils.config_from_keras_model(model, granularity='name', backend='VitisBinary')
    config['LayerName'][model.layers[0].name]['Precision']['result'] = input_precision  # what the firmware reads
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter) if not verbose else contextlib.nullcontext():
        hls_model = hls4ml.converters.convert_from_keras_model(
            model,
            hls_config=config,
            backend='VitisBinary',
            output_dir=str(project),
            io_type='io_parallel',
            part=hardware['part'],
            clock_period=hardware['clock_period'],
        )
        hls_model.write()
        library = build_library(hls_model, project)  # what hls_model.compile() does, with g++ reaped on kill -9
        load_library(hls_model, library)
        X = np.ascontiguousarray(X, dtype=np.float64)
        y_csim = np.asarray(hls_model.predict(X)).reshape(len(X), -1)
    y_emu = emulate_network(network, X)
    same = np.all(y_csim == y_emu, axis=1)
    for so in project.rglob('*.so'):  # it reads its weights from the staging path; hls_model.compile() rebuilds it
        so.unlink()
    return {'csim_events': len(X), 'csim_agreement': float(same.mean()), 'bit_exact': bool(same.all())}


def export_member(trial, space: SearchSpace, data: SweepData, config: dict, folder: Path, csim: bool, verbose: bool) -> dict:
    """Retrain one front member, save it, score it on the test part and (``csim``) check its C simulation."""
    from optuna.trial import FixedTrial

    row = trial_row(trial)
    candidate = space.sample(FixedTrial(trial.params))
    seed = trial.user_attrs['seed']
    name = f'trial_{trial.number:05d}'
    trained = train_candidate(candidate, data, seed, config['train']['patience'], name)
    ds = data.dataset
    val = firmware_scores(trained.network, data.X_val, data.y_val, data.class_names)
    test = firmware_scores(trained.network, ds.X_test, ds.y_test, data.class_names)
    row.update(
        reproduced=bool(
            val.accuracy == trial.user_attrs.get('val_accuracy') and val.mean_auc == trial.user_attrs.get('val_mean_auc')
        ),
        test_accuracy=test.accuracy,
        test_mean_auc=test.mean_auc,
        test_auc=test.aucs,
        model=f'front/{name}.h5',
    )
    (folder / 'front').mkdir(exist_ok=True)
    trained.model.save(folder / 'front' / f'{name}.h5', include_optimizer=False)
    if csim:
        n = min(config['export']['csim_events'], len(ds.X_test))
        project = folder / 'front' / f'{name}_hls'
        row.update(
            csim_agreement(
                trained.model,
                trained.network,
                candidate.input_precision,
                ds.X_test[:n],
                project,
                config['hardware'],
                verbose,
            )
        )
        row['hls_project'] = f'front/{name}_hls'
    return row


def _members(front: list, limit: int) -> list:
    """At most ``limit`` members spread along the front (by cost), always keeping its two ends."""
    if len(front) <= limit:
        return front
    picks = np.unique(np.round(np.linspace(0, len(front) - 1, limit)).astype(int))
    return [front[i] for i in picks]


def export_results(
    study,
    space: SearchSpace,
    data: SweepData,
    config: dict,
    output: str | Path,
    force: bool = False,
    show: bool = True,
    verbose: bool = False,
    storage_label: str = '',
) -> tuple[Path, list[dict]]:
    """Write the study's results into ``output`` (published when complete) and return it with the front's rows."""
    from tqdm import tqdm

    from hlsbinary.files import publish_directory
    from hlsbinary.hls_project import retarget
    from hlsbinary.published import PAPER, paper_points
    from hlsbinary.sweep.plots import plot_tradeoff

    trials = study.get_trials(deepcopy=False)
    front = pareto_trials(trials, study.directions)
    chosen = {t.number for t in _members(front, config['export']['max_members'])}
    csim = config['export']['csim']
    score = config['objectives']['maximise']
    rows = [trial_row(t) for t in trials]
    with publish_directory(output, force, 'sweep results') as staging:
        front_rows = []
        for trial in tqdm(front, desc='exporting the front', unit='member', disable=not show):
            if trial.number in chosen:
                front_rows.append(export_member(trial, space, data, config, staging, csim, verbose))
            else:
                front_rows.append({**trial_row(trial), 'model': None})
        hv = normalised_hypervolume(trials, config, len(data.class_names))
        meta = {
            'study': study.study_name,
            'storage': storage_label,
            'data': f'{data.dataset.name} ({data.dataset.source}): {len(data.dataset.X_train):,} training events, the last '
            f'{data.validation_split:g} of them scoring trials; {len(data.dataset.X_test):,} test events',
            'objectives': config['objectives'],
            'constraints': config['constraints'],
            'hardware': config['hardware'],
            'trials': {state: sum(r['state'] == state for r in rows) for state in sorted({r['state'] for r in rows})},
            'normalised_hypervolume': hv,
            'estimates': 'LUT, FF, DSP and latency are hlsbinary estimates (hlsbinary/estimator.py), not synthesis',
        }
        (staging / 'pareto.csv').write_text(to_csv(front_rows, FRONT_KEYS))
        (staging / 'pareto.json').write_text(to_json(front_rows, meta))
        (staging / 'trials.csv').write_text(to_csv(rows, TRIAL_KEYS))
        published = paper_points(data.dataset.name)
        title = f'{study.study_name}: {len(rows)} trials, {len(front)} on the front'
        images = []
        for x_key, suffix in (('LUT', 'lut'), ('latency_ns', 'latency')):
            image = f'{score}_vs_{suffix}.png'
            plot_tradeoff(rows, front_rows, score, x_key, staging / image, published, title)
            images.append(image)
        text = table(front_rows, score)
        notes = (
            f'Published points: {PAPER}; other data (OpenML jets) and Vivado synthesis, shown for orientation only.'
            if published
            else ''
        )
        (staging / 'summary.md').write_text(
            f'# Sweep {study.study_name}\n\n{meta["data"]}\n\nNormalised hypervolume: {hv:.4f}\n\n```\n{text}\n```\n\n'
            + ''.join(f'![{img}]({img})\n' for img in images)
            + (f'\n{notes}\n' if notes else '')
        )
        retarget(staging, Path(output).expanduser().resolve())  # HLS projects name their final folder
    study.set_user_attr(
        'export', {str(r['trial']): {k: r.get(k) for k in FRONT_KEYS if k not in TRIAL_KEYS} for r in front_rows}
    )
    return Path(output), front_rows


def summary_text(study, config_settings: dict) -> str:
    """The front of an existing study as recorded (with the test and C simulation columns of its last export)."""
    trials = study.get_trials(deepcopy=False)
    front = pareto_trials(trials, study.directions)
    exported = study.user_attrs.get('export', {})
    rows = [{**trial_row(t), **exported.get(str(t.number), {})} for t in front]
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    score = config_settings['objectives']['maximise']
    head = (
        f'study {study.study_name}: '
        + ', '.join(f'{n} {s.lower()}' for s, n in sorted(states.items()))
        + f'; {len(front)} on the front'
    )
    return head + '\n' + table(rows, score)
