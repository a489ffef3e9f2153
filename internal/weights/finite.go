package weights

import "fmt"

// CheckFinite refuses a tensor holding NaN or ±Inf, naming the file, the tensor and
// the first bad element: such a weight makes every score NaN. Tensors widened from
// float16 or bfloat16 were checked as they were converted; others are scanned (in
// parallel, with SIMD where the processor has it). A lazy tensor is materialized
// first.
func (s *StateDict) CheckFinite(name string, t *Tensor) error {
	if err := t.Materialize(); err != nil {
		return err
	}
	if t.finite {
		return nil
	}
	if i := FirstNonFinite(t.Data); i >= 0 {
		return fmt.Errorf("%s: tensor %q holds %v at element %d; model weights must be finite", s.File, name, t.Data[i], i)
	}
	return nil
}

// GetFinite is Get followed by CheckFinite.
func (s *StateDict) GetFinite(name string, shape ...int) (*Tensor, error) {
	t, err := s.Get(name, shape...)
	if err != nil {
		return nil, err
	}
	if err := s.CheckFinite(name, t); err != nil {
		return nil, err
	}
	return t, nil
}
