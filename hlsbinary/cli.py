"""The ``hlsbinary`` command line.

A user's mistake (a bad config value, a missing file, an output that would replace someone's file) is one line on
stderr saying what is wrong and how to fix it, and exit code 2.  ``--debug`` adds the traceback; an unexpected
error is reported as a bug in hlsbinary with exit code 1.  TensorFlow's start-up noise is silenced unless
``--verbose``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from hlsbinary.errors import InputError, UserError

ISSUES_URL = 'https://github.com/hlsbinary/hlsbinary/issues'
INPUT_FORMATS = ('.npy', '.npz', '.h5', '.hdf5', '.csv')


# ---- argument types: bad values are argparse errors (one line, exit 2) ---------------------------------------------


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value != value or value == float('inf'):
        raise argparse.ArgumentTypeError(f'{text!r} is not a positive number')
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text!r} is not a positive integer')
    return value


def precision_arg(text: str) -> str:
    from hlsbinary.validate import Invalid, precision

    try:
        return precision(text, allow_auto=False)
    except Invalid as err:
        raise argparse.ArgumentTypeError(f'{text!r} is not a precision: {err}') from None


def part_arg(text: str) -> str:
    from hlsbinary.parts import device_of, unknown_part_message

    if device_of(text) is None:
        raise argparse.ArgumentTypeError(f'{text!r}: {unknown_part_message(text)}')
    return text


# ---- commands -------------------------------------------------------------------------------------------------------


def _convert(args) -> int:
    from hlsbinary.config import convert

    _, target = convert(args.config, compile=args.compile, force=args.force, verbose=args.verbose)
    print(f'HLS project written to {target}' + (' (C simulation compiled)' if args.compile else ''))
    return 0


def _models(args) -> int:
    from hlsbinary.zoo import ARCHITECTURES, build_all

    if args.action == 'list':
        for name, s in ARCHITECTURES.items():
            note = f'  ({s.plugin_note})' if s.plugin_note else ''
            print(f'{name:28s} {s.describe():28s} {s.n_in}x' + 'x'.join(map(str, s.widths)) + note)
        return 0
    for path in build_all(args.out, args.names or None, force=args.force):
        print(f'wrote {path}')
    return 0


def read_inputs(path: str, key: str | None):
    """Inputs from .npy, .npz (``key`` or the only array), .h5/.hdf5 (``key`` or the only dataset) or .csv."""
    import numpy as np

    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise InputError(f'{path}: inputs must be {", ".join(INPUT_FORMATS)}; got {suffix or "no suffix"}')
    if not file.is_file():
        raise InputError(f'{path}: no such input file' if not file.exists() else f'{path} is a folder, not an input file')
    try:
        if suffix == '.npy':
            return np.load(file, allow_pickle=False)
        if suffix == '.npz':
            with np.load(file, allow_pickle=False) as data:
                return data[_pick(path, key, list(data.files), 'array')]
        if suffix in ('.h5', '.hdf5'):
            import h5py

            with h5py.File(file, 'r') as f:
                names = [n for n in f if isinstance(f[n], h5py.Dataset)]
                return f[_pick(path, key, names, 'dataset')][...]
        return np.loadtxt(file, delimiter=',', ndmin=2)
    except InputError:
        raise
    except (OSError, ValueError, EOFError) as err:
        raise InputError(f'{path}: cannot read it as {suffix} inputs: {str(err).splitlines()[0][:200]}') from err


def _pick(path: str, key: str | None, names: list[str], kind: str) -> str:
    if key is not None:
        if key not in names:
            raise InputError(f'{path}: no {kind} named {key!r}; it has {", ".join(names) or "none"} (choose with --key)')
        return key
    if len(names) != 1:
        raise InputError(f'{path}: holds {len(names)} {kind}s ({", ".join(names) or "none"}); choose one with --key')
    return names[0]


def _write_outputs(path: str, y, force: bool) -> None:
    """Outputs to .npy, .npz (array ``outputs``), .h5 (dataset ``outputs``) or .csv (exact: 17 digits)."""
    import numpy as np

    from hlsbinary.files import publish_file

    suffix = Path(path).suffix.lower()
    with publish_file(path, force, 'emulator output') as tmp:
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

        return network_of(hls_model_from_config(args.model, verbose=args.verbose)[0])
    from hlsbinary.frontend.keras_objects import check_model_path

    check_model_path(args.model)
    return network_of(args.model, args.input_precision)


def _emulate(args) -> int:
    from hlsbinary.emulator import emulate_network
    from hlsbinary.files import check_file_targets

    if Path(args.output).suffix.lower() not in INPUT_FORMATS:
        raise InputError(f'{args.output}: outputs go to {", ".join(INPUT_FORMATS)}; choose one of those suffixes with -o')
    check_file_targets([args.output], args.force, 'emulator output')
    X = read_inputs(args.inputs, args.key)
    y = emulate_network(_network(args), X, engine=args.engine)
    _write_outputs(args.output, y, args.force)
    print(f'{len(y)} outputs written to {args.output}')
    return 0


def _estimate(args) -> int:
    from hlsbinary.files import check_file_targets, publish_file

    if bool(args.config) == bool(args.model):
        raise UserError('give either a conversion config (-c config.yml) or a saved model (model.h5), not both or neither')
    if args.json:
        check_file_targets([args.json], args.force, 'estimate')
    if args.config:
        from hlsbinary.config import estimate_from_config

        result = estimate_from_config(args.config)
    else:
        from hlsbinary.estimator import estimate_network

        result = estimate_network(_network(args), part=args.part, clock_period=args.clock_period, io_type=args.io_type)
    print(result.table())
    if args.json:
        with publish_file(args.json, args.force, 'estimate') as tmp:
            tmp.write_text(json.dumps(result.to_dict(), indent=2))
        print(f'estimate written to {args.json}')
    return 0


def _data(args) -> int:
    from hlsbinary.datasets import DATASETS, data_dir
    from hlsbinary.validate import close_matches

    if args.action == 'list':
        for name, (description, sources, _) in DATASETS.items():
            print(f'{name:8s} {description}; sources: {", ".join(sources)}')
        print(f'cache: {data_dir()} (set HLSBINARY_DATA to move it)')
        return 0
    if args.name is None:
        raise UserError(f'hlsbinary data {args.action} needs a data set name: {", ".join(DATASETS)}')
    if args.name not in DATASETS:
        raise UserError(f'unknown data set {args.name!r}.{close_matches(args.name, DATASETS)} Known: {", ".join(DATASETS)}')
    if args.action == 'generate':
        if args.name != 'jets':
            raise UserError('only the jet data set has a generator (Pythia 8 + FastJet): hlsbinary data generate jets')
        from hlsbinary.datasets.generate import generate

        out = generate(args.out, args.jets_per_class, seed=args.seed, detector=args.detector, force=args.force)
        print(f'wrote {out}')
        return 0
    dataset = DATASETS[args.name][2](source=args.source)
    print(dataset.summary())
    return 0


def _check_inputs_fit(path, dataset, data_name: str) -> None:
    """Before any work: a model whose stored input size the data set cannot feed is a user's mistake."""
    import numpy as np

    from hlsbinary.datasets import DATASETS
    from hlsbinary.datasets.jets import inputs_for
    from hlsbinary.frontend.keras_objects import saved_input_size

    n_inputs = saved_input_size(path)
    if n_inputs is None:
        return  # not stored where we can read it without TensorFlow: the emulator checks it later
    given = int(np.prod(inputs_for(dataset, n_inputs).X_test.shape[1:]))
    if given != n_inputs:
        raise UserError(
            f'{path}: the model reads {n_inputs} inputs per event, but --data {data_name} gives {given}; report it '
            f'with the data set it was trained on (--data {" | ".join(DATASETS)})'
        )


def _report(args) -> int:
    from tqdm import tqdm

    from hlsbinary.datasets import DATASETS
    from hlsbinary.files import check_directory_target
    from hlsbinary.frontend.keras_objects import check_model_path
    from hlsbinary.report import evaluate_model, group_by_seed, report_metadata, write_report

    check_directory_target(args.out, args.force, 'report')
    for path in args.models:
        check_model_path(path)
    groups = group_by_seed(args.models)  # each model with its <stem>.seed<N>.h5 siblings (hlsbinary train --seeds)
    dataset = DATASETS[args.data][2](source=args.source)
    for group in groups:
        _check_inputs_fit(group[0], dataset, args.data)
    bar = tqdm(total=sum(map(len, groups)), desc='evaluating', unit='model')
    results = []
    for group in groups:
        seeds = []
        for path in group:
            seeds.append(evaluate_model(path, dataset, args.input_precision, args.part, args.clock_period, args.io_type))
            seeds[-1].name = Path(group[0]).stem  # one name per model, whatever the seed
            bar.update(1)
        results.append(seeds)
    bar.close()
    interfaces = {r.io_type for seeds in results for r in seeds if r.io_type}
    io_type = args.io_type or (interfaces.pop() if len(interfaces) == 1 else None)  # None: per model, in the table
    meta = report_metadata(dataset, args.part, args.clock_period, io_type, args.input_precision)
    title = args.title or f'{args.data}: {len(results)} models'
    out = write_report(results, args.out, title=title, force=args.force, meta=meta)
    print(f'report written to {out}/report.md (and report.html, report.json, PNG plots)')
    return 0


def _train(args) -> int:
    from hlsbinary.files import check_file_targets
    from hlsbinary.train import load_train_config, parse_seeds, seed_output, train

    config = load_train_config(args.config)
    seeds = parse_seeds(args.seeds) if args.seeds is not None else [config['Seed']]
    runs = [{**config, 'Seed': seed, 'Output': str(seed_output(config, seed))} for seed in seeds]
    for run in runs:  # refuse every target before the first of several trainings
        check_file_targets([run['Output'], Path(run['Output']).with_suffix('.json')], args.force, 'trained model')
    for run in runs:
        metrics = train(run, force=args.force)
        aucs = ', '.join(f'{c} {100 * a:.1f}' for c, a in metrics['test_auc'].items())
        print(
            f'{metrics["model"]} (seed {run["Seed"]}): test accuracy {100 * metrics["test_accuracy"]:.2f}% '
            f'({metrics["evaluated_as"]}); AUC % {aucs}'
        )
        print(f'saved {run["Output"]} and its metrics beside it')
    return 0


def _sweep(args) -> int:
    from hlsbinary.sweep.command import run

    return run(args)


# ---- the parser -----------------------------------------------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows each argument's default where it has a meaningful one."""

    def _get_help_string(self, action):
        text = action.help or ''
        if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings and '(default' not in text:
            text += ' (default: %(default)s)'
        return text


def _common(suppress: bool) -> argparse.ArgumentParser:
    """--debug and --verbose, accepted before or after the command."""
    common = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else False
    common.add_argument('--debug', action='store_true', default=default, help='show the traceback of an error')
    common.add_argument(
        '--verbose', action='store_true', default=default, help="show TensorFlow's and hls4ml's own messages"
    )
    return common


def _force(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        '--force',
        action='store_true',
        help=f'write the {what} even where hlsbinary did not write what is there (a file you name is replaced; in a '
        "folder, only new files are added: the user's files are never deleted or replaced)",
    )


def build_parser() -> argparse.ArgumentParser:
    from hlsbinary import __version__
    from hlsbinary.parts import DEFAULT_PART, IO_TYPES

    parser = argparse.ArgumentParser(
        prog='hlsbinary',
        description='Bit-exact binary/ternary neural networks on FPGAs with hls4ml: convert, emulate, estimate, train, report.',
        parents=[_common(False)],
        formatter_class=_Formatter,
    )
    parser.add_argument('--version', action='version', version=f'hlsbinary {__version__}')
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    common = _common(True)

    def command(name, help_text, **kw):
        return sub.add_parser(
            name, help=help_text, description=help_text, parents=[common], formatter_class=_Formatter, **kw
        )

    from hlsbinary.config import convert_keys_help

    p = command(
        'convert',
        'convert a model from an hls4ml-style YAML config into an HLS project',
        epilog='config keys:\n' + convert_keys_help(),
    )
    p.add_argument('-c', '--config', required=True, help='conversion config (.yml), the format of hls4ml convert -c')
    p.add_argument('--compile', action='store_true', help='also build the C simulation library with g++')
    _force(p, 'project')
    p.set_defaults(func=_convert)

    p = command('models', 'list the model zoo, or build it with deterministic random weights (for converter tests)')
    p.add_argument('action', choices=['list', 'build'], help='list the architectures, or build them as .h5')
    p.add_argument('names', nargs='*', help='architectures to build (default: every one the plugin folds)')
    p.add_argument('--out', default='models', help='folder for the built .h5 files')
    _force(p, 'models')
    p.set_defaults(func=_models)

    p = command('emulate', 'bit-exact firmware outputs of a model on inputs (.npy/.npz/.h5/.csv)')
    p.add_argument('model', help='a saved QKeras model (.h5) or a conversion config (.yml)')
    p.add_argument('inputs', help='inputs, one event per row: .npy, .npz, .h5/.hdf5 or .csv')
    p.add_argument('-o', '--output', default='outputs.npy', help='where the outputs go: .npy, .npz, .h5/.hdf5 or .csv')
    p.add_argument('--key', default=None, help='array/dataset name inside an .npz/.h5 input file (needed if it has several)')
    p.add_argument(
        '--input-precision', type=precision_arg, default=None,
        help="input precision, e.g. 'ap_fixed<16,6>' (default: hls4ml's fixed<16,6>; a config carries its own)",
    )  # fmt: skip
    p.add_argument('--engine', choices=['auto', 'compiled', 'numpy'], default='auto', help='emulator engine')
    _force(p, 'output')
    p.set_defaults(func=_emulate)

    p = command('estimate', 'LUT/FF/DSP/BRAM and latency of the generated design, per layer, without vendor tools')
    p.add_argument('model', nargs='?', help='a saved QKeras model (.h5); or use -c')
    p.add_argument('-c', '--config', help='a conversion config (Part, ClockPeriod and precisions are read from it)')
    p.add_argument('--part', type=part_arg, default=DEFAULT_PART, help='FPGA part (with a model file)')
    p.add_argument('--clock-period', type=positive_float, default=5.0, help='clock period in ns (with a model file)')
    p.add_argument('--input-precision', type=precision_arg, default=None, help='input precision (default fixed<16,6>)')
    p.add_argument('--io-type', choices=IO_TYPES, default='io_parallel', help='interface (with a model file)')
    p.add_argument('--json', default=None, help='also write the estimate as JSON to this file')
    _force(p, 'JSON file')
    p.set_defaults(func=_estimate)

    p = command('data', 'list the data sets, fetch (and cache) one, or generate jets with Pythia 8')
    p.add_argument('action', choices=['list', 'fetch', 'generate'], help='what to do')
    p.add_argument('name', nargs='?', help='jets, jet_constituents or mnist')
    p.add_argument('--out', default='jets_pythia8.npz', help='generate: the .npz to write (chunks cached beside it)')
    p.add_argument('--jets-per-class', type=positive_int, default=20000, help='generate: jets per class')
    p.add_argument('--seed', type=int, default=20261122, help='generate: base random seed')
    p.add_argument(
        '--detector', choices=('none', 'cms'), default='none',
        help='generate: none (particle level, as the bundled sample) or cms (parametric CMS-like smearing)',
    )  # fmt: skip
    p.add_argument('--source', default='bundled', help='bundled, openml, keras (MNIST), or a path to a local file')
    _force(p, 'jet sample')
    p.set_defaults(func=_data)

    p = command('report', 'ROC curves, AUCs, accuracy, estimated resources and latency of saved models')
    p.add_argument('models', nargs='+', help='saved models (.h5): binary/ternary ones are emulated bit-exactly')
    p.add_argument(
        '--data', choices=['jets', 'jet_constituents', 'mnist'], required=True, help='the data set to evaluate on'
    )
    p.add_argument('--source', default='bundled', help='data source: bundled, openml, keras (MNIST) or a local file')
    p.add_argument('--out', default='report', help='folder for report.md/.html/.json and the plots')
    p.add_argument('--title', default=None, help='report title (default: data set and number of models)')
    p.add_argument(
        '--input-precision', type=precision_arg, default=None, help='default: fixed<16,6> for jets, ufixed<8,0> for MNIST'
    )
    p.add_argument('--part', type=part_arg, default=DEFAULT_PART, help='FPGA part for the estimates')
    p.add_argument('--clock-period', type=positive_float, default=5.0, help='clock period in ns for the estimates')
    p.add_argument(
        '--io-type',
        choices=IO_TYPES,
        default=None,
        help="interface for every model's estimate (default: each model's own, the IOType its training config "
        'recorded in the metrics .json beside it, io_parallel where none is recorded)',
    )
    _force(p, 'report')
    p.set_defaults(func=_report)

    from hlsbinary.train import TRAIN_SCHEMA
    from hlsbinary.validate import schema_help

    p = command(
        'train',
        'train a zoo architecture from a YAML config (the BNN recipe, seeded)',
        epilog='config keys:\n' + schema_help(TRAIN_SCHEMA),
    )
    p.add_argument('-c', '--config', required=True, help='training config (.yml)')
    p.add_argument(
        '--seeds',
        default=None,
        help="train once per seed, e.g. 1,2,3: the config's own Seed goes to Output, every other seed to "
        "<stem>.seed<N>.h5 beside it, which hlsbinary report gathers for error bars (default: the config's Seed)",
    )
    _force(p, 'model')
    p.set_defaults(func=_train)

    from hlsbinary.sweep.config import config_help

    p = command(
        'sweep',
        'Bayesian search (Optuna) of binary/ternary networks: emulated-firmware accuracy vs estimated LUTs and latency',
        epilog='config keys:\n'
        + config_help()
        + '\n\nworkers: start the same command N times with one --storage (PostgreSQL, '
        'or journal:<file> on a shared filesystem) and --study-name; running it again resumes.',
    )
    p.add_argument('-c', '--config', help='sweep config (.yml), e.g. configs/sweep_jets.yml')
    p.add_argument('--trials', type=positive_int, help="the study's total of finished trials (default: budget.trials)")
    p.add_argument('--timeout', type=positive_float, help="this worker's wall time in seconds (default: budget.timeout)")
    p.add_argument(
        '--storage', help='sqlite:///file.db, postgresql://user@host/db or journal:<file> (default: sqlite beside --output)'
    )
    p.add_argument('--study-name', help='study to create, join or resume (default: study.name, or the config file name)')
    p.add_argument('--output', help='results folder (default: output, or sweeps/<study name>)')
    p.add_argument('--sampler', choices=['tpe', 'nsga2', 'random'], help='search algorithm (default: sampler.name, tpe)')
    p.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='KEY=VALUE',
        help='override a config key (read as YAML), e.g. train.epochs=2; repeat for more (default: none)',
    )
    p.add_argument(
        '--summary', action='store_true', help="print an existing study's front (with --storage and --study-name)"
    )
    p.add_argument('--no-export', action='store_true', help='run trials only (workers); a later run without it exports')
    _force(p, 'results')
    p.set_defaults(func=_sweep)
    return parser


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ logging, absl and Python warnings raised while importing it."""
    import logging
    import warnings

    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    os.environ.setdefault('ABSL_MIN_LOG_LEVEL', '3')
    warnings.filterwarnings('ignore', category=DeprecationWarning)
    warnings.filterwarnings('ignore', category=FutureWarning)
    warnings.filterwarnings('ignore', module='keras.*')
    warnings.filterwarnings('ignore', module='tensorflow.*')
    logging.getLogger('tensorflow').setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass


def _one_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    return ' '.join(lines) if len(lines) <= 1 or len(lines) > 40 else lines[0] + ' ' + ' | '.join(lines[1:])


def _close_progress_bars() -> None:
    """Clear any progress bar an error interrupted, so that the error is a line of its own (and the last)."""
    tqdm = getattr(sys.modules.get('tqdm'), 'tqdm', None)
    for bar in list(getattr(tqdm, '_instances', ())):
        bar.leave = False
        bar.close()


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.verbose:
        quiet_tensorflow()
    try:
        try:
            return args.func(args)
        except BaseException:
            _close_progress_bars()
            raise
    except UserError as err:
        if args.debug:
            traceback.print_exc()
        print(f'hlsbinary: error: {_one_line(err)}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('hlsbinary: interrupted; nothing half-written was published', file=sys.stderr)
        return 130
    except Exception as err:
        from hlsbinary import __version__
        from hlsbinary.hls_project import CompileError

        if args.debug:
            traceback.print_exc()
        if isinstance(err, CompileError):
            print(f'hlsbinary: error: {err}', file=sys.stderr)
        else:
            print(f'hlsbinary: internal error: {type(err).__name__}: {_one_line(err)}', file=sys.stderr)
        print(
            f'This is a bug in hlsbinary {__version__}, not your mistake. Please report it at {ISSUES_URL} with the '
            'command you ran and its output with --debug.',
            file=sys.stderr,
        )
        return 1


if __name__ == '__main__':
    sys.exit(main())
