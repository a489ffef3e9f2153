package cpu

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// TestFusedMatchesUnfused checks each tensor.Fuser method against the sequence of
// Backend calls it stands for, bit for bit.
func TestFusedMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for name, b := range backends(t) {
		for _, shape := range [][3]int{{1, 8, 6}, {63, 20, 10}, {64, 16, 12}, {130, 24, 40}} {
			m, k, n := shape[0], shape[1], shape[2]
			x, w, bias := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n)
			res, g, be := randSlice(r, m*n), randSlice(r, n), randSlice(r, n)
			host := func(t tensor.Tensor) []float32 {
				out := make([]float32, t.Rows()*t.Cols())
				b.ToHost(out, t)
				return out
			}
			T := func(v []float32, rows, cols int) tensor.Tensor {
				return b.FromHost(slices.Clone(v), rows, cols)
			}
			cases := []struct {
				op             string
				fused, unfused func() []float32
			}{
				{"LinearGELU", func() []float32 {
					d := b.New(m, n)
					b.LinearGELU(d, T(x, m, k), T(w, n, k), T(bias, 1, n))
					return host(d)
				}, func() []float32 {
					d := b.New(m, n)
					b.Linear(d, T(x, m, k), T(w, n, k), T(bias, 1, n), false)
					b.GELU(d)
					return host(d)
				}},
				{"LinearGatedGELU", func() []float32 {
					d := b.New(m, n/2)
					b.LinearGatedGELU(d, T(x, m, k), T(w, n, k))
					return host(d)
				}, func() []float32 {
					p, d := b.New(m, n), b.New(m, n/2)
					b.Linear(p, T(x, m, k), T(w, n, k), nil, false)
					b.GatedGELU(d, p)
					return host(d)
				}},
				{"LinearResidualNorm/separate", func() []float32 {
					d, nm := b.New(m, n), b.New(m, n)
					b.LinearResidualNorm(d, T(x, m, k), T(w, n, k), T(bias, 1, n), T(res, m, n), nm, T(g, 1, n), T(be, 1, n), 1e-5)
					return append(host(d), host(nm)...)
				}, func() []float32 {
					d, nm := T(res, m, n), b.New(m, n)
					b.Linear(d, T(x, m, k), T(w, n, k), T(bias, 1, n), true)
					b.LayerNorm(nm, d, T(g, 1, n), T(be, 1, n), 1e-5)
					return append(host(d), host(nm)...)
				}},
				{"LinearResidualNorm/inplace", func() []float32 {
					d := T(res, m, n)
					b.LinearResidualNorm(d, T(x, m, k), T(w, n, k), T(bias, 1, n), d, d, T(g, 1, n), T(be, 1, n), 1e-12)
					return host(d)
				}, func() []float32 {
					d := T(res, m, n)
					b.Linear(d, T(x, m, k), T(w, n, k), T(bias, 1, n), true)
					b.LayerNorm(d, d, T(g, 1, n), T(be, 1, n), 1e-12)
					return host(d)
				}},
			}
			for _, c := range cases {
				if got, want := c.fused(), c.unfused(); !slices.Equal(got, want) {
					t.Errorf("%s %s %v: fused differs from unfused", name, c.op, shape)
				}
			}
		}
	}
}

// TestRotaryCache checks the cached cosines and sines against direct computation,
// across growth and a change of frequencies.
func TestRotaryCache(t *testing.T) {
	var rc rotaryCache
	for _, c := range []struct {
		inv []float32
		n   int
	}{
		{[]float32{1, 0.1}, 3}, {[]float32{1, 0.1}, 200}, {[]float32{1, 0.1}, 5}, {[]float32{0.5, 0.01, 0.001}, 70},
	} {
		cos, sin := rc.table(c.inv, c.n)
		h := len(c.inv)
		if len(cos) < c.n*h || len(sin) < c.n*h {
			t.Fatalf("%v × %d: tables of %d, %d", c.inv, c.n, len(cos), len(sin))
		}
		for pos := 0; pos < c.n; pos++ {
			for i, f := range c.inv {
				x := make([]float32, 2)
				x[0], x[1] = 1, 0
				rotate(x, cos[pos*h+i:pos*h+i+1], sin[pos*h+i:pos*h+i+1])
				a := float32(pos) * f
				if x[0] != cos32(a) || x[1] != sin32(a) {
					t.Fatalf("%v pos %d: (%g, %g), want (%g, %g)", c.inv, pos, x[0], x[1], cos32(a), sin32(a))
				}
			}
		}
	}
}

func cos32(a float32) float32 { return float32(math.Cos(float64(a))) }
func sin32(a float32) float32 { return float32(math.Sin(float64(a))) }

// TestConcatRows checks Linear and the fused operations on a ConcatRows stack against
// the same weights copied into one matrix, and ToHost of the stack.
func TestConcatRows(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	for name, b := range backends(t) {
		for _, shape := range [][2]int{{5, 12}, {64, 8}, {100, 16}} {
			m, k := shape[0], shape[1]
			rowsOf := []int{6, 4, 6}
			var parts []tensor.Tensor
			var flat []float32
			for _, n := range rowsOf {
				w := randSlice(r, n*k)
				parts = append(parts, b.FromHost(w, n, k))
				flat = append(flat, w...)
			}
			n := len(flat) / k
			stack, whole := b.ConcatRows(parts...), b.FromHost(flat, n, k)
			if stack.Rows() != n || stack.Cols() != k {
				t.Fatalf("stack is %d×%d, want %d×%d", stack.Rows(), stack.Cols(), n, k)
			}
			back := make([]float32, n*k)
			b.ToHost(back, stack)
			if !slices.Equal(back, flat) {
				t.Fatalf("%s: ToHost of the stack differs", name)
			}
			x, bias := b.FromHost(randSlice(r, m*k), m, k), b.FromHost(randSlice(r, n), 1, n)
			for _, op := range []struct {
				name string
				run  func(w tensor.Tensor) []float32
			}{
				{"Linear", func(w tensor.Tensor) []float32 {
					d := b.New(m, n)
					b.Linear(d, x, w, bias, false)
					out := make([]float32, m*n)
					b.ToHost(out, d)
					return out
				}},
				{"LinearGELU", func(w tensor.Tensor) []float32 {
					d := b.New(m, n)
					b.LinearGELU(d, x, w, bias)
					out := make([]float32, m*n)
					b.ToHost(out, d)
					return out
				}},
				{"LinearGatedGELU", func(w tensor.Tensor) []float32 {
					d := b.New(m, n/2)
					b.LinearGatedGELU(d, x, w)
					out := make([]float32, m*n/2)
					b.ToHost(out, d)
					return out
				}},
			} {
				got, want := op.run(stack), op.run(whole)
				w64 := make([]float64, len(want))
				for i, v := range want {
					w64[i] = float64(v)
				}
				assertClose(t, name+" "+op.name+" on a stack", got, w64, 1e-5) // the parts are narrower products: rounding may differ
			}
		}
	}
}

// TestSgemmNTMatchesLinear checks the Gemm entry points against the backend's
// Linear (both must compute each row the same way, whatever the batch).
func TestSgemmNTMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	gemms := map[string]Gemm{"go": &GoGemm{Threads: 2}}
	if lib, err := LoadOpenBLAS(2); err == nil {
		gemms["openblas"] = lib
	}
	for name, g := range gemms {
		b := New(2, g)
		for _, shape := range [][3]int{{1, 4, 3}, {65, 16, 70}, {130, 9, 5}, {3, 0, 2}} {
			m, k, n := shape[0], shape[1], shape[2]
			x, w, base := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, m*n)
			for _, acc := range []bool{false, true} {
				got := slices.Clone(base)
				g.SgemmNT(m, n, k, x, k, w, k, got, n, acc)
				d := b.FromHost(slices.Clone(base), m, n)
				b.Linear(d, b.FromHost(x, m, k), b.FromHost(w, n, k), nil, acc)
				want := make([]float32, m*n)
				b.ToHost(want, d)
				if !slices.Equal(got, want) {
					t.Errorf("%s %v acc=%v: SgemmNT differs from Linear", name, shape, acc)
				}
			}
		}
	}
}
