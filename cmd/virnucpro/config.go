package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/config"
)

// newConfigCmd builds `config`; root is the tree whose predict and persistent flags
// the template lists.
func newConfigCmd(root *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Configuration files",
	}
	initCmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented default config for `predict` (to FILE, or stdout without FILE or with -)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs := pflag.NewFlagSet("predict", pflag.ContinueOnError)
			predictCmd, _, err := root.Find([]string{"predict"})
			if err != nil {
				return err
			}
			fs.AddFlagSet(predictCmd.Flags())
			fs.AddFlagSet(root.PersistentFlags())
			text := config.Template(fs, "virnucpro predict configuration (use with --config FILE)")
			if len(args) == 0 || args[0] == "-" {
				_, err := cmd.OutOrStdout().Write(text)
				return err
			}
			if _, err := os.Stat(args[0]); err == nil {
				return fmt.Errorf("%s exists; not overwriting it", args[0])
			}
			return atomicfile.WriteFile(args[0], text)
		},
	}
	cmd.AddCommand(initCmd)
	return cmd
}
