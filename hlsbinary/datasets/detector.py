"""A parametric detector response for generated particles: track and calorimeter resolutions and calorimeter cells.

Pure NumPy.  Particles are four-momenta ``(px, py, pz, E)`` with their electric charge.  The response is that of a
CMS-like particle-flow reconstruction, in the spirit of the smearing used for the hls4ml jet studies
(``nhanvtran/trackObservables``, ``anaSubstructure.cpp``):

* **charged particles** (tracks) keep their direction; their momentum is scaled by ``1 + sigma * N(0, 1)`` with
  ``sigma = sqrt((a pT)^2 + b^2)`` (CMS tracker, as in Delphes' CMS card: ``a = 2.5e-4 / GeV``, ``b = 1.5 %``);
* **photons** are summed into ECAL cells of ``0.0174 x 0.0174`` in ``(eta, phi)`` (a CMS crystal); each cell's
  energy is smeared with ``sigma / E = S / sqrt(E) (+) N / E (+) C`` (``S = 2.7 %``, ``N = 0.15 GeV``,
  ``C = 0.5 %``, CMS ECAL) and becomes one massless particle at the cell's centre;
* **neutral hadrons** (and every other neutral, long-lived hadron Pythia leaves stable: K0_L, K0_S, n, Lambda, ...)
  are summed into HCAL towers of ``0.087 x 0.087`` (CMS HCAL) and smeared with ``S = 120 %``, ``C = 5 %`` (CMS
  jets, JINST 6 (2011) P11002) the same way.

``(+)`` adds in quadrature.  A smeared energy at or below zero removes the particle or cell.  Every random number
comes from the ``numpy.random.Generator`` passed in, so a seeded generator reproduces the response exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detector:
    """Resolutions and cell sizes of a parametric detector (energies in GeV, cell sizes in eta and in phi).

    A cell size of 0 keeps that kind of particle at its own direction (no granularity); a resolution of 0 keeps its
    energy exact.
    """

    name: str
    track_a: float = 2.5e-4  # sigma(pT)/pT = sqrt((track_a * pT)^2 + track_b^2)
    track_b: float = 0.015
    ecal_stochastic: float = 0.027
    ecal_noise: float = 0.15
    ecal_constant: float = 0.005
    ecal_cell: float = 0.0174
    hcal_stochastic: float = 1.20
    hcal_constant: float = 0.05
    hcal_cell: float = 0.087

    def describe(self) -> str:
        return (
            f'{self.name}: tracks sigma(pT)/pT = {self.track_a:g} pT (+) {self.track_b:g}; photons in '
            f'{self.ecal_cell:g} cells, sigma/E = {self.ecal_stochastic:g}/sqrt(E) (+) {self.ecal_noise:g}/E (+) '
            f'{self.ecal_constant:g}; neutral hadrons in {self.hcal_cell:g} towers, sigma/E = '
            f'{self.hcal_stochastic:g}/sqrt(E) (+) {self.hcal_constant:g}'
        )


DETECTORS: dict[str, Detector | None] = {
    'none': None,  # particle level: every visible stable particle as generated
    'cms': Detector('cms'),
}


def detector(name: str) -> Detector | None:
    """The detector called ``name`` (``None`` for particle level); unknown names are refused with the known ones."""
    if name not in DETECTORS:
        raise ValueError(f'unknown detector {name!r}; known: {sorted(DETECTORS)}')
    return DETECTORS[name]


def _eta_phi(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    px, py, pz, _ = p4.T
    pt = np.hypot(px, py)
    return pt, np.arcsinh(pz / np.maximum(pt, 1e-300)), np.arctan2(py, px)


def _massless(e: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    pt = e / np.cosh(eta)
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), e], axis=1)


def _cells(p4: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Energies summed per ``(eta, phi)`` cell of side ``size``, with the cell centres: ``(E, eta, phi)``."""
    _, eta, phi = _eta_phi(p4)
    n_phi = max(1, round(2 * np.pi / size))  # phi cells tile the circle exactly
    step_phi = 2 * np.pi / n_phi
    i_eta = np.floor(eta / size).astype(np.int64)
    i_phi = np.floor((phi + np.pi) / step_phi).astype(np.int64) % n_phi
    keys, inverse = np.unique(np.stack([i_eta, i_phi], axis=1), axis=0, return_inverse=True)
    energy = np.bincount(inverse.ravel(), weights=p4[:, 3], minlength=len(keys))
    return energy, (keys[:, 0] + 0.5) * size, (keys[:, 1] + 0.5) * step_phi - np.pi


def _calorimeter(p4, rng, cell, stochastic, noise, constant) -> np.ndarray:
    if len(p4) == 0:
        return p4.reshape(0, 4)
    if cell > 0:
        energy, eta, phi = _cells(p4, cell)
    else:
        energy = p4[:, 3]
        _, eta, phi = _eta_phi(p4)
    sigma = np.sqrt((stochastic / np.sqrt(energy)) ** 2 + (noise / energy) ** 2 + constant**2)
    energy = energy * (1 + sigma * rng.standard_normal(len(energy)))
    keep = energy > 0
    return _massless(energy[keep], eta[keep], phi[keep])


def respond(p4: np.ndarray, charge: np.ndarray, is_photon: np.ndarray, det: Detector | None, rng) -> np.ndarray:
    """The reconstructed particles ``(px, py, pz, E)`` of generated visible particles ``p4`` (charge, and whether
    each is a photon, alongside); ``det = None`` returns them unchanged.  Order: tracks, then ECAL, then HCAL."""
    p4 = np.asarray(p4, dtype=np.float64).reshape(-1, 4)
    if det is None:
        return p4
    charged = np.asarray(charge) != 0
    photon = np.asarray(is_photon, dtype=bool) & ~charged
    tracks = p4[charged]
    pt = np.hypot(tracks[:, 0], tracks[:, 1])
    scale = 1 + np.sqrt((det.track_a * pt) ** 2 + det.track_b**2) * rng.standard_normal(len(tracks))
    tracks = tracks[scale > 0] * scale[scale > 0, None]
    ecal = _calorimeter(p4[photon], rng, det.ecal_cell, det.ecal_stochastic, det.ecal_noise, det.ecal_constant)
    hcal = _calorimeter(p4[~charged & ~photon], rng, det.hcal_cell, det.hcal_stochastic, 0.0, det.hcal_constant)
    return np.concatenate([tracks, ecal, hcal])
