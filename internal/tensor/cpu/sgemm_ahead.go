package cpu

// Prefetching for sgemmTask: while one microkernel call runs, the operands of the
// following calls are asked into the second-level cache, a few lines per call (a
// burst of hundreds of lines would stall on the cache's miss queue). B is not: a
// block of B is reused by every tile of a task (up to gemmMC rows), so only its
// first tile waits for main memory, and asking for the next block cost more than
// it saved (measured on the 2-core Zen 4 under load: 85.5 GFLOP per CPU-second
// without it, 80.7 with it, at 2048×2560·10240ᵀ).

// aheadA asks for row r of the A tile that follows tile t (of tiles [t0, t1)) at
// steps [p0, p0+kc): the next tile, else the first at the next block of steps,
// else the first at step 0 (the next chunk of columns). Called for r = 0..mr-1
// over a tile's first microkernel calls, it has the next tile's rows of A in the
// second-level cache by the time copyTile or the microkernel reads them.
func aheadA(o gemmOperands, mr, r, t, t0, t1, p0, kc int) {
	nt, np := t+1, p0
	if nt == t1 {
		nt, np = t0, p0+kc
		if np >= o.k {
			np = 0
		}
	}
	row := nt*mr + r
	if row >= o.m {
		return
	}
	n := min(gemmKC, o.k-np)
	prefetchL2(&o.a[row*o.lda+np], 0, 1, (n*4+63)/64)
}

// aheadC asks for the tile of C (or of part, ncPanels tiles a row of tiles, where
// the chain is kept there) that the microkernel call after tile t × panel q reads or
// writes: panel q+1 of the same tile, else the chunk's first panel c0 of tile t+1.
func aheadC(o gemmOperands, part []float32, mr, nr, ncPanels, t, q, t0, c0, c1 int) {
	if q++; q == c1 {
		t, q = t+1, c0
	}
	i0, j0 := t*mr, q*nr
	if o.acc || i0+mr > o.m || j0+nr > o.n {
		if p := ((t-t0)*ncPanels + q - c0) * mr * nr; p < len(part) {
			prefetchL2(&part[p], 0, 1, mr*nr/16)
		}
		return
	}
	prefetchL2(&o.c[i0*o.ldc+j0], o.ldc, mr, (nr*4+63)/64)
}
