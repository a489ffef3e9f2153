package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestBenchArguments covers the bench command's cheap paths (a full run takes
// seconds of CPU at the real shapes, so it is left to manual use): a bad --blas is
// refused, and the memory-measurement child loads a model and prints its peak RSS.
func TestBenchArguments(t *testing.T) {
	for _, c := range []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{[]string{"bench", "--blas", "mkl"}, "--blas", ""},
		{[]string{"bench", "rss-child", filepath.Join("..", "..", "testdata", "esm2_tiny", "hf")}, "", "VmHWM "},
		{[]string{"bench", "rss-child", "/nonexistent"}, "nonexistent", ""},
		{[]string{"bench", "esm2-3b", "--checkpoint", filepath.Join("..", "..", "testdata", "esm2_tiny", "esm2_t3_tiny_UR50D.pt")}, "", "load + embed"},
		{[]string{"bench", "esm2-3b", "--load-only", "--checkpoint", "/nonexistent.pt"}, "nonexistent", ""},
		bf16ESM3BCase(),
	} {
		out, err := runOut(t, c.args...)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case !strings.Contains(out, c.wantOut):
			t.Errorf("%v: output %q lacks %q", c.args, out, c.wantOut)
		}
	}
}

// bf16ESM3BCase: bench esm2-3b --precision bf16 measures in bf16 where the CPU has
// AVX512_BF16 and is refused, naming the flag to change, where it has not.
func bf16ESM3BCase() (c struct {
	args    []string
	wantErr string
	wantOut string
}) {
	c.args = []string{"bench", "esm2-3b", "--precision", "bf16", "--checkpoint", filepath.Join("..", "..", "testdata", "esm2_tiny", "esm2_t3_tiny_UR50D.pt")}
	if cpu.BF16Supported() {
		c.wantOut = "backend native, bf16"
	} else {
		c.wantErr = "--precision fp32"
	}
	return c
}
