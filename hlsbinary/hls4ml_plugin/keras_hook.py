"""Register QKeras objects with Keras as soon as Keras is imported, without importing it ourselves.

``hls4ml convert -c config.yml`` with ``KerasModel: model.h5`` calls ``keras.models.load_model`` before
any backend code runs, so the objects must be registered by then; importing TensorFlow from the plugin
would instead add about 3 s to every ``import hls4ml``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

_TRIGGER = 'keras'


def _register_now() -> None:
    from hlsbinary.frontend.keras_objects import register_keras_objects

    register_keras_objects()


class _LoaderWrapper(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _register_now()


class _KerasImportHook(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != _TRIGGER:
            return None
        sys.meta_path.remove(self)  # fire once; also keeps the lookup below from finding us
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoaderWrapper(spec.loader)
        return spec


def register_keras_objects_on_import() -> None:
    """Register now if Keras is loaded, else once it is (idempotent)."""
    if _TRIGGER in sys.modules:
        _register_now()
        return
    if not any(isinstance(finder, _KerasImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _KerasImportHook())
