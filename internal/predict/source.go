package predict

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/seqprep"
)

// FASTASource reads records, chunks and translates them, and cuts the result into
// windows of about WindowFrames kept frames (always at chunk boundaries, and never
// depending on anything but the input, so windows are the same on every run).
// Memory does not grow with the input: duplicate ids are found with a fasta.IDSet
// (≤ ~21 bytes per record, spilled to SpillDir) and a record is cut one chunk at a time
// (a record the reader spilled to disk is read back chunk by chunk).
type FASTASource struct {
	r            *fasta.Reader
	chunkSize    int
	windowFrames int
	shard        ShardSpec
	keepChunks   bool
	spillDir     string

	ordinal int
	next    int       // index of the next window
	digest  hash.Hash // of the current window's chunk ids and sequences
	ids     *fasta.IDSet
	pending *pendingRecord
	eof     bool
}

type pendingRecord struct {
	rec     *fasta.Record
	ordinal int
	n       int // chunks
	pos     int // next chunk to emit
}

// SourceOptions configure a FASTASource.
type SourceOptions struct {
	ChunkSize    int
	WindowFrames int
	Shard        ShardSpec
	// KeepChunkSeqs fills ChunkEntry.Seq (for --keep-intermediate).
	KeepChunkSeqs bool
	// SpillDir holds the duplicate-id spill file ("" for the temporary directory).
	SpillDir string
}

// NewFASTASource reads from r (which should RequireDNA). Close releases it.
func NewFASTASource(r *fasta.Reader, opts SourceOptions) *FASTASource {
	if opts.WindowFrames <= 0 {
		opts.WindowFrames = 2048
	}
	return &FASTASource{r: r, chunkSize: opts.ChunkSize, windowFrames: opts.WindowFrames, shard: opts.Shard,
		keepChunks: opts.KeepChunkSeqs, spillDir: opts.SpillDir}
}

// Close releases the duplicate-id set and a record still being cut.
func (s *FASTASource) Close() error {
	if s.pending != nil {
		s.pending.rec.Release()
		s.pending = nil
	}
	if s.ids == nil {
		return nil
	}
	err := s.ids.Close()
	s.ids = nil
	return err
}

// Next returns the next window or io.EOF.
func (s *FASTASource) Next() (*pipeline.Window, error) {
	w := &pipeline.Window{Index: s.next}
	if s.digest == nil {
		s.digest = sha256.New()
	}
	s.digest.Reset()
	for len(w.Frames) < s.windowFrames {
		if s.pending == nil {
			rec, ord, err := s.nextRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			s.pending = &pendingRecord{rec: rec, ordinal: ord, n: seqprep.NumChunks(rec.Length(), s.chunkSize)}
		}
		if err := s.fill(w); err != nil {
			return nil, err
		}
	}
	if len(w.Records) == 0 {
		return nil, io.EOF
	}
	w.SeqDigest = hex.EncodeToString(s.digest.Sum(nil))
	s.next++
	return w, nil
}

// fill adds the pending record's next chunks to w, up to the window's size.
func (s *FASTASource) fill(w *pipeline.Window) error {
	p := s.pending
	ri := len(w.Records)
	w.Records = append(w.Records, pipeline.RecordEntry{ID: p.rec.ID, Length: p.rec.Length(),
		Ordinal: p.ordinal, First: p.pos == 0})
	if p.pos == 0 {
		w.Records[ri].Description = p.rec.Description
	}
	n := p.rec.Length()
	for p.pos < p.n && len(w.Frames) < s.windowFrames {
		start, end := seqprep.ChunkSpan(n, s.chunkSize, p.pos)
		seq, err := p.rec.Slice(start, end)
		if err != nil {
			return err
		}
		id := seqprep.ChunkID(p.rec.ID, p.pos)
		s.digest.Write([]byte(id))
		s.digest.Write([]byte{0})
		s.digest.Write(seq)
		s.digest.Write([]byte{0})
		frames := seqprep.Translate(id, seq)
		entry := pipeline.ChunkEntry{ID: id, Record: ri, Index: p.pos, Start: start, End: end,
			FirstFrame: len(w.Frames), NumFrames: len(frames)}
		if s.keepChunks {
			entry.Seq = seq
		}
		w.Chunks = append(w.Chunks, entry)
		for _, f := range frames {
			w.Frames = append(w.Frames, pipeline.Frame{ID: f.ID, Nucleotide: f.Nucleotide, Protein: f.Protein})
		}
		p.pos++
	}
	if p.pos == p.n {
		w.Records[ri].Last = true
		s.pending = nil
		return p.rec.Release()
	}
	return nil
}

// InputRecords is the number of records read from the input so far, this shard's
// or not: after the last window, the number of records in the input.
func (s *FASTASource) InputRecords() int { return s.ordinal }

// nextRecord returns the next record of this shard, refusing duplicate ids.
func (s *FASTASource) nextRecord() (*fasta.Record, int, error) {
	for {
		if s.eof {
			return nil, 0, io.EOF
		}
		rec, err := s.r.Next()
		if fasta.IsEmpty(err) {
			slog.Warn("the input has no records: every output is written with its header only", "input", s.r.Name())
			err = io.EOF
		}
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil, 0, io.EOF
		}
		if err != nil {
			return nil, 0, err
		}
		ord := s.ordinal
		s.ordinal++
		if err := s.checkUnique(rec); err != nil {
			rec.Release()
			return nil, 0, err
		}
		if !s.shard.Owns(ord) {
			rec.Release()
			continue
		}
		if rec.Length() == 0 {
			slog.Warn("record has no sequence; it is listed in sequences.tsv with no chunks", "file", s.r.Name(), "record", rec.ID, "line", rec.Line)
		}
		return rec, ord, nil
	}
}

// checkUnique refuses a record whose id an earlier record had (exactly: see
// fasta.IDSet).
func (s *FASTASource) checkUnique(rec *fasta.Record) error {
	if s.ids == nil {
		var err error
		if s.ids, err = fasta.NewIDSet(s.spillDir); err != nil {
			return err
		}
	}
	line, dup, err := s.ids.Add(rec.ID, rec.Line)
	if err != nil {
		return err
	}
	if dup {
		return &fasta.Error{File: s.r.Name(), Record: rec.ID, Line: rec.Line,
			Msg: fmt.Sprintf("duplicate record id (first seen at line %d): ids must be unique so results can be told apart", line)}
	}
	return nil
}
