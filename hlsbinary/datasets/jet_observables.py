"""The 16 high-level features of the hls4ml jet data, computed from a jet's constituents (pure NumPy).

Constituents are four-momenta ``(px, py, pz, E)``.  With ``z_i = pT_i / sum_j pT_j`` and ``R_ij`` the distance in
rapidity and azimuth, the energy correlation functions (Larkoski, Salam, Thaler, JHEP 06 (2013) 108; Moult,
Necib, Thaler, JHEP 12 (2016) 153) are

* ``e2^(b) = sum_{i<j} z_i z_j R_ij^b``, ``e3^(b) = sum_{i<j<k} z_i z_j z_k (R_ij R_ik R_jk)^b``;
* ``1e3^(b)`` and ``2e3^(b)``: the same triple sum with, instead of the product of the three ``R^b``, the
  smallest one, or the product of the two smallest;

and the ratios ``C1^(b) = e2^(b)``, ``C2^(b) = e3^(b) / e2^(b)^2``, ``D2^(b) = e3^(b) / e2^(b)^3``,
``D2^(a,b) = e3^(a) / e2^(b)^(3a/b)``, ``M2^(b) = 1e3^(b) / e2^(b)``, ``N2^(b) = 2e3^(b) / e2^(b)^2``
(0 where the denominator is 0: a one-particle jet).  They are evaluated on the jet groomed by the modified
mass-drop tagger (mMDT: soft drop with ``beta = 0``, ``z_cut = 0.1``, on the Cambridge/Aachen history), as the
``_mmdt`` suffix of the feature names says; ``j_zlogz`` and ``j_multiplicity`` use the whole jet.

As in the code that made the public data set (``anaSubstructure.cpp`` of ``nhanvtran/trackObservables``, FastJet
contrib's ``EnergyCorrelator`` with the ``pt_R`` measure and ``SoftDrop(0, 0.1)``), the correlators weight by
``pT`` fractions and angles in rapidity and azimuth, while ``j_zlogz = sum_i z_i log z_i`` takes ENERGY fractions
``z_i = E_i / E_jet`` (not ``pT`` fractions): unlike the other shapes it changes under a boost along the beam.
"""

from __future__ import annotations

import numpy as np

from hlsbinary.datasets.jets import JET_FEATURES

Z_CUT = 0.1


def pt_y_phi(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transverse momentum, rapidity and azimuth of four-momenta ``(px, py, pz, E)``."""
    p4 = np.asarray(p4, dtype=np.float64).reshape(-1, 4)
    px, py, pz, e = p4.T
    pt = np.hypot(px, py)
    y = 0.5 * np.log(np.maximum(e + pz, 1e-300) / np.maximum(e - pz, 1e-300))
    return pt, y, np.arctan2(py, px)


def delta_r(y1, phi1, y2, phi2) -> np.ndarray:
    """``sqrt(dy^2 + dphi^2)`` with ``dphi`` wrapped into ``[-pi, pi]``."""
    dphi = np.mod(np.asarray(phi1) - np.asarray(phi2) + np.pi, 2 * np.pi) - np.pi
    return np.hypot(np.asarray(y1) - np.asarray(y2), dphi)


def mass(p4: np.ndarray) -> float:
    """Invariant mass of the summed four-momenta (0 if the square is negative by rounding)."""
    px, py, pz, e = np.asarray(p4, dtype=np.float64).reshape(-1, 4).sum(axis=0)
    return float(np.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0)))


def cambridge_aachen(p4: np.ndarray) -> list[tuple[int, int, int]]:
    """The Cambridge/Aachen clustering history: merges ``(a, b, new)`` of pseudojet indices, closest pair first.

    Pseudojets ``0..n-1`` are the constituents; merge ``k`` creates pseudojet ``n + k`` (E-scheme: four-momenta
    add).  All particles end in one jet (radius larger than the jet's).  The distance matrix is updated, not
    recomputed, after each merge.
    """
    p4 = np.asarray(p4, dtype=np.float64).reshape(-1, 4)
    n = len(p4)
    if n < 2:
        return []
    momenta = np.zeros((2 * n - 1, 4))
    momenta[:n] = p4
    _, y, phi = pt_y_phi(p4)
    slot = np.arange(n)  # pseudojet index held by each row of the distance matrix
    d = delta_r(y[:, None], phi[:, None], y[None, :], phi[None, :])
    np.fill_diagonal(d, np.inf)
    history = []
    for step in range(n - 1):
        a, b = np.unravel_index(np.argmin(d), d.shape)
        a, b = min(a, b), max(a, b)
        ia, ib, new = int(slot[a]), int(slot[b]), n + step
        momenta[new] = momenta[ia] + momenta[ib]
        history.append((min(ia, ib), max(ia, ib), new))
        _, ny, nphi = pt_y_phi(momenta[new])
        slot[a] = new  # the merged pseudojet takes row a; row b retires
        d[b, :] = d[:, b] = np.inf
        alive = np.isfinite(d[:, a]) | (np.arange(n) == a)
        alive[a] = False
        row = np.full(n, np.inf)
        _, ys, phis = pt_y_phi(momenta[slot[alive]])
        row[alive] = delta_r(ny, nphi, ys, phis)
        d[a, :] = d[:, a] = row
    return history


def mmdt_constituents(p4: np.ndarray, z_cut: float = Z_CUT) -> np.ndarray:
    """Indices of the constituents kept by mMDT: undo the C/A history from the top; while the softer branch
    carries less than ``z_cut`` of the pair's pT, drop it and follow the harder one."""
    p4 = np.asarray(p4, dtype=np.float64).reshape(-1, 4)
    n = len(p4)
    if n < 2:
        return np.arange(n)
    history = cambridge_aachen(p4)
    children = {new: (a, b) for a, b, new in history}
    momenta = {i: p4[i] for i in range(n)}
    for a, b, new in history:
        momenta[new] = momenta[a] + momenta[b]
    node = history[-1][2]
    while node in children:
        a, b = children[node]
        pta, ptb = np.hypot(*momenta[a][:2]), np.hypot(*momenta[b][:2])
        if min(pta, ptb) / (pta + ptb) > z_cut:
            break
        node = a if pta >= ptb else b
    leaves, stack = [], [node]
    while stack:
        k = stack.pop()
        if k in children:
            stack.extend(children[k])
        else:
            leaves.append(k)
    return np.sort(np.array(leaves, dtype=np.int64))


def mmdt_constituents_fastjet(p4: np.ndarray, z_cut: float = Z_CUT) -> np.ndarray:
    """:func:`mmdt_constituents` with FastJet's C/A clustering (about ten times faster; the same constituents:
    ``tests/test_jet_observables.py`` compares the two).  Needs the ``fastjet`` package."""
    import fastjet

    p4 = np.asarray(p4, dtype=np.float64).reshape(-1, 4)
    if len(p4) < 2:
        return np.arange(len(p4))
    particles = []
    for i, row in enumerate(p4.tolist()):
        particle = fastjet.PseudoJet(*row)
        particle.set_user_index(i)
        particles.append(particle)
    # a radius beyond any distance in (y, phi): everything ends in one jet, as in cambridge_aachen
    sequence = fastjet.ClusterSequence(particles, fastjet.JetDefinition(fastjet.cambridge_algorithm, 1000.0))
    (node,) = sequence.inclusive_jets()
    while True:
        a, b = fastjet.PseudoJet(), fastjet.PseudoJet()
        if not node.has_parents(a, b):
            break
        pta, ptb = a.pt(), b.pt()
        if min(pta, ptb) / (pta + ptb) > z_cut:
            break
        node = a if pta >= ptb else b
    return np.sort(np.array([c.user_index() for c in node.constituents()], dtype=np.int64))


def _triples(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``i < j < k`` below ``n``, in lexicographic order (built from the pairs, without an ``n^3`` grid)."""
    i, j = np.triu_indices(n, 1)
    count = n - 1 - j  # the k > j of each pair
    start = np.cumsum(count) - count
    total = int(count.sum())
    k = np.repeat(j + 1 - start, count) + np.arange(total)
    return np.repeat(i, count).astype(np.intp), np.repeat(j, count).astype(np.intp), k.astype(np.intp)


def _correlators(pt: np.ndarray, y: np.ndarray, phi: np.ndarray, betas: tuple[float, ...]) -> dict[float, dict[str, float]]:
    """``e2, e3, 1e3, 2e3`` at each angular exponent in ``betas`` (``beta > 0``).  ``R^beta`` is monotone in ``R``,
    so the smallest angle of a triple, the two smallest and the product are found once on ``R`` and raised to each
    ``beta`` (half the work of one pass per ``beta``)."""
    z = pt / pt.sum()
    r = delta_r(y[:, None], phi[:, None], y[None, :], phi[None, :])
    i, j = np.triu_indices(len(z), 1)
    zz, rr = z[i] * z[j], r[i, j]
    if len(z) < 3:
        return {b: {'e2': float(np.sum(zz * rr**b)), 'e3': 0.0, '1e3': 0.0, '2e3': 0.0} for b in betas}
    i, j, k = _triples(len(z))
    w = z[i] * z[j] * z[k]
    a, b_, c = r[i, j], r[i, k], r[j, k]
    smallest = np.minimum(np.minimum(a, b_), c)
    largest = np.maximum(np.maximum(a, b_), c)
    product = a * b_ * c
    two_smallest = np.divide(product, largest, out=np.zeros_like(product), where=largest > 0)

    def power(x, beta):  # exact for the integer exponents the features use
        return x if beta == 1 else x * x if beta == 2 else x**beta

    return {
        beta: {
            'e2': float(np.sum(zz * power(rr, beta))),
            'e3': float(np.sum(w * power(product, beta))),
            '1e3': float(np.sum(w * power(smallest, beta))),
            '2e3': float(np.sum(w * power(two_smallest, beta))),
        }
        for beta in betas
    }


def energy_correlators(pt: np.ndarray, y: np.ndarray, phi: np.ndarray, beta: float) -> dict[str, float]:
    """``e2, e3, 1e3, 2e3`` at angular exponent ``beta`` (normalised by the jet's scalar pT sum)."""
    return _correlators(pt, y, phi, (beta,))[beta]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def jet_features(p4: np.ndarray, z_cut: float = Z_CUT, groom=mmdt_constituents) -> np.ndarray:
    """The 16 features, in the order of :data:`hlsbinary.datasets.JET_FEATURES`, of one jet's constituents.
    ``groom(p4, z_cut)`` gives the mMDT constituents (:func:`mmdt_constituents_fastjet` is the faster equal)."""
    p4 = np.asarray(p4, dtype=np.float64).reshape(-1, 4)
    pt, y, phi = pt_y_phi(p4)
    z = p4[:, 3] / p4[:, 3].sum()  # energy fractions, as the public set's zlogz
    groomed = groom(p4, z_cut)
    gpt, gy, gphi = pt[groomed], y[groomed], phi[groomed]
    ecf = _correlators(gpt, gy, gphi, (1.0, 2.0))
    c1_b0 = float(np.sum(np.triu(np.outer(gpt, gpt) / gpt.sum() ** 2, 1)))  # e2 at beta = 0
    values = {
        'j_zlogz': float(np.sum(z * np.log(z))),
        'j_c1_b0_mmdt': c1_b0,
        'j_c1_b1_mmdt': ecf[1.0]['e2'],
        'j_c1_b2_mmdt': ecf[2.0]['e2'],
        'j_c2_b1_mmdt': _ratio(ecf[1.0]['e3'], ecf[1.0]['e2'] ** 2),
        'j_c2_b2_mmdt': _ratio(ecf[2.0]['e3'], ecf[2.0]['e2'] ** 2),
        'j_d2_b1_mmdt': _ratio(ecf[1.0]['e3'], ecf[1.0]['e2'] ** 3),
        'j_d2_b2_mmdt': _ratio(ecf[2.0]['e3'], ecf[2.0]['e2'] ** 3),
        'j_d2_a1_b1_mmdt': _ratio(ecf[1.0]['e3'], ecf[1.0]['e2'] ** 3),
        'j_d2_a1_b2_mmdt': _ratio(ecf[1.0]['e3'], ecf[2.0]['e2'] ** 1.5),
        'j_m2_b1_mmdt': _ratio(ecf[1.0]['1e3'], ecf[1.0]['e2']),
        'j_m2_b2_mmdt': _ratio(ecf[2.0]['1e3'], ecf[2.0]['e2']),
        'j_n2_b1_mmdt': _ratio(ecf[1.0]['2e3'], ecf[1.0]['e2'] ** 2),
        'j_n2_b2_mmdt': _ratio(ecf[2.0]['2e3'], ecf[2.0]['e2'] ** 2),
        'j_mass_mmdt': mass(p4[groomed]),
        'j_multiplicity': float(len(p4)),
    }
    return np.array([values[name] for name in JET_FEATURES])
