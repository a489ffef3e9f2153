package cpu

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// attnScratch holds one task's working memory.
type attnScratch struct {
	q, k, v, scores, vt, out []float32
}

var scratchPool = sync.Pool{New: func() any { return new(attnScratch) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Attention implements tensor.Backend: one task per (segment, head), spread over the
// backend's threads.
func (b *Backend) Attention(dst, qkv tensor.Tensor, segs []tensor.Segment, spec tensor.AttentionSpec) {
	d, in := mat(dst), mat(qkv)
	D := spec.Heads * spec.HeadDim
	if in.cols != 3*D || d.cols != D || d.rows != in.rows {
		panic(fmt.Sprintf("cpu backend: Attention qkv %d×%d, dst %d×%d, heads %d×%d", in.rows, in.cols, d.rows, d.cols, spec.Heads, spec.HeadDim))
	}
	tasks := len(segs) * spec.Heads
	var next atomic.Int64
	workers := min(b.threads, tasks)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := scratchPool.Get().(*attnScratch)
			defer scratchPool.Put(sc)
			for {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				attendHead(b.serialGemm(), d.data, in.data, segs[t/spec.Heads], t%spec.Heads, spec, sc)
			}
		}()
	}
	wg.Wait()
}

func attendHead(g Gemm, dst, qkv []float32, seg tensor.Segment, h int, spec tensor.AttentionSpec, sc *attnScratch) {
	L, hd := seg.Len, spec.HeadDim
	D := spec.Heads * hd
	sc.q, sc.k, sc.v = grow(sc.q, L*hd), grow(sc.k, L*hd), grow(sc.v, L*hd)
	q, k, v := sc.q, sc.k, sc.v
	for i := 0; i < L; i++ {
		row := qkv[(seg.Start+i)*3*D:]
		qi, ki, vi := q[i*hd:(i+1)*hd], k[i*hd:(i+1)*hd], v[i*hd:(i+1)*hd]
		for c := 0; c < hd; c++ {
			qi[c] = row[h*hd+c] * spec.Scale
			ki[c] = row[D+h*hd+c]
			vi[c] = row[2*D+h*hd+c]
		}
		if spec.RotaryInvFreq != nil {
			rotate(qi, i, spec.RotaryInvFreq)
			rotate(ki, i, spec.RotaryInvFreq)
		}
	}
	// scores = Q·Kᵀ, then bias and a float32 softmax per row.
	sc.scores = grow(sc.scores, L*L)
	p := sc.scores
	g.SgemmNT(L, L, hd, q, hd, k, hd, p, L, false)
	var slope float32
	if spec.ALiBiSlopes != nil {
		slope = spec.ALiBiSlopes[h]
	}
	for i := 0; i < L; i++ {
		row := p[i*L : (i+1)*L]
		if spec.ALiBiSlopes != nil {
			for j := range row {
				dist := i - j
				if dist < 0 {
					dist = -dist
				}
				row[j] += -slope * float32(dist)
			}
		}
		maxv := float32(math.Inf(-1))
		for _, s := range row {
			maxv = max(maxv, s)
		}
		var sum float32
		for j, s := range row {
			e := float32(math.Exp(float64(s - maxv)))
			row[j] = e
			sum += e
		}
		inv := 1 / sum
		for j := range row {
			row[j] *= inv
		}
	}
	// out = P·V, with V transposed so both operands have contiguous rows.
	sc.vt = grow(sc.vt, hd*L)
	vt := sc.vt
	for j := 0; j < L; j++ {
		for c := 0; c < hd; c++ {
			vt[c*L+j] = v[j*hd+c]
		}
	}
	sc.out = grow(sc.out, L*hd)
	g.SgemmNT(L, hd, L, p, L, vt, L, sc.out, hd, false)
	for i := 0; i < L; i++ {
		copy(dst[(seg.Start+i)*D+h*hd:(seg.Start+i)*D+(h+1)*hd], sc.out[i*hd:(i+1)*hd])
	}
}

// rotate applies the half-split rotary embedding at position pos to x in place.
func rotate(x []float32, pos int, invFreq []float32) {
	half := len(x) / 2
	for t := 0; t < half; t++ {
		angle := float32(pos) * invFreq[t]
		c := float32(math.Cos(float64(angle)))
		s := float32(math.Sin(float64(angle)))
		x1, x2 := x[t], x[t+half]
		x[t] = x1*c - x2*s
		x[t+half] = x2*c + x1*s
	}
}
