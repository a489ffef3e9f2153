package cpu

import (
	"fmt"
	"math/rand"
	"testing"
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
