"""The ``VivadoBinary`` and ``VitisBinary`` backends: the parent's flows with the binary fold in front."""

from __future__ import annotations

import inspect
import os

from hls4ml.backends import VitisBackend, VivadoBackend
from hls4ml.backends.fpga.fpga_backend import FPGABackend
from hls4ml.model.flow import get_flow, register_flow
from hls4ml.model.optimizer import extract_optimizers_from_path

NNET_UTILS = os.path.join(os.path.dirname(__file__), 'nnet_utils')


class _BinaryMixin:
    """Shared by both backends: our passes, templates and sources, and the flow that runs them first.

    ``parent_flow_prefix`` is the parent's flow namespace ('vivado' or 'vitis').
    """

    parent_flow_prefix = 'vivado'

    def _init_file_optimizers(self):
        # Only this plugin's passes: the parent's are already registered under the parent's name and run
        # through the parent's flows, which we reuse unchanged.
        here = os.path.dirname(inspect.getfile(_BinaryMixin))
        return extract_optimizers_from_path(os.path.join(here, 'passes'), __package__ + '.passes', self)

    def compile(self, model):
        """hls4ml's ``compile``, with g++ bound to this process (it dies if Python is killed)."""
        from pathlib import Path

        from hlsbinary.hls_project import build_library

        return str(build_library(model, Path(model.config.get_output_dir())))

    def _register_binary(self):
        for source in sorted(os.listdir(NNET_UTILS)):
            self.register_source(os.path.join(NNET_UTILS, source))
        fold_flow = register_flow(
            'fold_binary',
            [f'{self.name.lower()}:{name}' for name in ('refuse_unfolded_kernels', 'fold_integer_blocks', 'refuse_inexact')],
            requires=[],
            backend=self.name,
        )
        template_flow = register_flow('apply_templates', self._get_layer_templates, requires=[], backend=self.name)
        requirements = [fold_flow, *get_flow(f'{self.parent_flow_prefix}:ip').requires]
        requirements.insert(requirements.index('vivado:apply_templates'), template_flow)
        self._default_flow = register_flow('ip', None, requires=requirements, backend=self.name)
        self._writer_flow = register_flow(
            'write', ['make_stamp', f'{self.name.lower()}:write_hls'], requires=[self._default_flow], backend=self.name
        )


class VivadoBinaryBackend(_BinaryMixin, VivadoBackend):
    """Vivado HLS backend with exact binary/ternary Dense layers; every other layer as in ``Vivado``."""

    parent_flow_prefix = 'vivado'

    def __init__(self):
        FPGABackend.__init__(self, 'VivadoBinary')
        self._register_layer_attributes()
        self._register_binary()


class VitisBinaryBackend(_BinaryMixin, VitisBackend):
    """Vitis HLS backend with exact binary/ternary Dense layers; every other layer as in ``Vitis``."""

    parent_flow_prefix = 'vitis'

    def __init__(self):
        FPGABackend.__init__(self, 'VitisBinary')
        self._register_layer_attributes()
        self._register_binary()
