package dnabert

import (
	"fmt"
	"math"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestBF16Fidelity: with --precision bf16 on the CPU (weights in bfloat16, products
// accumulated in float32), every golden embedding keeps a cosine similarity of at
// least 0.9999 to the fp32 reference (transformers), and a sequence's embedding has
// the same bits packed with the others as alone.
func TestBF16Fidelity(t *testing.T) {
	b, err := cpu.NewBF16(2)
	if err != nil {
		t.Skip(err)
	}
	g, seqs := loadGolden(t)
	m, err := Load(td, b)
	if err != nil {
		t.Fatal(err)
	}
	var toks [][]int32
	for _, s := range g.Sequences {
		tk, _ := m.Tokenize([]byte(seqs[s.ID]))
		toks = append(toks, tk)
	}
	packed, alone := make([][]float32, len(toks)), make([][]float32, len(toks))
	for i := range toks {
		packed[i], alone[i] = make([]float32, m.Dim()), make([]float32, m.Dim())
		if err := m.EmbedBatch(toks[i:i+1], alone[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.EmbedBatch(toks, packed); err != nil {
		t.Fatal(err)
	}
	worstCos, worstDiff := 1.0, 0.0
	for i, s := range g.Sequences {
		if fmt.Sprint(packed[i]) != fmt.Sprint(alone[i]) {
			t.Errorf("%s: packed and alone differ", s.ID)
		}
		var dot, ng, nw float64
		for j, w := range s.Mean {
			v := float64(packed[i][j])
			dot, ng, nw = dot+v*w, ng+v*v, nw+w*w
			worstDiff = math.Max(worstDiff, math.Abs(v-w))
		}
		c := dot / math.Sqrt(ng*nw)
		if !(c >= 0.9999) {
			t.Errorf("%s: cosine %.7f to fp32 < 0.9999", s.ID, c)
		}
		worstCos = math.Min(worstCos, c)
	}
	t.Logf("bf16: %d sequences, lowest cosine to fp32 %.7f, worst |diff| %.3g", len(g.Sequences), worstCos, worstDiff)
}
