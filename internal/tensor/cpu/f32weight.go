package cpu

// f32Weight is a Linear weight (n×k, nn.Linear layout) packed once at upload into the
// panels the native fp32 microkernels read (packB's layout at level: panel q holds
// the weight's rows [q·nr, q·nr+nr) as k steps of nr values, rows past n zero), and
// kept only so. Without it every product packed the weight again: 3–5% of a call at
// ESM-2 3B's shapes, and threads that arrived together waited for each other's
// packing (docs/performance.md, "Weights held packed"). The values, their order in
// each product's chains and so the bits are those of the unpacked product.
type f32Weight struct {
	n, k, level, nr int
	panels          []float32
}

// newF32Weight packs the n×k row-major weight w for the kernels of level, on up to
// threads goroutines.
func newF32Weight(w []float32, n, k, level, threads int) *f32Weight {
	_, nr := sgemmTile(level)
	pw := &f32Weight{n: n, k: k, level: level, nr: nr}
	pw.panels = make([]float32, (n+nr-1)/nr*k*nr)
	pw.fill(w, threads)
	return pw
}

// fill packs the n×k row-major values w into the weight's panels, replacing what
// they held (FromHostWeight and RefillWeight check w's length).
func (pw *f32Weight) fill(w []float32, threads int) {
	o := gemmOperands{n: pw.n, k: pw.k, b: w, ldb: pw.k, bT: true}
	parallelRanges((pw.n+pw.nr-1)/pw.nr, threads, func(q0, q1 int) {
		packB(pw.panels, o, pw.nr, q0, q1)
	})
}

// unpack writes the weight back as an n×k row-major matrix into dst.
func (pw *f32Weight) unpack(dst []float32) {
	for i := 0; i < pw.n; i++ {
		q, j := i/pw.nr, i%pw.nr
		panel := pw.panels[q*pw.k*pw.nr:]
		row := dst[i*pw.k : (i+1)*pw.k]
		for p := range row {
			row[p] = panel[p*pw.nr+j]
		}
	}
}

// HeldPacked returns the native kernels with B held packed, as the encoders' Linear
// weights are, for comparisons only: the first call with a B (the same slice, shape
// and stride; the slice is kept, so no other can take its address) packs it, and
// later calls with that B reuse the panels without looking at its values again, so
// B must not change between calls.
func (g *Native) HeldPacked() Gemm { return &nativeHeldPacked{g: g} }

type nativeHeldPacked struct {
	g        *Native
	b        []float32
	n, k, ld int
	w        *f32Weight
}

// Name implements Gemm.
func (h *nativeHeldPacked) Name() string { return "native-held" }

// SgemmNT implements Gemm.
func (h *nativeHeldPacked) SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	if h.w == nil || &h.b[0] != &b[0] || len(h.b) != len(b) || h.n != n || h.k != k || h.ld != ldb {
		rows := make([]float32, n*k)
		for j := 0; j < n; j++ {
			copy(rows[j*k:(j+1)*k], b[j*ldb:j*ldb+k])
		}
		h.b, h.n, h.k, h.ld = b, n, k, ldb
		h.w = newF32Weight(rows, n, k, simdLevel, h.g.threads)
	}
	h.g.packedNTHooks(m, k, a, lda, h.w, c, ldc, accumulate, nil, nil)
}
