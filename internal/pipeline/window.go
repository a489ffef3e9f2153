package pipeline

import "github.com/virnucpro/virnucpro/internal/report"

// Frame is one kept (stop-free) reading frame of a chunk, waiting to be scored.
type Frame struct {
	// ID is <chunk id>F1..F3 / R1..R3.
	ID string
	// Nucleotide is the frame's nucleotide slice (DNABERT-S input); Protein its
	// translation (ESM-2 input).
	Nucleotide []byte
	Protein    []byte
}

// ChunkEntry is one chunk of a record and the frames it contributed to its window.
type ChunkEntry struct {
	// ID is <record id>_chunk_<Index+1>.
	ID string
	// Record indexes Window.Records.
	Record int
	// Index is the 0-based chunk number on the record; Start and End the 0-based,
	// half-open span it covers on the record.
	Index      int
	Start, End int
	// FirstFrame and NumFrames select the chunk's kept frames in Window.Frames
	// (NumFrames == 0: no stop-free frame).
	FirstFrame, NumFrames int
	// Seq is the chunk's sequence as read (case preserved); only filled when the
	// source is asked to keep it (for --keep-intermediate).
	Seq []byte
}

// RecordEntry is an input record, or the part of one, inside a window. A long record
// can span several windows: First marks the window holding its first chunk, Last the
// one holding its last.
type RecordEntry struct {
	ID     string
	Length int
	// Description is the record's FASTA header line (set on the entry with First).
	Description string
	// Ordinal is the record's 0-based position in the input.
	Ordinal     int
	First, Last bool
}

// Window is the unit of work: consecutive chunks of the input and their kept frames.
type Window struct {
	// Index is the window's 0-based position in the run.
	Index   int
	Records []RecordEntry
	Chunks  []ChunkEntry
	Frames  []Frame

	// Scores holds the classifier output per frame, filled by the pipeline (nil in a
	// run without a classifier).
	Scores []report.FrameScore
	// Features holds each frame's merged embedding (DNABERT-S then ESM-2, row-major,
	// len(Frames) × FeatureDim) when Options.KeepFeatures is set.
	Features   []float32
	FeatureDim int

	// Confirmed lists, in order, the frames (indexes into Frames) whose scores and
	// features come from Models.Confirm's reference encoders: the frames of the
	// window's close chunks. A checkpoint records it with the scores.
	Confirmed []int

	// Replayed is set by Run when Options.Replay restored the window from earlier
	// committed work instead of the models computing it.
	Replayed bool
	// SeqDigest, set by the source, is a digest of the window's input: its chunks'
	// ids and sequences. A checkpoint records it with the window's scores and a resume
	// replays them only for the same sequences.
	SeqDigest string

	prep *windowPrep
}

// ChunkCalls returns the per-chunk consensus of the window's chunks, in order.
func (w *Window) ChunkCalls() []report.ChunkCall {
	calls := make([]report.ChunkCall, len(w.Chunks))
	for i, c := range w.Chunks {
		calls[i].ChunkID = c.ID
		for f := c.FirstFrame; f < c.FirstFrame+c.NumFrames; f++ {
			calls[i].Add(w.Scores[f])
		}
	}
	return calls
}
