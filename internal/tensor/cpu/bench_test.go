package cpu

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// BenchmarkSgemm reports raw GFLOP/s of each GEMM at transformer shapes
// (m tokens × k in → n out): ESM-2 35M (480/1920) and DNABERT-S (768/2304).
func BenchmarkSgemm(b *testing.B) {
	gemms := map[string]Gemm{"go": &GoGemm{Threads: 2}}
	if lib, err := LoadOpenBLAS(2); err == nil {
		gemms["openblas"] = lib
	}
	r := rand.New(rand.NewSource(1))
	for _, shape := range [][3]int{{1024, 480, 1920}, {1024, 768, 2304}} {
		m, k, n := shape[0], shape[1], shape[2]
		a, w, c := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
		for name, g := range gemms {
			b.Run(fmt.Sprintf("%s/m%d_k%d_n%d", name, m, k, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					g.SgemmNT(m, n, k, a, k, w, k, c, n, false)
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkAttention runs one layer's attention on packed sequences of 30–166
// tokens: ESM-2 35M (20 heads of 24, rotary) and DNABERT-S (12 heads of 64, ALiBi).
func BenchmarkAttention(b *testing.B) {
	lib, err := LoadOpenBLAS(2)
	if err != nil {
		b.Skip(err)
	}
	be := New(2, lib)
	r := rand.New(rand.NewSource(1))
	var segs []tensor.Segment
	T := 0
	for i := 0; i < 32; i++ {
		L := 30 + r.Intn(137)
		segs = append(segs, tensor.Segment{Start: T, Len: L})
		T += L
	}
	inv := make([]float32, 12)
	for i := range inv {
		inv[i] = float32(math.Pow(10000, -float64(2*i)/24))
	}
	slopes := make([]float32, 12)
	for i := range slopes {
		slopes[i] = float32(math.Pow(2, -float64(i+1)*8/12))
	}
	for _, spec := range []tensor.AttentionSpec{
		{Heads: 20, HeadDim: 24, Scale: 0.2, RotaryInvFreq: inv},
		{Heads: 12, HeadDim: 64, Scale: 0.125, ALiBiSlopes: slopes},
	} {
		D := spec.Heads * spec.HeadDim
		qkv, dst := be.FromHost(randSlice(r, T*3*D), T, 3*D), be.New(T, D)
		b.Run(fmt.Sprintf("h%d_d%d", spec.Heads, spec.HeadDim), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				be.Attention(dst, qkv, segs, spec)
			}
		})
	}
}

// encoderShapes are the encoders' matrix products (k in → n out): ESM-2 3B's
// attention/output projections and feed-forward layers, ESM-2 35M's and DNABERT-S's.
var encoderShapes = []struct {
	name string
	k, n int
}{
	{"esm2-3B-proj", 2560, 2560}, {"esm2-3B-ffn1", 2560, 10240}, {"esm2-3B-ffn2", 10240, 2560},
	{"esm2-35M-ffn1", 480, 1920}, {"esm2-35M-ffn2", 1920, 480},
	{"dnabert-s-ffn1", 768, 3072}, {"dnabert-s-ffn2", 3072, 768},
}

// BenchmarkSgemmEncoders reports GFLOP/s of the native kernels and of OpenBLAS
// (as the backend calls it, on 256-row blocks) at the encoders' shapes on 2 threads,
// 2048 rows (tokens).
func BenchmarkSgemmEncoders(b *testing.B) {
	gemms := []Gemm{NewNative(2)}
	if lib, err := LoadOpenBLAS(2); err == nil {
		gemms = append(gemms, lib)
	}
	r := rand.New(rand.NewSource(1))
	const m = 2048
	for _, s := range encoderShapes {
		a, w, c := randSlice(r, m*s.k), randSlice(r, s.n*s.k), make([]float32, m*s.n)
		for _, g := range gemms {
			b.Run(fmt.Sprintf("%s/%s", s.name, g.Name()), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					g.SgemmNT(m, s.n, s.k, a, s.k, w, s.k, c, s.n, false)
				}
				b.ReportMetric(2*float64(m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
