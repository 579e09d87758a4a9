"""``hlsbinary sweep -c sweep.yml``: the sweep's configuration, every key checked before any work starts.

Sections (``hlsbinary sweep --help`` lists every key with its default):

* ``study``: name, storage URL, heartbeat;  ``data``: data set, source, training events, validation share;
* ``space``: the architecture searched (hidden layers, neurons, weight kinds, activation, input precision);
* ``train``: the recipe (epochs, batch size, learning rate may be searched too; patience, seed);
* ``objectives``: the score maximised and the costs minimised;  ``hardware`` and ``constraints``: the part,
  its clock and the hard limits (LUT share, latency, DSP);  ``budget``, ``sampler``, ``export``, ``output``.

A searched value is written as a list of choices (``[binary, ternary]``) or a range (``{low: 16, high: 512,
log: true}``); a single value fixes it.  ``--set train.epochs=2`` overrides any key (values are read as YAML).
Errors are one line naming the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hlsbinary.errors import ConfigError
from hlsbinary.sweep.space import Choice, Fixed, FloatRange, IntRange, SearchSpace
from hlsbinary.validate import (
    REQUIRED,
    Invalid,
    Key,
    boolean,
    choice,
    existing_path,
    integer,
    load_yaml,
    number,
    precision,
    schema_help,
    show,
    string,
    validate,
)

SAMPLERS = ('tpe', 'nsga2', 'random')
SCORES = ('accuracy', 'mean_auc')
COSTS = {'lut': 'LUT', 'latency': 'latency_ns', 'ff': 'FF'}  # objective name -> figure recorded per trial
MAX_NEURONS = 1024  # the plugin's limit on inputs per layer (ap_uint<N>'s default maximum width)
SEARCH_KEYS = ('data', 'space', 'train', 'objectives', 'hardware', 'constraints')  # what a study's trials depend on


# ---- checks ---------------------------------------------------------------------------------------------------------


def optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``check``, or None for YAML's ``null``."""
    return lambda value: None if value is None else check(value)


def _range(kind: str, minimum, maximum, allow_log: bool = True):
    """A ``{low, high[, log][, step]}`` mapping of ints or floats within ``[minimum, maximum]``."""
    element = integer(minimum, maximum) if kind == 'int' else number(minimum, maximum, open_min=minimum == 0)
    allowed = {'low', 'high', 'log', 'step'} if kind == 'int' else {'low', 'high', 'log'}

    def check(value: dict):
        unknown = sorted(set(value) - allowed, key=str)
        if unknown:
            raise Invalid(f'a range takes the keys {", ".join(sorted(allowed))}; {unknown[0]!r} is none of them')
        if not {'low', 'high'} <= set(value):
            raise Invalid('a range needs both low and high')
        try:
            low, high = element(value['low']), element(value['high'])
        except Invalid as err:
            raise Invalid(f'range bounds must be {err}') from None
        if low > high:
            raise Invalid(f'low ({value["low"]}) is above high ({value["high"]})')
        log = boolean(value.get('log', False)) if 'log' in value else False
        if log and not allow_log:
            raise Invalid('this dimension has no log scale')
        if log and low <= 0:
            raise Invalid(f'a log-scale range needs low > 0, got {value["low"]}')
        if kind == 'int':
            step = integer(1)(value.get('step', 1))
            if log and step != 1:
                raise Invalid('a log-scale range takes no step (Optuna samples integers in log space with step 1)')
            if (high - low) % step:
                raise Invalid(f'high - low ({high - low}) is not a multiple of step {step}')
            return IntRange(low, high, log, step)
        return FloatRange(low, high, log)

    return check


def dimension(element: Callable[[Any], Any], meaning: str, kind: str | None = None, minimum=None, maximum=None):
    """A searchable value: one value (fixed), a list of values (choices) or, for numbers, a range mapping."""
    forms = f'{meaning}, a list of such values (choices)' + (
        f', or a range {{low: ..., high: ...{", log: true" if kind else ""}}}' if kind else ''
    )

    def check(value):
        if isinstance(value, dict):
            if kind is None:
                raise Invalid(forms)
            return _range(kind, minimum, maximum)(value)
        if isinstance(value, list):
            if not value:
                raise Invalid(f'an empty list; give {forms}')
            values = []
            for item in value:
                try:
                    values.append(element(item))
                except Invalid as err:
                    raise Invalid(f'the choice {show(item)} is not {err}') from None
            if len(set(values)) != len(values):
                raise Invalid('a list of choices with a value twice; list each once')
            return Choice(tuple(values))
        try:
            return Fixed(element(value))
        except Invalid:
            raise Invalid(forms) from None

    return check


def _weight_kind(value):
    from hlsbinary.zoo import WEIGHT_KINDS, check_weight_kind

    if not isinstance(value, str):
        raise Invalid(WEIGHT_KINDS)
    try:
        return check_weight_kind(value)
    except ValueError:
        raise Invalid(WEIGHT_KINDS) from None


def _activation_kind(value):
    from hlsbinary.zoo import ACTIVATION_KINDS, check_activation_kind

    if not isinstance(value, str):
        raise Invalid(ACTIVATION_KINDS)
    try:
        return check_activation_kind(value)
    except ValueError:
        raise Invalid(ACTIVATION_KINDS) from None


def _input_precision(value):
    text = precision(value, allow_auto=False)
    if not re.match(r'^\s*(ap_)?u?(fixed|int)<', text):
        raise Invalid('a fixed-point or integer type')
    return text


def _part(value):
    from hlsbinary.parts import device_of, unknown_part_message

    if not isinstance(value, str) or device_of(value) is None:
        raise Invalid(unknown_part_message(value))
    return value


def _source(value):
    if value in ('bundled', 'openml', 'keras'):
        return value
    try:
        return existing_path('file')(value)
    except Invalid:
        raise Invalid('bundled, openml, keras (MNIST), or the path of a local data file (.npz, .h5, .csv)') from None


def storage_url(value):
    """An SQLAlchemy URL (``sqlite:///sweep.db``, ``postgresql://user@host/db``) or ``journal:<file>``."""
    if not isinstance(value, str) or not (
        value.startswith('journal:') and len(value) > 8 or re.match(r'^[a-z][a-z0-9+]*://', value)
    ):
        raise Invalid(STORAGE_FORMS)
    return value


STORAGE_FORMS = (
    "an SQLAlchemy URL (sqlite:///sweeps/jets.db, postgresql://user@host:5432/db) or journal:<file> for Optuna's "
    'journal file on a shared filesystem'
)


def _minimise(value):
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v in COSTS for v in items) or len(set(items)) != len(items):
        raise Invalid(f'a list of costs to minimise, each once: {", ".join(COSTS)}')
    return list(items)


def _name(value):
    return string(r'[A-Za-z0-9][A-Za-z0-9_.\-]*', 'a name of letters, digits, _ . - (no spaces or slashes)')(value)


# ---- the schema -----------------------------------------------------------------------------------------------------


def _sections() -> dict[str, dict[str, Key]]:
    neurons = f'an integer from 1 to {MAX_NEURONS}'
    return {
        'study': {
            'name': Key('study name (default: the config file name)', _name),
            'storage': Key(f'where trials are stored: {STORAGE_FORMS} (default: sqlite:///<output>.db)', storage_url),
            'heartbeat': Key('seconds between heartbeats of a running trial; silent for 2x: failed and retried', integer(1), 60),
        },
        'data': {
            'name': Key('jets or mnist', choice(('jets', 'mnist'), case_insensitive=False), REQUIRED),
            'source': Key('bundled, openml, keras (MNIST), or a local file', _source, 'bundled'),
            'max_train_events': Key('use only this many events of the training part (null: all)', optional(integer(10)), None),
            'validation_split': Key('share of those held out to score trials (the test part is never used)', number(0, 1, True, True), 0.2),
        },
        'space': {
            'hidden_layers': Key('number of hidden layers', dimension(integer(1, 8), 'an integer from 1 to 8', 'int', 1, 8), {'low': 1, 'high': 4}),
            'neurons': Key('neurons per hidden layer (each layer draws its own)', dimension(integer(1, MAX_NEURONS), neurons, 'int', 1, MAX_NEURONS), {'low': 16, 'high': 512, 'log': True}),
            'first_layer_weights': Key('weight kind of the first layer, which sees fixed-point inputs (null: as weights)', optional(dimension(_weight_kind, 'a weight kind')), None),
            'weights': Key('weight kinds: binary, ternary, bits<b> (b 2-8), float', dimension(_weight_kind, 'a weight kind'), ['binary', 'ternary']),
            'weights_per_layer': Key('each layer draws its own weight kind (false: one kind for all)', boolean, True),
            'activation': Key('hidden activation: binary_tanh, ternary_tanh, relu<b> (b 1-8), relu', dimension(_activation_kind, 'an activation kind'), ['binary_tanh', 'ternary_tanh']),
            'input_precision': Key('firmware input precision, e.g. fixed<16,6>', dimension(_input_precision, 'a fixed-point type'), 'fixed<16,6>'),
        },
        'train': {
            'epochs': Key('maximum epochs (early stopping on the validation loss)', dimension(integer(1), 'an integer >= 1', 'int', 1, None), 30),
            'batch_size': Key('batch size', dimension(integer(1), 'an integer >= 1', 'int', 1, None), 512),
            'learning_rate': Key('initial Adam learning rate (cosine decay)', dimension(number(0, 1, open_min=True), 'a number > 0 and <= 1', 'float', 0, 1), 1e-3),
            'patience': Key('early-stopping patience in epochs', integer(0), 5),
            'seed': Key('base seed: trial n trains with seed + n', integer(0, 2**31 - 1), 1),
        },
        'objectives': {
            'maximise': Key('score of the emulated firmware on the validation split: accuracy or mean_auc', choice(SCORES, case_insensitive=False), 'accuracy'),
            'minimise': Key(f'estimated costs: {", ".join(COSTS)}', _minimise, ['lut', 'latency']),
        },
        'hardware': {
            'part': Key('FPGA part for the estimates', _part, 'xcvu9p-flga2104-2L-e'),
            'clock_period': Key('clock period in ns', number(0, None, open_min=True), 5.0),
        },
        'constraints': {
            'max_lut_percent': Key("largest share of the part's LUTs (null: no limit)", optional(number(0, 100, open_min=True)), 20.0),
            'max_latency_ns': Key('largest latency in ns (null: no limit)', optional(number(0, None, open_min=True)), 100.0),
            'max_dsp': Key('most DSP slices (null: no limit)', optional(integer(0)), 0),
        },
        'budget': {
            'trials': Key("the study's total of finished trials (a re-run continues up to it)", integer(1), 100),
            'timeout': Key("this worker's wall time in seconds (null: none); a running trial finishes", optional(number(0, None, open_min=True)), None),
        },
        'sampler': {
            'name': Key('tpe (multi-objective TPE), nsga2 or random', choice(SAMPLERS, case_insensitive=False), 'tpe'),
            'seed': Key('sampler seed (null: fresh per worker; set it only for single-worker reproducibility)', optional(integer(0, 2**31 - 1)), None),
            'startup_trials': Key('tpe: random trials before the model takes over', integer(0), 10),
            'population_size': Key('nsga2: population size', integer(2), 20),
        },
        'export': {
            'csim': Key("convert the front's members and check them in C simulation (g++)", boolean, True),
            'csim_events': Key('test events run through each C simulation', integer(1), 1000),
            'max_members': Key("most front members exported (retrained, saved as .h5, converted)", integer(1), 10),
        },
    }  # fmt: skip


def _validate_section(value: dict, keys: dict[str, Key], where: str) -> dict:
    """:func:`hlsbinary.validate.validate`, then defaults put through their checks too (a default range becomes an
    :class:`~hlsbinary.sweep.space.IntRange`, as if the user had written it)."""
    out = validate(value, keys, where, what='this section')
    for name, key in keys.items():
        if name not in value and out.get(name) is not None:
            out[name] = key.check(out[name])
    return out


def _top_schema(where: str) -> dict[str, Key]:
    def section(name: str, keys: dict[str, Key]):
        def check(value):
            if not isinstance(value, dict):
                raise Invalid(f'a section of keys ({", ".join(keys)})')
            return _validate_section(value, keys, f'{where}: {name}')

        return check

    sections = _sections()
    schema = {
        name: Key(f'{name} section', section(name, keys), {} if name != 'data' else REQUIRED)
        for name, keys in sections.items()
    }
    schema['output'] = Key('results folder (default: sweeps/<study name>)', string(r'.+', 'a folder path'))
    return schema


def config_help() -> str:
    """Every key with its meaning and default, for ``hlsbinary sweep --help``."""
    lines = []
    for name, keys in _sections().items():
        lines.append(f'  {name}:')
        lines.extend('  ' + line for line in schema_help(keys).splitlines())
    lines.append('  output: results folder (default: sweeps/<study name>)')
    return '\n'.join(lines)


# ---- loading --------------------------------------------------------------------------------------------------------


def parse_override(text: str) -> tuple[list[str], Any]:
    """``'train.epochs=2'`` as ``(['train', 'epochs'], 2)``; the value is read as YAML (``[a, b]``, ``{low: 1}``)."""
    import yaml

    key, sep, raw = text.partition('=')
    keys = key.strip().split('.')
    if not sep or not all(re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', k) for k in keys):
        raise ConfigError(f'--set {text!r}: give KEY=VALUE with a dotted key, e.g. --set train.epochs=2')
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return keys, value


def apply_overrides(data: dict, overrides: list[tuple[list[str], Any, str]], where: str) -> dict:
    """``data`` with every ``(keys, value, label)`` override applied (sections created as needed)."""
    for keys, value, label in overrides:
        node = data
        for i, key in enumerate(keys[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f'{where}: {label}: {".".join(keys[: i + 1])} is a value, not a section')
            node = child
        node[keys[-1]] = value
    return data


def load_sweep_config(
    path: str | Path, overrides: list[str] | None = None, flags: dict[str, tuple[Any, str]] | None = None
) -> dict:
    """Read, override and validate a sweep config.

    ``overrides`` are ``--set KEY=VALUE`` texts; ``flags`` maps dotted keys to ``(value, option)`` given by
    command-line options (``{'budget.trials': (5, '--trials')}``; None values are ignored).  Returns plain data: sections of values, dimensions as
    :mod:`hlsbinary.sweep.space` objects, ``study.name`` and ``output`` filled in, ``file`` the config's path.
    """
    where = str(path)
    changes = [(*parse_override(text), f'--set {text}') for text in overrides or []]
    changes += [
        (key.split('.'), value, f'{option} {value}') for key, (value, option) in (flags or {}).items() if value is not None
    ]
    data = load_yaml(path, 'sweep config')
    if isinstance(data, dict):
        data = apply_overrides(data, changes, where)
    try:
        config = validate(data, _top_schema(where), where, 'a sweep config')
    except ConfigError as err:
        raise ConfigError(_blame(str(err), changes)) from None
    for name, keys in _sections().items():  # absent sections get their defaults
        if config.get(name) == {}:
            config[name] = _validate_section({}, keys, f'{where}: {name}')
    config['study'].setdefault('name', Path(path).stem)
    config.setdefault('output', str(Path('sweeps') / config['study']['name']))
    config['file'] = where
    return config


def _blame(message: str, changes: list) -> str:
    """The message, naming the command-line option that set the offending value."""
    for keys, _, label in changes:
        if ': '.join(keys) + ':' in message or f"'{keys[-1]}'" in message:
            return f'{message} (from {label})'
    return message


def search_space(config: dict, n_in: int, n_classes: int) -> SearchSpace:
    """The :class:`SearchSpace` a validated config declares, for a data set of ``n_in`` features and ``n_classes``."""
    space, train = config['space'], config['train']
    return SearchSpace(
        n_in=n_in,
        n_classes=n_classes,
        hidden_layers=space['hidden_layers'],
        neurons=space['neurons'],
        first_layer_weights=space['first_layer_weights'],
        weights=space['weights'],
        weights_per_layer=space['weights_per_layer'],
        activation=space['activation'],
        input_precision=space['input_precision'],
        epochs=train['epochs'],
        batch_size=train['batch_size'],
        learning_rate=train['learning_rate'],
    )


def _plain(value):
    """Config values as JSON data (dimensions as their dict form), to store in the study and compare."""
    from hlsbinary.sweep.space import dimension_to_dict

    if isinstance(value, Fixed | Choice | IntRange | FloatRange):
        return dimension_to_dict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def search_settings(config: dict) -> dict:
    """The part of a config that a study's trials depend on (data, space, recipe, objectives, hardware, limits)."""
    return {name: _plain(config[name]) for name in SEARCH_KEYS}


def _as_written(value):
    """A stored dimension as a user writes it: the value, the list of choices, or the range mapping."""
    if isinstance(value, dict) and 'fixed' in value:
        return value['fixed']
    if isinstance(value, dict) and 'choices' in value:
        return value['choices']
    if isinstance(value, dict) and 'range' in value:
        return {k: v for k, v in value.items() if k != 'range'}
    return value


def _is_dimension(value) -> bool:
    return isinstance(value, dict) and bool({'fixed', 'choices', 'range'} & set(value))


def first_difference(old, new, path: str = '') -> str | None:
    """The first dotted key where two settings differ, with both values as written, or None if equal."""
    if isinstance(old, dict) and isinstance(new, dict) and not (_is_dimension(old) or _is_dimension(new)):
        for key in list(old) + [k for k in new if k not in old]:
            found = first_difference(old.get(key), new.get(key), f'{path}.{key}' if path else key)
            if found:
                return found
        return None
    if old != new:
        return f'{path}: the study has {show(_as_written(old))}, this run asks for {show(_as_written(new))}'
    return None
