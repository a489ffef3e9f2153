package checkpoint

import "errors"

// The refusals of Open, which the command turns into advice on its flags.
var (
	// ErrRunExists: the directory holds a run and resuming was not asked for.
	ErrRunExists = errors.New("resuming was not asked for")
	// ErrDifferentRun: the directory holds a run of another identity (*MismatchError).
	ErrDifferentRun = errors.New("the checkpoint belongs to another run")
	// ErrDamaged: the checkpoint or completion record cannot be used; only starting
	// over helps.
	ErrDamaged = errors.New("the checkpoint cannot be used")
	// ErrCompleted: the directory holds a completed run (*CompleteError).
	ErrCompleted = errors.New("the run is complete")
)
