package esm2

import (
	"math/rand"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testmodels"
)

// BenchmarkEncoder35M runs a 35M-class ESM-2 (12 layers × 480, 20 heads, random
// weights) on packed VirNucPro-like proteins (30–166 aa) and reports tokens/s, the
// achieved GFLOP/s and, measured in the same process, the backend's raw SGEMM GFLOP/s.
func BenchmarkEncoder35M(b *testing.B) {
	dir := b.TempDir()
	if err := testmodels.ESM2(dir, 12, 480, 20); err != nil {
		b.Fatal(err)
	}
	backends := map[string]tensor.Backend{"go": cpu.New(0, nil)}
	if lib, err := cpu.LoadOpenBLAS(0); err == nil {
		backends["openblas"] = cpu.New(0, lib)
	}
	r := rand.New(rand.NewSource(2))
	var toks [][]int32
	for i := 0; i < 64; i++ {
		n := 30 + r.Intn(137)
		t := []int32{TokenCLS}
		for j := 0; j < n; j++ {
			t = append(t, int32(4+r.Intn(20)))
		}
		toks = append(toks, append(t, TokenEOS))
	}
	items := make([]batch.Item, len(toks))
	for i, t := range toks {
		items[i] = batch.Item{Index: i, Tokens: len(t)}
	}
	plan := batch.Plan(items, 4096)
	for name, be := range backends {
		b.Run(name, func(b *testing.B) {
			m, err := Load(dir, be, Options{ReprLayer: -1})
			if err != nil {
				b.Fatal(err)
			}
			raw := tensor.MeasureLinear(be, 2048, 480, 1920, 3)
			var tokens int
			var flops float64
			b.ResetTimer()
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				for _, p := range plan {
					bt := make([][]int32, len(p.Items))
					out := make([][]float32, len(p.Items))
					for j, it := range p.Items {
						bt[j] = toks[it.Index]
						out[j] = make([]float32, m.Dim())
						tokens += len(bt[j])
						flops += m.FLOPsPerToken(len(bt[j])) * float64(len(bt[j]))
					}
					if err := m.EmbedBatch(bt, out); err != nil {
						b.Fatal(err)
					}
				}
			}
			sec := time.Since(t0).Seconds()
			gflops := flops / sec / 1e9
			b.ReportMetric(float64(tokens)/sec, "tokens/s")
			b.ReportMetric(gflops, "GFLOP/s")
			b.ReportMetric(raw, "rawSGEMM_GFLOP/s")
			b.ReportMetric(gflops/raw, "ratio")
		})
	}
}
