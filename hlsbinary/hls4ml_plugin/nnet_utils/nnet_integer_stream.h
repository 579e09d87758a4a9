// hlsbinary, io_stream: the same integer layers on streams.  A Dense layer gathers its input packs, computes every
// neuron at once (nnet_integer_dense.h) and writes its output packs.  A convolution or a pool streams its
// channels-last image through a line buffer of its kernel's height: one input pixel a cycle, and at every position
// whose window is complete, one output pixel (all filters, or all channels, in parallel).  Padding pixels are never
// read from the stream: the window's real-input test leaves them out, exactly as in io_parallel.
#ifndef NNET_INTEGER_STREAM_H_
#define NNET_INTEGER_STREAM_H_

#include "hls_stream.h"
#include "nnet_integer_dense.h"
#include "nnet_types.h"

namespace nnet {

// A position on a stream is p = (oy << 16) | ox (output row and column, counted by the line buffer): decoding it is
// wiring, and whether window element i lies in the padding is a comparison of oy and ox with constants, so no
// division or multiplication by a variable position exists.
static const unsigned HLSB_ROW_SHIFT = 16;

// Element i = (ky, kx, c) of the window buffer at position p, or -1 where it lies in the padding.
template <class CONFIG_T> struct hlsb_buffer_inputs {
    // The first output index whose tap at kernel offset k is real, and the first one past the image (constants).
    static int first(int pad, int k, int stride) { return pad > k ? (pad - k + stride - 1) / stride : 0; }
    static int last(int pad, int k, int stride, int size) { return (size + pad - k + stride - 1) / stride; }
    static int index(unsigned p, unsigned i) {
        const int kx = (i / CONFIG_T::n_chan) % CONFIG_T::filt_width;
        const int ky = i / (CONFIG_T::n_chan * CONFIG_T::filt_width);
        const int oy = p >> HLSB_ROW_SHIFT, ox = p & ((1u << HLSB_ROW_SHIFT) - 1);
        if (oy < first(CONFIG_T::pad_top, ky, CONFIG_T::stride_height) ||
            oy >= last(CONFIG_T::pad_top, ky, CONFIG_T::stride_height, CONFIG_T::in_height) ||
            ox < first(CONFIG_T::pad_left, kx, CONFIG_T::stride_width) ||
            ox >= last(CONFIG_T::pad_left, kx, CONFIG_T::stride_width, CONFIG_T::in_width))
            return -1;
        return i;
    }
};

// Streams a channels-last image (padded coordinates, raster order) through a line buffer and calls
// OP::position(window, p, out) for every output position p, writing one output pixel per position.  The buffer is
// the classic shift-register form: filt_height - 1 rows of the padded width (shift registers, which synthesis maps
// to SRLs) feed a filt_height x filt_width window of registers; every read is at a fixed tap, so II = 1 needs no
// multiplexer and no memory port.
template <class data_T, class res_T, class CONFIG_T, class OP>
void hlsb_stream_windows(hls::stream<data_T> &data, hls::stream<res_T> &res, const OP &op) {
    typedef typename data_T::value_type in_t;
    const unsigned KH = CONFIG_T::filt_height, KW = CONFIG_T::filt_width, C = CONFIG_T::n_chan;
    const unsigned HP = CONFIG_T::in_height + CONFIG_T::pad_top + CONFIG_T::pad_bottom;
    const unsigned WP = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
    static in_t lines[KH][WP][C]; // lines[r]: row r of the window's past rows, delayed by (KH - 1 - r) rows
    #pragma HLS ARRAY_PARTITION variable = lines complete dim = 0
    static in_t window[KH * KW * C]; // element (ky, kx, c), as the position functions index it
    #pragma HLS ARRAY_PARTITION variable = window complete
    unsigned phase_y = 0; // the current row's offset in the vertical stride (rows of a complete window only)
    int oy = -int(KH) + 1; // padded row where the window ending on the current row starts (valid when >= 0)
    unsigned out_y = 0;    // the output row that window gives
Rows:
    for (unsigned py = 0; py < HP; py++) {
        unsigned phase_x = 0, out_x = 0;
        int ox = -int(KW) + 1;
    Columns:
        for (unsigned px = 0; px < WP; px++) {
            #pragma HLS PIPELINE II = 1
            const bool real = py >= CONFIG_T::pad_top && py < CONFIG_T::pad_top + CONFIG_T::in_height &&
                              px >= CONFIG_T::pad_left && px < CONFIG_T::pad_left + CONFIG_T::in_width;
            data_T pixel;
            if (real)
                pixel = data.read();
        Shift:
            for (unsigned c = 0; c < C; c++) {
                #pragma HLS UNROLL
                in_t column[KH]; // the new window column: the oldest element of each past row, then the pixel
                column[KH - 1] = real ? in_t(pixel[c]) : in_t(0);
                for (unsigned r = 0; r + 1 < KH; r++)
                    column[r] = lines[r][WP - 1][c];
                for (unsigned r = 0; r + 1 < KH; r++) {
                    for (unsigned k = WP - 1; k > 0; k--)
                        lines[r][k][c] = lines[r][k - 1][c];
                    lines[r][0][c] = column[r + 1];
                }
                for (unsigned ky = 0; ky < KH; ky++) {
                    for (unsigned kx = 0; kx + 1 < KW; kx++)
                        window[(ky * KW + kx) * C + c] = window[(ky * KW + kx + 1) * C + c];
                    window[(ky * KW + KW - 1) * C + c] = column[ky];
                }
            }
            if (oy >= 0 && ox >= 0 && phase_y == 0 && phase_x == 0) {
                res_T out;
                op.position(window, (out_y << HLSB_ROW_SHIFT) | out_x, &out[0]);
                res.write(out);
                out_x++;
            }
            if (ox >= 0)
                phase_x = phase_x + 1 == CONFIG_T::stride_width ? 0 : phase_x + 1;
            ox++;
        }
        if (oy >= 0) {
            out_y += phase_y == 0;
            phase_y = phase_y + 1 == CONFIG_T::stride_height ? 0 : phase_y + 1;
        }
        oy++;
    }
}

// The per-position operations the line buffer calls.
template <class in_t, class out_t, class CONFIG_T> struct hlsb_threshold_op {
    const typename CONFIG_T::word_t *wpos, *wneg;
    const typename CONFIG_T::threshold_t *thresholds;
    const typename CONFIG_T::flip_t *flip;
    void position(const in_t *window, unsigned p, out_t *out) const {
        #pragma HLS INLINE
        hlsb_threshold_position<typename CONFIG_T::stream_inputs_t, in_t, out_t, CONFIG_T>(window, out, p, wpos, wneg, thresholds,
                                                                                     flip);
    }
};
template <class in_t, class out_t, class CONFIG_T> struct hlsb_affine_op {
    const typename CONFIG_T::word_t *wpos, *wneg;
    const typename CONFIG_T::scale_store_t *scale;
    const typename CONFIG_T::offset_store_t *offset;
    void position(const in_t *window, unsigned p, out_t *out) const {
        #pragma HLS INLINE
        hlsb_affine_position<typename CONFIG_T::stream_inputs_t, in_t, out_t, CONFIG_T>(window, out, p, wpos, wneg, scale,
                                                                                  offset);
    }
};
template <class in_t, class out_t, class CONFIG_T> struct hlsb_scores_op {
    const typename CONFIG_T::word_t *wpos, *wneg;
    void position(const in_t *window, unsigned p, out_t *out) const {
        #pragma HLS INLINE
        hlsb_scores_position<typename CONFIG_T::stream_inputs_t, in_t, out_t, CONFIG_T>(window, out, p, wpos, wneg);
    }
};
template <class in_t, class out_t, class CONFIG_T> struct hlsb_pool_op {
    const typename CONFIG_T::flip_t *take_min;
    void position(const in_t *window, unsigned p, out_t *out) const {
        #pragma HLS INLINE
        hlsb_pool_position<hlsb_buffer_inputs<CONFIG_T>, in_t, out_t, CONFIG_T>(window, out, p, take_min);
    }
};

// All neurons of a Dense layer at once, pipelined as one unit (as hls4ml's dense_wrapper).
template <class OP, class in_t, class out_t> void hlsb_dense_compute(const OP &op, const in_t *in, out_t *out) {
    #pragma HLS INLINE recursive
    #pragma HLS PIPELINE
    op.position(in, 0, out);
}

// A Dense layer on streams: gather every input pack, compute every neuron, write the output packs.
template <class data_T, class res_T, typename CONFIG_T, class OP>
void hlsb_stream_dense(hls::stream<data_T> &data, hls::stream<res_T> &res, const OP &op) {
    typename data_T::value_type in[CONFIG_T::in_size];
    #pragma HLS ARRAY_PARTITION variable = in complete
    typename res_T::value_type out[CONFIG_T::out_size];
    #pragma HLS ARRAY_PARTITION variable = out complete
ReadPacks:
    for (unsigned i = 0; i < CONFIG_T::in_size / data_T::size; i++) {
        #pragma HLS PIPELINE
        data_T pack = data.read();
        for (unsigned k = 0; k < data_T::size; k++) {
            #pragma HLS UNROLL
            in[i * data_T::size + k] = pack[k];
        }
    }
    hlsb_dense_compute(op, in, out);
WritePacks:
    for (unsigned o = 0; o < CONFIG_T::out_size / res_T::size; o++) {
        #pragma HLS PIPELINE
        res_T pack;
        for (unsigned k = 0; k < res_T::size; k++) {
            #pragma HLS UNROLL
            pack[k] = out[o * res_T::size + k];
        }
        res.write(pack);
    }
}

// A convolution streams through the line buffer, a Dense layer gathers its packs (chosen at compile time: a Dense
// layer's configuration has no window to instantiate the line buffer with).
template <bool WINDOWED> struct hlsb_streamer {
    template <class data_T, class res_T, class CONFIG_T, class OP>
    static void run(hls::stream<data_T> &data, hls::stream<res_T> &res, const OP &op) {
        hlsb_stream_windows<data_T, res_T, CONFIG_T>(data, res, op);
    }
};
template <> struct hlsb_streamer<false> {
    template <class data_T, class res_T, class CONFIG_T, class OP>
    static void run(hls::stream<data_T> &data, hls::stream<res_T> &res, const OP &op) {
        hlsb_stream_dense<data_T, res_T, CONFIG_T>(data, res, op);
    }
};

template <class data_T, class res_T, class CONFIG_T, class OP>
void hlsb_stream_layer(hls::stream<data_T> &data, hls::stream<res_T> &res, const OP &op) {
    #pragma HLS INLINE
    hlsb_streamer<CONFIG_T::windowed>::template run<data_T, res_T, CONFIG_T>(data, res, op);
}

template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_threshold(hls::stream<data_T> &data, hls::stream<res_T> &res,
                             const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                             const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words],
                             const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_out * CONFIG_T::n_thr],
                             const typename CONFIG_T::flip_t flip[CONFIG_T::n_out]) {
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
    #pragma HLS ARRAY_PARTITION variable = thresholds complete
    #pragma HLS ARRAY_PARTITION variable = flip complete
    const hlsb_threshold_op<typename data_T::value_type, typename res_T::value_type, CONFIG_T> op = {wpos, wneg, thresholds,
                                                                                                   flip};
    hlsb_stream_layer<data_T, res_T, CONFIG_T>(data, res, op);
}
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_affine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                          const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::scale_store_t scale[CONFIG_T::n_out],
                          const typename CONFIG_T::offset_store_t offset[CONFIG_T::n_out]) {
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
    #pragma HLS ARRAY_PARTITION variable = scale complete
    #pragma HLS ARRAY_PARTITION variable = offset complete
    const hlsb_affine_op<typename data_T::value_type, typename res_T::value_type, CONFIG_T> op = {wpos, wneg, scale, offset};
    hlsb_stream_layer<data_T, res_T, CONFIG_T>(data, res, op);
}
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_scores(hls::stream<data_T> &data, hls::stream<res_T> &res,
                          const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words]) {
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
    const hlsb_scores_op<typename data_T::value_type, typename res_T::value_type, CONFIG_T> op = {wpos, wneg};
    hlsb_stream_layer<data_T, res_T, CONFIG_T>(data, res, op);
}
template <class data_T, class res_T, typename CONFIG_T>
void integer_pool(hls::stream<data_T> &data, hls::stream<res_T> &res,
                  const typename CONFIG_T::flip_t take_min[CONFIG_T::n_chan]) {
    #pragma HLS ARRAY_PARTITION variable = take_min complete
    const hlsb_pool_op<typename data_T::value_type, typename res_T::value_type, CONFIG_T> op = {take_min};
    hlsb_stream_windows<data_T, res_T, CONFIG_T>(data, res, op);
}

} // namespace nnet

#endif
