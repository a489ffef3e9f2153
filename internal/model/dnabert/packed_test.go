package dnabert

import (
	"math"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestPackedMatchesSingle checks that embedding all golden inputs in one packed batch
// (ALiBi and attention restricted per sequence, incl. the 3000 bp input past
// alibi_starting_size) equals embedding them one at a time within 1e-6.
func TestPackedMatchesSingle(t *testing.T) {
	g, seqs := loadGolden(t)
	backends := map[string]tensor.Backend{"go": cpu.New(2, nil)}
	if lib, err := cpu.LoadOpenBLAS(2); err == nil {
		backends["openblas"] = cpu.New(2, lib)
	}
	if cpu.NativeSupported() {
		backends["native"] = cpu.New(2, cpu.NewNative(2))
	}
	for name, b := range backends {
		m, err := Load(td, b)
		if err != nil {
			t.Fatal(err)
		}
		var toks [][]int32
		for _, s := range g.Sequences {
			tk, err := m.Tokenize([]byte(seqs[s.ID]))
			if err != nil {
				t.Fatalf("%s: %v", s.ID, err)
			}
			toks = append(toks, tk)
		}
		alloc := func() [][]float32 {
			out := make([][]float32, len(toks))
			for i := range out {
				out[i] = make([]float32, m.Dim())
			}
			return out
		}
		packed, single := alloc(), alloc()
		if err := m.EmbedBatch(toks, packed); err != nil {
			t.Fatal(err)
		}
		for i := range toks {
			if err := m.EmbedBatch(toks[i:i+1], single[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		worst := 0.0
		for i := range toks {
			for j := range packed[i] {
				worst = math.Max(worst, math.Abs(float64(packed[i][j]-single[i][j])))
			}
		}
		t.Logf("%s: packed vs single worst |diff| %.3g", name, worst)
		if worst > 1e-6 {
			t.Errorf("%s: packed vs single worst |diff| %.3g > 1e-6", name, worst)
		}
	}
}
