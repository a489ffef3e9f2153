package cpu

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

// ulps is the distance between got and the float64 value want, in float32 ulps of want.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	ulp := math.Nextafter32(float32(math.Abs(float64(w))), float32(math.Inf(1))) - float32(math.Abs(float64(w)))
	return math.Abs(float64(got)-want) / float64(ulp)
}

// eachFloat32 calls fn on every stride-th float32 in [lo, hi] (both > 0), and on its negation.
func eachFloat32(lo, hi float32, stride uint32, fn func(x float32)) {
	for b := math.Float32bits(lo); b <= math.Float32bits(hi); b += stride {
		x := math.Float32frombits(b)
		fn(x)
		fn(-x)
	}
}

func TestExpf(t *testing.T) {
	worst := 0.0
	eachFloat32(1e-30, 103.9, 97, func(x float32) {
		want := math.Exp(float64(x))
		got := expf(x)
		if want < 1.1754944e-38 { // subnormal results: absolute accuracy
			if d := math.Abs(float64(got) - want); d > 3e-45 {
				t.Fatalf("expf(%g) = %g, want %g", x, got, want)
			}
			return
		}
		if want > math.MaxFloat32 {
			if !math.IsInf(float64(got), 1) {
				t.Fatalf("expf(%g) = %g, want +Inf", x, got)
			}
			return
		}
		worst = max(worst, ulps(got, want))
	})
	t.Logf("expf: worst %.2f ulp", worst)
	if worst > 1.5 {
		t.Errorf("expf: worst error %.2f ulp > 1.5", worst)
	}
	for _, c := range []struct {
		x, want float32
	}{
		{0, 1}, {float32(math.Inf(-1)), 0}, {float32(math.Inf(1)), float32(math.Inf(1))}, {-200, 0}, {89, float32(math.Inf(1))},
	} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Errorf("expf(NaN) = %g", got)
	}
}

func TestErf32(t *testing.T) {
	worstAbs, worstUlp := 0.0, 0.0
	eachFloat32(1e-30, 10, 113, func(x float32) {
		want := math.Erf(float64(x))
		got := erf32(x)
		worstAbs = max(worstAbs, math.Abs(float64(got)-want))
		if math.Abs(want) >= 0.25 || math.Abs(float64(x)) < 1e-3 {
			worstUlp = max(worstUlp, ulps(got, want))
		}
	})
	t.Logf("erf32: worst %.3g abs, %.2f ulp", worstAbs, worstUlp)
	if worstAbs > 7e-8 || worstUlp > 2.5 {
		t.Errorf("erf32: worst error %.3g abs, %.2f ulp", worstAbs, worstUlp)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 0}, {float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), -1}, {4, 1}, {-100, -1},
	} {
		if got := erf32(c.x); got != c.want {
			t.Errorf("erf32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := erf32(float32(math.NaN())); got == got {
		t.Errorf("erf32(NaN) = %g", got)
	}
}

func TestGeluf(t *testing.T) {
	worst := 0.0
	eachFloat32(1e-30, 20, 127, func(x float32) {
		v := float64(x)
		want := v * 0.5 * (1 + math.Erf(v/math.Sqrt2))
		worst = max(worst, math.Abs(float64(geluf(x))-want)/(1+math.Abs(want)))
	})
	t.Logf("geluf: worst %.3g (abs/(1+|y|))", worst)
	if worst > 2e-7 {
		t.Errorf("geluf: worst error %.3g", worst)
	}
}

func BenchmarkMathf(b *testing.B) {
	xs := make([]float32, 4096)
	for i := range xs {
		xs[i] = float32(i-2048) / 512
	}
	var sink float32
	for _, c := range []struct {
		name string
		fn   func(float32) float32
	}{
		{"expf", expf},
		{"expShifted", nil},
		{"math.Exp", func(x float32) float32 { return float32(math.Exp(float64(x))) }},
		{"geluf", geluf},
		{"geluSlice", nil},
		{"gelu64", func(x float32) float32 { return float32(float64(x) * 0.5 * (1 + math.Erf(float64(x)/math.Sqrt2))) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.fn == nil {
				row := make([]float32, len(xs))
				for i := 0; i < b.N; i++ {
					copy(row, xs)
					if c.name == "geluSlice" {
						geluSlice(row)
					} else {
						expShiftedSum(row, 4)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/value")
				return
			}
			for i := 0; i < b.N; i++ {
				for _, x := range xs {
					sink += c.fn(x)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/value")
		})
	}
	_ = sink
}

// TestExpShifted checks the vectorised exp against expf bit for bit, across lengths
// (partial groups of eight) and values that take expf's special cases.
func TestExpShifted(t *testing.T) { forEachSIMDLevel(t, testExpShifted) }

func testExpShifted(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	specials := []float32{float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), -87.5, -88, -104, 88.5, 89, 0, negZero, 1e-30}
	for _, c := range []struct {
		name  string
		n     int
		scale float64
		sp    bool
	}{
		{"short", 5, 3, false}, {"groups", 64, 10, false}, {"ragged", 77, 30, false},
		{"wide", 1000, 60, false}, {"specials", 203, 20, true}, {"lowtail", 45, 40, true},
	} {
		row := make([]float32, c.n)
		for i := range row {
			row[i] = float32(r.NormFloat64() * c.scale)
			if c.sp && r.Intn(10) == 0 {
				row[i] = specials[r.Intn(len(specials))]
			}
		}
		for _, m := range []float32{0, 2.5, -40, float32(math.Inf(1))} {
			got := slices.Clone(row)
			sum := expShiftedSum(got, m)
			var lanes [8]float32
			for i, s := range row {
				want := expf(s - m)
				if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] != got[i] && want != want) {
					t.Fatalf("%s m=%g: exp(%g - m) = %g, expf gives %g", c.name, m, s, got[i], want)
				}
				lanes[i%8] += want
			}
			var wantSum float32
			for _, l := range lanes {
				wantSum += l
			}
			if math.Float32bits(sum) != math.Float32bits(wantSum) && !(sum != sum && wantSum != wantSum) {
				t.Fatalf("%s m=%g: sum %g, want %g", c.name, m, sum, wantSum)
			}
		}
	}
	// The sweep of every 97th float32 in both signs, through the vectorised path.
	var xs []float32
	eachFloat32(1e-30, 90, 97, func(x float32) { xs = append(xs, x) })
	got := slices.Clone(xs)
	expShiftedSum(got, 0)
	for i, x := range xs {
		if math.Float32bits(got[i]) != math.Float32bits(expf(x)) {
			t.Fatalf("exp(%g) = %g, expf gives %g", x, got[i], expf(x))
		}
	}
}

// TestGeluSlice checks the vectorised GELU against geluf bit for bit (NaN: any NaN).
func TestGeluSlice(t *testing.T) { forEachSIMDLevel(t, testGeluSlice) }

func testGeluSlice(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	specials := []float32{float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), 0, negZero, 5.6568, -5.6569, 1e30, -1e30, 1e-40}
	var xs []float32
	eachFloat32(1e-30, 30, 211, func(x float32) { xs = append(xs, x) })
	for i := 0; i < 5000; i++ {
		v := float32(r.NormFloat64() * 3)
		if r.Intn(20) == 0 {
			v = specials[r.Intn(len(specials))]
		}
		xs = append(xs, v)
	}
	for _, n := range []int{len(xs), 7, 13, 100} {
		got := slices.Clone(xs[:n])
		geluSlice(got)
		for i, x := range xs[:n] {
			want := geluf(x)
			if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] != got[i] && want != want) {
				t.Fatalf("n=%d: gelu(%g) = %g, geluf gives %g", n, x, got[i], want)
			}
		}
	}
}

// TestSoftmaxRow checks softmaxRow against the scalar definition (ALiBi bias, max,
// expf, the lane-ordered sum, one reciprocal) bit for bit, and against float64.
func TestSoftmaxRow(t *testing.T) { forEachSIMDLevel(t, testSoftmaxRow) }

func testSoftmaxRow(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, c := range []struct {
		n     int
		alibi bool
	}{{1, false}, {7, true}, {8, false}, {9, true}, {15, false}, {16, true}, {17, false}, {31, true}, {64, false}, {133, true}, {133, false}, {519, true}} {
		row := make([]float32, c.n)
		for j := range row {
			row[j] = float32(r.NormFloat64() * 4)
		}
		i, slope := c.n/3, float32(0.25)
		want := slices.Clone(row)
		if c.alibi {
			for j := range want {
				want[j] += -slope * float32(max(i-j, j-i))
			}
		}
		m := float32(math.Inf(-1))
		for _, s := range want {
			m = max(m, s)
		}
		var lanes [8]float32
		for j, s := range want {
			want[j] = expf(s - m)
			lanes[j%8] += want[j]
		}
		var sum float32
		for _, l := range lanes {
			sum += l
		}
		inv := 1 / sum
		for j := range want {
			want[j] *= inv
		}
		got := slices.Clone(row)
		softmaxRow(got, i, slope, c.alibi)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d alibi=%v: %v, want %v", c.n, c.alibi, got, want)
		}
		var total float64
		for _, v := range got {
			total += float64(v)
		}
		if math.Abs(total-1) > 1e-6 {
			t.Errorf("n=%d: softmax sums to %v", c.n, total)
		}
	}
}

// TestAddBias checks the (vectorised) bias addition against the scalar loop.
func TestAddBias(t *testing.T) { forEachSIMDLevel(t, testAddBias) }

func testAddBias(t *testing.T) {
	r := rand.New(rand.NewSource(10))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 480} {
		c, bias := randSlice(r, 3*n), randSlice(r, n)
		want := slices.Clone(c)
		for i := range want {
			want[i] += bias[i%n]
		}
		addBias(c, n, bias)
		if !slices.Equal(c, want) {
			t.Fatalf("n=%d: %v, want %v", n, c, want)
		}
	}
}

// simdLevelNames names the levels in subtests and benchmarks.
var simdLevelNames = map[int]string{simdScalar: "scalar", simdAVX2: "avx2", simdAVX512: "avx512"}

// forEachSIMDLevel runs fn once per level the processor supports, with simdLevel
// forced to it, so that every path is checked on a machine that has them all.
func forEachSIMDLevel(t *testing.T, fn func(t *testing.T)) {
	saved := simdLevel
	defer func() { simdLevel = saved }()
	for _, l := range simdLevels() {
		simdLevel = l
		t.Run(simdLevelNames[l], fn)
	}
}

// sameBits reports whether got and want are the same float32 (any NaN for a NaN).
func sameBits(got, want float32) bool {
	return math.Float32bits(got) == math.Float32bits(want) || (got != got && want != want)
}

// guarded returns n values inside a larger buffer filled with a sentinel, and a
// check that nothing outside them was written (the masked tails' stores).
func guarded(t *testing.T, n int) ([]float32, func()) {
	const pad, sentinel = 20, float32(-12345.5)
	buf := make([]float32, n+2*pad)
	for i := range buf {
		buf[i] = sentinel
	}
	return buf[pad : pad+n : pad+n], func() {
		t.Helper()
		for i, v := range buf {
			if (i < pad || i >= pad+n) && v != sentinel {
				t.Fatalf("n=%d: wrote %g at offset %d outside the slice", n, v, i-pad)
			}
		}
	}
}

// TestSIMDTails checks every vectorised kernel against its scalar definition bit for
// bit at all lengths up to a few vectors (each partial group of eight or sixteen),
// and that none writes outside its slice.
func TestSIMDTails(t *testing.T) {
	forEachSIMDLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(11))
		specials := []float32{float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), -95, -100, -110, 88.5, 0, negZero, 6}
		vals := func(n int, scale float64) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64() * scale)
				if r.Intn(12) == 0 {
					v[i] = specials[r.Intn(len(specials))]
				}
			}
			return v
		}
		for n := 0; n <= 70; n++ {
			// GELU in place.
			src := vals(n, 3)
			x, check := guarded(t, n)
			copy(x, src)
			geluSlice(x)
			check()
			for i, v := range src {
				if !sameBits(x[i], geluf(v)) {
					t.Fatalf("gelu n=%d i=%d: gelu(%g) = %g, geluf gives %g", n, i, v, x[i], geluf(v))
				}
			}
			// Gated GELU, one row.
			gl := vals(2*n, 3)
			out, check := guarded(t, n)
			gatedGELURows(out, gl, n)
			check()
			for i := range out {
				if want := geluf(gl[i]) * gl[n+i]; !sameBits(out[i], want) {
					t.Fatalf("gated n=%d i=%d: %g, want %g", n, i, out[i], want)
				}
			}
			// exp(x - m) with the lane-ordered sum.
			src = vals(n, 40)
			for _, m := range []float32{0, 3, -50} {
				x, check = guarded(t, n)
				copy(x, src)
				sum := expShiftedSum(x, m)
				check()
				var lanes [8]float32
				for i, v := range src {
					want := expf(v - m)
					if !sameBits(x[i], want) {
						t.Fatalf("exp n=%d m=%g i=%d: exp(%g - m) = %g, expf gives %g", n, m, i, v, x[i], want)
					}
					lanes[i%8] += want
				}
				var wantSum float32
				for _, l := range lanes {
					wantSum += l
				}
				if !sameBits(sum, wantSum) {
					t.Fatalf("exp n=%d m=%g: sum %g, want %g", n, m, sum, wantSum)
				}
			}
			// add, scale, max.
			src, add := vals(n, 5), vals(n, 5)
			x, check = guarded(t, n)
			copy(x, src)
			for j := addFast(x, add); j < n; j++ {
				x[j] += add[j]
			}
			check()
			for i := range x {
				if !sameBits(x[i], src[i]+add[i]) {
					t.Fatalf("add n=%d i=%d: %g, want %g", n, i, x[i], src[i]+add[i])
				}
			}
			src = vals(n, 5)
			for i := range src { // no NaN: max's NaN handling is not defined
				if src[i] != src[i] {
					src[i] = 1
				}
			}
			x, check = guarded(t, n)
			copy(x, src)
			m, j := maxFast(x)
			for _, v := range x[j:] {
				m = max(m, v)
			}
			want := float32(math.Inf(-1))
			for _, v := range src {
				want = max(want, v)
			}
			if m != want {
				t.Fatalf("max n=%d: %g, want %g", n, m, want)
			}
			for j := scaleFast(x, 0.37); j < n; j++ {
				x[j] *= 0.37
			}
			check()
			for i := range x {
				if !sameBits(x[i], src[i]*0.37) {
					t.Fatalf("scale n=%d i=%d: %g, want %g", n, i, x[i], src[i]*0.37)
				}
			}
		}
	})
}

// TestGatedGELU checks gatedGELURows against geluf(gate)·lin bit for bit over many
// rows, a sweep of gate values and specials in both halves.
func TestGatedGELU(t *testing.T) {
	forEachSIMDLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(12))
		specials := []float32{float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), 0, negZero, 5.6568, -5.6569, 1e30, -1e30, 1e-40}
		var gates []float32
		eachFloat32(1e-30, 30, 997, func(x float32) { gates = append(gates, x) })
		for _, half := range []int{3072, 37} {
			rows := (len(gates) + half - 1) / half
			src := make([]float32, rows*2*half)
			for i := 0; i < rows; i++ {
				for j := 0; j < 2*half; j++ {
					v := float32(r.NormFloat64() * 2)
					if r.Intn(50) == 0 {
						v = specials[r.Intn(len(specials))]
					}
					if k := i*half + j; j < half && k < len(gates) {
						v = gates[k]
					}
					src[i*2*half+j] = v
				}
			}
			out := make([]float32, rows*half)
			gatedGELURows(out, src, half)
			for i := 0; i < rows; i++ {
				for j := 0; j < half; j++ {
					g, l := src[i*2*half+j], src[i*2*half+half+j]
					if got, want := out[i*half+j], geluf(g)*l; !sameBits(got, want) {
						t.Fatalf("half=%d row %d col %d: gelu(%g)·%g = %g, want %g", half, i, j, g, l, got, want)
					}
				}
			}
		}
	})
}

// BenchmarkSIMDKernels times each element-wise kernel at each level on rows of
// the encoders' sizes (ESM-2 35M's 1920-wide GELU, DNABERT-S's 3072-wide gated GELU
// and 768-wide bias, a 257-token softmax row), in ns per output value.
func BenchmarkSIMDKernels(b *testing.B) {
	r := rand.New(rand.NewSource(13))
	saved := simdLevel
	defer func() { simdLevel = saved }()
	kernels := []struct {
		name string
		n    int // output values; the input is 2n wide for the gated GELU
		run  func(x, y, out []float32)
	}{
		{"gelu", 1920, func(x, y, out []float32) { copy(out, x); geluSlice(out) }},
		{"gatedGELU", 3072, func(x, y, out []float32) { gatedGELURows(out, x, len(out)) }},
		{"softmax", 257, func(x, y, out []float32) { copy(out, x); softmaxRow(out, 100, 0, false) }},
		{"softmaxALiBi", 257, func(x, y, out []float32) { copy(out, x); softmaxRow(out, 100, 0.5, true) }},
		{"expShifted", 257, func(x, y, out []float32) { copy(out, x); expShiftedSum(out, 4) }},
		{"addBias", 768, func(x, y, out []float32) { copy(out, x); addBias(out, len(out), y) }},
	}
	for _, k := range kernels {
		x, y, out := randSlice(r, 2*k.n), randSlice(r, k.n), make([]float32, k.n)
		for i := range x {
			x[i] *= 3
		}
		for _, l := range simdLevels() {
			b.Run(k.name+"/"+simdLevelNames[l], func(b *testing.B) {
				simdLevel = l
				for i := 0; i < b.N; i++ {
					k.run(x, y, out)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k.n), "ns/value")
			})
		}
	}
}

// softmaxRowUnfused is softmaxRow as it was before the ALiBi bias moved into the max
// pass: a scalar bias loop, then max, exp and scale.
func softmaxRowUnfused(row []float32, i int, slope float32, alibi bool) {
	if alibi {
		for j := range row {
			dist := i - j
			if dist < 0 {
				dist = -dist
			}
			row[j] += float32(-slope * float32(dist))
		}
	}
	maxv, j := maxFast(row)
	for _, s := range row[j:] {
		maxv = max(maxv, s)
	}
	inv := 1 / expShiftedSum(row, maxv)
	for j := scaleFast(row, inv); j < len(row); j++ {
		row[j] *= inv
	}
}

// TestSoftmaxALiBiFused checks the fused bias-and-max kernels against the unfused
// sequence bit for bit on every path, for all lengths up to a few vectors, query
// positions inside and beyond the row, and slopes including 0; the bias kernels
// must write nothing outside the row.
func TestSoftmaxALiBiFused(t *testing.T) {
	forEachSIMDLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(12))
		for n := 1; n <= 70; n++ {
			for _, i := range []int{0, n / 2, n - 1, n + 20, 3000} {
				for _, slope := range []float32{0, 0.5, 0.0078125, 0.37, -0.2} {
					src := make([]float32, n)
					for j := range src {
						src[j] = float32(r.NormFloat64() * 3)
					}
					if n > 3 {
						src[2] = float32(math.Inf(-1))
					}
					want := slices.Clone(src)
					softmaxRowUnfused(want, i, slope, true)
					got, check := guarded(t, n)
					copy(got, src)
					softmaxRow(got, i, slope, true)
					check()
					for j := range got {
						if !sameBits(got[j], want[j]) {
							t.Fatalf("n=%d i=%d slope=%g: [%d] = %g, unfused %g", n, i, slope, j, got[j], want[j])
						}
					}
					// The bias and max alone, before the exp rounds detail away.
					b1, b2 := slices.Clone(src), slices.Clone(src)
					m := alibiMax(b1, i, slope)
					mw := float32(math.Inf(-1))
					for j := range b2 {
						b2[j] += float32(-slope * float32(max(i-j, j-i)))
						mw = max(mw, b2[j])
					}
					if !slices.EqualFunc(b1, b2, sameBits) || m != mw {
						t.Fatalf("n=%d i=%d slope=%g: bias %v max %g, want %v max %g", n, i, slope, b1, m, b2, mw)
					}
				}
			}
		}
	})
}

// negZero is -0 (a -0.0 literal in Go is +0).
var negZero = float32(math.Copysign(0, -1))
