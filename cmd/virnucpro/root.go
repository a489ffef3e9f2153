package main

import (
	"errors"
	"fmt"
	"io"
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

// newRootCmd builds the whole command tree with its flags; every call returns a
// fresh tree (tests run one per invocation, so no state leaks between runs).
func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "virnucpro",
		Short:         "Identify viral short sequences with DNABERT-S + ESM-2 embeddings (VirNucPro in Go)",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// Options not given as flags come from VIRNUCPRO_* variables, then --config.
			if err := config.Apply(cmd.Flags(), g.configFile, os.Environ()); err != nil {
				return err
			}
			return g.setupLogging(cmd.ErrOrStderr())
		},
	}
	pf := root.PersistentFlags()
	pf.IntVarP(&g.threads, "threads", "j", runtime.NumCPU(), "worker threads (default: all cores)")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug|info|warn|error")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "only log warnings and errors")
	pf.StringVar(&g.configFile, "config", "", "YAML `FILE` setting any option (see: virnucpro config init)")
	root.AddCommand(newPredictCmd(g), newFeaturesCmd(g), newTrainCmd(g), newEvaluateCmd(), newMergeCmd(),
		newReportCmd(), newReadsCmd(), newChunkCmd(g), newTranslateCmd(g), newValidateCmd(), newEmbedCmd(g), newWeightsCmd(g),
		newDevicesCmd(), newBenchCmd(g), newConfigCmd(root))
	setupCLI(root)
	adviseFlags(root)
	return root
}

// level is the log level the flags select.
func (g *globalOptions) level() (slog.Level, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return lvl, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	if g.quiet {
		lvl = slog.LevelWarn
	}
	return lvl, nil
}

// setupLogging checks the global options and installs the one logger of the
// process as slog.Default, writing to w (the command's standard error); library
// packages log through it.
func (g *globalOptions) setupLogging(w io.Writer) error {
	lvl, err := g.level()
	if err != nil {
		return err
	}
	if g.threads < 1 {
		return fmt.Errorf("--threads %d: must be at least 1", g.threads)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})))
	return nil
}

// exitError carries a specific process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// execute runs the command line and maps errors to exit codes.
func execute(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "virnucpro: error: %v\n", err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}
