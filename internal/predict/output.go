package predict

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
)

// Output file names inside the output directory.
const (
	PredictionsFile  = "prediction_results.txt"
	HighestScoreFile = "prediction_results_highestscore.csv"
	SequencesFile    = report.SequencesFile
	ChunkedFile      = "chunked.fa"
	NucleotideFile   = "identified_nucleotide.fa"
	ProteinFile      = "identified_protein.faa"
	DNABERTEmbedFile = "embeddings_dnabert.safetensors"
	ESMEmbedFile     = "embeddings_esm2.safetensors"
)

// OutputOptions configures the result files.
type OutputOptions struct {
	// Dir is the output directory (created if missing).
	Dir string
	// Compat selects the highestscore layout.
	Compat report.Compat
	// KeepIntermediate also writes the chunked FASTA and the kept frames' nucleotide
	// and protein FASTA (the original's intermediate files).
	KeepIntermediate bool
	// FeatureDims are the DNABERT-S and ESM-2 widths (for the embedding files).
	FeatureDims [2]int
	// Report configures the per-record reports (sequences.tsv, chunks.tsv, regions,
	// plots, report.html); its Dir is set to Dir.
	Report report.Options
	// BeforeMark, when set, runs on Commit once every other file is in place and
	// before the completion mark (the sequence outputs and the MultiQC files).
	BeforeMark func() error `json:"-"`
}

// OutputSink writes the result files from scored windows. Every file is written under
// a temporary name and appears under its final name only on Commit, so an interrupted
// or failed run never leaves output that looks complete. prediction_results.txt is the
// run's completion mark: Commit renames it after every other file, and NewOutputSink
// removes an earlier run's copy, so a run killed while committing never leaves a
// mixture of files next to a prediction_results.txt.
type OutputSink struct {
	opts    OutputOptions
	files   []*atomicfile.File
	preds   *report.PredictionWriter
	highest *report.HighestScoreWriter
	reports *report.RunReport
	fastas  [3]*bufio.Writer // chunked, nucleotide, protein (KeepIntermediate)
	embeds  [2]*embedfile.Writer
	counts  OutputCounts
}

// OutputCounts are the records, chunks and kept frames written.
type OutputCounts struct {
	Records, Chunks, Frames int
}

// NewOutputSink creates the output directory and opens the temporary files.
func NewOutputSink(opts OutputOptions) (*OutputSink, error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	// Temporaries of a run killed before it could remove them (the caller holds the
	// directory's lock).
	atomicfile.RemoveStale(opts.Dir, PredictionsFile, HighestScoreFile, ChunkedFile, NucleotideFile, ProteinFile,
		DNABERTEmbedFile, ESMEmbedFile, report.SequencesFile, report.ContigsFile, report.ChunksFile, report.RegionsBEDFile,
		report.RegionsTSVFile, report.HTMLFile, report.PlotsDir, seqout.ViralFile, seqout.RegionsFile, mqc.TSVFile, mqc.YAMLFile)
	if err := RemoveCompletionMarks(opts.Dir); err != nil {
		return nil, err
	}
	o := &OutputSink{opts: opts}
	open := func(name string) (*atomicfile.File, error) {
		f, err := atomicfile.Create(filepath.Join(opts.Dir, name))
		if err != nil {
			return nil, err
		}
		o.files = append(o.files, f)
		return f, nil
	}
	var err error
	fail := func(e error) (*OutputSink, error) { o.Abort(); return nil, e }
	f, err := open(PredictionsFile)
	if err != nil {
		return fail(err)
	}
	if o.preds, err = report.NewPredictionWriter(f); err != nil {
		return fail(err)
	}
	if f, err = open(HighestScoreFile); err != nil {
		return fail(err)
	}
	if o.highest, err = report.NewHighestScoreWriter(f, opts.Compat); err != nil {
		return fail(err)
	}
	ro := opts.Report
	ro.Dir = opts.Dir
	if o.reports, err = report.NewRunReport(ro); err != nil {
		return fail(err)
	}
	if opts.KeepIntermediate {
		for i, name := range []string{ChunkedFile, NucleotideFile, ProteinFile} {
			if f, err = open(name); err != nil {
				return fail(err)
			}
			o.fastas[i] = bufio.NewWriterSize(f, 1<<16)
		}
		for e, name := range []string{DNABERTEmbedFile, ESMEmbedFile} {
			if o.embeds[e], err = embedfile.Create(filepath.Join(opts.Dir, name), opts.FeatureDims[e]); err != nil {
				return fail(err)
			}
		}
	}
	return o, nil
}

// Write appends a scored window's rows.
func (o *OutputSink) Write(w *pipeline.Window) error {
	calls := w.ChunkCalls()
	o.counts.Frames += len(w.Scores)
	o.counts.Chunks += len(w.Chunks)
	for i, s := range w.Scores {
		if err := o.preds.Write(s); err != nil {
			return o.writeErr(PredictionsFile, err)
		}
		if o.opts.KeepIntermediate {
			f := w.Frames[i]
			fmt.Fprintf(o.fastas[1], ">%s\n%s\n", f.ID, f.Nucleotide)
			fmt.Fprintf(o.fastas[2], ">%s\n%s\n", f.ID, f.Protein)
			if w.Features == nil {
				return fmt.Errorf("internal error: window %d has no features to keep", w.Index)
			}
			row := w.Features[i*w.FeatureDim : (i+1)*w.FeatureDim]
			d0 := o.opts.FeatureDims[0]
			if err := o.embeds[0].Append(f.ID, row[:d0]); err != nil {
				return err
			}
			if err := o.embeds[1].Append(f.ID, row[d0:]); err != nil {
				return err
			}
		}
	}
	ci := 0
	for ri, r := range w.Records {
		if r.First {
			o.counts.Records++
			if err := o.reports.BeginRecord(r.ID, r.Length); err != nil {
				return err
			}
			o.reports.SetDescription(r.Description)
		}
		for ; ci < len(w.Chunks) && w.Chunks[ci].Record == ri; ci++ {
			c := w.Chunks[ci]
			if o.opts.KeepIntermediate {
				writeWrapped(o.fastas[0], c.ID, c.Seq, 60)
			}
			if err := o.highest.Write(calls[ci]); err != nil {
				return o.writeErr(HighestScoreFile, err)
			}
			if err := o.reports.AddChunk(report.ChunkRowOf(r.ID, c.Index, c.Start, c.End, calls[ci])); err != nil {
				return err
			}
		}
		if r.Last {
			if err := o.reports.EndRecord(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *OutputSink) writeErr(name string, err error) error {
	return fmt.Errorf("write %s: %w", filepath.Join(o.opts.Dir, name), err)
}

// Commit flushes every file and moves them to their final names.
func (o *OutputSink) Commit() error {
	flushes := []func() error{o.preds.Flush, o.highest.Close}
	for _, fw := range o.fastas {
		if fw != nil {
			flushes = append(flushes, fw.Flush)
		}
	}
	for _, fl := range flushes {
		if err := fl(); err != nil {
			o.Abort()
			return fmt.Errorf("write results in %s: %w", o.opts.Dir, err)
		}
	}
	for _, e := range o.embeds {
		if e != nil {
			if err := e.Commit(); err != nil {
				o.Abort()
				return err
			}
		}
	}
	if err := o.reports.Finish(); err != nil {
		o.Abort()
		return err
	}
	// o.files[0] is prediction_results.txt, the completion mark: renamed last.
	order := append(append(make([]*atomicfile.File, 0, len(o.files)), o.files[1:]...), o.files[0])
	for i, f := range order {
		if i == len(order)-1 && o.opts.BeforeMark != nil {
			if err := o.opts.BeforeMark(); err != nil {
				o.Abort()
				return err
			}
		}
		if err := f.Commit(); err != nil {
			o.Abort()
			return err
		}
	}
	return nil
}

// RemoveCompletionMarks removes the files that say a run in dir completed
// (prediction_results.txt and a shard's shard.json): the marks of an earlier run must
// not outlive the start of a new one.
func RemoveCompletionMarks(dir string) error {
	for _, name := range []string{PredictionsFile, ShardResultFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("output directory: %w", err)
		}
	}
	return nil
}

// SetConfirmation sets the fp32 confirmation report.html shows (call before Commit).
func (o *OutputSink) SetConfirmation(c report.Confirmation) { o.reports.SetConfirmation(c) }

// Counts returns the records, chunks and frames written so far.
func (o *OutputSink) Counts() OutputCounts { return o.counts }

// Summary returns the run-wide record counts of the reports.
func (o *OutputSink) Summary() report.RunSummary { return o.reports.Summary() }

// Abort removes every temporary file.
func (o *OutputSink) Abort() {
	if o.reports != nil {
		o.reports.Abort()
	}
	for _, f := range o.files {
		f.Abort()
	}
	for _, e := range o.embeds {
		if e != nil {
			e.Abort()
		}
	}
}

// writeWrapped writes a FASTA record with the sequence wrapped at width columns, as
// Biopython's FASTA writer does.
func writeWrapped(w *bufio.Writer, id string, seq []byte, width int) {
	w.WriteByte('>')
	w.WriteString(id)
	w.WriteByte('\n')
	for len(seq) > width {
		w.Write(seq[:width])
		w.WriteByte('\n')
		seq = seq[width:]
	}
	if len(seq) > 0 {
		w.Write(seq)
		w.WriteByte('\n')
	}
}
