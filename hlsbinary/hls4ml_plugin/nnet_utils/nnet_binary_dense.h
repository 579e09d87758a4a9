// hlsbinary: fully unrolled binary/ternary Dense layers with integer thresholds.
//
// acc_j = sum_i x_i * w_ij with w in {-1, 0, +1}, stored as two bit masks (w > 0, w < 0) packed in
// 32-bit words.  Binary inputs (bit 1 = +1) times binary weights use popcount(XNOR): p = #agreements,
// acc = 2p - n.  Other inputs use an add/sub tree.  Both are compile-time recursive trees (no loops to
// unroll, so HLS's 4096-iteration unroll limit never applies) and contain no multiplication; every
// adder is bound to fabric (LUTs + carry chains) by pragma, never to a DSP.
#ifndef NNET_BINARY_DENSE_H_
#define NNET_BINARY_DENSE_H_

#include "ap_fixed.h"
#include "ap_int.h"

namespace nnet {

#define HLSB_PRAGMA(x) _Pragma(#x)
#ifdef __VITIS_HLS__
#define HLSB_FABRIC_ADD(var) HLSB_PRAGMA(HLS BIND_OP variable = var op = add impl = fabric)
#define HLSB_FABRIC_SUB(var) HLSB_PRAGMA(HLS BIND_OP variable = var op = sub impl = fabric)
#define HLSB_FABRIC_MUL(var) HLSB_PRAGMA(HLS BIND_OP variable = var op = mul impl = fabric)
#else
#define HLSB_FABRIC_ADD(var) HLSB_PRAGMA(HLS RESOURCE variable = var core = AddSub)
#define HLSB_FABRIC_SUB(var) HLSB_PRAGMA(HLS RESOURCE variable = var core = AddSub)
#define HLSB_FABRIC_MUL(var) HLSB_PRAGMA(HLS RESOURCE variable = var core = Mul_LUT)
#endif

// Bits needed to hold 0..n.
constexpr int hlsb_ubits(unsigned n) { return n < 2 ? 1 : 1 + hlsb_ubits(n / 2); }

// popcount of bits [LO, LO + N) of a packed vector, as a balanced tree of exact-width adders.
template <int LO, int N, int W> struct hlsb_popcount {
    static ap_uint<hlsb_ubits(N)> sum(const ap_uint<W> &v) {
        #pragma HLS INLINE
        ap_uint<hlsb_ubits(N)> s = hlsb_popcount<LO, N / 2, W>::sum(v) + hlsb_popcount<LO + N / 2, N - N / 2, W>::sum(v);
        HLSB_FABRIC_ADD(s)
        return s;
    }
};
template <int LO, int W> struct hlsb_popcount<LO, 1, W> {
    static ap_uint<1> sum(const ap_uint<W> &v) {
        #pragma HLS INLINE
        return v[LO];
    }
};

// Input i as a signed value: bits decode to -1/+1, anything else is taken as it is.
template <class acc_T> inline acc_T hlsb_value(const ap_uint<1> &x) { return x ? acc_T(1) : acc_T(-1); }
template <class acc_T, class data_T> inline acc_T hlsb_value(const data_T &x) { return acc_T(x); }

// sum over i in [LO, LO + N) of (pos_i ? x_i : 0) - (neg_i ? x_i : 0): an add/sub tree, no multiplier.
template <int LO, int N, class data_T, class acc_T, int W> struct hlsb_addsub {
    static acc_T sum(const data_T *x, const ap_uint<W> &pos, const ap_uint<W> &neg) {
        #pragma HLS INLINE
        acc_T s = hlsb_addsub<LO, N / 2, data_T, acc_T, W>::sum(x, pos, neg) +
                  hlsb_addsub<LO + N / 2, N - N / 2, data_T, acc_T, W>::sum(x, pos, neg);
        HLSB_FABRIC_ADD(s)
        return s;
    }
};
template <int LO, class data_T, class acc_T, int W> struct hlsb_addsub<LO, 1, data_T, acc_T, W> {
    static acc_T sum(const data_T *x, const ap_uint<W> &pos, const ap_uint<W> &neg) {
        #pragma HLS INLINE
        acc_T v = hlsb_value<acc_T>(x[LO]);
        acc_T n = -v;
        HLSB_FABRIC_SUB(n)
        return pos[LO] ? v : (neg[LO] ? n : acc_T(0));
    }
};

// Fixed-point accumulator reinterpreted in units of its LSB (a wire, no logic).
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> inline ap_int<W> hlsb_as_int(const ap_fixed<W, I, Q, O, N> &x) {
    ap_int<W> r;
    r.range(W - 1, 0) = x.range(W - 1, 0);
    return r;
}
template <int W> inline ap_int<W> hlsb_as_int(const ap_int<W> &x) { return x; }
template <int W> inline ap_int<W + 1> hlsb_as_int(const ap_uint<W> &x) { return x; }

// Row j of a mask stored as n_words 32-bit words.
template <class CONFIG_T> inline ap_uint<CONFIG_T::n_in> hlsb_row(const typename CONFIG_T::word_t words[], unsigned j) {
    #pragma HLS INLINE
    ap_uint<CONFIG_T::n_words * 32> row = 0;
    for (unsigned k = 0; k < CONFIG_T::n_words; k++) {
        #pragma HLS UNROLL
        row.range(32 * k + 31, 32 * k) = words[j * CONFIG_T::n_words + k];
    }
    return row.range(CONFIG_T::n_in - 1, 0);
}

// Popcount path: binary (bit) inputs, binary weights.  Returns p_j = popcount(XNOR(x, w_j)).
template <class data_T, class CONFIG_T>
inline typename CONFIG_T::accum_t hlsb_accumulate(const data_T data[CONFIG_T::n_in], const typename CONFIG_T::word_t wpos[],
                                                   const typename CONFIG_T::word_t wneg[], unsigned j, const ap_uint<1> *) {
    #pragma HLS INLINE
    ap_uint<CONFIG_T::n_in> x;
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        x[i] = data[i];
    }
    ap_uint<CONFIG_T::n_in> agree = ~(x ^ hlsb_row<CONFIG_T>(wpos, j)); // XNOR with a constant: wires and inverters
    return hlsb_popcount<0, CONFIG_T::n_in, CONFIG_T::n_in>::sum(agree);
}

// Add/sub path: ternary or fixed-point inputs, or ternary weights.  Returns acc_j.
template <class data_T, class CONFIG_T>
inline typename CONFIG_T::accum_t hlsb_accumulate(const data_T data[CONFIG_T::n_in], const typename CONFIG_T::word_t wpos[],
                                                   const typename CONFIG_T::word_t wneg[], unsigned j, const void *) {
    #pragma HLS INLINE
    return hlsb_addsub<0, CONFIG_T::n_in, data_T, typename CONFIG_T::accum_t, CONFIG_T::n_in>::sum(
        data, hlsb_row<CONFIG_T>(wpos, j), hlsb_row<CONFIG_T>(wneg, j));
}

// The signed integer score acc_j (input LSB units) whichever path computed it.
template <class data_T, class CONFIG_T>
inline typename CONFIG_T::score_t hlsb_score(const data_T data[CONFIG_T::n_in], const typename CONFIG_T::word_t wpos[],
                                              const typename CONFIG_T::word_t wneg[], unsigned j) {
    #pragma HLS INLINE
    typedef typename CONFIG_T::path_t path_t;
    typename CONFIG_T::accum_t acc = hlsb_accumulate<data_T, CONFIG_T>(data, wpos, wneg, j, (const path_t *)0);
    if (CONFIG_T::popcount) {
        typename CONFIG_T::score_t s = (hlsb_as_int(acc) << 1) - CONFIG_T::n_in; // acc = 2p - n
        return s;
    }
    return hlsb_as_int(acc);
}

// Multi-threshold activation: level = base + step * #{k : acc >= T_k} (acc <= T_k where flipped).
template <class data_T, class res_T, typename CONFIG_T>
void binary_dense_threshold(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                            const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                            const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words],
                            const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_out * CONFIG_T::n_thr],
                            const typename CONFIG_T::flip_t flip[CONFIG_T::n_out]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
    #pragma HLS ARRAY_PARTITION variable = thresholds complete
    #pragma HLS ARRAY_PARTITION variable = flip complete
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        typename CONFIG_T::accum_t acc = hlsb_accumulate<data_T, CONFIG_T>(data, wpos, wneg, j,
                                                                           (const typename CONFIG_T::path_t *)0);
        typename CONFIG_T::compare_t a = hlsb_as_int(acc);
        ap_uint<hlsb_ubits(CONFIG_T::n_thr)> count = 0;
        for (unsigned k = 0; k < CONFIG_T::n_thr; k++) {
            #pragma HLS UNROLL
            typename CONFIG_T::threshold_t t = thresholds[j * CONFIG_T::n_thr + k];
            bool hit = flip[j] ? (a <= t) : (a >= t);
            count += hit;
        }
        ap_int<hlsb_ubits(CONFIG_T::n_thr) + 2> level = count;
        if (CONFIG_T::level_step == 2)
            level = level << 1;
        res[j] = level + CONFIG_T::level_base;
    }
}

// Exact fixed-point affine output: y = scale_j * acc_j + offset_j (final BatchNorm and bias folded).
template <class data_T, class res_T, typename CONFIG_T>
void binary_dense_affine(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                         const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                         const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words],
                         const typename CONFIG_T::scale_t scale[CONFIG_T::n_out],
                         const typename CONFIG_T::offset_t offset[CONFIG_T::n_out]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
    #pragma HLS ARRAY_PARTITION variable = scale complete
    #pragma HLS ARRAY_PARTITION variable = offset complete
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        typename CONFIG_T::score_t s = hlsb_score<data_T, CONFIG_T>(data, wpos, wneg, j);
        typename CONFIG_T::product_t p = scale[j] * s; // constant multiplier, bound to LUTs
        HLSB_FABRIC_MUL(p)
        res[j] = p + offset[j];
    }
}

// Raw integer scores acc_j.
template <class data_T, class res_T, typename CONFIG_T>
void binary_dense_scores(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                         const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                         const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        res[j] = hlsb_score<data_T, CONFIG_T>(data, wpos, wneg, j);
    }
}

} // namespace nnet

#endif
