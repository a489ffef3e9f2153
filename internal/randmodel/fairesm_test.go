package randmodel

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// TestFairESM2 writes a small random checkpoint in fair-esm's layout and reads it back:
// the stored names, the tied lm_head weight, the inverse frequencies, the cfg the
// ESM-2 loader takes the head count from, the reported size, and the same bytes for
// the same seed.
func TestFairESM2(t *testing.T) {
	const layers, dim, heads = 2, 32, 4
	dir := t.TempDir()
	path := filepath.Join(dir, "esm2_t2_random.pt")
	fp32, err := FairESM2(path, layers, dim, heads, 7)
	if err != nil {
		t.Fatal(err)
	}
	perLayer := 4*(dim*dim+dim) + dim/heads/2 + 4*dim + 2*4*dim*dim + 4*dim + dim
	if want := int64(4 * (33*dim + layers*perLayer + 2*dim + dim*dim + 3*dim + 33)); fp32 != want {
		t.Errorf("fp32 bytes %d, want %d", fp32, want)
	}
	p, err := weights.LoadPyTorch(path)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := p.Weights()
	if err != nil {
		t.Fatal(err)
	}
	emb, err := sd.Get("encoder.sentence_encoder.embed_tokens.weight", 33, dim)
	if err != nil {
		t.Fatal(err)
	}
	tied, err := sd.Get("encoder.lm_head.weight", 33, dim)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(emb.Data, tied.Data) {
		t.Error("lm_head.weight differs from embed_tokens.weight; it shares its storage")
	}
	var sum, sq float64
	for _, v := range emb.Data {
		sum, sq = sum+float64(v), sq+float64(v)*float64(v)
	}
	if sd := math.Sqrt(sq / float64(len(emb.Data))); sd < 0.01 || sd > 0.03 {
		t.Errorf("embed_tokens has standard deviation %g, want about 0.02", sd)
	}
	inv, err := sd.Get("encoder.sentence_encoder.layers.1.self_attn.rot_emb.inv_freq", dim/heads/2)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Data[0] != 1 || math.Abs(float64(inv.Data[1])-0.1) > 1e-4 {
		t.Errorf("inv_freq starts %v, want 1, 0.1, ...", inv.Data[:2])
	}
	m, err := esm2.Load(path, cpu.New(1, nil), esm2.Options{ReprLayer: -1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Layers != layers || m.Config.Dim != dim || m.Config.Heads != heads || !m.Config.TokenDropout {
		t.Errorf("config %+v, want %d layers × %d, %d heads, token dropout", m.Config, layers, dim, heads)
	}
	again := filepath.Join(dir, "again.pt")
	if _, err := FairESM2(again, layers, dim, heads, 7); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("the same seed wrote different files")
	}
	if _, err := FairESM2(filepath.Join(dir, "bad.pt"), 2, 30, 4, 7); err == nil {
		t.Error("30 wide with 4 heads was accepted")
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
