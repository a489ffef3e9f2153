package perf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestDumpBenchTokens writes the inputs of the encoder benchmarks (token ids, packed
// batches, FLOP counts) to esm2.json and dnabert.json in the directory named by
// VIRNUCPRO_BENCH_DUMP_DIR, for the PyTorch baseline (docs/bench/compare.sh).
// Skipped unless the variable is set.
func TestDumpBenchTokens(t *testing.T) {
	dir := os.Getenv("VIRNUCPRO_BENCH_DUMP_DIR")
	if dir == "" {
		t.Skip("VIRNUCPRO_BENCH_DUMP_DIR not set")
	}
	b := cpu.New(1, nil)
	w, err := ESM2(b, t.TempDir(), BenchESM2Sequences)
	if err != nil {
		t.Fatal(err)
	}
	c := w.Encoder.(*esm2.Model).Config
	if err := w.Dump(filepath.Join(dir, "esm2.json"), "esm2", "BenchmarkEncoder35M", map[string]any{
		"layers": c.Layers, "dim": c.Dim, "heads": c.Heads, "ffn": 4 * c.Dim}); err != nil {
		t.Fatal(err)
	}
	if w, err = DNABERT(b, t.TempDir(), BenchDNABERTSequences); err != nil {
		t.Fatal(err)
	}
	m := w.Encoder.(*dnabert.Model)
	if err := w.Dump(filepath.Join(dir, "dnabert.json"), "dnabert", "BenchmarkEncoderDNABERTS", map[string]any{
		"layers": m.Layers, "dim": m.Hidden, "heads": m.Heads, "intermediate": m.Intermediate, "vocab": m.Vocab}); err != nil {
		t.Fatal(err)
	}
}
