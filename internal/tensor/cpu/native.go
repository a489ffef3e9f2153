package cpu

import "sync"

// Native is the Gemm of this package's own kernels (sgemm.go): assembly
// microkernels for AVX-512F or AVX2+FMA, picked by simdLevel, threaded inside each
// call, and row-invariant by construction on any processor, unlike a BLAS library
// whose kernels may depend on a row's position in its block.
type Native struct {
	threads int
	mu      sync.Mutex // bufs: one product at a time
	bufs    gemmBufs
}

// NewNative returns the native Gemm using threads goroutines per call (<= 0: 1).
func NewNative(threads int) *Native { return &Native{threads: max(threads, 1)} }

// NativeSupported reports whether this processor runs the native kernels in
// assembly (amd64 with AVX2 and FMA); elsewhere they would run the slow Go reference.
func NativeSupported() bool { return nativeGemmSupported() && simdLevel >= simdAVX2 }

// Name implements Gemm.
func (g *Native) Name() string { return "native" }

// Level names the kernels in use: "avx512", "avx2" or "go" (the reference).
func (g *Native) Level() string { return simdLevelName(simdLevel) }

// simdLevelName names a level in logs and run identities.
func simdLevelName(level int) string {
	switch level {
	case simdAVX512:
		return "avx512"
	case simdAVX2:
		return "avx2"
	}
	return "go"
}

// SgemmNT implements Gemm.
func (g *Native) SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	g.sgemmNTHooks(m, n, k, a, lda, b, ldb, c, ldc, accumulate, nil, nil)
}

// sgemmNTHooks is SgemmNT with work on whole rows of C before and after their
// product (see sgemmNativeHooks).
func (g *Native) sgemmNTHooks(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool, pre, post func(r0, r1 int)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	o := gemmOperands{m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bT: true, c: c, ldc: ldc, acc: accumulate}
	sgemmNativeHooks(simdLevel, o, g.threads, &g.bufs, pre, post)
}

// packedNTHooks is sgemmNTHooks for a weight held packed: C = A·Wᵀ (+C), at the
// level w was packed for.
func (g *Native) packedNTHooks(m, k int, a []float32, lda int, w *f32Weight, c []float32, ldc int, accumulate bool, pre, post func(r0, r1 int)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	o := gemmOperands{m: m, n: w.n, k: k, a: a, lda: lda, bT: true, c: c, ldc: ldc, acc: accumulate, packed: w.panels}
	sgemmNativeHooks(w.level, o, g.threads, &g.bufs, pre, post)
}

// rowBlock implements kernels (single-threaded, on the caller's buffers).
func (g *Native) rowBlock(rows, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ws *workspace) {
	sgemmNative(simdLevel, gemmOperands{m: rows, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bT: true, c: c, ldc: ldc, acc: acc}, 1, &ws.att.gemm)
}

// nt implements kernels.
func (g *Native) nt(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bufs *gemmBufs) {
	sgemmNative(simdLevel, gemmOperands{m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bT: true, c: c, ldc: ldc}, 1, bufs)
}

// nn implements kernels.
func (g *Native) nn(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bufs *gemmBufs) {
	sgemmNative(simdLevel, gemmOperands{m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}, 1, bufs)
}
