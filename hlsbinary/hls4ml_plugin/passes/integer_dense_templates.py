"""``str.format`` templates of the :class:`IntegerDense` config struct and function call."""

from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate

from hlsbinary.hls4ml_plugin.layer import IntegerDense, IntegerPool
from hlsbinary.ir import AffineStage, ThresholdStage
from hlsbinary.kernel import affine_types, plan

config_template = """struct config{index} {{
    static const unsigned in_size = {in_size};
    static const unsigned out_size = {out_size};
    static const unsigned n_positions = {n_positions};
    static const bool windowed = {windowed};
{window}    typedef {inputs_t} inputs_t;
    typedef {stream_inputs_t} stream_inputs_t;
    static const unsigned n_in = {n_in};
    static const unsigned n_out = {n_out};
    static const unsigned n_leaves = {n_leaves};
    static const unsigned n_words = {n_words};
    static const unsigned n_thr = {n_thr};
    static const bool popcount = {popcount};
    static const int level_base = {level_base};
    static const int level_step = {level_step};
    typedef {path_t} path_t;
    typedef {accum_t} accum_t;
    typedef {score_t} score_t;
    typedef ap_int<{compare_width}> compare_t;
    typedef {word_t} word_t;
    typedef {threshold_t} threshold_t;
    typedef {flip_t} flip_t;
    typedef {scale_store_t} scale_store_t;
    typedef {offset_store_t} offset_store_t;
    typedef {scale_t} scale_t;
    typedef {offset_t} offset_t;
    typedef {product_t} product_t;
    typedef {output_code_t} output_code_t;
}};\n"""

include_list = ['nnet_utils/nnet_integer_dense.h', 'nnet_utils/nnet_integer_stream.h']

window_template = """    static const unsigned in_height = {in_height};
    static const unsigned in_width = {in_width};
    static const unsigned n_chan = {n_chan};
    static const unsigned filt_height = {filt_height};
    static const unsigned filt_width = {filt_width};
    static const unsigned stride_height = {stride_height};
    static const unsigned stride_width = {stride_width};
    static const int pad_top = {pad_top};
    static const int pad_left = {pad_left};
    static const int pad_bottom = {pad_bottom};
    static const int pad_right = {pad_right};
    static const unsigned out_width = {out_width};
"""


def window_params(window) -> dict:
    """The geometry of a window as the header's CONFIG_T names it (a 1D window is one row high)."""
    spatial = list(window.in_shape[:-1])
    kernel, strides, pads, out = list(window.kernel), list(window.strides), list(window.pads), list(window.out_spatial)
    if len(spatial) == 1:
        spatial, kernel, strides, pads, out = [1, *spatial], [1, *kernel], [1, *strides], [(0, 0), *pads], [1, *out]
    return {
        'in_height': spatial[0],
        'in_width': spatial[1],
        'n_chan': window.channels,
        'filt_height': kernel[0],
        'filt_width': kernel[1],
        'stride_height': strides[0],
        'stride_width': strides[1],
        'pad_top': pads[0][0],
        'pad_left': pads[1][0],
        'pad_bottom': pads[0][1],
        'pad_right': pads[1][1],
        'out_width': out[1],
    }


def kernel_name(ir) -> str:
    """``threshold``, ``affine`` or ``scores``: which ``nnet::integer_dense_*`` function computes the layer."""
    if isinstance(ir.output, ThresholdStage):
        return 'threshold'
    if isinstance(ir.output, AffineStage):
        return 'affine'
    return 'scores'


class IntegerDenseConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(IntegerDense)
        self.template = config_template

    def format(self, node):
        params = self._default_config_params(node)
        ir = node.get_attr('ir')
        kp = plan(ir)
        params['in_size'], params['out_size'] = ir.in_size, ir.out_size
        params['n_positions'] = ir.window.n_positions if ir.window is not None else 1
        params['windowed'] = 'true' if ir.window is not None else 'false'
        if ir.window is not None:
            params['window'] = window_template.format(**window_params(ir.window))
            params['inputs_t'] = f'nnet::hlsb_window_inputs<config{node.index}>'
            params['stream_inputs_t'] = f'nnet::hlsb_buffer_inputs<config{node.index}>'
        else:
            params['window'] = ''
            params['inputs_t'] = params['stream_inputs_t'] = 'nnet::hlsb_dense_inputs'
        params['n_leaves'] = kp.n_leaves
        params['n_words'] = kp.n_words
        params['n_thr'] = node.get_attr('n_thr', 0)
        params['popcount'] = 'true' if kp.popcount else 'false'
        params['path_t'] = 'ap_uint<1>' if kp.popcount else 'void'
        params['accum_t'] = kp.accum.hls()
        params['score_t'] = kp.score.hls()
        params['compare_width'] = kp.compare_width
        params['word_t'] = node.get_weights('wpos').type.name
        unused = 'ap_uint<1>'
        params['threshold_t'] = node.get_weights('thresholds').type.name if 'thresholds' in node.weights else unused
        params['flip_t'] = node.get_weights('flip').type.name if 'flip' in node.weights else unused
        if isinstance(ir.output, AffineStage):
            scale_t, offset_t, product_t = affine_types(ir)
            params['scale_t'], params['offset_t'], params['product_t'] = scale_t.hls(), offset_t.hls(), product_t.hls()
            params['output_code_t'] = f'ap_int<{ir.output.out_type.width}>'
            params['scale_store_t'] = node.get_weights('scale').type.name
            params['offset_store_t'] = node.get_weights('offset').type.name
        else:
            for key in ('scale_t', 'offset_t', 'product_t', 'output_code_t', 'scale_store_t', 'offset_store_t'):
                params[key] = unused
        return self.template.format(**params)


class IntegerDenseFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(IntegerDense, include_header=include_list)

    def format(self, node):
        params = self._default_function_params(node)
        kernel = kernel_name(node.get_attr('ir'))
        args = ['wpos', 'wneg'] + {'threshold': ['thresholds', 'flip'], 'affine': ['scale', 'offset'], 'scores': []}[kernel]
        weights = ', '.join(node.get_weights(name).name for name in args)
        return (
            f'nnet::integer_dense_{kernel}<{params["input_t"]}, {params["output_t"]}, {params["config"]}>'
            f'({params["input"]}, {params["output"]}, {weights});'
        )


pool_config_template = """struct config{index} {{
    static const unsigned window_size = {window_size};
    static const unsigned in_size = {in_size};
    static const unsigned out_size = {out_size};
    static const unsigned n_positions = {n_positions};
{window}    typedef {take_min_t} flip_t;
}};\n"""


class IntegerPoolConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(IntegerPool)
        self.template = pool_config_template

    def format(self, node):
        params = self._default_config_params(node)
        ir = node.get_attr('ir')
        params['in_size'], params['out_size'] = ir.in_size, ir.out_size
        params['n_positions'] = ir.window.n_positions
        params['window_size'] = ir.window.window_size
        params['window'] = window_template.format(**window_params(ir.window))
        params['take_min_t'] = node.get_weights('take_min').type.name
        return self.template.format(**params)


class IntegerPoolFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(IntegerPool, include_header=include_list)

    def format(self, node):
        params = self._default_function_params(node)
        return (
            f'nnet::integer_pool<{params["input_t"]}, {params["output_t"]}, {params["config"]}>'
            f'({params["input"]}, {params["output"]}, {node.get_weights("take_min").name});'
        )
