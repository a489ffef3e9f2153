package cpu

import (
	"sync"
	"sync/atomic"
)

// rowTasks is how one product's work is shared between threads, the same for the
// fp32 (sgemm.go) and the bf16 (sbgemm.go) kernels: blocks of mcTiles row tiles of
// mr rows, and, when there are too few blocks to keep every thread busy, the column
// panels split as well. Each kernel sums K in one fixed order, so no row's bits
// depend on this split.
type rowTasks struct {
	m, mr, tilesM, mcTiles, panels  int
	splitN, tasks, workers, threads int
}

// splitRows: below 4·threads·splitRows rows, a product's tasks split the columns
// as well as the rows.
const splitRows = 96

// planRowTasks splits m rows (tiles of mr, blocks of at most mcTiles tiles) ×
// panels column panels for threads threads. The row blocks are as equal as whole
// tiles allow and their number a multiple of threads, so that no thread is left
// with a short last block.
func planRowTasks(m, mr, mcTiles, panels, threads int) rowTasks {
	tilesM := (m + mr - 1) / mr
	blocksM := (tilesM + mcTiles - 1) / mcTiles
	// Few rows (under four blocks of splitRows per thread): split the columns too,
	// so every thread has work.
	splitN := 1
	if m < 4*threads*splitRows {
		splitN = min(threads, panels)
	} else {
		blocksM = (blocksM + threads - 1) / threads * threads
		mcTiles = (tilesM + blocksM - 1) / blocksM
		blocksM = (tilesM + mcTiles - 1) / mcTiles
	}
	tasks := blocksM * splitN
	return rowTasks{m: m, mr: mr, tilesM: tilesM, mcTiles: mcTiles, panels: panels,
		splitN: splitN, tasks: tasks, workers: min(threads, tasks), threads: threads}
}

// runRowTasks runs every task of p: task(w, t0, t1, q0, q1) computes row tiles
// [t0, t1) × column panels [q0, q1) with worker w's buffers. pre(r0, r1) (if not
// nil) runs before anything is computed into rows [r0, r1), post after they are
// complete; both on the goroutine that computes those rows, while they are in
// cache, when the tasks hold whole rows, else over all rows before and after. The
// caller is worker 0: on a busy machine a new goroutine may wait for a thread, and
// the tasks go to whoever is running. workerOf is called on the caller's goroutine
// only.
func runRowTasks[W any](p rowTasks, workerOf func(i int) W, pre, post func(r0, r1 int), task func(w W, t0, t1, q0, q1 int)) {
	whole := p.splitN == 1
	if !whole && pre != nil {
		parallelRanges(p.m, p.threads, pre)
	}
	var next atomic.Int64
	run := func(w W) {
		for {
			t := int(next.Add(1) - 1)
			if t >= p.tasks {
				return
			}
			bm, bn := t/p.splitN, t%p.splitN
			t0 := bm * p.mcTiles
			t1 := min(t0+p.mcTiles, p.tilesM)
			r0, r1 := t0*p.mr, min(t1*p.mr, p.m)
			if whole && pre != nil {
				pre(r0, r1)
			}
			task(w, t0, t1, bn*p.panels/p.splitN, (bn+1)*p.panels/p.splitN)
			if whole && post != nil {
				post(r0, r1)
			}
		}
	}
	var wg sync.WaitGroup
	for i := 1; i < p.workers; i++ {
		w := workerOf(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(workerOf(0))
	wg.Wait()
	if !whole && post != nil {
		parallelRanges(p.m, p.threads, post)
	}
}

// emptySum is a product with K = 0: rows [0, m) of C (n columns, stride ldc) are
// zero, or unchanged when accumulating; the hooks run on all rows.
func emptySum(m, n int, c []float32, ldc int, acc bool, pre, post func(r0, r1 int)) {
	if pre != nil {
		pre(0, m)
	}
	if !acc {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	if post != nil {
		post(0, m)
	}
}

// storeTile writes the mr × nr tile t into dst (stride ldd), added to what is there
// when flags has gemmAdd: the Go reference kernels' last step.
func storeTile(dst []float32, ldd int, t []float32, mr, nr, flags int) {
	for r := 0; r < mr; r++ {
		out := dst[r*ldd : r*ldd+nr]
		if flags&gemmAdd != 0 {
			for j := range out {
				out[j] += t[r*nr+j]
			}
		} else {
			copy(out, t[r*nr:(r+1)*nr])
		}
	}
}
