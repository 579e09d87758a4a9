"""Conversions between :class:`hlsbinary.ir.FixedType` and hls4ml's precision types."""

from __future__ import annotations

import re

from hlsbinary.ir import FixedType

_FIXED = re.compile(r'^\s*(ap_)?(u?)(fixed|int)<\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?(?:,[^>]*)?>\s*$')


def parse_fixed(text: str) -> FixedType:
    """``'ap_fixed<16,6>'``, ``'fixed<8,1>'``, ``'ap_ufixed<8,0>'``, ``'int<8>'`` ... as a :class:`FixedType`."""
    m = _FIXED.match(str(text))
    if not m:
        raise ValueError(f'precision {text!r} is not a fixed-point or integer type such as ap_fixed<16,6> or ap_int<8>')
    unsigned, kind, width, integer = m.group(2), m.group(3), int(m.group(4)), m.group(5)
    integer = width if kind == 'int' else int(integer)
    return FixedType(width, integer, signed=not unsigned)


def from_hls4ml(precision) -> FixedType | None:
    """An hls4ml ``FixedPrecisionType``/``IntegerPrecisionType`` as a FixedType; None for anything else."""
    from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

    if isinstance(precision, IntegerPrecisionType):
        return FixedType(precision.width, precision.width, bool(precision.signed))
    if isinstance(precision, FixedPrecisionType):
        return FixedType(precision.width, precision.integer, bool(precision.signed))
    return None


def to_hls4ml(ftype: FixedType):
    """A FixedType as hls4ml's precision type (integers as IntegerPrecisionType)."""
    from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

    if ftype.frac == 0:
        return IntegerPrecisionType(width=ftype.width, signed=ftype.signed)
    return FixedPrecisionType(width=ftype.width, integer=ftype.integer, signed=ftype.signed)


def describe(precision) -> str:
    """An hls4ml precision as a user writes it in a config (``ap_fixed<16,6>``, ``auto``), never a Python repr."""
    ftype = from_hls4ml(precision)
    if ftype is not None:
        return ftype.hls()
    name = type(precision).__name__
    return {'UnspecifiedPrecisionType': "'auto' (not yet inferred)", 'FloatPrecisionType': 'float'}.get(name, name)
