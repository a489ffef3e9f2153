package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/filehash"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// checkpointFlags are the resumability options predict and features share.
type checkpointFlags struct {
	resume, restart, off bool
	every                int
	interval             time.Duration
}

// runIdentityOf hashes the input and every model's files (by role) and records the
// result-relevant options, plus the architecture.
func runIdentityOf(tool, input string, models map[string]string, options map[string]string) (checkpoint.Identity, error) {
	in, err := filehash.File(input)
	if err != nil {
		return checkpoint.Identity{}, fmt.Errorf("input: %w", err)
	}
	options["arch"] = runtime.GOARCH
	id := checkpoint.Identity{Tool: tool, Inputs: []checkpoint.FileIdentity{in}, Models: map[string][]checkpoint.FileIdentity{}, Options: options}
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
func openCheckpointer(input, out string, f checkpointFlags, identity func() (checkpoint.Identity, error)) (*predict.Checkpointer, error) {
	if f.off {
		return nil, nil
	}
	if input == "-" {
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
	return predict.NewCheckpointer(store, f.every, f.interval), nil
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
