"""Conversions between :class:`hlsbinary.ir.FixedType` and hls4ml's precision types."""

from __future__ import annotations

from hlsbinary.ir import FixedType


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
