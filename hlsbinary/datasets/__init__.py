"""Data sets: the hls4ml LHC jet data and MNIST, each from a bundled offline copy, the network, or a local file.

Every loader returns a :class:`Dataset` (NumPy arrays; labels as integer class indices).  Nothing heavy is
imported until a loader runs.  Downloads are cached under ``$HLSBINARY_DATA`` (default
``~/.cache/hlsbinary/data``); offline and uncached, a loader raises :class:`DatasetUnavailable` naming the
alternatives.
"""

from __future__ import annotations

from hlsbinary.datasets.base import Dataset, DatasetUnavailable, data_dir
from hlsbinary.datasets.jets import JET_CLASSES, JET_FEATURES, load_jet_constituents, load_jets
from hlsbinary.datasets.mnist import load_mnist

DATASETS = {
    'jets': ('hls4ml LHC jets, 16 high-level features, 5 classes', ('bundled', 'openml', '<path>'), load_jets),
    'jet_constituents': (
        'the same jets as 30 leading constituents (pT/pT_jet, deta, dphi) x 3 = 90 inputs, 5 classes',
        ('bundled', '<path to a generator .npz>'),
        load_jet_constituents,
    ),
    'mnist': ('MNIST handwritten digits, 784 pixels, 10 classes', ('bundled', 'keras', 'openml', '<path>'), load_mnist),
}

__all__ = [
    'DATASETS',
    'Dataset',
    'DatasetUnavailable',
    'JET_CLASSES',
    'JET_FEATURES',
    'data_dir',
    'load_jet_constituents',
    'load_jets',
    'load_mnist',
]
