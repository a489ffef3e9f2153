// Kernels of the virnucpro CUDA backend. Compiled at run time with NVRTC (no
// headers: half and bfloat16 are handled as raw 16-bit words), once per device
// compute capability, and cached on disk by source hash.
//
// Every kernel exists in three storage types: _f32 (float), _f16 (IEEE half) and
// _bf16 (bfloat16). Arithmetic, reductions and softmax are always float32 (mean
// pooling accumulates in float64).

typedef unsigned short u16;

#define NEG_INF __int_as_float(0xff800000)

struct F32 {
    typedef float T;
    static __device__ __forceinline__ float ld(const float* p, long long i) { return p[i]; }
    static __device__ __forceinline__ void st(float* p, long long i, float v) { p[i] = v; }
};

struct F16 {
    typedef u16 T;
    static __device__ __forceinline__ float ld(const u16* p, long long i) {
        float f;
        u16 h = p[i];
        asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
        return f;
    }
    static __device__ __forceinline__ void st(u16* p, long long i, float v) {
        u16 h;
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v));
        p[i] = h;
    }
};

struct BF16 {
    typedef u16 T;
    static __device__ __forceinline__ float ld(const u16* p, long long i) {
        return __uint_as_float(((unsigned)p[i]) << 16);
    }
    static __device__ __forceinline__ void st(u16* p, long long i, float v) {
        unsigned u = __float_as_uint(v);
        if ((u & 0x7fffffffu) > 0x7f800000u) {
            p[i] = 0x7fc0;
            return;
        }
        u += 0x7fffu + ((u >> 16) & 1u);
        p[i] = (u16)(u >> 16);
    }
};

// blockSum reduces v over the block (blockDim.x a multiple of 32, at most 1024).
__device__ __forceinline__ float blockSum(float v, float* shared) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    int nw = blockDim.x >> 5;
    v = lane < nw ? shared[lane] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// embed: dst[i,:] = table[ids[i],:] * scale. Grid (n), block 256.
template <class S>
__device__ void embed(typename S::T* dst, const typename S::T* table, const int* ids, int cols, float scale) {
    long long row = blockIdx.x;
    long long src = (long long)ids[row];
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        S::st(dst, row * cols + c, S::ld(table, src * cols + c) * scale);
    }
}

// layerNorm: one block (256 threads) per row; two-pass float32 statistics.
template <class S>
__device__ void layerNorm(typename S::T* dst, const typename S::T* x, const typename S::T* gamma,
                          const typename S::T* beta, int cols, float eps) {
    __shared__ float red[32];
    long long base = (long long)blockIdx.x * cols;
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += S::ld(x, base + c);
    float mean = blockSum(s, red) / (float)cols;
    float v = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = S::ld(x, base + c) - mean;
        v += d * d;
    }
    float var = blockSum(v, red) / (float)cols;
    float inv = 1.0f / sqrtf(var + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = (S::ld(x, base + c) - mean) * inv;
        S::st(dst, base + c, d * S::ld(gamma, c) + S::ld(beta, c));
    }
}

__device__ __forceinline__ float geluf(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f)); }

// gelu in place over n elements, grid-stride.
template <class S>
__device__ void gelu(typename S::T* x, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        S::st(x, i, geluf(S::ld(x, i)));
    }
}

// gatedGelu: dst[r, j] = gelu(x[r, j]) * x[r, I+j]; n = rows*I, grid-stride.
template <class S>
__device__ void gatedGelu(typename S::T* dst, const typename S::T* x, long long n, int inter) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long r = i / inter;
        long long j = i - r * inter;
        long long xi = r * 2 * inter + j;
        S::st(dst, i, geluf(S::ld(x, xi)) * S::ld(x, xi + inter));
    }
}

// addBias: x[r, c] += bias[c] (used when a GEMM path has no fused bias epilogue).
template <class S>
__device__ void addBias(typename S::T* x, const typename S::T* bias, long long n, int cols) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        S::st(x, i, S::ld(x, i) + S::ld(bias, i % cols));
    }
}

// meanPool: dst[s, c] = mean(src[start..end), c); grid (nspans, ceil(cols/256)).
template <class S>
__device__ void meanPool(typename S::T* dst, const typename S::T* src, const int* spans, int cols) {
    int s = blockIdx.x;
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    int start = spans[2 * s], end = spans[2 * s + 1];
    double acc = 0.0;
    for (int r = start; r < end; r++) acc += (double)S::ld(src, (long long)r * cols + c);
    float out = end > start ? (float)(acc / (double)(end - start)) : __int_as_float(0x7fc00000);
    S::st(dst, (long long)s * cols + c, out);
}

// nonFinite: flag[0] = 1 if any element of x is NaN or Inf.
template <class S>
__device__ void nonFinite(const typename S::T* x, long long n, int* flag) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float v = S::ld(x, i);
        if ((__float_as_uint(v) & 0x7f800000u) == 0x7f800000u) flag[0] = 1;
    }
}

// Attention over packed segments with online (flash-style) softmax on CUDA cores.
// Block = ATT_BQ threads, one query row each; grid (number of query tiles, heads).
// tiles[2t] = segment index, tiles[2t+1] = first query (segment-relative) of tile t.
// segs[2s] = first row of segment s, segs[2s+1] = its length.
#define ATT_BQ 64
#define ATT_BK 32

// rotated returns element d of a head vector (row p, global column base) after the
// half-split rotary embedding at position pos (scale applied first).
template <class S>
__device__ __noinline__ float rotated(const typename S::T* p, long long base, int d, int hd, float scale,
                                         const float* invf, int pos) {
    float x = S::ld(p, base + d) * scale;
    if (invf == 0) return x;
    int half = hd >> 1;
    int i = d < half ? d : d - half;
    float a = (float)pos * invf[i];
    float s, c;
    sincosf(a, &s, &c);
    if (d < half) {
        float y = S::ld(p, base + d + half) * scale;
        return x * c - y * s;
    }
    float y = S::ld(p, base + d - half) * scale;
    return x * c + y * s;
}

template <class S, int HD>
__device__ void attention(typename S::T* out, const typename S::T* qkv, const int* tiles, const int* segs, int dmodel,
                          int hd, float scale, const float* invf, const float* slopes) {
    __shared__ float ks[ATT_BK][HD + 1];
    __shared__ float vs[ATT_BK][HD + 1];
    int t = blockIdx.x, h = blockIdx.y;
    int seg = tiles[2 * t], q0 = tiles[2 * t + 1];
    int start = segs[2 * seg], len = segs[2 * seg + 1];
    int qi = q0 + threadIdx.x;
    bool active = qi < len;
    long long ld = 3LL * dmodel;
    float slope = slopes ? slopes[h] : 0.0f;

    float q[HD], acc[HD];
#pragma unroll
    for (int d = 0; d < HD; d++) {
        acc[d] = 0.0f;
        q[d] = (active && d < hd) ? rotated<S>(qkv, (start + qi) * ld + (long long)h * hd, d, hd, scale, invf, qi) : 0.0f;
    }
    float m = NEG_INF, l = 0.0f;

    for (int k0 = 0; k0 < len; k0 += ATT_BK) {
        __syncthreads();
        for (int e = threadIdx.x; e < ATT_BK * hd; e += blockDim.x) {
            int j = e / hd, d = e - j * hd;
            int kj = k0 + j;
            float kv = 0.0f, vv = 0.0f;
            if (kj < len) {
                long long row = (start + kj) * ld;
                kv = rotated<S>(qkv, row + dmodel + (long long)h * hd, d, hd, 1.0f, invf, kj);
                vv = S::ld(qkv, row + 2LL * dmodel + (long long)h * hd + d);
            }
            ks[j][d] = kv;
            vs[j][d] = vv;
        }
        __syncthreads();
        if (!active) continue;
        int nk = len - k0 < ATT_BK ? len - k0 : ATT_BK;
#pragma unroll 1
        for (int j = 0; j < nk; j++) {
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma unroll
            for (int d = 0; d < HD; d += 4) {
                s0 += q[d] * ks[j][d];
                if (d + 1 < HD) s1 += q[d + 1] * ks[j][d + 1];
                if (d + 2 < HD) s2 += q[d + 2] * ks[j][d + 2];
                if (d + 3 < HD) s3 += q[d + 3] * ks[j][d + 3];
            }
            float s = (s0 + s1) + (s2 + s3);
            if (slopes) s -= slope * fabsf((float)(qi - (k0 + j)));
            if (s > m) {
                float corr = expf(m - s);
                l *= corr;
#pragma unroll
                for (int d = 0; d < HD; d++) acc[d] *= corr;
                m = s;
            }
            float p = expf(s - m);
            l += p;
#pragma unroll
            for (int d = 0; d < HD; d++) acc[d] += p * vs[j][d];
        }
    }
    if (!active) return;
    float inv = 1.0f / l;
    long long orow = (long long)(start + qi) * dmodel + (long long)h * hd;
#pragma unroll
    for (int d = 0; d < HD; d++) {
        if (d < hd) S::st(out, orow + d, acc[d] * inv);
    }
}

#define INSTANTIATE(SUF, S)                                                                                          \
    extern "C" __global__ void embed_##SUF(S::T* dst, const S::T* table, const int* ids, int cols, float scale) {    \
        embed<S>(dst, table, ids, cols, scale);                                                                      \
    }                                                                                                                \
    extern "C" __global__ void layernorm_##SUF(S::T* dst, const S::T* x, const S::T* g, const S::T* b, int cols,     \
                                               float eps) {                                                          \
        layerNorm<S>(dst, x, g, b, cols, eps);                                                                       \
    }                                                                                                                \
    extern "C" __global__ void gelu_##SUF(S::T* x, long long n) { gelu<S>(x, n); }                                 \
    extern "C" __global__ void gatedgelu_##SUF(S::T* dst, const S::T* x, long long n, int inter) {                  \
        gatedGelu<S>(dst, x, n, inter);                                                                              \
    }                                                                                                                \
    extern "C" __global__ void addbias_##SUF(S::T* x, const S::T* bias, long long n, int cols) {                    \
        addBias<S>(x, bias, n, cols);                                                                                \
    }                                                                                                                \
    extern "C" __global__ void meanpool_##SUF(S::T* dst, const S::T* src, const int* spans, int cols) {             \
        meanPool<S>(dst, src, spans, cols);                                                                          \
    }                                                                                                                \
    extern "C" __global__ void nonfinite_##SUF(const S::T* x, long long n, int* flag) { nonFinite<S>(x, n, flag); } \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention16_##SUF(                                         \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float* invf, const float* slopes) {                                                                    \
        attention<S, 16>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                    \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention32_##SUF(                                         \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float* invf, const float* slopes) {                                                                    \
        attention<S, 32>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                    \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention64_##SUF(                                         \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float* invf, const float* slopes) {                                                                    \
        attention<S, 64>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                    \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention128_##SUF(                                        \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float* invf, const float* slopes) {                                                                    \
        attention<S, 128>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                   \
    }

INSTANTIATE(f32, F32)
INSTANTIATE(f16, F16)
INSTANTIATE(bf16, BF16)
