package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// faultyEncoder wraps fakeEncoder and injects one kind of failure.
type faultyEncoder struct {
	fakeEncoder
	mu sync.Mutex
	// oomAbove fails every batch of more than this many tokens with ErrOutOfMemory.
	oomAbove int
	// failAfter fails with a backend error once this many batches have run (0: never).
	failAfter int
	// panicOn panics on a sequence of this many tokens.
	panicOn int
	calls   int
}

func (f *faultyEncoder) EmbedBatch(tokens [][]int32, out [][]float32) error {
	f.mu.Lock()
	f.calls++
	calls := f.calls
	f.mu.Unlock()
	total := 0
	for _, t := range tokens {
		total += len(t)
		if f.panicOn > 0 && len(t) == f.panicOn {
			var m map[string]int
			//lint:ignore SA5000 the injected crash: a nil-map write, as a model bug would
			m["boom"]++
		}
	}
	if f.oomAbove > 0 && total > f.oomAbove {
		return fmt.Errorf("alloc %d tokens: %w", total, tensor.ErrOutOfMemory)
	}
	if f.failAfter > 0 && calls > f.failAfter {
		return errors.New("CUDA error 700: an illegal memory access was encountered")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fakeEncoder.EmbedBatch(tokens, out)
}

// TestWorkerFailuresAreClassified injects each failure category and checks the
// category, the frames named, and that every window completed before the failure
// reached the sink (so a checkpointed run commits it).
func TestWorkerFailuresAreClassified(t *testing.T) {
	cases := []struct {
		name    string
		dna     *faultyEncoder
		nanOn   string
		want    FailureCategory
		wantMsg string
	}{
		{name: "out of memory on one sequence", dna: &faultyEncoder{oomAbove: 10}, want: FailureOutOfMemory, wantMsg: "single"},
		{name: "backend error", dna: &faultyEncoder{failAfter: 6}, want: FailureBackend, wantMsg: "illegal memory access"},
		{name: "NaN", dna: &faultyEncoder{}, nanOn: strings.Repeat("ACGT", 4), want: FailureNumerical, wantMsg: "NaN"},
		{name: "panic", dna: &faultyEncoder{panicOn: 2 + 16}, want: FailureGeneric, wantMsg: "worker crashed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.dna.name, c.dna.dim, c.dna.nanOn = "DNA", 3, c.nanOn
			prot := &fakeEncoder{name: "PROT", dim: 2}
			m := Models{Encoders: [2]Encoder{c.dna, prot}, Classifier: fakeClassifier{dim: 5}}
			sink := &collectSink{}
			windows := makeWindows(6, 7)
			if c.name == "backend error" || c.name == "panic" {
				// Let the first windows succeed: the failing sequence appears first in window 3.
				for wi := 0; wi < 3; wi++ {
					for f := range windows[wi].Frames {
						windows[wi].Frames[f].Nucleotide = []byte("ACGT")
					}
				}
			}
			_, err := Run(context.Background(), &sliceSource{windows: windows}, m, Options{MaxTokens: [2]int{40, 40}}, sink, nil)
			var we *WorkerError
			if !errors.As(err, &we) {
				t.Fatalf("got %v, want a *WorkerError", err)
			}
			if cat, ok := CategoryOf(err); !ok || cat != c.want || we.Category != c.want {
				t.Fatalf("category %v (%v), want %v: %v", cat, we.Category, c.want, err)
			}
			if !strings.Contains(err.Error(), c.wantMsg) || !strings.Contains(err.Error(), c.want.String()) || len(we.IDs) == 0 && c.want != FailureNumerical {
				t.Errorf("message %q lacks %q / the category / the frames", err, c.wantMsg)
			}
			if c.want == FailureNumerical {
				var ne *NumericalError
				if !errors.As(err, &ne) || len(ne.IDs) == 0 {
					t.Errorf("numerical failure names no frame: %v", err)
				}
			}
			if c.name == "backend error" || c.name == "panic" {
				if len(sink.windows) == 0 {
					t.Errorf("no completed window reached the sink before the failure")
				}
			}
			for i, w := range sink.windows {
				if w.Index != i || len(w.Scores) != len(w.Frames) {
					t.Errorf("window %d at %d incomplete", w.Index, i)
				}
			}
		})
	}
}

// TestOutOfMemoryHalvesTheBudget: batches over the memory limit are split until they
// fit, the run succeeds with the same scores, and the halved budget is kept.
func TestOutOfMemoryHalvesTheBudget(t *testing.T) {
	ref, _, _, err := runFake(t, Options{}, makeWindows(3, 9))
	if err != nil {
		t.Fatal(err)
	}
	dna := &faultyEncoder{fakeEncoder: fakeEncoder{name: "DNA", dim: 3}, oomAbove: 30}
	m := Models{Encoders: [2]Encoder{dna, &fakeEncoder{name: "PROT", dim: 2}}, Classifier: fakeClassifier{dim: 5}}
	sink := &collectSink{}
	st, err := Run(context.Background(), &sliceSource{windows: makeWindows(3, 9)}, m, Options{MaxTokens: [2]int{200, 200}}, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Encoders[DNABERT].OOMRetries == 0 {
		t.Fatal("no out-of-memory retry counted")
	}
	for _, b := range dna.batches {
		total := 0
		for _, n := range b {
			total += n
		}
		if total > 30 {
			t.Errorf("a batch of %d tokens succeeded above the limit", total)
		}
	}
	sameScores(t, ref.windows, sink.windows)
}

// windowRecorder is a fake encoder that records, per window (read from the marker
// letter ending each sequence of shareWindows), the tokens of every sequence it embeds.
type windowRecorder struct {
	fakeEncoder
	mu     sync.Mutex
	tokens map[int][]int // window -> tokens of each sequence embedded
}

func (r *windowRecorder) EmbedBatch(tokens [][]int32, out [][]float32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tokens == nil {
		r.tokens = map[int][]int{}
	}
	for _, t := range tokens {
		w := int(t[len(t)-2] - 'a') // the marker before the end token
		r.tokens[w] = append(r.tokens[w], len(t))
	}
	return r.fakeEncoder.EmbedBatch(tokens, out)
}

// shareWindows makes windows whose sequences all differ in length inside a window
// and end with the window's marker letter ('a' + index), so the recorder can tell
// which window a sequence came from.
func shareWindows(n, frames int) []*Window {
	var ws []*Window
	for wi := 0; wi < n; wi++ {
		w := &Window{Index: wi, Records: []RecordEntry{{ID: fmt.Sprint("r", wi), Length: 300, Ordinal: wi, First: true, Last: true}}}
		w.Chunks = []ChunkEntry{{ID: fmt.Sprint("r", wi, "_chunk_1"), NumFrames: frames, End: 300}}
		mark := string(rune('a' + wi))
		for f := 0; f < frames; f++ {
			nuc := strings.Repeat("ACGT", 1+(f*7+wi)%frames) + mark
			prot := strings.Repeat("M", 1+(f*5+wi)%frames) + mark
			w.Frames = append(w.Frames, Frame{ID: fmt.Sprintf("r%d_chunk_1F%d", wi, f), Nucleotide: []byte(nuc), Protein: []byte(prot)})
		}
		ws = append(ws, w)
	}
	return ws
}

// TestWorkersShareTheWork: three workers give the same scores as one, and inside
// every window each worker embeds a share of both encoders' sequences, the shares'
// token totals differing by at most the window's longest sequence.
func TestWorkersShareTheWork(t *testing.T) {
	const nWindows, frames, nWorkers = 4, 11, 3
	opts := Options{MaxTokens: [2]int{64, 16}}
	ref, _, _, err := runFake(t, opts, shareWindows(nWindows, frames))
	if err != nil {
		t.Fatal(err)
	}
	var ws []Worker
	var recs [][2]*windowRecorder
	for k := 0; k < nWorkers; k++ {
		d := &windowRecorder{fakeEncoder: fakeEncoder{name: "DNA", dim: 3}}
		p := &windowRecorder{fakeEncoder: fakeEncoder{name: "PROT", dim: 2}}
		recs = append(recs, [2]*windowRecorder{d, p})
		ws = append(ws, Worker{Device: fmt.Sprint("fake:", k), Encoders: [2]Encoder{d, p}})
	}
	m := Models{Encoders: ws[0].Encoders, Classifier: fakeClassifier{dim: 5}, Workers: ws}
	sink := &collectSink{}
	if _, err := Run(context.Background(), &sliceSource{windows: shareWindows(nWindows, frames)}, m, opts, sink, nil); err != nil {
		t.Fatal(err)
	}
	sameScores(t, ref.windows, sink.windows)
	for e := range 2 {
		for w := 0; w < nWindows; w++ {
			var totals []int
			seqs, longest := 0, 0
			for k := range recs {
				sum := 0
				for _, n := range recs[k][e].tokens[w] {
					sum += n
					longest = max(longest, n)
				}
				seqs += len(recs[k][e].tokens[w])
				if len(recs[k][e].tokens[w]) == 0 {
					t.Errorf("encoder %d window %d: worker %d embedded nothing", e, w, k)
				}
				totals = append(totals, sum)
			}
			if seqs != frames {
				t.Errorf("encoder %d window %d: %d sequences embedded, want %d (each once)", e, w, seqs, frames)
			}
			if spread := slices.Max(totals) - slices.Min(totals); spread > longest {
				t.Errorf("encoder %d window %d: worker token totals %v differ by %d, more than the longest sequence (%d)", e, w, totals, spread, longest)
			}
		}
	}
}

// TestStrideSharesAreBalanced: the length-sorted stride deals every item once, in
// descending order within each share, the share sizes differ by at most one, and the
// token totals by at most the longest minus the shortest item when the rounds are
// complete, the longest item otherwise (the bounds of dealing sorted items in turn).
// Random inputs come from a fixed, logged seed.
func TestStrideSharesAreBalanced(t *testing.T) {
	var items []batch.Item
	for i, n := range []int{5, 100, 7, 90, 50, 51, 3, 2} {
		items = append(items, batch.Item{Index: i, Tokens: n})
	}
	if got := fmt.Sprint(strideShares(items, 2)); got != "[[{1 100} {5 51} {2 7} {6 3}] [{3 90} {4 50} {0 5} {7 2}]]" {
		t.Errorf("shares %s", got)
	}
	const seed = 1796293653398506449
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 19))
	for trial := 0; trial < 200; trial++ {
		items := make([]batch.Item, r.IntN(40))
		for i := range items {
			items[i] = batch.Item{Index: i, Tokens: 1 + r.IntN(1000)}
		}
		checkShares(t, items, strideShares(items, 1+r.IntN(5)))
	}
}

// checkShares checks one dealing of items (see TestStrideSharesAreBalanced).
func checkShares(t *testing.T, items []batch.Item, shares [][]batch.Item) {
	t.Helper()
	seen := map[int]bool{}
	var sums, counts []int
	lo, hi := 1<<30, 0
	for _, it := range items {
		lo, hi = min(lo, it.Tokens), max(hi, it.Tokens)
	}
	for _, sh := range shares {
		sum := 0
		for i, it := range sh {
			if seen[it.Index] {
				t.Fatalf("item %d dealt twice: %v", it.Index, shares)
			}
			seen[it.Index] = true
			if i > 0 && it.Tokens > sh[i-1].Tokens {
				t.Fatalf("share not longest first: %v", sh)
			}
			sum += it.Tokens
		}
		sums, counts = append(sums, sum), append(counts, len(sh))
	}
	if len(seen) != len(items) {
		t.Fatalf("%d of %d items dealt", len(seen), len(items))
	}
	bound := hi - lo // complete rounds
	if len(shares) > 0 && len(items)%len(shares) != 0 {
		bound = hi // the last round leaves some shares one item short
	}
	if len(items) > 0 && (slices.Max(counts)-slices.Min(counts) > 1 || slices.Max(sums)-slices.Min(sums) > bound) {
		t.Fatalf("unbalanced: sizes %v, tokens %v (items %d..%d): %v", counts, sums, lo, hi, shares)
	}
}

func sameScores(t *testing.T, want, got []*Window) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d windows, want %d", len(got), len(want))
	}
	for i := range want {
		for f := range want[i].Scores {
			if want[i].Scores[f] != got[i].Scores[f] {
				t.Fatalf("window %d frame %d: %v, want %v", i, f, got[i].Scores[f], want[i].Scores[f])
			}
		}
	}
}
