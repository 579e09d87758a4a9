"""The hls4ml layer a folded block becomes."""

from __future__ import annotations

import numpy as np
from hls4ml.model.layers import Layer
from hls4ml.model.types import IntegerPrecisionType

from hlsbinary.hls4ml_plugin.types import to_hls4ml
from hlsbinary.ir import AffineStage, ThresholdStage
from hlsbinary.kernel import STORAGE_BITS, affine_types, hls_masks, hls_thresholds, output_type, plan


def storage_bits(width: int) -> int:
    """The shared storage width of constants of ``width`` bits (cast to their exact type where used)."""
    return STORAGE_BITS if width <= STORAGE_BITS else 64


class IntegerDense(Layer):
    """Dense layer with integer weights (binary, ternary, multi-bit) and a threshold, affine or integer-score output.

    Attributes: ``ir`` (:class:`hlsbinary.ir.IntegerLayer`) and ``levels_as_values`` (binary levels as the numbers
    -1/+1 rather than bits: at the model's output and for standard-path consumers).  Every precision is derived from
    the IR by :mod:`hlsbinary.kernel`; the configuration's precisions for the folded Keras layers are ignored because
    any other choice could wrap or round.
    """

    def initialize(self):
        ir = self.get_attr('ir')
        self.set_attr('n_in', ir.n_in)
        self.set_attr('n_out', ir.n_out)
        out_t, base, step = output_type(ir, self.get_attr('levels_as_values', False))
        self.set_attr('level_base', base)
        self.set_attr('level_step', step)
        self.add_output_variable(list(ir.out_shape), precision=to_hls4ml(out_t))
        self._initialize_weights(ir)

    def output_levels_as_values(self) -> None:
        """Output binary levels as ap_int<2> -1/+1 (the values QKeras has), not single bits: for consumers that are
        not hlsbinary layers (hls4ml's standard path reads a bit 0 as the number 0)."""
        self.set_attr('levels_as_values', True)
        out_t, base, step = output_type(self.get_attr('ir'), True)
        self.set_attr('level_base', base)
        self.set_attr('level_step', step)
        self.get_output_variable().type.precision = to_hls4ml(out_t)

    def _initialize_weights(self, ir):
        kp = plan(ir)
        word = IntegerPrecisionType(32, signed=False)
        wpos, wneg = hls_masks(ir)
        self.add_weights_variable('wpos', var_name='wp{index}', type_name='word{index}_t', precision=word, data=wpos)
        self.add_weights_variable('wneg', var_name='wn{index}', type_name='word{index}_t', precision=word, data=wneg)
        if isinstance(ir.output, ThresholdStage):
            thr = hls_thresholds(ir).astype(np.int64)
            self.set_attr('n_thr', thr.shape[1])
            self.add_weights_variable(
                'thresholds',
                var_name='t{index}',
                type_name='threshold{index}_t',
                precision=IntegerPrecisionType(storage_bits(kp.threshold_width), signed=True),
                data=thr.reshape(-1),
            )
            self.add_weights_variable(
                'flip',
                var_name='f{index}',
                type_name='flip{index}_t',
                precision=IntegerPrecisionType(1, signed=False),
                data=ir.output.decreasing.astype(np.int64),
            )
        elif isinstance(ir.output, AffineStage):
            stage = ir.output
            scale_t, offset_t, _ = affine_types(ir)
            for name, ints, ftype in (('scale', stage.scale, scale_t), ('offset', stage.offset, offset_t)):
                self.add_weights_variable(
                    name,
                    var_name=f'{name[0]}{{index}}',
                    type_name=f'{name}{{index}}_t',
                    precision=IntegerPrecisionType(storage_bits(ftype.width), signed=True),
                    data=ints.astype(np.int64),
                )


class IntegerPool(Layer):
    """Max-pooling of the level codes of an hlsbinary layer, per channel (min where ``take_min``).

    Attribute ``ir``: :class:`hlsbinary.ir.Pool`.  The output type is the input's (levels pass through), so a bit
    stays a bit and -1/+1 values stay values.
    """

    def initialize(self):
        ir = self.get_attr('ir')
        self.add_output_variable(list(ir.out_shape), precision=self.get_input_variable().type.precision)
        self.add_weights_variable(
            'take_min',
            var_name='m{index}',
            type_name='take_min{index}_t',
            precision=IntegerPrecisionType(1, signed=False),
            data=ir.take_min.astype(np.int64),
        )
