package cpu

import (
	"math"
	"testing"
)

// TestBF16PackLevelsAgree: every SIMD level packs a weight into the same panels as
// the definition (lane j of step p of panel q holds W[32q+j][2p] rounded in its low
// half and W[32q+j][2p+1] in its high half, zero past n and past k), bit for bit,
// for shapes with row and column tails of every kind and values that test the
// rounding: ties to even, the largest finite (rounding to Inf), denormals, ±0, ±Inf
// and NaN payloads (which leave the SIMD kernel to the Go reference).
func TestBF16PackLevelsAgree(t *testing.T) {
	r := seeded(t)
	special := []uint32{0x3f808000, 0x3f818000, 0xbf808000, 0x7f7fffff, 0xff7fffff, 0x00000001, 0x807fffff,
		0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0xff812345, 0x7f800001}
	saved := simdLevel
	defer func() { simdLevel = saved }()
	for _, s := range [][2]int{{16, 32}, {32, 64}, {33, 65}, {48, 96}, {100, 383}, {31, 31}, {64, 2560}, {17, 1}, {96, 97}} {
		n, k := s[0], s[1]
		for _, specials := range []int{0, 1, 5} {
			w := make([]float32, n*k)
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			for range specials {
				w[r.Intn(len(w))] = math.Float32frombits(special[r.Intn(len(special))])
			}
			k2 := (k + 1) / 2
			want := make([]uint32, (n+sbgemmNR-1)/sbgemmNR*k2*sbgemmNR)
			for i := 0; i < n; i++ {
				for c := 0; c < k; c++ {
					lane := (i/sbgemmNR*k2+c/2)*sbgemmNR + i%sbgemmNR
					want[lane] |= uint32(toBF16(w[i*k+c])) << (16 * uint(c%2))
				}
			}
			for _, level := range simdLevels() {
				simdLevel = level
				got := newBF16Weight(w, n, k, 1+r.Intn(3)).panels
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("level %d, %d×%d, %d specials: lane %d = %#08x, want %#08x", level, n, k, specials, i, got[i], want[i])
					}
				}
			}
		}
	}
}
