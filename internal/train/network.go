package train

// network runs the classifier's forward and backward passes over batches of at most
// capRows rows, reusing its buffers.
type network struct {
	m       *Model
	wk      workers
	capRows int
	dropout float64

	x, z1, bn, act, drop, logits, probs []float64
	mask                                []float64
	dlogits, ddrop, dact, dbn, dz1      []float64
	cache                               bnCache
	grad                                *Model // gradient, laid out as the model
}

func newNetwork(m *Model, capRows int, dropout float64, wk workers) *network {
	h, c := m.Hidden, m.Classes
	buf := func(k int) []float64 { return make([]float64, capRows*k) }
	g := &Model{In: m.In, Hidden: h, Classes: c, Params: make([]float64, len(m.Params))}
	return &network{m: m, wk: wk, capRows: capRows, dropout: dropout,
		x: buf(m.In), z1: buf(h), bn: buf(h), act: buf(h), drop: buf(h), logits: buf(c), probs: buf(c),
		mask: buf(h), dlogits: buf(c), ddrop: buf(h), dact: buf(h), dbn: buf(h), dz1: buf(h),
		cache: bnCache{xhat: buf(h), invstd: make([]float64, h)}, grad: g}
}

// load copies n rows of float32 features into the input buffer.
func (t *network) load(rows [][]float32) {
	in := t.m.In
	for b, r := range rows {
		dst := t.x[b*in : (b+1)*in]
		for k, v := range r {
			dst[k] = float64(v)
		}
	}
}

// trainStep runs forward and backward on the n loaded rows in training mode
// (BatchNorm batch statistics with running-stat update, dropout with a fresh mask
// from r) and leaves the gradient of the mean cross-entropy in t.grad. It returns
// the loss.
func (t *network) trainStep(n int, labels []int, r *RNG) float64 {
	m, h, c := t.m, t.m.Hidden, t.m.Classes
	linearForward(t.wk, t.x, n, m.In, m.W1(), m.B1(), h, t.z1)
	batchNormTrain(t.wk, t.z1, n, h, m.Gamma(), m.Beta(), m.Eps, m.Momentum, m.RunMean, m.RunVar, t.bn, &t.cache)
	m.BatchesTracked++
	relu(t.bn[:n*h], t.act)
	drop := t.act
	if t.dropout > 0 {
		dropoutMask(r, t.dropout, t.mask[:n*h])
		mulInto(t.act[:n*h], t.mask, t.drop)
		drop = t.drop
	}
	linearForward(t.wk, drop, n, h, m.W2(), m.B2(), c, t.logits)
	loss := crossEntropy(t.logits, n, c, labels, t.probs, t.dlogits)

	g := t.grad
	linearBackward(t.wk, t.dlogits, n, c, drop, h, m.W2(), g.W2(), g.B2(), t.ddrop)
	dact := t.ddrop
	if t.dropout > 0 {
		mulInto(t.ddrop[:n*h], t.mask, t.dact)
		dact = t.dact
	}
	reluBackward(dact[:n*h], t.act, t.dbn)
	batchNormTrainBackward(t.wk, t.dbn, n, h, m.Gamma(), &t.cache, t.dz1, g.Gamma(), g.Beta())
	linearBackward(t.wk, t.dz1, n, h, t.x, m.In, m.W1(), g.W1(), g.B1(), nil)
	return loss
}

// evalStep runs the n loaded rows in eval mode (running statistics, no dropout); it
// returns the mean cross-entropy and leaves the softmax in t.probs.
func (t *network) evalStep(n int, labels []int) float64 {
	m, h, c := t.m, t.m.Hidden, t.m.Classes
	linearForward(t.wk, t.x, n, m.In, m.W1(), m.B1(), h, t.z1)
	batchNormEval(t.z1, n, h, m.Gamma(), m.Beta(), m.RunMean, m.RunVar, m.Eps, t.bn)
	relu(t.bn[:n*h], t.act)
	linearForward(t.wk, t.act, n, h, m.W2(), m.B2(), c, t.logits)
	return crossEntropy(t.logits, n, c, labels, t.probs, nil)
}

// SGD is torch.optim.SGD with momentum (no dampening, weight decay or Nesterov):
// buf = grad on the first step, then buf = momentum*buf + grad; param -= lr*buf.
type SGD struct {
	LR, Momentum float64
	buf          []float64
}

// Step updates params with grad.
func (s *SGD) Step(wk workers, params, grad []float64) {
	first := s.buf == nil
	if first {
		s.buf = make([]float64, len(params))
	}
	lr, mu := s.LR, s.Momentum
	wk.forEach(len(params), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g := grad[i]
			if mu != 0 {
				if first {
					s.buf[i] = g
				} else {
					s.buf[i] = mu*s.buf[i] + g
				}
				g = s.buf[i]
			}
			params[i] -= lr * g
		}
	})
}

// StepLR is torch's StepLR: the learning rate of epoch e (0-based) is
// base * gamma^floor(e/step).
func StepLR(base float64, step int, gamma float64, epoch int) float64 {
	if step <= 0 {
		return base
	}
	lr := base
	for i := 0; i < epoch/step; i++ {
		lr *= gamma
	}
	return lr
}
