package cpu

import (
	"math"
	"math/rand"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// backends returns every CPU backend available here (OpenBLAS only when installed
// and row-invariant).
func backends(t *testing.T) map[string]*Backend {
	out := map[string]*Backend{"go-1": New(1, nil), "go-3": New(3, nil)}
	if NativeSupported() {
		out["native-1"], out["native-3"] = New(1, NewNative(1)), New(3, NewNative(3))
	}
	if lib, err := LoadOpenBLAS(2); err != nil {
		t.Logf("OpenBLAS not tested: %v", err)
	} else if err := lib.canary(); err != nil {
		// What Open does with it: the other backends run instead.
		t.Logf("OpenBLAS (%s kernels) not tested: it fails the row-invariance canary: %v", lib.Core(), err)
	} else {
		out["openblas"] = New(2, lib)
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func assertClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(float64(got[i])) != math.IsNaN(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestLinear(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for name, b := range backends(t) {
		for _, shape := range [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 70, 65}, {130, 64, 200}, {5, 0, 4}, {0, 3, 2}} {
			m, k, n := shape[0], shape[1], shape[2]
			x, w, bias, base := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n), randSlice(r, m*n)
			for _, acc := range []bool{false, true} {
				dst := b.FromHost(append([]float32(nil), base...), m, n)
				b.Linear(dst, b.FromHost(x, m, k), b.FromHost(w, n, k), b.FromHost(bias, 1, n), acc)
				want := make([]float64, m*n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						s := float64(bias[j])
						if acc {
							s += float64(base[i*n+j])
						}
						for p := 0; p < k; p++ {
							s += float64(x[i*k+p]) * float64(w[j*k+p])
						}
						want[i*n+j] = s
					}
				}
				got := make([]float32, m*n)
				b.ToHost(got, dst)
				assertClose(t, name+" Linear", got, want, 1e-5)
			}
		}
	}
}

// TestBatchInvariance: a row's result must not depend on the other rows of the batch,
// so packed and one-at-a-time runs (and resumed runs) agree bit for bit.
func TestBatchInvariance(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for name, b := range backends(t) {
		m, k, n := 37, 96, 150
		x, w := randSlice(r, m*k), randSlice(r, n*k)
		full := b.New(m, n)
		b.Linear(full, b.FromHost(x, m, k), b.FromHost(w, n, k), nil, false)
		all := make([]float32, m*n)
		b.ToHost(all, full)
		for _, rows := range [][2]int{{0, 1}, {5, 9}, {36, 37}, {3, 30}} {
			sub := b.New(rows[1]-rows[0], n)
			b.Linear(sub, b.FromHost(x[rows[0]*k:rows[1]*k], rows[1]-rows[0], k), b.FromHost(w, n, k), nil, false)
			got := make([]float32, (rows[1]-rows[0])*n)
			b.ToHost(got, sub)
			for i, v := range got {
				if v != all[rows[0]*n+i] {
					t.Fatalf("%s: rows %v differ from the full batch at %d: %v vs %v", name, rows, i, v, all[rows[0]*n+i])
				}
			}
		}
	}
}

func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for name, b := range backends(t) {
		rows, cols := 9, 24
		x := randSlice(r, rows*cols)
		g, be := randSlice(r, cols), randSlice(r, cols)
		dst := b.New(rows, cols)
		b.LayerNorm(dst, b.FromHost(x, rows, cols), b.FromHost(g, 1, cols), b.FromHost(be, 1, cols), 1e-5)
		want := make([]float64, rows*cols)
		for i := 0; i < rows; i++ {
			var mean, vr float64
			for j := 0; j < cols; j++ {
				mean += float64(x[i*cols+j])
			}
			mean /= float64(cols)
			for j := 0; j < cols; j++ {
				d := float64(x[i*cols+j]) - mean
				vr += d * d
			}
			vr /= float64(cols)
			for j := 0; j < cols; j++ {
				want[i*cols+j] = (float64(x[i*cols+j])-mean)/math.Sqrt(vr+1e-5)*float64(g[j]) + float64(be[j])
			}
		}
		got := make([]float32, rows*cols)
		b.ToHost(got, dst)
		assertClose(t, name+" LayerNorm", got, want, 1e-5)

		gx := append([]float32(nil), x...)
		gt := b.FromHost(gx, rows, cols)
		b.GELU(gt)
		for i, v := range x {
			want[i] = float64(v) * 0.5 * (1 + math.Erf(float64(v)/math.Sqrt2))
		}
		b.ToHost(got, gt)
		assertClose(t, name+" GELU", got, want, 1e-6)

		gg := b.New(rows, cols/2)
		b.GatedGELU(gg, b.FromHost(x, rows, cols))
		half := cols / 2
		wantG := make([]float64, rows*half)
		for i := 0; i < rows; i++ {
			for j := 0; j < half; j++ {
				v := float64(x[i*cols+j])
				wantG[i*half+j] = v * 0.5 * (1 + math.Erf(v/math.Sqrt2)) * float64(x[i*cols+half+j])
			}
		}
		gotG := make([]float32, rows*half)
		b.ToHost(gotG, gg)
		assertClose(t, name+" GatedGELU", gotG, wantG, 1e-6)

		table := randSlice(r, 5*cols)
		emb := b.New(3, cols)
		b.Embed(emb, b.FromHost(table, 5, cols), []int32{4, 0, 4}, 0.88)
		gotE := make([]float32, 3*cols)
		b.ToHost(gotE, emb)
		for i, id := range []int{4, 0, 4} {
			for j := 0; j < cols; j++ {
				if gotE[i*cols+j] != table[id*cols+j]*0.88 {
					t.Fatalf("%s Embed mismatch", name)
				}
			}
		}

		mp := b.New(3, cols)
		b.MeanPool(mp, b.FromHost(x, rows, cols), []tensor.Span{{Start: 0, End: 9}, {Start: 2, End: 3}, {Start: 4, End: 4}})
		gotM := make([]float32, 3*cols)
		b.ToHost(gotM, mp)
		wantM := make([]float64, 3*cols)
		for s, sp := range [][2]int{{0, 9}, {2, 3}, {4, 4}} {
			for j := 0; j < cols; j++ {
				var sum float64
				for i := sp[0]; i < sp[1]; i++ {
					sum += float64(x[i*cols+j])
				}
				wantM[s*cols+j] = sum / float64(sp[1]-sp[0])
			}
		}
		assertClose(t, name+" MeanPool", gotM, wantM, 1e-6)
	}
}

// naiveAttention is the reference: float64, one segment at a time.
func naiveAttention(qkv []float32, seg tensor.Segment, spec tensor.AttentionSpec) []float64 {
	H, hd := spec.Heads, spec.HeadDim
	D := H * hd
	L := seg.Len
	out := make([]float64, L*D)
	for h := 0; h < H; h++ {
		q := make([][]float64, L)
		k := make([][]float64, L)
		for i := 0; i < L; i++ {
			row := qkv[(seg.Start+i)*3*D:]
			q[i] = make([]float64, hd)
			k[i] = make([]float64, hd)
			for c := 0; c < hd; c++ {
				q[i][c] = float64(row[h*hd+c] * spec.Scale)
				k[i][c] = float64(row[D+h*hd+c])
			}
			if spec.RotaryInvFreq != nil {
				for _, x := range [][]float64{q[i], k[i]} {
					half := hd / 2
					y := append([]float64(nil), x...)
					for t := 0; t < half; t++ {
						a := float64(float32(i) * spec.RotaryInvFreq[t])
						x[t] = y[t]*math.Cos(a) - y[t+half]*math.Sin(a)
						x[t+half] = y[t+half]*math.Cos(a) + y[t]*math.Sin(a)
					}
				}
			}
		}
		for i := 0; i < L; i++ {
			s := make([]float64, L)
			mx := math.Inf(-1)
			for j := 0; j < L; j++ {
				for c := 0; c < hd; c++ {
					s[j] += q[i][c] * k[j][c]
				}
				if spec.ALiBiSlopes != nil {
					s[j] -= float64(spec.ALiBiSlopes[h]) * math.Abs(float64(i-j))
				}
				mx = math.Max(mx, s[j])
			}
			var sum float64
			for j := range s {
				s[j] = math.Exp(s[j] - mx)
				sum += s[j]
			}
			for j := 0; j < L; j++ {
				v := qkv[(seg.Start+j)*3*D+2*D+h*hd:]
				for c := 0; c < hd; c++ {
					out[i*D+h*hd+c] += s[j] / sum * float64(v[c])
				}
			}
		}
	}
	return out
}

func TestAttentionPackedEqualsSeparate(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	inv := []float32{1, 0.5625, 0.3164, 0.1778}
	specs := map[string]tensor.AttentionSpec{
		"rotary": {Heads: 3, HeadDim: 8, Scale: float32(1 / math.Sqrt(8)), RotaryInvFreq: inv},
		"alibi":  {Heads: 3, HeadDim: 8, Scale: float32(1 / math.Sqrt(8)), ALiBiSlopes: []float32{0.5, 0.25, 0.70710677}},
	}
	segs := []tensor.Segment{{Start: 0, Len: 5}, {Start: 5, Len: 1}, {Start: 6, Len: 17}, {Start: 23, Len: 2}}
	T := 25
	for name, b := range backends(t) {
		for sname, spec := range specs {
			D := spec.Heads * spec.HeadDim
			qkv := randSlice(r, T*3*D)
			dst := b.New(T, D)
			b.Attention(dst, b.FromHost(qkv, T, 3*D), segs, spec)
			got := make([]float32, T*D)
			b.ToHost(got, dst)
			for _, seg := range segs {
				want := naiveAttention(qkv, seg, spec)
				assertClose(t, name+" "+sname+" attention", got[seg.Start*D:(seg.Start+seg.Len)*D], want, 1e-5)
				// Bitwise equal to running the segment alone.
				alone := b.New(seg.Len, D)
				b.Attention(alone, b.FromHost(qkv[seg.Start*3*D:(seg.Start+seg.Len)*3*D], seg.Len, 3*D), []tensor.Segment{{Start: 0, Len: seg.Len}}, spec)
				solo := make([]float32, seg.Len*D)
				b.ToHost(solo, alone)
				for i, v := range solo {
					if v != got[seg.Start*D+i] {
						t.Fatalf("%s %s: packed differs from alone", name, sname)
					}
				}
			}
		}
	}
}

func TestOpen(t *testing.T) {
	if b, err := Open("go", 2, nil); err != nil || b.Name() != "go" {
		t.Fatalf("go: %v %v", b, err)
	}
	if b, err := Open("auto", 2, nil); err != nil || b == nil {
		t.Fatalf("auto: %v", err)
	}
	if _, err := Open("cuda", 2, nil); err == nil {
		t.Fatal("want an error for an unknown kind")
	}
}
