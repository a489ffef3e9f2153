package perf

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/tensor"
	_ "github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestStreamedESM3B measures the layer-streamed fp32 ESM-2 that confirms a bf16 run's
// near ties (esm2.LoadStreamed) at the true 3B shape. VIRNUCPRO_ESM3B_CHECKPOINT
// names the checkpoint (e.g. bench esm2-3b's random one) and VIRNUCPRO_ESM3B_MODES
// the models to load, comma-separated: streamed, fp32 (Load, whole), bf16. It prints
// each one's load time and the peak RSS after loading, then times the same two
// batches (one 5-token sequence: the per-batch cost with next to no compute; four
// proteins of 500 tokens) on each model in turn, ROUNDS (VIRNUCPRO_ESM3B_ROUNDS,
// default 2) times, so the models are compared under the same machine load, and
// compares every model's embeddings with the first's (cosine, relative L2 error).
// fp32 needs 12 GB, bf16 6 GB: run it under the machine's big-memory lock. It
// asserts nothing about time.
func TestStreamedESM3B(t *testing.T) {
	path, modes := os.Getenv("VIRNUCPRO_ESM3B_CHECKPOINT"), os.Getenv("VIRNUCPRO_ESM3B_MODES")
	if path == "" || modes == "" {
		t.Skip("set VIRNUCPRO_ESM3B_CHECKPOINT and VIRNUCPRO_ESM3B_MODES (streamed,fp32,bf16) to measure")
	}
	if _, err := readThrough(path); err != nil {
		t.Fatal(err)
	}
	var models []*esm2.Model
	names := strings.Split(modes, ",")
	for _, mode := range names {
		ResetPeakRSS()
		t0 := time.Now()
		m, err := loadESM3BMode(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		peak, _ := PeakRSS()
		t.Logf("%s: loaded in %.1f s, peak RSS %.2f GB since the previous model", mode, time.Since(t0).Seconds(), float64(peak)/1e9)
		models = append(models, m)
	}
	proteins, err := VirNucProProteins(4, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	one := [][]int32{{esm2.TokenCLS, 5, 6, 7, esm2.TokenEOS}}
	rounds := 2
	fmt.Sscan(os.Getenv("VIRNUCPRO_ESM3B_ROUNDS"), &rounds)
	embs := make([][][]float32, len(models))
	for r := 0; r < rounds; r++ {
		for i, m := range models {
			var times []string
			for _, batch := range [][][]int32{one, proteins} {
				out := make([][]float32, len(batch))
				for k := range batch {
					out[k] = make([]float32, m.Dim())
				}
				t0 := time.Now()
				if err := m.EmbedBatch(batch, out); err != nil {
					t.Fatal(err)
				}
				times = append(times, fmt.Sprintf("%.1f s", time.Since(t0).Seconds()))
				embs[i] = out
			}
			t.Logf("round %d, %s: 5 tokens %s, 500 tokens %s (load average %s)", r+1, names[i], times[0], times[1], LoadAverage())
		}
	}
	for i := 1; i < len(models); i++ {
		for k := range proteins {
			c, e := compare(embs[i][k], embs[0][k])
			t.Logf("%s against %s, protein %d: cosine %.7f, relative L2 error %.3g", names[i], names[0], k, c, e)
		}
	}
	peak, _ := PeakRSS()
	t.Logf("peak RSS %.2f GB", float64(peak)/1e9)
}

// loadESM3BMode loads path as mode asks: streamed, fp32 or bf16.
func loadESM3BMode(path, mode string) (*esm2.Model, error) {
	precision := "fp32"
	if mode == "bf16" {
		precision = "bf16"
	}
	b, err := tensor.Open(tensor.Spec{Device: "cpu", BLAS: "auto", Precision: precision, Threads: runtime.GOMAXPROCS(0)})
	if err != nil {
		return nil, err
	}
	switch mode {
	case "streamed":
		return esm2.LoadStreamed(path, b, esm2.Options{ReprLayer: -1})
	case "fp32", "bf16":
		return esm2.Load(path, b, esm2.Options{ReprLayer: -1})
	}
	return nil, fmt.Errorf("mode %q: want streamed, fp32 or bf16", mode)
}

// compare returns the cosine of a and b and |a − b| / |b|.
func compare(a, b []float32) (float64, float64) {
	var dot, na, nb, nd float64
	for j := range a {
		x, y := float64(a[j]), float64(b[j])
		dot, na, nb, nd = dot+x*y, na+x*x, nb+y*y, nd+(x-y)*(x-y)
	}
	return dot / math.Sqrt(na*nb), math.Sqrt(nd / nb)
}
