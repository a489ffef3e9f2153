package tensor

import (
	"errors"
	"fmt"
	"math"
)

// Syncer is implemented by backends whose operations run asynchronously and
// can fail after the call that queued them (GPU backends). Sync waits for all
// queued work and returns the first error since the previous Sync.
type Syncer interface {
	Sync() error
}

// FiniteChecker is implemented by backends that can test a tensor for NaN and
// Inf without copying it to the host.
type FiniteChecker interface {
	CheckFinite(t Tensor) error
}

// ErrNonFinite reports a NaN or Inf in a checked tensor.
var ErrNonFinite = errors.New("NaN or Inf in model output")

// Sync waits for b's queued work when b is asynchronous and returns the first
// pending error; it returns nil at once for synchronous backends.
func Sync(b Backend) error {
	if s, ok := b.(Syncer); ok {
		return s.Sync()
	}
	return nil
}

// CheckFinite returns an error wrapping ErrNonFinite when t holds a NaN or
// Inf (the per-batch numerical-instability check), or a pending backend error.
func CheckFinite(b Backend, t Tensor) error {
	if c, ok := b.(FiniteChecker); ok {
		if err := c.CheckFinite(t); err != nil {
			if errors.Is(err, ErrNonFinite) {
				return err
			}
			return fmt.Errorf("%s: %w", b.Name(), err)
		}
		return nil
	}
	if err := Sync(b); err != nil {
		return err
	}
	buf := make([]float32, t.Rows()*t.Cols())
	b.ToHost(buf, t)
	for i, v := range buf {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: row %d col %d = %v: %w", b.Name(), i/t.Cols(), i%t.Cols(), v, ErrNonFinite)
		}
	}
	return nil
}

// ErrOutOfMemory reports that a backend could not allocate the memory a batch needs;
// the caller may retry with a smaller batch (after Sync on asynchronous backends).
var ErrOutOfMemory = errors.New("out of memory")
