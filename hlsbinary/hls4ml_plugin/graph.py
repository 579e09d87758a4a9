"""Read the integer IR back out of an hls4ml model the plugin converted."""

from __future__ import annotations

from hlsbinary.hls4ml_plugin.layer import IntegerDense, IntegerPool
from hlsbinary.ir import Network

PASS_THROUGH = ('Input', 'Reshape', 'Flatten')  # layers that move no value


def network_from_hls4ml(hls_model) -> Network:
    """The :class:`Network` an hls4ml model (VivadoBinary/VitisBinary backend) computes.

    Every node must be a folded binary/ternary block or a pass-through; a node left on hls4ml's standard
    path (e.g. a ``quantized_bits`` first layer or a softmax) raises an error naming it.
    """
    layers = []
    for node in hls_model.graph.values():
        if isinstance(node, IntegerDense | IntegerPool):
            layers.append(node.get_attr('ir'))
        elif node.class_name not in PASS_THROUGH:
            raise ValueError(
                f"layer {node.name!r} ({node.class_name}) of the hls4ml model is on hls4ml's standard path, which "
                'hlsbinary does not emulate; only models made entirely of folded blocks (QDense(quantized kernel) '
                '[-> BatchNormalization] [-> quantized activation]) can be emulated. Use hls_model.predict for it.'
            )
    if not layers:
        raise ValueError(
            'the hls4ml model has no layer converted by the hlsbinary plugin (backend VivadoBinary/VitisBinary)'
        )
    return Network(layers=tuple(layers), input_type=layers[0].input_type, name=hls_model.config.get_project_name())
