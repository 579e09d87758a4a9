"""The study: storage, sampler, resumption, workers, and the loop that runs trials.

* **Storage** (:func:`open_storage`): any SQLAlchemy URL through Optuna's ``RDBStorage`` (SQLite by default, a
  file beside the results; PostgreSQL or MySQL for many workers on many machines), or ``journal:<file>``, Optuna's
  journal file for clusters with only a shared filesystem.  Every finished trial is committed by Optuna as it
  finishes, so Ctrl-C or ``kill -9`` lose only the trial that was running.
* **Dead workers**: a running trial beats a heartbeat (Optuna's own for SQL storages, a ``heartbeat`` user
  attribute for the journal); one silent for two intervals is failed and retried once with the same parameters
  and seed.  A trial stopped by Ctrl-C is retried by the next run.
* **Budget**: ``trials`` is the study's total of finished trials (complete, or failed for a reason of their own);
  re-running the same command continues up to it, and N workers started on one study stop together.
* **Sampler** (:func:`make_sampler`): multi-objective TPE by default, NSGA-II or random; passed in, never looked up.
"""

from __future__ import annotations

import contextlib
import random
import re
import sqlite3
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from hlsbinary.errors import ConfigError, UserError
from hlsbinary.sweep.config import first_difference, search_settings
from hlsbinary.sweep.objective import Objective, SweepData, origin
from hlsbinary.sweep.space import SearchSpace, foldable

MAX_RETRIES = 2  # a trial killed again and again (e.g. by the OOM killer) is given up after this many retries
MAX_CONSECUTIVE_FAILURES = 5  # a worker whose trials all fail stops and says why


class SweepAborted(UserError):
    """Every recent trial of this worker failed; the message carries the last reason."""


def quiet_optuna(verbose: bool = False) -> None:
    """Optuna's per-trial INFO lines and experimental-feature warnings only with ``verbose`` (the bar says it all)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.ERROR)
    if not verbose:
        warnings.filterwarnings('ignore', category=optuna.exceptions.ExperimentalWarning)


# ---- storage --------------------------------------------------------------------------------------------------------


def default_storage(output: str | Path) -> str:
    """SQLite in a file beside the results folder: ``<output>.db``."""
    path = Path(output).expanduser().resolve()
    return f'sqlite:///{path.parent / (path.name + ".db")}'


def masked(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages)."""
    return re.sub(r'(://[^:/@]+:)[^@]*@', r'\1***@', url)


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith('sqlite:'):
        return None
    rest = url.split(':///', 1)[1] if ':///' in url else ''
    rest = rest.split('?', 1)[0]
    return None if rest in ('', ':memory:') else Path(rest)


def _journal_path(url: str) -> Path:
    rest = url[len('journal:') :]
    return Path(rest[2:] if rest.startswith('//') else rest).expanduser()


def _check_sqlite_file(path: Path, url: str) -> None:
    """Refuse an existing file that is not an Optuna SQLite database: hlsbinary never writes into a user's file."""
    if path.is_dir():
        raise UserError(f'storage {url}: {path} is a folder; give the path of a database file')
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, 'rb') as f:
        header = f.read(16)
    if header != b'SQLite format 3\x00':
        raise UserError(
            f'storage {url}: {path} exists and is not an SQLite database; hlsbinary leaves it alone. Choose another --storage'
        )
    try:
        with contextlib.closing(sqlite3.connect(f'file:{path}?mode=ro', uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as err:
        raise UserError(f'storage {url}: {path} cannot be read as SQLite ({err})') from None
    if tables and not {'studies', 'trials', 'version_info'} <= tables:
        raise UserError(
            f'storage {url}: {path} is an SQLite database of something else (tables {", ".join(sorted(tables)[:4])}); '
            'hlsbinary does not write into it. Choose another --storage'
        )


def _check_journal_file(path: Path, url: str) -> None:
    if path.is_dir():
        raise UserError(f'storage {url}: {path} is a folder; give the path of a journal file')
    if not path.parent.is_dir():
        raise UserError(
            f'storage {url}: the folder {path.parent} does not exist; create it (on the shared filesystem) first'
        )
    if path.exists() and path.stat().st_size:
        with open(path, 'rb') as f:
            first = f.readline(4096)
        if not first.lstrip().startswith(b'{') or b'op_code' not in first:
            raise UserError(
                f'storage {url}: {path} exists and is not an Optuna journal; hlsbinary leaves it alone. Choose another --storage'
            )


def open_storage(url: str, heartbeat: int | None = None, must_exist: bool = False, on_stale=None):
    """Optuna storage for ``url``: ``journal:<file>`` or an SQLAlchemy URL (``sqlite:///...``, ``postgresql://...``).

    SQL storages get Optuna's heartbeat (``heartbeat`` seconds, grace twice that) with ``on_stale(study, trial)``
    called for each trial found dead.  ``must_exist`` refuses to create a new database or journal (for reading).
    A missing driver, an unreachable server or a file that is not a study database is one clear UserError.
    """
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    if url.startswith('journal:'):
        path = _journal_path(url)
        _check_journal_file(path, url)
        if must_exist and not path.exists():
            raise UserError(f'storage {url}: no such journal file {path}')
        return JournalStorage(JournalFileBackend(str(path)))
    if not re.match(r'^[a-z][a-z0-9+]*://', url):
        from hlsbinary.sweep.config import STORAGE_FORMS

        raise UserError(f'storage {url!r} is not {STORAGE_FORMS}')
    sqlite_path = _sqlite_path(url)
    if sqlite_path is not None:
        _check_sqlite_file(sqlite_path, url)
        if must_exist and not sqlite_path.exists():
            raise UserError(f'storage {url}: no such database file {sqlite_path}')
        try:
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UserError(f'storage {url}: cannot create the folder {sqlite_path.parent} ({err.strerror})') from None
    kwargs = {}
    if heartbeat:
        kwargs = {
            'heartbeat_interval': int(heartbeat),
            'grace_period': 2 * int(heartbeat),
            'heartbeat_stale_trial_callback': on_stale,
        }
    engine = {'pool_pre_ping': True} if sqlite_path is None else {'connect_args': {'timeout': 60}}
    try:
        return _rdb_storage(RDBStorage, url, engine, kwargs)
    except Exception as err:
        if isinstance(err, ImportError) or 'Failed to import DB access module' in str(err):
            hint = " (pip install 'hlsbinary[postgres]')" if url.startswith('postgres') else ''
            cause = err.__cause__ or err.__context__ or err
            raise UserError(f'storage {masked(url)} needs a database driver that is not installed: {cause}{hint}') from None
        # SQLAlchemy's errors: bad URL, refused connection, failed authentication, ...
        text = ' '.join(str(err).split())
        text = re.sub(r'\(Background on this error.*', '', text).strip()
        raise UserError(f'cannot open the study storage {masked(url)}: {text[:300]}') from None


def _rdb_storage(cls, url: str, engine: dict, kwargs: dict, attempts: int = 6):
    """``RDBStorage``, retried when workers started together race to create Optuna's tables in a new database (the
    loser's ``CREATE`` fails on a name the winner just made; the next attempt finds the tables)."""
    import optuna

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', optuna.exceptions.ExperimentalWarning)
                return cls(url, engine_kwargs=engine, **kwargs)
        except Exception as err:
            racing = any(
                word in str(err) for word in ('already exists', 'UniqueViolation', 'IntegrityError', 'duplicate key')
            )
            if not racing or attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random() * (attempt + 1))
    raise AssertionError('unreachable')


# ---- samplers -------------------------------------------------------------------------------------------------------


def make_sampler(name: str, seed: int | None = None, startup_trials: int = 10, population_size: int = 20):
    """Optuna sampler ``name``: ``tpe`` (multivariate, grouped for the depth-dependent parameters; constant liar,
    so parallel workers spread out), ``nsga2`` or ``random``.  All three read constraints from the trials."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter('ignore', optuna.exceptions.ExperimentalWarning)
        if name == 'tpe':
            return optuna.samplers.TPESampler(
                n_startup_trials=startup_trials, seed=seed, multivariate=True, group=True, constant_liar=True
            )
        if name == 'nsga2':
            return optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed)
        if name == 'random':
            return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f'unknown sampler {name!r}')


# ---- trials that count, retries -------------------------------------------------------------------------------------


def counts(trial) -> bool:
    """Whether a trial counts toward the budget: complete or pruned, or failed for a reason of its own (not killed,
    not interrupted: those are retried)."""
    from optuna.trial import TrialState

    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and 'fail_reason' in trial.user_attrs


def finished(study) -> int:
    return sum(counts(t) for t in study.get_trials(deepcopy=False))


def retry(study, failed) -> bool:
    """Queue a trial with ``failed``'s parameters (and so its seed) unless it was retried enough already."""
    root = origin(failed)
    trials = study.get_trials(deepcopy=False)
    if any(t.user_attrs.get('retried_from') == failed.number for t in trials):
        return False
    if sum(origin(t) == root for t in trials) > MAX_RETRIES:
        return False
    study.enqueue_trial(failed.params, user_attrs={'retry_of': root, 'retried_from': failed.number})
    return True


def on_stale(study, trial) -> None:
    """Optuna's heartbeat found ``trial`` dead (its worker was killed): retry it."""
    retry(study, trial)


def recover(study, heartbeat: int | None, journal: bool) -> list[int]:
    """Fail trials whose worker died and queue their retries, and retry trials interrupted by Ctrl-C.

    SQL storages: Optuna's heartbeat fails stale trials (:func:`optuna.storages.fail_stale_trials`, which calls
    :func:`on_stale`).  The journal has no heartbeat of Optuna's: a running trial whose ``heartbeat`` attribute is
    older than twice the interval is failed here.  Returns the numbers of the trials queued again.
    """
    import optuna
    from optuna.trial import TrialState

    queued = []
    if not journal:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
    now = time.time()
    for trial in study.get_trials(deepcopy=False):
        if journal and heartbeat and trial.state == TrialState.RUNNING:
            last = trial.user_attrs.get('heartbeat', trial.datetime_start.timestamp() if trial.datetime_start else now)
            if now - last > 2 * heartbeat:
                try:
                    dead = study.tell(trial.number, state=TrialState.FAIL)
                except Exception:  # another worker failed it first
                    continue
                if retry(study, dead):
                    queued.append(trial.number)
        elif trial.state == TrialState.FAIL and trial.user_attrs.get('interrupted') and retry(study, trial):
            queued.append(trial.number)
    return queued


# ---- opening a study ------------------------------------------------------------------------------------------------


@dataclass
class OpenStudy:
    study: object
    space: SearchSpace
    dropped: dict = field(default_factory=dict)  # choices the plugin does not fold (left out of the space)
    newly_foldable: dict = field(default_factory=dict)  # choices left out at creation that the plugin folds now
    created: bool = False


def open_study(storage, name: str, config: dict, space: SearchSpace, dropped: dict, directions: list[str]) -> OpenStudy:
    """Create study ``name`` or join it; a study keeps its settings and its search space.

    A new study stores its search settings and ``space`` (the foldable part of the declared one, ``dropped`` the
    rest); joining one with other settings raises ConfigError naming the first difference (its trials would not
    be comparable).  A joined study keeps the space it was created with.
    """
    import optuna

    from hlsbinary import __version__

    settings = search_settings(config)
    try:
        study = optuna.create_study(study_name=name, storage=storage, directions=directions, load_if_exists=True)
    except Exception as err:
        raise UserError(f'cannot create or open the study {name!r}: {" ".join(str(err).split())[:300]}') from None
    meta = study.user_attrs.get('hlsbinary')
    if meta is None:
        if study.get_trials(deepcopy=False):
            raise UserError(f'the study {name!r} exists but was not made by hlsbinary sweep; choose another --study-name')
        meta = {'version': __version__, 'settings': settings, 'space': space.to_dict(), 'dropped': dropped}
        study.set_user_attr('hlsbinary', meta)
        return OpenStudy(study, space, dropped, {}, created=True)
    difference = first_difference(meta['settings'], settings)
    if difference:
        raise ConfigError(
            f'the study {name!r} was made with other settings ({difference}); run it with its own settings, or choose a '
            'new --study-name for these'
        )
    stored = SearchSpace.from_dict(meta['space'])
    newly = {k: [v for v in vals if v not in dropped.get(k, [])] for k, vals in meta.get('dropped', {}).items()}
    return OpenStudy(study, stored, meta.get('dropped', {}), {k: v for k, v in newly.items() if v})


# ---- running --------------------------------------------------------------------------------------------------------


class Progress:
    """A tqdm bar over this worker's trials with the best feasible figures so far; stops the study at the budget
    and this worker after :data:`MAX_CONSECUTIVE_FAILURES` failures in a row."""

    def __init__(self, study, config: dict, total: int, show: bool, journal_heartbeat: int | None):
        from tqdm import tqdm

        self.config, self.budget = config, config['budget']['trials']
        self.journal_heartbeat = journal_heartbeat
        self.bar = tqdm(total=total, desc=f'sweep {study.study_name}', unit='trial', disable=not show, dynamic_ncols=True)
        self.failures: list[str] = []
        self.aborted: str | None = None

    def __call__(self, study, trial) -> None:
        from optuna.trial import TrialState

        from hlsbinary.sweep.front import is_feasible

        self.bar.update(1)
        reason = trial.user_attrs.get('fail_reason')
        if trial.state == TrialState.FAIL:
            self.bar.write(f'trial {trial.number} failed: {reason or "interrupted"}')
            self.failures.append(reason or '')
            if len(self.failures) >= MAX_CONSECUTIVE_FAILURES:
                self.aborted = reason
                study.stop()
        else:
            self.failures.clear()
        trials = study.get_trials(deepcopy=False)
        good = [t for t in trials if is_feasible(t)]
        n_done = sum(counts(t) for t in trials)
        score = self.config['objectives']['maximise']
        postfix = {'study': f'{n_done}/{self.budget}', 'feasible': len(good)}
        if good:
            best = max(good, key=lambda t: t.values[0])
            attrs = best.user_attrs
            postfix['best'] = (
                f'{100 * best.values[0]:.1f}% {"acc" if score == "accuracy" else "AUC"} @ {attrs.get("LUT", 0):,} LUT {attrs.get("latency_ns", 0):.0f} ns (#{best.number})'
            )
        self.bar.set_postfix(postfix, refresh=True)
        if self.journal_heartbeat:
            recover(study, self.journal_heartbeat, journal=True)
        if n_done >= self.budget:
            study.stop()

    def close(self) -> None:
        self.bar.close()


def run_trials(study, objective: Objective, config: dict, timeout: float | None, show: bool, journal: bool) -> int:
    """Run trials until the study holds ``budget.trials`` finished ones (or ``timeout`` s of this worker passed).

    Returns the number of trials this worker ran.  Raises :class:`SweepAborted` if every recent one failed.
    """
    remaining = config['budget']['trials'] - finished(study)
    if remaining <= 0:
        return 0
    heartbeat = config['study']['heartbeat'] if journal else None
    progress = Progress(study, config, remaining, show, heartbeat)
    before = len(study.get_trials(deepcopy=False))
    try:
        study.optimize(
            objective, n_trials=remaining, timeout=timeout, callbacks=[progress], catch=(Exception,), gc_after_trial=True
        )
    finally:
        progress.close()
    if progress.aborted is not None:
        raise SweepAborted(
            f'{MAX_CONSECUTIVE_FAILURES} trials in a row failed, the last with: {progress.aborted}; the study keeps them '
            '(with their reasons); fix the cause and run the same command again'
        )
    return len(study.get_trials(deepcopy=False)) - before


def sampler_for(config: dict, study) -> object:
    """The configured sampler; a fixed seed is offset by the trials already in the study, so a resumed run does not
    propose the first run's parameters again."""
    s = config['sampler']
    seed = None if s['seed'] is None else s['seed'] + len(study.get_trials(deepcopy=False))
    return make_sampler(s['name'], seed, s['startup_trials'], s['population_size'])


def prepare(config: dict, storage_url: str, data: SweepData) -> tuple[OpenStudy, bool]:
    """Check the space, open the storage and the study, install the sampler, recover dead and interrupted trials.

    The space is checked first, so a config that cannot work creates no database.
    """
    from hlsbinary.sweep.config import search_space
    from hlsbinary.sweep.objective import directions

    try:
        space, dropped = foldable(search_space(config, data.n_in, len(data.class_names)))
    except ValueError as err:
        raise ConfigError(
            f'{config.get("file", "the sweep config")}: space: {err} (hlsbinary.zoo.Spec.convertible)'
        ) from None
    journal = storage_url.startswith('journal:')
    storage = open_storage(storage_url, None if journal else config['study']['heartbeat'], on_stale=on_stale)
    opened = open_study(storage, config['study']['name'], config, space, dropped, directions(config['objectives']))
    opened.study.sampler = sampler_for(config, opened.study)
    recover(opened.study, config['study']['heartbeat'], journal)
    return opened, journal
