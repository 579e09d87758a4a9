"""Replace each block (``QDense(quantized kernel) [-> BatchNorm] [-> quantized activation]``, or a BatchNorm and/or
quantized activation standing alone on a fixed-point tensor) with an :class:`IntegerDense`.

Contract: runs before hls4ml's ``convert`` flow, so no stock pass (e.g. ``merge_batch_norm_quantized_tanh``) sees
these layers.  Matches, in graph order (so each block knows how its input is encoded), hls4ml ``Dense`` nodes whose
Keras layer is a quantized QDense, and BatchNormalization/activation nodes whose Keras block ends in a quantized
activation.  Other nodes are left to the parent backend.
"""

from __future__ import annotations

from hls4ml.model.layers import Input
from hls4ml.model.optimizer import OptimizerPass

from hlsbinary.errors import UnsupportedModelError
from hlsbinary.hls4ml_plugin.layer import IntegerDense, IntegerPool
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


def keras_layer_of(keras_model, name):
    try:
        return keras_model.get_layer(name)
    except ValueError:
        return None


def _consumers(model, node):
    return [n for n in model.graph.values() if node.outputs[0] in n.inputs]


def _hls_option(model, node, key, default=False):
    hls = model.config.config.get('HLSConfig', {})
    layer_cfg = hls.get('LayerName', {}).get(node.name, {})
    if key in layer_cfg:
        return layer_cfg[key]
    return hls.get('Model', {}).get(key, default)


MOVE_NO_VALUE = ('Reshape', 'Flatten', 'Repack')


def level_source(model, node):
    """The hlsbinary layer whose levels reach ``node``'s input, looking through reshapes and pools; or None."""
    producer = node.get_input_node()
    while producer is not None and (producer.class_name in MOVE_NO_VALUE or isinstance(producer, IntegerPool)):
        producer = producer.get_input_node()
    return producer if isinstance(producer, IntegerDense) else None


def _settle_auto_precision(model, producer):
    """The type of an 'auto' block input, settled now so that hls4ml and the thresholds agree: a Reshape or Flatten
    moves no value, so it carries its own input's type; an Input layer's 'auto' becomes the model's default."""
    moved = []
    while producer is not None and producer.class_name in MOVE_NO_VALUE:
        moved.append(producer)
        producer = producer.get_input_node()
    if producer is None:
        return None
    var = producer.get_output_variable()
    ftype = from_hls4ml(var.type.precision)
    if ftype is None and isinstance(producer, Input):
        default = model.config.model_precision.get('default', 'fixed<16,6>')
        ftype = from_hls4ml(model.config.backend.convert_precision_string(default))
        if ftype is not None:
            var.type.precision = to_hls4ml(ftype)
    if ftype is not None:
        for reshape in moved:
            reshape.get_output_variable().type.precision = to_hls4ml(ftype)
    return ftype


def _input_encoding(model, node):
    """How the node's input is encoded: levels or the codes of a multi-level layer of ours, or a fixed-point type."""
    producer = node.get_input_node()
    source = level_source(model, node)
    if source is not None:
        ir = source.get_attr('ir')
        if ir.output_encoding is not Encoding.FIXED:
            return ir.output_encoding, None
        if ir.output_type is not None:
            return Encoding.FIXED, ir.output_type
    var = node.get_input_variable()
    ftype = from_hls4ml(var.type.precision)
    if ftype is None:
        ftype = _settle_auto_precision(model, producer)
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
    try:
        reuse = model.config.get_reuse_factor(node)
    except Exception:  # hls4ml raises when no ReuseFactor is configured at all: fully parallel is what we build
        reuse = 1
    if reuse != 1:
        raise BinaryConversionError(
            f'layer {node.name!r}: ReuseFactor {reuse} is not supported by the {backend} backend: its integer layers '
            'are fully unrolled (ReuseFactor 1, no multipliers to share); set ReuseFactor: 1 for this layer'
        )
    strategy = str(model.config.get_strategy(node)).lower()
    if strategy != 'latency':
        raise BinaryConversionError(
            f'layer {node.name!r}: Strategy {model.config.get_strategy(node)!r} is not supported by the {backend} '
            'backend: its integer layers are fully unrolled; use Strategy: Latency for this layer'
        )


def block_start(keras_model, node):
    """The Keras layer if ``node`` starts a block this pass folds (or is a MaxPooling it folds), else None."""
    from hlsbinary.frontend.qkeras import BATCHNORMS, POOLS, block_layers, is_integer_dense, is_quantized_activation

    layer = keras_layer_of(keras_model, node.name)
    if layer is None:
        return None
    if node.class_name in ('Dense', 'Conv1D', 'Conv2D'):
        return layer if is_integer_dense(layer) else None
    if type(layer).__name__ in POOLS:
        return layer if level_source(node.model, node) is not None else None
    kind = type(layer).__name__
    if kind not in BATCHNORMS and kind not in ('QActivation', 'Activation'):
        return None
    return layer if is_quantized_activation(block_layers(keras_model, layer).activation) else None


def _warn_partition_limits(model, ops) -> None:
    """Say which arrays of a folded layer exceed hls4ml's MaximumSize: the numbers stay exact, the design would not be
    fully parallel."""
    import warnings

    from hlsbinary.kernel import MAXIMUM_PARTITION, partition_warnings

    io_type = model.config.get_config_value('IOType')
    maximum = int(model.config.get_config_value('MaximumSize', MAXIMUM_PARTITION))
    for op in ops:
        for message in partition_warnings(op, io_type, maximum):
            warnings.warn(message, stacklevel=2)


class FoldIntegerBlocks(OptimizerPass):
    def match(self, node):
        if isinstance(node, IntegerDense | IntegerPool):
            return False
        keras_model = keras_model_of(node.model)
        return keras_model is not None and block_start(keras_model, node) is not None

    def transform(self, model, node):
        from hlsbinary.frontend.qkeras import POOLS, block_layers, fold_block, pool_of

        keras_model = keras_model_of(model)
        _refuse_unhonoured_settings(model, node)
        encoding, ftype = _input_encoding(model, node)
        keras_layer = keras_layer_of(keras_model, node.name)
        try:
            if type(keras_layer).__name__ in POOLS:  # a MaxPooling standing alone on levels
                pool = pool_of(keras_layer, None, encoding, ftype)
                _warn_partition_limits(model, [pool])
                model.replace_node(
                    node, model.make_node(IntegerPool, node.name, {'ir': pool}, list(node.inputs), list(node.outputs))
                )
                return True
            ops = fold_block(
                keras_model,
                node.name,
                encoding,
                ftype,
                integer_scores=bool(_hls_option(model, node, 'IntegerScores')),
                n_features=int(node.get_input_variable().size()),
            )
        except UnsupportedModelError as err:
            raise BinaryConversionError(str(err)) from err
        _warn_partition_limits(model, ops)
        names = block_layers(keras_model, keras_layer).names
        chain = self._chain(model, node, names, keras_model)
        is_output = chain[-1].outputs[0] in model.outputs
        pool_ir = ops[1] if len(ops) > 1 else None
        pool_node = next((n for n in chain if pool_ir is not None and n.name == pool_ir.name), None)
        for folded in chain[1:]:
            if folded is not pool_node:
                model.remove_node(folded)
        attributes = {'ir': ops[0], 'levels_as_values': is_output}
        model.replace_node(node, model.make_node(IntegerDense, node.name, attributes, list(node.inputs), list(node.outputs)))
        if pool_node is not None:
            pooled = model.make_node(
                IntegerPool, pool_node.name, {'ir': pool_ir}, list(pool_node.inputs), list(pool_node.outputs)
            )
            model.replace_node(pool_node, pooled)
        return True

    @staticmethod
    def _chain(model, node, names, keras_model):
        """The hls4ml nodes holding the block, in order: the first, a split-off activation, then the Keras layers
        ``names[1:]`` (MaxPooling, BatchNorm, activation)."""
        chain = [node]
        wanted = list(names[1:])
        nxt = _consumers(model, node)
        # hls4ml splits a QDense's own activation into a node '<dense>_<activation>'; that node is part of the block
        # (folded if the activation is, dropped if linear), whatever class hls4ml gave it.
        from hlsbinary.frontend.qkeras import is_linear, is_quantized_activation

        is_weights = node.class_name in ('Dense', 'Conv1D', 'Conv2D')
        inner = getattr(keras_layer_of(keras_model, node.name), 'activation', None) if is_weights else None
        if (
            len(nxt) == 1
            and nxt[0].name.startswith(node.name + '_')
            and keras_layer_of(keras_model, nxt[0].name) is None
            and (is_linear(inner) or is_quantized_activation(inner))
        ):
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
