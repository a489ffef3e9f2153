package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/progress"
	"github.com/virnucpro/virnucpro/internal/train"
)

var featFlags struct {
	label, esm, dnabert, out string
	chunkSize, window        int
	maxTokens, shardRows     int
	dedupCache               int
	blas, device, precision  string
	reprLayer                int
	noProgress               bool
	ckpt                     checkpointFlags
	shard                    string
}

var featuresCmd = &cobra.Command{
	Use:   "features IN.fa[.gz] --label viral|other [--esm PATH --dnabert DIR] -o FEATURES_DIR",
	Short: "Extract labelled training features: chunk, translate, DNABERT-S + ESM-2, merged per frame",
	Long: `Run the first half of the method (chunk -> six-frame translation -> DNABERT-S and
ESM-2 embeddings) on a DNA FASTA file and write each kept frame's merged feature row
(DNABERT-S then ESM-2, as the original's merge_data) to safetensors shards in
FEATURES_DIR, labelled viral or other, for "virnucpro train" and "virnucpro evaluate".
Shards appear (with features.json) only when the run completes; committed work is
checkpointed in FEATURES_DIR/.virnucpro, so an interrupted run continues where it
stopped when the same command is run again (as predict).`,
	Args: cobra.ExactArgs(1),
	RunE: runFeatures,
}

func init() {
	f := featuresCmd.Flags()
	ff := &featFlags
	f.StringVar(&ff.label, "label", "", "class of every sequence of the input: viral or other")
	f.StringVar(&ff.esm, "esm", "", "ESM-2 weights: fair-esm .pt (esm2_t36_3B_UR50D.pt) or a Hugging Face directory")
	f.StringVar(&ff.dnabert, "dnabert", "", "DNABERT-S directory (config.json, tokenizer.json, model.safetensors or pytorch_model.bin)")
	f.StringVarP(&ff.out, "output", "o", "", "output directory of feature shards")
	f.IntVar(&ff.chunkSize, "chunk-size", 500, "chunk length in bp (300 or 500, as the classifier to train)")
	f.IntVar(&ff.shardRows, "shard-rows", 10000, "feature rows per shard file")
	f.IntVar(&ff.window, "window", 2048, "frames per unit of work (part of a run's identity)")
	f.IntVar(&ff.maxTokens, "max-tokens", 8192, "token budget per packed batch for both encoders (0: no packing)")
	f.IntVar(&ff.dedupCache, "dedup-cache", 50000, "embeddings kept per encoder to reuse repeated sequences across windows")
	f.StringVar(&ff.blas, "blas", "auto", "CPU matrix kernels: auto (native where the CPU has AVX2+FMA, else go), native, openblas (only if row-invariant) or go")
	f.StringVar(&ff.device, "device", "auto", "auto, cpu, cuda or cuda:N")
	f.StringVar(&ff.precision, "precision", "fp32", "GPU precision: fp32, fp16 or bf16")
	f.IntVar(&ff.reprLayer, "repr-layer", -1, "ESM-2 representation layer (-1: last, as VirNucPro)")
	f.BoolVar(&ff.noProgress, "no-progress", false, "no progress display")
	addCheckpointFlags(f, &ff.ckpt)
	f.StringVar(&ff.shard, "shard", "", "process only records i, i+N, ... of the input (i/N), for scale-out")
	rootCmd.AddCommand(featuresCmd)
}

func runFeatures(cmd *cobra.Command, args []string) error {
	ff := &featFlags
	if ff.out == "" {
		return errors.New("--output/-o is required")
	}
	label, err := train.ParseLabel(ff.label)
	if err != nil {
		return fmt.Errorf("--label: %w", err)
	}
	if err := resolveModelOptions(slog.Default(), modelOption{flag: "--esm", val: &ff.esm, model: "esm2-3b"},
		modelOption{flag: "--dnabert", val: &ff.dnabert, model: "dnabert-s"}); err != nil {
		return err
	}
	shard, err := pipeline.ParseShardSpec(ff.shard)
	if err != nil {
		return err
	}
	log := slog.Default()
	mode := "log"
	if progress.IsTerminal(os.Stderr) {
		mode = "bar"
	}
	if ff.noProgress || global.quiet {
		mode = "none"
	}
	opts := train.FeatureOptions{Input: args[0], OutDir: ff.out, Label: label, ChunkSize: ff.chunkSize,
		DNABERT: ff.dnabert, ESM: ff.esm,
		Backend:      pipeline.BackendOptions{Device: ff.device, BLAS: ff.blas, Precision: ff.precision, Threads: global.threads, ReprLayer: ff.reprLayer},
		WindowFrames: ff.window, MaxTokens: [2]int{ff.maxTokens, ff.maxTokens}, CacheEntries: ff.dedupCache,
		ShardRows: ff.shardRows, Shard: shard, Progress: mode, Log: log}
	intr := checkpoint.NotifyInterrupt(cmd.Context())
	defer intr.Stop()
	lock, err := checkpoint.LockOutput(ff.out)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	opts.Checkpoint, err = openCheckpointer(args[0], ff.out, ff.ckpt, func() (checkpoint.Identity, error) {
		return runIdentityOf(version+" features", args[0],
			map[string]string{"dnabert": opts.DNABERT, "esm": opts.ESM},
			map[string]string{"chunk-size": fmt.Sprint(opts.ChunkSize), "window": fmt.Sprint(opts.WindowFrames),
				"max-tokens": fmt.Sprint(opts.MaxTokens), "dedup-cache": fmt.Sprint(opts.CacheEntries),
				"repr-layer": fmt.Sprint(opts.Backend.ReprLayer), "shard": opts.Shard.String(), "precision": opts.Backend.Precision}, opts.Backend)
	}, log)
	if err != nil {
		return err
	}
	_, err = train.ExtractFeatures(intr.Context(), opts)
	return runOutcome(intr, err, ff.out, log)
}
