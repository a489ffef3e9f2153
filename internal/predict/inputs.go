package predict

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
)

// SequenceOptions configure the sequence outputs and the MultiQC files.
type SequenceOptions struct {
	// MinTier and AllRegions choose what viral.fna and viral_regions.fna hold (see
	// seqout.Options).
	MinTier    string
	AllRegions bool
	// Sample names the run in virnucpro_mqc.tsv/.yaml ("" = DefaultSample).
	Sample string
}

// inputs is the run's input list: Inputs, or Input alone.
func (o *PredictOptions) inputs() []string {
	if len(o.Inputs) > 0 {
		return o.Inputs
	}
	return []string{o.Input}
}

// DefaultSample is the MultiQC sample name of a run: its only input's file stem, or
// the output directory's name when there are several inputs.
func DefaultSample(inputs []string, outDir string) string {
	if len(inputs) == 1 {
		return fasta.FileStem(inputs[0])
	}
	return filepath.Base(filepath.Clean(outDir))
}

// OpenInputs opens the DNA inputs (FASTA, FASTQ, SAM or BAM; files, compressed or not,
// or "-") as one stream. An input without records is not an error: it is logged, and
// the run is empty only when every input is.
func OpenInputs(paths []string, opts fasta.Options) (*fasta.Reader, error) {
	opts.OnEmpty = func(name string) { slog.Warn("input has no records", "file", name) }
	r, err := fasta.OpenAll(paths, opts)
	if fasta.IsEmpty(err) {
		r, err = fasta.NewReader(strings.NewReader(""), paths[0]), nil
	}
	if err != nil {
		return nil, err
	}
	r.RequireDNA()
	return r, nil
}

// spoolStdin copies standard input into a file in dir, so the input can be read
// twice (the sequence outputs take a second pass). It returns the inputs with "-"
// replaced by that file, and a function removing it.
func spoolStdin(inputs []string, dir string) ([]string, func(), error) {
	i := indexOf(inputs, "-")
	if i < 0 {
		return inputs, func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("output directory: %w", err)
	}
	// The directory's lock is held: a spool left by a killed run can go.
	if stale, _ := filepath.Glob(filepath.Join(dir, ".stdin-spool-*")); len(stale) > 0 {
		for _, p := range stale {
			os.RemoveAll(p)
		}
	}
	tmp, err := os.MkdirTemp(dir, ".stdin-spool-")
	if err != nil {
		return nil, nil, fmt.Errorf("output directory: %w", err)
	}
	done := func() { os.RemoveAll(tmp) }
	path := filepath.Join(tmp, "stdin") // its stem stays "stdin" for --prefix-file-name
	f, err := os.Create(path)
	if err == nil {
		_, err = io.Copy(f, os.Stdin)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("reading standard input into %s: %w", tmp, err)
	}
	out := append([]string(nil), inputs...)
	out[i] = path
	return out, done, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// writeSequenceOutputs is the second pass: viral.fna and viral_regions.fna from the
// inputs and the tables in dir, then the MultiQC files.
func (o *PredictOptions) writeSequenceOutputs(inputs []string, dir string, conf report.Confirmation) error {
	r, err := fasta.OpenAll(inputs, o.InputOptions)
	if err != nil && !fasta.IsEmpty(err) {
		return err
	}
	var src seqout.Source = emptySource{}
	if err == nil {
		defer r.Close()
		r.SpillLongerThan(SpillBases, dir)
		src = r
	}
	n, err := seqout.Write(src, seqout.Options{Dir: dir, MinTier: o.Sequences.MinTier, AllRegions: o.Sequences.AllRegions})
	if err != nil {
		return fmt.Errorf("writing %s: %w", seqout.ViralFile, err)
	}
	slog.Info("sequence outputs", "viral_records", n.Records, "regions", n.Regions)
	return mqc.Write(dir, o.sample(), conf)
}

// sample is the run's MultiQC sample name.
func (o *PredictOptions) sample() string {
	if o.Sequences.Sample != "" {
		return o.Sequences.Sample
	}
	return DefaultSample(o.inputs(), o.Output.Dir)
}

type emptySource struct{}

func (emptySource) Next() (*fasta.Record, error) { return nil, io.EOF }
