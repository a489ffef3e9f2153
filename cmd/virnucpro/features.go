package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/train"
)

// featuresFlags are features' options: the encoder run's, the label and the shard
// size.
type featuresFlags struct {
	run       encoderRunFlags
	label     string
	shardRows int
}

func newFeaturesCmd(g *globalOptions) *cobra.Command {
	ff := &featuresFlags{}
	cmd := &cobra.Command{
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
		RunE: func(cmd *cobra.Command, args []string) error { return runFeatures(cmd, g, ff, args[0]) },
	}
	f := cmd.Flags()
	ff.run.register(f, "output directory of feature shards")
	f.StringVar(&ff.label, "label", "", "class of every sequence of the input: viral or other")
	f.IntVar(&ff.shardRows, "shard-rows", 10000, "feature rows per shard file")
	return cmd
}

func runFeatures(cmd *cobra.Command, g *globalOptions, ff *featuresFlags, input string) error {
	tuneGC()
	r := &ff.run
	if r.out == "" {
		return errors.New("--output/-o is required")
	}
	if err := r.validate(); err != nil {
		return err
	}
	label, err := train.ParseLabel(ff.label)
	if err != nil {
		return fmt.Errorf("--label: %w", err)
	}
	if err := resolveModelOptions(modelOption{flag: "--esm", val: &r.esm, model: "esm2-3b"},
		modelOption{flag: "--dnabert", val: &r.dnabert, model: "dnabert-s"}); err != nil {
		return err
	}
	shard, err := predict.ParseShardSpec(r.shard)
	if err != nil {
		return err
	}
	opts := train.FeatureOptions{Input: input, OutDir: r.out, Label: label, ChunkSize: r.chunkSize,
		DNABERT: r.dnabert, ESM: r.esm, Backend: r.dev.spec(g.threads), ModelOptions: r.modelOptions(), Workers: r.workers,
		WindowFrames: r.window, MaxTokens: r.budget.budgets(), CacheBytes: r.dedupCacheMB << 20,
		ShardRows: ff.shardRows, Shard: shard, Progress: progressMode(r.noProgress, g.quiet)}
	intr := checkpoint.NotifyInterrupt(cmd.Context())
	defer intr.Stop()
	lock, err := checkpoint.LockOutput(r.out)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	opts.Checkpoint, err = openCheckpointer(intr.Context(), []string{input}, r.out, r.ckpt, func() (checkpoint.Identity, error) {
		return runIdentityOf(version+" features", []string{input}, map[string]string{"dnabert": r.dnabert, "esm": r.esm},
			r.identityOptions(shard), r.dev.spec(0))
	})
	if err != nil {
		return err
	}
	_, err = train.ExtractFeatures(intr.Context(), opts)
	return runOutcome(intr, err, r.out)
}
