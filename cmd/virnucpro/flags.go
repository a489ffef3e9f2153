package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/progress"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// Every flag that more than one command takes is defined here once, with its one
// help text; commands compose these groups instead of declaring their own copies.

// addBLASFlag registers --blas.
func addBLASFlag(fs *pflag.FlagSet, v *string) {
	fs.StringVar(v, "blas", "auto", "CPU matrix kernels: auto (native where the CPU has AVX2+FMA, else go), native, openblas (only if it passes the row-invariance canary) or go")
}

// addBenchPrecisionFlag registers bench's --precision.
func addBenchPrecisionFlag(fs *pflag.FlagSet, v *string) {
	fs.StringVar(v, "precision", "fp32", "fp32, or bf16 (a CPU with AVX512_BF16): measure in that precision; bf16 also compares it with fp32 in the same process (Linear GFLOP/s at the encoders' shapes, tokens/s at the ESM-2 3B layer shape, ESM-2 35M and DNABERT-S)")
}

// addOutputFlag registers -o/--output with the command's description of it.
func addOutputFlag(fs *pflag.FlagSet, v *string, what string) {
	fs.StringVarP(v, "output", "o", "", what)
}

// addNoProgressFlag registers --no-progress.
func addNoProgressFlag(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "no-progress", false, "no progress display")
}

// addMaxTokensFlag registers --max-tokens.
func addMaxTokensFlag(fs *pflag.FlagSet, v *int) {
	fs.IntVar(v, "max-tokens", 8192, "token budget per packed batch (0: one sequence per batch, no packing)")
}

// addESMStreamedFlag registers --esm-streamed.
func addESMStreamedFlag(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "esm-streamed", false, "keep ESM-2's layer weights in the mapped checkpoint and convert them layer by layer in each batch: same results; the 3B loads in seconds into ~0.5 GB (plus the file in the page cache) instead of 11.4 GB, for ~1 s of conversion per batch")
}

// addReprLayerFlag registers --repr-layer.
func addReprLayerFlag(fs *pflag.FlagSet, v *int) {
	fs.IntVar(v, "repr-layer", -1, "ESM-2 representation layer (-1: last, as VirNucPro)")
}

// deviceFlags choose where the encoders run: --device, --blas, --precision.
type deviceFlags struct {
	device, blas, precision string
}

// register adds the device flags to fs.
func (d *deviceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.device, "device", "auto", "auto, cpu, cuda (every visible GPU, one worker each) or cuda:N[,M]")
	addBLASFlag(fs, &d.blas)
	fs.StringVar(&d.precision, "precision", "fp32", "precision: fp32; fp16 or bf16 on a GPU; bf16 on a CPU with AVX512_BF16 (bfloat16 weights, float32 sums)")
}

// spec is the backend selection for a run on threads CPU threads.
func (d *deviceFlags) spec(threads int) tensor.Spec {
	return tensor.Spec{Device: d.device, BLAS: d.blas, Precision: d.precision, Threads: threads}
}

// addBF16ConfirmMarginFlag registers predict's --bf16-confirm-margin.
func addBF16ConfirmMarginFlag(fs *pflag.FlagSet, v *float64) {
	fs.Float64Var(v, "bf16-confirm-margin", predict.DefaultBF16ConfirmMargin,
		"with --device cpu --precision bf16: every chunk whose call is within this margin of flipping (a frame's |P(virus) − P(others)|, or its max P(virus) − max P(others)) is re-scored in fp32, so labels and highestscore calls equal fp32's; 0: no confirmation")
}

// budgetFlags are the token budgets of the packed batches.
type budgetFlags struct {
	maxTokens, dnabert, esm int
	disablePacking          bool
}

// register adds --max-tokens, --max-tokens-dnabert, --max-tokens-esm and
// --disable-packing to fs.
func (b *budgetFlags) register(fs *pflag.FlagSet) {
	addMaxTokensFlag(fs, &b.maxTokens)
	fs.IntVar(&b.dnabert, "max-tokens-dnabert", 0, "DNABERT-S token budget (overrides --max-tokens)")
	fs.IntVar(&b.esm, "max-tokens-esm", 0, "ESM-2 token budget (overrides --max-tokens)")
	fs.BoolVar(&b.disablePacking, "disable-packing", false, "embed one sequence per batch")
}

// budgets returns the DNABERT-S and ESM-2 token budgets.
func (b *budgetFlags) budgets() [2]int {
	budget := [2]int{b.maxTokens, b.maxTokens}
	if b.dnabert > 0 {
		budget[0] = b.dnabert
	}
	if b.esm > 0 {
		budget[1] = b.esm
	}
	if b.disablePacking {
		budget = [2]int{0, 0}
	}
	return budget
}

// encoderRunFlags are the options of a streaming run of the encoders, shared by
// predict and features: the models, chunking, windows, budgets, devices,
// checkpointing and sharding.
type encoderRunFlags struct {
	esm, dnabert      string
	out               string
	chunkSize, window int
	budget            budgetFlags
	dedupCacheMB      int
	dev               deviceFlags
	reprLayer         int
	esmStreamed       bool
	workers           int
	noProgress        bool
	ckpt              checkpointFlags
	shard             string
	oldDedupCache     int // --dedup-cache, ignored: see register
}

// register adds the run flags to fs; what describes the output directory.
func (r *encoderRunFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&r.esm, "esm", "", "ESM-2 weights: fair-esm .pt (esm2_t36_3B_UR50D.pt) or a Hugging Face directory (default: esm2-3b as virnucpro weights list finds it)")
	fs.StringVar(&r.dnabert, "dnabert", "", "DNABERT-S directory (config.json, tokenizer.json, model.safetensors or pytorch_model.bin) (default: dnabert-s as virnucpro weights list finds it)")
	addOutputFlag(fs, &r.out, what)
	fs.IntVar(&r.chunkSize, "chunk-size", 500, "chunk length in bp (300 or 500, matching the classifier)")
	fs.IntVar(&r.window, "window", 2048, "frames per unit of work (part of a run's identity)")
	r.budget.register(fs)
	fs.IntVar(&r.dedupCacheMB, "dedup-cache-mb", 16, "memory per encoder, in MB, for embeddings kept to reuse repeated sequences across windows (0: within a window only)")
	// The cache was sized in entries before 2026-12 (50 000 by default, ~650 MB with the
	// released models): an old command line or config still runs, told what replaced it.
	fs.IntVar(&r.oldDedupCache, "dedup-cache", 0, "")
	fs.MarkHidden("dedup-cache")
	r.dev.register(fs)
	addReprLayerFlag(fs, &r.reprLayer)
	addESMStreamedFlag(fs, &r.esmStreamed)
	fs.IntVar(&r.workers, "workers", 0, "inference workers, each with its own model copy: 0 = one per GPU (or 1 on the CPU); on the CPU, N workers share --threads")
	addNoProgressFlag(fs, &r.noProgress)
	addCheckpointFlags(fs, &r.ckpt)
	fs.StringVar(&r.shard, "shard", "", "process only records i, i+N, ... of the input (i/N), for scale-out; combine the shard outputs with virnucpro merge")
}

// modelOptions are the ESM-2 settings of the run.
func (r *encoderRunFlags) modelOptions() predict.ModelOptions {
	return predict.ModelOptions{ESM: esm2.Options{ReprLayer: r.reprLayer, Streamed: r.esmStreamed}}
}

// identityOptions are the result-relevant options recorded in the run's identity
// (checkpoints refuse to resume, and merge to combine, runs that differ in them).
func (r *encoderRunFlags) identityOptions(shard predict.ShardSpec) map[string]string {
	return map[string]string{"chunk-size": fmt.Sprint(r.chunkSize), "window": fmt.Sprint(r.window),
		"max-tokens": fmt.Sprint(r.budget.budgets()), "dedup-cache-mb": fmt.Sprint(r.dedupCacheMB),
		"repr-layer": fmt.Sprint(r.reprLayer), "shard": shard.String(), "precision": r.dev.precision}
}

// progressMode is the progress display: a bar on a terminal, log lines otherwise,
// none when asked or quiet.
func progressMode(noProgress, quiet bool) string {
	if noProgress || quiet {
		return "none"
	}
	if progress.IsTerminal(os.Stderr) {
		return "bar"
	}
	return "log"
}
