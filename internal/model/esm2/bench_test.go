package esm2_test

import (
	"testing"

	"github.com/virnucpro/virnucpro/internal/perf"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// BenchmarkEncoder35M runs a 35M-class ESM-2 (12 layers × 480, 20 heads, random
// weights) on packed VirNucPro-like proteins (30–166 aa) and reports tokens/s, the
// achieved GFLOP/s and the backend's raw SGEMM GFLOP/s measured in the same rounds
// (interleaved), and their ratio. One iteration is one pass over 32 proteins.
func BenchmarkEncoder35M(b *testing.B) {
	backends := map[string]tensor.Backend{"go": cpu.New(0, nil)}
	if lib, err := cpu.LoadOpenBLAS(0); err == nil {
		backends["openblas"] = cpu.New(0, lib)
	}
	for name, be := range backends {
		b.Run(name, func(b *testing.B) {
			w, err := perf.ESM2(be, b.TempDir(), perf.BenchESM2Sequences)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			res, err := perf.Measure(be, w, b.N, 0)
			if err != nil {
				b.Fatal(err)
			}
			report(b, res)
		})
	}
}

func report(b *testing.B, res perf.Result) {
	b.ReportMetric(res.TokensPerSecond(), "tokens/s")
	b.ReportMetric(res.GFLOPS, "GFLOP/s")
	b.ReportMetric(res.RawGFLOPS, "rawSGEMM_GFLOP/s")
	b.ReportMetric(res.Ratio(), "ratio")
}
