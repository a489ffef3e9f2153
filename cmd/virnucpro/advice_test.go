package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/merge"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/readlabel"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// TestFlagAdvice: library errors carry no flag names; the command names the flags
// that fix them, and the errors still match their sentinels.
func TestFlagAdvice(t *testing.T) {
	for _, c := range []struct {
		err      error
		sentinel error
		want     string
	}{
		{fmt.Errorf("out already holds a run: %w", checkpoint.ErrRunExists), checkpoint.ErrRunExists, "pass --resume to continue it or --restart to discard it"},
		{&checkpoint.MismatchError{Dir: "out", Differences: []string{"input"}}, checkpoint.ErrDifferentRun, "--restart"},
		{fmt.Errorf("load: %w", esm2.ErrReprLayer), esm2.ErrReprLayer, "--repr-layer"},
		{&tensor.SpecError{Field: "precision", Value: "fp16", Err: tensor.ErrPrecisionNeedsAccelerator}, tensor.ErrPrecisionNeedsAccelerator, "(see --precision)"},
		{&tensor.SpecError{Field: "precision", Value: "bf16", Err: tensor.ErrNoBF16}, tensor.ErrNoBF16, "use --precision fp32"},
		{&tensor.SpecError{Field: "blas", Value: "go", Err: tensor.ErrBF16NeedsNative}, tensor.ErrBF16NeedsNative, "--blas auto"},
		{&exitError{code: 5, err: fmt.Errorf("x: %w", predict.ErrChunkSize)}, predict.ErrChunkSize, "see --chunk-size"},
		{fmt.Errorf("d: %w: not a finished shard", predict.ErrNoShardResult), predict.ErrNoShardResult, "predict --shard i/N"},
		{fmt.Errorf("%w: shard(s) 1/3 missing", merge.ErrIncomplete), merge.ErrIncomplete, "predict --shard i/N"},
		{fmt.Errorf("out/plots holds x: %w", report.ErrPlotsDir), report.ErrPlotsDir, "--plot-top 0"},
		{fmt.Errorf("%w \"great\"", seqout.ErrMinTier), seqout.ErrMinTier, "--min-tier"},
		{fmt.Errorf("a.txt: %w", readlabel.ErrUnknownFormat), readlabel.ErrUnknownFormat, "--format"},
		{&readlabel.OptionError{Option: "min-mapq", Value: "-1", Reason: "want >= 0"}, nil, "(see --min-mapq)"},
		{fmt.Errorf("download u: %w: more than 5 bytes", store.ErrTooLarge), store.ErrTooLarge, "--max-size"},
		{fmt.Errorf("%w: less than 1024 bytes arrived in 1s", store.ErrStalled), store.ErrStalled, "--idle-timeout"},
		{fmt.Errorf("x: %w", store.ErrDeadline), store.ErrDeadline, "--deadline"},
		{fmt.Errorf("download u: %w (dial tcp: refused)", store.ErrOffline), store.ErrOffline, "--base-url-classifier"},
		{fmt.Errorf("download u: 404: %w", store.ErrNotFound), store.ErrNotFound, "--mirror"},
		{fmt.Errorf("%w for 400 bp chunks", store.ErrNoClassifier), store.ErrNoClassifier, "--classifier"},
	} {
		if c.sentinel == nil {
			c.sentinel = c.err
		}
		got := withFlagAdvice(c.err)
		if !strings.Contains(got.Error(), c.want) || !errors.Is(got, c.sentinel) {
			t.Errorf("%v: got %q, want it to mention %q and match %v", c.err, got, c.want, c.sentinel)
		}
		if strings.Contains(c.err.Error(), "--") {
			t.Errorf("the library error %q names a flag", c.err)
		}
	}
	var ee *exitError
	if got := withFlagAdvice(&exitError{code: 5, err: predict.ErrChunkSize}); !errors.As(got, &ee) || ee.code != 5 {
		t.Errorf("the exit code is lost: %v", got)
	}
	plain := errors.New("in.fa:3: bad letter")
	if withFlagAdvice(plain) != plain || withFlagAdvice(nil) != nil {
		t.Error("an error without advice was changed")
	}
	// Through the command line: a precision the CPU cannot compute in.
	cpuPredict := func(flags ...string) error {
		args := append([]string{"predict", "../../demo/input.fasta", "-o", t.TempDir(), "--no-checkpoint", "--device", "cpu"}, flags...)
		_, err := runOut(t, append(args, testModelFlags()...)...)
		return err
	}
	if err := cpuPredict("--precision", "fp16"); err == nil || !strings.Contains(err.Error(), "needs a GPU") || !strings.Contains(err.Error(), "--precision") {
		t.Errorf("predict --device cpu --precision fp16: %v", err)
	}
	// bf16: on the native kernels where the processor has AVX512_BF16, refused
	// naming the instructions elsewhere; refused with another matrix library.
	err := cpuPredict("--precision", "bf16")
	if cpu.BF16Supported() && err != nil {
		t.Errorf("predict --device cpu --precision bf16 on a processor with AVX512_BF16: %v", err)
	}
	if !cpu.BF16Supported() && (!errors.Is(err, tensor.ErrNoBF16) || !strings.Contains(err.Error(), "--precision fp32")) {
		t.Errorf("predict --device cpu --precision bf16 without AVX512_BF16: %v", err)
	}
	err = cpuPredict("--precision", "bf16", "--blas", "go")
	if !errors.Is(err, tensor.ErrBF16NeedsNative) || !strings.Contains(err.Error(), "--blas auto") {
		t.Errorf("predict --device cpu --precision bf16 --blas go: %v", err)
	}
}

// testModelFlags are the tiny models' flags, from this package's directory.
func testModelFlags() []string {
	return []string{"--esm", "../../testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt", "--dnabert", "../../testdata/dnabert_tiny",
		"--classifier", "../../testdata/virnucpro_e2e_tiny/mlp/model.pth"}
}

// TestOldDedupCacheFlagStillRuns: --dedup-cache counted entries before the cache was
// sized in memory; a command line that still gives it runs, told what replaced it.
func TestOldDedupCacheFlagStillRuns(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	var stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append([]string{"predict", "../../demo/input.fasta", "-o", t.TempDir(), "--no-checkpoint", "-q",
		"--no-progress", "--plot-top", "0", "--dedup-cache", "50000"}, testModelFlags()...))
	root.SetOut(io.Discard)
	root.SetErr(&stderr)
	if err := root.Execute(); err != nil {
		t.Fatalf("predict --dedup-cache 50000: %v", err)
	}
	if !strings.Contains(stderr.String(), "--dedup-cache counted entries and is ignored") {
		t.Errorf("no word of what replaced --dedup-cache: %q", stderr.String())
	}
}
