"""hls4ml plugin: registers the ``VivadoBinary`` and ``VitisBinary`` backends.

Loaded by hls4ml through the ``hls4ml.backends`` entry point while ``import hls4ml`` runs, so
everything here avoids importing ``hls4ml.converters`` and TensorFlow.  QKeras objects are registered
with Keras when Keras is imported (see :mod:`hlsbinary.hls4ml_plugin.keras_hook`).
"""

from __future__ import annotations

BACKENDS = ('VivadoBinary', 'VitisBinary')


def register(register_backend=None, register_writer=None) -> None:
    """Register writers, backends, the layer type and the Keras objects; harmless to call twice."""
    from hls4ml.backends.backend import backend_map
    from hls4ml.backends.backend import register_backend as _register_backend
    from hls4ml.model.layers import layer_map, register_layer
    from hls4ml.writer.vitis_writer import VitisWriter
    from hls4ml.writer.vivado_writer import VivadoWriter
    from hls4ml.writer.writers import register_writer as _register_writer
    from hls4ml.writer.writers import writer_map

    from hlsbinary.hls4ml_plugin.layer import IntegerDense, IntegerPool
    from hlsbinary.keras_hook import register_keras_objects_on_import

    register_backend = register_backend or _register_backend
    register_writer = register_writer or _register_writer
    for name, cls in (('IntegerDense', IntegerDense), ('IntegerPool', IntegerPool)):
        if name not in layer_map:
            register_layer(name, cls)
    from hlsbinary.hls4ml_plugin.backends import VitisBinaryBackend, VivadoBinaryBackend

    for name, writer, backend in (
        ('VivadoBinary', VivadoWriter, VivadoBinaryBackend),
        ('VitisBinary', VitisWriter, VitisBinaryBackend),
    ):
        if name not in writer_map:
            register_writer(name, writer)
        if name.lower() not in backend_map:
            register_backend(name, backend)
    register_keras_objects_on_import()
