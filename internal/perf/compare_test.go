package perf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestCompareGemmsPrintsEveryGemm: one line per shape naming each Gemm's GFLOP/s and
// the first's ratio to the best other.
func TestCompareGemmsPrintsEveryGemm(t *testing.T) {
	var out bytes.Buffer
	gemms := []cpu.Gemm{&cpu.GoGemm{Threads: 2}, &cpu.GoGemm{Threads: 1}}
	CompareGemms(&out, gemms, []GemmShape{{"tiny", 16, 24, 8}, {"odd", 5, 7, 3}}, 1, 0)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if strings.Count(l, " go ") != 2 || !strings.Contains(l, "GFLOP/s  ratio ") {
			t.Errorf("line %q lacks a figure", l)
		}
	}
}
