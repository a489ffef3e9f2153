package report

import (
	"bufio"
	"io"
	"math"
	"strconv"
)

// Record statuses in sequences.tsv.
const (
	// StatusOK: at least one chunk of the record has a stop-free frame and was scored.
	StatusOK = "ok"
	// StatusNoORF: no chunk of the record has a stop-free frame, so nothing was scored
	// (the original silently drops such records).
	StatusNoORF = "no_orf"
)

// SequencesHeader is the header line of sequences.tsv.
const SequencesHeader = "id\tlength\tchunks\tchunks_with_frames\tno_orf_chunks\tviral_chunks\tmax_score2\tstatus\n"

// RecordSummary aggregates the calls of one input record's chunks.
type RecordSummary struct {
	ID     string
	Length int
	// Chunks counts every chunk; ChunksWithFrames those with at least one kept frame;
	// ViralChunks those called viral.
	Chunks, ChunksWithFrames, ViralChunks int
	// MaxVirus is the highest score2 over all kept frames of the record (NaN if none).
	MaxVirus float32
}

// NewRecordSummary starts the summary of a record.
func NewRecordSummary(id string, length int) *RecordSummary {
	return &RecordSummary{ID: id, Length: length, MaxVirus: float32(math.NaN())}
}

// AddChunk folds one chunk's call into the record (a call with Frames == 0 is a
// chunk with no stop-free frame).
func (r *RecordSummary) AddChunk(c ChunkCall) {
	r.Chunks++
	if c.Frames == 0 {
		return
	}
	r.ChunksWithFrames++
	if c.IsVirus() {
		r.ViralChunks++
	}
	if r.MaxVirus != r.MaxVirus || c.MaxVirus > r.MaxVirus {
		r.MaxVirus = c.MaxVirus
	}
}

// Status is StatusOK or StatusNoORF.
func (r *RecordSummary) Status() string {
	if r.ChunksWithFrames == 0 {
		return StatusNoORF
	}
	return StatusOK
}

// SequencesWriter writes sequences.tsv, one row per input record in input order.
type SequencesWriter struct {
	w *bufio.Writer
}

// NewSequencesWriter writes the header.
func NewSequencesWriter(w io.Writer) (*SequencesWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(SequencesHeader); err != nil {
		return nil, err
	}
	return &SequencesWriter{w: bw}, nil
}

// Write appends one record's row; max_score2 is "NA" when no frame was scored.
func (s *SequencesWriter) Write(r *RecordSummary) error {
	b := s.w
	b.WriteString(r.ID)
	for _, n := range []int{r.Length, r.Chunks, r.ChunksWithFrames, r.Chunks - r.ChunksWithFrames, r.ViralChunks} {
		b.WriteByte('\t')
		b.WriteString(strconv.Itoa(n))
	}
	b.WriteByte('\t')
	if r.ChunksWithFrames == 0 {
		b.WriteString("NA")
	} else {
		b.WriteString(FormatScore(r.MaxVirus))
	}
	b.WriteByte('\t')
	b.WriteString(r.Status())
	_, err := b.WriteString("\n")
	return err
}

// Flush writes buffered rows.
func (s *SequencesWriter) Flush() error { return s.w.Flush() }
