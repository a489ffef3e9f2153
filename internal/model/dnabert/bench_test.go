package dnabert

import (
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testmodels"
)

// BenchmarkEncoderDNABERTS runs the real DNABERT-S shape (12 × 768, 12 heads, GLU
// 3072, vocab 4096, random weights) on packed 500 bp inputs and reports tokens/s,
// achieved GFLOP/s and the backend's raw SGEMM GFLOP/s measured in the same process.
func BenchmarkEncoderDNABERTS(b *testing.B) {
	const D, I, L = 768, 3072, 12
	dir := b.TempDir()
	if err := testmodels.DNABERT(dir, L, D, 12, I, filepath.Join(td, "tokenizer.json")); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	backends := map[string]tensor.Backend{"go": cpu.New(0, nil)}
	if lib, err := cpu.LoadOpenBLAS(0); err == nil {
		backends["openblas"] = cpu.New(0, lib)
	}
	for name, be := range backends {
		b.Run(name, func(b *testing.B) {
			m, err := Load(dir, be)
			if err != nil {
				b.Fatal(err)
			}
			var toks [][]int32
			for i := 0; i < 32; i++ {
				s := make([]byte, 500)
				for j := range s {
					s[j] = "ACGT"[r.Intn(4)]
				}
				t, _ := m.Tokenize(s)
				toks = append(toks, t)
			}
			items := make([]batch.Item, len(toks))
			for i, t := range toks {
				items[i] = batch.Item{Index: i, Tokens: len(t)}
			}
			plan := batch.Plan(items, 4096)
			raw := tensor.MeasureLinear(be, 2048, D, 3*D, 3)
			var tokens int
			var flops float64
			b.ResetTimer()
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				for _, p := range plan {
					bt := make([][]int32, len(p.Items))
					out := make([][]float32, len(p.Items))
					for j, it := range p.Items {
						bt[j], out[j] = toks[it.Index], make([]float32, D)
						tokens += len(bt[j])
						flops += m.FLOPsPerToken(len(bt[j])) * float64(len(bt[j]))
					}
					if err := m.EmbedBatch(bt, out); err != nil {
						b.Fatal(err)
					}
				}
			}
			sec := time.Since(t0).Seconds()
			b.ReportMetric(float64(tokens)/sec, "tokens/s")
			b.ReportMetric(flops/sec/1e9, "GFLOP/s")
			b.ReportMetric(raw, "rawSGEMM_GFLOP/s")
			b.ReportMetric(flops/sec/1e9/raw, "ratio")
		})
	}
}
