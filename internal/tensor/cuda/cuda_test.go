package cuda

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

var (
	backendsMu sync.Mutex
	backends   = map[Precision]*Backend{}
)

// openOrSkip returns a shared backend on cuda:0 in precision p, skipping the
// test when CUDA is not usable here.
func openOrSkip(t testing.TB, p Precision) *Backend {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("CUDA not usable: %v", err)
	}
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b := backends[p]; b != nil {
		return b
	}
	b, err := Open(0, p.String())
	if err != nil {
		t.Fatalf("Open(0, %s): %v", p, err)
	}
	backends[p] = b
	return b
}

// tol is the accepted error for a precision: max |out-ref| / max(1, |ref|) for
// fp32, and ‖out-ref‖/‖ref‖ for the 16-bit types.
func tol(p Precision) float64 {
	switch p {
	case FP16:
		return 3e-3
	case BF16:
		return 2e-2
	}
	return 1e-5
}

var precisions = []Precision{FP32, FP16, BF16}

func randn(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// compare checks got against ref with the precision's tolerance.
func compare(t *testing.T, p Precision, what string, got []float32, ref []float64) {
	t.Helper()
	if len(got) != len(ref) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(ref))
	}
	var num, den, worst float64
	worstAt := -1
	for i, r := range ref {
		g := float64(got[i])
		if math.IsNaN(r) {
			if !math.IsNaN(g) {
				t.Fatalf("%s[%d] = %v, want NaN", what, i, g)
			}
			continue
		}
		if math.IsNaN(g) || math.IsInf(g, 0) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, g, r)
		}
		d := math.Abs(g - r)
		num += d * d
		den += r * r
		if e := d / math.Max(1, math.Abs(r)); e > worst {
			worst, worstAt = e, i
		}
	}
	if p == FP32 {
		if worst > tol(p) {
			t.Errorf("%s: max scaled error %.3g at %d (got %v, want %v) > %g", what, worst, worstAt, got[worstAt], ref[worstAt], tol(p))
		}
		return
	}
	if rel := math.Sqrt(num / math.Max(den, 1e-30)); rel > tol(p) {
		t.Errorf("%s: relative error %.3g > %g (worst element %d: got %v, want %v)", what, rel, tol(p), worstAt, got[worstAt], ref[worstAt])
	}
}

// download reads t back.
func download(b *Backend, t tensor.Tensor) []float32 {
	out := make([]float32, t.Rows()*t.Cols())
	b.ToHost(out, t)
	return out
}

// rounded returns v as the backend stores it (so references see the same inputs).
func rounded(p Precision, v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		switch p {
		case FP16:
			x = halfToFloat32(float32ToHalf(x))
		case BF16:
			x = bf16ToFloat32(float32ToBF16(x))
		}
		out[i] = float64(x)
	}
	return out
}

func mustOK(t *testing.T, b *Backend) {
	t.Helper()
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
}

// TestDevices: every visible device is listed once, numbered in order, with a name,
// memory, a compute capability, SMs, a PCI bus id and the driver's CUDA version; the
// libraries load exactly when a backend can be opened.
func TestDevices(t *testing.T) {
	devs, err := Devices()
	if err != nil {
		t.Skipf("no CUDA: %v", err)
	}
	if len(devs) == 0 {
		t.Fatal("Devices succeeded with no device")
	}
	bus := map[string]bool{}
	for i, d := range devs {
		t.Logf("cuda:%d %s, %.1f GiB, sm_%d%d, %d SMs, CUDA %s, %s", d.Ordinal, d.Name, float64(d.TotalMemory)/(1<<30), d.Major, d.Minor, d.Multiprocessors, d.Driver, d.PCIBusID)
		switch {
		case d.Ordinal != i:
			t.Errorf("device %d has ordinal %d", i, d.Ordinal)
		case d.Name == "" || d.Driver == "" || d.PCIBusID == "":
			t.Errorf("cuda:%d: name %q, driver %q, PCI bus %q", i, d.Name, d.Driver, d.PCIBusID)
		case d.TotalMemory < 1<<30 || d.Major < 1 || d.Multiprocessors < 1:
			t.Errorf("cuda:%d: %d bytes, compute %d.%d, %d SMs", i, d.TotalMemory, d.Major, d.Minor, d.Multiprocessors)
		case bus[d.PCIBusID]:
			t.Errorf("cuda:%d: PCI bus %s listed twice", i, d.PCIBusID)
		}
		bus[d.PCIBusID] = true
	}
	drv, lt, rtc, err := Libraries()
	t.Logf("driver %s\ncublasLt %s\nnvrtc %s\nerr %v", drv, lt, rtc, err)
	if (err == nil) != (Available() == nil) {
		t.Errorf("Libraries: %v but Available: %v", err, Available())
	}
	if err == nil && (drv == "" || lt == "" || rtc == "") {
		t.Errorf("libraries loaded without paths: %q %q %q", drv, lt, rtc)
	}
	ords, err := Ordinals("cuda")
	if err != nil || len(ords) != len(devs) {
		t.Errorf("Ordinals(cuda) = %v, %v; want all %d devices", ords, err, len(devs))
	}
}

// TestClaim: the CUDA driver claims only its own --device forms and refuses malformed
// and missing devices (without needing a GPU for the malformed ones).
func TestClaim(t *testing.T) {
	for _, spec := range []string{"cpu", "tpu", "metal:0"} {
		if ids, err := claim(spec); ids != nil || err != nil {
			t.Errorf("claim(%q) = %v, %v; want it left to other drivers", spec, ids, err)
		}
	}
	for _, spec := range []string{"cuda:x", "cuda:-1", "cuda:0,y"} {
		if _, err := claim(spec); err == nil || !strings.Contains(err.Error(), "not a device number") {
			t.Errorf("claim(%q): %v, want a malformed-device error", spec, err)
		}
	}
	if ids, err := claim("auto"); err != nil || (len(ids) > 0) != (Available() == nil) {
		t.Errorf("claim(auto) = %v, %v with Available() = %v", ids, err, Available())
	}
}

func TestRoundTripAndNew(t *testing.T) {
	for _, p := range precisions {
		t.Run(p.String(), func(t *testing.T) {
			b := openOrSkip(t, p)
			r := rand.New(rand.NewPCG(1, 2))
			v := randn(r, 37*11, 1)
			x := b.FromHost(v, 37, 11)
			compare(t, p, "roundtrip", download(b, x), rounded(p, v))
			z := b.New(5, 7)
			for i, g := range download(b, z) {
				if g != 0 {
					t.Fatalf("New: element %d = %v", i, g)
				}
			}
			c := b.New(37, 11)
			b.Copy(c, x)
			compare(t, p, "copy", download(b, c), rounded(p, v))
			b.Free(c)
			b.Free(z)
			b.Free(x)
			mustOK(t, b)
		})
	}
}

func refLinear(x, w, bias, dst0 []float64, m, n, k int, accumulate bool) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for l := 0; l < k; l++ {
				s += x[i*k+l] * w[j*k+l]
			}
			if bias != nil {
				s += bias[j]
			}
			if accumulate {
				s += dst0[i*n+j]
			}
			out[i*n+j] = s
		}
	}
	return out
}

func TestLinear(t *testing.T) {
	shapes := []struct{ m, n, k int }{{1, 1, 1}, {7, 13, 5}, {33, 64, 96}, {130, 384, 128}, {257, 96, 768}}
	for _, p := range precisions {
		for _, s := range shapes {
			for _, withBias := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					name := fmt.Sprintf("%s/%dx%dx%d/bias=%v/acc=%v", p, s.m, s.n, s.k, withBias, acc)
					t.Run(name, func(t *testing.T) {
						b := openOrSkip(t, p)
						r := rand.New(rand.NewPCG(uint64(s.m), uint64(s.n*s.k)))
						sc := 1 / math.Sqrt(float64(s.k))
						xv, wv, d0 := randn(r, s.m*s.k, 1), randn(r, s.n*s.k, sc), randn(r, s.m*s.n, 1)
						x, w, dst := b.FromHost(xv, s.m, s.k), b.FromHost(wv, s.n, s.k), b.FromHost(d0, s.m, s.n)
						var bias tensor.Tensor
						var bref []float64
						if withBias {
							bv := randn(r, s.n, 1)
							bias = b.FromHost(bv, 1, s.n)
							bref = rounded(p, bv)
						}
						b.Linear(dst, x, w, bias, acc)
						got := download(b, dst)
						mustOK(t, b)
						compare(t, p, "linear", got, refLinear(rounded(p, xv), rounded(p, wv), bref, rounded(p, d0), s.m, s.n, s.k, acc))
						for _, tt := range []tensor.Tensor{x, w, dst, bias} {
							if tt != nil {
								b.Free(tt)
							}
						}
					})
				}
			}
		}
	}
}

func TestLayerNormGELU(t *testing.T) {
	for _, p := range precisions {
		for _, cols := range []int{5, 96, 2560} {
			t.Run(fmt.Sprintf("%s/%d", p, cols), func(t *testing.T) {
				b := openOrSkip(t, p)
				r := rand.New(rand.NewPCG(3, uint64(cols)))
				rows := 17
				xv := randn(r, rows*cols, 2)
				for i := range xv {
					xv[i] += 3 // a mean far from 0 checks the two-pass variance
				}
				gv, bv := randn(r, cols, 1), randn(r, cols, 1)
				x, g, be := b.FromHost(xv, rows, cols), b.FromHost(gv, 1, cols), b.FromHost(bv, 1, cols)
				const eps = 1e-5
				xr, gr, br := rounded(p, xv), rounded(p, gv), rounded(p, bv)
				ref := make([]float64, rows*cols)
				for i := 0; i < rows; i++ {
					row := xr[i*cols : (i+1)*cols]
					mean, v := 0.0, 0.0
					for _, a := range row {
						mean += a
					}
					mean /= float64(cols)
					for _, a := range row {
						v += (a - mean) * (a - mean)
					}
					v /= float64(cols)
					for j, a := range row {
						ref[i*cols+j] = (a-mean)/math.Sqrt(v+eps)*gr[j] + br[j]
					}
				}
				dst := b.New(rows, cols)
				b.LayerNorm(dst, x, g, be, eps)
				compare(t, p, "layernorm", download(b, dst), ref)
				b.LayerNorm(x, x, g, be, eps) // in place
				compare(t, p, "layernorm in place", download(b, x), ref)

				gelu := func(a float64) float64 { return 0.5 * a * (1 + math.Erf(a/math.Sqrt2)) }
				yv := randn(r, rows*cols, 3)
				y := b.FromHost(yv, rows, cols)
				b.GELU(y)
				yr := rounded(p, yv)
				gref := make([]float64, len(yr))
				for i, a := range yr {
					gref[i] = gelu(a)
				}
				compare(t, p, "gelu", download(b, y), gref)

				zv := randn(r, rows*2*cols, 2)
				z := b.FromHost(zv, rows, 2*cols)
				gd := b.New(rows, cols)
				b.GatedGELU(gd, z)
				zr := rounded(p, zv)
				ggref := make([]float64, rows*cols)
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						ggref[i*cols+j] = gelu(zr[i*2*cols+j]) * zr[i*2*cols+cols+j]
					}
				}
				compare(t, p, "gatedgelu", download(b, gd), ggref)
				mustOK(t, b)
				for _, tt := range []tensor.Tensor{x, g, be, dst, y, z, gd} {
					b.Free(tt)
				}
			})
		}
	}
}

func TestEmbedMeanPool(t *testing.T) {
	for _, p := range precisions {
		t.Run(p.String(), func(t *testing.T) {
			b := openOrSkip(t, p)
			r := rand.New(rand.NewPCG(5, 6))
			vocab, cols := 33, 300
			tv := randn(r, vocab*cols, 1)
			table := b.FromHost(tv, vocab, cols)
			ids := []int32{0, 5, 32, 5, 1, 7, 7, 20, 3}
			dst := b.New(len(ids), cols)
			b.Embed(dst, table, ids, 0.88)
			tr := rounded(p, tv)
			ref := make([]float64, len(ids)*cols)
			for i, id := range ids {
				for c := 0; c < cols; c++ {
					ref[i*cols+c] = tr[int(id)*cols+c] * float64(float32(0.88))
				}
			}
			compare(t, p, "embed", download(b, dst), ref)

			rows := 1100
			sv := randn(r, rows*cols, 1)
			src := b.FromHost(sv, rows, cols)
			spans := []tensor.Span{{Start: 0, End: 1}, {Start: 1, End: 1}, {Start: 3, End: 9}, {Start: 0, End: rows}, {Start: 100, End: 1024}}
			pooled := b.New(len(spans), cols)
			b.MeanPool(pooled, src, spans)
			sr := rounded(p, sv)
			pref := make([]float64, len(spans)*cols)
			for i, s := range spans {
				for c := 0; c < cols; c++ {
					if s.End == s.Start {
						pref[i*cols+c] = math.NaN()
						continue
					}
					acc := 0.0
					for j := s.Start; j < s.End; j++ {
						acc += sr[j*cols+c]
					}
					pref[i*cols+c] = acc / float64(s.End-s.Start)
				}
			}
			compare(t, p, "meanpool", download(b, pooled), pref)
			mustOK(t, b)
			for _, tt := range []tensor.Tensor{table, dst, src, pooled} {
				b.Free(tt)
			}
		})
	}
}

// refAttention is the float64 reference of tensor.Backend.Attention.
func refAttention(qkv []float64, T int, segs []tensor.Segment, spec tensor.AttentionSpec) []float64 {
	H, hd := spec.Heads, spec.HeadDim
	D := H * hd
	out := make([]float64, T*D)
	rot := func(v []float64, pos int) []float64 {
		if spec.RotaryInvFreq == nil {
			return v
		}
		half := hd / 2
		o := make([]float64, hd)
		for i := 0; i < half; i++ {
			a := float64(float32(pos) * spec.RotaryInvFreq[i])
			c, s := math.Cos(a), math.Sin(a)
			o[i] = v[i]*c - v[i+half]*s
			o[i+half] = v[i+half]*c + v[i]*s
		}
		return o
	}
	for _, sg := range segs {
		for h := 0; h < H; h++ {
			ks := make([][]float64, sg.Len)
			for j := 0; j < sg.Len; j++ {
				row := (sg.Start + j) * 3 * D
				ks[j] = rot(qkv[row+D+h*hd:row+D+(h+1)*hd], j)
			}
			for i := 0; i < sg.Len; i++ {
				row := (sg.Start + i) * 3 * D
				q := make([]float64, hd)
				for d := range q {
					q[d] = qkv[row+h*hd+d] * float64(spec.Scale)
				}
				q = rot(q, i)
				sc := make([]float64, sg.Len)
				mx := math.Inf(-1)
				for j := range sc {
					s := 0.0
					for d := 0; d < hd; d++ {
						s += q[d] * ks[j][d]
					}
					if spec.ALiBiSlopes != nil {
						s -= float64(spec.ALiBiSlopes[h]) * math.Abs(float64(i-j))
					}
					sc[j] = s
					mx = math.Max(mx, s)
				}
				sum := 0.0
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					sum += sc[j]
				}
				for d := 0; d < hd; d++ {
					acc := 0.0
					for j := range sc {
						acc += sc[j] * qkv[(sg.Start+j)*3*D+2*D+h*hd+d]
					}
					out[(sg.Start+i)*D+h*hd+d] = acc / sum
				}
			}
		}
	}
	return out
}

func TestAttention(t *testing.T) {
	invFreq := func(hd int) []float32 {
		f := make([]float32, hd/2)
		for i := range f {
			f[i] = float32(1 / math.Pow(10000, float64(2*i)/float64(hd)))
		}
		return f
	}
	slopes := func(h int) []float32 {
		s := make([]float32, h)
		for i := range s {
			s[i] = float32(math.Pow(0.5, float64(i+1)/2))
		}
		return s
	}
	cases := []struct {
		name   string
		heads  int
		hd     int
		rotary bool
		alibi  bool
		lens   []int
	}{
		{"esm-tiny-rotary", 4, 32, true, false, []int{1, 5, 70, 33, 130}},
		{"esm3b-rotary", 3, 64, true, false, []int{168, 31, 2}},
		{"dnabert-alibi", 12, 8, false, true, []int{40, 1, 97}},
		{"plain-hd128", 2, 128, false, false, []int{65, 7}},
		{"alibi-rotary-hd20", 2, 20, true, true, []int{50, 3}},
	}
	for _, p := range precisions {
		for _, c := range cases {
			t.Run(p.String()+"/"+c.name, func(t *testing.T) {
				b := openOrSkip(t, p)
				r := rand.New(rand.NewPCG(7, uint64(c.hd)))
				var segs []tensor.Segment
				T := 0
				for _, l := range c.lens {
					segs = append(segs, tensor.Segment{Start: T, Len: l})
					T += l
				}
				D := c.heads * c.hd
				spec := tensor.AttentionSpec{Heads: c.heads, HeadDim: c.hd, Scale: float32(1 / math.Sqrt(float64(c.hd)))}
				if c.rotary {
					spec.RotaryInvFreq = invFreq(c.hd)
				}
				if c.alibi {
					spec.ALiBiSlopes = slopes(c.heads)
				}
				qv := randn(r, T*3*D, 1.5)
				qkv := b.FromHost(qv, T, 3*D)
				dst := b.New(T, D)
				b.Attention(dst, qkv, segs, spec)
				packed := download(b, dst)
				mustOK(t, b)
				compare(t, p, "attention", packed, refAttention(rounded(p, qv), T, segs, spec))
				// Packed == each segment alone.
				for _, s := range segs {
					one := b.FromHost(qv[s.Start*3*D:(s.Start+s.Len)*3*D], s.Len, 3*D)
					od := b.New(s.Len, D)
					b.Attention(od, one, []tensor.Segment{{Start: 0, Len: s.Len}}, spec)
					alone := download(b, od)
					for i, v := range alone {
						if v != packed[s.Start*D+i] {
							t.Fatalf("segment at %d: element %d alone %v, packed %v", s.Start, i, v, packed[s.Start*D+i])
						}
					}
					b.Free(one)
					b.Free(od)
				}
				mustOK(t, b)
				b.Free(qkv)
				b.Free(dst)
			})
		}
	}
}

func TestCheckFiniteAndErrors(t *testing.T) {
	b := openOrSkip(t, FP32)
	x := b.FromHost([]float32{1, 2, 3, 4}, 2, 2)
	if err := b.CheckFinite(x); err != nil {
		t.Fatalf("finite tensor: %v", err)
	}
	y := b.FromHost([]float32{1, float32(math.NaN()), 3, 4}, 2, 2)
	if err := b.CheckFinite(y); !errors.Is(err, tensor.ErrNonFinite) {
		t.Fatalf("NaN tensor: got %v, want ErrNonFinite", err)
	}
	if err := tensor.CheckFinite(b, y); !errors.Is(err, tensor.ErrNonFinite) {
		t.Fatalf("tensor.CheckFinite: got %v", err)
	}
	// A shape error is recorded, poisons ToHost and is cleared by Sync.
	w := b.New(3, 3)
	b.Linear(b.New(2, 3), x, w, nil, false)
	if b.Err() == nil {
		t.Fatal("shape mismatch not reported")
	}
	out := make([]float32, 4)
	b.ToHost(out, x)
	if !math.IsNaN(float64(out[0])) {
		t.Fatalf("ToHost after an error = %v, want NaN", out)
	}
	if err := b.Sync(); err == nil {
		t.Fatal("Sync did not return the pending error")
	}
	b.ToHost(out, x)
	if out[3] != 4 {
		t.Fatalf("after Sync ToHost = %v", out)
	}
	b.Embed(b.New(1, 2), x, []int32{2}, 1)
	if err := b.Sync(); err == nil {
		t.Fatal("out-of-range id not reported")
	}
	b.Free(x)
	b.Free(y)
	b.Free(w)
	mustOK(t, b)
}
