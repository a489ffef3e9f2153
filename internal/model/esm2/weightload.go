package esm2

import (
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// linearLoader uploads the Linear weights of a lazily loaded checkpoint one at a
// time. While the backend keeps its own (narrower) copy of each — the CPU in bf16 —
// every weight is widened into one reused float32 scratch, uploaded, and its mapped
// file pages released, so loading never holds more than one float32 weight besides
// what the backend keeps. Where the backend keeps the float32 values themselves,
// each weight is converted into its own memory, which the backend holds, as an
// eager load would.
type linearLoader struct {
	b       tensor.Backend
	scratch []float32
	// reuse: the backend copied the last weight (or none was uploaded yet and it
	// is a tensor.WeightHolder), so the scratch is free again.
	reuse bool
}

func newLinearLoader(b tensor.Backend) *linearLoader {
	_, holder := b.(tensor.WeightHolder)
	return &linearLoader{b: b, reuse: holder}
}

// upload converts t (its shape checked by the caller) and uploads it as a rows×cols
// Linear weight; a value that is not finite is an error naming file and tensor.
func (w *linearLoader) upload(file, name string, t *weights.Tensor, rows, cols int) (tensor.Tensor, error) {
	if !w.reuse {
		if err := (&weights.StateDict{File: file}).CheckFinite(name, t); err != nil {
			return nil, err
		}
		up, copied := tensor.FromHostWeight(w.b, t.Data, rows, cols)
		if copied {
			t.Release()
		}
		return up, nil
	}
	vals, err := t.MaterializeInto(w.scratch)
	if err != nil {
		return nil, err
	}
	up, copied := tensor.FromHostWeight(w.b, vals, rows, cols)
	t.Release()
	if copied {
		w.scratch = vals
	} else { // the backend holds vals: they are this weight's now
		w.scratch, w.reuse = nil, false
	}
	return up, nil
}
