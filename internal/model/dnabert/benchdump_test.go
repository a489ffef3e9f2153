package dnabert

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testmodels"
)

// TestDumpBenchTokens writes the token ids, shape and FLOP count of
// BenchmarkEncoderDNABERTS to the JSON file named by VIRNUCPRO_BENCH_DUMP, for the
// PyTorch baseline (docs/bench/torch_baseline.py). Skipped unless the variable is set.
// The generator mirrors bench_test.go (seed 1, 32 random 500 bp inputs through the
// DNABERT-2 BPE, [CLS]/[SEP] included). The benchmark draws a fresh set from the same
// stream each time its sub-benchmark body runs; this is its first set.
func TestDumpBenchTokens(t *testing.T) {
	path := os.Getenv("VIRNUCPRO_BENCH_DUMP")
	if path == "" {
		t.Skip("VIRNUCPRO_BENCH_DUMP not set")
	}
	const D, I, L = 768, 3072, 12
	dir := t.TempDir()
	if err := testmodels.DNABERT(dir, L, D, 12, I, filepath.Join(td, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, cpu.New(1, nil))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	var toks [][]int32
	for i := 0; i < 32; i++ {
		s := make([]byte, 500)
		for j := range s {
			s[j] = "ACGT"[r.Intn(4)]
		}
		tk, _ := m.Tokenize(s)
		toks = append(toks, tk)
	}
	items := make([]batch.Item, len(toks))
	var tokens int
	var flops float64
	for i, tk := range toks {
		items[i] = batch.Item{Index: i, Tokens: len(tk)}
		tokens += len(tk)
		flops += m.FLOPsPerToken(len(tk)) * float64(len(tk))
	}
	var plan [][]int
	for _, p := range batch.Plan(items, 4096) {
		var idx []int
		for _, it := range p.Items {
			idx = append(idx, it.Index)
		}
		plan = append(plan, idx)
	}
	b, err := json.Marshal(map[string]any{
		"model": "dnabert", "benchmark": "BenchmarkEncoderDNABERTS",
		"layers": m.Layers, "dim": m.Hidden, "heads": m.Heads, "intermediate": m.Intermediate, "vocab": m.Vocab,
		"tokens": toks, "total_tokens": tokens, "total_flops": flops, "go_packed_batches": plan,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
