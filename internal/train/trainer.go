package train

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Config holds every hyper-parameter of a training run. DefaultConfig is the
// original train.py recipe.
type Config struct {
	Hidden      int     // hidden width (512)
	Dropout     float64 // dropout probability (0.5)
	LR          float64 // initial learning rate (2e-4)
	Momentum    float64 // SGD momentum (0.9)
	StepSize    int     // StepLR step in epochs (10)
	Gamma       float64 // StepLR factor (0.85)
	BatchSize   int     // rows per batch (32)
	Epochs      int     // maximum epochs (200)
	ValFraction float64 // held-out fraction (0.1)
	Patience    int     // epochs without validation-loss improvement before stopping (5; 0 disables)
	MinDelta    float64 // improvement needed to reset patience (0)
	Balance     bool    // balanced sampling of the two classes (true)
	RestoreBest bool    // finish with the weights of the best validation loss (true)
	Seed        uint64  // seed of every random choice
	Threads     int     // worker goroutines (results do not depend on it)
	BNMomentum  float64 // BatchNorm running-stat momentum (0.1)
	BNEps       float64 // BatchNorm eps (1e-5)
}

// DefaultConfig returns the original recipe.
func DefaultConfig() Config {
	return Config{Hidden: 512, Dropout: 0.5, LR: 2e-4, Momentum: 0.9, StepSize: 10, Gamma: 0.85,
		BatchSize: 32, Epochs: 200, ValFraction: 0.1, Patience: 5, Balance: true, RestoreBest: true,
		Seed: 42, Threads: 1, BNMomentum: 0.1, BNEps: 1e-5}
}

// Validate reports the first out-of-range hyper-parameter.
func (c Config) Validate() error {
	switch {
	case c.Hidden < 1:
		return fmt.Errorf("hidden width %d: must be >= 1", c.Hidden)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("dropout %g: must be in [0, 1)", c.Dropout)
	case !(c.LR > 0):
		return fmt.Errorf("learning rate %g: must be > 0", c.LR)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("momentum %g: must be in [0, 1)", c.Momentum)
	case c.StepSize < 1:
		return fmt.Errorf("lr step %d: must be >= 1", c.StepSize)
	case !(c.Gamma > 0):
		return fmt.Errorf("lr gamma %g: must be > 0", c.Gamma)
	case c.BatchSize < 2:
		return fmt.Errorf("batch size %d: BatchNorm in training mode needs >= 2", c.BatchSize)
	case c.Epochs < 1:
		return fmt.Errorf("epochs %d: must be >= 1", c.Epochs)
	case c.ValFraction < 0 || c.ValFraction >= 1:
		return fmt.Errorf("validation fraction %g: must be in [0, 1)", c.ValFraction)
	case c.Patience < 0:
		return fmt.Errorf("patience %d: must be >= 0", c.Patience)
	case c.Threads < 1:
		return fmt.Errorf("threads %d: must be >= 1", c.Threads)
	case c.BNMomentum < 0 || c.BNMomentum > 1:
		return fmt.Errorf("BatchNorm momentum %g: must be in [0, 1]", c.BNMomentum)
	case !(c.BNEps > 0):
		return fmt.Errorf("BatchNorm eps %g: must be > 0", c.BNEps)
	}
	return nil
}

// Plan is the rows a run trains and validates on.
type Plan struct {
	Train, Val []int
	Balance    *BalanceReport // nil when balancing is off
}

// MakePlan balances (if configured) and splits the set.
func MakePlan(s *Set, c Config) (Plan, error) {
	var p Plan
	idx := make([]int, s.Len())
	for i := range idx {
		idx[i] = i
	}
	if c.Balance {
		var rep BalanceReport
		idx, rep = Balance(s, NewRNG(c.Seed, streamBalance))
		p.Balance = &rep
		if len(idx) == 0 {
			return p, fmt.Errorf("balanced sampling needs both classes: %d viral and %d other rows", rep.Viral, rep.Other)
		}
	}
	p.Train, p.Val = Split(idx, c.ValFraction, NewRNG(c.Seed, streamSplit))
	if len(p.Train) < 2 {
		return p, fmt.Errorf("only %d training rows", len(p.Train))
	}
	return p, nil
}

// EpochStats is one epoch's progress line.
type EpochStats struct {
	Epoch     int // 1-based
	LR        float64
	TrainLoss float64 // mean of the batch losses, as train.py prints
	Val       *Metrics
	Best      bool // validation loss improved
	Elapsed   time.Duration
}

// Result is a finished run.
type Result struct {
	Model        *Model
	Epochs       []EpochStats
	BestEpoch    int  // epoch whose weights Model holds (0: last epoch, no validation)
	EarlyStopped bool // patience ran out
}

// Train fits a new classifier on plan.Train, validating on plan.Val after each epoch;
// onEpoch (may be nil) is called with each epoch's statistics. Cancelling ctx stops
// it between batches with ctx's error.
func Train(ctx context.Context, s *Set, plan Plan, c Config, onEpoch func(EpochStats)) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m, err := NewModel(s.Dim, c.Hidden, 2, NewRNG(c.Seed, streamInit))
	if err != nil {
		return nil, err
	}
	return Continue(ctx, m, s, plan, c, onEpoch)
}

// Continue trains an existing model (its width must match the set's).
func Continue(ctx context.Context, m *Model, s *Set, plan Plan, c Config, onEpoch func(EpochStats)) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if m.In != s.Dim || m.Classes != 2 {
		return nil, fmt.Errorf("model takes %d features in %d classes; the features have width %d", m.In, m.Classes, s.Dim)
	}
	m.Eps, m.Momentum = c.BNEps, c.BNMomentum
	t := newTrainer(m, s, plan, c)
	res := &Result{}
	var stop earlyStopping
	for epoch := 0; epoch < c.Epochs; epoch++ {
		start := time.Now()
		loss, err := t.epoch(ctx, epoch)
		if err != nil {
			return nil, err
		}
		st := EpochStats{Epoch: epoch + 1, LR: t.opt.LR, TrainLoss: loss}
		halt := false
		if len(plan.Val) > 0 {
			vm, err := evaluate(ctx, t.net, s, plan.Val, c.BatchSize)
			if err != nil {
				return nil, err
			}
			st.Val = &vm
			st.Best, halt = stop.observe(vm.Loss, c, m)
			if st.Best {
				res.BestEpoch = epoch + 1
			}
		}
		st.Elapsed = time.Since(start)
		res.Epochs = append(res.Epochs, st)
		if onEpoch != nil {
			onEpoch(st)
		}
		if halt {
			res.EarlyStopped = true
			break
		}
	}
	res.Model = m
	if c.RestoreBest && stop.best != nil {
		res.Model = stop.best
	} else {
		res.BestEpoch = len(res.Epochs)
	}
	return res, nil
}

// trainer holds one training run's network, optimiser, random streams and batch
// buffers.
type trainer struct {
	m                *Model
	s                *Set
	c                Config
	wk               workers
	net              *network
	opt              *SGD
	shuffle, dropout *RNG
	order            []int
	rows             [][]float32
	labels           []int
}

func newTrainer(m *Model, s *Set, plan Plan, c Config) *trainer {
	wk := workers{n: c.Threads}
	return &trainer{m: m, s: s, c: c, wk: wk, net: newNetwork(m, c.BatchSize, c.Dropout, wk),
		opt: &SGD{LR: c.LR, Momentum: c.Momentum}, shuffle: NewRNG(c.Seed, streamShuffle), dropout: NewRNG(c.Seed, streamDropout),
		order: append([]int(nil), plan.Train...), rows: make([][]float32, 0, c.BatchSize), labels: make([]int, c.BatchSize)}
}

// epoch runs one epoch over the shuffled training rows and returns the mean batch
// loss.
func (t *trainer) epoch(ctx context.Context, epoch int) (float64, error) {
	c := t.c
	t.opt.LR = StepLR(c.LR, c.StepSize, c.Gamma, epoch)
	t.shuffle.Shuffle(t.order)
	var sum float64
	batches := 0
	for lo := 0; lo < len(t.order); lo += c.BatchSize {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hi := min(lo+c.BatchSize, len(t.order))
		if hi-lo < 2 {
			break // a last batch of one row: torch's BatchNorm refuses it in training mode
		}
		t.rows = t.rows[:0]
		for b, i := range t.order[lo:hi] {
			t.rows = append(t.rows, t.s.Row(i))
			t.labels[b] = t.s.Labels[i]
		}
		t.net.load(t.rows)
		loss := t.net.trainStep(hi-lo, t.labels[:hi-lo], t.dropout)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return 0, fmt.Errorf("epoch %d: training loss is %v (learning rate too high?)", epoch+1, loss)
		}
		t.opt.Step(t.wk, t.m.Params, t.net.grad.Params)
		sum += loss
		batches++
	}
	return sum / float64(batches), nil
}

// earlyStopping is train.py's EarlyStopping: the first epoch sets the best; later a
// loss below best-delta resets the counter, anything else counts towards patience.
type earlyStopping struct {
	best     *Model
	bestLoss float64
	stall    int
}

// observe records an epoch's validation loss for model m and reports whether it is
// the best so far (m is then copied) and whether training should stop.
func (e *earlyStopping) observe(loss float64, c Config, m *Model) (best, stop bool) {
	if e.best == nil || loss < e.bestLoss-c.MinDelta {
		e.bestLoss, e.best, e.stall = loss, m.Clone(), 0
		return true, false
	}
	e.stall++
	return false, c.Patience > 0 && e.stall >= c.Patience
}

// evaluate runs rows idx of s through the network in eval mode in batches, as
// train.py's test_model: the loss is the mean of the batch losses.
func evaluate(ctx context.Context, net *network, s *Set, idx []int, batch int) (Metrics, error) {
	labels := make([]int, len(idx))
	preds := make([]int, len(idx))
	scores := make([]float64, len(idx))
	rows := make([][]float32, 0, batch)
	var sum float64
	batches := 0
	for lo := 0; lo < len(idx); lo += batch {
		if err := ctx.Err(); err != nil {
			return Metrics{}, err
		}
		hi := min(lo+batch, len(idx))
		rows = rows[:0]
		for b, i := range idx[lo:hi] {
			rows = append(rows, s.Row(i))
			labels[lo+b] = s.Labels[i]
		}
		net.load(rows)
		sum += net.evalStep(hi-lo, labels[lo:hi])
		batches++
		for b := 0; b < hi-lo; b++ {
			p := net.probs[b*2 : b*2+2]
			preds[lo+b] = Predict(p[0], p[1])
			scores[lo+b] = p[1]
		}
	}
	m, err := ComputeMetrics(labels, preds, scores)
	m.Loss = sum / float64(batches)
	return m, err
}

// Evaluate scores a model on rows idx of s (all rows when idx is nil) in eval mode.
func Evaluate(ctx context.Context, m *Model, s *Set, idx []int, batch, threads int) (Metrics, error) {
	if m.In != s.Dim {
		return Metrics{}, fmt.Errorf("model takes %d features; the features have width %d", m.In, s.Dim)
	}
	if idx == nil {
		idx = make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	if len(idx) == 0 {
		return Metrics{}, fmt.Errorf("no rows to evaluate")
	}
	if batch < 1 {
		batch = 256
	}
	return evaluate(ctx, newNetwork(m, batch, 0, workers{n: max(threads, 1)}), s, idx, batch)
}
