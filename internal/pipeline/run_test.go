package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// fakeEncoder embeds a sequence as simple functions of its tokens, so results are
// exact and independent of batching.
type fakeEncoder struct {
	name    string
	dim     int
	nanOn   string
	batches [][]int // tokens per sequence of each batch seen
}

func (f *fakeEncoder) Name() string { return f.name }
func (f *fakeEncoder) Dim() int     { return f.dim }
func (f *fakeEncoder) Tokenize(seq []byte) ([]int32, error) {
	if strings.ContainsRune(string(seq), '!') {
		return nil, errors.New("letter '!' is not in the alphabet")
	}
	t := []int32{1}
	for _, c := range seq {
		t = append(t, int32(c))
	}
	return append(t, 2), nil
}
func (f *fakeEncoder) EmbedBatch(tokens [][]int32, out [][]float32) error {
	var lens []int
	for i, t := range tokens {
		lens = append(lens, len(t))
		var sum float32
		for _, x := range t {
			sum += float32(x)
		}
		for j := range out[i] {
			out[i][j] = sum/float32(len(t)) + float32(j)
		}
		if f.nanOn != "" && len(t) == len(f.nanOn)+2 {
			out[i][0] = float32(math.NaN())
		}
	}
	f.batches = append(f.batches, lens)
	return nil
}

type fakeClassifier struct{ dim int }

func (c fakeClassifier) InputDim() int { return c.dim }
func (c fakeClassifier) Classify(x []float32, n int) ([]float32, error) {
	p := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		v := float32(1 / (1 + math.Exp(-float64(x[i*c.dim]-70))))
		p[2*i], p[2*i+1] = 1-v, v
	}
	return p, nil
}

type sliceSource struct{ windows []*Window }

func (s *sliceSource) Next() (*Window, error) {
	if len(s.windows) == 0 {
		return nil, io.EOF
	}
	w := s.windows[0]
	s.windows = s.windows[1:]
	return w, nil
}

type collectSink struct{ windows []*Window }

func (c *collectSink) Write(w *Window) error { c.windows = append(c.windows, w); return nil }

func makeWindows(nWindows, framesPer int) []*Window {
	var ws []*Window
	for wi := 0; wi < nWindows; wi++ {
		w := &Window{Index: wi, Records: []RecordEntry{{ID: fmt.Sprint("r", wi), Length: 300, Ordinal: wi, First: true, Last: true}}}
		w.Chunks = []ChunkEntry{{ID: fmt.Sprint("r", wi, "_chunk_1"), FirstFrame: 0, NumFrames: framesPer, End: 300}}
		for f := 0; f < framesPer; f++ {
			// Repeats inside and across windows: sequences cycle with period 5.
			s := strings.Repeat("ACGT", 1+(wi*framesPer+f)%5)
			w.Frames = append(w.Frames, Frame{ID: fmt.Sprintf("r%d_chunk_1F%d", wi, f), Nucleotide: []byte(s), Protein: []byte(s[:len(s)/3])})
		}
		ws = append(ws, w)
	}
	return ws
}

func runFake(t *testing.T, opts Options, windows []*Window) (*collectSink, Stats, [2]*fakeEncoder, error) {
	t.Helper()
	enc := [2]*fakeEncoder{{name: "DNA", dim: 3}, {name: "PROT", dim: 2}}
	m := Models{Encoders: [2]Encoder{enc[0], enc[1]}, Classifier: fakeClassifier{dim: 5}}
	sink := &collectSink{}
	st, err := Run(context.Background(), &sliceSource{windows: windows}, m, opts, sink, nil)
	return sink, st, enc, err
}

func TestRunScoresEveryFrameInOrderWhateverPackingAndCache(t *testing.T) {
	var want []string
	for _, opts := range []Options{
		{},
		{MaxTokens: [2]int{64, 16}},
		{MaxTokens: [2]int{64, 16}, CacheBytes: 1 << 20, Threads: 4},
		{CacheBytes: cacheEntryOverhead + 32, Threads: 1},
	} {
		sink, st, _, err := runFake(t, opts, makeWindows(4, 7))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, w := range sink.windows {
			if w.Index != i {
				t.Fatalf("window %d arrived at position %d", w.Index, i)
			}
			for _, s := range w.Scores {
				got = append(got, fmt.Sprintf("%s %.6f %.6f", s.ID, s.Others, s.Virus))
			}
		}
		if st.Frames != 28 || st.Windows != 4 || st.Records != 4 {
			t.Fatalf("stats %+v", st)
		}
		if want == nil {
			want = got
		} else if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("options %+v changed the scores", opts)
		}
	}
}

func TestRunDeduplicates(t *testing.T) {
	_, st, _, err := runFake(t, Options{}, makeWindows(4, 7))
	if err != nil {
		t.Fatal(err)
	}
	// 5 distinct sequences per window at most; 7 frames per window.
	if e := st.Encoders[DNABERT]; e.Embedded+e.Reused != 28 || e.Embedded != 20 {
		t.Fatalf("window-only dedup: %+v", e)
	}
	_, st, _, err = runFake(t, Options{CacheBytes: 1 << 20}, makeWindows(4, 7))
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Encoders[DNABERT]; e.Embedded != 5 || e.Reused != 23 {
		t.Fatalf("with cache: %+v", e)
	}
}

func TestRunPacksUnderBudget(t *testing.T) {
	_, st, enc, err := runFake(t, Options{MaxTokens: [2]int{40, 40}}, makeWindows(2, 7))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range enc[0].batches {
		sum := 0
		for _, n := range b {
			sum += n
		}
		if sum > 40 && len(b) > 1 {
			t.Fatalf("batch %v exceeds the budget", b)
		}
	}
	if st.Encoders[DNABERT].Batches >= st.Encoders[DNABERT].Embedded {
		t.Fatalf("no packing happened: %+v", st.Encoders[DNABERT])
	}
}

func TestRunErrors(t *testing.T) {
	t.Run("classifier width", func(t *testing.T) {
		enc := [2]Encoder{&fakeEncoder{name: "DNA", dim: 3}, &fakeEncoder{name: "PROT", dim: 2}}
		_, err := Run(context.Background(), &sliceSource{}, Models{Encoders: enc, Classifier: fakeClassifier{dim: 7}}, Options{}, &collectSink{}, nil)
		if err == nil || !strings.Contains(err.Error(), "takes 7 features") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("tokenizer", func(t *testing.T) {
		ws := makeWindows(1, 2)
		ws[0].Frames[1].Protein = []byte("MK!")
		_, _, _, err := runFake(t, Options{}, ws)
		if err == nil || !strings.Contains(err.Error(), "r0_chunk_1F1") || !strings.Contains(err.Error(), "'!'") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		enc := [2]*fakeEncoder{{name: "DNA", dim: 3, nanOn: "ACGTACGT"}, {name: "PROT", dim: 2}}
		_, err := Run(context.Background(), &sliceSource{windows: makeWindows(1, 5)},
			Models{Encoders: [2]Encoder{enc[0], enc[1]}, Classifier: fakeClassifier{dim: 5}}, Options{}, &collectSink{}, nil)
		var ne *NumericalError
		if !errors.As(err, &ne) || ne.Model != "DNA" || len(ne.IDs) != 1 || ne.IDs[0] != "r0_chunk_1F1" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("source", func(t *testing.T) {
		enc := [2]Encoder{&fakeEncoder{name: "DNA", dim: 3}, &fakeEncoder{name: "PROT", dim: 2}}
		_, err := Run(context.Background(), errSource{}, Models{Encoders: enc, Classifier: fakeClassifier{dim: 5}}, Options{}, &collectSink{}, nil)
		if err == nil || !strings.Contains(err.Error(), "bad record") {
			t.Fatalf("got %v", err)
		}
	})
}

type errSource struct{}

func (errSource) Next() (*Window, error) {
	return nil, errors.New("in.fa: record x, line 3: bad record")
}

// threeEntries is a cache budget for about three of makeWindows' embeddings (five
// distinct sequences), so that the cache evicts.
const threeEntries = 3 * (cacheEntryOverhead + 32)

func TestReplayRestoresWindowsAndCache(t *testing.T) {
	opts := Options{CacheBytes: threeEntries, KeepFeatures: true, MaxTokens: [2]int{64, 64}}
	full, fullSt, _, err := runFake(t, opts, makeWindows(5, 7))
	if err != nil {
		t.Fatal(err)
	}
	// Resume after 2 windows: those come from the first run's results.
	opts.Replay = func(w *Window) (bool, error) {
		if w.Index >= 2 {
			return false, nil
		}
		src := full.windows[w.Index]
		w.Scores, w.Features, w.FeatureDim = src.Scores, src.Features, src.FeatureDim
		return true, nil
	}
	resumed, st, _, err := runFake(t, opts, makeWindows(5, 7))
	if err != nil {
		t.Fatal(err)
	}
	if st.ReplayedWindows != 2 {
		t.Fatalf("replayed %d windows, want 2", st.ReplayedWindows)
	}
	for i := range full.windows {
		for j := range full.windows[i].Scores {
			if full.windows[i].Scores[j] != resumed.windows[i].Scores[j] {
				t.Fatalf("window %d frame %d differs after resume", i, j)
			}
		}
	}
	// The cache was restored, so windows 2.. embedded exactly what the full run did.
	if got, want := st.Encoders[DNABERT].Embedded, fullSt.Encoders[DNABERT].Embedded-embeddedInFirst(t, 2); got != want {
		t.Fatalf("resumed run embedded %d DNA sequences, want %d", got, want)
	}
}

// embeddedInFirst counts the DNA sequences a run of only the first n windows embeds.
func embeddedInFirst(t *testing.T, n int) int {
	_, st, _, err := runFake(t, Options{CacheBytes: threeEntries, KeepFeatures: true, MaxTokens: [2]int{64, 64}}, makeWindows(n, 7))
	if err != nil {
		t.Fatal(err)
	}
	return st.Encoders[DNABERT].Embedded
}

// TestRunWithoutClassifier: with no classifier the run keeps the merged features
// (the same as a classified run's) and scores nothing; it refuses to run without
// keeping them.
func TestRunWithoutClassifier(t *testing.T) {
	ref, _, _, err := runFake(t, Options{KeepFeatures: true}, makeWindows(3, 7))
	if err != nil {
		t.Fatal(err)
	}
	m := Models{Encoders: [2]Encoder{&fakeEncoder{name: "DNA", dim: 3}, &fakeEncoder{name: "PROT", dim: 2}}}
	sink := &collectSink{}
	if _, err := Run(context.Background(), &sliceSource{windows: makeWindows(3, 7)}, m, Options{KeepFeatures: true}, sink, nil); err != nil {
		t.Fatal(err)
	}
	if len(sink.windows) != 3 {
		t.Fatalf("%d windows written, want 3", len(sink.windows))
	}
	for i, w := range sink.windows {
		if w.Scores != nil || w.FeatureDim != 5 || fmt.Sprint(w.Features) != fmt.Sprint(ref.windows[i].Features) {
			t.Errorf("window %d: scores %v, features %v (dim %d), want no scores and %v", i, w.Scores, w.Features, w.FeatureDim, ref.windows[i].Features)
		}
	}
	if _, err := Run(context.Background(), &sliceSource{windows: makeWindows(1, 7)}, m, Options{}, &collectSink{}, nil); err == nil {
		t.Error("a run without classifier and without keeping features ran")
	}
}
