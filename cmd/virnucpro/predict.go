package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/progress"
	"github.com/virnucpro/virnucpro/internal/report"
)

type predictFlags struct {
	esm, dnabert, classifier string
	chunkSize                int
	out                      string
	compat                   string
	keep                     bool
	window                   int
	maxTokens                int
	maxTokensDNABERT         int
	maxTokensESM             int
	disablePacking           bool
	dedupCache               int
	blas, device, precision  string
	reprLayer                int
	noProgress               bool
	ckpt                     checkpointFlags
	shard                    string
	report                   reportFlags
	workers                  int
}

var pf predictFlags

var predictCmd = &cobra.Command{
	Use:   "predict IN.fa[.gz] [--esm PATH --dnabert DIR --classifier PATH] -o OUTDIR",
	Short: "Run VirNucPro end to end: chunk, translate, embed (DNABERT-S + ESM-2), classify",
	Long: `Run the whole VirNucPro method on a DNA FASTA file (plain or compressed, "-" for stdin)
and write prediction_results.txt, prediction_results_highestscore.csv, the per-record
calls (sequences.tsv), chunk coordinates (chunks.tsv), viral regions (regions.bed/tsv),
score-track plots (plots/) and report.html to OUTDIR (see docs/report.md). Results appear only when the run completes; committed work is checkpointed in
OUTDIR/.virnucpro so an interrupted run continues with --resume (the default).`,
	Args: cobra.ExactArgs(1),
	RunE: runPredict,
}

func init() {
	f := predictCmd.Flags()
	f.StringVar(&pf.esm, "esm", "", "ESM-2 weights: fair-esm .pt (esm2_t36_3B_UR50D.pt) or a Hugging Face directory (default: esm2-3b as virnucpro weights list finds it)")
	f.StringVar(&pf.dnabert, "dnabert", "", "DNABERT-S directory (config.json, tokenizer.json, model.safetensors or pytorch_model.bin) (default: dnabert-s as virnucpro weights list finds it)")
	f.StringVar(&pf.classifier, "classifier", "", "VirNucPro classifier: 300_model.pth / 500_model.pth, a state_dict .pt or .safetensors (default: classifier-300 or classifier-500 by --chunk-size, as virnucpro weights list finds it)")
	f.IntVar(&pf.chunkSize, "chunk-size", 500, "chunk length in bp (300 or 500, matching the classifier)")
	f.StringVarP(&pf.out, "output", "o", "", "output directory")
	f.StringVar(&pf.compat, "compat", "broad", "highestscore layout: broad (4 columns, input order) or original (2 columns, sorted)")
	f.BoolVar(&pf.keep, "keep-intermediate", false, "also write chunked/translated FASTA and the embeddings")
	f.IntVar(&pf.window, "window", 2048, "frames per unit of work (part of a run's identity)")
	f.IntVar(&pf.maxTokens, "max-tokens", 8192, "token budget per packed batch for both encoders")
	f.IntVar(&pf.maxTokensDNABERT, "max-tokens-dnabert", 0, "DNABERT-S token budget (overrides --max-tokens)")
	f.IntVar(&pf.maxTokensESM, "max-tokens-esm", 0, "ESM-2 token budget (overrides --max-tokens)")
	f.BoolVar(&pf.disablePacking, "disable-packing", false, "embed one sequence per batch")
	f.IntVar(&pf.dedupCache, "dedup-cache", 50000, "embeddings kept per encoder to reuse repeated sequences across windows (0: within a window only)")
	f.StringVar(&pf.blas, "blas", "auto", "CPU matrix kernels: auto (native where the CPU has AVX2+FMA, else go), native, openblas (only if row-invariant) or go")
	f.StringVar(&pf.device, "device", "auto", "auto, cpu, cuda or cuda:N")
	f.StringVar(&pf.precision, "precision", "fp32", "GPU precision: fp32, fp16 or bf16")
	f.IntVar(&pf.reprLayer, "repr-layer", -1, "ESM-2 representation layer (-1: last, as VirNucPro)")
	f.BoolVar(&pf.noProgress, "no-progress", false, "no progress display")
	addCheckpointFlags(f, &pf.ckpt)
	f.StringVar(&pf.shard, "shard", "", "process only records i, i+N, ... of the input (i/N), for scale-out; combine the shard outputs with virnucpro merge")
	f.IntVar(&pf.workers, "workers", 0, "inference workers, each with its own model copy: 0 = one per GPU (or 1 on the CPU); on the CPU, N workers share --threads")
	addReportFlags(f, &pf.report)
	rootCmd.AddCommand(predictCmd)
}

func runPredict(cmd *cobra.Command, args []string) error {
	if pf.out == "" {
		return errors.New("--output/-o is required")
	}
	if err := resolveModelOptions(slog.Default(), modelOption{flag: "--esm", val: &pf.esm, model: "esm2-3b"},
		modelOption{flag: "--dnabert", val: &pf.dnabert, model: "dnabert-s"}, classifierOption(&pf.classifier, pf.chunkSize)); err != nil {
		return err
	}
	compat, err := report.ParseCompat(pf.compat)
	if err != nil {
		return err
	}
	shard, err := pipeline.ParseShardSpec(pf.shard)
	if err != nil {
		return err
	}
	params := []report.Param{{Name: "input", Value: args[0]}, {Name: "chunk size", Value: fmt.Sprint(pf.chunkSize)},
		{Name: "ESM-2", Value: pf.esm}, {Name: "DNABERT-S", Value: pf.dnabert}, {Name: "classifier", Value: pf.classifier},
		{Name: "virnucpro", Value: version}}
	if shard.Count > 1 {
		params = append(params, report.Param{Name: "shard", Value: shard.String()})
	}
	ropts, err := pf.report.options(pf.out, params...)
	if err != nil {
		return err
	}
	if ropts.Title == "" {
		ropts.Title = "virnucpro predict: " + args[0]
	}
	budget := [2]int{pf.maxTokens, pf.maxTokens}
	if pf.maxTokensDNABERT > 0 {
		budget[0] = pf.maxTokensDNABERT
	}
	if pf.maxTokensESM > 0 {
		budget[1] = pf.maxTokensESM
	}
	if pf.disablePacking {
		budget = [2]int{0, 0}
	}
	log := slog.Default()
	mode := "log"
	if progress.IsTerminal(os.Stderr) {
		mode = "bar"
	}
	if pf.noProgress || global.quiet {
		mode = "none"
	}
	opts := pipeline.PredictOptions{
		Input: args[0], OutDir: pf.out, ChunkSize: pf.chunkSize,
		Models:  pipeline.ModelPaths{DNABERT: pf.dnabert, ESM: pf.esm, Classifier: pf.classifier},
		Backend: pipeline.BackendOptions{Device: pf.device, BLAS: pf.blas, Precision: pf.precision, Threads: global.threads, ReprLayer: pf.reprLayer},
		Compat:  compat, KeepIntermediate: pf.keep, WindowFrames: pf.window, MaxTokens: budget,
		CacheEntries: pf.dedupCache, Shard: shard, Progress: mode, Log: log, Report: ropts, Workers: pf.workers,
	}
	intr := checkpoint.NotifyInterrupt(context.Background())
	defer intr.Stop()
	lock, err := checkpoint.LockOutput(pf.out)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	var identity *checkpoint.Identity // computed once: hashing the models takes a while
	identityOf := func() (checkpoint.Identity, error) {
		if identity == nil {
			id, err := runIdentityOf(version, args[0],
				map[string]string{"dnabert": pf.dnabert, "esm": pf.esm, "classifier": pf.classifier},
				map[string]string{"chunk-size": fmt.Sprint(opts.ChunkSize), "window": fmt.Sprint(opts.WindowFrames),
					"max-tokens": fmt.Sprint(budget), "dedup-cache": fmt.Sprint(opts.CacheEntries),
					"repr-layer": fmt.Sprint(opts.Backend.ReprLayer), "shard": opts.Shard.String(), "precision": opts.Backend.Precision}, opts.Backend)
			if err != nil {
				return id, err
			}
			identity = &id
		}
		return *identity, nil
	}
	if shard.Count > 0 {
		if err := shard.CheckInput(args[0]); err != nil {
			return err
		}
		id, err := identityOf()
		if err != nil {
			return err
		}
		opts.ShardIdentity = &id
	}
	opts.Checkpoint, err = openCheckpointer(args[0], pf.out, pf.ckpt, identityOf, log)
	if err != nil {
		return err
	}
	_, err = pipeline.Predict(intr.Context(), opts)
	return runOutcome(intr, err, pf.out, log)
}
