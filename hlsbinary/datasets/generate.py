"""A Pythia 8 + FastJet generator for the jet-tagging task: boosted g, q, W, Z and top jets of pT about 1 TeV.

Needs the ``generator`` extra (``pythia8mc``, which builds from source in about 40 minutes, and ``fastjet``).
Per class, pp collisions at 13 TeV produce the object recoiling against a hard parton or its partner; visible
final-state particles (no neutrinos) with ``|eta| < 4`` are clustered with anti-kT, R = 0.8; the highest-pT jet
with ``|eta| < 2`` and ``pT`` in ``[PT_MIN, PT_MAX]`` lying within ``MATCH_R`` of a truth object of the class is
kept; its 16 features come from :func:`hlsbinary.datasets.jet_observables.jet_features`.
Every chunk of events has its own seed (``Random:seed = base seed + chunk``), so a sample is reproducible and
can be produced in parallel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hlsbinary.datasets.jets import JET_CLASSES
from hlsbinary.files import staged_file

ECM = 13000.0
PT_HAT = (950.0, 1150.0)
PT_MIN, PT_MAX = 800.0, 1200.0
MATCH_R = 0.6
JET_R = 0.8
HADRONIC = ['onMode = off', 'onIfAny = 1 2 3 4 5']  # W and Z decay to quarks only

# Pythia settings per class, and the |PDG id| of the truth object a jet must match (status of the hard process).
PROCESSES: dict[str, tuple[list[str], tuple[int, ...]]] = {
    'g': (['HardQCD:gg2gg = on', 'HardQCD:qqbar2gg = on'], (21,)),
    'q': (['HardQCD:qq2qq = on', 'HardQCD:qqbar2qqbarNew = on'], (1, 2, 3, 4)),
    't': (['Top:gg2ttbar = on', 'Top:qqbar2ttbar = on'] + [f'24:{s}' for s in HADRONIC], (6,)),
    'W': (['WeakBosonAndParton:qqbar2Wg = on', 'WeakBosonAndParton:qg2Wq = on'] + [f'24:{s}' for s in HADRONIC], (24,)),
    'Z': (
        ['WeakBosonAndParton:qqbar2gmZg = on', 'WeakBosonAndParton:qg2gmZq = on', 'WeakZ0:gmZmode = 2']
        + [f'23:{s}' for s in HADRONIC],
        (23,),
    ),
}
NEUTRINOS = (12, 14, 16)


def settings(label: str, seed: int) -> list[str]:
    """Every Pythia setting used for class ``label`` (documented next to the shipped sample)."""
    process, _ = PROCESSES[label]
    return [
        f'Beams:eCM = {ECM}',
        f'PhaseSpace:pTHatMin = {PT_HAT[0]}',
        f'PhaseSpace:pTHatMax = {PT_HAT[1]}',
        'Random:setSeed = on',
        f'Random:seed = {seed}',
        'Next:numberCount = 0',
        'Next:numberShowEvent = 0',
        'Next:numberShowInfo = 0',
        'Next:numberShowProcess = 0',
        'Init:showChangedSettings = off',
        'Init:showProcesses = off',
        'Init:showChangedParticleData = off',
        *process,
    ]


def _missing(err: ImportError) -> ImportError:
    return ImportError(
        f'the jet generator needs the generator extra: pip install -e ".[generator]" (pythia8mc builds from source '
        f'in about 40 minutes; fastjet has wheels). Missing: {err.name}'
    )


def generate_chunk(label: str, n_jets: int, seed: int, max_events: int | None = None) -> np.ndarray:
    """Features ``(n, 16)`` of up to ``n_jets`` matched jets of class ``label`` from one Pythia run."""
    try:
        import fastjet
        import pythia8mc
    except ImportError as err:
        raise _missing(err) from err
    from hlsbinary.datasets.jet_observables import delta_r, jet_features, pt_y_phi

    if label not in PROCESSES:
        raise ValueError(f'unknown jet class {label!r}; known: {JET_CLASSES}')
    _, truth_ids = PROCESSES[label]
    pythia = pythia8mc.Pythia('', False)
    for line in settings(label, seed):
        if not pythia.readString(line):
            raise RuntimeError(f'Pythia refused the setting {line!r}')
    if not pythia.init():
        raise RuntimeError(f'Pythia failed to initialise for class {label!r}')
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R)
    rows, events = [], 0
    while len(rows) < n_jets and (max_events is None or events < max_events):
        events += 1
        if not pythia.next():
            continue
        truth, particles = [], []
        for prt in pythia.event:
            if prt.status() in (-22, -23) and abs(prt.id()) in truth_ids:
                truth.append((prt.y(), prt.phi()))
            elif prt.isFinal() and abs(prt.id()) not in NEUTRINOS and abs(prt.eta()) < 4.0:
                particles.append(fastjet.PseudoJet(prt.px(), prt.py(), prt.pz(), prt.e()))
        if not truth:
            continue
        sequence = fastjet.ClusterSequence(particles, jet_def)
        for jet in fastjet.sorted_by_pt(sequence.inclusive_jets(PT_MIN)):
            if jet.pt() > PT_MAX or abs(jet.eta()) > 2.0:
                continue
            if min(float(delta_r(jet.rap(), jet.phi_std(), y, phi)) for y, phi in truth) > MATCH_R:
                continue
            p4 = np.array([[c.px(), c.py(), c.pz(), c.e()] for c in jet.constituents()])
            pt, _, _ = pt_y_phi(p4)
            rows.append(jet_features(p4[np.argsort(-pt)]))
            break
    return np.array(rows).reshape(-1, 16)


def generate(out: str | Path, jets_per_class: int, seed: int = 20261122, chunk: int = 500, progress: bool = True) -> Path:
    """A balanced sample of ``jets_per_class`` jets per class, written as a compressed ``.npz`` (``X``, ``y``,
    ``feature_names``, ``class_names``, ``seeds``).  Chunks are cached beside ``out`` so an interrupted run
    resumes; the final file is written to a temporary name and moved into place."""
    from tqdm import tqdm

    from hlsbinary.datasets.jets import JET_FEATURES

    out = Path(out)
    parts_dir = out.with_suffix('.parts')
    parts_dir.mkdir(parents=True, exist_ok=True)
    X, y, seeds = [], [], []
    n_chunks = -(-jets_per_class // chunk)
    bar = tqdm(total=len(JET_CLASSES) * jets_per_class, unit='jet', disable=not progress, desc='generating jets')
    for c in range(n_chunks):  # round robin over the classes: an interrupted run stays balanced
        for k, label in enumerate(JET_CLASSES):
            chunk_seed = seed + 1000 * k + c
            part = parts_dir / f'{label}_{chunk_seed}.npy'
            if not part.exists():
                rows = generate_chunk(label, min(chunk, jets_per_class - c * chunk), chunk_seed)
                with staged_file(part) as tmp:
                    np.save(tmp, rows)
            rows = np.load(part)
            X.append(rows)
            y.append(np.full(len(rows), k))
            seeds.append(chunk_seed)
            bar.update(len(rows))
    bar.close()
    with staged_file(out) as tmp:
        np.savez_compressed(
            tmp,
            X=np.concatenate(X).astype(np.float32),
            y=np.concatenate(y).astype(np.int8),
            feature_names=np.array(JET_FEATURES),
            class_names=np.array(JET_CLASSES),
            seeds=np.array(seeds),
        )
    return out
