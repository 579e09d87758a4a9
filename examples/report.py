"""The physicist's report of several trained jet taggers: ROC curves, AUCs, estimated LUTs and latency.

python examples/report.py [--out report_example] models/trained/jets_*.h5
"""

import argparse


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('models', nargs='*', default=['models/trained/jets_binary_64_32_32.h5'])
    parser.add_argument('--out', default='report_example')
    args = parser.parse_args()

    from hlsbinary.datasets import load_jets
    from hlsbinary.report import evaluate_model, write_report

    data = load_jets()
    results = [evaluate_model(path, data) for path in args.models]
    for r in results:
        print(f'{r.name}: accuracy {r.accuracy:.4f}, mean AUC {sum(r.aucs().values()) / len(r.aucs()):.4f} ({r.kind})')
    print(f'report written to {write_report(results, args.out, title="example report")}')


if __name__ == '__main__':
    main()
