package pipeline

import (
	"sync/atomic"
	"time"
)

// Encoder slots.
const (
	DNABERT = 0 // the nucleotide encoder
	ESM     = 1 // the protein encoder
)

// EncoderStats counts one encoder's work.
type EncoderStats struct {
	// Embedded counts sequences run through the model; Reused frames served by
	// deduplication (same sequence in the window or in the cache).
	Embedded, Reused int
	// Batches and Tokens count packed batches and their real tokens; Budget is the
	// token budget those batches could have held (for efficiency).
	Batches, Tokens, Budget int
	// Tokenize and Embed are the wall time spent in each step.
	Tokenize, Embed time.Duration
	// OOMRetries counts batches split and retried after running out of memory.
	OOMRetries int
}

// add adds another worker's batch counts to s.
func (s *EncoderStats) add(o EncoderStats) {
	s.Batches += o.Batches
	s.Tokens += o.Tokens
	s.Budget += o.Budget
	s.OOMRetries += o.OOMRetries
}

// Efficiency is the share of the token budget filled with real tokens.
func (s EncoderStats) Efficiency() float64 {
	if s.Budget == 0 {
		return 1
	}
	return float64(s.Tokens) / float64(s.Budget)
}

// Stats summarises a run.
type Stats struct {
	Records, Chunks, Frames, NoORFChunks, Windows int
	// ReplayedWindows were restored from a checkpoint instead of computed;
	// ReplayedFrames are their frames (part of Frames).
	ReplayedWindows, ReplayedFrames int
	// Confirmed counts the frames whose scores come from the confirmation's reference
	// encoders (Window.Confirmed; replayed windows included), and Confirm is the wall
	// time this run spent confirming.
	Confirmed int
	Confirm   time.Duration
	Encoders  [2]EncoderStats
	// Read is the time spent reading, chunking and translating; Classify and Write
	// the time in the classifier and in the sink; Wall the whole run.
	Read, Classify, Write, Wall time.Duration
}

// Progress exposes live counters of a running pipeline; all fields are safe to read
// from another goroutine.
type Progress struct {
	Records      atomic.Int64 // records read
	FramesRead   atomic.Int64 // kept frames read
	FramesScored atomic.Int64 // frames scored and written (computed or replayed)
	// FramesReplayed counts the frames of FramesScored restored from a checkpoint.
	FramesReplayed atomic.Int64
	Tokens         atomic.Int64 // model tokens embedded (both encoders)
	// InputRead is set once the source is exhausted: FramesRead is then the run's total.
	InputRead atomic.Bool
}

// countWindow adds a written window's records, chunks and frames.
func (s *Stats) countWindow(w *Window) {
	s.Windows++
	for _, r := range w.Records {
		if r.First {
			s.Records++
		}
	}
	s.Chunks += len(w.Chunks)
	for _, c := range w.Chunks {
		if c.NumFrames == 0 {
			s.NoORFChunks++
		}
	}
	s.Frames += len(w.Frames)
	s.Confirmed += len(w.Confirmed)
	if w.Replayed {
		s.ReplayedFrames += len(w.Frames)
	}
}
