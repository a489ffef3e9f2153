package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/report"
)

// Confirmation re-scores the close calls of a run in a reference precision: with the
// encoders computing in bf16, every chunk whose decision is close (CloseCall) has all
// its frames embedded again by the reference (fp32) encoders and classified again,
// and those scores and embeddings replace the bf16 ones before the window reaches the
// sink. The reference encoders must be row-invariant (a row's bits do not depend on
// the batch it sits in), so a confirmed frame gets exactly the reference run's
// scores; confirmation depends only on a chunk's own frames, so it does not depend on
// windows, workers, shards or resumption either.
type Confirmation struct {
	// Encoders are the reference [DNABERT] and [ESM] encoders. They take the tokens of
	// Models.Encoders (the same tokenizers) and give embeddings of the same widths.
	Encoders [2]Encoder
	// Device names their backend in logs and errors.
	Device string
	// Margin is δ: a chunk is confirmed when one of its frames has
	// |P(virus) − P(others)| < Margin, or when its chunk-level comparison
	// |max P(virus) − max P(others)| over its frames is < Margin. A frame outside it
	// keeps the run's own label, which is the reference label whenever the run's
	// score error is below Margin/2. Margin <= 0 confirms nothing.
	Margin float64
}

// checkConfirm checks that the confirmation (if any) can stand in for the encoders:
// a classifier to re-score with, and reference embeddings of the same widths.
func (m Models) checkConfirm() error {
	c := m.Confirm
	if c == nil {
		return nil
	}
	if m.Classifier == nil {
		return errors.New("internal error: confirmation needs a classifier")
	}
	for e, enc := range c.Encoders {
		if enc == nil || enc.Dim() != m.Encoders[e].Dim() {
			return fmt.Errorf("internal error: the confirmation's %s does not give %d-wide embeddings", m.Encoders[e].Name(), m.Encoders[e].Dim())
		}
	}
	return nil
}

// CloseCall reports whether the decision of a chunk whose frames scored scores is
// within margin of flipping: one frame's |virus − others| < margin (the frame label
// of prediction_results), or |max virus − max others| < margin (the chunk call of
// the highestscore file, method step 6). A chunk without frames, or margin <= 0, is
// never close.
func CloseCall(scores []report.FrameScore, margin float64) bool {
	if len(scores) == 0 || !(margin > 0) {
		return false
	}
	var call report.ChunkCall
	for _, s := range scores {
		if math.Abs(float64(s.Virus)-float64(s.Others)) < margin {
			return true
		}
		call.Add(s)
	}
	return math.Abs(float64(call.MaxVirus)-float64(call.MaxOthers)) < margin
}

// CloseFrames returns, in order, the frames of w (indexes into w.Frames) that belong
// to a chunk whose call is close (CloseCall on w.Scores).
func CloseFrames(w *Window, margin float64) []int {
	var frames []int
	for _, c := range w.Chunks {
		lo, hi := c.FirstFrame, c.FirstFrame+c.NumFrames
		if CloseCall(w.Scores[lo:hi], margin) {
			for i := lo; i < hi; i++ {
				frames = append(frames, i)
			}
		}
	}
	return frames
}

// confirm re-scores the close chunks of a scored window with the reference encoders,
// replacing their frames' scores and their rows of features (len(w.Frames) × Width).
func (inf *inferrer) confirm(ctx context.Context, w *Window, features []float32) error {
	c := inf.m.Confirm
	frames := CloseFrames(w, c.Margin)
	if len(frames) == 0 {
		return nil
	}
	t0 := time.Now()
	dDNA, width := inf.m.Encoders[DNABERT].Dim(), inf.m.Width()
	sub := make([]float32, len(frames)*width)
	for e := range c.Encoders {
		rows, err := inf.confirmEmbed(ctx, e, w, frames)
		if err != nil {
			return err
		}
		of := w.prep.enc[e].of
		for j, i := range frames {
			row := sub[j*width : (j+1)*width]
			if e == DNABERT {
				copy(row[:dDNA], rows[of[i]])
			} else {
				copy(row[dDNA:], rows[of[i]])
			}
		}
	}
	probs, err := inf.m.Classifier.Classify(sub, len(frames))
	if err != nil {
		return fmt.Errorf("classifier (confirmation): %w", err)
	}
	if len(probs) != 2*len(frames) {
		return fmt.Errorf("classifier returned %d probabilities for %d frames", len(probs), len(frames))
	}
	for j, i := range frames {
		w.Scores[i] = report.FrameScore{ID: w.Frames[i].ID, Others: probs[2*j], Virus: probs[2*j+1]}
		copy(features[i*width:(i+1)*width], sub[j*width:(j+1)*width])
	}
	w.Confirmed = frames
	inf.st.Confirm += time.Since(t0)
	return nil
}

// confirmEmbed embeds, with reference encoder e, the distinct sequences of the given
// frames, in packed batches under the run's token budget; it returns the embeddings
// by the window's distinct-sequence index (nil for the others).
func (inf *inferrer) confirmEmbed(ctx context.Context, e int, w *Window, frames []int) ([][]float32, error) {
	c := inf.m.Confirm
	enc := c.Encoders[e]
	ep := &w.prep.enc[e]
	rows := make([][]float32, len(ep.uniq))
	var items []batch.Item
	for _, i := range frames {
		if u := ep.of[i]; rows[u] == nil {
			rows[u] = []float32{} // marks u as listed
			items = append(items, batch.Item{Index: u, Tokens: len(ep.tokens[u])})
		}
	}
	for _, b := range batch.Plan(items, inf.opts.MaxTokens[e]) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		toks := make([][]int32, len(b.Items))
		out := make([][]float32, len(b.Items))
		for k, it := range b.Items {
			toks[k], out[k] = ep.tokens[it.Index], make([]float32, enc.Dim())
		}
		fail := func(cat FailureCategory, err error) error {
			return &WorkerError{Device: c.Device, Model: enc.Name() + " (confirmation)", Category: cat,
				IDs: framesOfItems(w, ep, b.Items), Err: err}
		}
		if err := embedSafely(enc, toks, out); err != nil {
			return nil, fail(classify(err), err)
		}
		for k, it := range b.Items {
			if !finite(out[k]) {
				return nil, fail(FailureNumerical, &NumericalError{Model: enc.Name(), IDs: framesOf(w, ep, it.Index)})
			}
			rows[it.Index] = out[k]
		}
	}
	return rows, nil
}
