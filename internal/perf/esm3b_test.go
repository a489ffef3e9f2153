package perf

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestVirNucProProteins: the end-to-end inputs are the stated number of proteins
// and tokens, each <cls> residues <eos> with 1–166 residues, the same for the same
// seed; impossible totals are refused.
func TestVirNucProProteins(t *testing.T) {
	for _, c := range []struct{ n, tokens int }{{ESM3BProteins, ESM3BTokens}, {3, 9}, {2, 336}, {5, 700}} {
		ps, err := VirNucProProteins(c.n, c.tokens, 1)
		if err != nil {
			t.Fatalf("%d proteins, %d tokens: %v", c.n, c.tokens, err)
		}
		again, _ := VirNucProProteins(c.n, c.tokens, 1)
		total := 0
		for i, p := range ps {
			total += len(p)
			if len(p) < 3 || len(p) > 168 || p[0] != esm2.TokenCLS || p[len(p)-1] != esm2.TokenEOS {
				t.Fatalf("protein %d: %d tokens, starting %d, ending %d", i, len(p), p[0], p[len(p)-1])
			}
			if !slices.Equal(p, again[i]) {
				t.Fatalf("protein %d differs between two draws with the same seed", i)
			}
		}
		if len(ps) != c.n || total != c.tokens {
			t.Errorf("%d proteins of %d tokens, want %d of %d", len(ps), total, c.n, c.tokens)
		}
	}
	for _, c := range []struct{ n, tokens int }{{0, 10}, {2, 5}, {2, 337}} {
		if _, err := VirNucProProteins(c.n, c.tokens, 1); err == nil {
			t.Errorf("%d proteins of %d tokens accepted", c.n, c.tokens)
		}
	}
}

// TestMeasureESM2: the end-to-end measurement on a small random checkpoint in
// fair-esm's layout counts the trunk's float32 weights (randmodel's total less
// lm_head and the inverse frequencies), the file, the proteins and tokens, and
// prints every step.
func TestMeasureESM2(t *testing.T) {
	const layers, dim, heads = 2, 64, 4
	path := filepath.Join(t.TempDir(), "esm2_t2_random.pt")
	fp32, err := randmodel.FairESM2(path, layers, dim, heads, 3)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := VirNucProProteins(3, 120, 2)
	if err != nil {
		t.Fatal(err)
	}
	b := cpu.New(1, nil)
	m, res, err := LoadESM2(path, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Embed(m, b, ps); err != nil {
		t.Fatal(err)
	}
	lmHead := int64(4 * (dim*dim + 3*dim + 33))
	invFreq := int64(4 * layers * dim / heads / 2)
	if res.FP32Bytes != fp32-lmHead-invFreq {
		t.Errorf("float32 weights %d bytes, want %d", res.FP32Bytes, fp32-lmHead-invFreq)
	}
	if res.Proteins != 3 || res.Tokens != 120 || res.FileBytes <= 0 || res.Config.Layers != layers {
		t.Errorf("measured %+v", res)
	}
	var out bytes.Buffer
	res.PrintLoad(&out)
	res.PrintEmbed(&out)
	wants := []string{"ESM-2 2×64, 4 heads", "load from the page cache", "embed 3 proteins, 120 tokens", "load + embed"}
	if _, ok := ProcessUsage(); ok {
		wants = append(wants, "s user + ", "page faults", "transparent huge pages")
	}
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "fair-esm") {
		t.Errorf("fair-esm's 3B figures printed for a small model:\n%s", out.String())
	}
}
