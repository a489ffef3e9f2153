package cpu

import (
	"math/bits"
	"sync"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

var _ tensor.ScratchAllocator = (*Backend)(nil)

// maxFreeScratch bounds the number of buffers a backend keeps for reuse (a batch's
// working tensors are five or six per model, and attention's); beyond it the
// smallest are dropped. The bytes kept are bounded separately (see scratchPool).
const maxFreeScratch = 12

// scratchPool recycles the memory of freed scratch tensors. Fresh memory from make
// is zeroed, and a batch's tensors (tens of MB) would otherwise be allocated,
// cleared and collected again for every batch.
//
// The pool never owns more memory (free buffers plus those handed out) than was
// handed out at once at its busiest moment, i.e. one batch's working set: a request
// that no free buffer fits first drops free buffers, smallest first, until the new
// buffer fits under that mark (or raises it, when the buffers handed out already
// fill it). Without the bound, buffers of both encoders and of batches of several
// sizes accumulated to twice the working set and more.
type scratchPool struct {
	mu   sync.Mutex
	free [][]float32 // full-capacity slices
	kept int         // values in free
	live int         // values (capacities) handed out and not given back
	peak int         // most values handed out at once: the bound on kept+live
}

// get returns a slice of n values with undefined contents: the smallest free buffer
// that holds n, else a new one.
func (p *scratchPool) get(n int) []float32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, s := range p.free {
		if cap(s) >= n && (best < 0 || cap(s) < cap(p.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		s := p.take(best)
		p.live += cap(s)
		return s[:n]
	}
	c := sizeClass(n)
	p.peak = max(p.peak, p.live+c)
	for len(p.free) > 0 && p.kept+p.live+c > p.peak {
		p.take(p.smallest())
	}
	p.live += c
	return make([]float32, n, c)
}

// sizeClass rounds n up to a multiple of 1/8 of its power of two (at most 12.5%
// more), so that the tensors of batches of slightly different token counts share
// buffers.
func sizeClass(n int) int {
	if n <= 1<<10 {
		return n
	}
	step := 1 << (bits.Len(uint(n)) - 4)
	return (n + step - 1) &^ (step - 1)
}

// put gives s back for reuse, dropping the smallest buffer when too many are kept.
func (p *scratchPool) put(s []float32) {
	if cap(s) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live -= cap(s)
	p.free = append(p.free, s[:cap(s)])
	p.kept += cap(s)
	if len(p.free) > maxFreeScratch {
		p.take(p.smallest())
	}
}

// smallest is the index of the smallest free buffer (p.free is not empty).
func (p *scratchPool) smallest() int {
	small := 0
	for i, f := range p.free {
		if cap(f) < cap(p.free[small]) {
			small = i
		}
	}
	return small
}

// take removes free buffer i from the pool and returns it.
func (p *scratchPool) take(i int) []float32 {
	s := p.free[i]
	last := len(p.free) - 1
	p.free[i] = p.free[last]
	p.free[last] = nil
	p.free = p.free[:last]
	p.kept -= cap(s)
	return s
}

// NewScratch implements tensor.ScratchAllocator.
func (b *Backend) NewScratch(rows, cols int) tensor.Tensor {
	return &Matrix{rows: rows, cols: cols, data: b.scratch.get(rows * cols), scratch: true}
}
