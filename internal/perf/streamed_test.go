package perf

import (
	"fmt"
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
// near ties (esm2.LoadStreamed) at the true 3B shape: its load time and peak RSS, and
// the time of one batch next to the same batch in fp32 (loaded whole) and bf16 (the
// run's own model), each in its own process. It needs the 3B checkpoint
// (VIRNUCPRO_ESM3B_CHECKPOINT, e.g. bench esm2-3b's random one) and the mode
// (VIRNUCPRO_ESM3B_MODE: streamed, fp32 or bf16); the fp32 and bf16 modes need
// 12–14 GB, so run them under the machine's big-memory lock. It prints figures
// and asserts nothing about time.
func TestStreamedESM3B(t *testing.T) {
	path, mode := os.Getenv("VIRNUCPRO_ESM3B_CHECKPOINT"), os.Getenv("VIRNUCPRO_ESM3B_MODE")
	if path == "" || mode == "" {
		t.Skip("set VIRNUCPRO_ESM3B_CHECKPOINT and VIRNUCPRO_ESM3B_MODE (streamed, fp32, bf16) to measure")
	}
	precision := "fp32"
	if mode == "bf16" {
		precision = "bf16"
	}
	b, err := tensor.Open(tensor.Spec{Device: "cpu", BLAS: "auto", Precision: precision, Threads: runtime.GOMAXPROCS(0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readThrough(path); err != nil {
		t.Fatal(err)
	}
	ResetPeakRSS()
	t0 := time.Now()
	var m *esm2.Model
	if mode == "streamed" {
		m, err = esm2.LoadStreamed(path, b, esm2.Options{ReprLayer: -1})
	} else {
		m, err = esm2.Load(path, b, esm2.Options{ReprLayer: -1})
	}
	if err != nil {
		t.Fatal(err)
	}
	load := time.Since(t0)
	peakLoad, _ := PeakRSS()
	proteins, err := VirNucProProteins(8, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	one := [][]int32{{esm2.TokenCLS, 5, 6, 7, esm2.TokenEOS}} // the streaming cost alone, nearly no compute
	var times []string
	for _, batch := range [][][]int32{one, proteins} {
		tokens := 0
		out := make([][]float32, len(batch))
		for i := range batch {
			out[i], tokens = make([]float32, m.Dim()), tokens+len(batch[i])
		}
		t0 := time.Now()
		if err := m.EmbedBatch(batch, out); err != nil {
			t.Fatal(err)
		}
		times = append(times, fmt.Sprintf("%d sequences / %d tokens %.1f s", len(batch), tokens, time.Since(t0).Seconds()))
	}
	peak, _ := PeakRSS()
	load1, _ := os.ReadFile("/proc/loadavg")
	t.Logf("ESM-2 3B %s on %s: load %.1f s, peak RSS %.2f GB after loading, %.2f GB after embedding; embed %s; load average %s",
		mode, b.Name(), load.Seconds(), float64(peakLoad)/1e9, float64(peak)/1e9, strings.Join(times, ", "), strings.Join(strings.Fields(string(load1))[:3], " "))
}
