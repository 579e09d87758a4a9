// hlsbinary: fully unrolled integer Dense layers (binary, ternary and multi-bit weights) with exact integer
// thresholds, affine outputs or integer scores.  The mathematics is in hlsbinary/kernel.py.
//
// acc_j = sum_i x_i * w_ij.  Binary inputs (bit 1 = +1) times binary weights: p = popcount(XNOR(x, w_j)) agreements,
// acc = 2p - n.  Everything else: an add/sub tree over digit planes, each weight in canonical signed-digit form
// w = sum_e s_e 2^e, leaf (e, i) adding +x_i << e or -x_i << e or nothing.  Weight masks are rows of 32-bit words;
// bit b of a row is leaf b (plane b / n_in, input b % n_in).  Trees are compile-time recursions (no loop over
// inputs to unroll, so HLS's 4096-iteration unroll limit never applies, and no ap_uint wider than 32 bits, so no
// 1024-input limit); they contain no multiplication, and every adder is bound to fabric (LUTs and carry chains) by
// pragma, never to a DSP.
#ifndef NNET_INTEGER_DENSE_H_
#define NNET_INTEGER_DENSE_H_

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

// Bit B of a row of 32-bit words (a constant once the weights are).
template <int B, class word_T> inline bool hlsb_bit(const word_T *row) {
    #pragma HLS INLINE
    return (row[B / 32] >> (B % 32)) & 1;
}

// popcount of XNOR(x, w) over inputs [LO, LO + N): a balanced tree of exact-width adders.
template <int LO, int N> struct hlsb_popcount {
    template <class data_T, class word_T> static ap_uint<hlsb_ubits(N)> sum(const data_T *x, const word_T *w) {
        #pragma HLS INLINE
        ap_uint<hlsb_ubits(N)> s = hlsb_popcount<LO, N / 2>::sum(x, w) + hlsb_popcount<LO + N / 2, N - N / 2>::sum(x, w);
        HLSB_FABRIC_ADD(s)
        return s;
    }
};
template <int LO> struct hlsb_popcount<LO, 1> {
    template <class data_T, class word_T> static ap_uint<1> sum(const data_T *x, const word_T *w) {
        #pragma HLS INLINE
        return ap_uint<1>(bool(x[LO]) == hlsb_bit<LO>(w)); // XNOR with a constant: a wire or an inverter
    }
};

// Input i as a signed value: bits decode to -1/+1, anything else is taken as it is.
template <class acc_T> inline acc_T hlsb_value(const ap_uint<1> &x) { return x ? acc_T(1) : acc_T(-1); }
template <class acc_T, class data_T> inline acc_T hlsb_value(const data_T &x) { return acc_T(x); }

// sum over leaves [LO, LO + N) of +-(x_i << e) where the digit masks say so: an add/sub tree, no multiplier.
template <int LO, int N, int N_IN> struct hlsb_addsub {
    template <class acc_T, class data_T, class word_T>
    static acc_T sum(const data_T *x, const word_T *pos, const word_T *neg) {
        #pragma HLS INLINE
        acc_T s = hlsb_addsub<LO, N / 2, N_IN>::template sum<acc_T>(x, pos, neg) +
                  hlsb_addsub<LO + N / 2, N - N / 2, N_IN>::template sum<acc_T>(x, pos, neg);
        HLSB_FABRIC_ADD(s)
        return s;
    }
};
template <int LO, int N_IN> struct hlsb_addsub<LO, 1, N_IN> {
    template <class acc_T, class data_T, class word_T>
    static acc_T sum(const data_T *x, const word_T *pos, const word_T *neg) {
        #pragma HLS INLINE
        if (!hlsb_bit<LO>(pos) && !hlsb_bit<LO>(neg))
            return acc_T(0);
        acc_T v = hlsb_value<acc_T>(x[LO % N_IN]);
        if (LO / N_IN > 0)
            v = v << (LO / N_IN); // digit plane e = LO / N_IN: a shift is wiring
        acc_T n = -v;
        HLSB_FABRIC_SUB(n)
        return hlsb_bit<LO>(pos) ? v : n;
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

// An output code written as the raw bits of the result type (a bit, ap_int<2> levels, or fixed-point codes).
template <class res_T> inline res_T hlsb_from_code(int code) {
    #pragma HLS INLINE
    ap_int<32> c = code;
    res_T r;
    r.range(res_T::width - 1, 0) = c.range(res_T::width - 1, 0);
    return r;
}

// One output's tree: p (agreements) on the XNOR path, acc in input LSB units on the add/sub path.
template <class data_T, class CONFIG_T>
inline typename CONFIG_T::accum_t hlsb_accumulate(const data_T data[CONFIG_T::n_in], const typename CONFIG_T::word_t *pos,
                                                   const typename CONFIG_T::word_t *neg, const ap_uint<1> *) {
    #pragma HLS INLINE
    return hlsb_popcount<0, CONFIG_T::n_in>::sum(data, pos);
}
template <class data_T, class CONFIG_T>
inline typename CONFIG_T::accum_t hlsb_accumulate(const data_T data[CONFIG_T::n_in], const typename CONFIG_T::word_t *pos,
                                                   const typename CONFIG_T::word_t *neg, const void *) {
    #pragma HLS INLINE
    return hlsb_addsub<0, CONFIG_T::n_leaves, CONFIG_T::n_in>::template sum<typename CONFIG_T::accum_t>(data, pos, neg);
}

// The signed integer score acc_j (input LSB units) whichever path computed it.
template <class data_T, class CONFIG_T>
inline typename CONFIG_T::score_t hlsb_score(const data_T data[CONFIG_T::n_in], const typename CONFIG_T::word_t *pos,
                                              const typename CONFIG_T::word_t *neg) {
    #pragma HLS INLINE
    typename CONFIG_T::accum_t acc = hlsb_accumulate<data_T, CONFIG_T>(data, pos, neg, (const typename CONFIG_T::path_t *)0);
    if (CONFIG_T::popcount) {
        typename CONFIG_T::score_t s = (hlsb_as_int(acc) << 1) - CONFIG_T::n_in; // acc = 2p - n
        return s;
    }
    return hlsb_as_int(acc);
}

// Multi-threshold activation: code = base + step * #{k : a >= T_k} (a <= T_k where flipped).
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_threshold(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
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
        const typename CONFIG_T::word_t *pos = &wpos[j * CONFIG_T::n_words];
        const typename CONFIG_T::word_t *neg = &wneg[j * CONFIG_T::n_words];
        typename CONFIG_T::accum_t acc =
            hlsb_accumulate<data_T, CONFIG_T>(data, pos, neg, (const typename CONFIG_T::path_t *)0);
        typename CONFIG_T::compare_t a = hlsb_as_int(acc);
        ap_uint<hlsb_ubits(CONFIG_T::n_thr)> count = 0;
    Thresholds:
        for (unsigned k = 0; k < CONFIG_T::n_thr; k++) {
            #pragma HLS UNROLL
            typename CONFIG_T::threshold_t t = thresholds[j * CONFIG_T::n_thr + k];
            bool hit = flip[j] ? (a <= t) : (a >= t);
            count += hit;
        }
        int code = CONFIG_T::level_step == 2 ? int(count) << 1 : int(count); // the step is 1 or 2: wiring
        res[j] = hlsb_from_code<res_T>(CONFIG_T::level_base + code);
    }
}

// Exact fixed-point affine output: y = scale_j * acc_j + offset_j (final BatchNorm and bias folded).
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_affine(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
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
        typename CONFIG_T::score_t s =
            hlsb_score<data_T, CONFIG_T>(data, &wpos[j * CONFIG_T::n_words], &wneg[j * CONFIG_T::n_words]);
        typename CONFIG_T::product_t p = scale[j] * s; // constant multiplier, bound to LUTs
        HLSB_FABRIC_MUL(p)
        res[j] = p + offset[j];
    }
}

// Raw integer scores acc_j.
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_scores(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                          const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable = wpos complete
    #pragma HLS ARRAY_PARTITION variable = wneg complete
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        res[j] = hlsb_score<data_T, CONFIG_T>(data, &wpos[j * CONFIG_T::n_words], &wneg[j * CONFIG_T::n_words]);
    }
}

} // namespace nnet

#endif
