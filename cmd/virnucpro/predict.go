package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/fasta"
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
	keepCkpt   bool
	confirm    float64
	report     reportFlags
	seq        sequenceFlags
}

func newPredictCmd(g *globalOptions) *cobra.Command {
	pf := &predictFlags{}
	cmd := &cobra.Command{
		Use:   "predict INPUT... [--esm PATH --dnabert DIR --classifier PATH] -o OUTDIR",
		Short: "Run VirNucPro end to end: chunk, translate, embed (DNABERT-S + ESM-2), classify",
		Long: `Run the whole VirNucPro method on DNA reads or contigs: FASTA, FASTQ, SAM or BAM (detected
from the content; plain or gzip/bzip2/xz/zstd-compressed; "-" for stdin; several inputs are read
as one) and write prediction_results.txt, prediction_results_highestscore.csv, the per-record
calls (sequences.tsv), chunk coordinates (chunks.tsv), viral regions (regions.bed/tsv), the
Viral records and regions as FASTA (viral.fna, viral_regions.fna), MultiQC custom content
(virnucpro_mqc.tsv/.yaml), score-track plots (plots/) and report.html to OUTDIR (see docs/report.md). Results appear only when the run completes; committed work is checkpointed in
OUTDIR/.virnucpro so an interrupted run continues with --resume (the default).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPredict(g, pf, args, cmd.OutOrStdout()) },
	}
	f := cmd.Flags()
	pf.run.register(f, "output directory")
	f.StringVar(&pf.classifier, "classifier", "", "VirNucPro classifier: 300_model.pth / 500_model.pth, a state_dict .pt or .safetensors (default: classifier-300 or classifier-500 by --chunk-size, as virnucpro weights list finds it)")
	f.StringVar(&pf.compat, "compat", "broad", "highestscore layout: broad (4 columns, input order) or original (2 columns, sorted)")
	f.BoolVar(&pf.keep, "keep-intermediate", false, "also write chunked/translated FASTA and the embeddings")
	f.BoolVar(&pf.keepCkpt, "keep-checkpoint", false, "keep the checkpoint's shards after a successful run (default: replaced by a small completion record)")
	addBF16ConfirmMarginFlag(f, &pf.confirm)
	addReportFlags(f, &pf.report)
	pf.seq.register(f)
	return cmd
}

// options turns the flags into predict's options (models resolved, identity and
// checkpoint not yet set).
func (pf *predictFlags) options(g *globalOptions, inputs []string) (predict.PredictOptions, error) {
	input := strings.Join(inputs, " ")
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
	inOpts, seqOpts, err := pf.seq.options()
	if err != nil {
		return predict.PredictOptions{}, err
	}
	return predict.PredictOptions{
		Inputs: inputs, InputOptions: inOpts, Sequences: seqOpts, ChunkSize: r.chunkSize,
		Models:  predict.ModelPaths{DNABERT: r.dnabert, ESM: r.esm, Classifier: pf.classifier},
		Backend: r.dev.spec(g.threads), ModelOptions: pf.modelOptions(),
		Output:       predict.OutputOptions{Dir: r.out, Compat: compat, KeepIntermediate: pf.keep, Report: ropts},
		WindowFrames: r.window, MaxTokens: r.budget.budgets(), CacheBytes: r.dedupCacheMB << 20, Shard: shard,
		Progress: progressMode(r.noProgress, g.quiet), Workers: r.workers,
	}, nil
}

// modelOptions are the run's model options with the bf16 confirmation margin.
func (pf *predictFlags) modelOptions() predict.ModelOptions {
	o := pf.run.modelOptions()
	o.ConfirmMargin = pf.confirm
	return o
}

// identityOptions are the run's identity options; a bf16 run's include the
// confirmation margin, which changes the results of the chunks it confirms.
func (pf *predictFlags) identityOptions(shard predict.ShardSpec) map[string]string {
	o := pf.run.identityOptions(shard)
	if pf.run.dev.precision == "bf16" {
		o["bf16-confirm-margin"] = fmt.Sprint(pf.confirm)
	}
	return o
}

func runPredict(g *globalOptions, pf *predictFlags, inputs []string, stdout io.Writer) error {
	tuneGC()
	started := time.Now()
	r := &pf.run
	if r.out == "" {
		return errors.New("--output/-o is required")
	}
	if err := r.validate(); err != nil {
		return err
	}
	if !(pf.confirm >= 0) || math.IsInf(pf.confirm, 1) {
		return fmt.Errorf("--bf16-confirm-margin %v: must be 0 (no confirmation) or a positive margin such as %g", pf.confirm, predict.DefaultBF16ConfirmMargin)
	}
	if _, err := fasta.CheckInputs(inputs); err != nil {
		return err
	}
	if err := resolveModelOptions(modelOption{flag: "--esm", val: &r.esm, model: "esm2-3b"},
		modelOption{flag: "--dnabert", val: &r.dnabert, model: "dnabert-s"}, classifierOption(&pf.classifier, r.chunkSize)); err != nil {
		return err
	}
	if err := checkClassifierChunkSize(pf.classifier, r.chunkSize, pf.seq.force); err != nil {
		return err
	}
	opts, err := pf.options(g, inputs)
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
		return runIdentityOf(version, inputs, map[string]string{"dnabert": r.dnabert, "esm": r.esm, "classifier": pf.classifier},
			pf.seq.identityOptions(pf.identityOptions(opts.Shard)), r.dev.spec(0))
	})
	if opts.Shard.Count > 0 {
		for _, in := range inputs {
			if err := opts.Shard.CheckInput(in); err != nil {
				return err
			}
		}
		id, err := identityOf()
		if err != nil {
			return err
		}
		opts.ShardIdentity = &id
	}
	if !g.quiet {
		opts.Summary = stdout
	}
	if done, err := completedRun(r.out, r.ckpt, identityOf, opts.Summary); done || err != nil {
		return err
	}
	if opts.Checkpoint, err = openCheckpointer(intr.Context(), inputs, r.out, r.ckpt, identityOf); err != nil {
		return err
	}
	opts.KeepCheckpoint = pf.keepCkpt
	opts.Output.Report.Meta = runMeta(started, r.dev.precision, identityIfKnown(r.ckpt, opts.Shard, identityOf),
		map[string]string{"dnabert": r.dnabert, "esm": r.esm, "classifier": pf.classifier})
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
