package train

import "sync"

// workers splits loops over independent outputs across goroutines. Each output is
// computed by exactly one goroutine with the same arithmetic whatever the split, so
// results do not depend on the number of workers.
type workers struct{ n int }

// minPerWorker keeps tiny loops on one goroutine (spawning costs more than it saves).
const minPerWorker = 8

// forEach calls fn over [0, n) in contiguous ranges, in parallel.
func (w workers) forEach(n int, fn func(lo, hi int)) {
	parts := w.n
	if parts > n/minPerWorker {
		parts = n / minPerWorker
	}
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
