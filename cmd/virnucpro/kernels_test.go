package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// TestShardsFromMixedKernelsMerge is a cluster whose nodes differ: the native
// kernels give the same bits at every instruction-set level, so the run identity does
// not name the level and shards computed with AVX2 and with AVX-512 merge. The test
// forces each level the processor has (cpu.KernelsEnv) on the binary: a whole run at
// each level, and a 2-way split whose shards use different levels, must all equal the
// run at the best level byte for byte.
func TestShardsFromMixedKernelsMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	levels := map[string][]string{"avx512": {"avx512", "avx2"}, "avx2": {"avx2"}}[cpu.Kernels()]
	if os.Getenv(cpu.KernelsEnv) != "" || len(levels) < 2 {
		t.Skipf("needs the native kernels at two levels (this process: %s, %s=%q)", cpu.Kernels(), cpu.KernelsEnv, os.Getenv(cpu.KernelsEnv))
	}
	bin, dir := virnucproBinary(t), t.TempDir()
	run := func(level, out string, extra ...string) {
		t.Helper()
		args := append([]string{"predict", filepath.Join("..", "..", "demo", "input.fasta"), "-o", out,
			"--esm", filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"), "--dnabert", filepath.Join(td, "dnabert_tiny"),
			"--classifier", filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth"), "--chunk-size", "500",
			"--no-progress", "-j", "2", "--blas", "native"}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), cpu.KernelsEnv+"="+level, "VIRNUCPRO_LOG_LEVEL=info")
		msg, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s=%s %v: %v\n%s", cpu.KernelsEnv, level, extra, err, msg)
		}
		if !strings.Contains(string(msg), "kernels="+level) {
			t.Fatalf("%s=%s: the run did not log kernels=%s:\n%s", cpu.KernelsEnv, level, level, msg)
		}
	}
	ref := filepath.Join(dir, "whole-"+levels[0])
	run(levels[0], ref)
	want := testutil.ReadTree(t, ref, ".virnucpro")
	for _, level := range levels[1:] {
		out := filepath.Join(dir, "whole-"+level)
		run(level, out)
		testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), "whole run with "+level+" vs "+levels[0])
	}
	shards := []string{filepath.Join(dir, "shard0"), filepath.Join(dir, "shard1")}
	run(levels[1], shards[0], "--shard", "0/2")
	run(levels[0], shards[1], "--shard", "1/2")
	merged := filepath.Join(dir, "merged")
	if _, err := runOut(t, append([]string{"merge", "-o", merged}, shards...)...); err != nil {
		t.Fatalf("merging shards of %s and %s: %v", levels[1], levels[0], err)
	}
	testutil.SameTree(t, want, testutil.ReadTree(t, merged, ".virnucpro"), "shards of mixed kernels merged vs the whole run")
}
