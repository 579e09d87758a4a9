"""A Pythia 8 + FastJet generator for the jet-tagging task: boosted g, q, W, Z and top jets of pT about 1 TeV.

Needs the ``generator`` extra (``pythia8mc``, which builds from source in about 40 minutes, and ``fastjet``).
The production follows the hls4ml LHC jet data set (MadGraph 2 -> 2 events with the partons, W, Z and tops at
``pT`` in ``995-1005 GeV``, decayed, showered and hadronised by Pythia 8, anti-kT R = 0.8), with Pythia's own
processes:

* **g, q**: QCD 2 -> 2 with the outgoing partons' ``pT`` in ``PT_PARTON`` (``PhaseSpace:pTHat``);
* **W**: a Z' of ``RESONANCE_MASS`` decaying to W+ W- (``Zprime:coup2WW = 1``), **Z**: a W' of the same mass
  decaying to W Z (``Wprime:coup2WZ = 1``), every W and Z decaying to quarks.  Pythia decays these bosons with
  the angular distribution of (mostly) longitudinal bosons, about 6 % of them with ``|cos theta*| > 0.8`` (the
  splittings mMDT grooms down to one prong), against 20 % for isotropic decays (a graviton, or MadGraph bosons
  Pythia decays) and 26 % for the transverse bosons of V + jet; of the three, the longitudinal bosons reproduce
  the public set's W and Z AUCs (``data/README.md`` has the measurements);
* **t**: a Z' of ``RESONANCE_MASS`` decaying to top pairs, the W from each top decaying to quarks;

for the resonances, a process-level veto keeps the events whose boson or top has ``pT`` in ``PT_PARTON`` (the
window MadGraph imposes in the public set).  Visible final-state particles (no neutrinos) with ``|eta| < 4`` pass
through an optional parametric detector (:mod:`hlsbinary.datasets.detector`) and are clustered with anti-kT,
R = 0.8; the highest-pT jet with ``|eta| < ETA_MAX`` and ``pT`` in ``[PT_MIN, PT_MAX]`` lying within ``MATCH_R`` of
a hard-process object of the class is kept.  Per jet: the 16 features of
:func:`hlsbinary.datasets.jet_observables.jet_features`, the jet's ``pT``, ``eta`` and (ungroomed) mass, and its
leading ``N_CONSTITUENTS`` constituents.  Every chunk of events has its own seed (``Random:seed = base seed +
chunk``; the detector draws from a NumPy generator seeded the same way), so a sample is reproducible and can be
produced in parallel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hlsbinary.datasets.jets import CONSTITUENT_FEATURES, JET_CLASSES, KINEMATICS
from hlsbinary.files import atomic_file, check_file_targets, publish_file

ECM = 13000.0
PT_PARTON = (995.0, 1005.0)  # GeV: partons, W, Z and tops of the hard process (the public set's MadGraph window)
RESONANCE_MASS = 2000.0  # GeV: graviton and Z'; their decay products have pT up to about half of it
PT_MIN, PT_MAX = 800.0, 1600.0  # GeV: the public set's jet window
ETA_MAX = 2.0
PARTICLE_ETA_MAX = 4.0
MATCH_R = 0.6
JET_R = 0.8
N_CONSTITUENTS = 30
HADRONIC = ('onMode = off', 'onIfAny = 1 2 3 4 5')  # W and Z decay to quarks only
NEUTRINOS = (12, 14, 16)
W_HADRONIC = tuple(f'24:{s}' for s in HADRONIC)
Z_HADRONIC = tuple(f'23:{s}' for s in HADRONIC)


@dataclass(frozen=True)
class Process:
    """Pythia settings of one class, the ``|PDG id|`` of the hard-process objects a jet must match, and whether
    the ``pT`` window is imposed by vetoing events at the process level (resonance decays) rather than by
    ``PhaseSpace:pTHat`` (2 -> 2 scattering)."""

    settings: tuple[str, ...]
    truth: tuple[int, ...]
    veto_window: bool


PROCESSES: dict[str, Process] = {
    'g': Process(('HardQCD:gg2gg = on', 'HardQCD:qqbar2gg = on'), (21,), False),
    'q': Process(
        ('HardQCD:qq2qq = on', 'HardQCD:qqbar2qqbarNew = on', 'HardQCD:gg2qqbar = on', 'HardQCD:nQuarkNew = 4'),
        (1, 2, 3, 4),
        False,
    ),
    't': Process(
        (
            'NewGaugeBoson:ffbar2gmZZprime = on',
            'Zprime:gmZmode = 3',  # the Z' alone, no gamma*/Z interference
            f'32:m0 = {RESONANCE_MASS}',
            '32:onMode = off',
            '32:onIfAny = 6',
            *W_HADRONIC,
        ),
        (6,),
        True,
    ),
    'W': Process(
        (
            'NewGaugeBoson:ffbar2gmZZprime = on',
            'Zprime:gmZmode = 3',
            'Zprime:coup2WW = 1',
            f'32:m0 = {RESONANCE_MASS}',
            '32:onMode = off',
            '32:onIfAny = 24',
            *W_HADRONIC,
        ),
        (24,),
        True,
    ),
    'Z': Process(
        (
            'NewGaugeBoson:ffbar2Wprime = on',
            'Wprime:coup2WZ = 1',
            f'34:m0 = {RESONANCE_MASS}',
            '34:onMode = off',
            '34:onIfAll = 23 24',
            *W_HADRONIC,
            *Z_HADRONIC,
        ),
        (23,),
        True,
    ),
}


class Jets(NamedTuple):
    """Matched jets of one class: ``features (n, 16)``, ``kinematics (n, 3)`` = jet ``pT`` [GeV], ``eta``,
    ungroomed mass [GeV], and ``constituents (n, N_CONSTITUENTS, 3)`` = ``pT / pT_jet``, ``eta - eta_jet``,
    ``phi - phi_jet`` of the leading constituents by ``pT``, zero-padded (float16)."""

    features: np.ndarray
    kinematics: np.ndarray
    constituents: np.ndarray


def settings(label: str, seed: int) -> list[str]:
    """Every Pythia setting used for class ``label`` (documented next to the shipped sample)."""
    process = PROCESSES[label]
    window = (
        [] if process.veto_window else [f'PhaseSpace:pTHatMin = {PT_PARTON[0]}', f'PhaseSpace:pTHatMax = {PT_PARTON[1]}']
    )
    return [
        f'Beams:eCM = {ECM}',
        *window,
        'Random:setSeed = on',
        f'Random:seed = {seed}',
        'Next:numberCount = 0',
        'Next:numberShowEvent = 0',
        'Next:numberShowInfo = 0',
        'Next:numberShowProcess = 0',
        'Init:showChangedSettings = off',
        'Init:showProcesses = off',
        'Init:showChangedParticleData = off',
        *process.settings,
    ]


def _missing(err: ImportError) -> ImportError:
    return ImportError(
        f'the jet generator needs the generator extra: pip install -e ".[generator]" (pythia8mc builds from source '
        f'in about 40 minutes; fastjet has wheels). Missing: {err.name}'
    )


def _pt_window_veto(pythia8mc, ids: tuple[int, ...]):
    """A Pythia user hook that vetoes, before showering, events with no ``|id|`` in ``ids`` at ``pT`` in
    ``PT_PARTON`` in the hard process (cheap: only the hard process has been generated)."""
    lo, hi = PT_PARTON

    class PtWindow(pythia8mc.UserHooks):
        def canVetoProcessLevel(self):
            return True

        def doVetoProcessLevel(self, process):
            for i in range(process.size()):
                if abs(process[i].id()) in ids and lo <= process[i].pT() <= hi:
                    return False
            return True

    return PtWindow()


def _pythia(label: str, seed: int, extra: tuple[str, ...] = ()):
    """An initialised Pythia for class ``label`` (with ``extra`` settings after the class's) and the user hook it
    holds (kept alive by the caller)."""
    import pythia8mc

    pythia = pythia8mc.Pythia('', False)
    for line in (*settings(label, seed), *extra):
        if not pythia.readString(line):
            raise RuntimeError(f'Pythia refused the setting {line!r}')
    hook = _pt_window_veto(pythia8mc, PROCESSES[label].truth) if PROCESSES[label].veto_window else None
    if hook is not None:
        pythia.setUserHooksPtr(hook)
    if not pythia.init():
        raise RuntimeError(f'Pythia failed to initialise for class {label!r}')
    return pythia, hook


def _read_event(event, truth_ids: tuple[int, ...]):
    """Hard-process objects of the class as ``(y, phi)`` (status 22 or 23 in the event record; their last copy,
    after initial-state recoil), and the visible final-state particles with ``|eta| < PARTICLE_ETA_MAX`` as
    ``(px, py, pz, E)``, charge, and whether each is a photon."""
    truth, rows = [], []
    for prt in event:
        if prt.isFinal():
            if prt.idAbs() not in NEUTRINOS:
                rows.append((prt.px(), prt.py(), prt.pz(), prt.e(), prt.charge(), prt.id()))
        elif prt.statusAbs() in (22, 23) and prt.idAbs() in truth_ids:
            last = event[prt.iBotCopyId()]
            truth.append((last.y(), last.phi()))
    particles = np.array(rows, dtype=np.float64).reshape(-1, 6)
    pt = np.hypot(particles[:, 0], particles[:, 1])
    particles = particles[np.abs(np.arcsinh(particles[:, 2] / np.maximum(pt, 1e-300))) < PARTICLE_ETA_MAX]
    return truth, particles[:, :4], particles[:, 4], particles[:, 5] == 22


def constituent_array(p4: np.ndarray, jet_pt: float, jet_eta: float, jet_phi: float, n: int = N_CONSTITUENTS) -> np.ndarray:
    """The leading ``n`` constituents by ``pT`` as ``(pT / pT_jet, eta - eta_jet, phi - phi_jet)`` (``phi``
    difference wrapped into ``[-pi, pi]``), zero-padded to ``(n, 3)``, float16."""
    px, py, pz, _ = np.asarray(p4, dtype=np.float64).reshape(-1, 4).T
    pt = np.hypot(px, py)
    order = np.argsort(-pt, kind='stable')[:n]
    eta = np.arcsinh(pz[order] / np.maximum(pt[order], 1e-300))
    dphi = np.mod(np.arctan2(py[order], px[order]) - jet_phi + np.pi, 2 * np.pi) - np.pi
    out = np.zeros((n, 3), dtype=np.float16)
    out[: len(order)] = np.stack([pt[order] / jet_pt, eta - jet_eta, dphi], axis=1)
    return out


def generate_chunk(
    label: str, n_jets: int, seed: int, detector: str = 'none', max_events: int | None = None, progress=None
) -> Jets:
    """Up to ``n_jets`` matched jets of class ``label`` from one Pythia run seeded with ``seed``, seen through
    ``detector`` (a name in :data:`hlsbinary.datasets.detector.DETECTORS`).  ``progress`` (e.g. a tqdm bar) is
    advanced by one per jet."""
    try:
        import fastjet
        import pythia8mc  # noqa: F401  (a clear message if the extra is missing)
    except ImportError as err:
        raise _missing(err) from err
    from hlsbinary.datasets.detector import detector as lookup
    from hlsbinary.datasets.detector import respond
    from hlsbinary.datasets.jet_observables import delta_r, jet_features, mmdt_constituents_fastjet

    if label not in PROCESSES:
        raise ValueError(f'unknown jet class {label!r}; known: {JET_CLASSES}')
    det = lookup(detector)
    rng = np.random.default_rng(seed)
    pythia, _hook = _pythia(label, seed)
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R)
    features, kinematics, constituents, events = [], [], [], 0
    while len(features) < n_jets and (max_events is None or events < max_events):
        events += 1
        if not pythia.next():
            continue
        truth, p4, charge, photon = _read_event(pythia.event, PROCESSES[label].truth)
        if not truth:
            continue
        reco = respond(p4, charge, photon, det, rng)
        sequence = fastjet.ClusterSequence([fastjet.PseudoJet(*v) for v in reco.tolist()], jet_def)
        for jet in fastjet.sorted_by_pt(sequence.inclusive_jets(PT_MIN)):
            if jet.pt() > PT_MAX or abs(jet.eta()) > ETA_MAX:
                continue
            if min(float(delta_r(jet.rap(), jet.phi_std(), y, phi)) for y, phi in truth) > MATCH_R:
                continue
            parts = np.array([[c.px(), c.py(), c.pz(), c.e()] for c in jet.constituents()])
            parts = parts[np.argsort(-np.hypot(parts[:, 0], parts[:, 1]), kind='stable')]
            features.append(jet_features(parts, groom=mmdt_constituents_fastjet))
            kinematics.append((jet.pt(), jet.eta(), jet.m()))
            constituents.append(constituent_array(parts, jet.pt(), jet.eta(), jet.phi_std()))
            if progress is not None:
                progress.update(1)
            break
    return Jets(
        np.array(features, dtype=np.float32).reshape(-1, 16),
        np.array(kinematics, dtype=np.float32).reshape(-1, 3),
        np.array(constituents, dtype=np.float16).reshape(-1, N_CONSTITUENTS, 3),
    )


def provenance(seed: int, detector: str) -> dict:
    """Everything that defines a sample besides the chunk seeds: versions, settings per class, cuts, detector."""
    from hlsbinary.datasets.detector import detector as lookup

    versions = {}
    for name in ('pythia8mc', 'fastjet'):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # the extra is absent: record that
            versions[name] = None
    det = lookup(detector)
    return {
        'versions': versions,
        'base_seed': seed,
        'settings': {label: [s for s in settings(label, 0) if not s.startswith('Random:seed')] for label in JET_CLASSES},
        'pt_parton': PT_PARTON,
        'jet': {'R': JET_R, 'pt_min': PT_MIN, 'pt_max': PT_MAX, 'eta_max': ETA_MAX, 'match_r': MATCH_R},
        'particle_eta_max': PARTICLE_ETA_MAX,
        'detector': detector if det is None else det.describe(),
    }


def _chunk_path(parts_dir: Path, label: str, chunk_seed: int, detector: str) -> Path:
    return parts_dir / f'{label}_{chunk_seed}_{detector}.npz'


def generate(
    out: str | Path,
    jets_per_class: int,
    seed: int = 20261122,
    chunk: int = 500,
    detector: str = 'none',
    progress: bool = True,
    force: bool = False,
) -> Path:
    """A balanced sample of ``jets_per_class`` jets per class seen through ``detector``, written as a compressed
    ``.npz``: ``X`` (16 features, float32), ``y`` (class index, int8), ``kinematics`` (jet pT, eta, mass; float32),
    ``constituents`` (leading 30, float16), their names, ``class_names``, the chunk ``seeds`` and a JSON
    ``provenance``.  Chunks are cached beside ``out`` (one ``.npz`` each) so an interrupted run resumes; every
    file is written to a temporary name and moved into place; an existing ``out`` that hlsbinary did not write is
    replaced only with ``force``."""
    from tqdm import tqdm

    from hlsbinary.datasets.detector import detector as lookup
    from hlsbinary.datasets.jets import JET_FEATURES

    lookup(detector)  # refuse unknown names and targets before any work
    (out,) = check_file_targets([out], force, 'jet sample')
    parts_dir = out.with_suffix('.parts')
    parts_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, list] = {'X': [], 'kinematics': [], 'constituents': [], 'y': []}
    seeds = []
    n_chunks = -(-jets_per_class // chunk)
    bar = tqdm(total=len(JET_CLASSES) * jets_per_class, unit='jet', disable=not progress, desc='generating jets')
    for c in range(n_chunks):  # round robin over the classes: an interrupted run stays balanced
        for k, label in enumerate(JET_CLASSES):
            chunk_seed = seed + 1000 * k + c
            part = _chunk_path(parts_dir, label, chunk_seed, detector)
            cached = part.exists()
            if not cached:
                jets = generate_chunk(label, min(chunk, jets_per_class - c * chunk), chunk_seed, detector, progress=bar)
                with atomic_file(part) as tmp:  # our own cache: no ownership rules
                    np.savez(tmp, **jets._asdict())
            with np.load(part) as data:
                if cached:
                    bar.update(len(data['features']))
                arrays['X'].append(data['features'])
                arrays['kinematics'].append(data['kinematics'])
                arrays['constituents'].append(data['constituents'])
                arrays['y'].append(np.full(len(data['features']), k, dtype=np.int8))
            seeds.append(chunk_seed)
    bar.close()
    with publish_file(out, force, 'jet sample') as tmp:
        np.savez_compressed(
            tmp,
            X=np.concatenate(arrays['X']).astype(np.float32),
            y=np.concatenate(arrays['y']),
            kinematics=np.concatenate(arrays['kinematics']).astype(np.float32),
            constituents=np.concatenate(arrays['constituents']).astype(np.float16),
            feature_names=np.array(JET_FEATURES),
            kinematic_names=np.array(KINEMATICS),
            constituent_names=np.array(CONSTITUENT_FEATURES),
            class_names=np.array(JET_CLASSES),
            seeds=np.array(seeds),
            provenance=np.array(json.dumps(provenance(seed, detector))),
        )
    return out
