"""Plots of a sweep: the score of every trial against estimated LUTs and against latency, the front highlighted,
the paper's published points overlaid and labelled as published (other data, Vivado synthesis)."""

from __future__ import annotations

from pathlib import Path

from hlsbinary.published import PAPER_SHORT, PublishedPoint

AXES = {
    'LUT': ('estimated LUTs', 'LUT'),
    'latency_ns': ('estimated latency (ns)', 'latency_ns'),
}
SCORE_LABEL = {
    'accuracy': 'accuracy of the emulated firmware (validation, %)',
    'mean_auc': 'mean AUC of the emulated firmware (validation, %)',
}


def plot_tradeoff(
    rows: list[dict],
    front: list[dict],
    score: str,
    x_key: str,
    path: Path,
    published: tuple[PublishedPoint, ...] = (),
    title: str = '',
) -> None:
    """``score`` (in %) against ``x_key`` (``'LUT'``, log axis, or ``'latency_ns'``) for every complete trial.

    Feasible trials are dots, infeasible ones crosses, the front's members red and joined by its staircase, each
    labelled with its trial number; published points are black stars labelled with their model.  Published AUCs
    exist only as per-class ranges, drawn as vertical bars.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    key = 'val_accuracy' if score == 'accuracy' else 'val_mean_auc'
    x_label, x_attr = AXES[x_key]
    fig, ax = plt.subplots(figsize=(7, 5))
    done = [r for r in rows if r.get(key) is not None and r.get(x_attr) is not None]
    feasible = [r for r in done if r['feasible']]
    infeasible = [r for r in done if not r['feasible']]
    if feasible:
        ax.scatter([r[x_attr] for r in feasible], [100 * r[key] for r in feasible], s=14, c='0.6', label='trials (feasible)')
    if infeasible:
        ax.scatter(
            [r[x_attr] for r in infeasible],
            [100 * r[key] for r in infeasible],
            s=14,
            c='0.75',
            marker='x',
            label='trials (infeasible)',
        )
    if front:
        points = sorted((r[x_attr], 100 * r[key], r['trial']) for r in front)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        best = [max(ys[: i + 1]) for i in range(len(ys))]  # the staircase: best score at or below this cost
        ax.step(xs, best, where='post', c='tab:red', lw=1.2, alpha=0.7)
        ax.scatter(
            xs,
            ys,
            s=36,
            c='tab:red',
            zorder=3,
            label='Pareto front (accuracy, LUT, latency)' if score == 'accuracy' else 'Pareto front',
        )
        for x, y, n in points:
            ax.annotate(str(n), (x, y), textcoords='offset points', xytext=(4, -10), fontsize=7, color='tab:red')
    shown = False
    for p in published:
        x = p.LUT if x_key == 'LUT' else p.latency_ns
        if x is None:
            continue
        label = f'published: {PAPER_SHORT} (other data, Vivado)' if not shown else None
        if score == 'accuracy' and p.accuracy is not None:
            ax.scatter([x], [100 * p.accuracy], marker='*', s=120, c='k', zorder=4, label=label)
            ax.annotate(p.label, (x, 100 * p.accuracy), textcoords='offset points', xytext=(6, 3), fontsize=7)
            shown = True
        elif score == 'mean_auc' and p.auc_range is not None:
            lo, hi = p.auc_range
            ax.errorbar(
                [x], [50 * (lo + hi)], yerr=[[50 * (hi - lo)]], fmt='*', ms=10, c='k', capsize=3, zorder=4, label=label
            )
            ax.annotate(f'{p.label} (AUC range)', (x, 100 * hi), textcoords='offset points', xytext=(6, 3), fontsize=7)
            shown = True
    if x_key == 'LUT':
        ax.set_xscale('log')
    ax.set_xlabel(x_label)
    ax.set_ylabel(SCORE_LABEL[score])
    ax.set_title(title, fontsize=10)
    ax.grid(True, which='both', alpha=0.3)
    ax.margins(x=0.2, y=0.1)  # room for the labels
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
