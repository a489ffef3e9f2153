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
	Encoders [2]Encoder
	// Classifier scores the merged features; nil runs the encoders only (features
	// extraction: Options.KeepFeatures must be set, Window.Scores stays nil).
	Classifier Classifier
	// Workers are the inference workers, each with its own copy of the encoders
	// (on its own backend: one per GPU, or CPU threads split between them). Empty
	// means one worker using Encoders.
	Workers []Worker
	// Confirm, when set (with a classifier), re-scores each window's close calls with
	// reference encoders before the window is written (see Confirmation).
	Confirm *Confirmation
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

// Width is the merged feature width: DNABERT-S's then ESM-2's embedding.
func (m Models) Width() int { return m.Encoders[DNABERT].Dim() + m.Encoders[ESM].Dim() }

// WidthError is a classifier that does not take the encoders' merged features.
type WidthError struct {
	Classifier int
	Encoders   [2]string
	Dims       [2]int
}

func (e *WidthError) Error() string {
	return fmt.Sprintf("takes %d features but %s (%d) + %s (%d) give %d: the classifier was trained for other encoders",
		e.Classifier, e.Encoders[DNABERT], e.Dims[DNABERT], e.Encoders[ESM], e.Dims[ESM], e.Dims[DNABERT]+e.Dims[ESM])
}

// CheckWidth returns a *WidthError unless the classifier (if any) takes Width
// features.
func (m Models) CheckWidth() error {
	if m.Classifier == nil {
		return nil
	}
	if got := m.Classifier.InputDim(); got != m.Width() {
		return &WidthError{Classifier: got, Encoders: [2]string{m.Encoders[DNABERT].Name(), m.Encoders[ESM].Name()},
			Dims: [2]int{m.Encoders[DNABERT].Dim(), m.Encoders[ESM].Dim()}}
	}
	return nil
}

// Options tune a run; the zero value is usable.
type Options struct {
	// Threads bounds parallel tokenization (default GOMAXPROCS).
	Threads int
	// MaxTokens is each encoder's token budget per packed batch; <= 0 embeds one
	// sequence per batch (no packing).
	MaxTokens [2]int
	// CacheBytes is the memory per encoder for embeddings kept across windows to
	// reuse repeated sequences (keys and bookkeeping included); 0 deduplicates within
	// a window only.
	CacheBytes int
	// KeepFeatures fills Window.Features.
	KeepFeatures bool
	// QueueDepth is the number of windows buffered between stages (default 2).
	QueueDepth int
	// Replay, when set, is offered every window first: when it fills w.Scores (and
	// w.Features if kept) from earlier committed work it returns true and the window
	// skips the models. It is called in window order from one goroutine.
	Replay func(w *Window) (bool, error)
}

// run is one Run: its inputs, statistics and the channels between its stages.
type run struct {
	src      Source
	m        Models
	opts     Options
	sink     Sink
	progress *Progress
	st       Stats
	read     chan *Window // read -> prepare
	prepared chan *Window // prepare -> infer
	scored   chan *Window // infer -> write
}

// Run drives src through the models into sink and returns the run's statistics.
// It stops at the first error; ctx cancellation stops it between batches. Warnings
// (out-of-memory retries) go to slog.Default().
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
	if err := m.CheckWidth(); err != nil {
		return Stats{}, fmt.Errorf("classifier %w", err)
	}
	if m.Classifier == nil && !opts.KeepFeatures {
		return Stats{}, errors.New("internal error: a run without a classifier must keep the features")
	}
	if err := m.checkConfirm(); err != nil {
		return Stats{}, err
	}
	r := &run{src: src, m: m, opts: opts, sink: sink, progress: progress,
		read: make(chan *Window, opts.QueueDepth), prepared: make(chan *Window, opts.QueueDepth),
		scored: make(chan *Window, opts.QueueDepth)}
	start := time.Now()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.readStage(ctx) })
	g.Go(func() error { return r.prepareStage(ctx) })
	g.Go(func() error { return r.inferStage(ctx) })
	g.Go(r.writeStage)
	err := g.Wait()
	r.st.Wall = time.Since(start)
	return r.st, err
}

// send passes w to the next stage unless the run is stopping. A stopped run sends
// nothing more, whether or not the channel has room (select alone would choose at
// random between the two).
func send(ctx context.Context, ch chan<- *Window, w *Window) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case ch <- w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readStage reads, chunks and translates: it pulls windows from the source.
func (r *run) readStage(ctx context.Context) error {
	defer close(r.read)
	for {
		t0 := time.Now()
		w, err := r.src.Next()
		r.st.Read += time.Since(t0)
		if errors.Is(err, io.EOF) {
			r.progress.InputRead.Store(true)
			return nil
		}
		if err != nil {
			return err
		}
		for _, rec := range w.Records {
			if rec.First {
				r.progress.Records.Add(1)
			}
		}
		r.progress.FramesRead.Add(int64(len(w.Frames)))
		if err := send(ctx, r.read, w); err != nil {
			return err
		}
	}
}

// prepareStage replays committed windows and deduplicates and tokenizes the others.
func (r *run) prepareStage(ctx context.Context) error {
	defer close(r.prepared)
	for w := range r.read {
		if r.opts.Replay != nil {
			done, err := r.opts.Replay(w)
			if err != nil {
				return err
			}
			if done {
				w.Replayed = true
				if err := send(ctx, r.prepared, w); err != nil {
					return err
				}
				continue
			}
		}
		p, err := prepare(w, r.m, r.opts.Threads, &r.st)
		if err != nil {
			return err
		}
		w.prep = p
		if err := send(ctx, r.prepared, w); err != nil {
			return err
		}
	}
	return nil
}

// inferStage embeds and classifies the windows not replayed.
func (r *run) inferStage(ctx context.Context) error {
	defer close(r.scored)
	inf := newInferrer(r.m, r.opts, &r.st, r.progress)
	for w := range r.prepared {
		if !w.Replayed {
			if err := inf.score(ctx, w); err != nil {
				return err
			}
		} else {
			r.st.ReplayedWindows++
			inf.restoreCache(w)
		}
		if err := send(ctx, r.scored, w); err != nil {
			return err
		}
	}
	return nil
}

// writeStage passes the windows to the sink in order and counts them. It writes every
// window the earlier stages completed, also after a failure or cancellation, so that a
// checkpointed run commits all the work done.
func (r *run) writeStage() error {
	for w := range r.scored {
		t0 := time.Now()
		if err := r.sink.Write(w); err != nil {
			return err
		}
		r.st.Write += time.Since(t0)
		r.st.countWindow(w)
		if w.Replayed {
			r.progress.FramesReplayed.Add(int64(len(w.Frames)))
		}
		r.progress.FramesScored.Add(int64(len(w.Frames)))
	}
	return nil
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
}

func newInferrer(m Models, opts Options, st *Stats, progress *Progress) *inferrer {
	inf := &inferrer{m: m, opts: opts, st: st, progress: progress}
	inf.budgets = make([][2]int, len(m.workers()))
	for k := range inf.budgets {
		inf.budgets[k] = opts.MaxTokens
	}
	for e := range inf.caches {
		inf.caches[e] = newEmbeddingCache(opts.CacheBytes)
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
	dDNA, width := inf.m.Encoders[DNABERT].Dim(), inf.m.Width()
	n := len(w.Frames)
	features := make([]float32, n*width)
	for i := range w.Frames {
		row := features[i*width : (i+1)*width]
		copy(row[:dDNA], rows[DNABERT][w.prep.enc[DNABERT].of[i]])
		copy(row[dDNA:], rows[ESM][w.prep.enc[ESM].of[i]])
	}
	if inf.m.Classifier != nil {
		if err := inf.classify(w, features); err != nil {
			return err
		}
		if inf.m.Confirm != nil {
			if err := inf.confirm(ctx, w, features); err != nil {
				return err
			}
		}
	}
	if inf.opts.KeepFeatures {
		w.Features, w.FeatureDim = features, width
	}
	w.prep = nil
	return nil
}

// classify scores the window's merged features (len(w.Frames) rows).
func (inf *inferrer) classify(w *Window, features []float32) error {
	n := len(w.Frames)
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
				fmt.Sprintf("a single %d-token sequence does not fit: use a device with more free memory, a narrower precision (fp16/bf16), or the CPU", total), err)
		}
		half := max(total/2, 1)
		slog.Warn("out of memory: retrying the batch with half the token budget", "worker", k, "device", wk.Device,
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
	if inf.opts.CacheBytes <= 0 || w.Features == nil {
		return
	}
	dDNA := inf.m.Encoders[DNABERT].Dim()
	width := w.FeatureDim
	// The confirmed frames' features come from the reference encoders: they are not
	// what the run's encoders give, so they stay out of the caches (a sequence whose
	// only frames were confirmed is embedded again if it comes back: the same bits).
	confirmed := make(map[int]bool, len(w.Confirmed))
	for _, i := range w.Confirmed {
		confirmed[i] = true
	}
	for e := range inf.caches {
		seen := make(map[string]bool, len(w.Frames))
		for i, f := range w.Frames {
			if confirmed[i] {
				continue
			}
			seq, lo, hi := f.Nucleotide, i*width, i*width+dDNA
			if e == ESM {
				seq, lo, hi = f.Protein, i*width+dDNA, (i+1)*width
			}
			if seen[string(seq)] {
				continue
			}
			seen[string(seq)] = true
			// A copy: a slice of w.Features would keep the whole window's features.
			inf.caches[e].put(string(seq), append([]float32(nil), w.Features[lo:hi]...))
		}
	}
}
