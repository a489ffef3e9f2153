package train

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/pipeline"
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
	Backend      pipeline.BackendOptions
	WindowFrames int
	MaxTokens    [2]int
	CacheEntries int
	// ShardRows is the number of rows per shard (the original: 10000 sequences per file).
	ShardRows int
	Shard     pipeline.ShardSpec
	// Progress selects the display: "bar", "log" or "none".
	Progress string
	Log      *slog.Logger
	// Checkpoint, when set, makes the run resumable exactly as predict's.
	Checkpoint *pipeline.Checkpointer
}

// ExtractFeatures runs chunk -> translate -> DNABERT-S + ESM-2 over the input and
// writes every kept frame's merged features (DNABERT-S then ESM-2, as the original's
// merge_data) to labelled shards in OutDir. Nothing is presented as complete until
// the run is: shards are staged and moved into place, with features.json, at the end.
func ExtractFeatures(ctx context.Context, o FeatureOptions) (*FeatureManifest, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.ChunkSize <= 0 {
		return nil, fmt.Errorf("--chunk-size %d: must be positive", o.ChunkSize)
	}
	if o.ChunkSize != 300 && o.ChunkSize != 500 {
		log.Warn("chunk size differs from VirNucPro's 300/500 bp", "chunk_size", o.ChunkSize)
	}
	r, err := fasta.Open(o.Input)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	r.RequireDNA()

	t0 := time.Now()
	b, err := pipeline.OpenBackend(o.Backend, log)
	if err != nil {
		return nil, err
	}
	dna, err := dnabert.Load(o.DNABERT, b)
	if err != nil {
		return nil, err
	}
	esm, err := esm2.Load(o.ESM, b, esm2.Options{ReprLayer: o.Backend.ReprLayer})
	if err != nil {
		return nil, err
	}
	width := dna.Dim() + esm.Dim()
	log.Info("models loaded", "dnabert_dim", dna.Dim(), "esm_dim", esm.Dim(), "seconds", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	models := pipeline.Models{Encoders: [2]pipeline.Encoder{dna, esm}, Classifier: featuresOnly{dim: width}}

	info := map[string]string{
		"feature_layout": fmt.Sprintf("DNABERT-S:%d,ESM-2:%d", dna.Dim(), esm.Dim()),
		"chunk_size":     strconv.Itoa(o.ChunkSize),
	}
	sink, err := NewFeatureSink(o.OutDir, o.Label, o.ShardRows, info)
	if err != nil {
		return nil, err
	}
	src := pipeline.NewFASTASource(r, pipeline.SourceOptions{ChunkSize: o.ChunkSize, WindowFrames: o.WindowFrames, Shard: o.Shard, Log: log})
	opts := pipeline.Options{Threads: o.Backend.Threads, MaxTokens: o.MaxTokens, CacheEntries: o.CacheEntries, KeepFeatures: true}
	st, runErr := pipeline.Drive(ctx, r, src, models, opts, sink, o.Checkpoint, o.Progress, log)
	if runErr != nil {
		sink.Abort()
		return nil, runErr
	}
	m, err := sink.Commit()
	if err != nil {
		sink.Abort()
		return nil, err
	}
	log.Info("features written", "dir", o.OutDir, "label", o.Label.String(), "rows", m.Rows, "width", m.Dim,
		"shards", len(m.Shards), "records", st.Records, "chunks", st.Chunks, "no_orf_chunks", st.NoORFChunks,
		"seconds", fmt.Sprintf("%.1f", st.Wall.Seconds()), "replayed_windows", st.ReplayedWindows)
	return m, nil
}
