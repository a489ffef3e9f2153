// Package seqout writes the sequence outputs of a run, for the tools that come next
// (CheckV, annotation): viral.fna, the records called Viral, and viral_regions.fna, the
// viral regions as sub-sequences. It makes a second streaming pass over the input
// records joined, in input order, with the run's sequences.tsv and regions.tsv, so
// sequences are byte-identical to the input and memory is one record.
package seqout

import (
	"bufio"
	"errors"
	"io"
	"path/filepath"
	"strconv"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/fasta"
)

// Output file names.
const (
	ViralFile   = "viral.fna"
	RegionsFile = "viral_regions.fna"
)

// Options configure Write.
type Options struct {
	// Dir is the output directory holding sequences.tsv and regions.tsv; the files are
	// written there.
	Dir string
	// MinTier is the least confident tier written (ParseMinTier; "" = every Viral record).
	MinTier string
	// AllRegions writes every region of regions.tsv to viral_regions.fna, including
	// those of records not called Viral (candidate proviruses); otherwise only the
	// regions of the records written to viral.fna.
	AllRegions bool
}

// Counts are what Write wrote.
type Counts struct{ Records, Regions int }

// Source yields the run's input records in input order (a *fasta.Reader; records it
// spilled to disk are read back from there and released).
type Source interface {
	Next() (*fasta.Record, error)
}

// Write writes viral.fna and viral_regions.fna atomically. The input must be the one
// the run read (records are checked against sequences.tsv by id and length).
func Write(in Source, opts Options) (Counts, error) {
	minRank, err := ParseMinTier(opts.MinTier)
	if err != nil {
		return Counts{}, err
	}
	j, err := newJoin(opts.Dir)
	if err != nil {
		return Counts{}, err
	}
	defer j.close()
	var files []*atomicfile.File
	defer func() {
		for _, f := range files {
			f.Abort()
		}
	}()
	var ws [2]*bufio.Writer
	for i, name := range []string{ViralFile, RegionsFile} {
		f, err := atomicfile.Create(filepath.Join(opts.Dir, name))
		if err != nil {
			return Counts{}, err
		}
		files = append(files, f)
		ws[i] = bufio.NewWriterSize(f, 1<<16)
	}
	var n Counts
	for {
		rec, err := in.Next()
		if errors.Is(err, io.EOF) || fasta.IsEmpty(err) {
			break
		}
		if err != nil {
			return n, err
		}
		err = j.write(rec, minRank, opts.AllRegions, ws, &n)
		rec.Release()
		if err != nil {
			return n, err
		}
	}
	if err := j.finish(); err != nil {
		return n, err
	}
	for i, f := range files {
		if err := ws[i].Flush(); err != nil {
			return n, err
		}
		if err := f.Commit(); err != nil {
			return n, err
		}
	}
	files = nil
	return n, nil
}

// writeFASTA writes bases [start, end) of rec as one entry, the sequence on a single
// line; a spilled record is read back a piece at a time.
func writeFASTA(w *bufio.Writer, header string, rec *fasta.Record, start, end int) error {
	w.WriteByte('>')
	w.WriteString(header)
	w.WriteByte('\n')
	for i := start; i < end; i += 1 << 20 {
		b, err := rec.Slice(i, min(i+1<<20, end))
		if err != nil {
			return err
		}
		w.Write(b)
	}
	_, err := w.WriteString("\n")
	return err
}

func regionName(id string, start, end int) string {
	return id + "|region_" + strconv.Itoa(start) + "-" + strconv.Itoa(end)
}
