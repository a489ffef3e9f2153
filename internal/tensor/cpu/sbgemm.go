package cpu

import (
	"sync"
)

// The bf16 GEMM: C (+)= A·Wᵀ for a float32 A whose rows are rounded to bfloat16 as
// they are packed, and a weight W rounded and packed once at load (bf16Weight),
// with float32 accumulation (VDPBF16PS). It follows the native SGEMM's design and is
// row-invariant by construction: element (i, j) of C is always one chain of dpbf16
// over the pairs of k in order from zero, then (accumulating) added to C's old
// value; a row is rounded to bfloat16 on its own (round to nearest even, the same
// whatever the row's neighbours); the M tail is computed on zero-padded packed rows,
// the N tail on the weight's zero-padded columns, the blocking of k only passes the
// chain through float32 memory, and threads split whole tiles. So a row's bits
// depend on neither the other rows of the call, nor its position, nor the thread
// count.

// The bf16 tile is 12 rows × sbgemmNR columns; blocking (performance only): a task
// packs up to sbgemmMC rows of A (equal blocks, see planRowTasks) and runs them
// against chunks of sbgemmNC columns, sbgemmKC2 pairs of k at a time. Each block of
// the packed weight comes from main memory once per task: 384-row tasks against
// 96-row ones, in one process on the 2-core Zen 4 (GFLOP per CPU-second, 2 threads,
// 2048 rows, three runs, load ~3): 2560·2560ᵀ 198, 179, 191 against 195, 175, 191;
// 2560·10240ᵀ 202, 206, 210 against 192, 194, 202; 10240·2560ᵀ 183, 188, 185
// against 174, 183, 176.
const (
	sbgemmMR  = 12
	sbgemmMC  = 384
	sbgemmNC  = 256
	sbgemmKC2 = 192
)

// sbgemmOperands are one product's inputs: C[m×n] (+)= A[m×k]·Wᵀ.
type sbgemmOperands struct {
	m   int
	a   []float32
	lda int
	w   *bf16Weight
	c   []float32
	ldc int
	acc bool
}

// sbgemmWorker is one goroutine's scratch: its task's packed rows of A and the
// partial tiles of a chunk.
type sbgemmWorker struct {
	ap   []uint32
	part []float32
}

// sbgemmBufs holds the workers' scratch, reused across calls.
type sbgemmBufs struct {
	mu      sync.Mutex // one product at a time
	workers []*sbgemmWorker
}

func (g *sbgemmBufs) worker(i int) *sbgemmWorker {
	for len(g.workers) <= i {
		g.workers = append(g.workers, new(sbgemmWorker))
	}
	return g.workers[i]
}

// sbgemmKernel runs the microkernel (the assembly one with asm, else the Go
// reference) on a full tile.
func sbgemmKernel(asm bool, k2 int, a, b []uint32, src []float32, lds int, dst []float32, ldd int, flags int) {
	if asm {
		sbgemmKernelAsm(k2, a, b, src, lds, dst, ldd, flags)
		return
	}
	sbgemmKernelGo(sbgemmMR, sbgemmNR, k2, a, b, src, lds, dst, ldd, flags)
}

// sbgemm computes the product o on up to threads goroutines, with work on whole
// rows of C as the native SGEMM's hooks (sgemmNativeHooks): pre(r0, r1) (if not nil)
// before anything is computed into rows [r0, r1), post after they are complete, on
// the goroutine that computes them when the tasks hold whole rows.
func sbgemm(asm bool, o sbgemmOperands, threads int, bufs *sbgemmBufs, pre, post func(r0, r1 int)) {
	n := o.w.n
	if o.m <= 0 || n <= 0 {
		return
	}
	bufs.mu.Lock()
	defer bufs.mu.Unlock()
	if o.w.k == 0 { // an empty sum
		emptySum(o.m, n, o.c, o.ldc, o.acc, pre, post)
		return
	}
	panels := (n + sbgemmNR - 1) / sbgemmNR
	plan := planRowTasks(o.m, sbgemmMR, sbgemmMC/sbgemmMR, panels, threads)
	runRowTasks(plan, bufs.worker, pre, post, func(w *sbgemmWorker, t0, t1, q0, q1 int) {
		sbgemmTask(asm, o, w, t0, t1, q0, q1)
	})
}

// sbgemmTask computes row tiles [t0, t1) × column panels [q0, q1) of C.
func sbgemmTask(asm bool, o sbgemmOperands, w *sbgemmWorker, t0, t1, q0, q1 int) {
	const mr, nr, tile = sbgemmMR, sbgemmNR, sbgemmMR * sbgemmNR
	k2, n := o.w.k2, o.w.n
	w.ap = growU32(w.ap, (t1-t0)*k2*mr)
	packABF16(w.ap, o.a, o.lda, o.m, o.w.k, mr, t0, t1)
	ncPanels := sbgemmNC / nr
	w.part = grow(w.part, (t1-t0)*ncPanels*tile)
	edge := gemmOperands{c: o.c, ldc: o.ldc, acc: o.acc}
	for c0 := q0; c0 < q1; c0 += ncPanels {
		c1 := min(c0+ncPanels, q1)
		for p0 := 0; p0 < k2; p0 += sbgemmKC2 {
			kc := min(sbgemmKC2, k2-p0)
			last := p0+kc == k2
			for q := c0; q < c1; q++ {
				b := o.w.panels[(q*k2+p0)*nr:]
				cols := min(nr, n-q*nr)
				for t := t0; t < t1; t++ {
					a := w.ap[((t-t0)*k2+p0)*mr:]
					part := w.part[((t-t0)*ncPanels+q-c0)*tile:]
					flags := 0
					if p0 > 0 {
						flags = gemmLoad
					}
					rows := min(mr, o.m-t*mr)
					if !last {
						sbgemmKernel(asm, kc, a, b, part, nr, part, nr, flags)
						continue
					}
					if rows == mr && cols == nr {
						if o.acc {
							flags |= gemmAdd
						}
						sbgemmKernel(asm, kc, a, b, part, nr, o.c[t*mr*o.ldc+q*nr:], o.ldc, flags)
						continue
					}
					sbgemmKernel(asm, kc, a, b, part, nr, part, nr, flags)
					storeEdge(edge, part, nr, t*mr, q*nr, rows, cols)
				}
			}
		}
	}
}

func growU32(s []uint32, n int) []uint32 {
	if cap(s) < n {
		return make([]uint32, n)
	}
	return s[:n]
}
