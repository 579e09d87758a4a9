"""The ``hlsbinary`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _convert(args) -> int:
    from hlsbinary.config import convert

    _, target = convert(args.config, compile=args.compile)
    print(f'HLS project written to {target}')
    return 0


def _models(args) -> int:
    from hlsbinary.zoo import ARCHITECTURES, build_all

    if args.action == 'list':
        for name, s in ARCHITECTURES.items():
            note = f'  ({s.plugin_note})' if s.plugin_note else ''
            print(f'{name:28s} {s.describe():28s} {s.n_in}x' + 'x'.join(map(str, s.widths)) + note)
        return 0
    for path in build_all(args.out, args.names or None):
        print(f'wrote {path}')
    return 0


def _read_inputs(path: str, key: str | None):
    """Inputs from .npy, .npz (``key`` or the first array), .h5/.hdf5 (``key`` or the first dataset) or .csv."""
    import numpy as np

    suffix = Path(path).suffix.lower()
    if suffix == '.npy':
        return np.load(path)
    if suffix == '.npz':
        data = np.load(path)
        return data[key or data.files[0]]
    if suffix in ('.h5', '.hdf5'):
        import h5py

        with h5py.File(path, 'r') as f:
            names = [n for n in f if isinstance(f[n], h5py.Dataset)]
            if not names:
                raise ValueError(f'{path}: no dataset at the top level; pass --key <dataset>')
            return f[key or names[0]][...]
    if suffix == '.csv':
        return np.loadtxt(path, delimiter=',', ndmin=2)
    raise ValueError(f'{path}: inputs must be .npy, .npz, .h5/.hdf5 or .csv')


def _write_outputs(path: str, y) -> None:
    """Outputs to .npy, .npz (array ``outputs``), .h5 (dataset ``outputs``) or .csv (exact: 17 digits), whole or not at all."""
    import numpy as np

    from hlsbinary.files import staged_file

    suffix = Path(path).suffix.lower()
    if suffix not in ('.npy', '.npz', '.h5', '.hdf5', '.csv'):
        raise ValueError(f'{path}: outputs go to .npy, .npz, .h5/.hdf5 or .csv')
    with staged_file(path) as tmp:
        if suffix == '.npy':
            np.save(tmp, y)
        elif suffix == '.npz':
            np.savez_compressed(tmp, outputs=y)
        elif suffix == '.csv':
            np.savetxt(tmp, y, delimiter=',', fmt='%d' if y.dtype.kind in 'iu' else '%.17g')
        else:
            import h5py

            with h5py.File(tmp, 'w') as f:
                f.create_dataset('outputs', data=y, compression='gzip')


def _network(args):
    """The network of a model file or of a conversion config (its precisions, as the converter reads them)."""
    from hlsbinary.emulator import network_of

    if Path(args.model).suffix.lower() in ('.yml', '.yaml'):
        from hlsbinary.config import hls_model_from_config

        return network_of(hls_model_from_config(args.model)[0])
    return network_of(args.model, args.input_precision)


def _emulate(args) -> int:
    from hlsbinary.emulator import emulate_network

    X = _read_inputs(args.inputs, args.key)
    y = emulate_network(_network(args), X, engine=args.engine)
    _write_outputs(args.output, y)
    print(f'{len(y)} outputs written to {args.output}')
    return 0


def _estimate(args) -> int:
    if args.config:
        from hlsbinary.config import estimate_from_config

        result = estimate_from_config(args.config)
    elif args.model:
        from hlsbinary.estimator import estimate_network

        result = estimate_network(_network(args), part=args.part, clock_period=args.clock_period)
    else:
        raise ValueError('give a config (-c config.yml) or a model file')
    print(result.table())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2))
        print(f'estimate written to {args.json}')
    return 0


def _data(args) -> int:
    from hlsbinary.datasets import DATASETS, data_dir

    if args.action == 'list':
        for name, (description, sources, _) in DATASETS.items():
            print(f'{name:8s} {description}; sources: {", ".join(sources)}')
        print(f'cache: {data_dir()} (set HLSBINARY_DATA to move it)')
        return 0
    if args.name not in DATASETS:
        raise ValueError(f'unknown data set {args.name!r}; known: {sorted(DATASETS)}')
    if args.action == 'generate':
        if args.name != 'jets':
            raise ValueError('only the jet data set has a generator (Pythia 8 + FastJet)')
        from hlsbinary.datasets.generate import generate

        out = generate(args.out, args.jets_per_class, seed=args.seed)
        print(f'wrote {out}')
        return 0
    dataset = DATASETS[args.name][2](source=args.source)
    print(dataset.summary())
    return 0


def _report(args) -> int:
    from tqdm import tqdm

    from hlsbinary.datasets import DATASETS
    from hlsbinary.report import evaluate_model, write_report

    dataset = DATASETS[args.data][2](source=args.source)
    results = [
        evaluate_model(path, dataset, args.input_precision, args.part, args.clock_period)
        for path in tqdm(args.models, desc='evaluating', unit='model')
    ]
    out = write_report(results, args.out, title=args.title or f'{args.data}: {len(results)} models')
    print(f'report written to {out}/report.md (and report.html, report.json, PNG plots)')
    return 0


def _train(args) -> int:
    from hlsbinary.train import load_train_config, train

    config = load_train_config(args.config)
    metrics = train(config)
    aucs = ', '.join(f'{c} {100 * a:.1f}' for c, a in metrics['test_auc'].items())
    print(
        f'{metrics["model"]}: test accuracy {100 * metrics["test_accuracy"]:.2f}% ({metrics["evaluated_as"]}); AUC % {aucs}'
    )
    print(f'saved {config["Output"]} and its metrics beside it')
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='hlsbinary', description='Bit-exact binary/ternary networks on FPGAs with hls4ml')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('convert', help='convert a model from an hls4ml-style YAML config into an HLS project')
    p.add_argument('-c', '--config', required=True)
    p.add_argument('--compile', action='store_true', help='also build the C simulation library with g++')
    p.set_defaults(func=_convert)
    p = sub.add_parser('models', help='list or build the shipped model zoo')
    p.add_argument('action', choices=['list', 'build'])
    p.add_argument('names', nargs='*')
    p.add_argument('--out', default='models')
    p.set_defaults(func=_models)
    p = sub.add_parser('emulate', help='bit-exact firmware outputs of a model on inputs (.npy/.npz/.h5/.csv)')
    p.add_argument('model', help='a saved QKeras model (.h5) or a conversion config (.yml)')
    p.add_argument('inputs')
    p.add_argument('-o', '--output', default='outputs.npy', help='.npy, .npz, .h5 or .csv')
    p.add_argument('--key', default=None, help='array/dataset name inside an .npz/.h5 input file')
    p.add_argument(
        '--input-precision', default=None, help="e.g. 'ap_fixed<16,6>' (hls4ml's default; configs carry their own)"
    )
    p.add_argument('--engine', choices=['auto', 'compiled', 'numpy'], default='auto')
    p.set_defaults(func=_emulate)
    p = sub.add_parser('estimate', help='LUT/FF/DSP/BRAM and latency of the generated design, per layer')
    p.add_argument('model', nargs='?', help='a saved QKeras model (.h5); or use -c')
    p.add_argument('-c', '--config', help='a conversion config (Part, ClockPeriod and precisions are read from it)')
    p.add_argument('--part', default='xcvu9p-flga2104-2L-e')
    p.add_argument('--clock-period', type=float, default=5.0, help='ns')
    p.add_argument('--input-precision', default=None)
    p.add_argument('--json', default=None, help='also write the estimate as JSON')
    p.set_defaults(func=_estimate)
    p = sub.add_parser('data', help='list the data sets, fetch (and cache) one, or generate jets with Pythia 8')
    p.add_argument('action', choices=['list', 'fetch', 'generate'])
    p.add_argument('name', nargs='?', help='jets or mnist')
    p.add_argument('--out', default='jets_pythia8.npz', help='generate: the .npz to write (chunks cached beside it)')
    p.add_argument('--jets-per-class', type=int, default=20000)
    p.add_argument('--seed', type=int, default=20261122)
    p.add_argument('--source', default='bundled', help='bundled, openml, keras (MNIST), or a path to a local file')
    p.set_defaults(func=_data)
    p = sub.add_parser('report', help='ROC curves, AUCs, accuracy, estimated resources/latency of saved models')
    p.add_argument('models', nargs='+', help='saved models (.h5): binary/ternary ones are emulated bit-exactly')
    p.add_argument('--data', choices=['jets', 'mnist'], required=True)
    p.add_argument('--source', default='bundled')
    p.add_argument('--out', default='report')
    p.add_argument('--title', default=None)
    p.add_argument('--input-precision', default=None, help='default: fixed<16,6> for jets, ufixed<8,0> for MNIST')
    p.add_argument('--part', default='xcvu9p-flga2104-2L-e')
    p.add_argument('--clock-period', type=float, default=5.0)
    p.set_defaults(func=_report)
    p = sub.add_parser('train', help='train a zoo architecture from a YAML config (the BNN recipe, seeded)')
    p.add_argument('-c', '--config', required=True)
    p.set_defaults(func=_train)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f'hlsbinary: error: {err}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
