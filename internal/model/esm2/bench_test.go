package esm2

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

// randomModel writes a Hugging Face-style ESM-2 directory with random weights.
func randomModel(tb testing.TB, layers, dim, heads int) string {
	dir := tb.TempDir()
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
	ones := func(n int) *weights.Tensor {
		t := rnd(n)
		for i := range t.Data {
			t.Data[i] = 1
		}
		return t
	}
	ts := map[string]*weights.Tensor{"embed_tokens.weight": rnd(33, dim), "emb_layer_norm_after.weight": ones(dim), "emb_layer_norm_after.bias": rnd(dim)}
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("layers.%d.", l)
		for _, n := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			ts[p+"self_attn."+n+".weight"], ts[p+"self_attn."+n+".bias"] = rnd(dim, dim), rnd(dim)
		}
		ts[p+"self_attn_layer_norm.weight"], ts[p+"self_attn_layer_norm.bias"] = ones(dim), rnd(dim)
		ts[p+"final_layer_norm.weight"], ts[p+"final_layer_norm.bias"] = ones(dim), rnd(dim)
		ts[p+"fc1.weight"], ts[p+"fc1.bias"] = rnd(4*dim, dim), rnd(4*dim)
		ts[p+"fc2.weight"], ts[p+"fc2.bias"] = rnd(dim, 4*dim), rnd(dim)
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		tb.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"num_attention_heads": heads, "num_hidden_layers": layers, "hidden_size": dim})
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	return dir
}

// BenchmarkEncoder35M runs a 35M-class ESM-2 (12 layers × 480, 20 heads, random
// weights) on packed VirNucPro-like proteins (30–166 aa) and reports tokens/s, the
// achieved GFLOP/s and, measured in the same process, the backend's raw SGEMM GFLOP/s.
func BenchmarkEncoder35M(b *testing.B) {
	dir := randomModel(b, 12, 480, 20)
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
