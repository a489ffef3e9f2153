package perf

import (
	"encoding/json"
	"os"
)

// Dump writes w's inputs as JSON for the PyTorch baseline (docs/bench/torch_baseline.py):
// the token ids of every sequence, the packed batches as sequence indices, the token
// and FLOP totals, and the architecture fields in arch (layers, dim, heads, ...).
func (w *Workload) Dump(path, model, benchmark string, arch map[string]any) error {
	var toks [][]int32
	var plan [][]int
	tokens, flops := 0, 0.0
	for _, b := range w.Batches {
		var idx []int
		for _, t := range b {
			idx = append(idx, len(toks))
			toks = append(toks, t)
			tokens += len(t)
			flops += w.Encoder.FLOPsPerToken(len(t)) * float64(len(t))
		}
		plan = append(plan, idx)
	}
	v := map[string]any{"model": model, "benchmark": benchmark, "tokens": toks, "total_tokens": tokens,
		"total_flops": flops, "go_packed_batches": plan}
	for k, a := range arch {
		v[k] = a
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
