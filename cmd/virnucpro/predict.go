package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/report"
)

// predictFlags are predict's options: the encoder run's, the classifier and the
// result files'.
type predictFlags struct {
	run        encoderRunFlags
	classifier string
	compat     string
	keep       bool
	report     reportFlags
}

func newPredictCmd(g *globalOptions) *cobra.Command {
	pf := &predictFlags{}
	cmd := &cobra.Command{
		Use:   "predict IN.fa[.gz] [--esm PATH --dnabert DIR --classifier PATH] -o OUTDIR",
		Short: "Run VirNucPro end to end: chunk, translate, embed (DNABERT-S + ESM-2), classify",
		Long: `Run the whole VirNucPro method on a DNA FASTA file (plain or compressed, "-" for stdin)
and write prediction_results.txt, prediction_results_highestscore.csv, the per-record
calls (sequences.tsv), chunk coordinates (chunks.tsv), viral regions (regions.bed/tsv),
score-track plots (plots/) and report.html to OUTDIR (see docs/report.md). Results appear only when the run completes; committed work is checkpointed in
OUTDIR/.virnucpro so an interrupted run continues with --resume (the default).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPredict(g, pf, args[0]) },
	}
	f := cmd.Flags()
	pf.run.register(f, "output directory")
	f.StringVar(&pf.classifier, "classifier", "", "VirNucPro classifier: 300_model.pth / 500_model.pth, a state_dict .pt or .safetensors (default: classifier-300 or classifier-500 by --chunk-size, as virnucpro weights list finds it)")
	f.StringVar(&pf.compat, "compat", "broad", "highestscore layout: broad (4 columns, input order) or original (2 columns, sorted)")
	f.BoolVar(&pf.keep, "keep-intermediate", false, "also write chunked/translated FASTA and the embeddings")
	addReportFlags(f, &pf.report)
	return cmd
}

// options turns the flags into predict's options (models resolved, identity and
// checkpoint not yet set).
func (pf *predictFlags) options(g *globalOptions, input string) (predict.PredictOptions, error) {
	r := &pf.run
	compat, err := report.ParseCompat(pf.compat)
	if err != nil {
		return predict.PredictOptions{}, err
	}
	shard, err := predict.ParseShardSpec(r.shard)
	if err != nil {
		return predict.PredictOptions{}, err
	}
	params := []report.Param{{Name: "input", Value: input}, {Name: "chunk size", Value: fmt.Sprint(r.chunkSize)},
		{Name: "ESM-2", Value: r.esm}, {Name: "DNABERT-S", Value: r.dnabert}, {Name: "classifier", Value: pf.classifier},
		{Name: "virnucpro", Value: version}}
	if shard.Count > 1 {
		params = append(params, report.Param{Name: "shard", Value: shard.String()})
	}
	ropts, err := pf.report.options(r.out, params...)
	if err != nil {
		return predict.PredictOptions{}, err
	}
	if ropts.Title == "" {
		ropts.Title = "virnucpro predict: " + input
	}
	return predict.PredictOptions{
		Input: input, ChunkSize: r.chunkSize,
		Models:  predict.ModelPaths{DNABERT: r.dnabert, ESM: r.esm, Classifier: pf.classifier},
		Backend: r.dev.spec(g.threads), ModelOptions: r.modelOptions(),
		Output:       predict.OutputOptions{Dir: r.out, Compat: compat, KeepIntermediate: pf.keep, Report: ropts},
		WindowFrames: r.window, MaxTokens: r.budget.budgets(), CacheEntries: r.dedupCache, Shard: shard,
		Progress: progressMode(r.noProgress, g.quiet), Workers: r.workers,
	}, nil
}

func runPredict(g *globalOptions, pf *predictFlags, input string) error {
	r := &pf.run
	if r.out == "" {
		return errors.New("--output/-o is required")
	}
	if err := resolveModelOptions(modelOption{flag: "--esm", val: &r.esm, model: "esm2-3b"},
		modelOption{flag: "--dnabert", val: &r.dnabert, model: "dnabert-s"}, classifierOption(&pf.classifier, r.chunkSize)); err != nil {
		return err
	}
	opts, err := pf.options(g, input)
	if err != nil {
		return err
	}
	intr := checkpoint.NotifyInterrupt(context.Background())
	defer intr.Stop()
	lock, err := checkpoint.LockOutput(r.out)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	identityOf := onceIdentity(func() (checkpoint.Identity, error) {
		return runIdentityOf(version, input, map[string]string{"dnabert": r.dnabert, "esm": r.esm, "classifier": pf.classifier},
			r.identityOptions(opts.Shard))
	})
	if opts.Shard.Count > 0 {
		if err := opts.Shard.CheckInput(input); err != nil {
			return err
		}
		id, err := identityOf()
		if err != nil {
			return err
		}
		opts.ShardIdentity = &id
	}
	if opts.Checkpoint, err = openCheckpointer(input, r.out, r.ckpt, identityOf); err != nil {
		return err
	}
	_, err = predict.Predict(intr.Context(), opts)
	return runOutcome(intr, err, r.out)
}

// onceIdentity computes a run's identity once: hashing the models takes a while.
func onceIdentity(f func() (checkpoint.Identity, error)) func() (checkpoint.Identity, error) {
	var id *checkpoint.Identity
	return func() (checkpoint.Identity, error) {
		if id == nil {
			v, err := f()
			if err != nil {
				return v, err
			}
			id = &v
		}
		return *id, nil
	}
}
