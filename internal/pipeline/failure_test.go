package pipeline

import (
	"context"
	"errors"
	"fmt"
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

// TestWorkersShareTheWork: several workers give the same scores as one, each worker
// embeds part of every window, and the shares are balanced by length.
func TestWorkersShareTheWork(t *testing.T) {
	ref, _, _, err := runFake(t, Options{MaxTokens: [2]int{64, 16}}, makeWindows(4, 11))
	if err != nil {
		t.Fatal(err)
	}
	var ws []Worker
	var encs []*faultyEncoder
	for k := 0; k < 3; k++ {
		d := &faultyEncoder{fakeEncoder: fakeEncoder{name: "DNA", dim: 3}}
		p := &faultyEncoder{fakeEncoder: fakeEncoder{name: "PROT", dim: 2}}
		encs = append(encs, d)
		ws = append(ws, Worker{Device: fmt.Sprint("fake:", k), Encoders: [2]Encoder{d, p}})
	}
	m := Models{Encoders: ws[0].Encoders, Classifier: fakeClassifier{dim: 5}, Workers: ws}
	sink := &collectSink{}
	if _, err := Run(context.Background(), &sliceSource{windows: makeWindows(4, 11)}, m, Options{MaxTokens: [2]int{64, 16}}, sink, nil); err != nil {
		t.Fatal(err)
	}
	sameScores(t, ref.windows, sink.windows)
	for k, e := range encs {
		if len(e.batches) == 0 {
			t.Errorf("worker %d did no work", k)
		}
	}
}

func TestStrideSharesAreBalanced(t *testing.T) {
	var items []batch.Item
	for i, n := range []int{5, 100, 7, 90, 50, 51, 3, 2} {
		items = append(items, batch.Item{Index: i, Tokens: n})
	}
	shares := strideShares(items, 2)
	if len(shares[0]) != 4 || len(shares[1]) != 4 {
		t.Fatalf("shares %v", shares)
	}
	sum := func(s []batch.Item) (n int) {
		for _, it := range s {
			n += it.Tokens
		}
		return n
	}
	if a, b := sum(shares[0]), sum(shares[1]); a-b > 100 || b-a > 100 || shares[0][0].Tokens != 100 || shares[1][0].Tokens != 90 {
		t.Errorf("unbalanced: %v", shares)
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
