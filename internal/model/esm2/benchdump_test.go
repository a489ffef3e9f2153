package esm2_test

import (
	"os"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/perf"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestDumpBenchTokens writes the inputs of BenchmarkEncoder35M (the perf.ESM2
// workload: token ids, packed batches, FLOP count) to the JSON file named by
// VIRNUCPRO_BENCH_DUMP, for the PyTorch baseline (docs/bench/torch_baseline.py).
// Skipped unless the variable is set.
func TestDumpBenchTokens(t *testing.T) {
	path := os.Getenv("VIRNUCPRO_BENCH_DUMP")
	if path == "" {
		t.Skip("VIRNUCPRO_BENCH_DUMP not set")
	}
	w, err := perf.ESM2(cpu.New(1, nil), t.TempDir(), 32)
	if err != nil {
		t.Fatal(err)
	}
	c := w.Encoder.(*esm2.Model).Config
	if err := w.Dump(path, "esm2", "BenchmarkEncoder35M", map[string]any{
		"layers": c.Layers, "dim": c.Dim, "heads": c.Heads, "ffn": 4 * c.Dim}); err != nil {
		t.Fatal(err)
	}
}
