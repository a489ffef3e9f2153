package report

import (
	"fmt"
	"math"
)

// Thresholds are the cut-offs of the per-record call (the aggregation the Broad
// production workflow applies downstream of VirNucPro) and of viral-region merging.
// docs/report.md explains each one.
type Thresholds struct {
	// ConfidentHigh and ConfidentLow define a confident chunk: a confident viral chunk
	// has max score2 > ConfidentHigh and max score1 < ConfidentLow; a confident
	// non-viral chunk the mirror image.
	ConfidentHigh, ConfidentLow float64
	// AmbiguousBoth: a chunk whose max score1 and max score2 both exceed it is an
	// ambiguous chunk (the maxima can come from different frames).
	AmbiguousBoth float64
	// CallDelta: a record is Viral when its weighted delta is > CallDelta, Non-viral
	// when it is < -CallDelta, Ambiguous otherwise.
	CallDelta float64
	// HighDelta: a Viral (Non-viral) call is high tier when |weighted delta| >
	// HighDelta, at least one confident viral (non-viral) chunk exists and the
	// fraction of viral (non-viral) chunks is >= HighFraction.
	HighDelta, HighFraction float64
	// MinChunks: records with fewer scored chunks have their tier lowered one step.
	MinChunks int
	// RegionGap is the number of consecutive non-viral chunks allowed inside a viral
	// region (0: only strictly consecutive viral chunks merge).
	RegionGap int
}

// DefaultThresholds returns the Broad workflow's values.
func DefaultThresholds() Thresholds {
	return Thresholds{
		ConfidentHigh: 0.8,
		ConfidentLow:  0.3,
		AmbiguousBoth: 0.7,
		CallDelta:     0.3,
		HighDelta:     0.6,
		HighFraction:  0.1,
		MinChunks:     5,
		RegionGap:     1,
	}
}

// Validate reports a threshold outside its range.
func (t Thresholds) Validate() error {
	for _, p := range []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"confident-high", t.ConfidentHigh, 0, 1},
		{"confident-low", t.ConfidentLow, 0, 1},
		{"ambiguous-both", t.AmbiguousBoth, 0, 1},
		{"call-delta", t.CallDelta, 0, 1},
		{"high-delta", t.HighDelta, 0, 1},
		{"high-fraction", t.HighFraction, 0, 1},
	} {
		if math.IsNaN(p.v) || p.v < p.lo || p.v > p.hi {
			return fmt.Errorf("threshold %s = %v: want a value in [%v, %v]", p.name, p.v, p.lo, p.hi)
		}
	}
	if t.HighDelta < t.CallDelta {
		return fmt.Errorf("threshold high-delta = %v is below call-delta = %v", t.HighDelta, t.CallDelta)
	}
	if t.MinChunks < 0 {
		return fmt.Errorf("threshold min-chunks = %d: want >= 0", t.MinChunks)
	}
	if t.RegionGap < 0 {
		return fmt.Errorf("region gap = %d: want >= 0", t.RegionGap)
	}
	return nil
}
