package testutil

import (
	"os"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// The determinism tests (workers, failure and resume, shards and merge, kill -9 and
// resume) compare runs made on one CPU math path with each other. These variables
// choose the path, so that CI can run them on every path the machine has (the
// native kernels' instruction-set level is chosen by cpu.KernelsEnv):
const (
	// BLASEnv is the --blas of the determinism tests: auto (the default), native,
	// go or openblas.
	BLASEnv = "VIRNUCPRO_TEST_BLAS"
	// PrecisionEnv is their --precision: fp32 (the default) or bf16.
	PrecisionEnv = "VIRNUCPRO_TEST_PRECISION"
)

// MathPathSpec is the CPU spec of a determinism test: BLASEnv and PrecisionEnv
// applied to threads. The test is skipped, saying why, when this machine cannot run
// that path (no OpenBLAS library, no AVX512_BF16), so that CI can ask for every path
// everywhere.
func MathPathSpec(t testing.TB, threads int) tensor.Spec {
	t.Helper()
	s := tensor.Spec{Device: "cpu", BLAS: "auto", Precision: "fp32", Threads: threads}
	if v := os.Getenv(BLASEnv); v != "" {
		s.BLAS = v
	}
	if v := os.Getenv(PrecisionEnv); v != "" {
		s.Precision = v
	}
	path, err := tensor.MathPath(s)
	if err != nil {
		t.Skipf("%s=%q %s=%q: this machine cannot run that path: %v", BLASEnv, s.BLAS, PrecisionEnv, s.Precision, err)
	}
	t.Logf("math path: %s", path)
	return s
}

// MathPathFlags is MathPathSpec as command-line flags.
func MathPathFlags(t testing.TB) []string {
	t.Helper()
	s := MathPathSpec(t, 1)
	return []string{"--blas", s.BLAS, "--precision", s.Precision}
}
