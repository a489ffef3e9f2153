package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/report"
)

// PredictOptions are everything `virnucpro predict` needs.
type PredictOptions struct {
	Input     string
	OutDir    string
	ChunkSize int
	Models    ModelPaths
	Backend   BackendOptions
	Compat    report.Compat
	// KeepIntermediate also writes chunked/translated FASTA and the embeddings.
	KeepIntermediate bool
	WindowFrames     int
	MaxTokens        [2]int
	CacheEntries     int
	Shard            ShardSpec
	// Workers is the number of inference workers: 0 = one per GPU, or one on the CPU
	// (see LoadWorkers).
	Workers int
	// Progress selects the display: "bar", "log" or "none".
	Progress string
	Log      *slog.Logger
	// Checkpoint, when set, makes the run resumable (see checkpointing in cmd).
	Checkpoint *Checkpointer
	// Report configures the per-record reports (its Dir is OutDir).
	Report report.Options
	// ShardIdentity is the run's identity, required when Shard is set: it is recorded
	// in shard.json so that `virnucpro merge` can check the shards belong together.
	ShardIdentity *checkpoint.Identity

	// wrapModels, in tests, replaces the loaded models (fault injection).
	wrapModels func(Models) Models
}

// Predict runs the whole method on one input and writes the results to OutDir.
func Predict(ctx context.Context, o PredictOptions) (Stats, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.ChunkSize != 300 && o.ChunkSize != 500 {
		log.Warn("chunk size differs from VirNucPro's 300/500 bp; the released classifiers were trained on those", "chunk_size", o.ChunkSize)
	}
	if o.ChunkSize <= 0 {
		return Stats{}, fmt.Errorf("--chunk-size %d: must be positive", o.ChunkSize)
	}
	if o.Shard.Count > 0 {
		if o.ShardIdentity == nil {
			return Stats{}, errors.New("internal error: a shard run needs the run identity")
		}
		if err := o.Shard.CheckInput(o.Input); err != nil {
			return Stats{}, err
		}
	}
	if err := RemoveCompletionMarks(o.OutDir); err != nil {
		return Stats{}, err
	}
	r, err := fasta.Open(o.Input)
	if err != nil {
		return Stats{}, err
	}
	defer r.Close()
	r.RequireDNA()

	t0 := time.Now()
	models, err := LoadWorkers(o.Models, o.Backend, o.Workers, log)
	if err != nil {
		return Stats{}, err
	}
	if o.wrapModels != nil {
		models = o.wrapModels(models)
	}
	log.Info("models loaded", "dnabert_dim", models.Encoders[DNABERT].Dim(), "esm_dim", models.Encoders[ESM].Dim(), "seconds", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))

	out, err := NewOutputSink(OutputOptions{Dir: o.OutDir, Compat: o.Compat, KeepIntermediate: o.KeepIntermediate,
		FeatureDims: [2]int{models.Encoders[DNABERT].Dim(), models.Encoders[ESM].Dim()}, Report: o.Report})
	if err != nil {
		return Stats{}, err
	}
	src := NewFASTASource(r, SourceOptions{ChunkSize: o.ChunkSize, WindowFrames: o.WindowFrames, Shard: o.Shard,
		KeepChunkSeqs: o.KeepIntermediate, Log: log})
	opts := Options{Threads: o.Backend.Threads, MaxTokens: o.MaxTokens, CacheEntries: o.CacheEntries, Log: log,
		KeepFeatures: o.KeepIntermediate || o.Checkpoint != nil}
	st, runErr := Drive(ctx, r, src, models, opts, out, o.Checkpoint, o.Progress, log)
	if runErr != nil {
		out.Abort()
		return st, runErr
	}
	if err := out.Commit(); err != nil {
		return st, err
	}
	if o.Shard.Count > 0 {
		n := out.Counts()
		res := ShardResult{Shard: ShardCoord{Index: o.Shard.Index, Count: o.Shard.Count}, InputRecords: src.InputRecords(),
			Records: n.Records, Chunks: n.Chunks, Frames: n.Frames, Identity: shardIdentity(*o.ShardIdentity),
			Compat: o.Compat, KeepIntermediate: o.KeepIntermediate, FeatureDims: out.opts.FeatureDims,
			Report: shardReportOptions(o.Report)}
		if err := writeShardResult(o.OutDir, res); err != nil {
			return st, err
		}
	}
	logSummary(log, st)
	return st, nil
}

// logSummary prints the per-stage time, throughput, dedup savings and packing efficiency.
func logSummary(log *slog.Logger, st Stats) {
	wall := st.Wall.Seconds()
	log.Info("done", "records", st.Records, "chunks", st.Chunks, "frames", st.Frames, "no_orf_chunks", st.NoORFChunks,
		"seconds", fmt.Sprintf("%.2f", wall), "frames_per_s", fmt.Sprintf("%.1f", float64(st.Frames)/wall),
		"replayed_windows", st.ReplayedWindows)
	for e, name := range []string{"DNABERT-S", "ESM-2"} {
		es := st.Encoders[e]
		log.Info("encoder", "model", name, "embedded", es.Embedded, "reused_by_dedup", es.Reused, "batches", es.Batches,
			"tokens", es.Tokens, "token_efficiency", fmt.Sprintf("%.3f", es.Efficiency()), "oom_retries", es.OOMRetries,
			"tokenize_s", fmt.Sprintf("%.2f", es.Tokenize.Seconds()), "embed_s", fmt.Sprintf("%.2f", es.Embed.Seconds()),
			"tokens_per_s", fmt.Sprintf("%.0f", float64(es.Tokens)/max(es.Embed.Seconds(), 1e-9)))
	}
	log.Info("stages", "read_chunk_translate_s", fmt.Sprintf("%.2f", st.Read.Seconds()), "classify_s", fmt.Sprintf("%.2f", st.Classify.Seconds()),
		"write_s", fmt.Sprintf("%.2f", st.Write.Seconds()))
}

// ErrInterrupted marks a run stopped by a signal after committing its work.
var ErrInterrupted = errors.New("interrupted")
