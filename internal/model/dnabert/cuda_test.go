package dnabert

import (
	"math"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cuda"
)

// TestGoldensCUDA runs the goldens on a GPU (skipped without one): fp32 within 1e-5,
// fp16/bf16 with cosine similarity >= 0.9999 per sequence (the Broad FP16 bar).
func TestGoldensCUDA(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no usable CUDA device: %v", err)
	}
	g, seqs := loadGolden(t)
	for _, prec := range []string{"fp32", "fp16", "bf16"} {
		b, err := cuda.Open(0, prec)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(td, b)
		if err != nil {
			t.Fatal(err)
		}
		var toks [][]int32
		out := make([][]float32, len(g.Sequences))
		for i, s := range g.Sequences {
			tk, _ := m.Tokenize([]byte(seqs[s.ID]))
			toks = append(toks, tk)
			out[i] = make([]float32, m.Dim())
		}
		if err := m.EmbedBatch(toks, out); err != nil {
			t.Fatal(err)
		}
		worst, minCos := 0.0, 1.0
		for i, s := range g.Sequences {
			var dot, na, nb float64
			for j, w := range s.Mean {
				v := float64(out[i][j])
				worst = math.Max(worst, math.Abs(v-w))
				dot, na, nb = dot+v*w, na+v*v, nb+w*w
			}
			minCos = math.Min(minCos, dot/math.Sqrt(na*nb))
		}
		t.Logf("DNABERT-S %s on %s: worst |diff| %.3g, min cosine %.7f", prec, b.Name(), worst, minCos)
		if prec == "fp32" && worst > 1e-5 {
			t.Errorf("fp32: worst |diff| %.3g > 1e-5", worst)
		}
		if minCos < 0.9999 {
			t.Errorf("%s: cosine %.7f < 0.9999", prec, minCos)
		}
	}
}
