package dnabert_test

import (
	"os"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/perf"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestDumpBenchTokens writes the inputs of BenchmarkEncoderDNABERTS (the
// perf.DNABERT workload: token ids, packed batches, FLOP count) to the JSON file
// named by VIRNUCPRO_BENCH_DUMP, for the PyTorch baseline
// (docs/bench/torch_baseline.py). Skipped unless the variable is set.
func TestDumpBenchTokens(t *testing.T) {
	path := os.Getenv("VIRNUCPRO_BENCH_DUMP")
	if path == "" {
		t.Skip("VIRNUCPRO_BENCH_DUMP not set")
	}
	w, err := perf.DNABERT(cpu.New(1, nil), t.TempDir(), 16)
	if err != nil {
		t.Fatal(err)
	}
	m := w.Encoder.(*dnabert.Model)
	if err := w.Dump(path, "dnabert", "BenchmarkEncoderDNABERTS", map[string]any{
		"layers": m.Layers, "dim": m.Hidden, "heads": m.Heads, "intermediate": m.Intermediate, "vocab": m.Vocab}); err != nil {
		t.Fatal(err)
	}
}
