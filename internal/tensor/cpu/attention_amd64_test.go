package cpu

import (
	"math"
	"math/rand"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// TestAttentionVectorMatchesGo checks that q's scaling and the rotary embedding give
// the same attention bit for bit at every SIMD level and in plain Go, for head sizes
// whose halves take 8- and 4-wide steps or (odd) only the Go code.
func TestAttentionVectorMatchesGo(t *testing.T) {
	levels := simdLevels()
	if len(levels) == 1 {
		t.Skip("no vector kernels on this machine")
	}
	saved := simdLevel
	defer func() { simdLevel = saved }()
	r := rand.New(rand.NewSource(5))
	b := New(2, nil)
	segs := []tensor.Segment{{Start: 0, Len: 7}, {Start: 7, Len: 30}, {Start: 37, Len: 1}}
	T := 38
	for _, hd := range []int{8, 10, 24, 64} {
		inv := make([]float32, hd/2)
		for i := range inv {
			inv[i] = float32(math.Pow(10000, -float64(2*i)/float64(hd)))
		}
		spec := tensor.AttentionSpec{Heads: 3, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))), RotaryInvFreq: inv}
		D := spec.Heads * hd
		qkv := b.FromHost(randSlice(r, T*3*D), T, 3*D)
		out := make([][]float32, len(levels))
		for i, level := range levels {
			simdLevel = level
			dst := b.New(T, D)
			b.Attention(dst, qkv, segs, spec)
			out[i] = make([]float32, T*D)
			b.ToHost(out[i], dst)
		}
		for l := 1; l < len(levels); l++ {
			for i := range out[0] {
				if math.Float32bits(out[0][i]) != math.Float32bits(out[l][i]) {
					t.Fatalf("head size %d: [%d] = %v at SIMD level %d, %v in Go", hd, i, out[l][i], levels[l], out[0][i])
				}
			}
		}
	}
}
