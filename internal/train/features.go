package train

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// FeatureOptions are everything `virnucpro features` needs.
type FeatureOptions struct {
	Input  string
	OutDir string
	Label  Label
	// ChunkSize is the chunk length in bp (300 or 500, as the classifier to train).
	ChunkSize int
	// DNABERT and ESM locate the encoders (as predict's --dnabert and --esm).
	DNABERT, ESM string
	// Backend selects where the encoders run; ModelOptions configure them.
	Backend      tensor.Spec
	ModelOptions predict.ModelOptions
	// Workers is the number of inference workers (as predict's).
	Workers      int
	WindowFrames int
	MaxTokens    [2]int
	// CacheBytes is each encoder's memory for embeddings reused across windows.
	CacheBytes int
	// ShardRows is the number of rows per shard (the original: 10000 sequences per file).
	ShardRows int
	Shard     predict.ShardSpec
	// Progress selects the display: "bar", "log" or "none".
	Progress string
	// Checkpoint, when set, makes the run resumable exactly as predict's.
	Checkpoint *predict.Checkpointer
}

// ExtractFeatures runs chunk -> translate -> DNABERT-S + ESM-2 over the input and
// writes every kept frame's merged features (DNABERT-S then ESM-2, as the original's
// merge_data) to labelled shards in OutDir. It runs the predict pipeline (same
// source, workers and checkpoints) without a classifier. Nothing is presented as
// complete until the run is: shards are staged and moved into place, with
// features.json, at the end. Logs go to slog.Default().
func ExtractFeatures(ctx context.Context, o FeatureOptions) (*FeatureManifest, error) {
	if err := predict.CheckChunkSize(o.ChunkSize); err != nil {
		return nil, err
	}
	r, err := predict.OpenInput(o.Input)
	if err != nil {
		return nil, err
	}
	defer r.Close()

	t0 := time.Now()
	models, err := predict.LoadWorkers(predict.ModelPaths{DNABERT: o.DNABERT, ESM: o.ESM}, o.Backend, o.ModelOptions, o.Workers)
	if err != nil {
		return nil, err
	}
	dna, esm := models.Encoders[pipeline.DNABERT], models.Encoders[pipeline.ESM]
	slog.Info("models loaded", "dnabert_dim", dna.Dim(), "esm_dim", esm.Dim(), "seconds", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))

	info := map[string]string{
		"feature_layout": fmt.Sprintf("DNABERT-S:%d,ESM-2:%d", dna.Dim(), esm.Dim()),
		"chunk_size":     strconv.Itoa(o.ChunkSize),
	}
	sink, err := NewFeatureSink(o.OutDir, o.Label, o.ShardRows, info)
	if err != nil {
		return nil, err
	}
	r.SpillLongerThan(predict.SpillBases, o.OutDir)
	src := predict.NewFASTASource(r, predict.SourceOptions{ChunkSize: o.ChunkSize, WindowFrames: o.WindowFrames, Shard: o.Shard, SpillDir: o.OutDir})
	defer src.Close()
	opts := pipeline.Options{Threads: o.Backend.Threads, MaxTokens: o.MaxTokens, CacheBytes: o.CacheBytes, KeepFeatures: true}
	st, runErr := predict.Drive(ctx, r, src, models, opts, sink, o.Checkpoint, o.Progress)
	if runErr != nil {
		sink.Abort()
		return nil, runErr
	}
	m, err := sink.Commit()
	if err != nil {
		sink.Abort()
		return nil, err
	}
	slog.Info("features written", "dir", o.OutDir, "label", o.Label.String(), "rows", m.Rows, "width", m.Dim,
		"shards", len(m.Shards), "records", st.Records, "chunks", st.Chunks, "no_orf_chunks", st.NoORFChunks,
		"seconds", fmt.Sprintf("%.1f", st.Wall.Seconds()), "replayed_windows", st.ReplayedWindows)
	return m, nil
}
