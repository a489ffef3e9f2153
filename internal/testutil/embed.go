package testutil

import (
	"math"
	"testing"
)

// Cosine is the cosine similarity of got and want, summed in float64: how the
// reduced-precision paths (bf16 on the CPU, fp16/bf16 on a GPU) are held to the
// float32 goldens, where elementwise tolerances would not fit their rounding.
func Cosine(got []float32, want []float64) float64 {
	var dot, gg, ww float64
	for i, w := range want {
		g := float64(got[i])
		dot, gg, ww = dot+g*w, gg+g*g, ww+w*w
	}
	return dot / math.Sqrt(gg*ww)
}

// EmbedPackedAndAlone embeds toks with embed (a model's EmbedBatch) in one batch
// and each sequence on its own, dim floats per sequence, so a test can check that a
// sequence's embedding does not depend on the batch it is packed in.
func EmbedPackedAndAlone(t testing.TB, embed func(toks [][]int32, out [][]float32) error, toks [][]int32, dim int) (packed, alone [][]float32) {
	t.Helper()
	packed, alone = make([][]float32, len(toks)), make([][]float32, len(toks))
	for i := range toks {
		packed[i], alone[i] = make([]float32, dim), make([]float32, dim)
		if err := embed(toks[i:i+1], alone[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := embed(toks, packed); err != nil {
		t.Fatal(err)
	}
	return packed, alone
}
