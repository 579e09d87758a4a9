// hlsbinary: fully unrolled integer layers (Dense and convolutions; binary, ternary and multi-bit weights) with
// exact integer thresholds, affine outputs or integer scores, and max-pooling of levels.  The mathematics is in
// hlsbinary/kernel.py.
//
// acc_j = sum_i x_i * w_ij over a neuron's inputs (a Dense layer's inputs, or one window of a convolution, whose
// padding holds nothing).  Binary inputs (bit 1 = +1) times binary weights: p = popcount(XNOR(x, w_j)) agreements
// over the real inputs, acc = 2p - n_real.  Everything else: an add/sub tree over digit planes, each weight in
// canonical signed-digit form w = sum_e s_e 2^e, leaf (e, i) adding +x_i << e or -x_i << e or nothing.  Weight masks
// are rows of 32-bit words; bit b of a row is leaf b (plane b / n_in, input b % n_in).  Trees recurse over words at
// compile time; no loop unrolls more than 32 iterations (HLS's 4096-iteration limit never applies) and no ap_uint is
// wider than 32 bits (no limit on inputs).  They contain no multiplication, and every adder is bound to fabric (LUTs
// and carry chains) by pragma, never to a DSP.
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

// The type of a tree node: the exact hardware type in synthesis; in C simulation a native integer (the same tree,
// the same leaves, the same sums: every hardware type is wide enough never to wrap, so the values are identical,
// and g++ compiles native integers several times faster than arbitrary-precision templates).
#ifdef __SYNTHESIS__
template <class T> struct hlsb_node { typedef T type; };
#else
template <class T> struct hlsb_node { typedef long long type; };
#endif

// An input as an integer code in units of its LSB: a bit is -1/+1, a fixed-point number its raw two's-complement
// (or unsigned) bits, an integer its value.  Reinterpreting bits is wiring.
inline ap_int<2> hlsb_code(const ap_uint<1> &x) { return x ? ap_int<2>(1) : ap_int<2>(-1); }
template <int W> inline ap_int<W> hlsb_code(const ap_int<W> &x) { return x; }
template <int W> inline ap_int<W + 1> hlsb_code(const ap_uint<W> &x) { return x; }
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
inline ap_int<W + 1> hlsb_code(const ap_fixed_base<W, I, S, Q, O, N> &x) {
    ap_uint<W> raw = x.range(W - 1, 0);
    if (S) {
        ap_int<W> r = raw; // two's complement: the same bits
        return r;
    }
    return raw;
}

// Where input i of a neuron at position p comes from: the input itself for a Dense layer (one position) ...
struct hlsb_dense_inputs {
    static int index(unsigned p, unsigned i) { return i; }
};
// ... or element i = (ky, kx, c) of the window at position p = (oy, ox) of a channels-last convolution (1D: height
// 1), -1 where the window reaches into the padding.  Constants once the loops are unrolled.
template <class CONFIG_T> struct hlsb_window_inputs {
    static int index(unsigned p, unsigned i) {
        const int c = i % CONFIG_T::n_chan, kx = (i / CONFIG_T::n_chan) % CONFIG_T::filt_width;
        const int ky = i / (CONFIG_T::n_chan * CONFIG_T::filt_width);
        const int oy = p / CONFIG_T::out_width, ox = p % CONFIG_T::out_width;
        const int iy = oy * CONFIG_T::stride_height + ky - CONFIG_T::pad_top;
        const int ix = ox * CONFIG_T::stride_width + kx - CONFIG_T::pad_left;
        if (iy < 0 || iy >= int(CONFIG_T::in_height) || ix < 0 || ix >= int(CONFIG_T::in_width))
            return -1;
        return (iy * CONFIG_T::in_width + ix) * CONFIG_T::n_chan + c;
    }
};

// Trees are balanced recursions over the 32-leaf words of a mask row; within a word, an unrolled 32-term sum, which
// HLS's expression balancing (on by default for integer adds) turns into a balanced tree too.  Only a few templates
// per layer are instantiated, so g++ compiles the C simulation quickly.

// popcount of XNOR(x, w) over the real inputs among the leaves of words [LO, LO + N): exact-width adders.
template <int LO, int N, int N_IN> struct hlsb_popcount {
    static const int leaves = ((LO + N) << 5) < N_IN ? (N << 5) : N_IN - (LO << 5); // 32 leaves per word
    typedef typename hlsb_node<ap_uint<hlsb_ubits(leaves)>>::type node_t;
    template <class G, class data_T, class word_T> static node_t sum(const data_T *x, const word_T *w, unsigned p) {
        #pragma HLS INLINE
        node_t s = hlsb_popcount<LO, N / 2, N_IN>::template sum<G>(x, w, p) +
                   hlsb_popcount<LO + N / 2, N - N / 2, N_IN>::template sum<G>(x, w, p);
        HLSB_FABRIC_ADD(s)
        return s;
    }
};
template <int LO, int N_IN> struct hlsb_popcount<LO, 1, N_IN> {
    static const int leaves = ((LO + 1) << 5) < N_IN ? 32 : N_IN - (LO << 5);
    typedef typename hlsb_node<ap_uint<hlsb_ubits(leaves)>>::type node_t;
    template <class G, class data_T, class word_T> static node_t sum(const data_T *x, const word_T *w, unsigned p) {
        #pragma HLS INLINE
        node_t s = 0;
        HLSB_FABRIC_ADD(s)
    Bits:
        for (int b = 0; b < leaves; b++) {
            #pragma HLS UNROLL
            const int at = G::index(p, (LO << 5) + b);
            if (at >= 0)
                s += bool(x[at]) == bool((w[LO] >> b) & 1); // XNOR with a constant: a wire or an inverter
        }
        return s;
    }
};

// sum over the leaves of words [LO, LO + N) of +-(code(x_i) << e) where the digit masks say so: an add/sub tree of
// integers in input LSB units (acc_T wide enough for the whole sum), no multiplier.  Leaf t is digit plane t / N_IN
// of input t % N_IN; padding adds nothing.
template <int LO, int N, int N_LEAVES, int N_IN> struct hlsb_addsub {
    template <class acc_T, class G, class data_T, class word_T>
    static acc_T sum(const data_T *x, const word_T *pos, const word_T *neg, unsigned p) {
        #pragma HLS INLINE
        acc_T s = hlsb_addsub<LO, N / 2, N_LEAVES, N_IN>::template sum<acc_T, G>(x, pos, neg, p) +
                  hlsb_addsub<LO + N / 2, N - N / 2, N_LEAVES, N_IN>::template sum<acc_T, G>(x, pos, neg, p);
        HLSB_FABRIC_ADD(s)
        return s;
    }
};
template <int LO, int N_LEAVES, int N_IN> struct hlsb_addsub<LO, 1, N_LEAVES, N_IN> {
    static const int leaves = ((LO + 1) << 5) < N_LEAVES ? 32 : N_LEAVES - (LO << 5);
    template <class acc_T, class G, class data_T, class word_T>
    static acc_T sum(const data_T *x, const word_T *pos, const word_T *neg, unsigned p) {
        #pragma HLS INLINE
        acc_T s = 0;
        HLSB_FABRIC_ADD(s)
        HLSB_FABRIC_SUB(s)
    Leaves:
        for (int b = 0; b < leaves; b++) {
            #pragma HLS UNROLL
            const int leaf = (LO << 5) + b;
            const bool up = (pos[LO] >> b) & 1, down = (neg[LO] >> b) & 1;
            const int at = G::index(p, leaf % N_IN);
            if ((up || down) && at >= 0) { // a zero digit or the padding: no leaf at all
                acc_T v = hlsb_code(x[at]);
                v = v << (leaf / N_IN); // digit plane e = leaf / N_IN: a shift is wiring
                if (up)
                    s += v;
                else
                    s -= v;
            }
        }
        return s;
    }
};

// Real inputs of the window at position p (all n_in for a Dense layer).
template <class G, int N_IN> inline int hlsb_real_inputs(unsigned p) {
    #pragma HLS INLINE
    int n = 0;
RealInputs:
    for (int i = 0; i < N_IN; i++) {
        #pragma HLS UNROLL
        n += G::index(p, i) >= 0;
    }
    return n;
}

// An accumulator as a signed integer (the popcount gains a sign bit).
template <int W> inline ap_int<W> hlsb_as_int(const ap_int<W> &x) { return x; }
template <int W> inline ap_int<W + 1> hlsb_as_int(const ap_uint<W> &x) { return x; }

// An output code written as the raw bits of the result type (a bit, ap_int<2> levels, fixed-point codes and
// affine values): wiring.
template <class res_T, class code_T> inline res_T hlsb_from_code(const code_T &code) {
    #pragma HLS INLINE
    res_T r;
    r.range(res_T::width - 1, 0) = code.range(res_T::width - 1, 0);
    return r;
}

// One output's tree at position p: agreements on the XNOR path, acc in input LSB units on the add/sub path.
template <class G, class data_T, class CONFIG_T>
inline typename CONFIG_T::accum_t hlsb_accumulate(const data_T *data, const typename CONFIG_T::word_t *pos,
                                                   const typename CONFIG_T::word_t *neg, unsigned p, const ap_uint<1> *) {
    #pragma HLS INLINE
    typename CONFIG_T::accum_t agree = hlsb_popcount<0, CONFIG_T::n_words, CONFIG_T::n_in>::template sum<G>(data, pos, p);
    return agree;
}
template <class G, class data_T, class CONFIG_T>
inline typename CONFIG_T::accum_t hlsb_accumulate(const data_T *data, const typename CONFIG_T::word_t *pos,
                                                   const typename CONFIG_T::word_t *neg, unsigned p, const void *) {
    #pragma HLS INLINE
    typedef typename hlsb_node<typename CONFIG_T::accum_t>::type node_t;
    typename CONFIG_T::accum_t acc =
        hlsb_addsub<0, CONFIG_T::n_words, CONFIG_T::n_leaves, CONFIG_T::n_in>::template sum<node_t, G>(data, pos, neg, p);
    return acc;
}

// The signed integer score acc_j (input LSB units) whichever path computed it: acc = 2p - n_real on the XNOR path.
template <class G, class data_T, class CONFIG_T>
inline typename CONFIG_T::score_t hlsb_score(const data_T *data, const typename CONFIG_T::word_t *pos,
                                              const typename CONFIG_T::word_t *neg, unsigned p) {
    #pragma HLS INLINE
    typename CONFIG_T::accum_t acc =
        hlsb_accumulate<G, data_T, CONFIG_T>(data, pos, neg, p, (const typename CONFIG_T::path_t *)0);
    if (CONFIG_T::popcount) {
        typename CONFIG_T::score_t s = (hlsb_as_int(acc) << 1) - hlsb_real_inputs<G, CONFIG_T::n_in>(p);
        return s;
    }
    return hlsb_as_int(acc);
}

// Multi-threshold activation of the neurons at position p: code = base + step * #{k : acc >= T_k} (acc <= T_k where
// flipped), written to res[j].  Thresholds are stored in the accumulator domain; the XNOR path compares its
// agreements instead, against ceil((T + n_real) / 2) (floor where flipped): constants once unrolled.
template <class G, class data_T, class res_T, typename CONFIG_T>
void hlsb_threshold_position(const data_T *data, res_T *res, unsigned p, const typename CONFIG_T::word_t *wpos,
                             const typename CONFIG_T::word_t *wneg, const typename CONFIG_T::threshold_t *thresholds,
                             const typename CONFIG_T::flip_t *flip) {
    #pragma HLS INLINE
    const int real = CONFIG_T::popcount ? hlsb_real_inputs<G, CONFIG_T::n_in>(p) : 0;
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        const typename CONFIG_T::word_t *pos = &wpos[j * CONFIG_T::n_words];
        const typename CONFIG_T::word_t *neg = &wneg[j * CONFIG_T::n_words];
        typename CONFIG_T::accum_t acc =
            hlsb_accumulate<G, data_T, CONFIG_T>(data, pos, neg, p, (const typename CONFIG_T::path_t *)0);
        typename CONFIG_T::compare_t a = hlsb_as_int(acc);
        ap_uint<hlsb_ubits(CONFIG_T::n_thr)> count = 0;
    Thresholds:
        for (unsigned k = 0; k < CONFIG_T::n_thr; k++) {
            #pragma HLS UNROLL
            int t_acc = thresholds[j * CONFIG_T::n_thr + k]; // clipped to the reachable range plus one
            typename CONFIG_T::compare_t t = CONFIG_T::popcount ? (t_acc + real + (flip[j] ? 0 : 1)) >> 1 : t_acc;
            bool hit = flip[j] ? (a <= t) : (a >= t);
            count += hit;
        }
        ap_int<hlsb_ubits(CONFIG_T::n_thr) + 2> steps = count;
        if (CONFIG_T::level_step == 2)
            steps = steps << 1; // the step is 1 or 2: wiring
        ap_int<32> code = CONFIG_T::level_base + steps;
        res[j] = hlsb_from_code<res_T>(code);
    }
}

// Exact fixed-point affine outputs at position p: y = (S_j * acc_j + O_j) 2^-frac (final BatchNorm and bias folded),
// computed on integers and written as the raw bits of the output type (whose fractional bits are frac).
template <class G, class data_T, class res_T, typename CONFIG_T>
void hlsb_affine_position(const data_T *data, res_T *res, unsigned p, const typename CONFIG_T::word_t *wpos,
                          const typename CONFIG_T::word_t *wneg, const typename CONFIG_T::scale_store_t *scale,
                          const typename CONFIG_T::offset_store_t *offset) {
    #pragma HLS INLINE
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        typename CONFIG_T::score_t s =
            hlsb_score<G, data_T, CONFIG_T>(data, &wpos[j * CONFIG_T::n_words], &wneg[j * CONFIG_T::n_words], p);
        typename CONFIG_T::scale_t scale_j = scale[j];
        typename CONFIG_T::product_t prod = scale_j * s; // constant multiplier, bound to LUTs
        HLSB_FABRIC_MUL(prod)
        typename CONFIG_T::offset_t offset_j = offset[j];
        typename CONFIG_T::output_code_t y = prod + offset_j;
        res[j] = hlsb_from_code<res_T>(y);
    }
}

// Raw integer scores acc_j at position p.
template <class G, class data_T, class res_T, typename CONFIG_T>
void hlsb_scores_position(const data_T *data, res_T *res, unsigned p, const typename CONFIG_T::word_t *wpos,
                          const typename CONFIG_T::word_t *wneg) {
    #pragma HLS INLINE
Neurons:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        res[j] = hlsb_score<G, data_T, CONFIG_T>(data, &wpos[j * CONFIG_T::n_words], &wneg[j * CONFIG_T::n_words], p);
    }
}

// Max-pooling at position p of level codes per channel (min where take_min: a max-pool of the accumulator before a
// decreasing threshold); a window reaching into 'same' padding pools over its real inputs only.  On bits: an OR (an
// AND).
template <class G, class data_T, class res_T, typename CONFIG_T>
void hlsb_pool_position(const data_T *data, res_T *res, unsigned p, const typename CONFIG_T::flip_t *take_min) {
    #pragma HLS INLINE
PoolChannels:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        #pragma HLS UNROLL
        bool first = true;
        data_T best = 0;
    PoolWindow:
        for (unsigned i = c; i < CONFIG_T::window_size; i += CONFIG_T::n_chan) { // channel c of each window element
            #pragma HLS UNROLL
            const int at = G::index(p, i);
            if (at < 0)
                continue;
            const data_T v = data[at];
            if (first || (take_min[c] ? v < best : v > best))
                best = v;
            first = false;
        }
        res[c] = best;
    }
}

// ---- io_parallel: every position at once ------------------------------------------------------------------------

#define HLSB_ARRAYS                                                                                                    \
    _Pragma("HLS INLINE") _Pragma("HLS ARRAY_PARTITION variable = wpos complete")                                      \
        _Pragma("HLS ARRAY_PARTITION variable = wneg complete")

template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_threshold(const data_T data[CONFIG_T::in_size], res_T res[CONFIG_T::out_size],
                             const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                             const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words],
                             const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_out * CONFIG_T::n_thr],
                             const typename CONFIG_T::flip_t flip[CONFIG_T::n_out]) {
    HLSB_ARRAYS
    #pragma HLS ARRAY_PARTITION variable = thresholds complete
    #pragma HLS ARRAY_PARTITION variable = flip complete
Positions:
    for (unsigned p = 0; p < CONFIG_T::n_positions; p++) {
        #pragma HLS UNROLL
        hlsb_threshold_position<typename CONFIG_T::inputs_t, data_T, res_T, CONFIG_T>(
            data, &res[p * CONFIG_T::n_out], p, wpos, wneg, thresholds, flip);
    }
}
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_affine(const data_T data[CONFIG_T::in_size], res_T res[CONFIG_T::out_size],
                          const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::scale_store_t scale[CONFIG_T::n_out],
                          const typename CONFIG_T::offset_store_t offset[CONFIG_T::n_out]) {
    HLSB_ARRAYS
    #pragma HLS ARRAY_PARTITION variable = scale complete
    #pragma HLS ARRAY_PARTITION variable = offset complete
Positions:
    for (unsigned p = 0; p < CONFIG_T::n_positions; p++) {
        #pragma HLS UNROLL
        hlsb_affine_position<typename CONFIG_T::inputs_t, data_T, res_T, CONFIG_T>(
            data, &res[p * CONFIG_T::n_out], p, wpos, wneg, scale, offset);
    }
}
template <class data_T, class res_T, typename CONFIG_T>
void integer_dense_scores(const data_T data[CONFIG_T::in_size], res_T res[CONFIG_T::out_size],
                          const typename CONFIG_T::word_t wpos[CONFIG_T::n_out * CONFIG_T::n_words],
                          const typename CONFIG_T::word_t wneg[CONFIG_T::n_out * CONFIG_T::n_words]) {
    HLSB_ARRAYS
Positions:
    for (unsigned p = 0; p < CONFIG_T::n_positions; p++) {
        #pragma HLS UNROLL
        hlsb_scores_position<typename CONFIG_T::inputs_t, data_T, res_T, CONFIG_T>(data, &res[p * CONFIG_T::n_out], p,
                                                                                   wpos, wneg);
    }
}
template <class data_T, class res_T, typename CONFIG_T>
void integer_pool(const data_T data[CONFIG_T::in_size], res_T res[CONFIG_T::out_size],
                  const typename CONFIG_T::flip_t take_min[CONFIG_T::n_chan]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable = take_min complete
PoolPositions:
    for (unsigned p = 0; p < CONFIG_T::n_positions; p++) {
        #pragma HLS UNROLL
        hlsb_pool_position<hlsb_window_inputs<CONFIG_T>, data_T, res_T, CONFIG_T>(data, &res[p * CONFIG_T::n_chan], p,
                                                                                 take_min);
    }
}

} // namespace nnet

#endif
