package train

import (
	"fmt"
	"math"

	"github.com/virnucpro/virnucpro/internal/model/mlp"
)

// Model is the classifier being trained, in float64. The trainable parameters live
// in one flat vector (hidden weight | hidden bias | BN weight | BN bias | output
// weight | output bias) so the optimiser treats them as one.
type Model struct {
	In, Hidden, Classes int
	// Params holds the trainable parameters; use the accessors to view them.
	Params []float64
	// RunMean and RunVar are BatchNorm's running statistics.
	RunMean, RunVar []float64
	// Eps and Momentum are BatchNorm's (torch defaults 1e-5 and 0.1).
	Eps, Momentum float64
	// BatchesTracked counts training batches seen by BatchNorm.
	BatchesTracked int64
}

// NewModel initialises a classifier as the original's MLPClassifier: Xavier-uniform
// weights (gain 1), torch's default Linear bias init U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
// BatchNorm weight 1, bias 0, running mean 0 and variance 1.
func NewModel(in, hidden, classes int, r *RNG) (*Model, error) {
	if in < 1 || hidden < 1 || classes < 2 {
		return nil, fmt.Errorf("classifier dimensions in=%d hidden=%d classes=%d: need in>=1, hidden>=1, classes>=2", in, hidden, classes)
	}
	m := &Model{In: in, Hidden: hidden, Classes: classes, Eps: 1e-5, Momentum: 0.1}
	m.Params = make([]float64, m.numParams())
	m.RunMean = make([]float64, hidden)
	m.RunVar = make([]float64, hidden)
	xavier := func(w []float64, fanIn, fanOut int) {
		a := math.Sqrt(6 / float64(fanIn+fanOut))
		for i := range w {
			w[i] = r.Uniform(-a, a)
		}
	}
	bias := func(b []float64, fanIn int) {
		a := 1 / math.Sqrt(float64(fanIn))
		for i := range b {
			b[i] = r.Uniform(-a, a)
		}
	}
	xavier(m.W1(), in, hidden)
	bias(m.B1(), in)
	xavier(m.W2(), hidden, classes)
	bias(m.B2(), hidden)
	for j := range m.Gamma() {
		m.Gamma()[j] = 1
		m.RunVar[j] = 1
	}
	return m, nil
}

func (m *Model) numParams() int {
	return m.Hidden*m.In + 3*m.Hidden + m.Classes*m.Hidden + m.Classes
}

func (m *Model) span(lo, n int) []float64 { return m.Params[lo : lo+n : lo+n] }

// W1 is the hidden layer weight (Hidden×In).
func (m *Model) W1() []float64 { return m.span(0, m.Hidden*m.In) }

// B1 is the hidden layer bias.
func (m *Model) B1() []float64 { return m.span(m.Hidden*m.In, m.Hidden) }

// Gamma is BatchNorm's weight.
func (m *Model) Gamma() []float64 { return m.span(m.Hidden*m.In+m.Hidden, m.Hidden) }

// Beta is BatchNorm's bias.
func (m *Model) Beta() []float64 { return m.span(m.Hidden*m.In+2*m.Hidden, m.Hidden) }

// W2 is the output layer weight (Classes×Hidden).
func (m *Model) W2() []float64 { return m.span(m.Hidden*m.In+3*m.Hidden, m.Classes*m.Hidden) }

// B2 is the output layer bias.
func (m *Model) B2() []float64 {
	return m.span(m.Hidden*m.In+3*m.Hidden+m.Classes*m.Hidden, m.Classes)
}

// Clone returns a deep copy.
func (m *Model) Clone() *Model {
	c := *m
	c.Params = append([]float64(nil), m.Params...)
	c.RunMean = append([]float64(nil), m.RunMean...)
	c.RunVar = append([]float64(nil), m.RunVar...)
	return &c
}

// Classifier rounds the model to float32 as the inference classifier (the layout
// predict --classifier loads and mlp.Classifier.Save writes).
func (m *Model) Classifier() *mlp.Classifier {
	f := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	return &mlp.Classifier{In: m.In, Hidden: m.Hidden, Classes: m.Classes,
		W1: f(m.W1()), B1: f(m.B1()), Gamma: f(m.Gamma()), Beta: f(m.Beta()),
		Mean: f(m.RunMean), Var: f(m.RunVar), Eps: m.Eps, W2: f(m.W2()), B2: f(m.B2())}
}

// FromClassifier converts a loaded classifier to a Model (to continue training or to
// evaluate with this package's forward pass).
func FromClassifier(c *mlp.Classifier) *Model {
	m := &Model{In: c.In, Hidden: c.Hidden, Classes: c.Classes, Eps: c.Eps, Momentum: 0.1}
	m.Params = make([]float64, m.numParams())
	cp := func(dst []float64, src []float32) {
		for i, v := range src {
			dst[i] = float64(v)
		}
	}
	cp(m.W1(), c.W1)
	cp(m.B1(), c.B1)
	cp(m.Gamma(), c.Gamma)
	cp(m.Beta(), c.Beta)
	cp(m.W2(), c.W2)
	cp(m.B2(), c.B2)
	m.RunMean, m.RunVar = make([]float64, m.Hidden), make([]float64, m.Hidden)
	cp(m.RunMean, c.Mean)
	cp(m.RunVar, c.Var)
	return m
}
