"""The ``hlsbinary`` command line."""

from __future__ import annotations

import argparse
import sys


def _convert(args) -> int:
    from hlsbinary.config import convert

    _, target = convert(args.config, compile=args.compile)
    print(f'HLS project written to {target}')
    return 0


def _models(args) -> int:
    from hlsbinary.zoo import ARCHITECTURES, build_all

    if args.action == 'list':
        for name, (n_in, widths, kind) in ARCHITECTURES.items():
            print(f'{name:30s} {kind:8s} {n_in}x' + 'x'.join(map(str, widths)))
        return 0
    for path in build_all(args.out, args.names or None):
        print(f'wrote {path}')
    return 0


def _emulate(args) -> int:
    import numpy as np

    from hlsbinary.emulator import emulate

    data = np.load(args.inputs)
    X = data[data.files[0]] if hasattr(data, 'files') else data
    y = emulate(args.model, X, input_precision=args.input_precision)
    np.save(args.output, y)
    print(f'{len(y)} outputs written to {args.output}')
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
    p = sub.add_parser('emulate', help='bit-exact firmware outputs of a model on inputs (.npy/.npz)')
    p.add_argument('model')
    p.add_argument('inputs')
    p.add_argument('-o', '--output', default='outputs.npy')
    p.add_argument('--input-precision', default=None, help="e.g. 'ap_fixed<16,6>' (hls4ml's default)")
    p.set_defaults(func=_emulate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f'hlsbinary: error: {err}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
