package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/report"
)

// reportFlags are the options of the per-record reports, shared by report and predict.
type reportFlags struct {
	th                  report.Thresholds
	plotTop             int
	htmlPlots, htmlRows int
	noHTML              bool
	title               string
}

// addReportFlags registers the report options (thresholds, plots, HTML) on fs with
// their defaults.
func addReportFlags(fs *pflag.FlagSet, o *reportFlags) {
	o.th = report.DefaultThresholds()
	fs.Float64Var(&o.th.CallDelta, "call-delta", o.th.CallDelta, "record call: Viral if weighted delta > this, Non-viral if < -this, else Ambiguous")
	fs.Float64Var(&o.th.HighDelta, "high-delta", o.th.HighDelta, "high tier needs |weighted delta| > this (plus a confident chunk and --high-fraction)")
	fs.Float64Var(&o.th.HighFraction, "high-fraction", o.th.HighFraction, "high tier needs at least this fraction of chunks with the call")
	fs.Float64Var(&o.th.ConfidentHigh, "confident-high", o.th.ConfidentHigh, "confident chunk: its score above this ...")
	fs.Float64Var(&o.th.ConfidentLow, "confident-low", o.th.ConfidentLow, "... and the other score below this")
	fs.Float64Var(&o.th.AmbiguousBoth, "ambiguous-both", o.th.AmbiguousBoth, "ambiguous chunk: both max scores above this")
	fs.IntVar(&o.th.MinChunks, "min-chunks", o.th.MinChunks, "records with fewer scored chunks get their tier lowered one step")
	fs.IntVar(&o.th.RegionGap, "region-gap", o.th.RegionGap, "non-viral chunks allowed inside a viral region")
	fs.IntVar(&o.plotTop, "plot-top", report.DefaultPlotTop, "plots/: N = one SVG for each of the N most viral records, -1 = every record (one file each), 0 = none")
	fs.IntVar(&o.htmlPlots, "html-plots", 20, "plots inlined in report.html (the most viral records); -1 = none")
	fs.IntVar(&o.htmlRows, "html-rows", 1000, "records listed in report.html's table (the most viral first); -1 = none")
	fs.BoolVar(&o.noHTML, "no-html", false, "do not write report.html")
	fs.StringVar(&o.title, "report-title", "", "title of report.html")
}

// options turns the flags into report.Options for dir, validating the thresholds.
func (o *reportFlags) options(dir string, params ...report.Param) (report.Options, error) {
	th := o.th
	if err := th.Validate(); err != nil {
		return report.Options{}, err
	}
	if o.htmlPlots == 0 || o.htmlRows == 0 {
		return report.Options{}, fmt.Errorf("--html-plots and --html-rows must be positive or -1")
	}
	return report.Options{Dir: dir, Thresholds: &th, PlotTop: o.plotTop, HTMLPlots: o.htmlPlots, HTMLRows: o.htmlRows,
		NoHTML: o.noHTML, Title: o.title, Params: params}, nil
}

func newReportCmd() *cobra.Command {
	var reportOpts reportFlags
	var seqOpts reportSequenceFlags
	cmd := &cobra.Command{
		Use:   "report OUTDIR",
		Short: "Redo sequences.tsv, regions.bed/tsv, plots/ and report.html from an output directory's chunks.tsv",
		Long: `Recompute the per-record calls, viral regions, score-track plots and report.html of an
existing predict output directory from its chunks.tsv (and sequences.tsv for the record list
and lengths, when present), without running the models. Use it to try other thresholds.
Every file is replaced atomically; on error the old files stay. See docs/report.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := reportOpts.options(args[0], report.Param{Name: "output directory", Value: args[0]})
			if err != nil {
				return err
			}
			if opts.Title == "" {
				opts.Title = "virnucpro report: " + args[0]
			}
			if _, err := os.Stat(args[0]); err != nil {
				return fmt.Errorf("output directory: %w", err)
			}
			lock, err := checkpoint.LockOutput(args[0])
			if err != nil {
				return err
			}
			defer lock.Unlock()
			if err := report.Rebuild(args[0], opts); err != nil {
				return err
			}
			return seqOpts.refresh(args[0])
		},
	}
	addReportFlags(cmd.Flags(), &reportOpts)
	seqOpts.register(cmd.Flags())
	return cmd
}
