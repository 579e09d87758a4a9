"""Declarative checks of configuration files: every key typed, ranged and explained before any work starts.

A schema maps each key to a :class:`Key` (help text, a check, a default).  :func:`validate` applies it and raises
:class:`~hlsbinary.errors.ConfigError` with one line naming the file, the key, the value and what is allowed:

    train.yml: Epochs: 0 is not allowed: an integer >= 1 (default 100).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hlsbinary.errors import ConfigError

REQUIRED = object()
OPTIONAL = object()  # no default: the key is simply absent


class Invalid(Exception):
    """Raised by a check: its message says what is allowed."""


@dataclass(frozen=True)
class Key:
    """One configuration key: what it means, how it is checked, and its default."""

    help: str
    check: Callable[[Any], Any]
    default: Any = OPTIONAL

    def describe_default(self) -> str:
        if self.default is REQUIRED:
            return 'required'
        if self.default is OPTIONAL:
            return 'optional'
        return f'default {self.default}'


def show(value: Any) -> str:
    """A value as the user wrote it in YAML (strings quoted, mappings shortened)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def close_matches(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=2, cutoff=0.6)
    if not close:
        lowered = {str(o).lower(): str(o) for o in options}
        close = [lowered[w] for w in difflib.get_close_matches(str(word).lower(), lowered, n=2, cutoff=0.6)]
    return f' Did you mean {" or ".join(repr(c) for c in close)}?' if close else ''


def validate(data: Any, schema: Mapping[str, Key], where: str, what: str = 'the file') -> dict:
    """``data`` checked against ``schema``: unknown keys named (with close matches), required keys demanded,
    each value checked, defaults filled in.  Returns a new dict."""
    if not isinstance(data, dict):
        kind = {list: 'a list', str: 'a single string', type(None): 'nothing'}.get(type(data), type(data).__name__)
        raise ConfigError(f'{where}: {what} must be a mapping of "Key: value" lines, but it holds {kind}')
    unknown = [k for k in data if k not in schema]
    if unknown:
        hint = close_matches(unknown[0], schema)
        raise ConfigError(
            f'{where}: unknown key {show(unknown[0])}{" (and " + str(len(unknown) - 1) + " more)" if len(unknown) > 1 else ""}.'
            f'{hint} Known keys: {", ".join(schema)}'
        )
    out = {}
    for name, key in schema.items():
        if name not in data:
            if key.default is REQUIRED:
                raise ConfigError(f'{where}: {name} is required: {key.help}')
            if key.default is not OPTIONAL:
                out[name] = key.default
            continue
        try:
            out[name] = key.check(data[name])
        except Invalid as err:
            default = '' if key.default in (REQUIRED, OPTIONAL) else f' (default {key.default})'
            raise ConfigError(f'{where}: {name}: {show(data[name])} is not allowed: {err}{default}') from None
        except ConfigError as err:  # a nested mapping: its message already names the inner key
            raise ConfigError(str(err)) from None
    return out


def schema_help(schema: Mapping[str, Key]) -> str:
    """The keys of a schema with their meaning and default, one per line (for --help)."""
    width = max(map(len, schema))
    return '\n'.join(f'  {name:{width}s}  {key.help} ({key.describe_default()})' for name, key in schema.items())


# ---- checks ---------------------------------------------------------------------------------------------------------


def integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[Any], int]:
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_range_text('an integer', minimum, maximum))
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise Invalid(_range_text('an integer', minimum, maximum))
        return value

    return check


def number(minimum: float | None = None, maximum: float | None = None, open_min: bool = False, open_max: bool = False):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise Invalid(_range_text('a number', minimum, maximum, open_min, open_max))
        too_low = minimum is not None and (value <= minimum if open_min else value < minimum)
        too_high = maximum is not None and (value >= maximum if open_max else value > maximum)
        if too_low or too_high:
            raise Invalid(_range_text('a number', minimum, maximum, open_min, open_max))
        return float(value)

    return check


def _range_text(kind, minimum, maximum, open_min=False, open_max=False) -> str:
    parts = []
    if minimum is not None:
        parts.append(f'{">" if open_min else ">="} {minimum:g}')
    if maximum is not None:
        parts.append(f'{"<" if open_max else "<="} {maximum:g}')
    return kind + (' ' + ' and '.join(parts) if parts else '')


def boolean(value):
    if not isinstance(value, bool):
        raise Invalid('true or false')
    return value


def string(pattern: str | None = None, meaning: str = 'a string'):
    def check(value):
        if not isinstance(value, str) or not value.strip() or (pattern and not re.fullmatch(pattern, value)):
            raise Invalid(meaning)
        return value

    return check


def choice(options, case_insensitive: bool = True):
    """One of ``options``; returns the option as spelled in ``options``."""

    def check(value):
        if isinstance(value, str):
            for option in options:
                if value == option or (case_insensitive and value.lower() == str(option).lower()):
                    return option
        raise Invalid(f'one of {", ".join(map(str, options))}.{close_matches(value, options)}'.rstrip('.'))

    return check


def existing_path(kind: str = 'file', base: Path | None = None):
    """A path that exists (``kind``: 'file', 'dir' or 'any'); relative paths are taken from the working folder."""

    def check(value):
        if not isinstance(value, str | Path) or not str(value).strip():
            raise Invalid(f'a path to an existing {kind if kind != "any" else "file or folder"}')
        path = Path(value).expanduser()
        if not path.exists():
            raise Invalid(f'no such {"file or folder" if kind == "any" else kind} (looked in {Path.cwd()})')
        if kind == 'file' and not path.is_file():
            raise Invalid('it is a folder; give the path of a file')
        if kind == 'dir' and not path.is_dir():
            raise Invalid('it is a file; give the path of a folder')
        return str(value)

    return check


FIXED_PATTERN = re.compile(r'^\s*(ap_)?(u?)(fixed|int)<\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?((?:,\s*\w+\s*){0,3})>\s*$')
QUANT_MODES = {'AP_RND', 'AP_RND_ZERO', 'AP_RND_MIN_INF', 'AP_RND_INF', 'AP_RND_CONV', 'AP_TRN', 'AP_TRN_ZERO'}
OVERFLOW_MODES = {'AP_SAT', 'AP_SAT_ZERO', 'AP_SAT_SYM', 'AP_WRAP', 'AP_WRAP_SM'}
PRECISION_FORMS = "ap_fixed<W,I>, fixed<W,I>, ap_ufixed<W,I>, ap_int<W>, ap_uint<W> (W from 1 to 1024), or 'auto'"


def precision(value, allow_auto: bool = True) -> str:
    """An HLS precision string hls4ml understands: (ap_)(u)fixed<W,I[,Q[,O[,N]]]>, (ap_)(u)int<W>, or 'auto'."""
    if isinstance(value, str) and value.strip() == 'auto' and allow_auto:
        return value
    m = FIXED_PATTERN.match(value) if isinstance(value, str) else None
    if not m:
        raise Invalid(PRECISION_FORMS if allow_auto else PRECISION_FORMS.replace(", or 'auto'", ''))
    kind, width = m.group(3), int(m.group(4))
    if not 1 <= width <= 1024:
        raise Invalid(f'a width from 1 to 1024 bits; {PRECISION_FORMS}')
    if kind == 'int' and m.group(5) is not None:
        raise Invalid(f'int<W> takes one number; {PRECISION_FORMS}')
    if kind == 'fixed' and m.group(5) is None:
        raise Invalid(f'fixed<W,I> needs the integer bits I; {PRECISION_FORMS}')
    modes = [s.strip() for s in m.group(6).split(',') if s.strip()]
    if modes and modes[0] not in QUANT_MODES:
        raise Invalid(f'rounding mode {modes[0]} is not one of {", ".join(sorted(QUANT_MODES))}')
    if len(modes) > 1 and modes[1] not in OVERFLOW_MODES:
        raise Invalid(f'overflow mode {modes[1]} is not one of {", ".join(sorted(OVERFLOW_MODES))}')
    return value


def precision_or_mapping(value):
    """A precision, or a mapping of variable (result, weight, bias, accum ...) to precision."""
    if isinstance(value, dict):
        for var, p in value.items():
            try:
                precision(p)
            except Invalid as err:
                raise Invalid(f'{var}: {show(p)} is not allowed: {err}') from None
        return value
    return precision(value)


def mapping(schema: Mapping[str, Key], where: str):
    """A nested mapping checked against its own schema (errors name ``where``)."""

    def check(value):
        if not isinstance(value, dict):
            raise Invalid(f'a mapping of keys ({", ".join(schema)})')
        return validate(value, schema, where, what='this section')

    return check


def mapping_of(check_value: Callable[[Any], Any], where: str, key_meaning: str = 'name'):
    """A mapping from any string key to a value passing ``check_value``."""

    def check(value):
        if not isinstance(value, dict):
            raise Invalid(f'a mapping of {key_meaning} to settings')
        out = {}
        for key, item in value.items():
            try:
                out[key] = check_value(item)
            except Invalid as err:
                raise ConfigError(f'{where}: {key}: {show(item)} is not allowed: {err}') from None
        return out

    return check


def load_yaml(path: str | Path, what: str = 'configuration') -> Any:
    """The content of a YAML file; a missing, unreadable or malformed file raises a one-line ConfigError."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise ConfigError(f'{path}: no such {what} file (looked in {Path.cwd()})')
    if path.is_dir():
        raise ConfigError(f'{path} is a folder; give the path of a {what} file (.yml)')
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise ConfigError(f'{path}: not a text file; give a YAML {what} file (.yml)') from None
    except OSError as err:
        raise ConfigError(f'{path}: cannot be read ({err.strerror})') from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = f' at line {mark.line + 1}, column {mark.column + 1}' if mark else ''
        problem = getattr(err, 'problem', None) or str(err).splitlines()[0]
        raise ConfigError(
            f'{path}: not valid YAML{where} ({problem}); each line must be "Key: value", nested keys indented by spaces'
        ) from None
