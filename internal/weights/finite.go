package weights

import (
	"fmt"
	"math"
)

// CheckFinite refuses a tensor holding NaN or ±Inf, naming the file, the tensor and
// the first bad element: such a weight makes every score NaN.
func (s *StateDict) CheckFinite(name string, t *Tensor) error {
	for i, v := range t.Data {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return fmt.Errorf("%s: tensor %q holds %v at element %d; model weights must be finite", s.File, name, v, i)
		}
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
