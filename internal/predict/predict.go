package predict

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// PredictOptions are everything `virnucpro predict` needs.
type PredictOptions struct {
	// Input is the input file ("-": standard input); Inputs, when set, are several,
	// read one after another as one stream (InputOptions: ids prefixed by file name).
	Input        string
	Inputs       []string
	InputOptions fasta.Options
	// Sequences configures viral.fna, viral_regions.fna and the MultiQC files.
	Sequences SequenceOptions
	ChunkSize int
	Models    ModelPaths
	// Backend selects where the encoders run; ModelOptions configure them.
	Backend      tensor.Spec
	ModelOptions ModelOptions
	// Output configures the result files (directory, layout, intermediate files,
	// reports); its FeatureDims are set from the loaded encoders.
	Output       OutputOptions
	WindowFrames int
	MaxTokens    [2]int
	// CacheBytes is each encoder's memory for embeddings reused across windows
	// (pipeline.Options.CacheBytes).
	CacheBytes int
	Shard      ShardSpec
	// Workers is the number of inference workers: 0 = one per GPU, or one on the CPU
	// (see LoadWorkers).
	Workers int
	// Progress selects the display: "bar", "log" or "none".
	Progress string
	// Checkpoint, when set, makes the run resumable (see checkpointing in cmd). After
	// a successful run it is compacted to its completion record (identity and output
	// digests) unless KeepCheckpoint is set.
	Checkpoint     *Checkpointer
	KeepCheckpoint bool
	// Summary, when set, receives the end-of-run summary (counts, calls per tier,
	// regions, time, output files).
	Summary io.Writer
	// ShardIdentity is the run's identity, required when Shard is set: it is recorded
	// in shard.json so that `virnucpro merge` can check the shards belong together.
	ShardIdentity *checkpoint.Identity

	// wrapModels, in tests, replaces the loaded models (fault injection).
	wrapModels func(pipeline.Models) pipeline.Models
}

// ErrChunkSize is a chunk size that is not positive.
var ErrChunkSize = errors.New("must be positive")

// CheckChunkSize refuses a chunk size that is not positive and warns about one the
// released classifiers were not trained on.
func CheckChunkSize(size int) error {
	if size != 300 && size != 500 && size > 0 {
		slog.Warn("chunk size differs from VirNucPro's 300/500 bp; the released classifiers were trained on those", "chunk_size", size)
	}
	if size <= 0 {
		return fmt.Errorf("chunk size %d: %w", size, ErrChunkSize)
	}
	return nil
}

// Predict runs the whole method on one input and writes the results to
// o.Output.Dir. Logs go to slog.Default().
func Predict(ctx context.Context, o PredictOptions) (pipeline.Stats, error) {
	if err := o.check(); err != nil {
		return pipeline.Stats{}, err
	}
	// Before anything can fail: a run that stops early must not leave the marks of
	// the previous one (NewOutputSink removes them too, for merge, its other caller).
	if err := RemoveCompletionMarks(o.Output.Dir); err != nil {
		return pipeline.Stats{}, err
	}
	if o.Checkpoint == nil { // a completion record would describe outputs this run replaces
		if err := checkpoint.RemoveCompletion(o.Output.Dir); err != nil {
			return pipeline.Stats{}, err
		}
	}
	inputs, unspool, err := spoolStdin(o.inputs(), o.Output.Dir)
	if err != nil {
		return pipeline.Stats{}, err
	}
	defer unspool()
	r, err := OpenInputs(inputs, o.InputOptions)
	if err != nil {
		return pipeline.Stats{}, err
	}
	defer r.Close()
	models, err := o.loadModels()
	if err != nil {
		return pipeline.Stats{}, err
	}
	oo := o.Output
	oo.FeatureDims = [2]int{models.Encoders[pipeline.DNABERT].Dim(), models.Encoders[pipeline.ESM].Dim()}
	if m := oo.Report.Meta; m != nil && m.Backend == "" && len(models.Workers) > 0 {
		meta := *m
		meta.Backend = fmt.Sprintf("%s (%d worker(s), %d threads)", models.Workers[0].Device, len(models.Workers), o.Backend.Threads)
		oo.Report.Meta = &meta
	}
	// conf is set once the run is done, before Commit runs BeforeMark.
	var conf report.Confirmation
	oo.BeforeMark = func() error { return o.writeSequenceOutputs(inputs, oo.Dir, conf) }
	out, err := NewOutputSink(oo)
	if err != nil {
		return pipeline.Stats{}, err
	}
	r.SpillLongerThan(SpillBases, oo.Dir)
	src := NewFASTASource(r, SourceOptions{ChunkSize: o.ChunkSize, WindowFrames: o.WindowFrames, Shard: o.Shard,
		KeepChunkSeqs: oo.KeepIntermediate, SpillDir: oo.Dir})
	defer src.Close()
	opts := pipeline.Options{Threads: o.Backend.Threads, MaxTokens: o.MaxTokens, CacheBytes: o.CacheBytes,
		KeepFeatures: oo.KeepIntermediate || o.Checkpoint != nil}
	st, runErr := Drive(ctx, r, src, models, opts, out, o.Checkpoint, o.Progress)
	if runErr != nil {
		out.Abort()
		return st, runErr
	}
	conf = confirmationOf(st, models.Confirm)
	out.SetConfirmation(conf)
	if err := out.Commit(); err != nil {
		return st, err
	}
	if o.Shard.Count > 0 {
		if err := writeShardResult(oo.Dir, o.shardResult(out, src, conf)); err != nil {
			return st, err
		}
	}
	logSummary(st, models.Confirm)
	return st, o.finish(st, out, conf)
}

// finish compacts the checkpoint of the completed run and prints the summary, with
// the run's fp32 confirmation conf.
func (o *PredictOptions) finish(st pipeline.Stats, out *OutputSink, conf report.Confirmation) error {
	sum := out.Summary()
	if o.Checkpoint != nil {
		counts := map[string]int64{"records": int64(st.Records), "chunks": int64(st.Chunks), "frames": int64(st.Frames),
			"regions": int64(sum.Regions)}
		if conf.Ran() {
			counts["confirmed"] = int64(conf.Frames)
		}
		if err := o.Checkpoint.Complete(o.Output.Dir, counts, o.KeepCheckpoint); err != nil {
			return err
		}
	}
	if o.Summary == nil {
		return nil
	}
	e := report.EndOfRun{Records: st.Records, Chunks: st.Chunks, Frames: st.Frames, Summary: sum, Wall: st.Wall,
		Dir: o.Output.Dir, Confirmation: conf}
	return e.Write(o.Summary)
}

// SpillBases is the record length above which predict keeps a record's bases in an
// unlinked file in the output directory instead of memory and cuts it chunk by
// chunk: a chromosome costs disk (its length) rather than memory.
const SpillBases = 16 << 20

// check validates the options that need no file.
func (o *PredictOptions) check() error {
	if err := CheckChunkSize(o.ChunkSize); err != nil {
		return err
	}
	if o.Shard.Count > 0 {
		if o.ShardIdentity == nil {
			return errors.New("internal error: a shard run needs the run identity")
		}
		for _, in := range o.inputs() {
			if err := o.Shard.CheckInput(in); err != nil {
				return err
			}
		}
	}
	return nil
}

// OpenInput opens a DNA FASTA input (a file, compressed or not, or "-").
func OpenInput(path string) (*fasta.Reader, error) {
	r, err := fasta.Open(path)
	if err != nil {
		return nil, err
	}
	r.RequireDNA()
	return r, nil
}

// loadModels loads the workers' models and logs their widths.
func (o *PredictOptions) loadModels() (pipeline.Models, error) {
	t0 := time.Now()
	models, err := LoadWorkers(o.Models, o.Backend, o.ModelOptions, o.Workers)
	if err != nil {
		return pipeline.Models{}, err
	}
	if o.wrapModels != nil {
		models = o.wrapModels(models)
	}
	slog.Info("models loaded", "dnabert_dim", models.Encoders[pipeline.DNABERT].Dim(), "esm_dim", models.Encoders[pipeline.ESM].Dim(),
		"seconds", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	return models, nil
}

// confirmationOf is the run's fp32 confirmation for the reports (the zero value when
// the run had none).
func confirmationOf(st pipeline.Stats, confirm *pipeline.Confirmation) report.Confirmation {
	if confirm == nil {
		return report.Confirmation{}
	}
	return report.Confirmation{Frames: st.Confirmed, Margin: confirm.Margin}
}

// shardResult describes the finished shard for shard.json.
func (o *PredictOptions) shardResult(out *OutputSink, src *FASTASource, conf report.Confirmation) ShardResult {
	n := out.Counts()
	var c *report.Confirmation
	if conf.Ran() {
		c = &conf
	}
	return ShardResult{Shard: ShardCoord{Index: o.Shard.Index, Count: o.Shard.Count}, InputRecords: src.InputRecords(),
		Records: n.Records, Chunks: n.Chunks, Frames: n.Frames, Confirmation: c, Identity: shardIdentity(*o.ShardIdentity),
		Compat: out.opts.Compat, KeepIntermediate: out.opts.KeepIntermediate, FeatureDims: out.opts.FeatureDims,
		Report: shardReportOptions(out.opts.Report), Sample: o.sample()}
}

// logSummary prints the per-stage time, throughput, dedup savings and packing
// efficiency, and the fp32 confirmation's share of the frames and time.
func logSummary(st pipeline.Stats, confirm *pipeline.Confirmation) {
	log := slog.Default()
	wall := st.Wall.Seconds()
	log.Info("done", "records", st.Records, "chunks", st.Chunks, "frames", st.Frames, "no_orf_chunks", st.NoORFChunks,
		"seconds", fmt.Sprintf("%.2f", wall), "computed_frames_per_s", fmt.Sprintf("%.1f", float64(st.Frames-st.ReplayedFrames)/wall),
		"resumed_frames", st.ReplayedFrames, "replayed_windows", st.ReplayedWindows)
	for e, name := range []string{"DNABERT-S", "ESM-2"} {
		es := st.Encoders[e]
		log.Info("encoder", "model", name, "embedded", es.Embedded, "reused_by_dedup", es.Reused, "batches", es.Batches,
			"tokens", es.Tokens, "token_efficiency", fmt.Sprintf("%.3f", es.Efficiency()), "oom_retries", es.OOMRetries,
			"tokenize_s", fmt.Sprintf("%.2f", es.Tokenize.Seconds()), "embed_s", fmt.Sprintf("%.2f", es.Embed.Seconds()),
			"tokens_per_s", fmt.Sprintf("%.0f", float64(es.Tokens)/max(es.Embed.Seconds(), 1e-9)))
	}
	log.Info("stages", "read_chunk_translate_s", fmt.Sprintf("%.2f", st.Read.Seconds()), "classify_s", fmt.Sprintf("%.2f", st.Classify.Seconds()),
		"write_s", fmt.Sprintf("%.2f", st.Write.Seconds()))
	if confirm != nil {
		log.Info("bf16 near ties confirmed in fp32", "margin", confirm.Margin, "frames", st.Confirmed,
			"of_frames", st.Frames, "confirm_s", fmt.Sprintf("%.2f", st.Confirm.Seconds()),
			"share_of_time", fmt.Sprintf("%.3f", st.Confirm.Seconds()/max(wall, 1e-9)))
	}
}
