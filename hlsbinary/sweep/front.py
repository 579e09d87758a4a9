"""The Pareto front of a study, its hypervolume, and its rows as a table (CSV, JSON, terminal).

A trial is on the front if it is complete, feasible (every constraint value <= 0) and no other such trial is at
least as good in every objective and better in one.  Objectives are compared in minimisation form (a maximised
score enters negated).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import numpy as np

from hlsbinary.sweep.objective import CHANCE, SCORE_KEYS


def is_feasible(trial) -> bool:
    """Complete, and every constraint value <= 0."""
    from optuna.trial import TrialState

    return trial.state == TrialState.COMPLETE and all(v <= 0 for v in trial.constraints.values())


def losses(trials: Sequence, directions: Sequence) -> np.ndarray:
    """The trials' objective values in minimisation form, shape ``(trials, objectives)``."""
    from optuna.study import StudyDirection

    sign = np.array([-1.0 if d in (StudyDirection.MAXIMIZE, 'maximize') else 1.0 for d in directions])
    return np.array([t.values for t in trials], dtype=np.float64).reshape(len(trials), len(directions)) * sign


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``points`` (minimisation) that no other row dominates (<= everywhere, < somewhere).

    Rows with identical values do not dominate each other: all of them are kept.
    """
    points = np.asarray(points, dtype=np.float64)
    keep = np.ones(len(points), dtype=bool)
    for i, p in enumerate(points):
        dominated = np.all(points <= p, axis=1) & np.any(points < p, axis=1)
        keep[i] = not dominated.any()
    return keep


def pareto_trials(trials: Sequence, directions: Sequence) -> list:
    """The front: feasible complete trials that no other feasible one dominates, by increasing first cost."""
    feasible = [t for t in trials if is_feasible(t)]
    if not feasible:
        return []
    points = losses(feasible, directions)
    front = [t for t, keep in zip(feasible, non_dominated(points), strict=True) if keep]
    return sorted(front, key=lambda t: (tuple(t.values[1:]), -t.values[0], t.number))


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Volume dominated by ``points`` (minimisation) and bounded by ``reference``, exactly, in 1 to 3 dimensions.

    Points not strictly below the reference in every objective contribute nothing.  Three objectives are cut into
    slabs along the first one, each slab's area being the 2-D hypervolume of the points that reach it.
    """
    points = np.asarray(points, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    points = points[np.all(points < reference, axis=1)] if len(points) else points.reshape(0, len(reference))
    if len(points) == 0:
        return 0.0
    points = points[non_dominated(points)]
    if points.shape[1] == 1:
        return float(reference[0] - points[:, 0].min())
    if points.shape[1] == 2:
        order = np.argsort(points[:, 0])
        area, best_y = 0.0, reference[1]
        for x, y in points[order]:
            if y < best_y:
                area += (reference[0] - x) * (best_y - y)
                best_y = y
        return float(area)
    if points.shape[1] == 3:
        xs = np.unique(points[:, 0])
        bounds = np.append(xs[1:], reference[0])
        return float(
            sum(
                (hi - lo) * hypervolume(points[points[:, 0] <= lo][:, 1:], reference[1:])
                for lo, hi in zip(xs, bounds, strict=True)
            )
        )
    raise ValueError(f'hypervolume: {points.shape[1]} objectives; this computes 1 to 3')


def normalised_losses(trials: Sequence, config: dict, n_classes: int) -> np.ndarray:
    """Feasible trials' objectives scaled to the box their limits define, so the reference point is ``(1, ..., 1)``.

    The score becomes ``(1 - score) / (1 - chance)`` (chance: ``1 / classes`` for accuracy, 0.5 for mean AUC); a
    cost becomes ``cost / limit``, the limit being the constraint (LUT share of the part, latency) or, without
    one, the part's total (LUT, FF) or 1 us (latency).
    """
    from hlsbinary.parts import find_part

    objectives, limits, hw = config['objectives'], config['constraints'], config['hardware']
    part = find_part(hw['part'])
    chance = CHANCE[objectives['maximise']] or 1.0 / n_classes
    scale = {
        'lut': part.LUT * (limits['max_lut_percent'] or 100.0) / 100.0,
        'latency': limits['max_latency_ns'] or 1000.0,
        'ff': float(part.FF),
    }
    feasible = [t for t in trials if is_feasible(t)]
    out = np.empty((len(feasible), 1 + len(objectives['minimise'])))
    for i, t in enumerate(feasible):
        out[i, 0] = (1.0 - t.values[0]) / (1.0 - chance)
        out[i, 1:] = [v / scale[c] for v, c in zip(t.values[1:], objectives['minimise'], strict=True)]
    return out


def normalised_hypervolume(trials: Sequence, config: dict, n_classes: int) -> float:
    """Hypervolume of the feasible trials in the normalised box (0: nothing better than chance; 1: perfect, free)."""
    points = normalised_losses(trials, config, n_classes)
    return hypervolume(points, np.ones(points.shape[1])) if len(points) else 0.0


# ---- rows -----------------------------------------------------------------------------------------------------------

ROW_KEYS = (
    'trial', 'architecture', 'weights', 'activation', 'input_precision', 'epochs', 'batch_size', 'learning_rate',
    'val_accuracy', 'val_mean_auc', 'LUT', 'lut_percent', 'FF', 'DSP', 'latency_ns', 'latency_cycles', 'feasible',
)  # fmt: skip
FRONT_KEYS = (
    *ROW_KEYS,
    'test_accuracy',
    'test_mean_auc',
    'reproduced',
    'csim_events',
    'csim_agreement',
    'bit_exact',
    'model',
    'hls_project',
)
TRIAL_KEYS = (*ROW_KEYS, 'state', 'seed', 'epochs_run', 'train_seconds', 'trial_seconds', 'worker', 'fail_reason')


def trial_row(trial) -> dict:
    """A trial's recorded figures as a flat row (missing figures None)."""
    attrs = trial.user_attrs
    row = {key: attrs.get(key) for key in TRIAL_KEYS}
    row.update(trial=trial.number, state=trial.state.name, feasible=is_feasible(trial))
    return row


def to_csv(rows: list[dict], keys: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(keys), extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    for row in rows:
        writer.writerow({k: '' if row.get(k) is None else row[k] for k in keys})
    return out.getvalue()


def to_json(rows: list[dict], meta: dict) -> str:
    return json.dumps({**meta, 'front': rows}, indent=2, default=str) + '\n'


def _pct(value) -> str:
    return '' if value is None else f'{100 * value:.1f}%'


def table(rows: list[dict], score: str) -> str:
    """The front as a terminal table, by increasing cost."""
    head = f'{"trial":>5s}  {"architecture":22s} {"weights":24s} {"activation":12s} {"inputs":12s} {"val " + ("acc" if score == "accuracy" else "AUC"):>8s} {"test":>6s} {"LUT":>8s} {"LUT %":>6s} {"FF":>7s} {"DSP":>3s} {"ns":>5s} {"C sim":>7s}'
    lines = [head, '-' * len(head)]
    key = SCORE_KEYS[score]
    test_key = 'test_accuracy' if score == 'accuracy' else 'test_mean_auc'
    for r in rows:
        csim = (
            '' if r.get('csim_agreement') is None else ('==' if r.get('bit_exact') else f'{100 * r["csim_agreement"]:.1f}%')
        )
        weights = r.get('weights') or ''
        lines.append(
            f'{r["trial"]:5d}  {r.get("architecture") or "":22s} {weights[:24]:24s} {r.get("activation") or "":12s} '
            f'{r.get("input_precision") or "":12s} {_pct(r.get(key)):>8s} {_pct(r.get(test_key)):>6s} '
            f'{r.get("LUT") or 0:8,d} {r.get("lut_percent") or 0:6.2f} {r.get("FF") or 0:7,d} {r.get("DSP") or 0:3d} '
            f'{r.get("latency_ns") or 0:5.0f} {csim:>7s}'
        )
    return '\n'.join(lines)
