package report

import (
	"math"
	"testing"
)

// chunk is a scored chunk call with max score1 s0 and max score2 s1.
func chunk(s0, s1 float32) ChunkCall { return ChunkCall{MaxOthers: s0, MaxVirus: s1, Frames: 1} }

func repeat(c ChunkCall, n int) []ChunkCall {
	out := make([]ChunkCall, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func TestRecordCallBranches(t *testing.T) {
	noORF := ChunkCall{}
	tests := []struct {
		name   string
		chunks []ChunkCall
		call   Call
		tier   Tier
		wd     float64 // NaN: not checked
	}{
		{"no chunks at all", nil, CallNone, TierNone, math.NaN()},
		{"all no_orf", repeat(noORF, 3), CallNone, TierNone, math.NaN()},
		{"viral high", repeat(chunk(0.05, 0.95), 5), CallViral, TierHigh, 0.9},
		{"viral high demoted by few chunks", repeat(chunk(0.05, 0.95), 4), CallViral, TierLow, 0.9},
		{"single confident viral chunk", []ChunkCall{chunk(0.05, 0.95)}, CallViral, TierLow, 0.9},
		// delta 0.5 for every chunk: Viral, but no chunk is confident (0.75 <= 0.8).
		{"viral low: no confident chunk", repeat(chunk(0.25, 0.75), 6), CallViral, TierLow, 0.5},
		{"viral low demoted to review", repeat(chunk(0.25, 0.75), 2), CallViral, TierReview, 0.5},
		// delta 0.57 <= HighDelta with confident chunks (0.82 > 0.8, 0.25 < 0.3).
		{"viral moderate", repeat(chunk(0.25, 0.82), 6), CallViral, TierModerate, 0.57},
		// delta 0.7 > 0.6 but s1 = 0.85 with s0 = 0.15: confident; make it unconfident
		// with s0 = 0.1 and s1 = 0.78 (delta 0.68, s1 not > 0.8).
		{"viral low: no confident chunk, high delta", repeat(chunk(0.1, 0.78), 5), CallViral, TierLow, 0.68},
		// One overwhelming viral chunk among 19 weak non-viral ones: fraction 0.05 < 0.1.
		{"viral low: viral proportion below 0.1", append(repeat(chunk(0.0, 1.0), 1), repeat(chunk(0.5, 0.4999), 19)...), CallViral, TierLow, math.NaN()},
		{"non-viral high", repeat(chunk(0.95, 0.05), 5), CallNonViral, TierHigh, -0.9},
		{"non-viral high demoted", repeat(chunk(0.95, 0.05), 1), CallNonViral, TierLow, -0.9},
		{"non-viral low", repeat(chunk(0.7, 0.3), 5), CallNonViral, TierLow, -0.4},
		{"non-viral low demoted", repeat(chunk(0.7, 0.3), 3), CallNonViral, TierReview, -0.4},
		{"ambiguous", repeat(chunk(0.55, 0.45), 8), CallAmbiguous, TierReview, -0.1},
		{"ambiguous few chunks stays review", repeat(chunk(0.45, 0.55), 1), CallAmbiguous, TierReview, 0.1},
		// Every delta is 0: Σw = 0, weighted delta is the mean delta, 0.
		{"all ties: weight sum zero", repeat(chunk(0.5, 0.5), 6), CallAmbiguous, TierReview, 0},
		{"no_orf chunks do not count", append(repeat(chunk(0.05, 0.95), 5), repeat(noORF, 10)...), CallViral, TierHigh, 0.9},
		{"no_orf chunks do not rescue the chunk count", append(repeat(chunk(0.05, 0.95), 4), repeat(noORF, 10)...), CallViral, TierLow, 0.9},
		// Mixed: 3 strong viral, 2 strong non-viral: wd = (3·√.9·.9 − 2·√.9·.9)/(5√.9) = 0.18.
		{"mixed cancels to ambiguous", append(repeat(chunk(0.05, 0.95), 3), repeat(chunk(0.95, 0.05), 2)...), CallAmbiguous, TierReview, 0.18},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecordSummary("r", 1000)
			for _, c := range tc.chunks {
				r.AddChunk(c)
			}
			call, tier := r.Call()
			if call != tc.call || tier != tc.tier {
				t.Fatalf("call %s/%s, want %s/%s (wd %v, confident %d/%d, viral %d of %d)", call, tier, tc.call, tc.tier,
					r.WeightedDelta(), r.ConfidentViral, r.ConfidentNonViral, r.ViralChunks, r.ChunksWithFrames)
			}
			if !math.IsNaN(tc.wd) && math.Abs(r.WeightedDelta()-tc.wd) > 1e-6 {
				t.Fatalf("weighted delta %v, want %v", r.WeightedDelta(), tc.wd)
			}
		})
	}
}

func TestRecordChunkCounters(t *testing.T) {
	r := NewRecordSummary("r", 1)
	for _, c := range []ChunkCall{chunk(0.1, 0.9), chunk(0.9, 0.1), chunk(0.75, 0.72), chunk(0.5, 0.5), {}} {
		r.AddChunk(c)
	}
	if r.ConfidentViral != 1 || r.ConfidentNonViral != 1 || r.AmbiguousChunks != 1 {
		t.Fatalf("confident %d/%d ambiguous %d", r.ConfidentViral, r.ConfidentNonViral, r.AmbiguousChunks)
	}
	if r.ViralChunks != 2 || r.ChunksWithFrames != 4 || r.Chunks != 5 || r.ViralFraction() != 0.5 {
		t.Fatalf("viral %d scored %d chunks %d fraction %v", r.ViralChunks, r.ChunksWithFrames, r.Chunks, r.ViralFraction())
	}
	if got := r.MeanVirus(); math.Abs(got-(0.9+0.1+0.72+0.5)/4) > 1e-6 {
		t.Fatalf("mean %v", got)
	}
}

func TestRecordCallCustomThresholds(t *testing.T) {
	th := DefaultThresholds()
	th.MinChunks = 1
	th.CallDelta = 0.05
	r := NewRecordSummaryWith("r", 1, th)
	r.AddChunk(chunk(0.45, 0.55))
	if call, tier := r.Call(); call != CallViral || tier != TierLow {
		t.Fatalf("%s/%s", call, tier)
	}
}

// TestRecordCallAtThresholds checks the comparisons are strict, with thresholds a
// float32 delta hits exactly.
func TestRecordCallAtThresholds(t *testing.T) {
	th := DefaultThresholds()
	th.CallDelta, th.HighDelta = 0.25, 0.625
	for _, tc := range []struct {
		s0, s1 float32
		call   Call
		tier   Tier
	}{
		{0.25, 0.5, CallAmbiguous, TierReview},    // delta = CallDelta
		{0.5, 0.25, CallAmbiguous, TierReview},    // delta = -CallDelta
		{0.125, 0.875, CallViral, TierHigh},       // delta .75 > .625, confident
		{0.25, 0.875, CallViral, TierModerate},    // delta = HighDelta
		{0.875, 0.25, CallNonViral, TierModerate}, // delta = -HighDelta
	} {
		r := NewRecordSummaryWith("r", 1, th)
		for range 5 {
			r.AddChunk(chunk(tc.s0, tc.s1))
		}
		if call, tier := r.Call(); call != tc.call || tier != tc.tier {
			t.Errorf("%v/%v: %s/%s, want %s/%s", tc.s0, tc.s1, call, tier, tc.call, tc.tier)
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	if err := DefaultThresholds().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []func(*Thresholds){
		func(t *Thresholds) { t.CallDelta = 1.5 },
		func(t *Thresholds) { t.NonViralFraction = 2 },
		func(t *Thresholds) { t.MinChunks = -1 },
		func(t *Thresholds) { t.RegionGap = -1 },
		func(t *Thresholds) { t.ConfidentHigh = math.NaN() },
	} {
		th := DefaultThresholds()
		mod(&th)
		if th.Validate() == nil {
			t.Errorf("want an error for %+v", th)
		}
	}
}
