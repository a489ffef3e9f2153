package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/merge"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/readlabel"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// The libraries describe a problem in words and with a sentinel error; the command
// adds the flags that fix it, here in one place.
var flagAdvices = []struct {
	err    error
	advice string
}{
	{checkpoint.ErrRunExists, "pass --resume to continue it or --restart to discard it"},
	{checkpoint.ErrDifferentRun, "use --restart to discard it, or another output directory"},
	{checkpoint.ErrDamaged, "use --restart to discard it (the work will be recomputed)"},
	{checkpoint.ErrCompleted, "run the same command to verify its outputs, or pass --restart to recompute it"},
	{esm2.ErrReprLayer, "set --repr-layer to -1 (the last layer) or a layer the model has"},
	{esm2.ErrPooling, "see --pool"},
	{predict.ErrChunkSize, "see --chunk-size"},
	{predict.ErrShardSpec, "see --shard"},
	{predict.ErrShardStdin, "see --shard"},
	{predict.ErrNoShardResult, "predict --shard i/N writes it when the shard completes; run that shard's command again to finish it"},
	{merge.ErrIncomplete, "run predict --shard i/N for each missing shard, then merge all N directories"},
	{report.ErrPlotsDir, "choose another -o, or --plot-top 0 for no plots"},
	{seqout.ErrMinTier, "see --min-tier"},
	{readlabel.ErrUnknownFormat, "give --format"},
	{store.ErrTooLarge, "if the file is genuine, raise the cap with --max-size"},
	{store.ErrStalled, "see --idle-timeout"},
	{store.ErrDeadline, "see --deadline"},
	{store.ErrOffline, "or point virnucpro elsewhere: --mirror URL|DIR, or per origin --base-url-esm, --base-url-hf, --base-url-classifier"},
	{store.ErrNotFound, "check the base URL or mirror: --base-url-esm, --base-url-hf, --base-url-classifier, --mirror"},
	{store.ErrNoClassifier, "give --classifier, or use --chunk-size 300 or 500"},
	{tensor.ErrNoBF16, "use --precision fp32 on this processor"},
	{tensor.ErrBF16NeedsNative, "use --blas auto (or native) with --precision bf16"},
	{tensor.ErrKernels, "unset it to use the best kernels this processor has"},
	{tensor.ErrKernelsCapped, "unset the variable or raise it, or choose another --blas/--precision"},
}

// optionNamer is a library error about one option's value; the command names the flag.
type optionNamer interface{ OptionName() string }

// withFlagAdvice returns err with the advice on the flags that fix it, if any.
func withFlagAdvice(err error) error {
	if err == nil {
		return nil
	}
	for _, a := range flagAdvices {
		if errors.Is(err, a.err) {
			return fmt.Errorf("%w; %s", err, a.advice)
		}
	}
	var se *tensor.SpecError
	if errors.As(err, &se) {
		return fmt.Errorf("%w (see --%s)", err, se.Field)
	}
	var on optionNamer
	if errors.As(err, &on) {
		return fmt.Errorf("%w (see --%s)", err, on.OptionName())
	}
	return err
}

// adviseFlags makes every command of the tree (c and below) return its errors with
// flag advice.
func adviseFlags(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error { return withFlagAdvice(run(cmd, args)) }
	}
	if pre := c.PreRunE; pre != nil {
		c.PreRunE = func(cmd *cobra.Command, args []string) error { return withFlagAdvice(pre(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		adviseFlags(sub)
	}
}
