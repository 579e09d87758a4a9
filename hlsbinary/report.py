"""The physicist's report: per-class ROC curves, AUC table, accuracy, estimated resources and latency, and AUC
versus latency and versus LUTs across models, as PNG plots plus a Markdown and an HTML summary.

ROC curves are one class against the rest, drawn the community's way (hls4ml, arXiv:1804.06913): signal
efficiency on x, background rejection ``1 / false-positive rate`` on a log y axis.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hlsbinary.files import check_directory_target, publish_directory


@dataclass
class ModelResult:
    """One model's outputs on a test set; ``estimate`` is an :class:`hlsbinary.estimator.Estimate` or None."""

    name: str
    y_true: np.ndarray
    scores: np.ndarray
    class_names: list[str]
    estimate: object | None = None
    kind: str = ''  # how the scores were computed, e.g. 'firmware emulation, ...' or 'Keras (...)'

    def __post_init__(self):
        self.y_true = np.asarray(self.y_true, dtype=np.int64)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(len(self.y_true), -1)
        if self.scores.shape[1] != len(self.class_names):
            raise ValueError(f'{self.name}: {self.scores.shape[1]} output columns for {len(self.class_names)} classes')

    @property
    def accuracy(self) -> float:
        return float(np.mean(np.argmax(self.scores, axis=1) == self.y_true))

    def roc(self) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
        """Per class: ``(false-positive rate, true-positive rate, AUC)``, one class against the rest."""
        from sklearn.metrics import auc, roc_curve

        curves = {}
        for k, name in enumerate(self.class_names):
            fpr, tpr, _ = roc_curve(self.y_true == k, self.scores[:, k])
            curves[name] = (fpr, tpr, float(auc(fpr, tpr)))
        return curves

    def aucs(self) -> dict[str, float]:
        return {name: a for name, (_, _, a) in self.roc().items()}

    def summary(self) -> dict:
        aucs = self.aucs()
        row = {
            'model': self.name,
            'kind': self.kind,
            'accuracy': self.accuracy,
            'auc': aucs,
            'mean_auc': float(np.mean(list(aucs.values()))),
        }
        if self.estimate is not None:
            row['estimate'] = {
                key: getattr(self.estimate, key)
                for key in ('LUT', 'FF', 'DSP', 'BRAM', 'latency_cycles', 'latency_ns', 'II')
            }
            row['percent'] = self.estimate.percent()
        return row


def _plot_roc(result: ModelResult, path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    for name, (fpr, tpr, area) in result.roc().items():
        keep = fpr > 0
        ax.plot(tpr[keep], 1.0 / fpr[keep], label=f'{name} (AUC {100 * area:.1f}%)')
    ax.set_yscale('log')
    ax.set_xlim(0, 1)
    ax.set_xlabel('signal efficiency')
    ax.set_ylabel('background rejection (1 / background efficiency)')
    ax.set_title(f'{result.name}: accuracy {100 * result.accuracy:.1f}%')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_tradeoff(rows: list[dict], key: str, label: str, path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for row in rows:
        x = row['estimate'][key]
        ax.scatter(x, 100 * row['mean_auc'], s=40)
        ax.annotate(row['model'], (x, 100 * row['mean_auc']), textcoords='offset points', xytext=(5, 4), fontsize=8)
    ax.set_xlabel(label)
    ax.set_ylabel('mean AUC over classes (%)')
    ax.margins(x=0.3, y=0.15)  # room for the labels
    if key == 'LUT':
        ax.set_xscale('log')
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _markdown(title: str, rows: list[dict], class_names: list[str], images: list[str]) -> str:
    lines = [
        f'# {title}',
        '',
        '| model | kind | accuracy | ' + ' | '.join(f'AUC {c}' for c in class_names) + ' | mean AUC |',
    ]
    lines.append('|' + '---|' * (len(class_names) + 4))
    for row in rows:
        aucs = ' | '.join(f'{100 * row["auc"][c]:.1f}%' for c in class_names)
        lines.append(
            f'| {row["model"]} | {row["kind"]} | {100 * row["accuracy"]:.1f}% | {aucs} | {100 * row["mean_auc"]:.1f}% |'
        )
    estimated = [row for row in rows if 'estimate' in row]
    if estimated:
        lines += [
            '',
            '| model | LUT | FF | DSP | BRAM | latency (cycles) | latency (ns) | II (cycles) |',
            '|---|---|---|---|---|---|---|---|',
        ]
        for row in estimated:
            e, p = row['estimate'], row['percent']
            lines.append(
                f'| {row["model"]} | {e["LUT"]:,} ({p["LUT"]:.2f}%) | {e["FF"]:,} ({p["FF"]:.2f}%) | {e["DSP"]} | '
                f'{e["BRAM"]} | {e["latency_cycles"]} | {e["latency_ns"]:.1f} | {e["II"]} |'
            )
        lines += ['', 'Resources and latency are hlsbinary estimates (no synthesis); see hlsbinary/estimator.py.']
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
    results: list[ModelResult], out_dir: str | Path, title: str = 'hlsbinary report', force: bool = False
) -> Path:
    """Write ``report.md``, ``report.html``, ``report.json`` and the PNG plots into ``out_dir``.

    Everything is written into a staging folder and published at the end through :mod:`hlsbinary.files`: a folder
    hlsbinary did not write is refused unless ``force``, and then only files that do not exist yet are added.
    """
    if not results:
        raise ValueError('write_report needs at least one model result')
    class_names = results[0].class_names
    if any(r.class_names != class_names for r in results):
        raise ValueError('every model in one report must have the same classes')
    target = check_directory_target(out_dir, force, 'report')
    with publish_directory(target, force, 'report') as staging:
        rows, images = [], []
        for result in results:
            image = f'roc_{result.name}.png'
            _plot_roc(result, staging / image)
            images.append(image)
            rows.append(result.summary())
        estimated = [row for row in rows if 'estimate' in row]
        if estimated:
            for key, label, image in (
                ('latency_ns', 'estimated latency (ns)', 'auc_vs_latency.png'),
                ('LUT', 'estimated LUTs', 'auc_vs_lut.png'),
            ):
                _plot_tradeoff(estimated, key, label, staging / image)
                images.append(image)
        text = _markdown(title, rows, class_names, images)
        (staging / 'report.md').write_text(text)
        (staging / 'report.html').write_text(_html(text, title))
        (staging / 'report.json').write_text(json.dumps({'title': title, 'classes': class_names, 'models': rows}, indent=2))
    return target


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities; ROC curves are drawn on these, the community's convention."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


DEFAULT_INPUT_PRECISION = {'jets': 'fixed<16,6>', 'jet_constituents': 'fixed<16,6>', 'mnist': 'ufixed<8,0>'}


def evaluate_model(
    path: str | Path,
    dataset,
    input_precision: str | None = None,
    part: str = 'xcvu9p-flga2104-2L-e',
    clock_period: float = 5.0,
    io_type: str = 'io_parallel',
) -> ModelResult:
    """A saved model's :class:`ModelResult` on ``dataset``'s test part.

    Binary/ternary networks are evaluated by the bit-exact firmware emulation (what the FPGA would output) and
    estimated (for ``io_type``); other models (e.g. the float baselines) by Keras, without an estimate.
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
        return ModelResult(name, dataset.y_test, scores, dataset.class_names, None, 'Keras (not folded by the plugin)')
    scores = softmax(emulate_network(network, dataset.X_test))  # class probabilities of the firmware's logits
    est = estimate_network(network, part=part, clock_period=clock_period, io_type=io_type)
    return ModelResult(name, dataset.y_test, scores, dataset.class_names, est, f'firmware emulation, {precision} inputs')
