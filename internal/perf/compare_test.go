package perf

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestCompareGemmsPrintsEveryGemm: one line per shape naming each Gemm's GFLOP/s and
// the ratio of each of ours to the best other.
func TestCompareGemmsPrintsEveryGemm(t *testing.T) {
	for _, c := range []struct {
		ours  int
		ratio *regexp.Regexp
	}{
		{1, regexp.MustCompile(`GFLOP/s  ratio [0-9.]+( |$)`)},
		{2, regexp.MustCompile(`GFLOP/s  ratio [0-9.]+/[0-9.]+( |$)`)},
	} {
		var out bytes.Buffer
		gemms := []cpu.Gemm{&cpu.GoGemm{Threads: 2}, &cpu.GoGemm{Threads: 1}, &cpu.GoGemm{Threads: 3}}
		CompareGemms(&out, gemms, c.ours, []GemmShape{{"tiny", 16, 24, 8}, {"odd", 5, 7, 3}}, 1, 0)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines:\n%s", len(lines), out.String())
		}
		for _, l := range lines {
			if strings.Count(l, " go ") != 3 || !c.ratio.MatchString(l) {
				t.Errorf("ours %d: line %q lacks a figure", c.ours, l)
			}
		}
	}
}

// TestHeldPackedGemm: the native kernels with B held packed give the native
// product's bits, and a second B at the same shape is packed anew.
func TestHeldPackedGemm(t *testing.T) {
	if !cpu.NativeSupported() {
		t.Skip("no native kernels on this processor")
	}
	g := cpu.NewNative(2)
	h := g.HeldPacked()
	const m, n, k = 37, 45, 70
	a, c1, c2 := make([]float32, m*k), make([]float32, m*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%13) - 6.5
	}
	for _, seed := range []int{1, 2} {
		b := make([]float32, n*k)
		for i := range b {
			b[i] = float32((i*seed)%11) / 7
		}
		for round := 0; round < 2; round++ {
			g.SgemmNT(m, n, k, a, k, b, k, c1, n, false)
			h.SgemmNT(m, n, k, a, k, b, k, c2, n, false)
			if !slices.Equal(c1, c2) {
				t.Fatalf("B %d, round %d: held-packed product differs", seed, round)
			}
		}
	}
}
