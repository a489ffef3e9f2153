package cpu

import (
	"sync"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

var _ tensor.ScratchAllocator = (*Backend)(nil)

// maxFreeScratch bounds the buffers a backend keeps for reuse: a batch's working
// tensors (five or six per model) and attention's, with room for batches of other
// sizes; beyond it the smallest are dropped.
const maxFreeScratch = 10

// scratchPool recycles the memory of freed scratch tensors. Fresh memory from make
// is zeroed, and a batch's tensors (tens of MB) would otherwise be allocated,
// cleared and collected again for every batch.
type scratchPool struct {
	mu   sync.Mutex
	free [][]float32 // full-capacity slices
}

// get returns a slice of n values with undefined contents: the smallest free buffer
// that holds n, else a new one.
func (p *scratchPool) get(n int) []float32 {
	p.mu.Lock()
	best := -1
	for i, s := range p.free {
		if cap(s) >= n && (best < 0 || cap(s) < cap(p.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		s := p.free[best]
		p.free[best] = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		p.mu.Unlock()
		return s[:n]
	}
	p.mu.Unlock()
	return make([]float32, n)
}

// put gives s back for reuse, dropping the smallest buffer when too many are kept.
func (p *scratchPool) put(s []float32) {
	if cap(s) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, s[:cap(s)])
	if len(p.free) > maxFreeScratch {
		small := 0
		for i, f := range p.free {
			if cap(f) < cap(p.free[small]) {
				small = i
			}
		}
		p.free[small] = p.free[len(p.free)-1]
		p.free[len(p.free)-1] = nil
		p.free = p.free[:len(p.free)-1]
	}
}

// NewScratch implements tensor.ScratchAllocator.
func (b *Backend) NewScratch(rows, cols int) tensor.Tensor {
	return &Matrix{rows: rows, cols: cols, data: b.scratch.get(rows * cols), scratch: true}
}
