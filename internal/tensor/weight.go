package tensor

import "errors"

// WeightHolder is implemented by backends that may hold a Linear weight in their own
// storage and layout: the CPU backend packs it for its native kernels once (and in
// bf16 rounds it to bfloat16 first) instead of in every product.
type WeightHolder interface {
	// FromHostWeight is FromHost for a matrix used only as the weight of Linear,
	// of the Fuser methods and of ConcatRows (and read back with ToHost). copied
	// reports that the backend converted data into its own storage and keeps no
	// reference to it, so the caller may release it.
	FromHostWeight(data []float32, rows, cols int) (t Tensor, copied bool)
}

// WeightRefiller is implemented by WeightHolders that can overwrite a weight they
// hold with new values of the same shape, in its own storage. A model that streams
// its layers through one scratch (esm2.LoadStreamed) refills one layer's weights for
// the next instead of allocating, packing and dropping them for every layer of
// every batch.
type WeightRefiller interface {
	// RefillWeight packs data (rows×cols of t, row-major) into t, as
	// FromHostWeight would have; t must not be a ConcatRows stack.
	RefillWeight(t Tensor, data []float32)
}

// FromHostWeight uploads a Linear weight: b's FromHostWeight when b is a
// WeightHolder, else FromHost (which may alias data: copied is false).
func FromHostWeight(b Backend, data []float32, rows, cols int) (t Tensor, copied bool) {
	if h, ok := b.(WeightHolder); ok {
		return h.FromHostWeight(data, rows, cols)
	}
	return b.FromHost(data, rows, cols), false
}

// UploadWeight uploads the Linear weight *data with FromHostWeight and, when the
// backend keeps its own (narrower) copy, releases the float32 values at once
// (*data = nil), so that a model loaded in bf16 does not hold both copies of every
// layer.
func UploadWeight(b Backend, data *[]float32, rows, cols int) Tensor {
	t, copied := FromHostWeight(b, *data, rows, cols)
	if copied {
		*data = nil
	}
	return t
}

// ErrNoBF16 is returned for bf16 on a CPU without the AVX512_BF16 instructions (or
// not amd64): its bf16 products would be emulated, far slower than fp32.
var ErrNoBF16 = errors.New("bf16 on the CPU needs the AVX512_BF16 instructions (AMD Zen 4, Intel Cooper Lake, Sapphire Rapids and later); this processor has none")

// ErrBF16NeedsNative is returned for bf16 on the CPU with a matrix library other
// than the native kernels.
var ErrBF16NeedsNative = errors.New("bf16 on the CPU runs on the native kernels only")

// ErrKernels is a cap on the CPU kernels' instruction set (an environment variable
// the CPU driver names) that this processor cannot honour, or an unknown level.
var ErrKernels = errors.New("wants avx512, avx2 or generic, at most what the processor has")

// ErrKernelsCapped is a CPU math path refused because the kernels are capped (by the
// CPU driver's environment variable) below the instructions it needs.
var ErrKernelsCapped = errors.New("the CPU kernels are capped")
