package dnabert

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// BenchmarkEncoderDNABERTS runs the real DNABERT-S shape (12 × 768, 12 heads, GLU
// 3072, vocab 4096, random weights) on packed 500 bp inputs and reports tokens/s,
// achieved GFLOP/s and the backend's raw SGEMM GFLOP/s measured in the same process.
func BenchmarkEncoderDNABERTS(b *testing.B) {
	const D, I, L = 768, 3072, 12
	dir := b.TempDir()
	r := rand.New(rand.NewSource(1))
	rnd := func(shape ...int) *weights.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		t := &weights.Tensor{Shape: shape, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64()) * 0.02
		}
		return t
	}
	ts := map[string]*weights.Tensor{"embeddings.word_embeddings.weight": rnd(4096, D), "embeddings.token_type_embeddings.weight": rnd(2, D),
		"embeddings.LayerNorm.weight": rnd(D), "embeddings.LayerNorm.bias": rnd(D)}
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		ts[p+"attention.self.Wqkv.weight"], ts[p+"attention.self.Wqkv.bias"] = rnd(3*D, D), rnd(3*D)
		ts[p+"attention.output.dense.weight"], ts[p+"attention.output.dense.bias"] = rnd(D, D), rnd(D)
		ts[p+"attention.output.LayerNorm.weight"], ts[p+"attention.output.LayerNorm.bias"] = rnd(D), rnd(D)
		ts[p+"mlp.gated_layers.weight"] = rnd(2*I, D)
		ts[p+"mlp.wo.weight"], ts[p+"mlp.wo.bias"] = rnd(D, I), rnd(D)
		ts[p+"mlp.layernorm.weight"], ts[p+"mlp.layernorm.bias"] = rnd(D), rnd(D)
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		b.Fatal(err)
	}
	cfg, _ := json.Marshal(Config{Hidden: D, Layers: L, Heads: 12, Intermediate: I, Vocab: 4096, Eps: 1e-12, ALiBiStartingSize: 512})
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	tok, _ := os.ReadFile(filepath.Join(td, "tokenizer.json"))
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644)

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
