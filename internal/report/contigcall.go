package report

import (
	"math"
	"strconv"
)

// ContigCall is a record's row of contigs.tsv: the chunk → contig roll-up of
// viral-ngs' virnucpro_contigs (classify_contigs), computed from the record's scored
// chunks (chunks without a kept frame do not count, as they have no row in the
// highest-score table that virnucpro_contigs reads).
type ContigCall struct {
	ID   string
	Call Call
	Tier Tier
	// WeightedDelta is Σ(delta·confidence)/Σconfidence (mean delta when every
	// confidence is 0), delta = max score2 − max score1, confidence = √|delta|.
	WeightedDelta float64
	// Chunks counts the scored chunks; ConfidentViral, ConfidentNonViral and
	// Ambiguous those meeting each chunk rule (a chunk may meet more than one).
	Chunks, ConfidentViral, ConfidentNonViral, Ambiguous int
	// ViralProportion and NonViralProportion are the confident chunk counts over the
	// non-ambiguous chunks (0 when every chunk is ambiguous).
	ViralProportion, NonViralProportion float64
}

// Effective is the number of non-ambiguous chunks, the proportions' denominator.
func (c ContigCall) Effective() int { return c.Chunks - c.Ambiguous }

// score64 is the float64 a score has once printed (FormatScore) and read back, which is
// what viral-ngs computes with when it reads prediction_results_highestscore.csv: the
// float32 widened directly differs from it (0.8f widens to 0.800000011920929, above an
// 0.8 threshold that the printed "0.8" does not pass).
func score64(v float32) float64 {
	f, err := strconv.ParseFloat(FormatScore(v), 64)
	if err != nil { // nan/inf cannot be scores; keep the widened value
		return float64(v)
	}
	return f
}

// contigAccumulator gathers one record's scored chunks for the roll-up: the deltas in
// chunk order (the weighted delta is summed as numpy does, pairwise, which needs them
// all) and the chunk rule counts.
type contigAccumulator struct {
	deltas                                    []float64
	confidentViral, confidentNonViral, ambigs int
}

// add folds one scored chunk with max score1 s0 and max score2 s1.
func (a *contigAccumulator) add(s0, s1 float64, th Thresholds) {
	a.deltas = append(a.deltas, s1-s0)
	if s1 > th.ConfidentHigh && s0 < th.ConfidentLow {
		a.confidentViral++
	}
	if s0 > th.ConfidentHigh && s1 < th.ConfidentLow {
		a.confidentNonViral++
	}
	if s1 > th.AmbiguousBoth && s0 > th.AmbiguousBoth {
		a.ambigs++
	}
}

// weightedDelta is Σ(delta·√|delta|)/Σ√|delta|, or the mean delta when Σ√|delta| is
// not positive, with numpy's pairwise sums. NaN with no chunk.
func (a *contigAccumulator) weightedDelta() float64 {
	n := len(a.deltas)
	if n == 0 {
		return math.NaN()
	}
	conf := make([]float64, n)
	prod := make([]float64, n)
	for i, d := range a.deltas {
		conf[i] = math.Sqrt(math.Abs(d))
		prod[i] = d * conf[i]
	}
	if sw := pairwiseSum(conf); sw > 0 {
		return pairwiseSum(prod) / sw
	}
	return pairwiseSum(a.deltas) / float64(n)
}

// call applies the call, tier and short-contig demotion rules.
func (a *contigAccumulator) call(id string, th Thresholds) ContigCall {
	c := ContigCall{ID: id, Chunks: len(a.deltas), ConfidentViral: a.confidentViral,
		ConfidentNonViral: a.confidentNonViral, Ambiguous: a.ambigs, WeightedDelta: a.weightedDelta()}
	if eff := c.Effective(); eff > 0 {
		c.ViralProportion = float64(c.ConfidentViral) / float64(eff)
		c.NonViralProportion = float64(c.ConfidentNonViral) / float64(eff)
	}
	wd := c.WeightedDelta
	switch {
	case c.Chunks == 0:
		c.Call, c.Tier = CallNone, TierNone
		return c
	case wd > th.CallDelta:
		c.Call, c.Tier = CallViral, TierLow
		if c.ConfidentViral >= 1 && c.ViralProportion >= th.HighFraction {
			c.Tier = TierModerate
			if wd > th.HighDelta {
				c.Tier = TierHigh
			}
		}
	case wd < -th.CallDelta:
		c.Call, c.Tier = CallNonViral, TierLow
		if c.ConfidentNonViral >= 1 && c.NonViralProportion >= th.NonViralFraction {
			c.Tier = TierModerate
			if wd < -th.HighDelta {
				c.Tier = TierHigh
			}
		}
	default:
		c.Call, c.Tier = CallAmbiguous, TierReview
	}
	if c.Chunks < th.MinChunks {
		c.Tier = c.Tier.demoted()
	}
	return c
}

// pairwiseSum adds a as numpy's add.reduce does for a contiguous float64 array
// (pandas' Series.sum): fewer than 8 values in order; up to 128 in eight interleaved
// partial sums combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the remainder
// in order; beyond, the two halves (split at a multiple of 8) summed recursively.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, v := range a {
			res += v
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[i+j]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
}
