package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/config"
)

var configCmd = &cobra.Command{
	Use:   "config",
	Short: "Configuration files",
}

var configInitCmd = &cobra.Command{
	Use:   "init [FILE]",
	Short: "Write a commented default config for `predict` (to FILE, or stdout)",
	Args:  cobra.MaximumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		fs := pflag.NewFlagSet("predict", pflag.ContinueOnError)
		fs.AddFlagSet(predictCmd.Flags())
		fs.AddFlagSet(rootCmd.PersistentFlags())
		text := config.Template(fs, "virnucpro predict configuration (use with --config FILE)")
		if len(args) == 0 {
			_, err := os.Stdout.Write(text)
			return err
		}
		if _, err := os.Stat(args[0]); err == nil {
			return fmt.Errorf("%s exists; not overwriting it", args[0])
		}
		return atomicfile.WriteFile(args[0], text)
	},
}

func init() {
	configCmd.AddCommand(configInitCmd)
	rootCmd.AddCommand(configCmd)
}
