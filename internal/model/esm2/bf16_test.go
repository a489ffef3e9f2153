package esm2

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// TestBF16Fidelity: with --precision bf16 on the CPU (weights in bfloat16, products
// accumulated in float32), every golden embedding keeps a cosine similarity of at
// least 0.9999 to the fp32 reference (fair-esm), in both poolings, and a sequence's
// embedding has the same bits packed with the others as alone.
func TestBF16Fidelity(t *testing.T) {
	b, err := cpu.NewBF16(2)
	if err != nil {
		t.Skip(err)
	}
	g := loadGolden(t)
	seqs := proteins(t)
	var toks [][]int32
	for _, s := range g.Sequences {
		tk, err := Tokenize(seqs[s.ID])
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tk)
	}
	for _, pool := range []Pooling{PoolVirNucPro, PoolFull} {
		m, err := Load(filepath.Join(td, "esm2_t3_tiny_UR50D.pt"), b, Options{ReprLayer: -1, Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		packed, alone := testutil.EmbedPackedAndAlone(t, m.EmbedBatch, toks, m.Dim())
		worstCos, worstDiff := 1.0, 0.0
		for i, s := range g.Sequences {
			want := s.MeanVirNucPro
			if pool == PoolFull {
				want = s.MeanFull
			}
			if fmt.Sprint(packed[i]) != fmt.Sprint(alone[i]) {
				t.Errorf("pool %d, %s: packed and alone differ", pool, s.ID)
			}
			c := testutil.Cosine(packed[i], want)
			if !(c >= 0.9999) {
				t.Errorf("pool %d, %s: cosine %.7f to fp32 < 0.9999", pool, s.ID, c)
			}
			worstCos = math.Min(worstCos, c)
			for j, w := range want {
				worstDiff = math.Max(worstDiff, math.Abs(float64(packed[i][j])-w))
			}
		}
		t.Logf("bf16, pool %d: %d sequences, lowest cosine to fp32 %.7f, worst |diff| %.3g", pool, len(g.Sequences), worstCos, worstDiff)
	}
}
