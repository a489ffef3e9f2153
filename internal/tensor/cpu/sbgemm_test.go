package cpu

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// randBF16Value draws a float32 that is, by turns, an ordinary value, a tiny one
// whose bfloat16 is denormal, a float32 denormal, a zero of either sign, or large.
func randBF16Value(r *rand.Rand) float32 {
	switch r.Intn(12) {
	case 0:
		return float32(r.NormFloat64()) * 1e-39 // bf16 (and float32) denormal
	case 1:
		return float32(math.Ldexp(r.Float64()+1, -126-r.Intn(3))) // around the smallest normal
	case 2:
		return float32(math.Copysign(0, r.NormFloat64()))
	case 3:
		return float32(r.NormFloat64() * 1e18)
	}
	return float32(r.NormFloat64())
}

func seeded(t *testing.T) *rand.Rand {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewSource(seed))
}

// TestSbgemmKernelAsmMatchesGo: the assembly microkernel and the Go emulation of
// VDPBF16PS give identical bits, on random data with denormal inputs, products that
// underflow, sums that overflow, loaded partial sums and accumulation.
func TestSbgemmKernelAsmMatchesGo(t *testing.T) {
	if !bf16Supported() {
		t.Skip("no AVX512_BF16 on this processor")
	}
	r := seeded(t)
	const mr, nr = sbgemmMR, sbgemmNR
	for trial := 0; trial < 300; trial++ {
		k2 := 1 + r.Intn(40)
		a, b := make([]uint32, k2*mr), make([]uint32, k2*nr)
		for i := range a {
			a[i] = pairBF16(randBF16Value(r), randBF16Value(r))
		}
		for i := range b {
			b[i] = pairBF16(randBF16Value(r), randBF16Value(r))
		}
		lds, ldd := nr+r.Intn(3), nr+r.Intn(3)
		src, old := make([]float32, mr*lds), make([]float32, mr*ldd)
		for i := range src {
			src[i] = randBF16Value(r)
		}
		for i := range old {
			old[i] = randBF16Value(r)
		}
		flags := trial % 4
		got, want := append([]float32(nil), old...), append([]float32(nil), old...)
		sbgemmKernelAsm(k2, a, b, src, lds, got, ldd, flags)
		sbgemmKernelGo(mr, nr, k2, a, b, src, lds, want, ldd, flags)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("trial %d (k2 %d, flags %d): element %d is %g (%#08x) in assembly, %g (%#08x) in Go",
					trial, k2, flags, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

func TestToBF16(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81},
		{float32(math.Inf(-1)), 0xff80},
		{math.MaxFloat32, 0x7f80}, // rounds to infinity, as torch
		{math.Float32frombits(0x00018000), 0x0002},
		{math.Float32frombits(0x7f800001), 0x7fc0}, // signalling NaN made quiet
		{math.Float32frombits(0xffc00000), 0xffc0},
	}
	for _, c := range cases {
		if got := toBF16(c.in); got != c.want {
			t.Errorf("toBF16(%#08x) = %#04x, want %#04x", math.Float32bits(c.in), got, c.want)
		}
	}
}

// naiveSbgemm is the bf16 product's definition from the unpacked operands: each
// element one chain of dpbf16 over k's pairs in order from zero, added to C's old
// value when accumulating.
func naiveSbgemm(m, n, k int, a []float32, lda int, w []float32, c []float32, ldc int, acc bool) {
	pair := func(row []float32, p int) uint32 {
		hi := float32(0)
		if 2*p+1 < k {
			hi = row[2*p+1]
		}
		return pairBF16(row[2*p], hi)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; 2*p < k; p++ {
				s = dpbf16(s, pair(a[i*lda:], p), pair(w[j*k:], p))
			}
			if acc {
				c[i*ldc+j] += s
			} else {
				c[i*ldc+j] = s
			}
		}
	}
}

// TestSbgemmRowInvariance is the property test of the bf16 product: for random
// shapes (m, n, k including 1, odd values and every tail of the 12×32 tile and of
// the k blocking), thread counts and block offsets, every row of C has the bits of
// the definition computed on that row alone, with the assembly kernel (where the
// processor has it) and the Go one.
func TestSbgemmRowInvariance(t *testing.T) {
	r := seeded(t)
	kernels := []bool{false}
	if bf16Supported() {
		kernels = append(kernels, true)
	}
	pick := func(choices ...int) int { return choices[r.Intn(len(choices))] }
	for _, asm := range kernels {
		var bufs sbgemmBufs
		trials := 60
		if !asm {
			trials = 15
		}
		for trial := 0; trial < trials; trial++ {
			m := pick(1, 2, 11, 12, 13, 25, 97, 1+r.Intn(130))
			n := pick(1, 31, 32, 33, 65, 1+r.Intn(300))
			k := pick(1, 2, 3, 383, 384, 385, 1+r.Intn(200))
			threads := 1 + r.Intn(4)
			acc := r.Intn(2) == 1
			a, w := make([]float32, m*k), make([]float32, n*k)
			for i := range a {
				a[i] = float32(r.NormFloat64())
			}
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			bw := newBF16Weight(w, n, k, threads)
			c := make([]float32, m*n)
			for i := range c {
				c[i] = float32(r.NormFloat64())
			}
			old := append([]float32(nil), c...)
			want := append([]float32(nil), c...)
			naiveSbgemm(m, n, k, a, k, w, want, n, acc)
			// The whole batch, then a random block of rows at another offset.
			sbgemm(asm, sbgemmOperands{m: m, a: a, lda: k, w: bw, c: c, ldc: n, acc: acc}, threads, &bufs, nil, nil)
			sameSliceBits(t, "full batch", c, want)
			i0 := r.Intn(m)
			i1 := i0 + 1 + r.Intn(m-i0)
			part := append([]float32(nil), old[i0*n:i1*n]...)
			sbgemm(asm, sbgemmOperands{m: i1 - i0, a: a[i0*k:], lda: k, w: bw, c: part, ldc: n, acc: acc}, 1+r.Intn(4), &bufs, nil, nil)
			sameSliceBits(t, "rows alone", part, want[i0*n:i1*n])
			if t.Failed() {
				t.Fatalf("asm %v, m %d n %d k %d threads %d acc %v rows [%d,%d)", asm, m, n, k, threads, acc, i0, i1)
			}
		}
	}
}

func TestBF16WeightUnpack(t *testing.T) {
	r := seeded(t)
	for _, s := range [][2]int{{1, 1}, {33, 7}, {64, 10}, {5, 301}} {
		n, k := s[0], s[1]
		w := make([]float32, n*k)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		got := make([]float32, n*k)
		newBF16Weight(w, n, k, 3).unpack(got)
		for i := range w {
			if got[i] != fromBF16(toBF16(w[i])) {
				t.Fatalf("%d×%d: value %d unpacks to %g, want %g", n, k, i, got[i], fromBF16(toBF16(w[i])))
			}
		}
	}
}
