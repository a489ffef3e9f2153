package cpu

import (
	"fmt"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

var (
	_ tensor.WeightHolder   = (*Backend)(nil)
	_ tensor.WeightRefiller = (*Backend)(nil)
)

// FromHostWeight implements tensor.WeightHolder. In bf16 the weight is rounded to
// bfloat16 (nearest, ties to even) and packed for the kernel; on the native fp32
// kernels it is packed for them (f32Weight); in both cases data is not kept. With
// another matrix library it is FromHost.
func (b *Backend) FromHostWeight(data []float32, rows, cols int) (tensor.Tensor, bool) {
	if b.bf16 == nil && b.native == nil {
		return b.FromHost(data, rows, cols), false
	}
	if len(data) != rows*cols {
		panic(fmt.Sprintf("cpu backend: FromHostWeight with %d values for %d×%d", len(data), rows, cols))
	}
	if b.bf16 != nil {
		return &Matrix{rows: rows, cols: cols, bf: newBF16Weight(data, rows, cols, b.threads)}, true
	}
	return &Matrix{rows: rows, cols: cols, packed: newF32Weight(data, rows, cols, simdLevel, b.threads)}, true
}

// RefillWeight implements tensor.WeightRefiller: t's packed (or bfloat16) panels
// are overwritten with data's values, as FromHostWeight would have packed them.
func (b *Backend) RefillWeight(t tensor.Tensor, data []float32) {
	m := mat(t)
	if len(data) != m.rows*m.cols {
		panic(fmt.Sprintf("cpu backend: RefillWeight with %d values for %d×%d", len(data), m.rows, m.cols))
	}
	switch {
	case m.bf != nil:
		m.bf.fill(data, b.threads)
	case m.packed != nil:
		m.packed.fill(data, b.threads)
	case m.parts != nil:
		panic("cpu backend: RefillWeight of a ConcatRows stack")
	default:
		if len(data) > 0 && &m.data[0] != &data[0] {
			copy(m.data, data)
		}
	}
}
