package cuda

import (
	"fmt"
	"strings"
)

// Precision is the storage type of a CUDA backend's tensors. Arithmetic is
// always accumulated in float32 (float64 for mean pooling).
type Precision int

const (
	// FP32 stores float32 and runs GEMMs in true FP32 (no TF32).
	FP32 Precision = iota
	// FP16 stores IEEE half; GEMMs on tensor cores with FP32 accumulation.
	FP16
	// BF16 stores bfloat16; GEMMs on tensor cores with FP32 accumulation.
	BF16
)

// ParsePrecision accepts fp32|float32, fp16|half|float16 and bf16|bfloat16.
func ParsePrecision(s string) (Precision, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "fp32", "float32", "f32":
		return FP32, nil
	case "fp16", "half", "float16", "f16":
		return FP16, nil
	case "bf16", "bfloat16":
		return BF16, nil
	}
	return FP32, fmt.Errorf("precision %q: want fp32, fp16 or bf16", s)
}

// String returns "fp32", "fp16" or "bf16".
func (p Precision) String() string {
	switch p {
	case FP16:
		return "fp16"
	case BF16:
		return "bf16"
	}
	return "fp32"
}

func (p Precision) elemSize() int {
	if p == FP32 {
		return 4
	}
	return 2
}

func (p Precision) kernelSuffix() string {
	switch p {
	case FP16:
		return "f16"
	case BF16:
		return "bf16"
	}
	return "f32"
}

func (p Precision) cudaType() int {
	switch p {
	case FP16:
		return cudaR16F
	case BF16:
		return cudaR16BF
	}
	return cudaR32F
}
