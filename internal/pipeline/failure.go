package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// FailureCategory classifies why an inference worker failed.
type FailureCategory int

// The failure categories, each ending a run with its own exit code (see the README).
const (
	// FailureGeneric is any other failure of a worker (including a crash of the
	// model code, reported with its stack).
	FailureGeneric FailureCategory = iota
	// FailureOutOfMemory: a batch did not fit even after halving the token budget
	// down to a single sequence.
	FailureOutOfMemory
	// FailureNumerical: an embedding held NaN or Inf (numerical instability).
	FailureNumerical
	// FailureBackend: the compute backend or its runtime reported an error (driver,
	// kernel launch, library).
	FailureBackend
)

// String is the category's name in logs and messages.
func (c FailureCategory) String() string {
	switch c {
	case FailureOutOfMemory:
		return "out-of-memory"
	case FailureNumerical:
		return "numerical-instability"
	case FailureBackend:
		return "backend-error"
	default:
		return "worker-failure"
	}
}

// WorkerError is a classified failure of one inference worker. The run stops after
// committing every window completed before it; the failed batch's work is redone
// when the run is resumed.
type WorkerError struct {
	// Worker is the 0-based worker number and Device its backend.
	Worker int
	Device string
	// Model is the encoder that failed ("DNABERT-S", "ESM-2").
	Model    string
	Category FailureCategory
	// IDs are frames of the failed batch (all of them for a numerical failure, the
	// first few otherwise).
	IDs []string
	// Advice tells the user what to change, when something can be.
	Advice string
	Err    error
}

func (e *WorkerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failure: worker %d", e.Category, e.Worker)
	if e.Device != "" {
		fmt.Fprintf(&b, " (%s)", e.Device)
	}
	fmt.Fprintf(&b, ", %s", e.Model)
	if len(e.IDs) > 0 {
		ids, more := e.IDs, ""
		if len(ids) > 5 {
			ids, more = ids[:5], fmt.Sprintf(" and %d more", len(ids)-5)
		}
		fmt.Fprintf(&b, " on %s%s", strings.Join(ids, ", "), more)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Advice != "" {
		b.WriteString("; " + e.Advice)
	}
	return b.String()
}

func (e *WorkerError) Unwrap() error { return e.Err }

// CategoryOf returns the failure category of a run's error and whether it is a
// worker failure at all (input and option errors are not).
func CategoryOf(err error) (FailureCategory, bool) {
	var we *WorkerError
	if errors.As(err, &we) {
		return we.Category, true
	}
	var ne *NumericalError
	if errors.As(err, &ne) {
		return FailureNumerical, true
	}
	return FailureGeneric, false
}

// classify turns an encoder's error into its category.
func classify(err error) FailureCategory {
	var ne *NumericalError
	switch {
	case errors.Is(err, tensor.ErrOutOfMemory):
		return FailureOutOfMemory
	case errors.As(err, &ne), errors.Is(err, tensor.ErrNonFinite):
		return FailureNumerical
	case errors.As(err, new(*panicError)):
		return FailureGeneric
	default:
		return FailureBackend
	}
}

// panicError is a recovered panic of a worker.
type panicError struct {
	value any
	stack string
}

func (p *panicError) Error() string {
	return fmt.Sprintf("worker crashed: %v\n%s", p.value, p.stack)
}
