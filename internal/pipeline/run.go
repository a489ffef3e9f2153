package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/report"
)

// Source yields windows in input order and io.EOF after the last.
type Source interface {
	Next() (*Window, error)
}

// Sink receives scored windows in input order.
type Sink interface {
	Write(w *Window) error
}

// Models are the two encoders and the classifier.
type Models struct {
	Encoders   [2]Encoder // [DNABERT] and [ESM]
	Classifier Classifier
}

// Options tune a run; the zero value is usable.
type Options struct {
	// Threads bounds parallel tokenization (default GOMAXPROCS).
	Threads int
	// MaxTokens is each encoder's token budget per packed batch; <= 0 embeds one
	// sequence per batch (no packing).
	MaxTokens [2]int
	// CacheEntries is the number of embeddings per encoder kept across windows to
	// reuse repeated sequences; 0 deduplicates within a window only.
	CacheEntries int
	// KeepFeatures fills Window.Features.
	KeepFeatures bool
	// QueueDepth is the number of windows buffered between stages (default 2).
	QueueDepth int
	// Replay, when set, is offered every window first: when it fills w.Scores (and
	// w.Features if kept) from earlier committed work it returns true and the window
	// skips the models. It is called in window order from one goroutine.
	Replay func(w *Window) (bool, error)
}

// Run drives src through the models into sink and returns the run's statistics.
// It stops at the first error; ctx cancellation stops it between batches.
func Run(ctx context.Context, src Source, m Models, opts Options, sink Sink, progress *Progress) (Stats, error) {
	if progress == nil {
		progress = &Progress{}
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	if opts.QueueDepth <= 0 {
		opts.QueueDepth = 2
	}
	width := m.Encoders[DNABERT].Dim() + m.Encoders[ESM].Dim()
	if got := m.Classifier.InputDim(); got != width {
		return Stats{}, fmt.Errorf("classifier takes %d features but %s (%d) + %s (%d) give %d: the classifier does not belong to these encoders",
			got, m.Encoders[DNABERT].Name(), m.Encoders[DNABERT].Dim(), m.Encoders[ESM].Name(), m.Encoders[ESM].Dim(), width)
	}

	var st Stats
	start := time.Now()
	g, ctx := errgroup.WithContext(ctx)
	read := make(chan *Window, opts.QueueDepth)
	prepared := make(chan *Window, opts.QueueDepth)
	scored := make(chan *Window, opts.QueueDepth)

	g.Go(func() error { // read, chunk, translate
		defer close(read)
		for {
			t0 := time.Now()
			w, err := src.Next()
			st.Read += time.Since(t0)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, r := range w.Records {
				if r.First {
					progress.Records.Add(1)
				}
			}
			progress.FramesRead.Add(int64(len(w.Frames)))
			select {
			case read <- w:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})

	g.Go(func() error { // deduplicate and tokenize
		defer close(prepared)
		for w := range read {
			if opts.Replay != nil {
				done, err := opts.Replay(w)
				if err != nil {
					return err
				}
				if done {
					w.replayed = true
					select {
					case prepared <- w:
					case <-ctx.Done():
						return ctx.Err()
					}
					continue
				}
			}
			p, err := prepare(w, m, opts.Threads, &st)
			if err != nil {
				return err
			}
			w.prep = p
			select {
			case prepared <- w:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})

	g.Go(func() error { // embed and classify
		defer close(scored)
		inf := newInferrer(m, opts, &st, progress)
		for w := range prepared {
			if !w.replayed {
				if err := inf.score(ctx, w); err != nil {
					return err
				}
			} else {
				st.ReplayedWindows++
				inf.restoreCache(w)
			}
			select {
			case scored <- w:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})

	g.Go(func() error { // write in order
		for w := range scored {
			t0 := time.Now()
			if err := sink.Write(w); err != nil {
				return err
			}
			st.Write += time.Since(t0)
			st.Windows++
			for _, r := range w.Records {
				if r.First {
					st.Records++
				}
			}
			st.Chunks += len(w.Chunks)
			for _, c := range w.Chunks {
				if c.NumFrames == 0 {
					st.NoORFChunks++
				}
			}
			st.Frames += len(w.Frames)
			progress.FramesScored.Add(int64(len(w.Frames)))
		}
		return nil
	})

	err := g.Wait()
	st.Wall = time.Since(start)
	return st, err
}

// windowPrep is the per-encoder deduplicated, tokenized view of a window.
type windowPrep struct {
	enc [2]encoderPrep
}

type encoderPrep struct {
	uniq   []string  // distinct sequences, first-seen order
	of     []int     // per frame: index into uniq
	tokens [][]int32 // per uniq
}

func prepare(w *Window, m Models, threads int, st *Stats) (*windowPrep, error) {
	p := &windowPrep{}
	for e := range p.enc {
		t0 := time.Now()
		ep := &p.enc[e]
		ep.of = make([]int, len(w.Frames))
		index := make(map[string]int, len(w.Frames))
		firstFrame := make([]int, 0, len(w.Frames))
		for i, f := range w.Frames {
			seq := f.Nucleotide
			if e == ESM {
				seq = f.Protein
			}
			u, ok := index[string(seq)]
			if !ok {
				u = len(ep.uniq)
				index[string(seq)] = u
				ep.uniq = append(ep.uniq, string(seq))
				firstFrame = append(firstFrame, i)
			}
			ep.of[i] = u
		}
		ep.tokens = make([][]int32, len(ep.uniq))
		errs := make([]error, len(ep.uniq))
		parallelFor(len(ep.uniq), threads, func(u int) {
			ep.tokens[u], errs[u] = m.Encoders[e].Tokenize([]byte(ep.uniq[u]))
		})
		for u, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("%s: frame %s: %w", m.Encoders[e].Name(), w.Frames[firstFrame[u]].ID, err)
			}
		}
		st.Encoders[e].Tokenize += time.Since(t0)
	}
	return p, nil
}

// parallelFor runs fn(0..n-1) on up to threads goroutines.
func parallelFor(n, threads int, fn func(i int)) {
	if threads <= 1 || n < 64 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	step := (n + threads - 1) / threads
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// inferrer embeds and classifies windows one after another.
type inferrer struct {
	m        Models
	opts     Options
	st       *Stats
	progress *Progress
	caches   [2]*embeddingCache
}

func newInferrer(m Models, opts Options, st *Stats, progress *Progress) *inferrer {
	inf := &inferrer{m: m, opts: opts, st: st, progress: progress}
	for e := range inf.caches {
		inf.caches[e] = newEmbeddingCache(opts.CacheEntries)
	}
	return inf
}

func (inf *inferrer) score(ctx context.Context, w *Window) error {
	var rows [2][][]float32 // per encoder, per uniq
	for e := range rows {
		r, err := inf.embed(ctx, e, w)
		if err != nil {
			return err
		}
		rows[e] = r
	}
	dDNA, dESM := inf.m.Encoders[DNABERT].Dim(), inf.m.Encoders[ESM].Dim()
	width := dDNA + dESM
	n := len(w.Frames)
	features := make([]float32, n*width)
	for i := range w.Frames {
		row := features[i*width : (i+1)*width]
		copy(row[:dDNA], rows[DNABERT][w.prep.enc[DNABERT].of[i]])
		copy(row[dDNA:], rows[ESM][w.prep.enc[ESM].of[i]])
	}
	t0 := time.Now()
	probs, err := inf.m.Classifier.Classify(features, n)
	if err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	inf.st.Classify += time.Since(t0)
	if len(probs) != 2*n {
		return fmt.Errorf("classifier returned %d probabilities for %d frames", len(probs), n)
	}
	w.Scores = make([]report.FrameScore, n)
	for i, f := range w.Frames {
		w.Scores[i] = report.FrameScore{ID: f.ID, Others: probs[2*i], Virus: probs[2*i+1]}
	}
	if inf.opts.KeepFeatures {
		w.Features, w.FeatureDim = features, width
	}
	w.prep = nil
	return nil
}

// embed returns the embedding of every distinct sequence of the window for encoder e,
// from the cache or by running the model on packed batches of the others.
func (inf *inferrer) embed(ctx context.Context, e int, w *Window) ([][]float32, error) {
	enc := inf.m.Encoders[e]
	ep := &w.prep.enc[e]
	es := &inf.st.Encoders[e]
	rows := make([][]float32, len(ep.uniq))
	var items []batch.Item
	for u, seq := range ep.uniq {
		if row, ok := inf.caches[e].get(seq); ok {
			rows[u] = row
			continue
		}
		items = append(items, batch.Item{Index: u, Tokens: len(ep.tokens[u])})
	}
	es.Reused += len(w.Frames) - len(items)
	es.Embedded += len(items)
	t0 := time.Now()
	budget := inf.opts.MaxTokens[e]
	plan := batch.Plan(items, budget)
	for _, b := range plan {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		toks := make([][]int32, len(b.Items))
		out := make([][]float32, len(b.Items))
		for i, it := range b.Items {
			toks[i] = ep.tokens[it.Index]
			out[i] = make([]float32, enc.Dim())
		}
		if err := enc.EmbedBatch(toks, out); err != nil {
			return nil, fmt.Errorf("%s: %w", enc.Name(), err)
		}
		var bad []string
		for i, it := range b.Items {
			if !finite(out[i]) {
				bad = append(bad, framesOf(w, ep, it.Index)...)
			}
			rows[it.Index] = out[i]
		}
		if len(bad) > 0 {
			return nil, &NumericalError{Model: enc.Name(), IDs: bad}
		}
		es.Batches++
		es.Tokens += b.Tokens
		if budget > 0 && b.Tokens <= budget {
			es.Budget += budget
		} else {
			es.Budget += b.Tokens
		}
		inf.progress.Tokens.Add(int64(b.Tokens))
	}
	es.Embed += time.Since(t0)
	for u, seq := range ep.uniq {
		inf.caches[e].put(seq, rows[u])
	}
	return rows, nil
}

// framesOf lists the ids of the window's frames whose sequence is uniq u.
func framesOf(w *Window, ep *encoderPrep, u int) []string {
	var ids []string
	for i, x := range ep.of {
		if x == u {
			ids = append(ids, w.Frames[i].ID)
		}
	}
	return ids
}

// restoreCache puts a replayed window's embeddings into the caches exactly as scoring
// it would have, so the rest of a resumed run deduplicates (and therefore batches)
// exactly as an uninterrupted run.
func (inf *inferrer) restoreCache(w *Window) {
	if inf.opts.CacheEntries <= 0 || w.Features == nil {
		return
	}
	dDNA := inf.m.Encoders[DNABERT].Dim()
	width := w.FeatureDim
	for e := range inf.caches {
		seen := make(map[string]bool, len(w.Frames))
		for i, f := range w.Frames {
			seq, lo, hi := f.Nucleotide, i*width, i*width+dDNA
			if e == ESM {
				seq, lo, hi = f.Protein, i*width+dDNA, (i+1)*width
			}
			if seen[string(seq)] {
				continue
			}
			seen[string(seq)] = true
			inf.caches[e].put(string(seq), w.Features[lo:hi:hi])
		}
	}
}
