package cpu

import (
	"sync"
	"sync/atomic"
)

// The native SGEMM: C = A·Bᵀ (or A·B), A read in place and B from packed panels,
// with the microkernels of sgemm_amd64.s, row-invariant by construction. Element
// (i, j) of C is always one chain of float32 fused multiply-adds over p = 0, 1, ...,
// k-1 starting from zero, then (accumulating) added to C's old value: the M tail is
// computed by the same kernel on copied, zero-padded rows (a row of the tile never
// mixes with another),
// the N tail on zero-padded columns, the blocking of k only passes the chain through
// memory (float32, exact), and threads split whole tiles. So a row's bits depend
// on neither the other rows of the call, nor its position, nor the thread count, nor
// the vector width (AVX2 and AVX-512 kernels agree bit for bit with sgemmKernelGo).

// Microkernel flags.
const (
	gemmLoad = 1 // start from src instead of zero
	gemmAdd  = 2 // add the result to dst's old values
)

// gemmMaxTile bounds mr·nr of every level's tile.
const gemmMaxTile = 12 * 32

// Blocking (performance only; the bits do not depend on it). A task computes up to
// gemmMC rows of C (rowtasks.go makes the blocks equal and their number a multiple
// of the threads): for each chunk of gemmNC columns and each block of gemmKC steps,
// all its tiles against that block of packed B, kc×nc = 512 KB, which stays in the
// second-level cache (1 MB per core on Zen 4) while the tile of A (12×kc, 12 KB)
// stays in the first. Only the first tile of a block reads B from main memory, where
// the microkernel runs at 74 GFLOP/s instead of 113 (in L2) and 110 (in L3) on one
// Zen 4 core; with 96-row tasks that was every eighth tile, with 384 every 32nd.
// Measured in one process under load (GFLOP per CPU-second, 2 threads, 2048 rows,
// k·n = 2560·2560, 2560·10240, 10240·2560): 96-row tasks 84.8 94.6 91.0, 384-row
// tasks 87.1 89.9 96.0, 768 83.3 88.1 95.2 (noise ±5); tasks of 384 rows with the
// prefetching of sgemm_ahead.go 88.4 85.5 88.5 against 96-row tasks 79.7 86.7 85.4 in
// one later run. Against OpenBLAS: docs/performance.md ("Evening: 384-row tasks").
var (
	gemmMC = 384
	gemmNC = 512
	gemmKC = 256
)

// sgemmTile is the microkernel's tile (rows of A × columns of B) at level.
func sgemmTile(level int) (mr, nr int) {
	switch level {
	case simdAVX512:
		return 12, 32
	case simdAVX2:
		return 6, 16
	}
	return 4, 8
}

// sgemmKernel runs level's microkernel on one tile (k >= 1): mr rows of A, lda
// apart, by a packed panel of B.
func sgemmKernel(level, mr, nr, k int, a []float32, lda int, b, src []float32, lds int, dst []float32, ldd int, flags int) {
	if !sgemmKernelAsm(level, k, a, lda, b, src, lds, dst, ldd, flags) {
		sgemmKernelGo(mr, nr, k, a, lda, b, src, lds, dst, ldd, flags)
	}
}

// gemmOperands are one product's inputs: C[m×n] (+)= A[m×k]·op(B), with op(B) = Bᵀ
// for B n×k (bT) or B for B k×n; or, when packed is not nil, op(B) already packed
// (a weight held packed: f32weight.go) and b unused.
type gemmOperands struct {
	m, n, k int
	a       []float32
	lda     int
	b       []float32
	ldb     int
	bT      bool
	c       []float32
	ldc     int
	acc     bool
	packed  []float32
}

// gemmWorker is one goroutine's scratch: the zero-padded rows of A of a tile
// reaching past m and the partial tiles of a chunk.
type gemmWorker struct {
	ap, part []float32
}

// gemmBufs holds a product's packed B and its workers' scratch, reused across calls.
type gemmBufs struct {
	bp      []float32
	workers []*gemmWorker
}

func (g *gemmBufs) worker(i int) *gemmWorker {
	for len(g.workers) <= i {
		g.workers = append(g.workers, new(gemmWorker))
	}
	return g.workers[i]
}

// sgemmNative computes the product o on up to threads goroutines at level.
func sgemmNative(level int, o gemmOperands, threads int, bufs *gemmBufs) {
	sgemmNativeHooks(level, o, threads, bufs, nil, nil)
}

// sgemmNativeHooks is sgemmNative with work on whole rows of C: pre(r0, r1) (if not
// nil) before anything is computed into rows [r0, r1), post after they are
// complete. Both run on the goroutine that computes those rows, while they are in
// cache, when the tasks hold whole rows. B's panels are packed by the first task
// that needs them, so no goroutine waits for a split of the packing.
func sgemmNativeHooks(level int, o gemmOperands, threads int, bufs *gemmBufs, pre, post func(r0, r1 int)) {
	if o.m <= 0 || o.n <= 0 {
		return
	}
	if o.k == 0 { // an empty sum
		emptySum(o.m, o.n, o.c, o.ldc, o.acc, pre, post)
		return
	}
	mr, nr := sgemmTile(level)
	panels := (o.n + nr - 1) / nr
	plan := planRowTasks(o.m, mr, max(gemmMC/mr, 1), panels, threads)
	packs := &packOnce{bp: o.packed} // packed already: nothing to do
	if o.packed == nil {
		bufs.bp = grow(bufs.bp, panels*o.k*nr)
		packs = newPackOnce(o, bufs.bp, nr, panels, plan.workers)
	}
	runRowTasks(plan, bufs.worker, pre, post, func(w *gemmWorker, t0, t1, q0, q1 int) {
		sgemmTask(level, o, w, packs, mr, nr, t0, t1, q0, q1)
	})
}

// packOnce packs B's panels in chunks of gemmNC columns, each when the first task
// needs it: every task that arrives at a chunk still being packed packs some of its
// panels, claimed one at a time, and then waits for the rest, so that tasks that
// start together (row blocks of equal size do) share the packing instead of one
// packing while the others wait.
type packOnce struct {
	o      gemmOperands
	bp     []float32
	nr     int
	panels int
	chunk  int
	chunks []packChunk // nil: everything was packed up front (or before the call)
}

// packChunk is the state of one chunk's packing.
type packChunk struct {
	next atomic.Int64   // panels of the chunk claimed
	left sync.WaitGroup // panels not yet packed
}

// newPackOnce packs everything now on one worker, else prepares lazy chunks.
func newPackOnce(o gemmOperands, bp []float32, nr, panels, workers int) *packOnce {
	p := &packOnce{o: o, bp: bp, nr: nr, panels: panels, chunk: max(gemmNC/nr, 1)}
	if workers <= 1 {
		packB(bp, o, nr, 0, panels)
		return p
	}
	p.chunks = make([]packChunk, (panels+p.chunk-1)/p.chunk)
	for c := range p.chunks {
		p.chunks[c].left.Add(min((c+1)*p.chunk, panels) - c*p.chunk)
	}
	return p
}

// ensure packs (helps pack, or waits for) the chunks holding panels [q0, q1).
func (p *packOnce) ensure(q0, q1 int) {
	if p.chunks == nil {
		return
	}
	for c := q0 / p.chunk; c*p.chunk < q1; c++ {
		ch := &p.chunks[c]
		lo, hi := c*p.chunk, min((c+1)*p.chunk, p.panels)
		for {
			q := lo + int(ch.next.Add(1)-1)
			if q >= hi {
				break
			}
			packB(p.bp, p.o, p.nr, q, q+1)
			ch.left.Done()
		}
		ch.left.Wait()
	}
}

// sgemmTask computes row tiles [t0, t1) × column panels [q0, q1) of C: for each
// chunk of gemmNC columns and each block of gemmKC steps, all the task's tiles
// against the block of B, which stays in the second-level cache; the next tile's
// rows of A and the next call's tile of C are asked for meanwhile (sgemm_ahead.go).
func sgemmTask(level int, o gemmOperands, w *gemmWorker, packs *packOnce, mr, nr, t0, t1, q0, q1 int) {
	bp := packs.bp
	k := o.k
	ncPanels := max(gemmNC/nr, 1)
	tile := mr * nr
	w.part = grow(w.part, (t1-t0)*ncPanels*tile)
	for c0 := q0; c0 < q1; c0 += ncPanels {
		c1 := min(c0+ncPanels, q1)
		packs.ensure(c0, c1)
		for p0 := 0; p0 < k; p0 += gemmKC {
			kc := min(gemmKC, k-p0)
			for t := t0; t < t1; t++ {
				rows := min(mr, o.m-t*mr)
				a, lda := copyTile(w, o, t*mr, rows, mr, p0, kc)
				for q := c0; q < c1; q++ {
					if r := q - c0; r < mr {
						aheadA(o, mr, r, t, t0, t1, p0, kc)
					}
					aheadC(o, w.part, mr, nr, ncPanels, t, q, t0, c0, c1)
					part := w.part[((t-t0)*ncPanels+q-c0)*tile:]
					sgemmStep(level, o, a, lda, bp[(q*k+p0)*nr:], part, mr, nr, t*mr, q*nr, p0, kc, rows)
				}
			}
		}
	}
}

// copyTile returns steps [p0, p0+kc) of rows [i0, i0+rows) of A and their stride:
// in place when the tile is whole and its rows are not a multiple of 2 KB apart,
// else copied into w.ap, mr rows (those past rows zero) a stride apart that no large
// power of two divides (rows a multiple of 4 KB apart share the first-level cache's
// sets).
func copyTile(w *gemmWorker, o gemmOperands, i0, rows, mr, p0, kc int) ([]float32, int) {
	if rows == mr && o.lda%512 != 0 {
		return o.a[i0*o.lda+p0:], o.lda
	}
	lda := kc | 16 // 64 bytes more than a multiple of 128
	if lda == kc {
		lda += 32
	}
	w.ap = grow(w.ap, mr*lda)
	for r := 0; r < mr; r++ {
		dst := w.ap[r*lda : r*lda+kc]
		if r < rows {
			copy(dst, o.a[(i0+r)*o.lda+p0:(i0+r)*o.lda+p0+kc])
		} else {
			clear(dst)
		}
	}
	return w.ap, lda
}

// sgemmStep runs steps [p0, p0+kc) of the tile at row i0, column j0 of C: a holds
// its rows of A from step p0 (lda apart), b its panel of B from step p0. A partial
// chain is kept in C itself when C is overwritten and the tile is whole, else in
// part.
func sgemmStep(level int, o gemmOperands, a []float32, lda int, b, part []float32, mr, nr, i0, j0, p0, kc, rows int) {
	cols := min(nr, o.n-j0)
	flags := 0
	if p0 > 0 {
		flags = gemmLoad
	}
	last := p0+kc == o.k
	if rows == mr && cols == nr && (!o.acc || last) {
		c := o.c[i0*o.ldc+j0:]
		src, lds := c, o.ldc
		if o.acc {
			flags |= gemmAdd
			src, lds = part, nr
		}
		sgemmKernel(level, mr, nr, kc, a, lda, b, src, lds, c, o.ldc, flags)
		return
	}
	sgemmKernel(level, mr, nr, kc, a, lda, b, part, nr, part, nr, flags)
	if last {
		storeEdge(o, part, nr, i0, j0, rows, cols)
	}
}

// storeEdge writes (adds, accumulating) the rows×cols corner of a tile into C at
// (i0, j0).
func storeEdge(o gemmOperands, part []float32, nr, i0, j0, rows, cols int) {
	for r := 0; r < rows; r++ {
		out := o.c[(i0+r)*o.ldc+j0 : (i0+r)*o.ldc+j0+cols]
		src := part[r*nr : r*nr+cols]
		if o.acc {
			for j, v := range src {
				out[j] += v
			}
		} else {
			copy(out, src)
		}
	}
}

// packB writes the columns of op(B) of panels [q0, q1) as k steps of nr values each
// (columns past n zero).
func packB(bp []float32, o gemmOperands, nr, q0, q1 int) {
	k := o.k
	for q := q0; q < q1; q++ {
		dst := bp[q*k*nr : (q+1)*k*nr]
		cols := min(nr, o.n-q*nr)
		if !o.bT {
			for p := 0; p < k; p++ {
				d := dst[p*nr : (p+1)*nr]
				copy(d, o.b[p*o.ldb+q*nr:p*o.ldb+q*nr+cols])
				clear(d[cols:])
			}
			continue
		}
		// Transposed, packBlockStep steps at a time: the block of the panel being
		// written (32 KB at nr = 32) stays in the first-level cache.
		for p0 := 0; p0 < k; p0 += packBlockSteps {
			packTransposed(dst, o.b[q*nr*o.ldb:], o.ldb, nr, cols, p0, min(p0+packBlockSteps, k))
		}
	}
}

// packBlockSteps is how many steps of a transposed panel packB writes at a time.
const packBlockSteps = 256

// packTransposed writes steps [p0, p1) of a panel from the rows of b (ldb apart):
// column j of the panel, step p is b[j*ldb+p], zero for j >= cols.
func packTransposed(dst, b []float32, ldb, nr, cols, p0, p1 int) {
	j := 0
	for ; j+4 <= cols; j += 4 {
		r0 := b[j*ldb+p0 : j*ldb+p1]
		r1 := b[(j+1)*ldb+p0 : (j+1)*ldb+p1]
		r2 := b[(j+2)*ldb+p0 : (j+2)*ldb+p1]
		r3 := b[(j+3)*ldb+p0 : (j+3)*ldb+p1]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		for i := range r0 {
			d := dst[(p0+i)*nr+j : (p0+i)*nr+j+4]
			d[0], d[1], d[2], d[3] = r0[i], r1[i], r2[i], r3[i]
		}
	}
	for ; j < nr; j++ {
		if j >= cols {
			for p := p0; p < p1; p++ {
				dst[p*nr+j] = 0
			}
			continue
		}
		for p, v := range b[j*ldb+p0 : j*ldb+p1] {
			dst[(p0+p)*nr+j] = v
		}
	}
}
