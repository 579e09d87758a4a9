"""The Pythia 8 + FastJet generator: reproducible, each class what it claims, jets in the public set's window.

Every test here skips, with its reason, where the generator extra (``pythia8mc``, ~40 min to build; ``fastjet``) is
absent.  :func:`constituent_array` needs neither.
"""

from __future__ import annotations

import numpy as np
import pytest

from hlsbinary.datasets import JET_FEATURES
from hlsbinary.datasets.generate import (
    ETA_MAX,
    N_CONSTITUENTS,
    PROCESSES,
    PT_MAX,
    PT_MIN,
    PT_PARTON,
    constituent_array,
    settings,
)

MASS = JET_FEATURES.index('j_mass_mmdt')


def needs_generator():
    pytest.importorskip('pythia8mc', reason='the generator extra (pythia8mc builds for ~40 min) is not installed')
    pytest.importorskip('fastjet', reason='the generator extra (fastjet) is not installed')


def test_constituent_array_is_relative_sorted_and_padded():
    pt, eta, phi = np.array([10.0, 300.0, 50.0]), np.array([0.1, 0.0, -0.2]), np.array([3.1, -3.1, 3.0])
    p4 = np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)], axis=1)
    out = constituent_array(p4, jet_pt=360.0, jet_eta=0.0, jet_phi=-3.1)
    assert out.shape == (N_CONSTITUENTS, 3) and out.dtype == np.float16
    np.testing.assert_allclose(out[:3, 0], [300 / 360, 50 / 360, 10 / 360], rtol=1e-3)  # leading first
    np.testing.assert_allclose(out[:3, 1], [0.0, -0.2, 0.1], atol=1e-3)
    np.testing.assert_allclose(out[:3, 2], [0.0, 6.1 - 2 * np.pi, 6.2 - 2 * np.pi], atol=2e-3)  # wrapped across pi
    assert not out[3:].any()


def test_generator_is_reproducible_and_physical():
    """W jets: the same seed gives the same jets (with or without the detector); the groomed mass sits at the W's."""
    needs_generator()
    from hlsbinary.datasets.generate import generate_chunk

    a = generate_chunk('W', 6, seed=5)
    b = generate_chunk('W', 6, seed=5)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.features.shape == (6, 16) and a.kinematics.shape == (6, 3) and a.constituents.shape == (6, N_CONSTITUENTS, 3)
    assert 65 < np.median(a.features[:, MASS]) < 95
    assert np.all((PT_MIN <= a.kinematics[:, 0]) & (a.kinematics[:, 0] <= PT_MAX) & (np.abs(a.kinematics[:, 1]) < ETA_MAX))
    assert np.all(a.kinematics[:, 2] >= a.features[:, MASS] - 1e-3)  # grooming only removes mass
    c = generate_chunk('W', 6, seed=5, detector='cms')
    np.testing.assert_array_equal(c.features, generate_chunk('W', 6, seed=5, detector='cms').features)
    assert not np.array_equal(c.features, a.features)


def test_resonances_are_vetoed_into_the_parton_window():
    """Hard-process W, Z and tops: pT in the public set's MadGraph window, decays to quarks only."""
    needs_generator()
    from hlsbinary.datasets.generate import _pythia

    for label, (lo, hi) in (('W', PT_PARTON), ('Z', PT_PARTON), ('t', PT_PARTON)):
        pythia, _hook = _pythia(label, seed=3, extra=('PartonLevel:all = off',))  # the hard process suffices
        for _ in range(20):
            assert pythia.next()
            process = pythia.process
            objects = [process[i] for i in range(process.size()) if process[i].idAbs() in PROCESSES[label].truth]
            assert objects and any(lo <= o.pT() <= hi for o in objects)
            leptons = [process[i] for i in range(process.size()) if 11 <= process[i].idAbs() <= 16]
            assert not leptons


def test_settings_name_every_class():
    for label in PROCESSES:
        lines = settings(label, seed=42)
        assert 'Random:seed = 42' in lines and 'Beams:eCM = 13000.0' in lines
    assert f'PhaseSpace:pTHatMin = {PT_PARTON[0]}' in settings('g', 1)
