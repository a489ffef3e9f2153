package tensor

import (
	"math/rand"
	"time"
)

// MeasureLinear times Linear on an m×k by n×k product on b and returns the achieved
// GFLOP/s (best of reps runs after one warm-up). Benchmarks print it next to a model's
// end-to-end GFLOP/s so the ratio to the raw matrix-product speed is visible.
func MeasureLinear(b Backend, m, k, n, reps int) float64 {
	r := rand.New(rand.NewSource(1))
	fill := func(len int) []float32 {
		s := make([]float32, len)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	x, w := b.FromHost(fill(m*k), m, k), b.FromHost(fill(n*k), n, k)
	dst := b.New(m, n)
	defer b.Free(dst)
	b.Linear(dst, x, w, nil, false)
	Sync(b)
	best := time.Duration(1 << 62)
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		b.Linear(dst, x, w, nil, false)
		Sync(b)
		if d := time.Since(t0); d < best {
			best = d
		}
	}
	return 2 * float64(m) * float64(k) * float64(n) / best.Seconds() / 1e9
}
