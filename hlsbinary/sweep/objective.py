"""One trial: build the candidate, train it (seeded), read its firmware, emulate it, estimate it, record everything.

The score is that of the **firmware's own outputs** (:func:`hlsbinary.emulator.emulate_network`, bit-exact) on the
validation split of the training part, never on the test part: the last ``validation_split`` share of the
training events, exactly the events Keras holds out for early stopping (``validation_split`` in ``fit`` takes the
tail, ``floor(n * (1 - v))`` onwards).  Costs come from :func:`hlsbinary.estimator.estimate_network` on the same
integer network.  Foldability is decided by :attr:`~hlsbinary.zoo.Spec.convertible` and by
:func:`~hlsbinary.frontend.qkeras.read_network` raising :class:`~hlsbinary.errors.UnsupportedModelError`.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from dataclasses import dataclass

import numpy as np

from hlsbinary.sweep.space import Candidate, SearchSpace

SCORE_KEYS = {'accuracy': 'val_accuracy', 'mean_auc': 'val_mean_auc'}  # objective -> recorded figure
CHANCE = {'accuracy': None, 'mean_auc': 0.5}  # score of a guess (accuracy: 1 / classes)


# ---- data -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepData:
    """The training events (validation tail included) and the untouched test part of one data set."""

    dataset: object  # hlsbinary.datasets.Dataset, X_train cut to the events the sweep uses
    validation_split: float

    @property
    def split_at(self) -> int:
        """Keras's own rule for ``validation_split``: the first ``floor(n (1 - v))`` events train."""
        return int(math.floor(len(self.dataset.X_train) * (1.0 - self.validation_split)))

    @property
    def X_val(self) -> np.ndarray:
        return self.dataset.X_train[self.split_at :]

    @property
    def y_val(self) -> np.ndarray:
        return self.dataset.y_train[self.split_at :]

    @property
    def class_names(self) -> list[str]:
        return self.dataset.class_names

    @property
    def n_in(self) -> int:
        return self.dataset.X_train.shape[1]


def load_data(data: dict) -> SweepData:
    """The data of a config's ``data`` section (``max_train_events`` keeps the first events of the shuffled split)."""
    from hlsbinary.datasets import DATASETS

    dataset = DATASETS[data['name']][2](source=data['source'])
    n = data['max_train_events']
    if n is not None and n < len(dataset.X_train):
        dataset = dataset.first_train_rows(n)
    return SweepData(dataset, data['validation_split'])


# ---- scoring ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Accuracy and one-against-rest AUCs of firmware outputs."""

    accuracy: float
    aucs: dict[str, float]

    @property
    def mean_auc(self) -> float:
        return float(np.mean(list(self.aucs.values())))


def firmware_scores(network, X: np.ndarray, y: np.ndarray, class_names: list[str]) -> Scores:
    """Accuracy (argmax of the emulated firmware's outputs) and per-class AUCs (on their softmax), on ``X``."""
    from hlsbinary.emulator import emulate_network
    from hlsbinary.report import ModelResult, softmax

    logits = emulate_network(network, X)
    result = ModelResult('trial', y, softmax(logits), class_names)
    return Scores(result.accuracy, result.aucs())


def hardware_figures(network, part: str, clock_period: float) -> dict:
    """Estimated LUT, FF, DSP, BRAM, latency and shares of the part (:func:`hlsbinary.estimator.estimate_network`)."""
    from hlsbinary.estimator import estimate_network

    est = estimate_network(network, part=part, clock_period=clock_period)
    pct = est.percent()
    return {
        'LUT': int(est.LUT),
        'FF': int(est.FF),
        'DSP': int(est.DSP),
        'BRAM': int(est.BRAM),
        'latency_ns': float(est.latency_ns),
        'latency_cycles': int(est.latency_cycles),
        'lut_percent': float(pct['LUT']),
        'ff_percent': float(pct['FF']),
        'dsp_percent': float(pct['DSP']),
    }


@dataclass
class Trained:
    model: object
    network: object  # hlsbinary.ir.Network
    history: dict  # Keras's history: loss, val_loss, accuracy, val_accuracy per epoch
    seconds: float
    keras_val_accuracy: float

    @property
    def epochs_run(self) -> int:
        return len(self.history['loss'])


def train_candidate(candidate: Candidate, data: SweepData, seed: int, patience: int, name: str = 'model') -> Trained:
    """Build ``candidate`` after seeding with ``seed``, train it with :func:`hlsbinary.train.fit` (same seed: the same
    weights every time) and read its integer network.  Raises UnsupportedModelError if the plugin cannot fold it."""
    import tensorflow as tf

    import hlsbinary
    from hlsbinary.train import fit, seed_everything
    from hlsbinary.zoo import build_model

    tf.keras.backend.clear_session()  # one graph per trial, not an ever-growing one
    seed_everything(seed)
    model = build_model(candidate.spec, name)
    history, seconds = fit(
        model,
        data.dataset,
        seed=seed,
        epochs=candidate.epochs,
        batch_size=candidate.batch_size,
        learning_rate=candidate.learning_rate,
        patience=patience,
        validation_split=data.validation_split,
        verbose=False,
    )
    network = hlsbinary.read_network(model, input_precision=candidate.input_precision)
    # Keras's accuracy of the final weights (Keras 2 restores the best epoch's only when it stops early)
    keras_accuracy = float(model.evaluate(data.X_val, data.y_val, verbose=0, batch_size=4096)[1])
    return Trained(model, network, history.history, seconds, keras_accuracy)


# ---- the objective ---------------------------------------------------------------------------------------------------


class NotFoldable(Exception):
    """The candidate holds blocks the plugin does not fold (so there is no firmware to score)."""


def origin(trial) -> int:
    """The number of the trial a retry repeats (itself if it is no retry): its seed comes from that number."""
    return int(trial.user_attrs.get('retry_of', trial.number))


def worker_name() -> str:
    return f'{socket.gethostname()}:{os.getpid()}'


class Heartbeat:
    """Records ``heartbeat`` (a time) in a running trial's user attributes every ``interval`` seconds.

    For storages without Optuna's heartbeat (the journal file): a trial whose heartbeat stops is known dead.
    """

    def __init__(self, trial, interval: float):
        self.trial, self.interval, self._stop = trial, interval, threading.Event()
        self._thread = threading.Thread(target=self._run, name='hlsbinary-heartbeat', daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.trial.set_user_attr('heartbeat', time.time())

    def __enter__(self):
        self.trial.set_user_attr('heartbeat', time.time())
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Objective:
    """The function Optuna calls per trial; returns ``(score, *costs)`` and records every figure on the trial.

    Constraints go through :meth:`optuna.trial.Trial.set_constraint` (value <= 0 is feasible), so infeasible
    trials inform TPE and NSGA-II.  A trial that fails records ``fail_reason`` and raises (the sweep goes on); one
    interrupted by Ctrl-C records ``interrupted`` and is retried by the next run.
    """

    def __init__(self, space: SearchSpace, data: SweepData, config: dict, heartbeat: float | None = None):
        self.space, self.data, self.config = space, data, config
        self.heartbeat = heartbeat

    def __call__(self, trial) -> tuple[float, ...]:
        import contextlib

        started = time.perf_counter()
        from optuna.storages._heartbeat import is_heartbeat_enabled

        storage = trial.study._storage
        if is_heartbeat_enabled(storage):
            # Optuna's heartbeat thread writes its first beat asynchronously, and a trial without any beat is never
            # found stale: beat once now, so a worker killed at any later point leaves a trial the next run retries
            storage.record_heartbeat(trial._trial_id)
        try:
            with Heartbeat(trial, self.heartbeat) if self.heartbeat else contextlib.nullcontext():
                return self._run(trial, started)
        except KeyboardInterrupt:
            trial.set_user_attr('interrupted', True)
            raise
        except Exception as err:
            trial.set_user_attr('fail_reason', f'{type(err).__name__}: {_first_line(err)}')
            raise

    def _run(self, trial, started: float) -> tuple[float, ...]:
        from hlsbinary.errors import UnsupportedModelError

        candidate = self.space.sample(trial)
        seed = self.config['train']['seed'] + origin(trial)
        trial.set_user_attr('seed', seed)
        trial.set_user_attr('worker', worker_name())
        trial.set_user_attr('architecture', candidate.architecture)
        trial.set_user_attr('weights', candidate.weight_kinds)
        if not candidate.spec.convertible:
            raise NotFoldable(f'{candidate.describe()}: {candidate.spec.plugin_note or "not folded by the plugin"}')
        try:
            trained = train_candidate(candidate, self.data, seed, self.config['train']['patience'], f'trial_{trial.number}')
        except UnsupportedModelError as err:
            raise NotFoldable(str(err)) from err
        scores = firmware_scores(trained.network, self.data.X_val, self.data.y_val, self.data.class_names)
        hw = self.config['hardware']
        figures = hardware_figures(trained.network, hw['part'], hw['clock_period'])
        record = {
            'activation': candidate.spec.activation,
            'input_precision': candidate.input_precision,
            'epochs': candidate.epochs,
            'batch_size': candidate.batch_size,
            'learning_rate': candidate.learning_rate,
            'val_accuracy': scores.accuracy,
            'val_mean_auc': scores.mean_auc,
            'val_auc': scores.aucs,
            'keras_val_accuracy': trained.keras_val_accuracy,
            'epochs_run': trained.epochs_run,
            'train_seconds': round(trained.seconds, 2),
            **figures,
            'trial_seconds': round(time.perf_counter() - started, 2),
        }
        for key, value in record.items():
            trial.set_user_attr(key, value)
        for key, value in constraint_values(figures, self.config['constraints']).items():
            trial.set_constraint(key, value)
        return objective_values(record, self.config['objectives'])


def objective_values(record: dict, objectives: dict) -> tuple[float, ...]:
    """``(score, *costs)`` in the study's order: the maximised score, then each minimised cost."""
    from hlsbinary.sweep.config import COSTS

    return (float(record[SCORE_KEYS[objectives['maximise']]]), *(float(record[COSTS[c]]) for c in objectives['minimise']))


def directions(objectives: dict) -> list[str]:
    return ['maximize'] + ['minimize'] * len(objectives['minimise'])


def constraint_values(figures: dict, constraints: dict) -> dict[str, float]:
    """Optuna constraint values (feasible where <= 0) for every limit that is set."""
    out = {}
    if constraints['max_lut_percent'] is not None:
        out['lut_percent'] = figures['lut_percent'] - constraints['max_lut_percent']
    if constraints['max_latency_ns'] is not None:
        out['latency_ns'] = figures['latency_ns'] - constraints['max_latency_ns']
    if constraints['max_dsp'] is not None:
        out['dsp'] = float(figures['DSP'] - constraints['max_dsp'])
    return out


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]
