"""Resource and latency estimates of the fully unrolled designs the plugin generates, without vendor tools.

The estimate follows the structure of ``nnet_integer_dense.h`` node by node (the shapes come from
:mod:`hlsbinary.kernel`, the same code that writes the project), for Xilinx UltraScale+ fabric (LUT6 with dual
outputs, CARRY8 chains), ``io_parallel``, ReuseFactor 1, one pipelined top function:

* **Weights cost nothing**: XNOR with a constant is a wire or an inverter that the next LUT absorbs; a weight (or a
  digit) of 0 removes its leaf; a shift ``x << e`` is wiring; weights are never stored, so BRAM is 0.
* **Popcount trees** (binary inputs x binary weights): the balanced tree of exact-width adders the kernel writes
  (``hlsb_popcount``).  An adder costs one LUT per output bit (a carry-chain adder); the first level adds two
  single bits, which one dual-output LUT6 does.
* **Add/sub trees** (fixed-point, ternary or multi-level inputs, ternary or multi-bit weights): the leaves are the
  nonzero canonical signed digits of the weights (``+-x_i << e``), so a multi-bit weight costs one adder per extra
  nonzero digit: this is where the LUTs of a ``quantized_bits`` layer go, instead of a DSP.  An adder exists
  wherever both halves of a sub-tree hold a nonzero leaf, every one as wide as the layer's accumulator
  (``hlsb_addsub`` declares them so), one LUT per bit; a subtraction is the same carry chain.
* **Shared sub-trees**: all neurons split their leaves the same way, so neurons whose digits agree on a leaf
  range compute the same sub-tree; HLS's common-subexpression elimination builds it once (:func:`tree_levels`).
* **Threshold comparators** against constants: ``ceil(w / 2)`` LUTs for a ``w``-bit compare (two bits per LUT on
  the carry chain), one per threshold that falls inside the neuron's reachable range (the others are constants
  that synthesis removes); the hits of a neuron with several thresholds are counted by a popcount tree.
* **Affine output** (``y = S acc + O``, bound to LUTs, never DSPs): ``2p - n`` is one adder for popcount layers;
  the constant multiplier is shift-and-add with one adder per extra nonzero digit of ``S`` in canonical signed
  digit form; the offset is one more adder.
* **DSP = 0**: no multiplication by a variable exists in the generated code (``tests/test_plugin.py`` checks the
  header), so no DSP is inferred; the constant multiplier of an affine output is bound to LUTs by pragma.
* **Latency**: HLS chains operations into one clock cycle while their delays fit in the clock period minus the
  uncertainty (12.5 %, hls4ml's default).  An adder of ``w`` bits takes ``ADD_DELAY_NS + ADD_DELAY_PER_BIT_NS * w``
  (LUT, route, carry chain), a compare ``CMP_DELAY_NS + CMP_DELAY_PER_BIT_NS * w``.  Where a cycle ends, every value
  alive at that point is registered: those registers are the **FF** estimate, plus the output register.
  Operations chain across layer boundaries (hls4ml inlines every layer into one pipeline); II is 1.

**io_stream** (``io_type='io_stream'``): every layer is a process of its own between FIFOs, so operations chain
within a layer only, and a layer's hardware is that of *one* position:

* A convolution or a pool streams its image through a line buffer (``hlsb_stream_windows``): ``kh - 1`` rows of the
  padded width in shift registers (SRL32: one LUT per 32 bits of depth per bit lane, no block RAM) and a
  ``kh x kw x C`` window of registers (FF), one input pixel per cycle, so its interval is the number of padded
  pixels.  Its neurons are one position's: the full window's tree.  Where a window can reach into the padding,
  every tap that may be padding is gated (one LUT per two bits, shared by all neurons) and on the XNOR path each
  threshold moves with the position's count of real inputs (one adder per reachable threshold).
* A Dense layer gathers its input packs into registers (one pack per cycle), computes, writes one pack.
* The FIFO after each layer is as deep as the tensor has packs (hls4ml's default): shift registers up to 1,024 bits
  (Vitis HLS's ``auto_srl_max_bits``), 36 Kb block RAMs beyond.
* Latency = the first layer's interval (it reads the whole input) + every layer's pipeline depth + what a layer
  still does after its last input (the bottom and right padding of its image, a Dense layer's computation and
  write); ``II`` is the longest interval (layers overlap: each starts on the first pixels of the one before).
  A Dense first layer is assumed to read its input as one pack (hls4ml's stream of a flat input).

Where the delay constants come from: the orders of magnitude of the UltraScale+ -2 data sheet (DS923: a LUT6 about
0.1 ns, a routed net 0.3-0.6 ns, a CARRY8 stage about 0.02 ns per bit), then one calibration: the estimate of the
paper's binary 16x64x32x32x5 jet tagger at 200 MHz (VU9P) matches its published 40 ns latency within 25 %.  The
LUT and FF formulas have no free constant.  Validation against the published figures is in
``tests/test_estimator.py`` and the README.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from hlsbinary.ir import AffineStage, Encoding, IntegerLayer, Network, Pool, ThresholdStage
from hlsbinary.kernel import csd_digits, digit_planes, output_type, plan
from hlsbinary.parts import DEFAULT_PART, IO_TYPES, PARTS, Part, find_part

# Delays in ns on UltraScale+ (-2 speed grade), as HLS schedules them: a LUT level plus routing, and the carry chain
# (module docstring: where they come from).
ADD_DELAY_NS = 0.70
ADD_DELAY_PER_BIT_NS = 0.02
CMP_DELAY_NS = 0.60
CMP_DELAY_PER_BIT_NS = 0.02
DEFAULT_UNCERTAINTY = 0.125  # hls4ml's default ClockUncertainty (12.5 %)


@dataclass(frozen=True)
class Step:
    """One level of logic: its delay, and the bits alive after it (what a register placed there must hold)."""

    delay_ns: float
    live_bits: int


@dataclass
class LayerEstimate:
    """Resources and latency of one layer.  ``latency_cycles`` counts the register stages that fall inside it."""

    name: str
    kind: str
    LUT: int
    FF: int = 0
    DSP: int = 0
    BRAM: int = 0
    latency_cycles: int = 0
    latency_ns: float = 0.0
    II: int = 1
    LUT_detail: dict = field(default_factory=dict)


def _summed(key: str) -> property:
    return property(lambda self: sum(getattr(layer, key) for layer in self.layers), doc=f'{key}, summed over the layers.')


@dataclass
class Estimate:
    """Per-layer and total estimates for one design on one part at one clock."""

    part: Part
    clock_period: float
    layers: list[LayerEstimate]

    LUT = _summed('LUT')
    FF = _summed('FF')
    DSP = _summed('DSP')
    BRAM = _summed('BRAM')
    latency_cycles = _summed('latency_cycles')

    @property
    def latency_ns(self) -> float:
        return self.latency_cycles * self.clock_period

    @property
    def II(self) -> int:
        return max(layer.II for layer in self.layers)

    def percent(self) -> dict[str, float]:
        """Share of the part's LUT, FF, DSP and BRAM in percent."""
        return {key: 100.0 * getattr(self, key) / getattr(self.part, key) for key in ('LUT', 'FF', 'DSP', 'BRAM')}

    def to_dict(self) -> dict:
        totals = {key: getattr(self, key) for key in ('LUT', 'FF', 'DSP', 'BRAM', 'latency_cycles', 'latency_ns', 'II')}
        return {
            'part': asdict(self.part),
            'clock_period': self.clock_period,
            'total': totals,
            'percent': self.percent(),
            'layers': [asdict(layer) for layer in self.layers],
        }

    def table(self) -> str:
        """A per-layer table with totals and the part's percentages, for the terminal."""
        head = f'{"layer":16s} {"kind":24s} {"LUT":>9s} {"FF":>8s} {"DSP":>4s} {"BRAM":>5s} {"cycles":>7s} {"ns":>7s}'
        lines = [head, '-' * len(head)]
        for layer in self.layers:
            lines.append(
                f'{layer.name:16s} {layer.kind:24s} {layer.LUT:9,d} {layer.FF:8,d} {layer.DSP:4d} {layer.BRAM:5d} '
                f'{layer.latency_cycles:7d} {layer.latency_ns:7.1f}'
            )
        lines.append('-' * len(head))
        lines.append(
            f'{"total":16s} {"II=" + str(self.II):24s} {self.LUT:9,d} {self.FF:8,d} {self.DSP:4d} {self.BRAM:5d} '
            f'{self.latency_cycles:7d} {self.latency_ns:7.1f}'
        )
        pct = self.percent()
        lines.append(
            f'{"% of " + self.part.name:41s} {pct["LUT"]:8.2f}% {pct["FF"]:7.2f}% {pct["DSP"]:3.0f}% {pct["BRAM"]:4.0f}%'
        )
        return '\n'.join(lines)


def adder_delay(width: int) -> float:
    return ADD_DELAY_NS + ADD_DELAY_PER_BIT_NS * width


def compare_delay(width: int) -> float:
    return CMP_DELAY_NS + CMP_DELAY_PER_BIT_NS * width


def compare_luts(width: int) -> int:
    """A ``width``-bit comparison with a constant: two bits per LUT on the carry chain."""
    return -(-width // 2)


def tree_levels(
    weights: np.ndarray, leaf_width: int, exact: bool, width: int = 0, share: bool = True
) -> list[tuple[int, int, int, int]]:
    """The balanced adder trees ``hlsb_popcount``/``hlsb_addsub`` build for every neuron, level by level.

    Every neuron's tree splits the inputs the same way (``[lo, hi)`` into halves), so the sub-tree over a range is
    a function of the neuron's weights on that range alone.  With ``share``, neurons whose weights agree on a range
    use one sub-tree: after full unrolling, HLS's common-subexpression elimination merges identical expressions
    (at the first level of a 16-input layer only 4 sign patterns exist per input pair, against 64 neurons).
    An adder exists where both halves hold a nonzero weight.  ``exact``: a node is as wide as its sum needs
    (popcount: ``ceil(log2(N + 1))`` bits over N inputs); otherwise every adder is ``width`` bits.
    Returns per height ``h = 1..H``: ``(adders, LUTs, widest adder, bits alive after level h)``.
    """
    from hlsbinary.fold import unsigned_width

    weights = np.asarray(weights)
    levels: dict[int, list[int]] = {}
    alive: dict[int, int] = {}

    def distinct(rows: np.ndarray) -> int:
        if not share or len(rows) < 2:
            return len(rows)
        return len({row.tobytes() for row in np.ascontiguousarray(rows, dtype=np.int8)})

    def node(lo, hi):  # returns (height, width, nonzero mask over neurons, distinct values)
        block = weights[lo:hi]
        nonzero = (block != 0).any(axis=0)
        if hi - lo == 1:
            return 0, leaf_width, nonzero, distinct(block.T[nonzero])
        mid = lo + (hi - lo) // 2
        children = node(lo, mid), node(mid, hi)
        h = 1 + max(c[0] for c in children)
        w = unsigned_width(hi - lo) if exact else width
        both = children[0][2] & children[1][2]
        adders = distinct(block.T[both])
        luts = 1 if (exact and children[0][1] == 1 and children[1][1] == 1) else w  # two bits: one dual-output LUT6
        entry = levels.setdefault(h, [0, 0, 0])
        entry[0] += adders
        entry[1] += adders * luts
        entry[2] = max(entry[2], w)
        for hc, wc, _, count in children:  # a child's values wait from their level until this one
            for level in range(hc, h):
                alive[level] = alive.get(level, 0) + wc * count
        return h, w, nonzero, distinct(block.T[nonzero])

    if weights.shape[0] == 0:
        return []
    top, top_w, _, count = node(0, weights.shape[0])
    alive[top] = alive.get(top, 0) + top_w * count
    return [(*levels[h], alive.get(h, 0)) for h in sorted(levels)]


def reachable_thresholds(layer: IntegerLayer) -> np.ndarray:
    """Per neuron, how many of its thresholds can go either way (inside its reachable range): real comparators."""
    from hlsbinary.fold import accumulator_range

    lo, hi = accumulator_range(layer.weights, layer.input_range)
    t = layer.output.thresholds
    return ((t > lo[:, None]) & (t <= hi[:, None])).sum(axis=1)


def leaf_digits(layer: IntegerLayer) -> np.ndarray:
    """The add/sub tree's leaves as signed digits, ``(n_planes * n_in, n_out)`` in the kernel's leaf order."""
    pos, neg = digit_planes(layer.weights)
    return (pos.astype(np.int8) - neg.astype(np.int8)).reshape(-1, layer.n_out)


def layer_logic(layer, is_model_output: bool, share: bool = True) -> tuple[str, dict[str, int], list[Step]]:
    """``(kind, LUTs by component, steps)`` of one layer of the generated kernel (a pool, a convolution, a Dense).

    A convolution is its neuron logic at every position: positions whose windows reach into the padding have fewer
    leaves (grouped by which inputs are real, each group counted once and multiplied); the steps are those of a full
    window (the deepest), every position in parallel, so the values alive are those of one position times the
    number of positions.
    """
    if isinstance(layer, Pool):
        return pool_logic(layer)
    if layer.window is None:
        return neuron_logic(layer, layer.weights, is_model_output, share)
    real = layer.window.input_index() >= 0
    patterns, counts = np.unique(real, axis=0, return_counts=True)
    luts: dict[str, int] = {}
    kind = steps = None
    for pattern, count in zip(patterns, counts, strict=True):
        kind_p, luts_p, steps_p = neuron_logic(layer, layer.weights * pattern[:, None], is_model_output, share)
        for key, value in luts_p.items():
            luts[key] = luts.get(key, 0) + int(count) * value
        if pattern.all() or steps is None:
            kind, steps = kind_p, steps_p
    n_pos = layer.window.n_positions
    kind = f'conv {"x".join(map(str, layer.window.kernel))} ' + kind
    return kind, luts, [Step(step.delay_ns, step.live_bits * n_pos) for step in steps]


def pool_logic(pool: Pool) -> tuple[str, dict[str, int], list[Step]]:
    """Every position of a pool at once (io_parallel): see :func:`pool_tree`; windows reaching into the padding
    pool over their real inputs only."""
    window = pool.window
    real = (window.input_index().reshape(window.n_positions, -1, window.channels)[:, :, 0] >= 0).sum(1)
    return pool_tree(pool, [int(k) for k in real], window.n_positions)


def pool_tree(pool: Pool, inputs: list[int], n_positions: int) -> tuple[str, dict[str, int], list[Step]]:
    """A max (or min) over each window of levels, per channel, for windows of ``inputs`` real inputs each: on single
    bits an OR (AND) of ``k`` bits, which LUT6s take five new inputs at a time (``ceil((k - 1) / 5)`` LUTs, one LUT
    level per factor 6); on ``w``-bit codes a tree of ``k - 1`` compare-and-select units, each a ``w``-bit comparison
    (``ceil(w / 2)`` LUTs) and a ``w``-bit multiplexer (``w`` LUTs), ``ceil(log2 k)`` levels deep."""
    width = element_bits(pool.input_encoding, pool.input_type)
    c = pool.window.channels
    live = n_positions * c * width
    if width == 1:
        luts = sum(-(-(k - 1) // 5) for k in inputs) * c
        steps = [Step(CMP_DELAY_NS, live)] * math.ceil(math.log(max(max(inputs), 2), 6))
    else:
        luts = sum(k - 1 for k in inputs) * c * (compare_luts(width) + width)
        steps = [Step(compare_delay(width), live)] * math.ceil(math.log2(max(max(inputs), 2)))
    return f'max-pool {"x".join(map(str, pool.window.kernel))}', {'pool': int(luts)}, steps


def neuron_logic(
    layer: IntegerLayer, weights: np.ndarray, is_model_output: bool, share: bool = True
) -> tuple[str, dict[str, int], list[Step]]:
    """``(kind, LUTs by component, steps)`` of the neurons of one position (a Dense layer's only one), whose
    ``weights`` are the layer's with the leaves of padding zeroed."""
    kp = plan(layer)  # widths are the layer's, whichever leaves the padding removes (the kernel declares them so)
    out_t, _, _ = output_type(layer, is_model_output)
    layer = dataclasses.replace(layer, weights=weights)
    n_out = layer.n_out
    luts: dict[str, int] = {}
    steps: list[Step] = []
    if kp.popcount:
        kind = 'xnor-popcount'
        tree = tree_levels(layer.weights, 1, True, share=share)
    else:
        kind = 'add/sub ' + ('fixed' if layer.input_encoding is Encoding.FIXED else layer.input_encoding.value)
        leaf_w = layer.input_type.width if layer.input_encoding is Encoding.FIXED else 2
        tree = tree_levels(leaf_digits(layer), leaf_w, False, kp.accum.width, share=share)
    luts['adder tree'] = sum(lut for _, lut, _, _ in tree)
    steps += [Step(adder_delay(widest), live) for _, _, widest, live in tree]
    if layer.weight_kind != 'binary':
        kind += f' ({layer.weight_kind} w' + (f', {kp.n_planes} digit planes)' if kp.n_planes > 1 else ')')
    stage = layer.output
    if isinstance(stage, ThresholdStage):
        comparators = reachable_thresholds(layer)
        counters = [sum(lut for _, lut, _, _ in tree_levels(np.ones((int(c), 1), np.int8), 1, True)) for c in comparators]
        luts['thresholds'] = int(comparators.sum()) * compare_luts(kp.compare_width) + int(sum(counters))
        steps.append(Step(compare_delay(kp.compare_width), n_out * out_t.width))
        widest = int(comparators.max(initial=0))
        if widest > 1:  # the count of hits: a popcount tree of the comparator bits
            for depth in range(math.ceil(math.log2(widest))):
                steps.append(Step(adder_delay(depth + 2), n_out * out_t.width))
        return kind, luts, steps
    score_w = kp.score.width
    if kp.popcount:  # s = 2p - n: a shift (wires) and one subtraction
        luts['2p-n'] = n_out * score_w
        steps.append(Step(adder_delay(score_w), n_out * score_w))
    if isinstance(stage, AffineStage):
        digits = [csd_digits(s) for s in stage.scale]
        s_bits = max(1, int(np.max(np.abs(stage.scale))).bit_length())
        product_w = score_w + s_bits
        luts['affine'] = sum(max(d - 1, 0) * product_w for d in digits) + n_out * stage.out_type.width
        for _ in range(math.ceil(math.log2(max(digits))) if max(digits) > 1 else 0):  # shift-and-add tree depth
            steps.append(Step(adder_delay(product_w), n_out * product_w))
        steps.append(Step(adder_delay(stage.out_type.width), n_out * stage.out_type.width))
    return kind, luts, steps


def estimate_network(
    network: Network,
    part: str | Part = DEFAULT_PART,
    clock_period: float = 5.0,
    clock_uncertainty: float = DEFAULT_UNCERTAINTY,
    share_subtrees: bool = True,
    io_type: str = 'io_parallel',
) -> Estimate:
    """Estimate ``network``'s fully unrolled design; see the module docstring for every formula.

    ``share_subtrees=False`` gives the upper bound without common-subexpression elimination.
    """
    if clock_period <= 0:
        raise ValueError(f'clock_period must be positive (ns), got {clock_period}')
    if io_type not in IO_TYPES:
        raise ValueError(f"io_type must be 'io_parallel' or 'io_stream', got {io_type!r}")
    budget = clock_period * (1.0 - clock_uncertainty)
    if io_type == 'io_stream':
        return Estimate(find_part(part), clock_period, stream_layers(network, budget, clock_period, share_subtrees))
    layers, used, live_before = [], 0.0, 0  # operations chain across layers, so do the values a cut must register
    for index, layer in enumerate(network.layers):
        is_output = _is_output(network, index)
        kind, luts, steps = layer_logic(layer, is_output, share_subtrees)
        est = LayerEstimate(layer.name, kind, int(sum(luts.values())), LUT_detail=luts)
        for step in steps:
            if used > 0 and used + step.delay_ns > budget:  # the cycle ends here: register what is alive
                est.latency_cycles += 1
                est.FF += live_before
                used = 0.0
            used += step.delay_ns
            live_before = step.live_bits
        layers.append(est)
    layers[-1].latency_cycles += 1  # the output register
    layers[-1].FF += live_before
    for est in layers:
        est.latency_ns = est.latency_cycles * clock_period
    return Estimate(find_part(part), clock_period, layers)


def _is_output(network: Network, index: int) -> bool:
    """Whether layer ``index`` writes the model's output (the last layer, or the last before a final pool)."""
    last = len(network.layers) - 1
    return index == last or (index == last - 1 and isinstance(network.layers[last], Pool))


def element_bits(encoding: Encoding, ftype) -> int:
    """Bits of one tensor element: 1 for binary bits, 2 for ternary levels, else its fixed-point width."""
    if encoding is Encoding.BITS:
        return 1
    return 2 if ftype is None else ftype.width


def fifo_cost(depth: int, width: int) -> tuple[int, int]:
    """``(LUTs, 36 Kb block RAMs)`` of a FIFO: shift registers (SRL32) up to 1,024 bits, block RAM beyond, in the
    aspect ratio that needs the fewest (512x72 ... 32Kx1)."""
    if depth * width <= 1024:
        return width * -(-depth // 32), 0
    shapes = [(72, 512), (36, 1024), (18, 2048), (9, 4096), (4, 8192), (2, 16384), (1, 32768)]
    return 0, min(-(-width // w) * -(-depth // d) for w, d in shapes)


def _image(window) -> tuple[int, int, int, int, int, int]:
    """``(kh, kw, padded height, padded width, bottom pad, right pad)`` of a window; a 1D sequence is one row."""
    if len(window.kernel) == 1:
        (k,), (n,), ((before, after),) = window.kernel, window.in_shape[:-1], window.pads
        return 1, k, 1, n + before + after, 0, after
    (kh, kw), (h, w) = window.kernel, window.in_shape[:-1]
    (top, bottom), (left, right) = window.pads
    return kh, kw, h + top + bottom, w + left + right, bottom, right


def _pipeline(steps: list[Step], budget: float) -> tuple[int, int]:
    """``(cycles, FF)`` of one layer's logic pipelined on its own (it starts after a FIFO and ends in one)."""
    cycles, ff, used, live = 1, 0, 0.0, 0
    for step in steps:
        if used > 0 and used + step.delay_ns > budget:
            cycles += 1
            ff += live
            used = 0.0
        used += step.delay_ns
        live = step.live_bits
    return cycles, ff + live


def stream_layers(network: Network, budget: float, clock_period: float, share: bool) -> list[LayerEstimate]:
    """Per-layer estimates of the ``io_stream`` design (module docstring)."""
    estimates, pack_in = [], network.in_size  # a flat input arrives as one pack
    for index, layer in enumerate(network.layers):
        is_output = _is_output(network, index)
        in_bits = element_bits(layer.input_encoding, layer.input_type)
        window = layer.window
        if isinstance(layer, Pool):
            k = int(np.prod(window.kernel))
            kind, luts, steps = pool_tree(layer, [k], 1)
            kind += ' stream'
            out_bits, n_out = in_bits, window.channels
        else:
            kind, luts, steps = neuron_logic(layer, layer.weights, is_output, share)
            out_t, _, _ = output_type(layer, is_output)
            out_bits, n_out = out_t.width, layer.n_out
        ff = 0
        if window is not None:
            kh, kw, hp, wp, bottom, right = _image(window)
            c = window.channels
            kind = (f'conv {"x".join(map(str, window.kernel))} ' if isinstance(layer, IntegerLayer) else '') + kind
            luts['line buffer'] = (kh - 1) * c * in_bits * -(-wp // 32)
            ff += kh * kw * c * in_bits  # the window registers
            counter = max(hp, wp).bit_length()
            luts['control'], ff = 4 * counter, ff + 4 * counter
            padded = window.input_index() < 0
            if padded.any() and isinstance(layer, IntegerLayer):
                maybe_padding = int(padded.any(axis=0).sum())  # taps that lie in the padding at some position
                kp = plan(layer)
                if kp.popcount and isinstance(layer.output, ThresholdStage):
                    luts['padding'] = int(reachable_thresholds(layer).sum()) * kp.compare_width
                elif not kp.popcount:
                    luts['padding'] = -(-maybe_padding * in_bits // 2)
            interval, packs_out = hp * wp, window.n_positions
            depth, pipe_ff = _pipeline(steps, budget)
            after_last_input = depth + bottom * wp + right
        else:
            reads = max(1, layer.in_size // pack_in)
            ff += layer.in_size * in_bits  # the gathered inputs
            depth, pipe_ff = _pipeline(steps, budget)
            interval, packs_out = reads + depth + 1, 1
            after_last_input = depth + 1
        ff += pipe_ff
        bram = 0
        if index < len(network.layers) - 1:  # the FIFO to the next layer (the last writes the top-level port)
            fifo_luts, bram = fifo_cost(packs_out, n_out * out_bits)
            if fifo_luts:
                luts['fifo'] = fifo_luts
        if index == 0:  # the first layer reads the whole input: its latency is its interval (and its pipeline)
            cycles = interval + (depth if window is not None else 0)
        else:
            cycles = after_last_input
        estimates.append(
            LayerEstimate(
                layer.name,
                kind,
                int(sum(luts.values())),
                FF=ff,
                BRAM=bram,
                latency_cycles=cycles,
                latency_ns=cycles * clock_period,
                II=interval,
                LUT_detail=luts,
            )
        )
        pack_in = n_out
    return estimates


def estimate(
    model,
    part: str | Part = DEFAULT_PART,
    clock_period: float = 5.0,
    input_precision: str | None = None,
    clock_uncertainty: float = DEFAULT_UNCERTAINTY,
    share_subtrees: bool = True,
    io_type: str | None = None,
) -> Estimate:
    """LUT/FF/DSP/BRAM and latency of the design the plugin generates for ``model``.

    ``model`` is a :class:`Network`, an hls4ml model converted with VivadoBinary/VitisBinary, a QKeras model or a
    path to a saved one (``input_precision`` as in :func:`hlsbinary.emulate`).  ``io_type`` defaults to the hls4ml
    model's own, else ``'io_parallel'``.
    """
    from hlsbinary.emulator import network_of

    if io_type is None:
        io_type = getattr(getattr(model, 'config', None), 'get_config_value', lambda key: None)('IOType') or 'io_parallel'
    network = network_of(model, input_precision)
    return estimate_network(network, part, clock_period, clock_uncertainty, share_subtrees, io_type)


__all__ = ['Estimate', 'LayerEstimate', 'PARTS', 'Part', 'csd_digits', 'estimate', 'estimate_network', 'find_part']
