"""Each jet observable on hand-made constituent configurations with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from hlsbinary.datasets import JET_FEATURES
from hlsbinary.datasets.jet_observables import (
    cambridge_aachen,
    energy_correlators,
    jet_features,
    mass,
    mmdt_constituents,
    mmdt_constituents_fastjet,
    pt_y_phi,
)


def massless(pt, y, phi):
    """Four-momenta (px, py, pz, E) of massless particles."""
    pt, y, phi = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (pt, y, phi))
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(y), pt * np.cosh(y)], axis=1)


def feature(p4, name):
    return jet_features(p4)[JET_FEATURES.index(name)]


def test_kinematics_round_trip():
    p4 = massless([500, 20], [0.3, -1.2], [3.0, -3.1])
    pt, y, phi = pt_y_phi(p4)
    np.testing.assert_allclose(pt, [500, 20])
    np.testing.assert_allclose(y, [0.3, -1.2])
    np.testing.assert_allclose(phi, [3.0, -3.1])


def test_two_body_mass_is_exact():
    p4 = massless([400, 300], [0.1, -0.05], [0.2, 0.35])
    expected = np.sqrt(2 * 400 * 300 * (np.cosh(0.15) - np.cos(0.15)))
    assert mass(p4) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize('beta', [1.0, 2.0])
def test_two_equal_prongs(beta):
    """z = 1/2 each at distance R: e2 = R^b / 4, every three-point correlator vanishes."""
    R = 0.4
    p4 = massless([300, 300], [0, R], [0, 0])
    ecf = energy_correlators(*pt_y_phi(p4), beta)
    assert ecf['e2'] == pytest.approx(R**beta / 4)
    assert ecf['e3'] == ecf['1e3'] == ecf['2e3'] == 0
    assert feature(p4, 'j_c1_b0_mmdt') == pytest.approx(0.25)
    assert feature(p4, f'j_c1_b{int(beta)}_mmdt') == pytest.approx(R**beta / 4)
    assert feature(p4, f'j_d2_b{int(beta)}_mmdt') == 0 and feature(p4, f'j_n2_b{int(beta)}_mmdt') == 0


@pytest.mark.parametrize('beta', [1.0, 2.0])
def test_equilateral_three_prongs(beta):
    """Three equal prongs on an equilateral triangle of side R: D2 = 1, C2 = R^b / 3, M2 = 1/9, N2 = 1/3."""
    R = 0.3
    angles = np.array([0, 2 * np.pi / 3, 4 * np.pi / 3])
    centre = R / np.sqrt(3)  # circumradius
    p4 = massless([200, 200, 200], centre * np.cos(angles), centre * np.sin(angles))
    ecf = energy_correlators(*pt_y_phi(p4), beta)
    assert ecf['e2'] == pytest.approx(R**beta / 3, rel=1e-9)
    assert ecf['e3'] == pytest.approx(R ** (3 * beta) / 27, rel=1e-9)
    b = int(beta)
    assert feature(p4, f'j_d2_b{b}_mmdt') == pytest.approx(1.0, rel=1e-9)
    assert feature(p4, f'j_c2_b{b}_mmdt') == pytest.approx(R**beta / 3, rel=1e-9)
    assert feature(p4, f'j_m2_b{b}_mmdt') == pytest.approx(1 / 9, rel=1e-9)
    assert feature(p4, f'j_n2_b{b}_mmdt') == pytest.approx(1 / 3, rel=1e-9)
    # D2 with alpha = 1: e3^(1) / e2^(b)^(3/b)
    expected = (R**3 / 27) / (R**beta / 3) ** (3 / beta)
    assert feature(p4, f'j_d2_a1_b{b}_mmdt') == pytest.approx(expected, rel=1e-9)


def test_zlogz_and_multiplicity():
    n = 7
    p4 = massless(np.full(n, 50.0), np.zeros(n), np.linspace(-0.2, 0.2, n))  # equal energies
    assert feature(p4, 'j_zlogz') == pytest.approx(-np.log(n))
    assert feature(p4, 'j_multiplicity') == n


def test_zlogz_takes_energy_fractions_as_the_public_set():
    """Two particles of equal pT at different rapidities: z = E_i / E_jet (anaSubstructure.cpp), not pT_i / pT_jet."""
    p4 = massless([100.0, 100.0], [0.0, 0.5], [0.0, 0.1])
    z = p4[:, 3] / p4[:, 3].sum()
    assert feature(p4, 'j_zlogz') == pytest.approx(np.sum(z * np.log(z)), rel=1e-12)
    assert feature(p4, 'j_zlogz') != pytest.approx(np.log(0.5), rel=1e-3)


def test_ca_merges_closest_pairs_first():
    # two tight pairs far apart: each pair merges before the pairs join
    p4 = massless([100, 90, 80, 70], [0.0, 0.01, 0.5, 0.52], [0, 0, 0, 0])
    history = cambridge_aachen(p4)
    assert [(a, b) for a, b, _ in history[:2]] == [(0, 1), (2, 3)]
    assert history[-1][2] == 6


def test_mmdt_drops_soft_wide_radiation_and_keeps_hard_prongs():
    prongs = massless([300, 250], [0.0, 0.3], [0.0, 0.0])
    soft = massless([5.0], [0.6], [0.5])  # z ~ 0.009, at the widest angle: declustered first, dropped
    p4 = np.vstack([prongs, soft])
    np.testing.assert_array_equal(mmdt_constituents(p4), [0, 1])
    assert feature(p4, 'j_mass_mmdt') == pytest.approx(mass(prongs))
    assert feature(p4, 'j_multiplicity') == 3  # multiplicity counts the ungroomed jet
    # an asymmetric prong below z_cut is groomed away too, leaving one particle: every ratio is 0
    lopsided = massless([300, 20], [0.0, 0.3], [0.0, 0.0])
    np.testing.assert_array_equal(mmdt_constituents(lopsided), [0])
    assert feature(lopsided, 'j_mass_mmdt') == 0 and feature(lopsided, 'j_c2_b1_mmdt') == 0


def test_invariances(rng):
    """Rotations in azimuth, boosts along the beam and a common pT scale leave the shapes unchanged."""
    n = 25
    pt, y, phi = rng.exponential(40, n) + 1, rng.normal(0, 0.25, n), rng.normal(0, 0.25, n)
    base = jet_features(massless(pt, y, phi))
    moved = jet_features(massless(3 * pt, y + 0.7, phi + 2.0))
    # zlogz takes energy fractions (as the public set): invariant under rotations and scale, not under boosts
    shapes = [i for i, name in enumerate(JET_FEATURES) if name not in ('j_mass_mmdt', 'j_zlogz')]
    np.testing.assert_allclose(moved[shapes], base[shapes], rtol=1e-9, atol=1e-12)
    assert moved[JET_FEATURES.index('j_mass_mmdt')] == pytest.approx(3 * base[JET_FEATURES.index('j_mass_mmdt')])
    turned = jet_features(massless(3 * pt, y, phi + 2.0))
    assert turned[JET_FEATURES.index('j_zlogz')] == pytest.approx(base[JET_FEATURES.index('j_zlogz')], rel=1e-9)


@pytest.mark.parametrize('beta', [1.0, 2.0])
def test_collinear_three_prongs_separate_min_and_two_smallest(beta):
    """Equal prongs at rapidities 0, a, a + b: the sides are a < b < a + b, so 1e3 takes a^b and 2e3 (ab)^b."""
    a, b = 0.1, 0.3
    p4 = massless([100, 100, 100], [0, a, a + b], [0, 0, 0])
    e2 = (a**beta + b**beta + (a + b) ** beta) / 9
    e3 = (a * b * (a + b)) ** beta / 27
    k = int(beta)
    assert feature(p4, f'j_c1_b{k}_mmdt') == pytest.approx(e2, rel=1e-9)
    assert feature(p4, f'j_m2_b{k}_mmdt') == pytest.approx(a**beta / 27 / e2, rel=1e-9)
    assert feature(p4, f'j_n2_b{k}_mmdt') == pytest.approx((a * b) ** beta / 27 / e2**2, rel=1e-9)
    assert feature(p4, f'j_c2_b{k}_mmdt') == pytest.approx(e3 / e2**2, rel=1e-9)
    assert feature(p4, f'j_d2_b{k}_mmdt') == pytest.approx(e3 / e2**3, rel=1e-9)


def test_ca_equals_brute_force_clustering(rng):
    """The incremental C/A gives the same clusters as re-clustering from scratch at every step."""

    def brute(p4):
        momenta, active, merges = list(p4), list(range(len(p4))), []
        while len(active) > 1:
            _, y, phi = pt_y_phi(np.array([momenta[i] for i in active]))
            d = np.hypot(y[:, None] - y[None, :], np.mod(phi[:, None] - phi[None, :] + np.pi, 2 * np.pi) - np.pi)
            np.fill_diagonal(d, np.inf)
            a, b = np.unravel_index(np.argmin(d), d.shape)
            ia, ib = active[min(a, b)], active[max(a, b)]
            momenta.append(momenta[ia] + momenta[ib])
            merges.append((ia, ib))
            active = [i for i in active if i not in (ia, ib)] + [len(momenta) - 1]
        return merges

    def clusters(merges, n):
        members = {i: frozenset([i]) for i in range(n)}
        for k, (a, b) in enumerate(merges):
            members[n + k] = members[a] | members[b]
        return {members[n + k] for k in range(len(merges))}

    for _ in range(20):
        n = int(rng.integers(2, 60))
        p4 = massless(rng.exponential(30, n) + 1, rng.normal(0, 0.3, n), rng.normal(0, 0.3, n))
        fast = [(a, b) for a, b, _ in cambridge_aachen(p4)]
        assert clusters(fast, n) == clusters(brute(p4), n)


def test_fastjet_grooming_equals_the_numpy_one(rng):
    """The generator grooms with FastJet's C/A (10x faster): the same mMDT constituents, hence the same features,
    on random jets of every size, including two-particle and one-particle jets."""
    pytest.importorskip('fastjet', reason='the generator extra (fastjet) is not installed')
    for n in [1, 2, 3, *rng.integers(4, 150, 60)]:
        p4 = massless(rng.exponential(20, n) + 0.3, rng.normal(0, 0.25, n), rng.normal(0, 0.25, n))
        np.testing.assert_array_equal(mmdt_constituents_fastjet(p4), mmdt_constituents(p4))
        np.testing.assert_array_equal(jet_features(p4, groom=mmdt_constituents_fastjet), jet_features(p4))
