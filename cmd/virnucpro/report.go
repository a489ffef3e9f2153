package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/mqc"
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
	// Named as viral-ngs' virnucpro_contigs names them; the names of earlier releases
	// stay accepted (flags and config keys) as aliases.
	fs.Float64Var(&o.th.CallDelta, "min-weighted-delta", o.th.CallDelta, "record call: Viral if weighted delta > this, Non-viral if < -this, else Ambiguous (tier review)")
	fs.Float64Var(&o.th.HighDelta, "high-confidence-delta", o.th.HighDelta, "high_confidence needs |weighted delta| > this, else moderate_confidence")
	fs.Float64Var(&o.th.ConfidentHigh, "min-confident-score", o.th.ConfidentHigh, "confident chunk: its class's max score above this ...")
	fs.Float64Var(&o.th.ConfidentLow, "max-opposing-score", o.th.ConfidentLow, "... and the other class's max score below this")
	fs.Float64Var(&o.th.AmbiguousBoth, "min-ambiguous-score", o.th.AmbiguousBoth, "ambiguous chunk: both max scores above this (left out of the proportions' denominator)")
	fs.Float64Var(&o.th.HighFraction, "min-viral-prop", o.th.HighFraction, "a Viral call above low_confidence needs >= 1 confident viral chunk and this viral proportion")
	fs.Float64Var(&o.th.NonViralFraction, "min-nonviral-prop", o.th.NonViralFraction, "the same for a Non-viral call")
	prev := fs.GetNormalizeFunc()
	fs.SetNormalizeFunc(func(f *pflag.FlagSet, name string) pflag.NormalizedName {
		if n, ok := reportFlagAliases[name]; ok {
			return pflag.NormalizedName(n)
		}
		return prev(f, name)
	})
	fs.Var(bothFractions{&o.th.HighFraction, &o.th.NonViralFraction}, "high-fraction", "alias setting --min-viral-prop and --min-nonviral-prop")
	fs.MarkHidden("high-fraction")
	fs.IntVar(&o.th.MinChunks, "min-chunks", o.th.MinChunks, "records with fewer scored chunks are demoted: high/moderate to low_confidence, low to review")
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

// reportFlagAliases maps the threshold flags' old names to viral-ngs' names.
var reportFlagAliases = map[string]string{
	"call-delta":     "min-weighted-delta",
	"high-delta":     "high-confidence-delta",
	"confident-high": "min-confident-score",
	"confident-low":  "max-opposing-score",
	"ambiguous-both": "min-ambiguous-score",
}

// bothFractions is the old --high-fraction flag, one value for both proportions.
type bothFractions [2]*float64

func (b bothFractions) String() string {
	if b[0] == nil {
		return ""
	}
	return strconv.FormatFloat(*b[0], 'g', -1, 64)
}

func (b bothFractions) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*b[0], *b[1] = v, v
	return nil
}

func (bothFractions) Type() string { return "float64" }

func newReportCmd() *cobra.Command {
	var reportOpts reportFlags
	var seqOpts reportSequenceFlags
	cmd := &cobra.Command{
		Use:   "report OUTDIR",
		Short: "Redo sequences.tsv, contigs.tsv, regions.bed/tsv, plots/ and report.html from an output directory's chunks.tsv",
		Long: `Recompute the per-record calls (sequences.tsv, contigs.tsv), viral regions, score-track plots and report.html of an
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
			// The fp32 confirmation of a bf16 run is not in chunks.tsv: keep the one
			// the MultiQC table recorded.
			if opts.Confirmation, err = mqc.ReadConfirmation(args[0]); err != nil {
				return err
			}
			if err := report.Rebuild(args[0], opts); err != nil {
				return err
			}
			return seqOpts.refresh(args[0], opts.Confirmation)
		},
	}
	addReportFlags(cmd.Flags(), &reportOpts)
	seqOpts.register(cmd.Flags())
	return cmd
}
