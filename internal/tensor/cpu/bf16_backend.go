package cpu

import (
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// bf16Products is the bf16 state of a backend opened for --precision bf16: the
// kernel (assembly where the processor has AVX512_BF16; tests also run the Go
// reference) and its scratch.
type bf16Products struct {
	asm  bool
	bufs sbgemmBufs
}

// product computes C = A·Wᵀ (+C) for the m×k float32 A and the bfloat16 weight w,
// with pre and post run on whole rows of C as sbgemm does.
func (p *bf16Products) product(m int, a []float32, lda int, w *bf16Weight, c []float32, ldc int, acc bool, threads int, pre, post func(r0, r1 int)) {
	sbgemm(p.asm, sbgemmOperands{m: m, a: a, lda: lda, w: w, c: c, ldc: ldc, acc: acc}, threads, &p.bufs, pre, post)
}

// BF16Supported reports whether this processor runs the bf16 products: amd64 with
// AVX-512F and AVX512_BF16 (and the native fp32 kernels for the rest), not capped
// below AVX-512 by KernelsEnv.
func BF16Supported() bool { return bf16Supported() && NativeSupported() && simdLevel >= simdAVX512 }

// NewBF16 returns a CPU backend on the native kernels whose Linear weights, uploaded
// with FromHostWeight, are held in bfloat16 and multiplied with float32
// accumulation; everything else is float32 as in fp32. It fails with
// tensor.ErrNoBF16 where the processor lacks AVX512_BF16.
func NewBF16(threads int) (*Backend, error) {
	if !BF16Supported() {
		return nil, tensor.ErrNoBF16
	}
	b := New(threads, NewNative(threads))
	b.bf16 = &bf16Products{asm: true}
	return b, nil
}

// OpenPrecision is Open for a precision: "fp32" (or "") is Open(kind); "bf16" needs
// the native kernels (kind auto or native) and AVX512_BF16, and fails with a
// *tensor.SpecError naming the flag's field otherwise.
func OpenPrecision(kind, precision string, threads int, log *slog.Logger) (tensor.Backend, error) {
	switch precision {
	case "", "fp32":
		return Open(kind, threads, log)
	case "bf16":
		if err := checkBF16(kind); err != nil {
			return nil, err
		}
		if log == nil {
			log = slog.Default()
		}
		b, err := NewBF16(threads)
		if err != nil {
			return nil, &tensor.SpecError{Field: "precision", Value: precision, Err: err}
		}
		log.Info("compute backend", "blas", "native", "kernels", simdLevelName(simdLevel), "precision", "bf16", "threads", threads)
		return b, nil
	}
	return nil, &tensor.SpecError{Field: "precision", Value: precision, Err: tensor.ErrPrecisionNeedsAccelerator}
}

// checkBF16 refuses bf16 with another matrix library than the native kernels, or
// on a processor without AVX512_BF16.
func checkBF16(kind string) error {
	switch kind {
	case "", "auto", "native":
	default:
		return &tensor.SpecError{Field: "blas", Value: kind, Err: tensor.ErrBF16NeedsNative}
	}
	if kernelsErr != nil {
		return &tensor.SpecError{Field: "environment", Value: KernelsEnv, Err: kernelsErr}
	}
	if bf16Supported() && simdLevel < simdAVX512 {
		return &tensor.SpecError{Field: "precision", Value: "bf16", Err: capped()}
	}
	if !BF16Supported() {
		return &tensor.SpecError{Field: "precision", Value: "bf16", Err: tensor.ErrNoBF16}
	}
	return nil
}

// MathPathPrecision is MathPath for a precision: bf16 is "cpu native dpbf16 bf16"
// (bfloat16 weights and activations, VDPBF16PS chains in float32).
func MathPathPrecision(kind, precision string) (string, error) {
	if precision != "bf16" {
		return MathPath(kind)
	}
	if err := checkBF16(kind); err != nil {
		return "", err
	}
	return "cpu native dpbf16 bf16", nil
}
