package predict

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/seqprep"
)

// FASTASource reads records, chunks and translates them, and cuts the result into
// windows of about WindowFrames kept frames (always at chunk boundaries, and never
// depending on anything but the input, so windows are the same on every run).
type FASTASource struct {
	r            *fasta.Reader
	chunkSize    int
	windowFrames int
	shard        ShardSpec
	keepChunks   bool

	ordinal int
	next    int // index of the next window
	seen    map[uint64]int
	pending *pendingRecord
	eof     bool
}

type pendingRecord struct {
	rec     *fasta.Record
	ordinal int
	chunks  []seqprep.Chunk
	pos     int // next chunk to emit
}

// SourceOptions configure a FASTASource.
type SourceOptions struct {
	ChunkSize    int
	WindowFrames int
	Shard        ShardSpec
	// KeepChunkSeqs fills ChunkEntry.Seq (for --keep-intermediate).
	KeepChunkSeqs bool
}

// NewFASTASource reads from r (which should RequireDNA).
func NewFASTASource(r *fasta.Reader, opts SourceOptions) *FASTASource {
	if opts.WindowFrames <= 0 {
		opts.WindowFrames = 2048
	}
	return &FASTASource{r: r, chunkSize: opts.ChunkSize, windowFrames: opts.WindowFrames, shard: opts.Shard,
		keepChunks: opts.KeepChunkSeqs, seen: make(map[uint64]int)}
}

// Next returns the next window or io.EOF.
func (s *FASTASource) Next() (*pipeline.Window, error) {
	w := &pipeline.Window{Index: s.next}
	for len(w.Frames) < s.windowFrames {
		if s.pending == nil {
			rec, ord, err := s.nextRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			s.pending = &pendingRecord{rec: rec, ordinal: ord, chunks: seqprep.Chunks(rec.ID, rec.Seq, s.chunkSize)}
		}
		p := s.pending
		ri := len(w.Records)
		w.Records = append(w.Records, pipeline.RecordEntry{ID: p.rec.ID, Length: len(p.rec.Seq), Ordinal: p.ordinal, First: p.pos == 0})
		for p.pos < len(p.chunks) && len(w.Frames) < s.windowFrames {
			c := p.chunks[p.pos]
			frames := seqprep.Translate(c.ID, c.Seq)
			entry := pipeline.ChunkEntry{ID: c.ID, Record: ri, Index: c.Index, Start: c.Start, End: c.End,
				FirstFrame: len(w.Frames), NumFrames: len(frames)}
			if s.keepChunks {
				entry.Seq = c.Seq
			}
			w.Chunks = append(w.Chunks, entry)
			for _, f := range frames {
				w.Frames = append(w.Frames, pipeline.Frame{ID: f.ID, Nucleotide: f.Nucleotide, Protein: f.Protein})
			}
			p.pos++
		}
		if p.pos == len(p.chunks) {
			w.Records[ri].Last = true
			s.pending = nil
		}
	}
	if len(w.Records) == 0 {
		return nil, io.EOF
	}
	s.next++
	return w, nil
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
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil, 0, io.EOF
		}
		if err != nil {
			return nil, 0, err
		}
		ord := s.ordinal
		s.ordinal++
		h := hashID(rec.ID)
		if line, dup := s.seen[h]; dup {
			return nil, 0, &fasta.Error{File: s.r.Name(), Record: rec.ID, Line: rec.Line,
				Msg: fmt.Sprintf("duplicate record id (first seen at line %d): ids must be unique so results can be told apart", line)}
		}
		s.seen[h] = rec.Line
		if !s.shard.Owns(ord) {
			continue
		}
		if len(rec.Seq) == 0 {
			slog.Warn("record has no sequence; it is listed in sequences.tsv with no chunks", "file", s.r.Name(), "record", rec.ID, "line", rec.Line)
		}
		return rec, ord, nil
	}
}

// hashID is FNV-1a 64: duplicate detection keeps 8 bytes per record, not the ids.
func hashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}
