package train

import (
	"fmt"
	"math"
	"testing"
)

// checkGrad compares analytic with central finite differences of f with respect to
// every element of vals (perturbed in place and restored).
func checkGrad(t *testing.T, name string, vals, analytic []float64, f func() float64) {
	t.Helper()
	const h = 1e-6
	worst := 0.0
	for i := range vals {
		orig := vals[i]
		vals[i] = orig + h
		up := f()
		vals[i] = orig - h
		down := f()
		vals[i] = orig
		num := (up - down) / (2 * h)
		err := math.Abs(num-analytic[i]) / math.Max(1, math.Abs(num)+math.Abs(analytic[i]))
		worst = max(worst, err)
		if err > 1e-6 {
			t.Errorf("%s[%d]: analytic %.10g, finite difference %.10g", name, i, analytic[i], num)
		}
	}
	t.Logf("%s: %d elements, worst relative error %.2e", name, len(vals), worst)
}

func randVec(r *RNG, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Uniform(-scale, scale)
	}
	return v
}

// weighted is sum(g*y): its gradient with respect to y is g, so a layer's backward
// pass fed g must give the gradient of this scalar.
func weighted(g, y []float64) float64 {
	var s float64
	for i := range g {
		s += g[i] * y[i]
	}
	return s
}

func TestGradientsPerLayer(t *testing.T) {
	const n, in, out = 5, 7, 3
	for _, threads := range []int{1, 3} {
		wk := workers{n: threads}
		r := NewRNG(7, 0)
		cases := []struct {
			name string
			run  func(t *testing.T)
		}{
			{"linear", func(t *testing.T) {
				x, w, b := randVec(r, n*in, 1), randVec(r, out*in, 1), randVec(r, out, 1)
				g := randVec(r, n*out, 1)
				y := make([]float64, n*out)
				f := func() float64 { linearForward(wk, x, n, in, w, b, out, y); return weighted(g, y) }
				dw, db, dx := make([]float64, out*in), make([]float64, out), make([]float64, n*in)
				linearBackward(wk, g, n, out, x, in, w, dw, db, dx)
				checkGrad(t, "x", x, dx, f)
				checkGrad(t, "weight", w, dw, f)
				checkGrad(t, "bias", b, db, f)
			}},
			{"batchnorm-train", func(t *testing.T) {
				x, gamma, beta := randVec(r, n*out, 2), randVec(r, out, 1.5), randVec(r, out, 1)
				g := randVec(r, n*out, 1)
				y := make([]float64, n*out)
				c := bnCache{xhat: make([]float64, n*out), invstd: make([]float64, out)}
				f := func() float64 {
					batchNormTrain(wk, x, n, out, gamma, beta, 1e-5, 0.1, nil, nil, y, &c)
					return weighted(g, y)
				}
				f()
				dx, dg, db := make([]float64, n*out), make([]float64, out), make([]float64, out)
				batchNormTrainBackward(wk, g, n, out, gamma, &c, dx, dg, db)
				checkGrad(t, "x", x, dx, f)
				checkGrad(t, "weight", gamma, dg, f)
				checkGrad(t, "bias", beta, db, f)
			}},
			{"relu", func(t *testing.T) {
				x := randVec(r, n*out, 1)
				for i := range x { // keep clear of the kink
					if math.Abs(x[i]) < 1e-3 {
						x[i] = 0.5
					}
				}
				g := randVec(r, n*out, 1)
				y := make([]float64, n*out)
				f := func() float64 { relu(x, y); return weighted(g, y) }
				f()
				dx := make([]float64, n*out)
				reluBackward(g, y, dx)
				checkGrad(t, "x", x, dx, f)
			}},
			{"dropout", func(t *testing.T) {
				x, g := randVec(r, n*out, 1), randVec(r, n*out, 1)
				mask := make([]float64, n*out)
				dropoutMask(r, 0.5, mask)
				y := make([]float64, n*out)
				f := func() float64 { mulInto(x, mask, y); return weighted(g, y) }
				dx := make([]float64, n*out)
				mulInto(g, mask, dx)
				checkGrad(t, "x", x, dx, f)
			}},
			{"cross-entropy", func(t *testing.T) {
				z := randVec(r, n*out, 3)
				labels := []int{0, 2, 1, 1, 0}
				p, dz := make([]float64, n*out), make([]float64, n*out)
				f := func() float64 { return crossEntropy(z, n, out, labels, p, nil) }
				crossEntropy(z, n, out, labels, p, dz)
				checkGrad(t, "logits", z, dz, f)
			}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/threads=%d", c.name, threads), c.run)
		}
	}
}

// TestGradientsWholeNetwork checks the full training-mode pass (BatchNorm batch
// statistics, a fixed dropout mask) against finite differences of the loss for
// every parameter.
func TestGradientsWholeNetwork(t *testing.T) {
	for _, tc := range []struct {
		name          string
		in, hidden, n int
		dropout       float64
	}{
		{"dropout", 6, 5, 4, 0.5},
		{"no-dropout", 9, 4, 3, 0},
		{"batch-2", 5, 3, 2, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewModel(tc.in, tc.hidden, 2, NewRNG(3, streamInit))
			if err != nil {
				t.Fatal(err)
			}
			r := NewRNG(5, 0)
			// Move BN's affine parameters off their trivial init.
			copy(m.Gamma(), randVec(r, tc.hidden, 2))
			copy(m.Beta(), randVec(r, tc.hidden, 1))
			rows := make([][]float32, tc.n)
			labels := make([]int, tc.n)
			for b := range rows {
				rows[b] = make([]float32, tc.in)
				for k := range rows[b] {
					rows[b][k] = float32(r.Uniform(-2, 2))
				}
				labels[b] = b % 2
			}
			net := newNetwork(m, tc.n, tc.dropout, workers{n: 2})
			net.load(rows)
			loss := func() float64 { return net.trainStep(tc.n, labels, NewRNG(11, streamDropout)) }
			loss()
			analytic := append([]float64(nil), net.grad.Params...)
			checkGrad(t, "params", m.Params, analytic, loss)
		})
	}
}
