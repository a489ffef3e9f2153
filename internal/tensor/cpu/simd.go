package cpu

import (
	"fmt"
	"os"
	"strings"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// Instruction-set levels of the element-wise kernels (GELU, softmax's exp, max and
// scale, bias and residual additions). Every level computes the same float32
// operations per element in the same order, so all give identical bits; a higher
// level only does more elements per instruction.
const (
	simdScalar = iota // plain Go
	simdAVX2          // 8 lanes (YMM)
	simdAVX512        // 16 lanes (ZMM), masked tails
)

// KernelsEnv names the environment variable that caps the instruction set of the
// CPU kernels for the whole process: avx512, avx2 or generic (plain Go, and the
// pure-Go matrix product: what a processor without AVX2+FMA, or arm64, runs). Like
// OpenBLAS's OPENBLAS_CORETYPE or MKL's MKL_ENABLE_INSTRUCTIONS it is read once at
// start-up. It exists so that every kernel path can be forced and checked on one
// machine: the native kernels give the same bits at every level (the run identity
// does not name the level, so shards from AVX2 and AVX-512 nodes merge), and CI runs
// the determinism tests under each.
const KernelsEnv = "VIRNUCPRO_CPU_KERNELS"

// capped is tensor.ErrKernelsCapped naming the variable and the level in force.
func capped() error {
	return fmt.Errorf("%w by %s at %s", tensor.ErrKernelsCapped, KernelsEnv, simdLevelName(simdLevel))
}

// simdLevel is the level the element-wise kernels use: the best the processor
// supports (the last of simdLevels), or lower as KernelsEnv asks. Tests lower it to
// check each path against the scalar reference on a machine that has them all.
// kernelsErr is a KernelsEnv value that could not be honoured: Open refuses to run.
var simdLevel, kernelsErr = levelFromEnv(os.Getenv(KernelsEnv), bestSIMDLevel())

// levelFromEnv is the level a KernelsEnv value asks for, capped by best: "" and
// "auto" keep best; a name above best or unknown is an error (and best is kept).
func levelFromEnv(v string, best int) (int, error) {
	want := best
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "auto":
		return best, nil
	case "avx512":
		want = simdAVX512
	case "avx2":
		want = simdAVX2
	case "generic", "go":
		want = simdScalar
	default:
		return best, fmt.Errorf("%s %w (got %q)", KernelsEnv, tensor.ErrKernels, v)
	}
	if want > best {
		return best, fmt.Errorf("%s %w (got %q; this processor runs at most %s)", KernelsEnv, tensor.ErrKernels, v, simdLevelName(best))
	}
	return want, nil
}

// Kernels names the kernel level in use ("avx512", "avx2" or "go"), for logs and
// tests.
func Kernels() string { return simdLevelName(simdLevel) }
