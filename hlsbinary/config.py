"""``hlsbinary convert -c config.yml``: hls4ml's YAML format, validated, with KerasH5/KerasJson working."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from hlsbinary.files import staged_directory

KNOWN_KEYS = {
    'KerasModel': 'path to a saved Keras/QKeras model (.h5 or SavedModel)',
    'KerasH5': 'path to a model saved with model.save() in HDF5, or weights with KerasJson',
    'KerasJson': 'path to a model architecture saved with model.to_json()',
    'OutputDir': 'where the HLS project is written',
    'ProjectName': 'name of the HLS top function',
    'Backend': 'VitisBinary, VivadoBinary, or any hls4ml backend',
    'Part': 'FPGA part, e.g. xcvu9p-flga2104-2L-e',
    'Board': 'board name (VivadoAccelerator)',
    'ClockPeriod': 'clock period in ns',
    'ClockUncertainty': 'clock uncertainty, e.g. 12.5%',
    'IOType': 'io_parallel (io_stream is not supported by the binary layers)',
    'HLSConfig': 'hls4ml layer configuration (Model, LayerName, LayerType)',
    'WriterConfig': 'hls4ml writer options',
    'InputData': 'test-bench inputs (.npy/.dat)',
    'OutputPredictions': 'test-bench outputs (.npy/.dat)',
}


class ConfigError(ValueError):
    """A configuration file cannot be converted; the message names the key and the fix."""


def load_config(path: str | Path) -> dict:
    """Read and validate a conversion config; relative model paths are taken relative to the working directory."""
    with open(path) as f:
        config = yaml.safe_load(f) or {}
    unknown = sorted(set(config) - set(KNOWN_KEYS))
    if unknown:
        known = ', '.join(sorted(KNOWN_KEYS))
        raise ConfigError(f'{path}: unknown key(s) {unknown}. Known keys: {known}.')
    sources = [k for k in ('KerasModel', 'KerasH5', 'KerasJson') if k in config]
    if not sources:
        raise ConfigError(f'{path}: no model given: set KerasModel (a saved model), KerasH5, or KerasJson + KerasH5.')
    if config.get('IOType', 'io_parallel') != 'io_parallel':
        raise ConfigError(f'{path}: IOType {config["IOType"]!r} is not supported by the binary layers; use io_parallel.')
    for key in sources:
        if not Path(config[key]).exists():
            raise ConfigError(
                f'{path}: {key} file {config[key]!r} does not exist (run `hlsbinary models build` for the zoo).'
            )
    hls = config.setdefault('HLSConfig', {})
    model_cfg = hls.setdefault('Model', {})
    model_cfg.setdefault('Precision', 'fixed<16,6>')
    model_cfg.setdefault('ReuseFactor', 1)
    config.setdefault('Backend', 'VitisBinary')
    config.setdefault('OutputDir', 'hls_projects/' + Path(path).stem)
    config.setdefault('ProjectName', 'myproject')
    config.setdefault('IOType', 'io_parallel')
    return config


def load_keras_model(config: dict):
    """The Keras model a config points to, with every QKeras object registered."""
    from hlsbinary.frontend.keras_objects import load_model, register_keras_objects

    if 'KerasModel' in config:
        return load_model(config['KerasModel'])
    if 'KerasJson' in config:
        register_keras_objects()
        import tensorflow as tf

        with open(config['KerasJson']) as f:
            model = tf.keras.models.model_from_json(f.read())
        if 'KerasH5' in config:
            model.load_weights(config['KerasH5'])
        return model
    return load_model(config['KerasH5'])


def convert(config_path: str | Path, compile: bool = False):
    """Convert the model of ``config_path`` and write the project; return ``(hls_model, output_dir)``.

    The project is written to a temporary folder beside the target and moved into place at the end,
    so a failure never leaves a half-written project.
    """
    import hls4ml

    config = load_config(config_path)
    keras_model = load_keras_model(config)
    target = Path(config['OutputDir']).resolve()
    with staged_directory(target) as staging:
        hls_config = {k: v for k, v in config.items() if k not in ('KerasH5', 'KerasJson', 'KerasModel')}
        hls_config['KerasModel'] = keras_model
        hls_config['OutputDir'] = str(staging)
        hls_model = hls4ml.converters.convert_from_config(hls_config)
        hls_model.write()
    hls_model.config.config['OutputDir'] = str(target)
    if compile:
        hls_model.compile()
    return hls_model, target


def hls_model_from_config(config_path: str | Path):
    """The hls4ml model a config describes, converted in memory (nothing is written) with the config's precisions."""
    import hls4ml

    config = load_config(config_path)
    hls_config = {k: v for k, v in config.items() if k not in ('KerasH5', 'KerasJson', 'KerasModel')}
    hls_config['KerasModel'] = load_keras_model(config)
    with tempfile.TemporaryDirectory() as scratch:
        hls_config['OutputDir'] = scratch
        return hls4ml.converters.convert_from_config(hls_config), config


def estimate_from_config(config_path: str | Path):
    """:func:`hlsbinary.estimator.estimate` of the design ``hlsbinary convert -c`` would write (Part, ClockPeriod,
    ClockUncertainty and every precision read from the config)."""
    from hlsbinary.estimator import DEFAULT_UNCERTAINTY, estimate

    hls_model, config = hls_model_from_config(config_path)
    uncertainty = config.get('ClockUncertainty', DEFAULT_UNCERTAINTY)
    if isinstance(uncertainty, str):
        text = uncertainty.strip()
        if not text.endswith('%'):
            raise ConfigError(f"{config_path}: ClockUncertainty {uncertainty!r} must be a percentage like '12.5%'.")
        uncertainty = float(text[:-1]) / 100
    return estimate(
        hls_model,
        part=config.get('Part', 'xcvu9p-flga2104-2L-e'),
        clock_period=float(config.get('ClockPeriod', 5)),
        clock_uncertainty=float(uncertainty),
    )
