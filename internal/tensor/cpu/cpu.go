// Package cpu is the CPU compute backend: every tensor.Backend operation in Go,
// parallel across cores, with the matrix products delegated to a Gemm — this
// package's native assembly kernels (Native) where the processor runs them, else the
// pure-Go kernel, or OpenBLAS loaded at run time when asked for and row-invariant.
package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// Gemm computes C[m×n] = A[m×k]·B[n×k]ᵀ, or C += A·Bᵀ with accumulate. Rows are
// contiguous with strides lda, ldb, ldc. Each element of C must be summed over k in
// an order that does not depend on m, n or the thread count, so that a sequence's
// results do not depend on what it is batched with.
type Gemm interface {
	Name() string
	SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool)
}

// Matrix is the CPU tensor: a row-major float32 slice, or (ConcatRows) a stack of
// matrices used as a Linear weight.
type Matrix struct {
	rows, cols int
	data       []float32
	parts      []*Matrix   // non-nil for a ConcatRows stack (then data is nil)
	bf         *bf16Weight // non-nil for a Linear weight held in bfloat16 (then data is nil)
	packed     *f32Weight  // non-nil for a Linear weight held packed in float32 (then data is nil)
	scratch    bool        // data comes from the backend's scratchPool (NewScratch)
}

// Rows implements tensor.Tensor.
func (m *Matrix) Rows() int { return m.rows }

// Cols implements tensor.Tensor.
func (m *Matrix) Cols() int { return m.cols }

// Data exposes the matrix's storage (CPU backends only; nil for a ConcatRows stack).
func (m *Matrix) Data() []float32 { return m.data }

// Backend implements tensor.Backend on the CPU.
type Backend struct {
	threads int
	gemm    Gemm
	kern    kernels
	native  *Native       // non-nil: products over all rows at once (threaded inside)
	bf16    *bf16Products // non-nil: Linear weights held in bfloat16 (FromHostWeight)
	rot     rotaryCache
	scratch scratchPool
}

// New returns a CPU backend using threads goroutines (<= 0: all cores) and gemm for
// matrix products (nil: the pure-Go kernel).
func New(threads int, gemm Gemm) *Backend {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if gemm == nil {
		gemm = &GoGemm{Threads: threads}
	}
	var kern kernels
	switch g := gemm.(type) {
	case *OpenBLAS:
		kern = g
	case *GoGemm:
		kern = g
	case *Native:
		kern = g
	default:
		kern = gemmKernels{g}
	}
	native, _ := gemm.(*Native)
	return &Backend{threads: threads, gemm: gemm, kern: kern, native: native}
}

// Name implements tensor.Backend.
func (b *Backend) Name() string { return b.gemm.Name() }

// Threads is the parallelism of the element-wise operations.
func (b *Backend) Threads() int { return b.threads }

func mat(t tensor.Tensor) *Matrix {
	m, ok := t.(*Matrix)
	if !ok {
		panic(fmt.Sprintf("cpu backend: foreign tensor %T", t))
	}
	return m
}

// New implements tensor.Backend.
func (b *Backend) New(rows, cols int) tensor.Tensor {
	return &Matrix{rows: rows, cols: cols, data: make([]float32, rows*cols)}
}

// FromHost implements tensor.Backend; it aliases data.
func (b *Backend) FromHost(data []float32, rows, cols int) tensor.Tensor {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("cpu backend: FromHost with %d values for %d×%d", len(data), rows, cols))
	}
	return &Matrix{rows: rows, cols: cols, data: data}
}

// ToHost implements tensor.Backend.
func (b *Backend) ToHost(dst []float32, t tensor.Tensor) {
	m := mat(t)
	if m.parts == nil {
		m.toHost(dst)
		return
	}
	off := 0
	for _, p := range m.parts {
		p.toHost(dst[off:])
		off += p.rows * p.cols
	}
}

// toHost copies a matrix that is not a stack into dst (a bfloat16 weight widened, a
// packed one unpacked).
func (m *Matrix) toHost(dst []float32) {
	switch {
	case m.bf != nil:
		m.bf.unpack(dst)
	case m.packed != nil:
		m.packed.unpack(dst)
	default:
		copy(dst, m.data)
	}
}

// ConcatRows implements tensor.RowConcatenator: the parts are not copied.
func (b *Backend) ConcatRows(parts ...tensor.Tensor) tensor.Tensor {
	out := &Matrix{}
	for i, t := range parts {
		p := mat(t)
		if p.parts != nil || (i > 0 && p.cols != out.cols) {
			panic(fmt.Sprintf("cpu backend: ConcatRows of a %d×%d part onto width %d", p.rows, p.cols, out.cols))
		}
		out.rows, out.cols = out.rows+p.rows, p.cols
		out.parts = append(out.parts, p)
	}
	return out
}

// rowBlockParts computes rows [0, rows) of C = A·Wᵀ (+C) for a weight that may be a
// ConcatRows stack: each part fills its own columns of C.
func (b *Backend) rowBlockParts(rows, k int, a []float32, lda int, w *Matrix, c []float32, ldc int, acc bool, ws *workspace) {
	if w.parts == nil {
		b.kern.rowBlock(rows, w.rows, k, a, lda, w.data, k, c, ldc, acc, ws)
		return
	}
	col := 0
	for _, p := range w.parts {
		b.kern.rowBlock(rows, p.rows, k, a, lda, p.data, k, c[col:], ldc, acc, ws)
		col += p.rows
	}
}

// Free implements tensor.Backend: a scratch tensor's memory goes back to the
// backend for reuse, other memory to the garbage collector.
func (b *Backend) Free(t tensor.Tensor) {
	m := mat(t)
	if m.scratch && m.data != nil {
		b.scratch.put(m.data)
	}
	m.data, m.bf, m.packed = nil, nil, nil
}

// Copy implements tensor.Backend.
func (b *Backend) Copy(dst, src tensor.Tensor) { copy(mat(dst).data, mat(src).data) }

// Embed implements tensor.Backend.
func (b *Backend) Embed(dst, table tensor.Tensor, ids []int32, scale float32) {
	d, t := mat(dst), mat(table)
	c := t.cols
	for i, id := range ids {
		row := d.data[i*c : (i+1)*c]
		src := t.data[int(id)*c : (int(id)+1)*c]
		for j, v := range src {
			row[j] = v * scale
		}
	}
}

// Linear implements tensor.Backend.
func (b *Backend) Linear(dst, x, w, bias tensor.Tensor, accumulate bool) {
	d, xm, wm := mat(dst), mat(x), mat(w)
	m, k, n := xm.rows, xm.cols, wm.rows
	if wm.cols != k || d.rows != m || d.cols != n {
		panic(fmt.Sprintf("cpu backend: Linear %d×%d · (%d×%d)ᵀ into %d×%d", m, k, wm.rows, wm.cols, d.rows, d.cols))
	}
	bv := biasOf(bias, n)
	if b.native != nil {
		b.nativeProduct(m, k, xm.data, wm, d.data, n, accumulate, nil, func(r0, r1 int) { addBias(d.data[r0*n:r1*n], n, bv) })
		return
	}
	b.forRowBlocks(m, func(r0, r1 int, ws *workspace) {
		b.rowBlockParts(r1-r0, k, xm.data[r0*k:], k, wm, d.data[r0*n:], n, accumulate, ws)
		addBias(d.data[r0*n:r1*n], n, bv)
	})
}

// nativeProduct computes C = A·Wᵀ (+C) for all m rows with the native kernels, one
// threaded call per part of a ConcatRows weight, running pre (nil: none) on rows of
// C before their product and post once they are complete (see sgemmNativeHooks).
func (b *Backend) nativeProduct(m, k int, a []float32, w *Matrix, c []float32, ldc int, acc bool, pre, post func(r0, r1 int)) {
	if w.parts == nil {
		b.partProduct(m, k, a, w, c, ldc, acc, pre, post)
		return
	}
	col := 0
	for i, p := range w.parts {
		var first, last func(r0, r1 int)
		if i == 0 {
			first = pre
		}
		if i == len(w.parts)-1 {
			last = post
		}
		b.partProduct(m, k, a, p, c[col:], ldc, acc, first, last)
		col += p.rows
	}
}

// partProduct computes C = A·Wᵀ (+C) for a weight that is not a stack, with pre and
// post as nativeProduct's: in bfloat16 when it is held so, else in float32 (from
// its packed panels when it is held so).
func (b *Backend) partProduct(m, k int, a []float32, w *Matrix, c []float32, ldc int, acc bool, pre, post func(r0, r1 int)) {
	switch {
	case w.bf != nil:
		b.bf16.product(m, a, k, w.bf, c, ldc, acc, b.native.threads, pre, post)
		return
	case w.packed != nil:
		b.native.packedNTHooks(m, k, a, k, w.packed, c, ldc, acc, pre, post)
		return
	}
	b.native.sgemmNTHooks(m, w.rows, k, a, k, w.data, k, c, ldc, acc, pre, post)
}

// biasOf returns bias's values (nil for no bias), checking its width.
func biasOf(bias tensor.Tensor, n int) []float32 {
	if bias == nil {
		return nil
	}
	bv := mat(bias).data
	if len(bv) != n {
		panic(fmt.Sprintf("cpu backend: bias of %d values for %d outputs", len(bv), n))
	}
	return bv
}

// addBias adds bv (nil: nothing) to each n-wide row of c.
func addBias(c []float32, n int, bv []float32) {
	if bv == nil {
		return
	}
	bv = bv[:n]
	for r := 0; r+n <= len(c); r += n {
		row := c[r : r+n]
		for j := addFast(row, bv); j < n; j++ {
			row[j] += bv[j]
		}
	}
}

// LayerNorm implements tensor.Backend (statistics in float64).
func (b *Backend) LayerNorm(dst, x, gamma, beta tensor.Tensor, eps float32) {
	d, xm := mat(dst), mat(x)
	g, be := mat(gamma).data, mat(beta).data
	c := xm.cols
	b.parallelRows(xm.rows, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			layerNormRow(d.data[i*c:(i+1)*c], xm.data[i*c:(i+1)*c], g, be, eps)
		}
	})
}

// GELU implements tensor.Backend.
func (b *Backend) GELU(x tensor.Tensor) {
	xm := mat(x)
	c := xm.cols
	b.parallelRows(xm.rows, func(lo, hi int) {
		geluSlice(xm.data[lo*c : hi*c])
	})
}

// GatedGELU implements tensor.Backend.
func (b *Backend) GatedGELU(dst, x tensor.Tensor) {
	d, xm := mat(dst), mat(x)
	half := d.cols
	if xm.cols != 2*half {
		panic(fmt.Sprintf("cpu backend: GatedGELU %d columns into %d", xm.cols, half))
	}
	b.parallelRows(xm.rows, func(lo, hi int) {
		gatedGELURows(d.data[lo*half:hi*half], xm.data[lo*2*half:hi*2*half], half)
	})
}

// geluSlice applies GELU to each value of x in place.
func geluSlice(x []float32) {
	for i := geluFast(x); i < len(x); i++ {
		x[i] = geluf(x[i])
	}
}

// gatedGELURows writes GELU(src[:, j])·src[:, half+j] into each half-wide row of out.
func gatedGELURows(out, src []float32, half int) {
	for r := 0; r*half < len(out); r++ {
		o, s := out[r*half:(r+1)*half], src[r*2*half:(r+1)*2*half]
		gate, lin := s[:half], s[half:2*half]
		for j := gatedGELUFast(o, gate, lin); j < len(o); j++ {
			o[j] = geluf(gate[j]) * lin[j]
		}
	}
}

// MeanPool implements tensor.Backend (sums in float64).
func (b *Backend) MeanPool(dst, src tensor.Tensor, spans []tensor.Span) {
	d, s := mat(dst), mat(src)
	c := s.cols
	b.parallelRows(len(spans), func(lo, hi int) {
		acc := make([]float64, c)
		for i := lo; i < hi; i++ {
			sp := spans[i]
			clear(acc)
			for r := sp.Start; r < sp.End; r++ {
				for j, v := range s.data[r*c : (r+1)*c] {
					acc[j] += float64(v)
				}
			}
			n := float64(sp.End - sp.Start)
			out := d.data[i*c : (i+1)*c]
			for j := range out {
				out[j] = float32(acc[j] / n) // 0/0 = NaN for an empty span, as torch
			}
		}
	})
}

// parallelRows splits [0, n) into contiguous ranges over the backend's threads.
func (b *Backend) parallelRows(n int, fn func(lo, hi int)) {
	parallelRanges(n, b.threads, fn)
}

func parallelRanges(n, threads int, fn func(lo, hi int)) {
	if threads <= 1 || n <= 1 {
		fn(0, n)
		return
	}
	parts := min(threads, n)
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		lo, hi := p*n/parts, (p+1)*n/parts
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
