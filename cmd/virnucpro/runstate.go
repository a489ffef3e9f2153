package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/filehash"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// checkpointFlags are the resumability options predict and features share.
type checkpointFlags struct {
	resume, restart, off bool
	every                int
	interval             time.Duration
}

// runIdentityOf hashes the input and every model's files (by role) and records the
// result-relevant options, plus the architecture and the math spec computes with.
func runIdentityOf(tool string, inputs []string, models map[string]string, options map[string]string, spec tensor.Spec) (checkpoint.Identity, error) {
	if _, err := fasta.CheckInputs(inputs); err != nil {
		return checkpoint.Identity{}, err
	}
	math, err := tensor.MathPath(spec)
	if err != nil {
		return checkpoint.Identity{}, err
	}
	options["arch"] = runtime.GOARCH
	id := checkpoint.Identity{Tool: tool, Models: map[string][]checkpoint.FileIdentity{}, Options: options, Math: math}
	for _, input := range inputs {
		in, err := filehash.File(input)
		if err != nil {
			return checkpoint.Identity{}, fmt.Errorf("input %s: %w", input, err)
		}
		id.Inputs = append(id.Inputs, in)
	}
	for role, p := range models {
		files, err := weights.ModelFiles(p)
		if err != nil {
			return id, fmt.Errorf("%s model: %w", role, err)
		}
		ids, err := filehash.Files(files)
		if err != nil {
			return id, err
		}
		for i := range ids {
			ids[i].Path, _ = filepath.Abs(ids[i].Path)
		}
		id.Models[role] = ids
	}
	return id, nil
}

// openCheckpointer opens (or resumes) out's checkpoint for a run of identity id;
// it returns nil when checkpointing is off.
func openCheckpointer(ctx context.Context, inputs []string, out string, f checkpointFlags, identity func() (checkpoint.Identity, error)) (*predict.Checkpointer, error) {
	if f.off {
		return nil, nil
	}
	if slices.Contains(inputs, "-") {
		return nil, errors.New("checkpointing needs a file input, not stdin: pass a file, or --no-checkpoint")
	}
	id, err := identity()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	store, err := checkpoint.Open(out, id, checkpoint.OpenOptions{Resume: f.resume, Restart: f.restart})
	if err != nil {
		return nil, err
	}
	c := predict.NewCheckpointer(store, f.every, f.interval)
	c.AfterCommit = pauseAfterCommitHook(ctx, os.Getenv(pauseAfterCommitEnv), os.Stderr)
	return c, nil
}

// pauseAfterCommitEnv names the process tests' hook: set to N, a checkpointed run
// pauses after its Nth committed shard, says so on standard error (pausedMarker) and
// waits for a signal, so a test stops it at a known point instead of polling.
const pauseAfterCommitEnv = "VIRNUCPRO_TEST_PAUSE_AFTER_COMMIT"

// pausedMarker is the line the paused run writes, followed by the commit number.
const pausedMarker = "virnucpro: test hook: paused after commit "

// pauseAfterCommitHook returns the hook for the value of pauseAfterCommitEnv (nil
// when it is unset or not a positive number): after commit n it writes the marker to
// w and blocks until ctx (the run's interrupt context) is done.
func pauseAfterCommitHook(ctx context.Context, value string, w io.Writer) func(int) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 {
		return nil
	}
	return func(commits int) {
		if commits == n {
			fmt.Fprintf(w, "%s%d\n", pausedMarker, n)
			<-ctx.Done()
		}
	}
}

// runOutcome maps a finished run to the command's error and exit code: 130/143
// after a signal (work committed, resumable), and one code per worker-failure
// category (exitCodeOf) after committing everything that completed.
func runOutcome(intr *checkpoint.Interrupt, err error, out string) error {
	log := slog.Default()
	if code := intr.ExitCode(); code != 0 {
		log.Warn("interrupted: committed work is saved; run the same command again to resume", "output", out)
		return &exitError{code: code, err: fmt.Errorf("interrupted by signal (exit %d)", code)}
	}
	if cat, ok := pipeline.CategoryOf(err); ok {
		code := exitCodeOf(cat)
		log.Error("worker failure", "category", cat.String(), "exit_code", code, "output", out,
			"hint", "completed work is committed; fix the cause and run the same command again to resume")
		if cat == pipeline.FailureOutOfMemory {
			err = fmt.Errorf("%w (see --device, --precision, --max-tokens)", err)
		}
		return &exitError{code: code, err: err}
	}
	return err
}

// Exit codes of predict and features (documented in the README).
const (
	exitNumerical   = 4 // NaN/Inf embeddings
	exitOutOfMemory = 5 // a batch did not fit even as a single sequence
	exitBackend     = 6 // the compute backend or its runtime failed
	exitWorker      = 7 // any other worker failure (including a crash of the model code)
)

// exitCodeOf is the exit code of a worker-failure category.
func exitCodeOf(c pipeline.FailureCategory) int {
	switch c {
	case pipeline.FailureNumerical:
		return exitNumerical
	case pipeline.FailureOutOfMemory:
		return exitOutOfMemory
	case pipeline.FailureBackend:
		return exitBackend
	default:
		return exitWorker
	}
}

// addCheckpointFlags registers --resume, --restart, --no-checkpoint,
// --checkpoint-every and --checkpoint-interval.
func addCheckpointFlags(fs *pflag.FlagSet, f *checkpointFlags) {
	fs.BoolVar(&f.resume, "resume", true, "continue a run of the same identity found in the output directory")
	fs.BoolVar(&f.restart, "restart", false, "discard any run found in the output directory and start over")
	fs.BoolVar(&f.off, "no-checkpoint", false, "do not checkpoint (an interrupted run starts over)")
	fs.IntVar(&f.every, "checkpoint-every", 8192, "commit a checkpoint shard every N frames")
	fs.DurationVar(&f.interval, "checkpoint-interval", 5*time.Minute, "commit a checkpoint shard at least this often")
}
