"""``hlsbinary sweep``: run (or join, or resume) a study, then publish its front; or print an existing study's front."""

from __future__ import annotations

import sys

from hlsbinary.errors import UserError


def _summary(args) -> int:
    """``--summary``: the front of an existing study, read from its storage (nothing is created or changed)."""
    import optuna

    from hlsbinary.sweep.config import load_sweep_config
    from hlsbinary.sweep.export import summary_text
    from hlsbinary.sweep.study import default_storage, masked, open_storage
    from hlsbinary.validate import close_matches

    url, name = args.storage, args.study_name
    if args.config:
        config = load_sweep_config(
            args.config, args.set, {'study.name': (name, '--study-name'), 'study.storage': (url, '--storage')}
        )
        url = config['study'].get('storage') or default_storage(args.output or config['output'])
        name = config['study']['name']
    if not url or not name:
        raise UserError('hlsbinary sweep --summary needs --storage URL and --study-name NAME (or -c CONFIG)')
    storage = open_storage(url, must_exist=True)
    names = optuna.study.get_all_study_names(storage)
    if name not in names:
        hint = close_matches(name, names)
        raise UserError(f'no study named {name!r} in {masked(url)}.{hint} It holds: {", ".join(names) or "no study"}')
    study = optuna.load_study(study_name=name, storage=storage)
    meta = study.user_attrs.get('hlsbinary')
    if meta is None:
        raise UserError(f'the study {name!r} in {masked(url)} was not made by hlsbinary sweep')
    print(summary_text(study, meta['settings']))
    return 0


def run(args) -> int:
    """The ``sweep`` subcommand (arguments as :func:`hlsbinary.cli.build_parser` defines them)."""
    from hlsbinary.sweep.study import quiet_optuna

    quiet_optuna(args.verbose)
    if args.summary:
        return _summary(args)
    if not args.config:
        raise UserError(
            'hlsbinary sweep needs a config: -c configs/sweep_jets.yml (or --summary --storage URL --study-name NAME)'
        )
    from hlsbinary.files import check_directory_target
    from hlsbinary.sweep.config import load_sweep_config
    from hlsbinary.sweep.export import export_results
    from hlsbinary.sweep.objective import Objective, load_data
    from hlsbinary.sweep.study import default_storage, finished, masked, prepare, run_trials

    flags = {
        'budget.trials': (args.trials, '--trials'),
        'budget.timeout': (args.timeout, '--timeout'),
        'study.storage': (args.storage, '--storage'),
        'study.name': (args.study_name, '--study-name'),
        'sampler.name': (args.sampler, '--sampler'),
        'output': (args.output, '--output'),
    }
    config = load_sweep_config(args.config, args.set, flags)
    export = not args.no_export
    if export:
        check_directory_target(config['output'], args.force, 'sweep results')  # before hours of trials
    url = config['study'].get('storage') or default_storage(config['output'])
    data = load_data(config['data'])
    opened, journal = prepare(config, url, data)
    study, name = opened.study, config['study']['name']
    done = finished(study)
    print(
        f'study {name!r} in {masked(url)}: {"new" if opened.created else f"{done} finished trials"}; '
        f'budget {config["budget"]["trials"]}, sampler {config["sampler"]["name"]}; data {data.dataset.name} '
        f'({len(data.dataset.X_train):,} training events, {data.validation_split:g} of them for scoring)'
    )
    for key, values in opened.dropped.items():
        print(f'  space: {key} {", ".join(map(str, values))} left out: the plugin does not fold them (yet)')
    for key, values in opened.newly_foldable.items():
        print(f'  note: the plugin now folds {key} {", ".join(map(str, values))}; start a new --study-name to search them')
    heartbeat = config['study']['heartbeat'] if journal else None
    objective = Objective(opened.space, data, config, heartbeat=heartbeat)
    try:
        run_trials(study, objective, config, config['budget']['timeout'], show=True, journal=journal)
    except KeyboardInterrupt:
        print(
            f'hlsbinary: the study keeps its {finished(study)} finished trials in {masked(url)}; run the same command to '
            'resume (the interrupted trial is run again)',
            file=sys.stderr,
        )
        raise
    done = finished(study)
    print(f'study {name!r}: {done} finished trials of {config["budget"]["trials"]}')
    if not export:
        return 0
    out, rows = export_results(
        study, opened.space, data, config, config['output'], args.force, True, args.verbose, masked(url)
    )
    from hlsbinary.sweep.front import table

    print(table(rows, config['objectives']['maximise']))
    print(f'results written to {out}/ (pareto.csv, pareto.json, trials.csv, summary.md, plots, front/)')
    return 0
