package cpu

import (
	"errors"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// TestLevelFromEnv: every KernelsEnv value, against every best level a processor
// may have: names map to their level, "" and auto keep the best, a level above the
// processor's or an unknown name is ErrKernels (and the best is kept).
func TestLevelFromEnv(t *testing.T) {
	for _, c := range []struct {
		v    string
		best int
		want int
		err  bool
	}{
		{"", simdAVX512, simdAVX512, false},
		{"auto", simdAVX2, simdAVX2, false},
		{"avx512", simdAVX512, simdAVX512, false},
		{" AVX2 ", simdAVX512, simdAVX2, false},
		{"generic", simdAVX512, simdScalar, false},
		{"go", simdAVX2, simdScalar, false},
		{"generic", simdScalar, simdScalar, false},
		{"avx512", simdAVX2, simdAVX2, true},
		{"avx2", simdScalar, simdScalar, true},
		{"sse4", simdAVX512, simdAVX512, true},
	} {
		got, err := levelFromEnv(c.v, c.best)
		if got != c.want || (err != nil) != c.err || (err != nil && !errors.Is(err, tensor.ErrKernels)) {
			t.Errorf("levelFromEnv(%q, %s) = %s, %v; want %s, error %v", c.v, simdLevelName(c.best), simdLevelName(got), err, simdLevelName(c.want), c.err)
		}
	}
}

// TestKernelsEnvRefusals: a KernelsEnv value that could not be honoured stops Open,
// MathPath and bf16 with ErrKernels; a cap below AVX2 refuses --blas native and a
// cap below AVX-512 refuses bf16 with tensor.ErrKernelsCapped, while auto falls back to the
// go kernels.
func TestKernelsEnvRefusals(t *testing.T) {
	savedLevel, savedErr := simdLevel, kernelsErr
	defer func() { simdLevel, kernelsErr = savedLevel, savedErr }()

	simdLevel, kernelsErr = levelFromEnv("sse4", bestSIMDLevel())
	if _, err := Open("auto", 1, nil); !errors.Is(err, tensor.ErrKernels) {
		t.Errorf("Open with a bad %s: %v", KernelsEnv, err)
	}
	if _, err := MathPathPrecision("auto", "fp32"); !errors.Is(err, tensor.ErrKernels) {
		t.Errorf("MathPath with a bad %s: %v", KernelsEnv, err)
	}
	if _, err := OpenPrecision("auto", "bf16", 1, nil); !errors.Is(err, tensor.ErrKernels) {
		t.Errorf("bf16 with a bad %s: %v", KernelsEnv, err)
	}

	simdLevel, kernelsErr = simdScalar, nil
	if b, err := Open("auto", 1, nil); err != nil || nameOf(b) != "go" {
		t.Errorf("auto capped at generic: %v, %v; want the go kernels", nameOf(b), err)
	}
	if p, err := MathPath("auto"); err != nil || p != "cpu go fp32" {
		t.Errorf("auto capped at generic: identity %q, %v", p, err)
	}
	if !nativeGemmSupported() || bestSIMDLevel() < simdAVX2 {
		t.Skip("this processor has no native kernels to cap")
	}
	if _, err := Open("native", 1, nil); !errors.Is(err, tensor.ErrKernelsCapped) {
		t.Errorf("native capped at generic: %v", err)
	}
	if bf16Supported() {
		simdLevel = simdAVX2
		if _, err := OpenPrecision("auto", "bf16", 1, nil); !errors.Is(err, tensor.ErrKernelsCapped) {
			t.Errorf("bf16 capped at avx2: %v", err)
		}
	}
}
