package train

import "math"

// The layer functions below work on row-major float64 matrices of n rows (the
// batch). Every sum runs in a fixed order; loops are parallelised only over outputs.

// dot is the inner product of two equal-length vectors, summed in four interleaved
// partial sums (fixed order).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds alpha*x to y.
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for k, v := range x {
		y[k] += alpha * v
	}
}

// dot4 returns the inner products of w with four vectors, each summed in two
// interleaved partial sums (fixed order); w is read once for all four.
func dot4(w, x0, x1, x2, x3 []float64) (float64, float64, float64, float64) {
	n := len(w)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	var a0, a1, b0, b1, c0, c1, d0, d1 float64
	k := 0
	for ; k+2 <= n; k += 2 {
		w0, w1 := w[k], w[k+1]
		a0 += w0 * x0[k]
		a1 += w1 * x0[k+1]
		b0 += w0 * x1[k]
		b1 += w1 * x1[k+1]
		c0 += w0 * x2[k]
		c1 += w1 * x2[k+1]
		d0 += w0 * x3[k]
		d1 += w1 * x3[k+1]
	}
	if k < n {
		a0 += w[k] * x0[k]
		b0 += w[k] * x1[k]
		c0 += w[k] * x2[k]
		d0 += w[k] * x3[k]
	}
	return a0 + a1, b0 + b1, c0 + c1, d0 + d1
}

// axpy4 adds g0*x0 + g1*x1 + g2*x2 + g3*x3 to y (summed in that order).
func axpy4(g0, g1, g2, g3 float64, x0, x1, x2, x3, y []float64) {
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	for k := range y {
		y[k] += ((g0*x0[k] + g1*x1[k]) + g2*x2[k]) + g3*x3[k]
	}
}

// linearForward computes y[b,o] = bias[o] + sum_k x[b,k] w[o,k] (torch nn.Linear:
// w is out×in).
func linearForward(wk workers, x []float64, n, in int, w, bias []float64, out int, y []float64) {
	wk.forEach(out, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			wr := w[o*in : (o+1)*in]
			b := 0
			for ; b+4 <= n; b += 4 {
				d0, d1, d2, d3 := dot4(wr, x[b*in:(b+1)*in], x[(b+1)*in:(b+2)*in], x[(b+2)*in:(b+3)*in], x[(b+3)*in:(b+4)*in])
				y[b*out+o] = bias[o] + d0
				y[(b+1)*out+o] = bias[o] + d1
				y[(b+2)*out+o] = bias[o] + d2
				y[(b+3)*out+o] = bias[o] + d3
			}
			for ; b < n; b++ {
				y[b*out+o] = bias[o] + dot(x[b*in:(b+1)*in], wr)
			}
		}
	})
}

// linearBackward sets dw = dyᵀx and dbias = column sums of dy, and, when dx is not
// nil, dx = dy w.
func linearBackward(wk workers, dy []float64, n, out int, x []float64, in int, w, dw, dbias, dx []float64) {
	wk.forEach(out, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			row := dw[o*in : (o+1)*in]
			clear(row)
			var s float64
			b := 0
			for ; b+4 <= n; b += 4 {
				g0, g1, g2, g3 := dy[b*out+o], dy[(b+1)*out+o], dy[(b+2)*out+o], dy[(b+3)*out+o]
				s += g0 + g1 + g2 + g3
				axpy4(g0, g1, g2, g3, x[b*in:(b+1)*in], x[(b+1)*in:(b+2)*in], x[(b+2)*in:(b+3)*in], x[(b+3)*in:(b+4)*in], row)
			}
			for ; b < n; b++ {
				g := dy[b*out+o]
				s += g
				axpy(g, x[b*in:(b+1)*in], row)
			}
			dbias[o] = s
		}
	})
	if dx == nil {
		return
	}
	wk.forEach(n, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			row := dx[b*in : (b+1)*in]
			clear(row)
			for o := 0; o < out; o++ {
				if g := dy[b*out+o]; g != 0 {
					axpy(g, w[o*in:(o+1)*in], row)
				}
			}
		}
	})
}

// bnCache keeps what BatchNorm's backward pass needs.
type bnCache struct {
	xhat   []float64 // n×h normalised inputs
	invstd []float64 // h
}

// batchNormTrain is BatchNorm1d in training mode: it normalises each column of x
// (n×h) with the batch mean and biased variance, applies gamma/beta, and moves the
// running statistics by momentum towards the batch mean and the unbiased batch
// variance, as torch does. runMean/runVar may be nil (no update). n must be > 1.
func batchNormTrain(wk workers, x []float64, n, h int, gamma, beta []float64, eps, momentum float64,
	runMean, runVar []float64, y []float64, c *bnCache) {
	wk.forEach(h, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var s float64
			for b := 0; b < n; b++ {
				s += x[b*h+j]
			}
			mean := s / float64(n)
			var ss float64
			for b := 0; b < n; b++ {
				d := x[b*h+j] - mean
				ss += d * d
			}
			v := ss / float64(n)
			inv := 1 / math.Sqrt(v+eps)
			c.invstd[j] = inv
			for b := 0; b < n; b++ {
				xh := (x[b*h+j] - mean) * inv
				c.xhat[b*h+j] = xh
				y[b*h+j] = gamma[j]*xh + beta[j]
			}
			if runMean != nil {
				runMean[j] = (1-momentum)*runMean[j] + momentum*mean
				runVar[j] = (1-momentum)*runVar[j] + momentum*ss/float64(n-1)
			}
		}
	})
}

// batchNormTrainBackward takes dy (n×h) to dx, dgamma and dbeta through a training
// mode BatchNorm (batch statistics depend on every row).
func batchNormTrainBackward(wk workers, dy []float64, n, h int, gamma []float64, c *bnCache, dx, dgamma, dbeta []float64) {
	wk.forEach(h, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var sdy, sdyx float64
			for b := 0; b < n; b++ {
				sdy += dy[b*h+j]
				sdyx += dy[b*h+j] * c.xhat[b*h+j]
			}
			dgamma[j], dbeta[j] = sdyx, sdy
			k := gamma[j] * c.invstd[j] / float64(n)
			for b := 0; b < n; b++ {
				dx[b*h+j] = k * (float64(n)*dy[b*h+j] - sdy - c.xhat[b*h+j]*sdyx)
			}
		}
	})
}

// batchNormEval is BatchNorm1d in eval mode (running statistics).
func batchNormEval(x []float64, n, h int, gamma, beta, runMean, runVar []float64, eps float64, y []float64) {
	for j := 0; j < h; j++ {
		inv := 1 / math.Sqrt(runVar[j]+eps)
		for b := 0; b < n; b++ {
			y[b*h+j] = (x[b*h+j]-runMean[j])*inv*gamma[j] + beta[j]
		}
	}
}

// relu sets y = max(x, 0).
func relu(x, y []float64) {
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// reluBackward sets dx = dy where the ReLU output y is positive, else 0 (torch's
// threshold_backward on the result).
func reluBackward(dy, y, dx []float64) {
	for i, g := range dy {
		if y[i] > 0 {
			dx[i] = g
		} else {
			dx[i] = 0
		}
	}
}

// dropoutMask fills mask with 0 (dropped, probability p) or 1/(1-p) (kept), as
// torch's Dropout in training mode.
func dropoutMask(r *RNG, p float64, mask []float64) {
	scale := 1 / (1 - p)
	for i := range mask {
		if r.Float64() < p {
			mask[i] = 0
		} else {
			mask[i] = scale
		}
	}
}

// mulInto sets y = x*mask elementwise (dropout forward and backward).
func mulInto(x, mask, y []float64) {
	for i, v := range x {
		y[i] = v * mask[i]
	}
}

// crossEntropy returns the mean over n rows of -log softmax(logits)[label] (torch
// nn.CrossEntropyLoss, reduction 'mean'), sets probs to the softmax and, when dlogits
// is not nil, dlogits to the gradient of the mean loss.
func crossEntropy(logits []float64, n, c int, labels []int, probs, dlogits []float64) float64 {
	var total float64
	for b := 0; b < n; b++ {
		z := logits[b*c : (b+1)*c]
		p := probs[b*c : (b+1)*c]
		mx := math.Inf(-1)
		for _, v := range z {
			mx = max(mx, v)
		}
		var s float64
		for k, v := range z {
			p[k] = math.Exp(v - mx)
			s += p[k]
		}
		for k := range p {
			p[k] /= s
		}
		total += mx + math.Log(s) - z[labels[b]]
		if dlogits != nil {
			for k := range p {
				g := p[k]
				if k == labels[b] {
					g--
				}
				dlogits[b*c+k] = g / float64(n)
			}
		}
	}
	return total / float64(n)
}
