package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/seqout"
	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// validate checks the numeric options of an encoder run before anything else runs
// (and before any warning about them), naming the flag and the allowed range.
func (r *encoderRunFlags) validate() error {
	for _, c := range []struct {
		flag     string
		v, least int
		what     string
	}{
		{"--chunk-size", r.chunkSize, 1, "a positive number of bp (VirNucPro's classifiers: 300 or 500)"},
		{"--window", r.window, 1, "a positive number of frames"},
		{"--max-tokens", r.budget.maxTokens, 0, "0 (no packing) or a positive token budget"},
		{"--max-tokens-dnabert", r.budget.dnabert, 0, "0 (use --max-tokens) or a positive token budget"},
		{"--max-tokens-esm", r.budget.esm, 0, "0 (use --max-tokens) or a positive token budget"},
		{"--dedup-cache-mb", r.dedupCacheMB, 0, "0 or more MB"},
		{"--workers", r.workers, 0, "0 (one per GPU, or 1 on the CPU) or more"},
		{"--checkpoint-every", r.ckpt.every, 1, "a positive number of frames"},
	} {
		if c.v < c.least {
			return fmt.Errorf("%s %d: must be %s", c.flag, c.v, c.what)
		}
	}
	if r.ckpt.interval <= 0 {
		return fmt.Errorf("--checkpoint-interval %s: must be a positive duration such as 5m", r.ckpt.interval)
	}
	if r.oldDedupCache != 0 {
		slog.Warn("--dedup-cache counted entries and is ignored: the cache is sized in memory with --dedup-cache-mb", "dedup_cache_mb", r.dedupCacheMB)
	}
	return nil
}

// sequenceFlags are predict's options for its inputs and its sequence and MultiQC
// outputs.
type sequenceFlags struct {
	prefix     bool
	minTier    string
	allRegions bool
	sample     string
	force      bool
}

func (s *sequenceFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&s.prefix, "prefix-file-name", false, "prefix every record id with its input file's name and '|' (several inputs sharing read names)")
	fs.StringVar(&s.minTier, "min-tier", "review", "least confident tier of the Viral records written to viral.fna (high_confidence, moderate_confidence, low_confidence or review: every Viral record)")
	fs.BoolVar(&s.allRegions, "all-regions", false, "viral_regions.fna also holds the regions of records not called Viral (candidate proviruses)")
	fs.StringVar(&s.sample, "sample", "", "sample name in virnucpro_mqc.tsv/.yaml (default: the input's file name without extensions; the output directory's name for several inputs)")
	fs.BoolVar(&s.force, "force", false, "run a released classifier with a --chunk-size it was not trained for")
}

// options are predict's input and sequence options.
func (s *sequenceFlags) options() (fasta.Options, predict.SequenceOptions, error) {
	if _, err := seqout.ParseMinTier(s.minTier); err != nil {
		return fasta.Options{}, predict.SequenceOptions{}, err
	}
	return fasta.Options{PrefixFileName: s.prefix}, predict.SequenceOptions{MinTier: s.minTier, AllRegions: s.allRegions, Sample: s.sample}, nil
}

// releasedChunkSize recognises the released classifiers (a variable so that tests can
// pose a test model as one: the released files are not in the repository).
var releasedChunkSize = store.ReleasedClassifierChunkSize

// identityOptions adds the input option that changes the results (the record ids) to
// a run's identity options: a checkpoint is not resumed, nor shards merged, across it.
func (s *sequenceFlags) identityOptions(o map[string]string) map[string]string {
	if s.prefix {
		o["prefix-file-name"] = "true"
	}
	return o
}

// checkClassifierChunkSize refuses a released VirNucPro classifier (recognised by
// content) with a chunk size it was not trained on, unless forced.
func checkClassifierChunkSize(path string, chunkSize int, force bool) error {
	size, released, err := releasedChunkSize(path)
	if err != nil {
		return fmt.Errorf("--classifier: %w", err)
	}
	if !released || size == chunkSize {
		return nil
	}
	msg := fmt.Sprintf("--classifier %s is VirNucPro's released %d bp classifier but --chunk-size is %d: use --chunk-size %d (or the %d bp classifier)",
		path, size, chunkSize, size, chunkSize)
	if !force {
		return fmt.Errorf("%s; --force runs it anyway", msg)
	}
	slog.Warn(msg + "; running anyway (--force)")
	return nil
}
