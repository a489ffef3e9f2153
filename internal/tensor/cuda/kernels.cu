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

// layerNormCached: like layerNorm with the row cached as float32 in dynamic
// shared memory (cols floats) and 16-byte global accesses; cols must be a
// multiple of the vector width.
template <class S>
__device__ void layerNormCached(typename S::T* dst, const typename S::T* x, const typename S::T* gamma,
                                const typename S::T* beta, int cols, float eps) {
    typedef typename S::T T;
    const int V = 16 / sizeof(T);
    extern __shared__ float rowc[];
    __shared__ float red[32];
    long long base = (long long)blockIdx.x * cols;
    const uint4* xv = (const uint4*)(x + base);
    int nv = cols / V;
    float s = 0.0f;
    for (int i = threadIdx.x; i < nv; i += blockDim.x) {
        uint4 u = xv[i];
        const T* e = (const T*)&u;
#pragma unroll
        for (int k = 0; k < V; k++) {
            float f = S::ld(e, k);
            rowc[i * V + k] = f;
            s += f;
        }
    }
    float mean = blockSum(s, red) / (float)cols;
    float v = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = rowc[c] - mean;
        v += d * d;
    }
    float var = blockSum(v, red) / (float)cols;
    float inv = 1.0f / sqrtf(var + eps);
    uint4* dv = (uint4*)(dst + base);
    const uint4* gv = (const uint4*)gamma;
    const uint4* bv = (const uint4*)beta;
    for (int i = threadIdx.x; i < nv; i += blockDim.x) {
        uint4 gu = gv[i], bu = bv[i], o;
        const T *eg = (const T*)&gu, *eb = (const T*)&bu;
        T* eo = (T*)&o;
#pragma unroll
        for (int k = 0; k < V; k++) S::st(eo, k, (rowc[i * V + k] - mean) * inv * S::ld(eg, k) + S::ld(eb, k));
        dv[i] = o;
    }
}

__device__ __forceinline__ float geluf(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f)); }

// gelu in place over n elements, grid-stride, 16 bytes per thread and step
// (device allocations are 256-byte aligned).
template <class S>
__device__ void gelu(typename S::T* x, long long n) {
    typedef typename S::T T;
    const int V = 16 / sizeof(T);
    long long nv = n / V;
    long long stride = (long long)gridDim.x * blockDim.x;
    long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    uint4* xv = (uint4*)x;
    for (long long i = tid; i < nv; i += stride) {
        uint4 u = xv[i];
        T* e = (T*)&u;
#pragma unroll
        for (int k = 0; k < V; k++) S::st(e, k, geluf(S::ld(e, k)));
        xv[i] = u;
    }
    for (long long i = nv * V + tid; i < n; i += stride) S::st(x, i, geluf(S::ld(x, i)));
}

// gatedGelu: dst[r, j] = gelu(x[r, j]) * x[r, I+j]; n = rows*I, grid-stride,
// 16 bytes per step when I is a multiple of the vector width.
template <class S>
__device__ void gatedGelu(typename S::T* dst, const typename S::T* x, long long n, int inter) {
    typedef typename S::T T;
    const int V = 16 / sizeof(T);
    long long stride = (long long)gridDim.x * blockDim.x;
    long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (inter % V == 0) {
        long long nv = n / V;
        int iv = inter / V;
        const uint4* xv = (const uint4*)x;
        uint4* dv = (uint4*)dst;
        for (long long i = tid; i < nv; i += stride) {
            long long r = i / iv;
            long long j = i - r * iv;
            uint4 a = xv[r * 2 * iv + j], g = xv[r * 2 * iv + iv + j], o;
            T *ea = (T*)&a, *eg = (T*)&g, *eo = (T*)&o;
#pragma unroll
            for (int k = 0; k < V; k++) S::st(eo, k, geluf(S::ld(ea, k)) * S::ld(eg, k));
            dv[i] = o;
        }
        return;
    }
    for (long long i = tid; i < n; i += stride) {
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

// rotated returns element d of a head vector (row p, global column base) after
// the half-split rotary embedding at position pos (scale applied first). rot is
// the host-computed table of (cos, sin) for positions × hd/2 frequencies, or 0.
template <class S>
__device__ __forceinline__ float rotated(const typename S::T* p, long long base, int d, int hd, float scale,
                                         const float2* rot, int pos) {
    float x = S::ld(p, base + d) * scale;
    if (rot == 0) return x;
    int half = hd >> 1;
    int i = d < half ? d : d - half;
    float2 cs = rot[(long long)pos * half + i];
    if (d < half) {
        float y = S::ld(p, base + d + half) * scale;
        return x * cs.x - y * cs.y;
    }
    float y = S::ld(p, base + d - half) * scale;
    return x * cs.x + y * cs.y;
}

template <class S, int HD>
__device__ void attention(typename S::T* out, const typename S::T* qkv, const int* tiles, const int* segs, int dmodel,
                          int hd, float scale, const float2* invf, const float* slopes) {
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
    extern "C" __global__ void layernormc_##SUF(S::T* dst, const S::T* x, const S::T* g, const S::T* b, int cols,    \
                                                float eps) {                                                         \
        layerNormCached<S>(dst, x, g, b, cols, eps);                                                                 \
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
        const float2* invf, const float* slopes) {                                                                    \
        attention<S, 16>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                    \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention32_##SUF(                                         \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float2* invf, const float* slopes) {                                                                    \
        attention<S, 32>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                    \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention64_##SUF(                                         \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float2* invf, const float* slopes) {                                                                    \
        attention<S, 64>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                    \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_BQ) attention128_##SUF(                                        \
        S::T* out, const S::T* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,              \
        const float2* invf, const float* slopes) {                                                                    \
        attention<S, 128>(out, qkv, tiles, segs, dmodel, hd, scale, invf, slopes);                                   \
    }

INSTANTIATE(f32, F32)
INSTANTIATE(f16, F16)
INSTANTIATE(bf16, BF16)

// Tensor-core attention (16-bit types, sm_80+): flash-attention-2 style with
// mma.sync m16n8k16 and float32 accumulation and softmax. Block = 8 warps =
// TC_BQ queries; each warp owns 16 query rows. Requires hd == HD (32 or 64:
// 128 would need more than 48 KB of static shared memory).
#define TC_BQ 128
#define TC_BK 64

template <class S>
__device__ __forceinline__ unsigned pack2(float lo, float hi);
template <>
__device__ __forceinline__ unsigned pack2<F16>(float lo, float hi) {
    unsigned r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
template <>
__device__ __forceinline__ unsigned pack2<BF16>(float lo, float hi) {
    unsigned r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

template <class S>
__device__ __forceinline__ void mma16816(float* c, unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0,
                                         unsigned b1);
template <>
__device__ __forceinline__ void mma16816<F16>(float* c, unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0,
                                              unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma16816<BF16>(float* c, unsigned a0, unsigned a1, unsigned a2, unsigned a3,
                                               unsigned b0, unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// loadRotTile stages rows p0..p0+rows-1 (segment positions, zero past len) of
// one head slice (column offset coff) into shared memory dst (row stride ldd),
// scaled and rotated, 16 bytes per load: each work item takes 8 elements of
// the first half and their 8 rotary partners of the second half.
template <class S, int HD>
__device__ __forceinline__ void loadRotTile(u16* dst, int ldd, const u16* qkv, long long ld, int start, int p0, int len,
                                            long long coff, float scale, const float2* rot, int rows) {
    const int H2 = HD / 2, C = H2 / 8;
    for (int e = threadIdx.x; e < rows * C; e += blockDim.x) {
        int r = e / C, c = (e - r * C) * 8;
        int pos = p0 + r;
        uint4 lo, hi;
        lo.x = lo.y = lo.z = lo.w = 0u;
        hi.x = hi.y = hi.z = hi.w = 0u;
        if (pos < len) {
            const u16* src = qkv + (long long)(start + pos) * ld + coff;
            uint4 a = *(const uint4*)(src + c), b = *(const uint4*)(src + c + H2);
            u16 *ea = (u16*)&a, *eb = (u16*)&b, *el = (u16*)&lo, *eh = (u16*)&hi;
#pragma unroll
            for (int k = 0; k < 8; k++) {
                float x = S::ld(ea, k) * scale, y = S::ld(eb, k) * scale;
                float cs = 1.0f, sn = 0.0f;
                if (rot) {
                    float2 t = rot[(long long)pos * H2 + c + k];
                    cs = t.x;
                    sn = t.y;
                }
                S::st(el, k, x * cs - y * sn);
                S::st(eh, k, y * cs + x * sn);
            }
        }
        *(uint4*)(dst + r * ldd + c) = lo;
        *(uint4*)(dst + r * ldd + c + H2) = hi;
    }
}

__device__ __forceinline__ unsigned smemAddr(const void* p) {
    unsigned r;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(r) : "l"(p));
    return r;
}

__device__ __forceinline__ void ldsm4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const u16* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(smemAddr(p)));
}

__device__ __forceinline__ void ldsm4t(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const u16* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(smemAddr(p)));
}

template <class S, int HD>
__device__ void attentionTC(u16* out, const u16* qkv, const int* tiles, const int* segs, int dmodel, float scale,
                            const float2* rot, const float* slopes) {
#if __CUDA_ARCH__ >= 800
    const int LQ = HD + 8;     // row stride (u16) of qs and ks
    __shared__ __align__(16) u16 qs[TC_BQ * LQ];
    __shared__ __align__(16) u16 ks[TC_BK * LQ];
    __shared__ __align__(16) u16 vs[TC_BK * LQ];
    int tile = blockIdx.x, h = blockIdx.y;
    int seg = tiles[2 * tile], q0 = tiles[2 * tile + 1];
    int start = segs[2 * seg], len = segs[2 * seg + 1];
    long long ld = 3LL * dmodel;
    long long hoff = (long long)h * HD;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    float slope = slopes ? slopes[h] : 0.0f;

    loadRotTile<S, HD>(qs, LQ, qkv, ld, start, q0, len, hoff, scale, rot, TC_BQ);
    float o[HD / 8][4];
#pragma unroll
    for (int n = 0; n < HD / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
    float m0 = NEG_INF, m1 = NEG_INF, l0 = 0.0f, l1 = 0.0f;
    int r0 = q0 + warp * 16 + g;  // query (segment-relative) of c0,c1; r0+8 for c2,c3

    for (int k0 = 0; k0 < len; k0 += TC_BK) {
        __syncthreads();
        loadRotTile<S, HD>(ks, LQ, qkv, ld, start, k0, len, dmodel + hoff, 1.0f, rot, TC_BK);
        for (int e = threadIdx.x; e < TC_BK * (HD / 8); e += blockDim.x) {
            int j = e / (HD / 8), c = (e - j * (HD / 8)) * 8;
            int kj = k0 + j;
            uint4 v;
            v.x = v.y = v.z = v.w = 0u;
            if (kj < len) v = *(const uint4*)(qkv + (long long)(start + kj) * ld + 2LL * dmodel + hoff + c);
            *(uint4*)(vs + j * LQ + c) = v;
        }
        __syncthreads();
        if (r0 - g >= len) continue;  // this warp's 16 rows are all past the segment
        float sc[TC_BK / 8][4];
#pragma unroll
        for (int n = 0; n < TC_BK / 8; n++) sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.0f;
        int lr = lane & 7, l8 = (lane >> 3) & 1, l16 = lane >> 4;
#pragma unroll
        for (int kk = 0; kk < HD / 16; kk++) {
            unsigned a0, a1, a2, a3;
            ldsm4(a0, a1, a2, a3, qs + (warp * 16 + lr + l8 * 8) * LQ + kk * 16 + l16 * 8);
#pragma unroll
            for (int n = 0; n < TC_BK / 8; n += 2) {
                unsigned b0, b1, b2, b3;
                ldsm4(b0, b1, b2, b3, ks + (n * 8 + lr + l16 * 8) * LQ + kk * 16 + l8 * 8);
                mma16816<S>(sc[n], a0, a1, a2, a3, b0, b1);
                mma16816<S>(sc[n + 1], a0, a1, a2, a3, b2, b3);
            }
        }
        float t0 = NEG_INF, t1 = NEG_INF;
#pragma unroll
        for (int n = 0; n < TC_BK / 8; n++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                int col = k0 + n * 8 + t * 2 + (i & 1);
                int row = r0 + (i >> 1) * 8;
                float v = sc[n][i];
                if (slopes) v -= slope * fabsf((float)(row - col));
                v = col < len ? v : NEG_INF;
                sc[n][i] = v;
            }
            t0 = fmaxf(t0, fmaxf(sc[n][0], sc[n][1]));
            t1 = fmaxf(t1, fmaxf(sc[n][2], sc[n][3]));
        }
        t0 = fmaxf(t0, __shfl_xor_sync(0xffffffffu, t0, 1));
        t0 = fmaxf(t0, __shfl_xor_sync(0xffffffffu, t0, 2));
        t1 = fmaxf(t1, __shfl_xor_sync(0xffffffffu, t1, 1));
        t1 = fmaxf(t1, __shfl_xor_sync(0xffffffffu, t1, 2));
        float n0 = fmaxf(m0, t0), n1 = fmaxf(m1, t1);
        float c0 = expf(m0 - n0), c1 = expf(m1 - n1);
        l0 *= c0;
        l1 *= c1;
#pragma unroll
        for (int n = 0; n < HD / 8; n++) {
            o[n][0] *= c0;
            o[n][1] *= c0;
            o[n][2] *= c1;
            o[n][3] *= c1;
        }
#pragma unroll
        for (int n = 0; n < TC_BK / 8; n++) {
            sc[n][0] = expf(sc[n][0] - n0);
            sc[n][1] = expf(sc[n][1] - n0);
            sc[n][2] = expf(sc[n][2] - n1);
            sc[n][3] = expf(sc[n][3] - n1);
            l0 += sc[n][0] + sc[n][1];
            l1 += sc[n][2] + sc[n][3];
        }
        m0 = n0;
        m1 = n1;
#pragma unroll
        for (int kk = 0; kk < TC_BK / 16; kk++) {
            unsigned a0 = pack2<S>(sc[2 * kk][0], sc[2 * kk][1]);
            unsigned a1 = pack2<S>(sc[2 * kk][2], sc[2 * kk][3]);
            unsigned a2 = pack2<S>(sc[2 * kk + 1][0], sc[2 * kk + 1][1]);
            unsigned a3 = pack2<S>(sc[2 * kk + 1][2], sc[2 * kk + 1][3]);
#pragma unroll
            for (int n = 0; n < HD / 8; n += 2) {
                unsigned b0, b1, b2, b3;
                ldsm4t(b0, b1, b2, b3, vs + (kk * 16 + lr + l8 * 8) * LQ + n * 8 + l16 * 8);
                mma16816<S>(o[n], a0, a1, a2, a3, b0, b1);
                mma16816<S>(o[n + 1], a0, a1, a2, a3, b2, b3);
            }
        }
    }
    l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
    l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    float i0 = 1.0f / l0, i1 = 1.0f / l1;
#pragma unroll
    for (int n = 0; n < HD / 8; n++) {
        int col = n * 8 + t * 2;
        if (r0 < len) {
            long long b = (long long)(start + r0) * dmodel + hoff + col;
            S::st(out, b, o[n][0] * i0);
            S::st(out, b + 1, o[n][1] * i0);
        }
        if (r0 + 8 < len) {
            long long b = (long long)(start + r0 + 8) * dmodel + hoff + col;
            S::st(out, b, o[n][2] * i1);
            S::st(out, b + 1, o[n][3] * i1);
        }
    }
#endif
}

#define INSTANTIATE_TC(SUF, S, HD)                                                                                   \
    extern "C" __global__ void __launch_bounds__(256, 2) attentiontc##HD##_##SUF(                                      \
        u16* out, const u16* qkv, const int* tiles, const int* segs, int dmodel, int hd, float scale,                \
        const float2* rot, const float* slopes) {                                                                    \
        attentionTC<S, HD>(out, qkv, tiles, segs, dmodel, scale, rot, slopes);                                       \
    }

INSTANTIATE_TC(f16, F16, 32)
INSTANTIATE_TC(f16, F16, 64)
INSTANTIATE_TC(bf16, BF16, 32)
INSTANTIATE_TC(bf16, BF16, 64)
