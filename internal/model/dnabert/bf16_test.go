package dnabert

import (
	"fmt"
	"math"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
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
	packed, alone := testutil.EmbedPackedAndAlone(t, m.EmbedBatch, toks, m.Dim())
	worstCos, worstDiff := 1.0, 0.0
	for i, s := range g.Sequences {
		if fmt.Sprint(packed[i]) != fmt.Sprint(alone[i]) {
			t.Errorf("%s: packed and alone differ", s.ID)
		}
		for j, w := range s.Mean {
			worstDiff = math.Max(worstDiff, math.Abs(float64(packed[i][j])-w))
		}
		c := testutil.Cosine(packed[i], s.Mean)
		if !(c >= 0.9999) {
			t.Errorf("%s: cosine %.7f to fp32 < 0.9999", s.ID, c)
		}
		worstCos = math.Min(worstCos, c)
	}
	t.Logf("bf16: %d sequences, lowest cosine to fp32 %.7f, worst |diff| %.3g", len(g.Sequences), worstCos, worstDiff)
}
