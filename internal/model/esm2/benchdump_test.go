package esm2

import (
	"encoding/json"
	"math/rand"
	"os"
	"testing"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testmodels"
)

// TestDumpBenchTokens writes the token ids, shape and FLOP count of
// BenchmarkEncoder35M to the JSON file named by VIRNUCPRO_BENCH_DUMP, for the PyTorch
// baseline (docs/bench/torch_baseline.py). Skipped unless the variable is set. The
// generator below mirrors bench_test.go (seed 2, 64 proteins of 30–166 aa, <cls>/<eos>).
func TestDumpBenchTokens(t *testing.T) {
	path := os.Getenv("VIRNUCPRO_BENCH_DUMP")
	if path == "" {
		t.Skip("VIRNUCPRO_BENCH_DUMP not set")
	}
	const L, D, H = 12, 480, 20
	dir := t.TempDir()
	if err := testmodels.ESM2(dir, L, D, H); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, cpu.New(1, nil), Options{ReprLayer: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(2))
	var toks [][]int32
	for i := 0; i < 64; i++ {
		n := 30 + r.Intn(137)
		tk := []int32{TokenCLS}
		for j := 0; j < n; j++ {
			tk = append(tk, int32(4+r.Intn(20)))
		}
		toks = append(toks, append(tk, TokenEOS))
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
	writeDump(t, path, map[string]any{
		"model": "esm2", "benchmark": "BenchmarkEncoder35M",
		"layers": m.Config.Layers, "dim": m.Config.Dim, "heads": m.Config.Heads, "ffn": 4 * m.Config.Dim,
		"tokens": toks, "total_tokens": tokens, "total_flops": flops, "go_packed_batches": plan,
	})
}

func writeDump(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
