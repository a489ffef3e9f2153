package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/tensor"
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
}

// withFlagAdvice returns err with the advice on the flags that fix it, if any.
func withFlagAdvice(err error) error {
	if err == nil {
		return nil
	}
	var se *tensor.SpecError
	if errors.As(err, &se) {
		return fmt.Errorf("%w (see --%s)", err, se.Field)
	}
	for _, a := range flagAdvices {
		if errors.Is(err, a.err) {
			return fmt.Errorf("%w; %s", err, a.advice)
		}
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
