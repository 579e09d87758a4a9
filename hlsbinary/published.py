"""Published figures to measure hlsbinary's results against, as data (``../shared/REFERENCE.md`` section 5).

The paper this project follows: Di Guglielmo, Duarte, Ngadiuba et al., "Compressing deep neural networks on FPGAs
to binary and ternary precision with hls4ml", Mach. Learn.: Sci. Technol. 2 015001 (2020), arXiv:2003.06308.
Its jet taggers were trained on the hls4ml LHC jet data set (OpenML 42468, 830k jets), synthesised with Vivado
for a Xilinx VU9P at 200 MHz (5 ns), fully unrolled.  Its accuracies are therefore on other data than the bundled
Pythia 8 sample, and its resources come from synthesis of the 2020 hls4ml design, not from hlsbinary's estimator:
plots label them as published points, never as measurements of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

PAPER = (
    'Di Guglielmo et al., "Compressing deep neural networks on FPGAs to binary and ternary precision with hls4ml", '
    'Mach. Learn.: Sci. Technol. 2 015001 (2020), arXiv:2003.06308'
)
PAPER_SHORT = 'Di Guglielmo et al. 2020'


@dataclass(frozen=True)
class PublishedPoint:
    """One published design: accuracy (fraction), per-class AUC range (fractions), latency and resources.

    ``None`` where the source gives no figure.  Percentages are of ``device`` (a key of :data:`hlsbinary.parts.PARTS`).
    """

    label: str
    task: str  # 'jets' or 'mnist'
    architecture: str  # inputs x widths x classes, e.g. '16x64x32x32x5'
    weights: str  # 'float', 'binary' or 'ternary'
    activation: str  # 'relu', 'binary_tanh' or 'ternary_tanh'
    accuracy: float | None
    auc_range: tuple[float, float] | None = None
    latency_ns: float | None = None
    lut_percent: float | None = None
    ff_percent: float | None = None
    dsp_percent: float | None = None
    device: str = 'xcvu9p'
    clock_period: float = 5.0
    source: str = PAPER_SHORT
    note: str = ''

    @property
    def LUT(self) -> int | None:
        """The published LUT share as a count on ``device`` (rounded), or None."""
        from hlsbinary.parts import PARTS

        return None if self.lut_percent is None else round(self.lut_percent / 100 * PARTS[self.device].LUT)

    @property
    def FF(self) -> int | None:
        from hlsbinary.parts import PARTS

        return None if self.ff_percent is None else round(self.ff_percent / 100 * PARTS[self.device].FF)


_JETS_DATA = 'hls4ml LHC jet data (OpenML 42468), Vivado synthesis'

PAPER_POINTS: tuple[PublishedPoint, ...] = (
    PublishedPoint('float 16x64x32x32x5', 'jets', '16x64x32x32x5', 'float', 'relu', 0.75, (0.90, 0.96), 60, 7, 1, 60, note=_JETS_DATA),
    PublishedPoint('binary 16x64x32x32x5', 'jets', '16x64x32x32x5', 'binary', 'binary_tanh', 0.62, (0.75, 0.89), 40, 0.8, 0.1, 0, note=_JETS_DATA),
    PublishedPoint('ternary 16x128x64x64x64x5', 'jets', '16x128x64x64x64x5', 'ternary', 'ternary_tanh', 0.72, (0.88, 0.94), 110, 6, 1, 0, note=_JETS_DATA),
    PublishedPoint('binary+ReLU 16x128x64x64x5', 'jets', '16x128x64x64x5', 'binary', 'relu', 0.70, None, 140, 6, None, 4, note=_JETS_DATA),
    PublishedPoint('ternary+ReLU 16x64x32x32x5', 'jets', '16x64x32x32x5', 'ternary', 'relu', 0.68, None, 60, 2, None, 2, note=_JETS_DATA),
    PublishedPoint('float 784x128x128x128x10', 'mnist', '784x128x128x128x10', 'float', 'relu', 0.98, None, 560, note='full MNIST (60,000 training images)'),
)  # fmt: skip
"""The paper's table (the subset in ``../shared/REFERENCE.md`` section 5); VU9P at 200 MHz."""

PAPER_FLOAT_JET_AUCS = {'g': 0.942, 'q': 0.905, 't': 0.964, 'W': 0.955, 'Z': 0.950}
"""Published per-class AUCs of the float 16x64x32x32x5 jet tagger on the OpenML data."""

OTHER_ANCHORS: tuple[PublishedPoint, ...] = (
    PublishedPoint('LogicNets (jets)', 'jets', '', 'binary', '', 0.726, lut_percent=100 * 38_925 / 1_182_240, source='LogicNets', note='38,925 LUT, 6 cycles'),
    PublishedPoint('FINN SFC-max (MNIST)', 'mnist', '', 'binary', '', 0.958, latency_ns=310, source='FINN', note='12.3 M images/s'),
    PublishedPoint('SNAC-Pack (jets)', 'jets', '', '', '', 0.6384, device='xcvu13p', source='SNAC-Pack', note='Optuna NSGA-II + rule4ml surrogate; "baseline-like resources"'),
)  # fmt: skip
"""Other published anchors the README mentions (not the paper's; plotted only on request)."""


def paper_points(task: str) -> tuple[PublishedPoint, ...]:
    """The paper's points for a task (``'jets'`` or ``'mnist'``)."""
    return tuple(p for p in PAPER_POINTS if p.task == task)
