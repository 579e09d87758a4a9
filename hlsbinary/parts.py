"""FPGA devices hlsbinary knows: their resources (for the estimator's percentages) and names (to check a ``Part``).

Device totals are those of AMD/Xilinx's product tables (LUTs, flip-flops, DSP slices, 36 Kb block RAMs).  A part
name is the device followed by package, speed grade and temperature (``xcvu9p-flga2104-2L-e``, ``xc7z020clg400-1``);
the device is the longest known name it starts with.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from hlsbinary.errors import ConfigError


@dataclass(frozen=True)
class Part:
    """An FPGA's resources: LUTs, flip-flops, DSP slices and 36 Kb block RAMs."""

    name: str
    LUT: int
    FF: int
    DSP: int
    BRAM: int


_DEVICES = [
    # Virtex UltraScale+ (VU9P figures: ../shared/REFERENCE.md), with the Alveo cards built on them
    ('xcvu3p', 394_080, 788_160, 2_280, 720),
    ('xcvu5p', 600_577, 1_201_154, 3_474, 1_024),
    ('xcvu7p', 788_160, 1_576_320, 4_560, 1_440),
    ('xcvu9p', 1_182_240, 2_364_480, 6_840, 2_160),
    ('xcvu11p', 1_296_000, 2_592_000, 9_216, 2_016),
    ('xcvu13p', 1_728_000, 3_456_000, 12_288, 2_688),
    ('xcvu19p', 4_085_760, 8_171_520, 3_840, 2_160),
    ('xcvu29p', 1_728_000, 3_456_000, 12_288, 2_688),
    ('xcvu37p', 1_303_680, 2_607_360, 9_024, 2_016),
    ('xcvu47p', 1_303_680, 2_607_360, 9_024, 2_016),
    ('xcu200', 1_182_240, 2_364_480, 6_840, 2_160),
    ('xcu250', 1_728_000, 3_456_000, 12_288, 2_688),
    ('xcu280', 1_303_680, 2_607_360, 9_024, 2_016),
    ('xcu55c', 1_303_680, 2_607_360, 9_024, 2_016),
    ('xcu50', 872_160, 1_743_360, 5_952, 1_344),
    # Kintex UltraScale(+), Zynq UltraScale+, Kria
    ('xcku115', 663_360, 1_326_720, 5_520, 2_160),
    ('xcku15p', 522_720, 1_045_440, 1_968, 984),
    ('xczu3eg', 70_560, 141_120, 360, 216),
    ('xczu7ev', 230_400, 460_800, 1_728, 312),
    ('xczu9eg', 274_080, 548_160, 2_520, 912),
    ('xck26', 117_120, 234_240, 1_248, 144),
    # 7 series
    ('xc7z020', 53_200, 106_400, 220, 140),
    ('xc7z045', 218_600, 437_200, 900, 545),
    ('xc7a100t', 63_400, 126_800, 240, 135),
    ('xc7a200t', 134_600, 269_200, 740, 365),
    ('xc7vx690t', 433_200, 866_400, 3_600, 1_470),
]
PARTS: dict[str, Part] = {name: Part(name, *counts) for name, *counts in _DEVICES}
DEFAULT_PART = 'xcvu9p-flga2104-2L-e'  # the paper's device (Di Guglielmo et al. 2020)


def device_of(part: str) -> str | None:
    """The known device a part name starts with (longest match), or None."""
    text = str(part).strip().lower()
    matches = [name for name in PARTS if text.startswith(name)]
    return max(matches, key=len) if matches else None


def find_part(part: str | Part) -> Part:
    """The :class:`Part` of a part name (``xcvu9p-flga2104-2L-e``) or device (``xcvu9p``); a :class:`Part` as is.

    An unknown device raises :class:`~hlsbinary.errors.ConfigError` naming close matches and the known devices.
    """
    if isinstance(part, Part):
        return part
    device = device_of(part)
    if device is None:
        raise ConfigError(f'part {part!r}: {unknown_part_message(part)}')
    return PARTS[device]


def unknown_part_message(part) -> str:
    head = str(part).strip().lower().split('-')[0]
    close = difflib.get_close_matches(head, PARTS, n=3, cutoff=0.6)
    hint = f' Did you mean {" or ".join(close)}?' if close else ''
    return (
        f'not a device hlsbinary knows.{hint} Known devices: {", ".join(sorted(PARTS))} '
        f'(followed by package and speed grade, e.g. {DEFAULT_PART}); from Python, pass '
        'hlsbinary.parts.Part(name, LUT, FF, DSP, BRAM) for another one'
    )
