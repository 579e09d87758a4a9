"""The parametric detector: cells conserve energy, resolutions have their stated size, a seed reproduces it."""

from __future__ import annotations

import numpy as np
import pytest

from hlsbinary.datasets.detector import DETECTORS, Detector, detector, respond


def massless(e, eta, phi):
    e, eta, phi = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (e, eta, phi))
    pt = e / np.cosh(eta)
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), e], axis=1)


def eta_phi(p4):
    pt = np.hypot(p4[:, 0], p4[:, 1])
    return np.arcsinh(p4[:, 2] / pt), np.arctan2(p4[:, 1], p4[:, 0])


EXACT = Detector(
    'exact', track_a=0, track_b=0, ecal_stochastic=0, ecal_noise=0, ecal_constant=0, hcal_stochastic=0, hcal_constant=0
)


def test_particle_level_is_the_identity(rng):
    p4 = massless(rng.uniform(1, 100, 20), rng.normal(0, 1, 20), rng.uniform(-3, 3, 20))
    out = respond(p4, rng.integers(-1, 2, 20), rng.random(20) < 0.3, detector('none'), rng)
    np.testing.assert_array_equal(out, p4)
    with pytest.raises(ValueError, match="known: \\['cms', 'none'\\]"):
        detector('atlas')


def test_cells_sum_energies_and_sit_at_cell_centres():
    """Two photons in one ECAL crystal and a neutral hadron pair in one HCAL tower merge; a track never does."""
    p4 = massless([10.0, 5.0, 20.0, 30.0, 40.0], [0.090, 0.095, 0.50, 0.52, 0.3], [0.201, 0.203, 1.0, 1.03, 0.2])
    charge = np.array([0, 0, 0, 0, 1])
    photon = np.array([True, True, False, False, False])
    out = respond(p4, charge, photon, EXACT, np.random.default_rng(0))
    assert len(out) == 3  # the track, one ECAL cell, one HCAL tower
    np.testing.assert_allclose(out[0], p4[4])
    assert out[1, 3] == pytest.approx(15.0) and out[2, 3] == pytest.approx(50.0)
    eta, phi = eta_phi(out[1:])
    size = EXACT.ecal_cell
    assert eta[0] == pytest.approx((np.floor(0.090 / size) + 0.5) * size)
    step = 2 * np.pi / round(2 * np.pi / EXACT.hcal_cell)
    assert phi[1] == pytest.approx((np.floor((1.0 + np.pi) / step) + 0.5) * step - np.pi)
    np.testing.assert_allclose(out[:, 3].sum(), p4[:, 3].sum())  # no resolution: energy conserved


@pytest.mark.parametrize('kind', ['track', 'photon', 'hadron'])
def test_resolutions_have_the_stated_width(kind):
    """100 GeV particles at eta = 0, one per event (nothing merges): the relative spread is the stated sigma/E."""
    n, e = 5000, 100.0
    rng = np.random.default_rng(1)
    det = DETECTORS['cms']
    p4 = massless(np.full(n, e), np.zeros(n), rng.uniform(-3, 3, n))
    charge, photon = np.array([1 if kind == 'track' else 0]), np.array([kind == 'photon'])
    ratio = np.concatenate([respond(p4[i : i + 1], charge, photon, det, rng)[:, 3] for i in range(n)]) / e
    expected = {
        'track': np.hypot(det.track_a * e, det.track_b),
        'photon': np.sqrt((det.ecal_stochastic / np.sqrt(e)) ** 2 + (det.ecal_noise / e) ** 2 + det.ecal_constant**2),
        'hadron': np.hypot(det.hcal_stochastic / np.sqrt(e), det.hcal_constant),
    }[kind]
    assert abs(ratio.mean() - 1) < 4 * expected / np.sqrt(n)
    assert ratio.std() == pytest.approx(expected, rel=0.03)


def test_a_seed_reproduces_the_response(rng):
    p4 = massless(rng.uniform(1, 100, 50), rng.normal(0, 0.3, 50), rng.normal(0, 0.3, 50))
    charge, photon = rng.integers(-1, 2, 50), rng.random(50) < 0.5
    a = respond(p4, charge, photon, DETECTORS['cms'], np.random.default_rng(7))
    b = respond(p4, charge, photon, DETECTORS['cms'], np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, respond(p4, charge, photon, DETECTORS['cms'], np.random.default_rng(8)))
