package cpu

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// attnScratch holds one task's working memory.
type attnScratch struct {
	scores []float32
	gemm   gemmBufs // the native kernels' packed operands
}

// Attention implements tensor.Backend: q (scaled, rotated) and, with a rotary
// embedding, k are first prepared for every row, one task per segment; then one task
// per (segment, head), spread over the backend's threads. Each task's products have
// the shape of its own sequence (and read k and v straight from qkv where no rotary
// embedding applies), so a sequence's result does not depend on what it is packed
// with.
func (b *Backend) Attention(dst, qkv tensor.Tensor, segs []tensor.Segment, spec tensor.AttentionSpec) {
	d, in := mat(dst), mat(qkv)
	D := spec.Heads * spec.HeadDim
	if in.cols != 3*D || d.cols != D || d.rows != in.rows {
		panic(fmt.Sprintf("cpu backend: Attention qkv %d×%d, dst %d×%d, heads %d×%d", in.rows, in.cols, d.rows, d.cols, spec.Heads, spec.HeadDim))
	}
	var rc, rs []float32
	qkCols := D // prepared q, then (rotary) k, per row
	if spec.RotaryInvFreq != nil {
		maxLen := 0
		for _, s := range segs {
			maxLen = max(maxLen, s.Len)
		}
		rc, rs = b.rot.table(spec.RotaryInvFreq, maxLen)
		qkCols = 2 * D
	}
	// All heads of a row at once: contiguous copies, and a row's cosines and sines
	// serve every head.
	qk := b.scratch.get(in.rows * qkCols)
	defer b.scratch.put(qk)
	b.forTasks(len(segs), func(s int, _ *workspace) {
		prepareQK(qk, qkCols, in.data, segs[s], spec, rc, rs)
	})
	b.forTasks(len(segs)*spec.Heads, func(t int, ws *workspace) {
		b.attendHead(d.data, in.data, qk, qkCols, segs[t/spec.Heads], t%spec.Heads, spec, &ws.att)
	})
}

// prepareQK writes q·Scale, rotated when spec has a rotary embedding, into columns
// [0, D) of qk's rows of seg (qkCols wide), and with a rotary embedding the rotated k
// into columns [D, 2D).
func prepareQK(qk []float32, qkCols int, qkv []float32, seg tensor.Segment, spec tensor.AttentionSpec, rc, rs []float32) {
	hd := spec.HeadDim
	D := spec.Heads * hd
	half := hd / 2
	rotary := spec.RotaryInvFreq != nil
	for i := 0; i < seg.Len; i++ {
		row := qkv[(seg.Start+i)*3*D : (seg.Start+i+1)*3*D]
		out := qk[(seg.Start+i)*qkCols : (seg.Start+i+1)*qkCols]
		q := out[:D]
		scaleRow(q, row[:D], spec.Scale)
		if !rotary {
			continue
		}
		k := out[D : 2*D]
		copy(k, row[D:2*D])
		cos, sin := rc[i*half:(i+1)*half], rs[i*half:(i+1)*half]
		rotateHeads(q, hd, cos, sin)
		rotateHeads(k, hd, cos, sin)
	}
}

func (b *Backend) attendHead(dst, qkv, qk []float32, qkCols int, seg tensor.Segment, h int, spec tensor.AttentionSpec, sc *attnScratch) {
	L, hd := seg.Len, spec.HeadDim
	if L == 0 {
		return
	}
	D := spec.Heads * hd
	ld := 3 * D
	base := seg.Start * ld
	q := qk[seg.Start*qkCols+h*hd:]
	k, ldk := qkv[base+D+h*hd:], ld
	if spec.RotaryInvFreq != nil {
		k, ldk = qk[seg.Start*qkCols+D+h*hd:], qkCols
	}
	// scores = Q·Kᵀ, then the ALiBi bias and a float32 softmax per row.
	sc.scores = grow(sc.scores, L*L)
	p := sc.scores
	b.kern.nt(L, L, hd, q, qkCols, k, ldk, p, L, &sc.gemm)
	var slope float32
	if spec.ALiBiSlopes != nil {
		slope = spec.ALiBiSlopes[h]
	}
	for i := 0; i < L; i++ {
		softmaxRow(p[i*L:(i+1)*L], i, slope, spec.ALiBiSlopes != nil)
	}
	// out = P·V, V read in place and the result written into the head's columns.
	b.kern.nn(L, hd, L, p, L, qkv[base+2*D+h*hd:], ld, dst[seg.Start*D+h*hd:], D, &sc.gemm)
}

// softmaxRow replaces row (the scores of query i) by its softmax, after adding the
// ALiBi bias -slope·|i-j| when alibi is set. The bias is added in the same pass that
// finds the maximum (one pass over the row fewer), with the operations of
// softmaxRowUnfused, so the bits are the same.
func softmaxRow(row []float32, i int, slope float32, alibi bool) {
	var maxv float32
	if alibi {
		maxv = alibiMax(row, i, slope)
	} else {
		var j int
		maxv, j = maxFast(row)
		for _, s := range row[j:] {
			maxv = max(maxv, s)
		}
	}
	inv := 1 / expShiftedSum(row, maxv)
	for j := scaleFast(row, inv); j < len(row); j++ {
		row[j] *= inv
	}
}

// alibiMax adds the ALiBi bias -slope·|i-j| into row[j] and returns the maximum
// of the results.
func alibiMax(row []float32, i int, slope float32) float32 {
	negSlope := -slope
	maxv, j := alibiMaxFast(row, i, negSlope)
	for ; j < len(row); j++ {
		dist := i - j
		if dist < 0 {
			dist = -dist
		}
		// The product rounded on its own, as the vector kernels do (a compiler may
		// otherwise fuse it with the addition).
		row[j] += float32(negSlope * float32(dist))
		maxv = max(maxv, row[j])
	}
	return maxv
}

// rotate applies the half-split rotary embedding to x in place, given the cosines
// and sines of its position's angles.
func rotate(x, cos, sin []float32) {
	half := len(x) / 2
	x1s, x2s := x[:half], x[half:2*half]
	cos, sin = cos[:half], sin[:half]
	for t, x1 := range x1s {
		x2 := x2s[t]
		c, s := cos[t], sin[t]
		// Each product rounded on its own (no fused multiply-add, which arm64 would
		// otherwise use), as the vector kernel does.
		x1s[t] = float32(x1*c) - float32(x2*s)
		x2s[t] = float32(x2*c) + float32(x1*s)
	}
}

// rotaryCache keeps the cosines and sines of the rotary angles pos·inv_freq[t]
// (angle in float32, cos and sin in float64 rounded to float32), which every layer
// and head of a model shares.
type rotaryCache struct {
	mu       sync.Mutex
	inv      []float32
	n        int
	cos, sin []float32 // [pos*len(inv)+t]; never modified once published
}

// table returns the cosines and sines for positions [0, n) of inv.
func (r *rotaryCache) table(inv []float32, n int) (cos, sin []float32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n <= r.n && slices.Equal(inv, r.inv) {
		return r.cos, r.sin
	}
	if !slices.Equal(inv, r.inv) {
		r.n = 0
	}
	n = max(n, 2*r.n, 64)
	half := len(inv)
	cos, sin = make([]float32, n*half), make([]float32, n*half)
	for pos := 0; pos < n; pos++ {
		for t, f := range inv {
			angle := float32(pos) * f
			cos[pos*half+t] = float32(math.Cos(float64(angle)))
			sin[pos*half+t] = float32(math.Sin(float64(angle)))
		}
	}
	r.inv, r.n, r.cos, r.sin = slices.Clone(inv), n, cos, sin
	return cos, sin
}
