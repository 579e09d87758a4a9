"""Register QKeras objects with Keras as soon as Keras is loaded, in any import order, without importing it ourselves.

``keras.models.load_model('model.h5')`` needs every QKeras layer and quantizer registered (``hls4ml convert -c`` calls
it before any backend code runs).  Importing TensorFlow from ``import hlsbinary`` or from the hls4ml plugin would add
seconds to every start, so instead a meta-path hook watches the import of ``keras`` and ``tensorflow``: when the
outermost of those imports has finished (TensorFlow imports Keras from its ``__init__`` and the other way round,
and QKeras needs both complete), the objects are registered.  If Keras is already loaded, they are registered now.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

WATCHED = ('keras', 'tensorflow')
_depth = 0


def _register_now() -> None:
    from hlsbinary.frontend.keras_objects import register_keras_objects

    register_keras_objects()


class _LoaderWrapper(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        global _depth
        _depth += 1
        try:
            self._loader.exec_module(module)
        finally:
            _depth -= 1
        if _depth == 0 and 'keras' in sys.modules and 'tensorflow' in sys.modules:
            _uninstall()
            _register_now()


class _KerasImportHook(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in WATCHED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)  # PathFinder never consults sys.meta_path
        if spec is not None and spec.loader is not None and not isinstance(spec.loader, _LoaderWrapper):
            spec.loader = _LoaderWrapper(spec.loader)
        return spec


def _uninstall() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _KerasImportHook)]


def register_keras_objects_on_import() -> None:
    """Register now if Keras is loaded (and no Keras/TensorFlow import is under way), else once it is (idempotent)."""
    if 'keras' in sys.modules and 'tensorflow' in sys.modules and _depth == 0:
        _register_now()
        return
    if not any(isinstance(finder, _KerasImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _KerasImportHook())
