package esm2

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/testutil"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// TestStreamedMatchesLoaded: a model of LoadStreamed (each layer's Linear weights
// widened from the mapped checkpoint as the layer runs) gives the same bits as Load's
// on the same fp32 backend (each of the CPU's, and the unfused sequence that copies
// q, k and v into one matrix), for the tiny golden model in its fair-esm .pt and Hugging
// Face forms and a float16 fair-esm checkpoint, every pooling and representation
// layer (the three ways a forward ends), packed and alone, and twice in a row (the
// scratch reused), keeping no Linear weight converted outside its one scratch.
func TestStreamedMatchesLoaded(t *testing.T) {
	fp16 := filepath.Join(t.TempDir(), "esm2_t2_fp16.pt")
	if _, err := randmodel.FairESM2(fp16, 2, 64, 4, 7); err != nil {
		t.Fatal(err)
	}
	seqs := proteins(t)
	var toks [][]int32
	for _, s := range loadGolden(t).Sequences {
		if s.Length > 300 { // the long ones only cost time here: same code, more rows
			continue
		}
		tk, err := Tokenize(seqs[s.ID])
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tk)
	}
	backends := testBackends(t)
	for _, bname := range []string{"native", "unfused"} {
		b, ok := backends[bname]
		if !ok {
			b, bname = backends["go"], "go"
		}
		for _, path := range []string{filepath.Join(td, "esm2_t3_tiny_UR50D.pt"), filepath.Join(td, "hf"), fp16} {
			opts := []Options{{ReprLayer: -1}}
			if filepath.Ext(path) == ".pt" && path != fp16 {
				opts = append(opts, Options{ReprLayer: -1, Pool: PoolFull}, Options{ReprLayer: 1}, Options{ReprLayer: 0})
			}
			for _, o := range opts {
				streamedMatchesLoaded(t, fmt.Sprintf("%s, %s repr %d pool %d", bname, filepath.Base(path), o.ReprLayer, o.Pool), b, path, o, toks)
			}
		}
	}
}

// streamedMatchesLoaded compares the two models of path on b.
func streamedMatchesLoaded(t *testing.T, name string, b tensor.Backend, path string, o Options, toks [][]int32) {
	t.Helper()
	{
		{
			loaded, err := Load(path, b, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			streamed, err := LoadStreamed(path, b, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if streamed.Config != loaded.Config || streamed.ReprLayer() != loaded.ReprLayer() {
				t.Fatalf("%s: streamed %+v layer %d, loaded %+v layer %d", name, streamed.Config, streamed.ReprLayer(), loaded.Config, loaded.ReprLayer())
			}
			if len(streamed.stream.scratch) != 12*streamed.Dim()*streamed.Dim() {
				t.Fatalf("%s: a scratch of %d values for width %d", name, len(streamed.stream.scratch), streamed.Dim())
			}
			wantPacked, wantAlone := testutil.EmbedPackedAndAlone(t, loaded.EmbedBatch, toks, loaded.Dim())
			var held [7]tensor.Tensor
			for round := 0; round < 2; round++ {
				packed, alone := testutil.EmbedPackedAndAlone(t, streamed.EmbedBatch, toks, streamed.Dim())
				for i := range wantPacked {
					if !slices.Equal(packed[i], wantPacked[i]) || !slices.Equal(alone[i], wantAlone[i]) {
						t.Errorf("%s, round %d: sequence %d differs from the loaded model's", name, round, i)
					}
				}
				for l, lw := range streamed.stream.layers { // nothing kept converted beyond the scratch
					for _, w := range []*weights.Tensor{lw.q, lw.k, lw.v, lw.wo, lw.w1, lw.w2} {
						if !w.Lazy() {
							t.Fatalf("%s: layer %d keeps a converted Linear weight", name, l)
						}
					}
				}
				// The native kernels hold one layer's weights packed and refill them
				// for the next layer and batch, never allocating new ones.
				_, refills := b.(tensor.WeightRefiller)
				if refills && b.Name() == "native" && streamed.ReprLayer() > 0 && (streamed.stream.held[0] == nil || streamed.stream.held[5] == nil) {
					t.Fatalf("%s: the packed weights are not held for refilling", name)
				}
				if round == 1 && streamed.stream.held != held {
					t.Fatalf("%s: the second batch replaced the held weights", name)
				}
				held = streamed.stream.held
			}
		}
	}
}

// TestLoadStreamedOption: Options.Streamed makes Load stream (what --esm-streamed
// sets); without it the weights are loaded.
func TestLoadStreamedOption(t *testing.T) {
	b := testBackends(t)["go"]
	for _, streamed := range []bool{false, true} {
		m, err := Load(filepath.Join(td, "esm2_t3_tiny_UR50D.pt"), b, Options{ReprLayer: -1, Streamed: streamed})
		if err != nil {
			t.Fatal(err)
		}
		if (m.stream != nil) != streamed {
			t.Errorf("Options.Streamed %v: the model streams: %v", streamed, m.stream != nil)
		}
	}
}
