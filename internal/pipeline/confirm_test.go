package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/virnucpro/virnucpro/internal/report"
)

// fs builds frame scores from (virus, others) pairs.
func fs(pairs ...float32) []report.FrameScore {
	var out []report.FrameScore
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, report.FrameScore{ID: fmt.Sprint("f", i/2), Virus: pairs[i], Others: pairs[i+1]})
	}
	return out
}

func TestCloseCall(t *testing.T) {
	for _, c := range []struct {
		name   string
		scores []report.FrameScore
		margin float64
		want   bool
	}{
		{"no frames", nil, 0.1, false},
		{"margin 0 confirms nothing", fs(0.5, 0.5), 0, false},
		{"negative margin", fs(0.5, 0.5), -1, false},
		{"one frame inside the margin", fs(0.504, 0.496), 0.01, true},
		{"one frame outside the margin", fs(0.51, 0.49), 0.01, false},
		{"exactly at the margin is outside", fs(0.75, 0.25), 0.5, false},
		{"an exact tie", fs(0.5, 0.5), 1e-9, true},
		{"one close frame among far ones", fs(0.9, 0.1, 0.495, 0.505, 0.1, 0.9), 0.02, true},
		{"mirrored frames: the chunk call is a tie", fs(0.7, 0.3, 0.3, 0.7), 0.05, true},
		{"chunk call close, no frame close", fs(0.8, 0.2, 0.21, 0.79), 0.02, true},
		{"chunk call just outside", fs(0.8, 0.2, 0.25, 0.75), 0.02, false},
		{"all frames far and one-sided", fs(0.9, 0.1, 0.8, 0.2), 0.1, false},
	} {
		if got := CloseCall(c.scores, c.margin); got != c.want {
			t.Errorf("%s: CloseCall(%v, %g) = %v, want %v", c.name, c.scores, c.margin, got, c.want)
		}
	}
}

// randomChunk draws 1..6 frame scores: some near a tie, some mirrored pairs (a
// chunk-level tie), the rest anywhere.
func randomChunk(rng *rand.Rand) []report.FrameScore {
	n := 1 + rng.Intn(6)
	var out []report.FrameScore
	for len(out) < n {
		var v float64
		switch rng.Intn(3) {
		case 0:
			v = 0.5 + (rng.Float64()-0.5)*0.1
		case 1:
			v = rng.Float64()
			if len(out) > 0 {
				v = float64(out[len(out)-1].Others) + (rng.Float64()-0.5)*0.1
			}
		default:
			v = rng.Float64()
		}
		v = math.Min(math.Max(v, 0), 1)
		out = append(out, report.FrameScore{ID: fmt.Sprint("f", len(out)), Virus: float32(v), Others: float32(1 - v)})
	}
	return out
}

// TestCloseCallGuarantee is the property confirmation rests on: when the run's
// scores (perturbed) differ from the reference scores by less than margin/2 each and
// the chunk is not CloseCall on the run's scores, every frame label and the chunk
// call equal the reference's. It also checks the rule is not vacuous (both outcomes
// occur, and labels do flip inside the margin).
func TestCloseCallGuarantee(t *testing.T) {
	seed := int64(20261203)
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	var close, far, flipsInside int
	for trial := 0; trial < 200000; trial++ {
		ref := randomChunk(rng)
		margin := 0.001 + rng.Float64()*0.2
		run := make([]report.FrameScore, len(ref))
		for i, s := range ref {
			e1, e2 := (rng.Float64()*2-1)*0.49*margin, (rng.Float64()*2-1)*0.49*margin
			run[i] = report.FrameScore{ID: s.ID, Virus: float32(float64(s.Virus) + e1), Others: float32(float64(s.Others) + e2)}
		}
		same := chunkCallOf(ref).IsVirus() == chunkCallOf(run).IsVirus()
		for i := range ref {
			same = same && ref[i].IsVirus() == run[i].IsVirus()
		}
		if CloseCall(run, margin) {
			close++
			if !same {
				flipsInside++
			}
			continue
		}
		far++
		if !same {
			t.Fatalf("trial %d: not close at margin %g, yet a label flipped: reference %v, run %v", trial, margin, ref, run)
		}
	}
	if close == 0 || far == 0 || flipsInside == 0 {
		t.Fatalf("vacuous draw: %d close, %d far, %d flips inside the margin", close, far, flipsInside)
	}
	t.Logf("%d close chunks (%d with a flipped label), %d far", close, flipsInside, far)
}

func chunkCallOf(scores []report.FrameScore) report.ChunkCall {
	var c report.ChunkCall
	for _, s := range scores {
		c.Add(s)
	}
	return c
}

// shiftedEncoder is a fakeEncoder whose embeddings are all shifted by shift: a run
// in another precision, as far as the classifier can tell.
type shiftedEncoder struct {
	fakeEncoder
	shift float32
}

func (s *shiftedEncoder) EmbedBatch(tokens [][]int32, out [][]float32) error {
	if err := s.fakeEncoder.EmbedBatch(tokens, out); err != nil {
		return err
	}
	for _, row := range out {
		for j := range row {
			row[j] += s.shift
		}
	}
	return nil
}

// tieClassifier makes P(virus) a gentle slope of the first feature around center, so
// that small shifts of the embeddings move near ties across 0.5.
type tieClassifier struct {
	dim    int
	center float32
}

func (c tieClassifier) InputDim() int { return c.dim }
func (c tieClassifier) Classify(x []float32, n int) ([]float32, error) {
	p := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		v := min(max(0.5+(x[i*c.dim]-c.center)/2, 0), 1)
		p[2*i], p[2*i+1] = 1-v, v
	}
	return p, nil
}

// confirmWindows are nWindows windows of chunks with 1..4 frames of random DNA.
func confirmWindows(nWindows int, seed int64) []*Window {
	rng := rand.New(rand.NewSource(seed))
	var ws []*Window
	var seen [][]byte
	for wi := 0; wi < nWindows; wi++ {
		w := &Window{Index: wi, Records: []RecordEntry{{ID: fmt.Sprint("r", wi), Length: 300, Ordinal: wi, First: true, Last: true}}}
		for c := 0; c < 5; c++ {
			id := fmt.Sprintf("r%d_chunk_%d", wi, c+1)
			ce := ChunkEntry{ID: id, Index: c, FirstFrame: len(w.Frames), NumFrames: rng.Intn(5)}
			for f := 0; f < ce.NumFrames; f++ {
				seq := make([]byte, 6+rng.Intn(10))
				for i := range seq {
					seq[i] = "ACGT"[rng.Intn(4)]
				}
				if len(seen) > 0 && rng.Intn(3) == 0 { // repeats, inside and across windows
					seq = seen[rng.Intn(len(seen))]
				}
				seen = append(seen, seq)
				w.Frames = append(w.Frames, Frame{ID: fmt.Sprintf("%sF%d", id, f+1), Nucleotide: seq, Protein: seq[:len(seq)/3]})
			}
			w.Chunks = append(w.Chunks, ce)
		}
		ws = append(ws, w)
	}
	return ws
}

// runConfirm runs the confirm windows through encoders shifted by shift (0: the
// reference), confirming at margin when it is positive, on the given workers.
func runConfirm(t *testing.T, shift float32, margin float64, workers int, opts Options) []*Window {
	t.Helper()
	ws, _ := runConfirmStats(t, shift, margin, workers, opts)
	return ws
}

// runConfirmStats is runConfirm, also returning the run's statistics.
func runConfirmStats(t *testing.T, shift float32, margin float64, workers int, opts Options) ([]*Window, Stats) {
	t.Helper()
	mk := func() [2]Encoder {
		return [2]Encoder{&shiftedEncoder{fakeEncoder{name: "DNA", dim: 3}, shift}, &shiftedEncoder{fakeEncoder{name: "PROT", dim: 2}, shift}}
	}
	// The first frame sits just below a tie (P(virus) 0.495): the shift flips it.
	w0 := confirmWindows(1, 5)[0]
	x0 := make([][]float32, 1)
	x0[0] = make([]float32, 3)
	enc := &fakeEncoder{dim: 3}
	toks, _ := enc.Tokenize(w0.Frames[0].Nucleotide)
	enc.EmbedBatch([][]int32{toks}, x0)
	m := Models{Encoders: mk(), Classifier: tieClassifier{dim: 5, center: x0[0][0] + 0.01}}
	for k := 0; k < workers; k++ {
		m.Workers = append(m.Workers, Worker{Device: fmt.Sprint("w", k), Encoders: mk()})
	}
	if margin > 0 {
		m.Confirm = &Confirmation{Encoders: [2]Encoder{&fakeEncoder{name: "DNA", dim: 3}, &fakeEncoder{name: "PROT", dim: 2}}, Device: "ref", Margin: margin}
	}
	sink := &collectSink{}
	opts.KeepFeatures = true
	st, err := Run(context.Background(), &sliceSource{windows: confirmWindows(6, 5)}, m, opts, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sink.windows, st
}

// TestConfirmationReplacesCloseChunks: with the encoders shifted (scores off by
// 0.02, margins by 0.04) and a margin of 0.1, every frame of a close chunk gets
// exactly the reference's scores and features and is listed in Window.Confirmed, the
// others keep the shifted run's, and every label and chunk call equals the
// reference's; without confirmation some label differs. Workers and packing do not
// change the result.
func TestConfirmationReplacesCloseChunks(t *testing.T) {
	ref := runConfirm(t, 0, 0, 0, Options{})
	shifted := runConfirm(t, 0.04, 0, 0, Options{})
	confirmed := runConfirm(t, 0.04, 0.1, 0, Options{})
	flips, nConfirmed := 0, 0
	for wi, w := range confirmed {
		var want []int
		for _, c := range w.Chunks {
			lo, hi := c.FirstFrame, c.FirstFrame+c.NumFrames
			if chunkCallOf(ref[wi].Scores[lo:hi]).IsVirus() != chunkCallOf(shifted[wi].Scores[lo:hi]).IsVirus() {
				flips++
			}
			if chunkCallOf(ref[wi].Scores[lo:hi]).IsVirus() != chunkCallOf(w.Scores[lo:hi]).IsVirus() {
				t.Errorf("window %d, %s: chunk call differs from the reference", wi, c.ID)
			}
			close := CloseCall(shifted[wi].Scores[lo:hi], 0.1)
			for i := lo; i < hi; i++ {
				src := shifted[wi]
				if close {
					src = ref[wi]
					want = append(want, i)
				}
				if w.Scores[i] != src.Scores[i] || !slices.Equal(w.Features[i*5:i*5+5], src.Features[i*5:i*5+5]) {
					t.Errorf("window %d frame %d (close %v): %v, want %v", wi, i, close, w.Scores[i], src.Scores[i])
				}
				if w.Scores[i].IsVirus() != ref[wi].Scores[i].IsVirus() {
					t.Errorf("window %d frame %d: label differs from the reference", wi, i)
				}
				if ref[wi].Scores[i].IsVirus() != shifted[wi].Scores[i].IsVirus() {
					flips++
				}
			}
		}
		if !slices.Equal(w.Confirmed, want) {
			t.Errorf("window %d: Confirmed %v, want %v", wi, w.Confirmed, want)
		}
		nConfirmed += len(w.Confirmed)
	}
	if flips == 0 || nConfirmed == 0 {
		t.Fatalf("the draw has %d flips without confirmation and %d confirmed frames: nothing tested", flips, nConfirmed)
	}
	t.Logf("%d labels or chunk calls flip without confirmation; %d frames confirmed", flips, nConfirmed)
	for _, c := range []struct {
		workers int
		opts    Options
	}{{2, Options{}}, {3, Options{MaxTokens: [2]int{40, 12}, CacheBytes: 1 << 20}}, {0, Options{CacheBytes: cacheEntryOverhead + 40}}} {
		got := runConfirm(t, 0.04, 0.1, c.workers, c.opts)
		for wi := range got {
			if fmt.Sprint(got[wi].Scores, got[wi].Features, got[wi].Confirmed) != fmt.Sprint(confirmed[wi].Scores, confirmed[wi].Features, confirmed[wi].Confirmed) {
				t.Errorf("%d workers, %+v: window %d differs", c.workers, c.opts, wi)
			}
		}
	}
}

// TestReplayWithConfirmation: a run resumed after 3 windows (replayed with their
// scores, features and confirmed frames) writes what the uninterrupted run wrote and
// counts the same confirmed frames; the replayed confirmed features (reference
// embeddings) do not leak into the cache.
func TestReplayWithConfirmation(t *testing.T) {
	opts := Options{CacheBytes: 1 << 20, MaxTokens: [2]int{40, 40}}
	full, fullSt := runConfirmStats(t, 0.04, 0.1, 0, opts)
	opts.Replay = func(w *Window) (bool, error) {
		if w.Index >= 3 {
			return false, nil
		}
		src := full[w.Index]
		w.Scores, w.Features, w.FeatureDim, w.Confirmed = src.Scores, src.Features, src.FeatureDim, src.Confirmed
		return true, nil
	}
	resumed, st := runConfirmStats(t, 0.04, 0.1, 0, opts)
	for wi := range full {
		if fmt.Sprint(full[wi].Scores, full[wi].Features, full[wi].Confirmed) != fmt.Sprint(resumed[wi].Scores, resumed[wi].Features, resumed[wi].Confirmed) {
			t.Errorf("window %d differs after resume", wi)
		}
	}
	if st.ReplayedWindows != 3 || st.Confirmed != fullSt.Confirmed || st.Confirmed == 0 {
		t.Errorf("resumed: %d replayed windows, %d confirmed frames; uninterrupted: %d confirmed", st.ReplayedWindows, st.Confirmed, fullSt.Confirmed)
	}
}
