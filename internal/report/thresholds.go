package report

import (
	"fmt"
	"math"
)

// Thresholds are the cut-offs of the per-record call (the chunk → contig roll-up of
// viral-ngs' virnucpro_contigs, the Broad production workflow's step downstream of
// VirNucPro; the comment names its parameter) and of viral-region merging.
// docs/report.md explains each one.
type Thresholds struct {
	// ConfidentHigh and ConfidentLow define a confident chunk: a confident viral chunk
	// has max score2 > ConfidentHigh and max score1 < ConfidentLow; a confident
	// non-viral chunk the mirror image (min_confident_score, max_opposing_score).
	ConfidentHigh, ConfidentLow float64
	// AmbiguousBoth: a chunk whose max score1 and max score2 both exceed it is an
	// ambiguous chunk (the maxima can come from different frames; min_ambiguous_score).
	AmbiguousBoth float64
	// CallDelta: a record is Viral when its weighted delta is > CallDelta, Non-viral
	// when it is < -CallDelta, Ambiguous otherwise (min_weighted_delta).
	CallDelta float64
	// HighDelta: a call above low_confidence (below) is high_confidence when
	// |weighted delta| > HighDelta, moderate_confidence otherwise
	// (high_confidence_delta).
	HighDelta float64
	// HighFraction (NonViralFraction): a Viral (Non-viral) call is above
	// low_confidence when at least one confident viral (non-viral) chunk exists and
	// the viral (non-viral) proportion is >= it (min_viral_prop, min_nonviral_prop).
	HighFraction, NonViralFraction float64
	// MinChunks: records with fewer scored chunks are demoted: high and moderate to
	// low_confidence, low to review (min_chunks).
	MinChunks int
	// RegionGap is the number of consecutive non-viral chunks allowed inside a viral
	// region (0: only strictly consecutive viral chunks merge).
	RegionGap int
}

// DefaultThresholds returns the Broad workflow's values.
func DefaultThresholds() Thresholds {
	return Thresholds{
		ConfidentHigh:    0.8,
		ConfidentLow:     0.3,
		AmbiguousBoth:    0.7,
		CallDelta:        0.3,
		HighDelta:        0.6,
		HighFraction:     0.1,
		NonViralFraction: 0.1,
		MinChunks:        5,
		RegionGap:        1,
	}
}

// Validate reports a threshold outside its range.
func (t Thresholds) Validate() error {
	for _, p := range []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"min-confident-score", t.ConfidentHigh, 0, 1},
		{"max-opposing-score", t.ConfidentLow, 0, 1},
		{"min-ambiguous-score", t.AmbiguousBoth, 0, 1},
		{"min-weighted-delta", t.CallDelta, 0, 1},
		{"high-confidence-delta", t.HighDelta, 0, 1},
		{"min-viral-prop", t.HighFraction, 0, 1},
		{"min-nonviral-prop", t.NonViralFraction, 0, 1},
	} {
		if math.IsNaN(p.v) || p.v < p.lo || p.v > p.hi {
			return fmt.Errorf("threshold %s = %v: want a value in [%v, %v]", p.name, p.v, p.lo, p.hi)
		}
	}
	if t.MinChunks < 0 {
		return fmt.Errorf("threshold min-chunks = %d: want >= 0", t.MinChunks)
	}
	if t.RegionGap < 0 {
		return fmt.Errorf("region gap = %d: want >= 0", t.RegionGap)
	}
	return nil
}
