package main

import (
	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// newDevicesCmd builds `devices`: the accelerators this binary can use, or why none
// is usable.
func newDevicesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "devices",
		Short: "List usable GPUs (name, memory, compute capability, driver) or explain why there are none",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return tensor.Describe(cmd.OutOrStdout())
		},
	}
}
