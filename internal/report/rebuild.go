package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RecordRef is a record as sequences.tsv lists it.
type RecordRef struct {
	ID             string
	Length, Chunks int
	// Description is the FASTA header after the id ("" in files without the column).
	Description string
}

// SequencesReader reads the id, length and chunks columns of sequences.tsv (any
// version of the file: later columns are ignored).
type SequencesReader struct {
	sc   *bufio.Scanner
	name string
	line int
	desc int // index of the description column, the last one (-1: none)
}

// NewSequencesReader checks the header of sequences.tsv read from r (name is used in
// errors).
func NewSequencesReader(r io.Reader, name string) (*SequencesReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if !strings.HasPrefix(sc.Text(), "id\tlength\tchunks\t") {
		return nil, fmt.Errorf("%s line 1: header %q does not start with id, length, chunks", name, sc.Text())
	}
	cols := strings.Split(sc.Text(), "\t")
	desc := -1
	if cols[len(cols)-1] == "description" {
		desc = len(cols) - 1
	}
	return &SequencesReader{sc: sc, name: name, line: 1, desc: desc}, nil
}

// Next returns the next record, or io.EOF.
func (s *SequencesReader) Next() (RecordRef, error) {
	if !s.sc.Scan() {
		if err := s.sc.Err(); err != nil {
			return RecordRef{}, fmt.Errorf("%s line %d: %w", s.name, s.line+1, err)
		}
		return RecordRef{}, io.EOF
	}
	s.line++
	f := strings.SplitN(s.sc.Text(), "\t", 4)
	if len(f) < 4 {
		return RecordRef{}, fmt.Errorf("%s line %d: %d columns, want at least 4", s.name, s.line, len(f))
	}
	l, err1 := strconv.Atoi(f[1])
	n, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || l < 0 || n < 0 {
		return RecordRef{}, fmt.Errorf("%s line %d: length %q and chunks %q must be non-negative integers", s.name, s.line, f[1], f[2])
	}
	ref := RecordRef{ID: f[0], Length: l, Chunks: n}
	if s.desc > 0 {
		if all := strings.SplitN(s.sc.Text(), "\t", s.desc+1); len(all) == s.desc+1 {
			ref.Description = all[s.desc]
		}
	}
	return ref, nil
}

// Rebuild redoes the reports of an existing output directory without the models: it
// reads dir/chunks.tsv (and dir/sequences.tsv, when present, for the record list,
// lengths and records without chunks) and rewrites sequences.tsv, chunks.tsv,
// regions.bed, regions.tsv, plots/ and report.html with opts (opts.Dir is set to dir).
// Without sequences.tsv, a record is a run of rows with the same id starting at chunk
// 1, its length the end of its last chunk.
func Rebuild(dir string, opts Options) error {
	chunksPath := filepath.Join(dir, ChunksFile)
	cf, err := os.Open(chunksPath)
	if err != nil {
		return fmt.Errorf("rebuild reports: %w", err)
	}
	defer cf.Close()
	cr, err := NewChunksReader(cf, chunksPath)
	if err != nil {
		return err
	}
	var seqs *SequencesReader
	seqPath := filepath.Join(dir, SequencesFile)
	if sf, err := os.Open(seqPath); err == nil {
		defer sf.Close()
		if seqs, err = NewSequencesReader(sf, seqPath); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rebuild reports: %w", err)
	}
	opts.Dir = dir
	rr, err := NewRunReport(opts)
	if err != nil {
		return err
	}
	if seqs != nil {
		err = rebuildWithList(rr, cr, seqs, chunksPath)
	} else {
		err = rebuildFromChunks(rr, cr)
	}
	if err != nil {
		rr.Abort()
		return err
	}
	return rr.Finish()
}

func rebuildWithList(rr *RunReport, cr *ChunksReader, seqs *SequencesReader, chunksPath string) error {
	for {
		ref, err := seqs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := rr.BeginRecord(ref.ID, ref.Length); err != nil {
			return err
		}
		rr.SetDescription(ref.Description)
		for i := 0; i < ref.Chunks; i++ {
			c, err := cr.Next()
			if err == io.EOF {
				return fmt.Errorf("%s: ends before chunk %d of record %q (sequences.tsv line %d lists %d)", chunksPath, i+1, ref.ID, seqs.line, ref.Chunks)
			}
			if err != nil {
				return err
			}
			if c.Record != ref.ID || c.Index != i || c.End > ref.Length {
				return fmt.Errorf("%s line %d: chunk %d of %q (span ..%d), want chunk %d of %q (length %d) as sequences.tsv line %d lists",
					chunksPath, cr.line, c.Index+1, c.Record, c.End, i+1, ref.ID, ref.Length, seqs.line)
			}
			if err := rr.AddChunk(c); err != nil {
				return err
			}
		}
	}
	if c, err := cr.Next(); err != io.EOF {
		if err != nil {
			return err
		}
		return fmt.Errorf("%s line %d: chunk %d of %q is not listed in sequences.tsv", chunksPath, cr.line, c.Index+1, c.Record)
	}
	return nil
}

func rebuildFromChunks(rr *RunReport, cr *ChunksReader) error {
	var pending []ChunkRow // the open record's rows (its length is known at its end)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := rr.BeginRecord(pending[0].Record, pending[len(pending)-1].End); err != nil {
			return err
		}
		for _, c := range pending {
			if err := rr.AddChunk(c); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return rr.EndRecord()
	}
	for {
		c, err := cr.Next()
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
		if len(pending) > 0 && (c.Record != pending[0].Record || c.Index == 0) {
			if err := flush(); err != nil {
				return err
			}
		}
		if c.Index != len(pending) {
			return fmt.Errorf("%s line %d: chunk %d of %q follows chunk %d", cr.name, cr.line, c.Index+1, c.Record, len(pending))
		}
		pending = append(pending, c)
	}
}
