/* hlsbinary: the bit-exact emulator's compiled kernel.
 *
 * The fixed-point first layer is a matrix product the caller does with BLAS on the quantized inputs
 * (hlsb_quantize; exact in float32 below 2^24, float64 beyond), laid out [n_out][events].  hlsb_run takes
 * blocks of HLSB_BLOCK events through the remaining stages.  Every tensor is stored event-minor (output j's
 * values for consecutive events are contiguous), so each inner loop runs over events with the layer's constants
 * broadcast: the compiler vectorises it without tails, gathers or horizontal sums.  Per output j:
 *
 *   XNOR   (binary inputs, binary weights): a = popcount(x ^ w_j) disagreements       (acc = n - 2a)
 *   PLANES (ternary inputs or weights):     a = acc = popcount((xp&wp)|(xn&wn)) - popcount((xp&wn)|(xn&wp))
 *   CODES  (multi-level inputs or multi-bit weights): a = acc = sum_i w_ij * code_i, in int32
 *   PRODUCT (first layer):                  a = acc, from the BLAS product
 *
 * then hit_k = [a >= thr_jk] xor flip_j (thresholds moved to a's domain by the caller).  Binary and ternary
 * levels feeding a planes layer are bit j of the event's output planes (bit set: +1 in pos, -1 in neg): binary
 * +1 where hit_0; ternary +1 where hit_0 & hit_1, -1 where neither.  Otherwise the output is the integer code
 * base + step * #hits, stored event-minor for a CODES layer.  A last layer without thresholds writes acc, or the
 * exact affine (S acc + O) 2^-frac in double (exact: the caller checks it needs at most 53 bits).  The caller
 * checks that every accumulator bound is below 2^30: int32 never wraps.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HLSB_BLOCK 256   /* events per block: a 1024-wide layer's planes then fit in L1/L2 */
#define HLSB_MAX_WORDS 64 /* widest layer: 4096 outputs */
#define HLSB_MAX_WIDTH (64 * HLSB_MAX_WORDS)

enum { HLSB_IN_PRODUCT = 0, HLSB_IN_XNOR = 1, HLSB_IN_PLANES = 2, HLSB_IN_CODES = 3, HLSB_IN_POOL = 4 };

typedef struct {
    int32_t kind;         /* HLSB_IN_* */
    int32_t n_in, n_out;
    int32_t n_words;      /* 64-bit words per input plane */
    int32_t n_thr;        /* thresholds per output: 1 or 2; 0 outputs the accumulator */
    const uint64_t *wp;   /* XNOR/PLANES: w > 0 masks [n_words][n_out] */
    const uint64_t *wn;   /* PLANES: w < 0 masks [n_words][n_out] */
    const int32_t *w;     /* CODES: integer weights [n_in][n_out] */
    const int32_t *table; /* windows: [n_positions][n_in] input row of each window element, -1 in the padding */
    int32_t n_positions;  /* positions of a convolution or pool (the window's rows of table), 1 for Dense */
    int32_t out_size;     /* elements of the output tensor: n_positions * n_out */
    const int32_t *thr;   /* [n_thr][n_out], in the domain of a */
    const int32_t *flip;  /* [n_out] 0 or 1 */
    int32_t out_codes;    /* 1: the output is integer codes (code_base + code_step * #hits), not planes */
    int32_t code_base, code_step;
    int32_t *code_trace;  /* [batch][n_out] output codes, or NULL */
    const int64_t *scale, *offset; /* exact affine y = (scale_j acc + offset_j) lsb of a last layer */
    double lsb;                    /* 2^-frac */
    int8_t *trace;        /* [batch][n_out] levels -1/0/+1, or NULL */
    int32_t *acc_out;     /* [batch][n_out] accumulators (a layer without thresholds), or NULL */
    double *affine_out;   /* [batch][n_out] affine outputs, or NULL */
} hlsb_layer;

typedef struct {
    uint64_t pos[HLSB_MAX_WORDS][HLSB_BLOCK]; /* bit j % 64 of pos[j / 64][e]: output j of event e is +1 */
    uint64_t neg[HLSB_MAX_WORDS][HLSB_BLOCK]; /* ... is -1 */
    int32_t *codes;                           /* [max width][HLSB_BLOCK]: output j of event e is codes[j][e] */
} hlsb_planes;

static inline int32_t popcount64(uint64_t v) { return (int32_t)__builtin_popcountll(v); }

/* a[e] = acc (PLANES, CODES) or disagreements (XNOR) of output j of layer L over a block of m events. */
static void popcount_values(const hlsb_layer *L, int j, const hlsb_planes *in, int m, int32_t *restrict a) {
    for (int e = 0; e < m; e++) a[e] = 0;
    if (L->kind == HLSB_IN_CODES) {
        for (int i = 0; i < L->n_in; i++) {
            const int32_t w = L->w[(int64_t)i * L->n_out + j];
            if (!w) continue;
            const int32_t *restrict x = in->codes + (int64_t)i * HLSB_BLOCK;
            for (int e = 0; e < m; e++) a[e] += w * x[e];
        }
        return;
    }
    for (int k = 0; k < L->n_words; k++) {
        const uint64_t wp = L->wp[(int64_t)k * L->n_out + j];
        const uint64_t *restrict xp = in->pos[k];
        if (L->kind == HLSB_IN_XNOR) {
            for (int e = 0; e < m; e++) a[e] += popcount64(xp[e] ^ wp);
        } else {
            const uint64_t wn = L->wn[(int64_t)k * L->n_out + j];
            const uint64_t *restrict xn = in->neg[k];
            for (int e = 0; e < m; e++)
                a[e] += popcount64((xp[e] & wp) | (xn[e] & wn)) - popcount64((xp[e] & wn) | (xn[e] & wp));
        }
    }
}

/* Sets bit j of the output planes from values v[e] (any numeric type holding exact integers). */
#define HLSB_THRESHOLD(V_T, v)                                                                                  \
    do {                                                                                                        \
        const V_T t0 = (V_T)L->thr[j];                                                                          \
        if (L->out_codes) {                                                                                     \
            int32_t *restrict code = out->codes + (int64_t)j * HLSB_BLOCK;                                      \
            const int flip = L->flip[j];                                                                        \
            for (int e = 0; e < m; e++) code[e] = 0;                                                            \
            for (int k = 0; k < L->n_thr; k++) {                                                                \
                const V_T t = (V_T)L->thr[(int64_t)k * n_out + j];                                              \
                for (int e = 0; e < m; e++) code[e] += (v[e] >= t) ^ flip;                                      \
            }                                                                                                   \
            for (int e = 0; e < m; e++) code[e] = L->code_base + L->code_step * code[e];                        \
        } else if (L->n_thr == 1) { /* binary; neg is ~pos, made below */                                       \
            if (L->flip[j])                                                                                     \
                for (int e = 0; e < m; e++) pos[e] |= v[e] < t0 ? bit : 0;                                      \
            else                                                                                                \
                for (int e = 0; e < m; e++) pos[e] |= v[e] >= t0 ? bit : 0;                                     \
        } else {                                                                                                \
            const V_T t1 = (V_T)L->thr[n_out + j];                                                              \
            const int flip = L->flip[j];                                                                        \
            for (int e = 0; e < m; e++) {                                                                       \
                const int h0 = (v[e] >= t0) ^ flip, h1 = (v[e] >= t1) ^ flip;                                   \
                pos[e] |= h0 & h1 ? bit : 0;                                                                    \
                neg[e] |= h0 | h1 ? 0 : bit;                                                                    \
            }                                                                                                   \
        }                                                                                                       \
    } while (0)

/* Writes output j's accumulators acc = a (or n - 2a for disagreements) as int32 scores or exact affine values. */
#define HLSB_OUTPUT(V_T, v, xnor)                                                                               \
    do {                                                                                                        \
        const int32_t n = L->n_in;                                                                              \
        if (L->acc_out) {                                                                                       \
            int32_t *restrict o = L->acc_out + e0 * n_out + j;                                                  \
            for (int e = 0; e < m; e++) o[(int64_t)e * n_out] = (int32_t)(xnor ? n - 2 * (int32_t)v[e] : v[e]);  \
        }                                                                                                       \
        if (L->affine_out) {                                                                                    \
            const int64_t S = L->scale[j], O = L->offset[j];                                                    \
            double *restrict o = L->affine_out + e0 * n_out + j;                                                \
            for (int e = 0; e < m; e++) {                                                                       \
                const int64_t acc = xnor ? n - 2 * (int64_t)v[e] : (int64_t)v[e];                                \
                o[(int64_t)e * n_out] = (double)(S * acc + O) * L->lsb;                                         \
            }                                                                                                   \
        }                                                                                                       \
    } while (0)

/* A convolution over a block of m events: for every position, the filters' sums over the window's real inputs
 * (integer codes; padding adds nothing), then thresholds into codes, or scores / exact affine values.  acc is
 * scratch for n_out rows of HLSB_BLOCK.  Output column of position p, filter f: p * n_out + f. */
static void run_window_layer(const hlsb_layer *L, const hlsb_planes *in, hlsb_planes *out, int32_t *restrict acc,
                             int64_t e0, int m) {
    const int n_out = L->n_out, n_in = L->n_in;
    for (int p = 0; p < L->n_positions; p++) {
        for (int f = 0; f < n_out; f++)
            for (int e = 0; e < m; e++) acc[(int64_t)f * HLSB_BLOCK + e] = 0;
        const int32_t *rows = L->table + (int64_t)p * n_in;
        for (int k = 0; k < n_in; k++) {
            if (rows[k] < 0) continue; /* padding */
            const int32_t *restrict x = in->codes + (int64_t)rows[k] * HLSB_BLOCK;
            const int32_t *wk = L->w + (int64_t)k * n_out;
            for (int f = 0; f < n_out; f++) {
                const int32_t w = wk[f];
                int32_t *restrict a = acc + (int64_t)f * HLSB_BLOCK;
                if (w == 1)
                    for (int e = 0; e < m; e++) a[e] += x[e];
                else if (w == -1)
                    for (int e = 0; e < m; e++) a[e] -= x[e];
                else if (w)
                    for (int e = 0; e < m; e++) a[e] += w * x[e];
            }
        }
        for (int f = 0; f < n_out; f++) {
            const int32_t *restrict a = acc + (int64_t)f * HLSB_BLOCK;
            const int64_t col = (int64_t)p * n_out + f;
            if (L->n_thr) {
                int32_t *restrict code = out->codes + col * HLSB_BLOCK;
                const int flip = L->flip[f];
                for (int e = 0; e < m; e++) code[e] = 0;
                for (int k = 0; k < L->n_thr; k++) {
                    const int32_t t = L->thr[(int64_t)k * n_out + f];
                    for (int e = 0; e < m; e++) code[e] += (a[e] >= t) ^ flip;
                }
                for (int e = 0; e < m; e++) code[e] = L->code_base + L->code_step * code[e];
                if (L->code_trace)
                    for (int e = 0; e < m; e++) L->code_trace[(e0 + e) * L->out_size + col] = code[e];
                if (L->trace)
                    for (int e = 0; e < m; e++) L->trace[(e0 + e) * L->out_size + col] = (int8_t)code[e];
            } else if (L->acc_out) {
                for (int e = 0; e < m; e++) L->acc_out[(e0 + e) * L->out_size + col] = a[e];
            } else if (L->affine_out) {
                const int64_t S = L->scale[f], O = L->offset[f];
                for (int e = 0; e < m; e++) L->affine_out[(e0 + e) * L->out_size + col] = (double)(S * a[e] + O) * L->lsb;
            }
        }
    }
}

/* Max-pooling of codes per channel (min where flip, the layer's take_min) over each window's real inputs. */
static void run_pool(const hlsb_layer *L, const hlsb_planes *in, hlsb_planes *out, int64_t e0, int m) {
    const int c_n = L->n_out, k_n = L->n_in; /* channels; window elements (x channels) */
    for (int p = 0; p < L->n_positions; p++) {
        const int32_t *rows = L->table + (int64_t)p * k_n;
        for (int c = 0; c < c_n; c++) {
            const int64_t col = (int64_t)p * c_n + c;
            int32_t *restrict best = out->codes + col * HLSB_BLOCK;
            int first = 1;
            for (int k = c; k < k_n; k += c_n) {
                if (rows[k] < 0) continue;
                const int32_t *restrict x = in->codes + (int64_t)rows[k] * HLSB_BLOCK;
                if (first)
                    for (int e = 0; e < m; e++) best[e] = x[e];
                else if (L->flip[c])
                    for (int e = 0; e < m; e++) best[e] = x[e] < best[e] ? x[e] : best[e];
                else
                    for (int e = 0; e < m; e++) best[e] = x[e] > best[e] ? x[e] : best[e];
                first = 0;
            }
            if (L->code_trace)
                for (int e = 0; e < m; e++) L->code_trace[(e0 + e) * L->out_size + col] = best[e];
            if (L->trace)
                for (int e = 0; e < m; e++) L->trace[(e0 + e) * L->out_size + col] = (int8_t)best[e];
        }
    }
}

/* One layer over a block of m events (first event e0 of the batch); product points at the block's first event. */
static void run_layer(const hlsb_layer *L, const hlsb_planes *in, hlsb_planes *out, const void *product, int64_t ld,
                      int is_float32, int64_t e0, int m) {
    int32_t a[HLSB_BLOCK];
    const int n_out = L->n_out, n_words = (n_out + 63) / 64;
    if (L->n_thr > 0 && !L->out_codes)
        for (int k = 0; k < n_words; k++) {
            const uint64_t valid = n_out - 64 * k >= 64 ? ~0ULL : (1ULL << (n_out - 64 * k)) - 1;
            for (int e = 0; e < m; e++) {
                out->pos[k][e] = 0;
                out->neg[k][e] = L->n_thr == 1 ? valid : 0; /* binary: every valid bit not set in pos is -1 */
            }
        }
    for (int j = 0; j < n_out; j++) {
        const uint64_t bit = 1ULL << (j % 64);
        uint64_t *restrict pos = out->pos[j / 64], *restrict neg = out->neg[j / 64];
        if (L->kind == HLSB_IN_PRODUCT && is_float32) {
            const float *restrict v = (const float *)product + (int64_t)j * ld;
            if (L->n_thr) HLSB_THRESHOLD(float, v); else HLSB_OUTPUT(float, v, 0);
        } else if (L->kind == HLSB_IN_PRODUCT) {
            const double *restrict v = (const double *)product + (int64_t)j * ld;
            if (L->n_thr) HLSB_THRESHOLD(double, v); else HLSB_OUTPUT(double, v, 0);
        } else {
            popcount_values(L, j, in, m, a);
            if (L->n_thr) HLSB_THRESHOLD(int32_t, a); else HLSB_OUTPUT(int32_t, a, L->kind == HLSB_IN_XNOR);
        }
        if (L->n_thr && L->trace && !L->out_codes) {
            int8_t *restrict level = L->trace + e0 * n_out + j;
            for (int e = 0; e < m; e++) level[(int64_t)e * n_out] = (int8_t)(pos[e] & bit ? 1 : (neg[e] & bit ? -1 : 0));
        }
        if (L->n_thr && L->out_codes && (L->code_trace || L->trace)) {
            const int32_t *restrict code = out->codes + (int64_t)j * HLSB_BLOCK;
            if (L->code_trace) {
                int32_t *restrict level = L->code_trace + e0 * n_out + j;
                for (int e = 0; e < m; e++) level[(int64_t)e * n_out] = code[e];
            } else {
                int8_t *restrict level = L->trace + e0 * n_out + j;
                for (int e = 0; e < m; e++) level[(int64_t)e * n_out] = (int8_t)code[e];
            }
        }
    }
    if (L->n_thr == 1 && !L->out_codes)
        for (int k = 0; k < n_words; k++)
            for (int e = 0; e < m; e++) out->neg[k][e] &= ~out->pos[k][e];
}

/* Inputs as ap_(u)fixed<width, width - frac> in LSB units (AP_TRN: floor, then AP_WRAP), written as reals for
 * BLAS.  Branch-free in double so it vectorises: k = floor(v 2^frac); wrapped = k - 2^width floor((k - lo) / 2^width),
 * exact while |k| < 2^52.  Returns -1, or the index of the first event holding a non-finite or huge value. */
#define HLSB_QUANTIZE(NAME, IN_T, OUT_T)                                                                         \
    static int64_t NAME(const IN_T *restrict in, int64_t batch, int32_t n_features, int32_t frac, int32_t width, \
                        int32_t is_signed, OUT_T *restrict out) {                                                \
        const double scale = ldexp(1.0, frac), span = ldexp(1.0, width), inv_span = ldexp(1.0, -width);         \
        const double lo = is_signed ? -ldexp(1.0, width - 1) : 0.0, limit = 4503599627370496.0; /* 2^52 */      \
        const int64_t n = batch * n_features;                                                                    \
        int bad = 0;                                                                                             \
        for (int64_t i = 0; i < n; i++) {                                                                        \
            const double k = floor((double)in[i] * scale);                                                       \
            bad |= !(fabs(k) < limit);                                                                           \
            out[i] = (OUT_T)(k - span * floor((k - lo) * inv_span));                                             \
        }                                                                                                        \
        if (!bad) return -1;                                                                                     \
        for (int64_t i = 0; i < n; i++)                                                                          \
            if (!(fabs(floor((double)in[i] * scale)) < limit)) return i / n_features;                            \
        return -1;                                                                                               \
    }
HLSB_QUANTIZE(quantize_f32_f32, float, float)
HLSB_QUANTIZE(quantize_f64_f32, double, float)
HLSB_QUANTIZE(quantize_f32_f64, float, double)
HLSB_QUANTIZE(quantize_f64_f64, double, double)

int64_t hlsb_quantize(const void *in, int32_t in_is_float32, int64_t batch, int32_t n_features, int32_t frac,
                      int32_t width, int32_t is_signed, void *out, int32_t out_is_float32) {
    if (in_is_float32)
        return out_is_float32 ? quantize_f32_f32(in, batch, n_features, frac, width, is_signed, out)
                              : quantize_f32_f64(in, batch, n_features, frac, width, is_signed, out);
    return out_is_float32 ? quantize_f64_f32(in, batch, n_features, frac, width, is_signed, out)
                          : quantize_f64_f64(in, batch, n_features, frac, width, is_signed, out);
}

/* Runs `n_layers` layers on `batch` events; returns 0, or -1 if out of memory.  `product` holds the first layer's
 * accumulators, output j of event e at product[j * ld + e] (integer-valued: float32 if product_is_float32, else
 * float64); a first layer that reads codes (a convolution, a pool) reads the quantized inputs instead, event e's
 * n_inputs codes at product[e * n_inputs ...].  `width` is the widest tensor between layers. */
int32_t hlsb_run(const hlsb_layer *layers, int32_t n_layers, const void *product, int32_t product_is_float32,
              int64_t batch, int64_t ld, int32_t width) {
    hlsb_planes *planes = malloc(2 * sizeof(hlsb_planes)); /* 512 KiB: activations ping-pong between layers */
    if (!planes) return -1;
    int need_codes = layers[0].kind == HLSB_IN_CODES || layers[0].kind == HLSB_IN_POOL, scratch_rows = 0;
    for (int l = 0; l < n_layers; l++) {
        need_codes |= layers[l].out_codes;
        if (layers[l].table && layers[l].kind != HLSB_IN_POOL && layers[l].n_out > scratch_rows) scratch_rows = layers[l].n_out;
    }
    if (width < HLSB_MAX_WIDTH) width = HLSB_MAX_WIDTH;
    planes[0].codes = planes[1].codes = NULL;
    int32_t *scratch = scratch_rows ? malloc(sizeof(int32_t) * scratch_rows * HLSB_BLOCK) : NULL;
    if (need_codes) {
        planes[0].codes = malloc(sizeof(int32_t) * (int64_t)width * HLSB_BLOCK);
        planes[1].codes = malloc(sizeof(int32_t) * (int64_t)width * HLSB_BLOCK);
    }
    if ((need_codes && (!planes[0].codes || !planes[1].codes)) || (scratch_rows && !scratch)) {
        free(planes[0].codes);
        free(planes[1].codes);
        free(scratch);
        free(planes);
        return -1;
    }
    const int codes_first = layers[0].kind == HLSB_IN_CODES || layers[0].kind == HLSB_IN_POOL;
    const int32_t n_inputs = codes_first ? (layers[0].table ? (int32_t)ld : layers[0].n_in) : 0;
    for (int64_t e0 = 0; e0 < batch; e0 += HLSB_BLOCK) {
        const int m = batch - e0 < HLSB_BLOCK ? (int)(batch - e0) : HLSB_BLOCK;
        const void *block = product_is_float32 ? (const void *)((const float *)product + e0)
                                               : (const void *)((const double *)product + e0);
        if (codes_first) { /* the quantized inputs, event-major, transposed into the input codes */
            int32_t *restrict codes = planes[1].codes;
            for (int e = 0; e < m; e++)
                for (int i = 0; i < n_inputs; i++)
                    codes[(int64_t)i * HLSB_BLOCK + e] = product_is_float32
                                                             ? (int32_t)((const float *)product)[(e0 + e) * n_inputs + i]
                                                             : (int32_t)((const double *)product)[(e0 + e) * n_inputs + i];
        }
        for (int l = 0; l < n_layers; l++) {
            const hlsb_layer *L = &layers[l];
            if (L->kind == HLSB_IN_POOL)
                run_pool(L, &planes[(l + 1) % 2], &planes[l % 2], e0, m);
            else if (L->table)
                run_window_layer(L, &planes[(l + 1) % 2], &planes[l % 2], scratch, e0, m);
            else
                run_layer(L, &planes[(l + 1) % 2], &planes[l % 2], block, ld, product_is_float32, e0, m);
        }
    }
    free(planes[0].codes);
    free(planes[1].codes);
    free(scratch);
    free(planes);
    return 0;
}

/* The machine's popcount limit: popcounts of XOR'd 64-bit words per call, from L1 (for the benchmark). */
int64_t hlsb_popcount_peak(const uint64_t *a, const uint64_t *b, int32_t n, int64_t repeats) {
    int64_t total = 0;
    for (int64_t r = 0; r < repeats; r++) {
        int32_t s = 0;
        for (int32_t i = 0; i < n; i++) s += popcount64(a[i] ^ b[i]);
        total += s;
        __asm__ volatile("" : : "r"(total) : "memory"); /* keep the loop */
    }
    return total;
}
