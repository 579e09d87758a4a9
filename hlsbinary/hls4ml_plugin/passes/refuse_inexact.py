"""Nothing that would compute different numbers from QKeras may reach hls4ml's standard path.

Contract: ``refuse_unfolded_kernels`` runs before ``fold_integer_blocks``, ``refuse_inexact`` after it, both
before any stock pass.  Together they

* refuse, naming the layer, every node carrying a binary/ternary quantizer the plugin does not fold (a kernel of a
  layer other than QDense, e.g. a ``QConv2D``; a binary/ternary activation outside a folded block): hls4ml's own
  folding of those is inexact (../shared/REFERENCE.md section 3);
* makes every folded layer whose output feeds a standard-path layer output its levels as the numbers -1/+1
  (``ap_int<2>``) instead of single bits, which the standard path would read as 0/1.
"""

from __future__ import annotations

from hls4ml.model.optimizer import ModelOptimizerPass

from hlsbinary.hls4ml_plugin.layer import IntegerDense, IntegerPool
from hlsbinary.hls4ml_plugin.passes.fold_integer_blocks import BinaryConversionError, keras_model_of

PASS_THROUGH = ('Input', 'Reshape', 'Flatten')
LEVEL_ACTIVATIONS = ('binary_tanh', 'ternary_tanh', 'binary', 'ternary')
SUPPORTED = (
    'QDense(binary | ternary | quantized_bits kernel) [-> BatchNormalization] [-> quantized activation: binary_tanh, '
    'ternary_tanh, binary(), ternary(), quantized_relu, quantized_bits ...], the activation inside the QDense or as '
    'its own layer; QConv1D/QConv2D likewise, with a MaxPooling before or after the BatchNorm; a BatchNormalization '
    'and/or quantized activation alone on a fixed-point tensor; MaxPooling on levels'
)


def _keras_layer(keras_model, node):
    for name in (node.name, node.name.rsplit('_', 1)[0]):  # hls4ml splits a layer's own activation off as <name>_<act>
        try:
            return keras_model.get_layer(name)
        except ValueError:
            continue
    return None


def _quantizer_name(q) -> str:
    return '' if q is None else (getattr(q, '__name__', None) or type(q).__name__)


def _inexact_reason(node, keras_layer) -> str | None:
    kernel_q = _quantizer_name(getattr(keras_layer, 'kernel_quantizer_internal', None))
    if 'binary' in kernel_q or 'ternary' in kernel_q:
        return (
            f'its {kernel_q} kernel is not folded by hlsbinary ({type(keras_layer).__name__} layers are not supported yet)'
        )
    activation = str(node.get_attr('activation', '') or '').lower()
    if node.class_name in ('TernaryTanh', 'BinaryTanh') or activation in LEVEL_ACTIVATIONS:
        return f"its {activation or node.class_name} activation is not part of a block hlsbinary folds, and hls4ml's own folding of it is inexact"
    return None


def _refuse(node, keras_layer, reason):
    raise BinaryConversionError(
        f'layer {node.name!r} ({type(keras_layer).__name__}): {reason}. Supported blocks: {SUPPORTED}.'
    )


class RefuseUnfoldedKernels(ModelOptimizerPass):
    """Before folding: a binary/ternary kernel on a layer the plugin does not fold (depthwise, separable ...)."""

    def __init__(self):
        super().__init__('refuse_unfolded_kernels', self.check)

    @staticmethod
    def check(model) -> bool:
        from hlsbinary.frontend.qkeras import is_integer_dense

        keras_model = keras_model_of(model)
        if keras_model is None:
            return False
        for node in model.graph.values():
            keras_layer = _keras_layer(keras_model, node)
            if keras_layer is None or is_integer_dense(keras_layer):
                continue
            for part in ('kernel', 'depthwise', 'pointwise'):
                kernel_q = _quantizer_name(getattr(keras_layer, f'{part}_quantizer_internal', None))
                if 'binary' in kernel_q or 'ternary' in kernel_q:
                    kind = type(keras_layer).__name__
                    _refuse(
                        node,
                        keras_layer,
                        f'its {kernel_q} {part} kernel is not folded by hlsbinary ({kind} layers are not supported)',
                    )
        return False


class RefuseInexact(ModelOptimizerPass):
    def __init__(self):
        super().__init__('refuse_inexact', self.check)

    @staticmethod
    def check(model) -> bool:
        keras_model = keras_model_of(model)
        for node in list(model.graph.values()):
            if isinstance(node, IntegerDense | IntegerPool) or node.class_name in PASS_THROUGH:
                continue
            keras_layer = _keras_layer(keras_model, node) if keras_model is not None else None
            reason = _inexact_reason(node, keras_layer) if keras_layer is not None else None
            if reason:
                _refuse(node, keras_layer, reason)
            for producer in _producers(model, node):
                if isinstance(producer, IntegerDense) and not producer.get_attr('levels_as_values', False):
                    producer.output_levels_as_values()
        return False


def _producers(model, node):
    """The nodes feeding ``node``, looking through pass-through layers."""
    out, todo = [], list(node.inputs)
    while todo:
        name = todo.pop()
        producer = next((n for n in model.graph.values() if name in n.outputs), None)
        if producer is None:
            continue
        if (producer.class_name in PASS_THROUGH and producer.class_name != 'Input') or isinstance(producer, IntegerPool):
            todo.extend(producer.inputs)
        else:
            out.append(producer)
    return out
