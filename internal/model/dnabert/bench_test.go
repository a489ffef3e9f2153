package dnabert_test

import (
	"testing"

	"github.com/virnucpro/virnucpro/internal/perf"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// BenchmarkEncoderDNABERTS runs the real DNABERT-S shape (12 × 768, 12 heads, GLU
// 3072, vocab 4096, random weights) on packed 500 bp inputs (100–116 tokens) and
// reports tokens/s, achieved GFLOP/s, the backend's raw SGEMM GFLOP/s measured in the
// same rounds (interleaved) and their ratio. One iteration is one pass over 16 inputs.
func BenchmarkEncoderDNABERTS(b *testing.B) {
	backends := map[string]tensor.Backend{"go": cpu.New(0, nil)}
	if lib, err := cpu.LoadOpenBLAS(0); err == nil {
		backends["openblas"] = cpu.New(0, lib)
	}
	for name, be := range backends {
		b.Run(name, func(b *testing.B) {
			w, err := perf.DNABERT(be, b.TempDir(), perf.BenchDNABERTSequences)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			res, err := perf.Measure(be, w, b.N, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.TokensPerSecond(), "tokens/s")
			b.ReportMetric(res.GFLOPS, "GFLOP/s")
			b.ReportMetric(res.RawGFLOPS, "rawSGEMM_GFLOP/s")
			b.ReportMetric(res.Ratio(), "ratio")
		})
	}
}
