package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sort"
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
	// Encoders are [DNABERT] and [ESM]; they tokenize, and embed when Workers is
	// empty.
	Encoders   [2]Encoder
	Classifier Classifier
	// Workers are the inference workers, each with its own copy of the encoders
	// (on its own backend: one per GPU, or CPU threads split between them). Empty
	// means one worker using Encoders.
	Workers []Worker
}

// Worker is one inference worker's copy of the encoders.
type Worker struct {
	// Device names the worker's backend in logs and errors.
	Device   string
	Encoders [2]Encoder
}

// workers returns the inference workers (at least one).
func (m Models) workers() []Worker {
	if len(m.Workers) > 0 {
		return m.Workers
	}
	return []Worker{{Encoders: m.Encoders}}
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
	// Log receives warnings (out-of-memory retries); nil is slog.Default().
	Log *slog.Logger
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
	budgets  [][2]int // per worker and encoder: token budget, halved on out-of-memory
	log      *slog.Logger
}

func newInferrer(m Models, opts Options, st *Stats, progress *Progress) *inferrer {
	inf := &inferrer{m: m, opts: opts, st: st, progress: progress, log: opts.Log}
	if inf.log == nil {
		inf.log = slog.Default()
	}
	inf.budgets = make([][2]int, len(m.workers()))
	for k := range inf.budgets {
		inf.budgets[k] = opts.MaxTokens
	}
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
// from the cache or by running the models on packed batches of the others. The
// sequences to embed are sorted by length and dealt to the workers in turn (a
// length-sorted stride), so every worker gets a similar mix; each packs its share
// under its token budget.
func (inf *inferrer) embed(ctx context.Context, e int, w *Window) ([][]float32, error) {
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
	workers := inf.m.workers()
	shares := strideShares(items, len(workers))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for k, share := range shares {
		if len(share) == 0 {
			continue
		}
		g.Go(func() error {
			var local EncoderStats
			defer func() {
				mu.Lock()
				es.add(local)
				mu.Unlock()
			}()
			for _, b := range batch.Plan(share, inf.budgets[k][e]) {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := inf.runBatch(k, e, w, b.Items, inf.budgets[k][e], rows, &local); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	es.Embed += time.Since(t0)
	for u, seq := range ep.uniq {
		inf.caches[e].put(seq, rows[u])
	}
	return rows, nil
}

// strideShares sorts items by length (longest first, stable) and deals them to n
// workers in turn.
func strideShares(items []batch.Item, n int) [][]batch.Item {
	sorted := append([]batch.Item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Tokens > sorted[j].Tokens })
	shares := make([][]batch.Item, n)
	for i, it := range sorted {
		shares[i%n] = append(shares[i%n], it)
	}
	return shares
}

// runBatch embeds one packed batch on worker k. When the backend runs out of memory
// the batch is split under half the token budget and retried, down to single
// sequences; the halved budget stays in force for the worker's later batches. Any
// other failure is classified and returned as a *WorkerError.
func (inf *inferrer) runBatch(k, e int, w *Window, items []batch.Item, budget int, rows [][]float32, st *EncoderStats) error {
	wk := inf.m.workers()[k]
	enc := wk.Encoders[e]
	ep := &w.prep.enc[e]
	toks := make([][]int32, len(items))
	out := make([][]float32, len(items))
	total := 0
	for i, it := range items {
		toks[i] = ep.tokens[it.Index]
		out[i] = make([]float32, enc.Dim())
		total += it.Tokens
	}
	fail := func(cat FailureCategory, ids []string, advice string, err error) error {
		return &WorkerError{Worker: k, Device: wk.Device, Model: enc.Name(), Category: cat, IDs: ids, Advice: advice, Err: err}
	}
	if err := embedSafely(enc, toks, out); err != nil {
		cat := classify(err)
		if cat != FailureOutOfMemory {
			return fail(cat, framesOfItems(w, ep, items), "", err)
		}
		if len(items) == 1 {
			return fail(cat, framesOfItems(w, ep, items),
				fmt.Sprintf("a single %d-token sequence does not fit: use a device with more free memory, --precision fp16/bf16, or --device cpu", total), err)
		}
		half := max(total/2, 1)
		inf.log.Warn("out of memory: retrying the batch with half the token budget", "worker", k, "device", wk.Device,
			"model", enc.Name(), "sequences", len(items), "tokens", total, "budget", half)
		st.OOMRetries++
		if half < inf.budgets[k][e] || inf.budgets[k][e] <= 0 {
			inf.budgets[k][e] = half
		}
		for _, b := range batch.Plan(items, half) {
			if err := inf.runBatch(k, e, w, b.Items, half, rows, st); err != nil {
				return err
			}
		}
		return nil
	}
	var bad []string
	for i, it := range items {
		if !finite(out[i]) {
			bad = append(bad, framesOf(w, ep, it.Index)...)
		}
		rows[it.Index] = out[i]
	}
	if len(bad) > 0 {
		return fail(FailureNumerical, nil, "", &NumericalError{Model: enc.Name(), IDs: bad})
	}
	st.Batches++
	st.Tokens += total
	if budget > 0 && total <= budget {
		st.Budget += budget
	} else {
		st.Budget += total
	}
	inf.progress.Tokens.Add(int64(total))
	return nil
}

// embedSafely runs one batch, turning a panic of the model code into an error.
func embedSafely(enc Encoder, toks [][]int32, out [][]float32) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: string(debug.Stack())}
		}
	}()
	return enc.EmbedBatch(toks, out)
}

// framesOfItems lists the frames of a batch's sequences (at most 20).
func framesOfItems(w *Window, ep *encoderPrep, items []batch.Item) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, framesOf(w, ep, it.Index)...)
		if len(ids) >= 20 {
			return ids[:20]
		}
	}
	return ids
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
