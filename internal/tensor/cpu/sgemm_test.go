package cpu

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
	"time"
)

// fma32Exact is a·b+c computed exactly and rounded once to float32.
func fma32Exact(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	third := float32(1.0 / (1 << 23))
	cases := [][3]float32{
		// a·b = 2⁻²⁴ - 2⁻⁷⁰: the float64 sum is a tie that rounding to even would
		// send up; the exact sum is below it.
		{1 + third, (1 - third) / (1 << 24), 1 + third},
		{-(1 + third), (1 - third) / (1 << 24), -(1 + third)},
		{1 + third, (1 - third) / (1 << 24), 1},
		{0, 5, -0}, {3, 0, 2}, {1e30, 1e30, 1}, {-1e-30, 1e-20, 1e-45},
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < 200000; i++ {
		e := func() float32 { return float32(math.Ldexp(r.Float64()*2-1, r.Intn(40)-20)) }
		cases = append(cases, [3]float32{e(), e(), e()})
	}
	for _, c := range cases {
		got, want := fma32(c[0], c[1], c[2]), fma32Exact(c[0], c[1], c[2])
		if math.Float32bits(got) != math.Float32bits(want) && !(got == 0 && want == 0) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", c[0], c[1], c[2], got, want)
		}
	}
}

// naiveGemm is the native product's definition: each element one chain of fused
// multiply-adds in k order from zero, added to C's old value when accumulating.
func naiveGemm(o gemmOperands) {
	for i := 0; i < o.m; i++ {
		for j := 0; j < o.n; j++ {
			var s float32
			for p := 0; p < o.k; p++ {
				bv := o.b[p*o.ldb+j]
				if o.bT {
					bv = o.b[j*o.ldb+p]
				}
				s = fma32(o.a[i*o.lda+p], bv, s)
			}
			if o.acc {
				o.c[i*o.ldc+j] += s
			} else {
				o.c[i*o.ldc+j] = s
			}
		}
	}
}

// withLevel runs fn at each SIMD level this processor has.
func withLevel(t *testing.T, fn func(t *testing.T, level int)) {
	saved := simdLevel
	defer func() { simdLevel = saved }()
	for _, level := range simdLevels() {
		simdLevel = level
		t.Run(simdLevelName(level), func(t *testing.T) { fn(t, level) })
	}
}

func sameSliceBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestSgemmMatchesDefinition: every level's kernels give naiveGemm's bits (so all
// levels agree), for both layouts of B, with and without accumulation, at shapes
// with tails of every tile width and k across the blocking.
func TestSgemmMatchesDefinition(t *testing.T) {
	savedKC, savedNC := gemmKC, gemmNC
	defer func() { gemmKC, gemmNC = savedKC, savedNC }()
	gemmKC, gemmNC = 40, 40 // several k blocks and column chunks at small sizes
	withLevel(t, func(t *testing.T, level int) {
		r := rand.New(rand.NewSource(3))
		for _, s := range [][3]int{{1, 1, 1}, {5, 7, 3}, {12, 32, 40}, {13, 33, 41}, {25, 50, 97}, {7, 17, 80}, {100, 70, 120}, {3, 0, 4}, {4, 5, 0}} {
			m, n, k := s[0], s[1], s[2]
			for _, bT := range []bool{true, false} {
				for _, acc := range []bool{false, true} {
					lda, ldb, ldc := k+3, k+1, n+2
					if !bT {
						ldb = n + 5
					}
					o := gemmOperands{m: m, n: n, k: k, a: randSlice(r, m*lda+1), lda: lda, b: randSlice(r, max(n, k)*ldb+1), ldb: ldb, bT: bT, c: randSlice(r, m*ldc+1), ldc: ldc, acc: acc}
					want := o
					want.c = append([]float32(nil), o.c...)
					naiveGemm(want)
					var bufs gemmBufs
					sgemmNative(level, o, 3, &bufs)
					sameSliceBits(t, "product", o.c, want.c)
				}
			}
		}
	})
}

// TestSgemmRowInvariance is the property the pipeline's promises rest on: a row's
// bits do not depend on how many rows share the call, where the row sits in it, or
// the thread count, for random shapes (k from 1, tails of every tile width).
func TestSgemmRowInvariance(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	savedKC := gemmKC
	defer func() { gemmKC = savedKC }()
	withLevel(t, func(t *testing.T, level int) {
		r := rand.New(rand.NewSource(seed))
		trials := 40
		if level == simdScalar {
			trials = 8
		}
		for trial := 0; trial < trials; trial++ {
			m, n, k := 1+r.Intn(150), 1+r.Intn(100), 1+r.Intn(300)
			gemmKC = []int{k, 256, 1 + r.Intn(64)}[r.Intn(3)]
			a, b := randSlice(r, m*k), randSlice(r, n*k)
			acc := r.Intn(2) == 0
			c0 := randSlice(r, m*n)
			full := append([]float32(nil), c0...)
			var bufs gemmBufs
			sgemmNative(level, gemmOperands{m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, bT: true, c: full, ldc: n, acc: acc}, 1+r.Intn(4), &bufs)
			// Rows [r0, r1) again, behind pad other rows, with another thread count.
			r0 := r.Intn(m)
			r1 := r0 + 1 + r.Intn(m-r0)
			pad := r.Intn(40)
			sub := append(randSlice(r, pad*k), a[r0*k:r1*k]...)
			csub := append(randSlice(r, pad*n), c0[r0*n:r1*n]...)
			sgemmNative(level, gemmOperands{m: pad + r1 - r0, n: n, k: k, a: sub, lda: k, b: b, ldb: k, bT: true, c: csub, ldc: n, acc: acc}, 1+r.Intn(4), &bufs)
			sameSliceBits(t, "rows alone vs in the batch", csub[pad*n:], full[r0*n:r1*n])
		}
	})
}
