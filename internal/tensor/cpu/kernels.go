package cpu

import (
	"sync"
	"sync/atomic"
)

// kernels are the single-threaded matrix products the backend schedules itself; the
// backend's goroutines each call them on their own rows.
type kernels interface {
	// rowBlock computes rows [0, rows) of C = A·Bᵀ (C += A·Bᵀ with acc), rows <=
	// invariantRows. Every row's result must be the same whatever rows is, which
	// keeps a sequence's embedding independent of the batch it is packed in.
	rowBlock(rows, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ws *workspace)
	// nt computes C = A·Bᵀ (m×k by n×k) and nn computes C = A·B (m×k by k×n) at
	// exactly the given shape (attention inside one sequence, whose shape depends only
	// on that sequence).
	nt(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bufs *gemmBufs)
	nn(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bufs *gemmBufs)
}

// workspace is one goroutine's scratch memory, reused across calls via wsPool.
type workspace struct {
	pa, pc, prod []float32 // padded A and C of a tail block; a fused epilogue's product
	att          attnScratch
}

var wsPool = sync.Pool{New: func() any { return new(workspace) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// forRowBlocks calls fn for each block of invariantRows rows of [0, m) (the last one
// shorter), handing the blocks out to the backend's goroutines as they finish, each
// with its own workspace.
func (b *Backend) forRowBlocks(m int, fn func(r0, r1 int, ws *workspace)) {
	blocks := (m + invariantRows - 1) / invariantRows
	b.forTasks(blocks, func(blk int, ws *workspace) {
		fn(blk*invariantRows, min((blk+1)*invariantRows, m), ws)
	})
}

// forTasks runs fn(0..n-1) on up to b.threads goroutines, dynamically scheduled
// (the machine may be shared, so static splits would wait for the slowest core).
func (b *Backend) forTasks(n int, fn func(task int, ws *workspace)) {
	workers := min(b.threads, n)
	if workers <= 1 {
		ws := wsPool.Get().(*workspace)
		for t := 0; t < n; t++ {
			fn(t, ws)
		}
		wsPool.Put(ws)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			ws := wsPool.Get().(*workspace)
			defer wsPool.Put(ws)
			for {
				t := int(next.Add(1) - 1)
				if t >= n {
					return
				}
				fn(t, ws)
			}
		}()
	}
	wg.Wait()
}

// rowBlock implements kernels: one OpenBLAS call on exactly invariantRows rows, a
// shorter tail block copied into scratch whose padding rows are left as they are:
// each row of C depends only on the same row of A (and of C), so what the padding
// holds changes nothing but the padding's own results, which are dropped.
func (o *OpenBLAS) rowBlock(rows, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ws *workspace) {
	if rows == 0 || n == 0 {
		return
	}
	if k == 0 { // an empty sum
		if !acc {
			for i := 0; i < rows; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	beta := float32(0)
	if acc {
		beta = 1
	}
	if rows == invariantRows {
		o.sgemm(cblasRowMajor, cblasNoTrans, cblasTrans, invariantRows, int32(n), int32(k), 1,
			&a[0], int32(lda), &b[0], int32(ldb), beta, &c[0], int32(ldc))
		return
	}
	ws.pa, ws.pc = grow(ws.pa, invariantRows*k), grow(ws.pc, invariantRows*n)
	pa, pc := ws.pa, ws.pc
	for i := 0; i < rows; i++ {
		copy(pa[i*k:(i+1)*k], a[i*lda:i*lda+k])
		if acc {
			copy(pc[i*n:(i+1)*n], c[i*ldc:i*ldc+n])
		}
	}
	o.sgemm(cblasRowMajor, cblasNoTrans, cblasTrans, invariantRows, int32(n), int32(k), 1,
		&pa[0], int32(k), &b[0], int32(ldb), beta, &pc[0], int32(n))
	for i := 0; i < rows; i++ {
		copy(c[i*ldc:i*ldc+n], pc[i*n:(i+1)*n])
	}
}

// nt implements kernels.
func (o *OpenBLAS) nt(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, _ *gemmBufs) {
	o.sgemm(cblasRowMajor, cblasNoTrans, cblasTrans, int32(m), int32(n), int32(k), 1,
		&a[0], int32(lda), &b[0], int32(ldb), 0, &c[0], int32(ldc))
}

// nn implements kernels.
func (o *OpenBLAS) nn(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, _ *gemmBufs) {
	o.sgemm(cblasRowMajor, cblasNoTrans, cblasNoTrans, int32(m), int32(n), int32(k), 1,
		&a[0], int32(lda), &b[0], int32(ldb), 0, &c[0], int32(ldc))
}

// rowBlock implements kernels: B in column blocks of blockN rows, each element one
// dot product in k order.
func (g *GoGemm) rowBlock(rows, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ws *workspace) {
	for j0 := 0; j0 < n; j0 += blockN {
		gemmBlock(0, rows, j0, min(j0+blockN, n), k, a, lda, b, ldb, c, ldc, acc)
	}
}

// nt implements kernels.
func (g *GoGemm) nt(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, _ *gemmBufs) {
	gemmBlock(0, m, 0, n, k, a, lda, b, ldb, c, ldc, false)
}

// nn implements kernels: each row of C accumulates the rows of B scaled by A's row,
// in k order.
func (g *GoGemm) nn(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, _ *gemmBufs) {
	for i := 0; i < m; i++ {
		out := c[i*ldc : i*ldc+n]
		clear(out)
		for p, s := range a[i*lda : i*lda+k] {
			row := b[p*ldb : p*ldb+n]
			for j, v := range row {
				out[j] += float32(s * v)
			}
		}
	}
}

// gemmKernels adapts any other Gemm (whose contract already makes rows independent
// of m) to kernels.
type gemmKernels struct{ g Gemm }

func (g gemmKernels) rowBlock(rows, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ws *workspace) {
	g.g.SgemmNT(rows, n, k, a, lda, b, ldb, c, ldc, acc)
}

func (g gemmKernels) nt(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, _ *gemmBufs) {
	g.g.SgemmNT(m, n, k, a, lda, b, ldb, c, ldc, false)
}

func (g gemmKernels) nn(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, _ *gemmBufs) {
	bt := make([]float32, n*k)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			bt[j*k+p] = b[p*ldb+j]
		}
	}
	g.g.SgemmNT(m, n, k, a, lda, bt, k, c, ldc, false)
}
