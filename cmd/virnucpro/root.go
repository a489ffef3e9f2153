package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/config"
)

// version is the tool version, overridable at link time (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

// globalOptions are the persistent flags every subcommand shares.
type globalOptions struct {
	threads    int
	logLevel   string
	quiet      bool
	configFile string
}

var global globalOptions

// rootCmd is the top-level command; each subcommand file registers itself with
// rootCmd.AddCommand in its own init function.
var rootCmd = &cobra.Command{
	Use:           "virnucpro",
	Short:         "Identify viral short sequences with DNABERT-S + ESM-2 embeddings (VirNucPro in Go)",
	Version:       version,
	SilenceUsage:  true,
	SilenceErrors: true,
	PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
		// Options not given as flags come from VIRNUCPRO_* variables, then --config.
		if err := config.Apply(cmd.Flags(), global.configFile, os.Environ()); err != nil {
			return err
		}
		return setupLogging()
	},
}

func init() {
	// Pipelines record `virnucpro --version` as the tool's version: print it bare.
	rootCmd.SetVersionTemplate("{{.Version}}\n")
	pf := rootCmd.PersistentFlags()
	pf.IntVarP(&global.threads, "threads", "j", runtime.NumCPU(), "worker threads (default: all cores)")
	pf.StringVar(&global.logLevel, "log-level", "info", "log level: debug|info|warn|error")
	pf.BoolVarP(&global.quiet, "quiet", "q", false, "only log warnings and errors")
	pf.StringVar(&global.configFile, "config", "", "YAML `FILE` setting any option (see: virnucpro config init)")
}

func setupLogging() error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(global.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", global.logLevel)
	}
	if global.quiet {
		lvl = slog.LevelWarn
	}
	if global.threads < 1 {
		return fmt.Errorf("--threads %d: must be at least 1", global.threads)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
	return nil
}

// exitError carries a specific process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// execute runs the root command and maps errors to exit codes.
func execute() int {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "virnucpro: error: %v\n", err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}
