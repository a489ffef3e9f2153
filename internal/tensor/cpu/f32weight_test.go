package cpu

import (
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// TestPackedWeightsChangeNoBits: on the native fp32 kernels a Linear weight uploaded
// with FromHostWeight is held packed (and reported copied), and every product with
// it (Linear plain and accumulating, the fused operations, a ConcatRows stack of
// packed parts) gives the bits of the same product with the weight row-major
// (FromHost), at every kernel level, for shapes with tails of every tile width and
// k across the blocking; ToHost gives the weight back exactly.
func TestPackedWeightsChangeNoBits(t *testing.T) {
	savedKC, savedNC := gemmKC, gemmNC
	defer func() { gemmKC, gemmNC = savedKC, savedNC }()
	gemmKC, gemmNC = 40, 64
	withLevel(t, func(t *testing.T, level int) {
		r := seeded(t)
		for _, s := range [][3]int{{1, 1, 1}, {13, 33, 41}, {29, 77, 45}, {100, 64, 120}, {5, 7, 300}} {
			m, n, k := s[0], s[1], s[2]
			b := New(1+r.Intn(3), NewNative(1+r.Intn(3)))
			xv, wv, bv := randSlice(r, m*k), randSlice(r, 2*n*k), randSlice(r, 2*n)
			x, bias := b.FromHost(xv, m, k), b.FromHost(bv, 1, 2*n)
			w1, copied := b.FromHostWeight(append([]float32(nil), wv[:n*k]...), n, k)
			w2, _ := b.FromHostWeight(append([]float32(nil), wv[n*k:]...), n, k)
			if !copied || mat(w1).packed == nil {
				t.Fatal("a native fp32 backend does not hold its weights packed")
			}
			packed := b.ConcatRows(w1, w2)
			plain := b.FromHost(wv, 2*n, k)
			back := make([]float32, 2*n*k)
			b.ToHost(back, packed)
			sameSliceBits(t, "ToHost", back, wv)
			samePackedProducts(t, b, x, packed, plain, bias, m, n)
			single, _ := b.FromHostWeight(append([]float32(nil), wv...), 2*n, k)
			samePackedProducts(t, b, x, single, plain, bias, m, n)
		}
	})
}

// samePackedProducts checks Linear (plain, accumulating) and the fused operations
// with the weight packed against the same with it row-major.
func samePackedProducts(t *testing.T, b *Backend, x, packed, plain, bias tensor.Tensor, m, n int) {
	t.Helper()
	got, want := b.New(m, 2*n), b.New(m, 2*n)
	b.Linear(got, x, packed, bias, false)
	b.Linear(want, x, plain, bias, false)
	sameSliceBits(t, "Linear", mat(got).data, mat(want).data)
	b.Linear(got, x, packed, bias, true)
	b.Linear(want, x, plain, bias, true)
	sameSliceBits(t, "Linear accumulating", mat(got).data, mat(want).data)
	b.LinearGELU(got, x, packed, bias)
	b.LinearGELU(want, x, plain, bias)
	sameSliceBits(t, "LinearGELU", mat(got).data, mat(want).data)
	gotG, wantG := b.New(m, n), b.New(m, n)
	b.LinearGatedGELU(gotG, x, packed)
	b.LinearGatedGELU(wantG, x, plain)
	sameSliceBits(t, "LinearGatedGELU", mat(gotG).data, mat(wantG).data)
}

// TestRefillWeight: refilling a held weight (fp32 packed, bf16, and row-major with
// another matrix library) with new values gives what a fresh FromHostWeight of them
// gives, in ToHost and in products.
func TestRefillWeight(t *testing.T) {
	r := seeded(t)
	const m, n, k = 17, 45, 77
	backends := map[string]*Backend{"native": New(2, NewNative(2)), "go": New(2, nil)}
	if bf16Supported() {
		backends["bf16"] = bf16TestBackend(2)
	}
	for name, b := range backends {
		x := b.FromHost(randSlice(r, m*k), m, k)
		old, next := randSlice(r, n*k), randSlice(r, n*k)
		held, _ := b.FromHostWeight(old, n, k)
		b.RefillWeight(held, next)
		fresh, _ := b.FromHostWeight(append([]float32(nil), next...), n, k)
		got, want := make([]float32, n*k), make([]float32, n*k)
		b.ToHost(got, held)
		b.ToHost(want, fresh)
		sameSliceBits(t, name+" ToHost", got, want)
		dg, dw := b.New(m, n), b.New(m, n)
		b.Linear(dg, x, held, nil, false)
		b.Linear(dw, x, fresh, nil, false)
		sameSliceBits(t, name+" Linear", mat(dg).data, mat(dw).data)
	}
}
