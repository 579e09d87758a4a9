"""Replace each QDense(binary|ternary) [-> BatchNorm] [-> activation] chain with a BinaryThresholdDense.

Contract: runs before hls4ml's ``convert`` flow (so no stock pass, e.g. ``merge_batch_norm_quantized_tanh``,
sees these layers).  Matches hls4ml ``Dense`` nodes whose Keras layer is a binary/ternary QDense, in
graph order, so each block knows how its input is encoded.  Other nodes are left to the parent backend.
"""

from __future__ import annotations

from hls4ml.model.layers import Input
from hls4ml.model.optimizer import OptimizerPass

from hlsbinary.errors import UnsupportedModelError
from hlsbinary.hls4ml_plugin.hardware import MAX_INPUTS
from hlsbinary.hls4ml_plugin.layer import BinaryThresholdDense
from hlsbinary.hls4ml_plugin.types import describe, from_hls4ml, to_hls4ml
from hlsbinary.ir import Encoding


class BinaryConversionError(UnsupportedModelError):
    """A layer cannot be converted exactly; the message names it and says what is supported."""


def keras_model_of(model):
    """The Keras model being converted (loaded once if the config holds a path), or None for other front ends."""
    cached = getattr(model, '_hlsbinary_keras_model', None)
    if cached is not None:
        return cached
    config = model.config.config
    keras_model = config.get('KerasModel')
    if keras_model is None:
        path = config.get('KerasH5')
        if path is None:
            return None
        keras_model = path
    if isinstance(keras_model, str):
        from hlsbinary.frontend.keras_objects import load_model

        keras_model = load_model(keras_model)
    model._hlsbinary_keras_model = keras_model
    return keras_model


def _consumers(model, node):
    return [n for n in model.graph.values() if node.outputs[0] in n.inputs]


def _hls_option(model, node, key, default=False):
    hls = model.config.config.get('HLSConfig', {})
    layer_cfg = hls.get('LayerName', {}).get(node.name, {})
    if key in layer_cfg:
        return layer_cfg[key]
    return hls.get('Model', {}).get(key, default)


def _input_encoding(model, node):
    producer = node.get_input_node()
    if isinstance(producer, BinaryThresholdDense):
        ir = producer.get_attr('ir')
        if ir.output_encoding is not Encoding.FIXED:
            return ir.output_encoding, None
    var = node.get_input_variable()
    ftype = from_hls4ml(var.type.precision)
    if ftype is None and isinstance(producer, Input):
        # 'auto' input precision: settle it now on the model default, so hls4ml and the thresholds agree.
        default = model.config.model_precision.get('default', 'fixed<16,6>')
        ftype = from_hls4ml(model.config.backend.convert_precision_string(default))
        if ftype is not None:
            var.type.precision = to_hls4ml(ftype)
    if ftype is None:
        raise BinaryConversionError(
            f'layer {node.name!r}: its input precision {describe(var.type.precision)} is not a fixed-point type, so the '
            'thresholds cannot be made exact. Set an explicit ap_fixed precision for the layer feeding it '
            "(HLSConfig: LayerName: <layer>: Precision: result: 'ap_fixed<W,I>')."
        )
    return Encoding.FIXED, ftype


def _refuse_unhonoured_settings(model, node) -> None:
    """Settings the folded layers cannot honour are refused, not ignored."""
    backend = model.config.backend.name
    io_type = model.config.get_config_value('IOType', 'io_parallel')
    if io_type != 'io_parallel':
        raise BinaryConversionError(
            f'layer {node.name!r}: IOType {io_type!r} is not supported by the {backend} backend yet (its binary/ternary '
            "layers are fully unrolled arrays); use io_type='io_parallel'"
        )
    try:
        reuse = model.config.get_reuse_factor(node)
    except Exception:  # hls4ml raises when no ReuseFactor is configured at all: fully parallel is what we build
        reuse = 1
    if reuse != 1:
        raise BinaryConversionError(
            f'layer {node.name!r}: ReuseFactor {reuse} is not supported by the {backend} backend: its binary/ternary '
            'layers are fully unrolled (ReuseFactor 1, no multipliers to share); set ReuseFactor: 1 for this layer'
        )
    strategy = str(model.config.get_strategy(node)).lower()
    if strategy != 'latency':
        raise BinaryConversionError(
            f'layer {node.name!r}: Strategy {model.config.get_strategy(node)!r} is not supported by the {backend} '
            'backend: its binary/ternary layers are fully unrolled; use Strategy: Latency for this layer'
        )


class FoldBinaryBlocks(OptimizerPass):
    def match(self, node):
        if node.class_name != 'Dense':
            return False
        keras_model = keras_model_of(node.model)
        if keras_model is None:
            return False
        from hlsbinary.frontend.qkeras import is_binary_dense

        try:
            layer = keras_model.get_layer(node.name)
        except ValueError:
            return False
        return is_binary_dense(layer)

    def transform(self, model, node):
        from hlsbinary.frontend.qkeras import fold_block

        keras_model = keras_model_of(model)
        _refuse_unhonoured_settings(model, node)
        encoding, ftype = _input_encoding(model, node)
        try:
            ir = fold_block(
                keras_model, node.name, encoding, ftype, integer_scores=bool(_hls_option(model, node, 'IntegerScores'))
            )
        except UnsupportedModelError as err:
            raise BinaryConversionError(str(err)) from err
        if ir.n_in > MAX_INPUTS:
            raise BinaryConversionError(
                f'layer {node.name!r}: {ir.n_in} inputs; fully unrolled binary layers take at most {MAX_INPUTS} '
                '(ap_uint<N> is limited to 1024 bits). Split the layer or reduce its inputs.'
            )
        chain = self._chain(model, node, ir)
        is_output = chain[-1].outputs[0] in model.outputs
        for folded in chain[1:]:
            model.remove_node(folded)
        new_node = model.make_node(
            BinaryThresholdDense,
            node.name,
            {'ir': ir, 'is_model_output': is_output},
            list(node.inputs),
            list(node.outputs),
        )
        model.replace_node(node, new_node)
        return True

    @staticmethod
    def _chain(model, node, ir):
        """The hls4ml nodes holding the block: the Dense, its split-off activation if folded, BatchNorm, activation."""
        chain = [node]
        wanted = list(ir.keras_layers[1:])
        nxt = _consumers(model, node)
        # hls4ml splits the QDense's own activation into '<dense>_<name>'; fold it if linear or the block's own.
        if len(nxt) == 1 and nxt[0].class_name == 'Activation' and nxt[0].name.startswith(node.name + '_'):
            act = nxt[0].get_attr('activation')
            inner_is_block_act = len(ir.keras_layers) == 1 and ir.output_encoding is not Encoding.FIXED
            if act == 'linear' or inner_is_block_act:
                chain.append(nxt[0])
                nxt = _consumers(model, nxt[0])
        for name in wanted:
            if len(nxt) != 1 or nxt[0].name != name:
                found = [n.name for n in nxt]
                raise BinaryConversionError(
                    f'layer {node.name!r}: expected {name!r} to follow it alone in the hls4ml graph, found {found}; '
                    'a block (QDense -> BatchNormalization -> activation) must be a single chain.'
                )
            chain.append(nxt[0])
            nxt = _consumers(model, nxt[0])
        return chain
