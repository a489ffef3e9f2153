package train

import (
	"context"
	"fmt"
	"math"

	"github.com/virnucpro/virnucpro/internal/model/mlp"
)

// EvaluateClassifier scores an inference classifier (as predict loads it) on every
// row of s, in batches of batch rows through mlp.Classifier.Classify, so the numbers
// describe exactly what predict computes. The loss is the mean cross-entropy over
// rows (probabilities clamped at the smallest float32 above 0).
func EvaluateClassifier(ctx context.Context, c *mlp.Classifier, s *Set, batch int) (Metrics, error) {
	if c.InputDim() != s.Dim {
		return Metrics{}, fmt.Errorf("classifier takes %d features; the features have width %d", c.InputDim(), s.Dim)
	}
	if s.Len() == 0 {
		return Metrics{}, fmt.Errorf("no rows to evaluate")
	}
	if batch < 1 {
		batch = 256
	}
	n := s.Len()
	preds := make([]int, n)
	scores := make([]float64, n)
	var loss float64
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return Metrics{}, err
		}
		hi := min(lo+batch, n)
		probs, err := c.Classify(s.X[lo*s.Dim:hi*s.Dim], hi-lo)
		if err != nil {
			return Metrics{}, err
		}
		for b := 0; b < hi-lo; b++ {
			p0, p1 := float64(probs[2*b]), float64(probs[2*b+1])
			preds[lo+b] = Predict(p0, p1)
			scores[lo+b] = p1
			py := p0
			if s.Labels[lo+b] == ClassViral {
				py = p1
			}
			loss -= math.Log(max(py, math.SmallestNonzeroFloat32))
		}
	}
	m, err := ComputeMetrics(s.Labels, preds, scores)
	m.Loss = loss / float64(n)
	return m, err
}

// Save writes the model as the inference classifier (float32 safetensors with the
// original state_dict names), loadable by predict --classifier.
func (m *Model) Save(path string) error {
	if err := m.Classifier().Save(path); err != nil {
		return fmt.Errorf("save classifier %s: %w", path, err)
	}
	return nil
}
