"""``hlsbinary convert -c config.yml``: hls4ml's YAML conversion format, every value checked before any work starts.

The keys are hls4ml's (``KerasModel``, ``OutputDir``, ``Backend``, ``Part``, ``ClockPeriod``, ``IOType``,
``HLSConfig`` ...), so the same file works with ``hls4ml convert -c``; hlsbinary also reads ``KerasH5`` and
``KerasJson`` (which hls4ml 1.3.0 silently ignores), names unknown keys, shows the value and what is allowed for a
bad one, fills in stated defaults, and writes the project through :mod:`hlsbinary.files` (never over a user's file).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from hlsbinary.errors import ConfigError, InputError, UnsupportedModelError
from hlsbinary.parts import DEFAULT_PART, IO_TYPES, device_of, unknown_part_message
from hlsbinary.validate import (
    Invalid,
    Key,
    boolean,
    choice,
    close_matches,
    existing_path,
    integer,
    load_yaml,
    mapping,
    mapping_of,
    number,
    precision_or_mapping,
    schema_help,
    string,
    validate,
)

PLUGIN_BACKENDS = ('VivadoBinary', 'VitisBinary')
XILINX_BACKENDS = ('Vivado', 'Vitis', 'VivadoAccelerator', *PLUGIN_BACKENDS)
BACKEND_NAMES = (*XILINX_BACKENDS, 'Quartus', 'Catapult', 'oneAPI', 'SymbolicExpression', 'Libero')
STRATEGIES = ('Latency', 'Resource', 'resource_unrolled', 'distributed_arithmetic')
DEFAULT_PRECISION = 'fixed<16,6>'


def _backend(value):
    from hls4ml.backends import get_available_backends

    available = get_available_backends()
    if isinstance(value, str) and value.lower() in available:
        return next((name for name in BACKEND_NAMES if name.lower() == value.lower()), value)
    names = [n for n in BACKEND_NAMES if n.lower() in available] + sorted(
        set(available) - {n.lower() for n in BACKEND_NAMES}
    )
    raise Invalid(f'an hls4ml backend: {", ".join(names)}.{close_matches(value, names)}'.rstrip('.'))


def _percentage(value):
    text = str(value).strip() if isinstance(value, str | int | float) and not isinstance(value, bool) else ''
    try:
        number_part = float(text[:-1] if text.endswith('%') else text)
    except ValueError:
        number_part = -1.0
    if not 0 <= number_part < 100:
        raise Invalid("a percentage of the clock period from 0 to 100, e.g. '12.5%'")
    return f'{number_part:g}%'


def _model_file(value):
    """A Keras model: an HDF5 file (.h5), a Keras v3 archive (.keras) or a SavedModel folder."""
    import zipfile

    path = Path(existing_path('any')(value))
    if path.is_dir():
        if not (path / 'saved_model.pb').exists():
            raise Invalid('a folder, but not a SavedModel (no saved_model.pb in it); give a model saved with model.save()')
        return str(value)
    if path.suffix.lower() == '.keras':
        if not zipfile.is_zipfile(path):
            raise Invalid('not a Keras archive (.keras files are zip archives written by model.save())')
        return str(value)
    import h5py

    if not h5py.is_hdf5(path):
        raise Invalid("not an HDF5 file; give a model saved with model.save('model.h5')")
    return str(value)


def _json_file(value):
    path = Path(existing_path('file')(value))
    import json

    try:
        json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise Invalid('not a JSON file; give the architecture written by model.to_json()') from None
    return str(value)


def _strings(value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid('a list of names')
    return value


def _layer_schema(where: str) -> dict[str, Key]:
    return {
        'Precision': Key('precision of the layer, or a mapping (result, weight, bias, accum ...)', precision_or_mapping),
        'ReuseFactor': Key('multiplier reuse factor (1 = fully parallel)', integer(1)),
        'Strategy': Key('Latency or Resource', choice(STRATEGIES)),
        'Trace': Key('record this layer in hls_model.trace()', boolean),
        'ConvImplementation': Key('LineBuffer or Encoded', choice(('LineBuffer', 'Encoded', 'Pointwise'))),
        'Compression': Key('compress sparse weights', boolean),
        'TargetCycles': Key('target latency in cycles', integer(1)),
        'ParallelizationFactor': Key('convolution parallelisation factor', integer(1)),
        'IntegerScores': Key('hlsbinary: output integer scores instead of the folded affine', boolean),
    }


def _model_schema() -> dict[str, Key]:
    return {
        'Precision': Key(
            'default precision, or a mapping of variable to precision', precision_or_mapping, DEFAULT_PRECISION
        ),
        'ReuseFactor': Key('multiplier reuse factor (1 = fully parallel)', integer(1), 1),
        'Strategy': Key('Latency or Resource', choice(STRATEGIES), 'Latency'),
        'BramFactor': Key('weights above this size go to BRAM', integer(0)),
        'TraceOutput': Key('trace every layer', boolean),
        'ConvImplementation': Key('LineBuffer or Encoded', choice(('LineBuffer', 'Encoded', 'Pointwise'))),
        'Compression': Key('compress sparse weights', boolean),
        'PipelineStyle': Key('auto, pipeline or dataflow', choice(('auto', 'pipeline', 'dataflow'))),
        'PipelineInterval': Key('initiation interval of the top function', integer(1)),
        'TargetCycles': Key('target latency in cycles', integer(1)),
        'IntegerScores': Key('hlsbinary: output integer scores instead of the folded affine', boolean),
    }


def hls_schema(where: str) -> dict[str, Key]:
    return {
        'Model': Key('settings for every layer', mapping(_model_schema(), f'{where}: HLSConfig: Model')),
        'LayerName': Key(
            'per-layer settings by Keras layer name',
            mapping_of(
                mapping(_layer_schema(where), f'{where}: HLSConfig: LayerName'),
                f'{where}: HLSConfig: LayerName',
                'layer name',
            ),
        ),
        'LayerType': Key(
            'per-layer settings by layer class',
            mapping_of(
                mapping(_layer_schema(where), f'{where}: HLSConfig: LayerType'),
                f'{where}: HLSConfig: LayerType',
                'layer class',
            ),
        ),
        'Flows': Key('hls4ml flows to run', _strings),
        'Optimizers': Key('hls4ml optimizer passes to run', _strings),
        'SkipOptimizers': Key('hls4ml optimizer passes to skip', _strings),
    }


def writer_schema() -> dict[str, Key]:
    return {
        'Namespace': Key('C++ namespace of the project', string(r'[A-Za-z_]\w*', 'a C++ identifier')),
        'WriteWeightsTxt': Key('write weights as .txt files read at simulation time', boolean, True),
        'WriteTar': Key('also write a .tar.gz of the project', boolean, False),
        'TBOutputStream': Key('test-bench output: both, stdout or file', choice(('both', 'stdout', 'file')), 'both'),
    }


def convert_schema(where: str) -> dict[str, Key]:
    """The keys of a conversion config, their meaning, checks and defaults."""
    return {
        'KerasModel': Key('saved Keras/QKeras model: .h5, .keras or a SavedModel folder', _model_file),
        'KerasH5': Key('model saved with model.save() in HDF5, or the weights for KerasJson', _model_file),
        'KerasJson': Key('model architecture saved with model.to_json()', _json_file),
        'OutputDir': Key('folder the HLS project is written to', string(), 'hls_projects/<config file name>'),
        'ProjectName': Key(
            'name of the HLS top function', string(r'[A-Za-z_]\w*', 'a C identifier (letters, digits, _)'), 'myproject'
        ),
        'Backend': Key("hls4ml backend; VitisBinary and VivadoBinary are hlsbinary's", _backend, 'VitisBinary'),
        'Part': Key(f'FPGA part (Xilinx backends: a device hlsbinary knows, default {DEFAULT_PART})', string()),
        'Board': Key('board name (VivadoAccelerator backend)', string()),
        'ClockPeriod': Key('clock period in ns', number(0, 1000, open_min=True), 5),
        'ClockUncertainty': Key("clock uncertainty in percent of the period, e.g. '12.5%'", _percentage, '12.5%'),
        'IOType': Key('io_parallel (arrays) or io_stream (streams)', choice(IO_TYPES), 'io_parallel'),
        'HLSConfig': Key(
            'hls4ml layer configuration (Model, LayerName, LayerType)', mapping(hls_schema(where), f'{where}: HLSConfig')
        ),
        'WriterConfig': Key('hls4ml writer options', mapping(writer_schema(), f'{where}: WriterConfig')),
        'InputData': Key('test-bench inputs (.npy or .dat)', existing_path('file')),
        'OutputPredictions': Key('test-bench expected outputs (.npy or .dat)', existing_path('file')),
    }


def convert_keys_help() -> str:
    return schema_help(convert_schema('config.yml'))


def load_config(path: str | Path) -> dict:
    """Read and validate a conversion config; defaults filled in.  Relative paths are taken from the working folder."""
    where = str(path)
    config = validate(load_yaml(path, 'conversion config'), convert_schema(where), where, 'a conversion config')
    sources = [k for k in ('KerasModel', 'KerasH5', 'KerasJson') if k in config]
    if not sources:
        raise ConfigError(f'{where}: no model given: set KerasModel (a saved model), KerasH5, or KerasJson with KerasH5')
    if 'KerasModel' in config and len(sources) > 1:
        raise ConfigError(f'{where}: give either KerasModel or KerasJson/KerasH5, not both')
    if config['OutputDir'] == 'hls_projects/<config file name>':
        config['OutputDir'] = f'hls_projects/{Path(path).stem}'
    hls = config.setdefault('HLSConfig', {})
    hls.setdefault('Model', validate({}, _model_schema(), where))
    if config['Backend'] in XILINX_BACKENDS:
        config.setdefault('Part', DEFAULT_PART)
        if device_of(config['Part']) is None:
            raise ConfigError(f'{where}: Part: {config["Part"]!r} is not allowed: {unknown_part_message(config["Part"])}')
    return config


def check_layer_names(config: dict, keras_model, where: str) -> None:
    """Per-layer settings must name layers of the model (a typo would otherwise be ignored silently)."""
    names = [layer.name for layer in keras_model.layers]
    for name in config.get('HLSConfig', {}).get('LayerName', {}):
        if name not in names:
            raise ConfigError(
                f'{where}: HLSConfig: LayerName: {name!r} is not a layer of the model.{close_matches(name, names)} '
                f'Layers: {", ".join(names)}'
            )


def load_keras_model(config: dict):
    """The Keras model a config points to, with every QKeras object registered; load failures are InputErrors."""
    from hlsbinary.frontend.keras_objects import load_model, register_keras_objects

    path = config.get('KerasModel') or config.get('KerasH5')
    if 'KerasJson' in config:
        register_keras_objects()
        import tensorflow as tf

        try:
            with open(config['KerasJson']) as f:
                model = tf.keras.models.model_from_json(f.read())
        except Exception as err:
            raise InputError(f'{config["KerasJson"]}: Keras cannot build a model from it: {_first_line(err)}') from err
        if 'KerasH5' in config:
            try:
                model.load_weights(config['KerasH5'])
            except Exception as err:
                raise InputError(
                    f'{config["KerasH5"]}: cannot load these weights into the model of KerasJson: {_first_line(err)}'
                ) from err
        return model
    return load_model(path)


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]


def _hls4ml_convert(config: dict, keras_model, output_dir: str, verbose: bool):
    """hls4ml's conversion; its chatter is hidden unless ``verbose``, its known user-facing failures made clear."""
    import hls4ml

    hls_config = {k: v for k, v in config.items() if k not in ('KerasH5', 'KerasJson', 'KerasModel')}
    hls_config['KerasModel'] = keras_model
    hls_config['OutputDir'] = output_dir
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter) if not verbose else contextlib.nullcontext():
            return hls4ml.converters.convert_from_config(hls_config)
    except Exception as err:
        message = _first_line(err)
        if message.startswith(('ERROR: Unsupported layer type', 'Unsupported QKeras')):
            raise UnsupportedModelError(f'hls4ml cannot convert this model: {message.removeprefix("ERROR: ")}') from err
        raise


def convert(config_path: str | Path, compile: bool = False, force: bool = False, verbose: bool = False):
    """Convert the model of ``config_path`` and write the project; return ``(hls_model, output_dir)``.

    The project (and with ``compile`` its C simulation library) is built in a staging folder and published into
    ``OutputDir`` only when everything succeeded; see :mod:`hlsbinary.files` for what may be replaced.
    """
    from hlsbinary.files import check_directory_target, publish_directory
    from hlsbinary.hls_project import build_library, load_library, retarget

    config = load_config(config_path)
    target = check_directory_target(config['OutputDir'], force, 'HLS project')  # before minutes of work
    keras_model = load_keras_model(config)
    check_layer_names(config, keras_model, str(config_path))
    if config['Backend'] in ('VivadoBinary', 'VitisBinary'):
        from hlsbinary.frontend.qkeras import check_hls4ml_parses_activations

        check_hls4ml_parses_activations(keras_model)
    with publish_directory(target, force, 'HLS project') as staging:
        hls_model = _hls4ml_convert(config, keras_model, str(staging), verbose)
        hls_model.write()
        retarget(staging, target)
        library = build_library(hls_model, staging, final_dir=target) if compile else None
    hls_model.config.config['OutputDir'] = str(target)
    if library is not None:
        load_library(hls_model, target / library.relative_to(staging))
    return hls_model, target


def hls_model_from_config(config_path: str | Path, verbose: bool = False):
    """The hls4ml model a config describes, converted in memory (nothing is written) with the config's precisions."""
    config = load_config(config_path)
    keras_model = load_keras_model(config)
    check_layer_names(config, keras_model, str(config_path))
    with tempfile.TemporaryDirectory() as scratch:
        return _hls4ml_convert(config, keras_model, scratch, verbose), config


def estimate_from_config(config_path: str | Path):
    """:func:`hlsbinary.estimator.estimate` of the design ``hlsbinary convert -c`` would write (Part, ClockPeriod,
    ClockUncertainty, IOType and every precision read from the config)."""
    from hlsbinary.estimator import estimate

    hls_model, config = hls_model_from_config(config_path)
    return estimate(
        hls_model,
        part=config['Part'],
        clock_period=float(config['ClockPeriod']),
        clock_uncertainty=float(config['ClockUncertainty'].rstrip('%')) / 100,
        io_type=config['IOType'],
    )
