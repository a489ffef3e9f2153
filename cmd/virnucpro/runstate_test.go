package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/pipeline"
)

// TestRunOutcomeExitCodes: each worker-failure category ends the command with its
// documented exit code; other errors keep the generic one.
func TestRunOutcomeExitCodes(t *testing.T) {
	intr := checkpoint.NotifyInterrupt(context.Background())
	defer intr.Stop()
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	cases := []struct {
		err  error
		code int
	}{
		{&pipeline.WorkerError{Category: pipeline.FailureNumerical, Err: errors.New("nan")}, 4},
		{fmt.Errorf("window 3: %w", &pipeline.NumericalError{Model: "ESM-2", IDs: []string{"a"}}), 4},
		{&pipeline.WorkerError{Category: pipeline.FailureOutOfMemory, Err: errors.New("oom")}, 5},
		{&pipeline.WorkerError{Category: pipeline.FailureBackend, Err: errors.New("cuda")}, 6},
		{&pipeline.WorkerError{Category: pipeline.FailureGeneric, Err: errors.New("panic")}, 7},
		{errors.New("in.fa:3: bad letter"), 0},
		{nil, 0},
	}
	for _, c := range cases {
		got := runOutcome(intr, c.err, "out")
		var ee *exitError
		switch {
		case c.code == 0 && errors.As(got, &ee):
			t.Errorf("%v: exit %d, want the generic error", c.err, ee.code)
		case c.code == 0 && got != c.err:
			t.Errorf("%v: changed to %v", c.err, got)
		case c.code != 0 && (!errors.As(got, &ee) || ee.code != c.code):
			t.Errorf("%v: got %v, want exit %d", c.err, got, c.code)
		}
	}
}
