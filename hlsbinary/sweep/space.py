"""The search space as data: each dimension is fixed, a list of choices, or a range; a trial samples a Candidate.

A :class:`Candidate` is everything one trial trains and scores: the MLP (:class:`hlsbinary.zoo.Spec`: widths,
weight kind per layer, hidden activation), the firmware's input precision, and the training settings that are
searched (epochs, batch size, learning rate).

Which kinds fold is decided by :attr:`hlsbinary.zoo.Spec.convertible` alone (:func:`foldable`): choices the plugin
cannot fold in any combination are left out of a new study's space and reported, so the space grows with the
plugin (multi-bit weights, quantized ReLU) without any change here.  A study keeps the space it was created with
(Optuna requires the same choices for a parameter throughout a study).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from typing import Any

# ---- dimensions -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixed:
    """Not searched: every trial uses ``value``."""

    value: Any


@dataclass(frozen=True)
class Choice:
    """A categorical dimension (Optuna's ``suggest_categorical``)."""

    options: tuple


@dataclass(frozen=True)
class IntRange:
    """Integers from ``low`` to ``high`` inclusive, uniform in ``log`` space if ``log`` (then ``step`` is 1)."""

    low: int
    high: int
    log: bool = False
    step: int = 1


@dataclass(frozen=True)
class FloatRange:
    """Reals from ``low`` to ``high``, uniform in ``log`` space if ``log``."""

    low: float
    high: float
    log: bool = False


Dimension = Fixed | Choice | IntRange | FloatRange


def options(dim: Dimension) -> tuple:
    """The values of a fixed or categorical dimension."""
    if isinstance(dim, Fixed):
        return (dim.value,)
    if isinstance(dim, Choice):
        return dim.options
    raise TypeError(f'{dim} is a range, not a list of options')


def suggest(trial, name: str, dim: Dimension):
    """The value of dimension ``name`` for ``trial`` (an Optuna trial, or a ``FixedTrial`` to rebuild a trial)."""
    if isinstance(dim, Fixed):
        return dim.value
    if isinstance(dim, Choice):
        return dim.options[0] if len(dim.options) == 1 else trial.suggest_categorical(name, list(dim.options))
    if isinstance(dim, IntRange):
        return trial.suggest_int(name, dim.low, dim.high, step=dim.step, log=dim.log)
    return trial.suggest_float(name, dim.low, dim.high, log=dim.log)


def dimension_to_dict(dim: Dimension) -> dict:
    if isinstance(dim, Fixed):
        return {'fixed': dim.value}
    if isinstance(dim, Choice):
        return {'choices': list(dim.options)}
    kind = 'int' if isinstance(dim, IntRange) else 'float'
    return {'range': kind, **{f.name: getattr(dim, f.name) for f in fields(dim)}}


def dimension_from_dict(data: dict) -> Dimension:
    if 'fixed' in data:
        return Fixed(data['fixed'])
    if 'choices' in data:
        return Choice(tuple(data['choices']))
    values = {k: v for k, v in data.items() if k != 'range'}
    return IntRange(**values) if data['range'] == 'int' else FloatRange(**values)


# ---- candidates -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One trial's network and training settings."""

    spec: Any  # hlsbinary.zoo.Spec
    input_precision: str
    epochs: int
    batch_size: int
    learning_rate: float

    @property
    def architecture(self) -> str:
        """Inputs x widths x classes, the paper's notation (``16x64x32x32x5``)."""
        return 'x'.join(str(n) for n in (self.spec.n_in, *self.spec.widths))

    @property
    def weight_kinds(self) -> str:
        """The weight kind of every layer, first to output (``binary,ternary,ternary,binary``)."""
        return ','.join(self.spec.layer_weights)

    def describe(self) -> str:
        kinds = sorted(set(self.spec.layer_weights), key=self.spec.layer_weights.index)
        return f'{self.architecture} {"/".join(kinds)}, {self.spec.activation}, {self.input_precision} inputs'


SPACE_DIMENSIONS = ('hidden_layers', 'neurons', 'first_layer_weights', 'weights', 'activation', 'input_precision')
TRAIN_DIMENSIONS = ('epochs', 'batch_size', 'learning_rate')


@dataclass(frozen=True)
class SearchSpace:
    """Every searched setting of a sweep.

    Layer ``i`` (1-based) has ``neurons_i`` neurons for ``i`` up to ``hidden_layers``; the output layer has
    ``n_classes``.  The first layer's weight kind comes from ``first_layer_weights`` (it sees the fixed-point
    inputs) or, if that is None, from ``weights`` like the others; with ``weights_per_layer`` every later layer
    draws its own kind (``weights_2`` ... ``weights_out``), otherwise one ``weights`` kind serves them all.
    """

    n_in: int
    n_classes: int
    hidden_layers: Dimension
    neurons: Dimension
    first_layer_weights: Dimension | None
    weights: Dimension
    weights_per_layer: bool
    activation: Dimension
    input_precision: Dimension
    epochs: Dimension
    batch_size: Dimension
    learning_rate: Dimension

    def sample(self, trial) -> Candidate:
        """The candidate ``trial`` proposes (parameters are suggested in a fixed order, some conditional on depth)."""
        from hlsbinary.zoo import Spec

        depth = int(suggest(trial, 'hidden_layers', self.hidden_layers))
        widths = tuple(int(suggest(trial, f'neurons_{i}', self.neurons)) for i in range(1, depth + 1))
        own_first = self.first_layer_weights is not None
        first = suggest(trial, 'first_layer_weights', self.first_layer_weights) if own_first else None
        if self.weights_per_layer:
            first = first if own_first else suggest(trial, 'weights_1', self.weights)
            later = [suggest(trial, f'weights_{i}', self.weights) for i in range(2, depth + 1)]
            later.append(suggest(trial, 'weights_out', self.weights))
        else:
            shared = suggest(trial, 'weights', self.weights)
            first = first if own_first else shared
            later = [shared] * depth
        spec = Spec(self.n_in, (*widths, self.n_classes), (first, *later), suggest(trial, 'activation', self.activation))
        return Candidate(
            spec=spec,
            input_precision=suggest(trial, 'input_precision', self.input_precision),
            epochs=int(suggest(trial, 'epochs', self.epochs)),
            batch_size=int(suggest(trial, 'batch_size', self.batch_size)),
            learning_rate=float(suggest(trial, 'learning_rate', self.learning_rate)),
        )

    def to_dict(self) -> dict:
        out: dict[str, Any] = {'n_in': self.n_in, 'n_classes': self.n_classes, 'weights_per_layer': self.weights_per_layer}
        for name in (*SPACE_DIMENSIONS, *TRAIN_DIMENSIONS):
            dim = getattr(self, name)
            out[name] = None if dim is None else dimension_to_dict(dim)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> SearchSpace:
        dims = {
            name: None if data[name] is None else dimension_from_dict(data[name])
            for name in (*SPACE_DIMENSIONS, *TRAIN_DIMENSIONS)
        }
        return cls(n_in=data['n_in'], n_classes=data['n_classes'], weights_per_layer=data['weights_per_layer'], **dims)


# ---- what the plugin folds -------------------------------------------------------------------------------------------


def foldable(space: SearchSpace) -> tuple[SearchSpace, dict[str, list]]:
    """``space`` without the kind choices that no combination can fold, and ``{dimension: [dropped values]}``.

    A choice stays if some combination of the other kind choices makes a :class:`~hlsbinary.zoo.Spec` whose
    ``convertible`` is True (probed on a network with two hidden layers, so first, hidden and output layers all
    occur).  A dimension left with no choice raises ValueError naming it.
    """
    from hlsbinary.zoo import Spec

    first_dim = space.first_layer_weights
    firsts = options(first_dim) if first_dim is not None else options(space.weights)
    kinds, acts = options(space.weights), options(space.activation)
    kept: dict[str, set] = {'first_layer_weights': set(), 'weights': set(), 'activation': set()}
    for act, first, hidden, out in itertools.product(acts, firsts, kinds, kinds):
        if not space.weights_per_layer and hidden != out:
            continue
        if first_dim is None and not space.weights_per_layer and first != hidden:
            continue
        if Spec(space.n_in, (8, 8, space.n_classes), (first, hidden, out), act).convertible:
            kept['activation'].add(act)
            kept['weights'].update((hidden, out) if first_dim is not None else (first, hidden, out))
            if first_dim is not None:
                kept['first_layer_weights'].add(first)
    dropped: dict[str, list] = {}
    changes: dict[str, Dimension] = {}
    for name in ('first_layer_weights', 'weights', 'activation'):
        dim = getattr(space, name)
        if dim is None:
            continue
        values = options(dim)
        keep = tuple(v for v in values if v in kept[name])
        if not keep:
            raise ValueError(
                f'{name}: none of {", ".join(map(str, values))} can be folded by the plugin with the other choices'
            )
        if len(keep) < len(values):
            dropped[name] = [v for v in values if v not in keep]
            changes[name] = Fixed(keep[0]) if isinstance(dim, Fixed) else Choice(keep)
    if not changes:
        return space, dropped
    data = {f.name: getattr(space, f.name) for f in fields(space)}
    data.update(changes)
    return SearchSpace(**data), dropped
