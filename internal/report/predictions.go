package report

import (
	"bufio"
	"io"
)

// PredictionsHeader is the header line of prediction_results.txt.
const PredictionsHeader = "Sequence_ID\tPrediction\tscore1\tscore2\n"

// PredictionWriter writes prediction_results.txt: one tab-separated row per kept
// frame, in the order given.
type PredictionWriter struct {
	w *bufio.Writer
}

// NewPredictionWriter writes the header to w and returns a writer for the rows.
func NewPredictionWriter(w io.Writer) (*PredictionWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(PredictionsHeader); err != nil {
		return nil, err
	}
	return &PredictionWriter{w: bw}, nil
}

// Write appends the row of one frame.
func (p *PredictionWriter) Write(f FrameScore) error {
	b := p.w
	b.WriteString(f.ID)
	b.WriteByte('\t')
	b.WriteString(f.Label())
	b.WriteByte('\t')
	b.WriteString(FormatScore(f.Others))
	b.WriteByte('\t')
	b.WriteString(FormatScore(f.Virus))
	_, err := b.WriteString("\n")
	return err
}

// Flush writes any buffered rows.
func (p *PredictionWriter) Flush() error { return p.w.Flush() }
