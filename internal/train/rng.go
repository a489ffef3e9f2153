package train

import (
	"math"
	"math/rand/v2"
)

// RNG is the seeded random source of training: PCG-DXSM (math/rand/v2's PCG, whose
// output is fixed by its specification), with the derived draws (uniform floats,
// bounded integers, shuffles) written out here so that they never change with the Go
// release.
type RNG struct{ pcg *rand.PCG }

// NewRNG returns a generator for seed; stream separates independent uses of one seed
// (initialisation, data split, batch order, dropout).
func NewRNG(seed uint64, stream uint64) *RNG {
	return &RNG{pcg: rand.NewPCG(seed, 0x9e3779b97f4a7c15^stream)}
}

// Streams of one training seed.
const (
	streamInit uint64 = iota + 1
	streamBalance
	streamSplit
	streamShuffle
	streamDropout
)

// Uint64 returns 64 random bits.
func (r *RNG) Uint64() uint64 { return r.pcg.Uint64() }

// Float64 returns a uniform value in [0, 1) with 53 random bits.
func (r *RNG) Float64() float64 { return float64(r.pcg.Uint64()>>11) * (1.0 / (1 << 53)) }

// Uniform returns a uniform value in [lo, hi).
func (r *RNG) Uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// Intn returns a uniform integer in [0, n) (n > 0), by rejection so it is unbiased.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panic("train: Intn of a non-positive bound")
	}
	bound := uint64(n)
	limit := math.MaxUint64 - math.MaxUint64%bound
	for {
		v := r.pcg.Uint64()
		if v < limit {
			return int(v % bound)
		}
	}
}

// Shuffle permutes idx in place (Fisher-Yates).
func (r *RNG) Shuffle(idx []int) {
	for i := len(idx) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		idx[i], idx[j] = idx[j], idx[i]
	}
}

// Sample returns k distinct elements of idx chosen uniformly, in random order
// (k >= len(idx) returns a shuffled copy of all). idx is not modified.
func (r *RNG) Sample(idx []int, k int) []int {
	c := append([]int(nil), idx...)
	if k > len(c) {
		k = len(c)
	}
	for i := 0; i < k; i++ {
		j := i + r.Intn(len(c)-i)
		c[i], c[j] = c[j], c[i]
	}
	return c[:k]
}
