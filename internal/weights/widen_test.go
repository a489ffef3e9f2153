package weights

import (
	"encoding/binary"
	"math"
	"math/rand"
	"testing"
)

// allHalves is every 16-bit pattern once, little-endian, repeated so that each
// pattern also lands in the middle of a vector and in the tails.
func allHalves(repeat int) []byte {
	b := make([]byte, 0, repeat*2<<16)
	for r := 0; r < repeat; r++ {
		for h := 0; h < 1<<16; h++ {
			b = binary.LittleEndian.AppendUint16(b, uint16(h+r*7))
		}
	}
	return b
}

// TestWidenExhaustive: on every kernel level this processor has, widening every
// float16 and bfloat16 bit pattern (NaN payloads, signalling NaNs, subnormals,
// ±0, ±Inf) gives exactly the bits of the Go reference (halfToFloat, bf16ToFloat),
// at every start offset and length modulo the vector width, and reports the first
// non-finite value.
func TestWidenExhaustive(t *testing.T) {
	src := allHalves(1)
	for _, level := range widenLevels() {
		for _, bf16 := range []bool{false, true} {
			ref := func(h uint16) float32 {
				if bf16 {
					return bf16ToFloat(h)
				}
				return halfToFloat(h)
			}
			for off := 0; off < 17; off++ {
				s := src[2*off : len(src)-2*(off%5)]
				dst := make([]float32, len(s)/2)
				bad := widen(level, bf16, dst, s)
				wantBad := -1
				for i := range dst {
					h := binary.LittleEndian.Uint16(s[2*i:])
					if math.Float32bits(dst[i]) != math.Float32bits(ref(h)) {
						t.Fatalf("level %d bf16 %v offset %d: %#04x widened to %#08x, want %#08x", level, bf16, off, h, math.Float32bits(dst[i]), math.Float32bits(ref(h)))
					}
					if f := ref(h); wantBad < 0 && (math.IsInf(float64(f), 0) || f != f) {
						wantBad = i
					}
				}
				if bad != wantBad {
					t.Fatalf("level %d bf16 %v offset %d: first non-finite at %d, want %d", level, bf16, off, bad, wantBad)
				}
			}
		}
	}
}

// TestWidenFinite: finite data converts through the vector kernels in parallel
// ranges (lengths around the split points), reporting -1, and a single Inf or NaN
// placed anywhere (first, last, a range boundary, a tail) is the index reported,
// by the widening and by FirstNonFinite, on every level.
func TestWidenFinite(t *testing.T) {
	seed := rand.Int63()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	for _, n := range []int{0, 1, 15, 17, 2*parallelMin - 1, 2*parallelMin + 37, 3 * parallelMin} {
		vals := make([]float32, n)
		src := make([]byte, 2*n)
		for i := range vals {
			vals[i] = float32(r.NormFloat64())
			binary.LittleEndian.PutUint16(src[2*i:], Float32ToHalf(vals[i]))
		}
		for _, level := range widenLevels() {
			dst := make([]float32, n)
			if bad := widen(level, false, dst, src); bad != -1 {
				t.Fatalf("n %d level %d: finite data reported non-finite at %d", n, level, bad)
			}
			for _, at := range []int{0, n - 1, n / 2, n/2 - 1, n &^ 15, r.Intn(max(n, 1))} {
				if at < 0 || at >= n {
					continue
				}
				for _, h := range []uint16{0x7c00, 0xfc00, 0x7c01, 0x7e00} {
					s := append([]byte(nil), src...)
					binary.LittleEndian.PutUint16(s[2*at:], h)
					if bad := widen(level, false, dst, s); bad != at {
						t.Fatalf("n %d level %d: %#04x at %d reported at %d", n, level, h, at, bad)
					}
					v := append([]float32(nil), vals...)
					v[at] = halfToFloat(h)
					if bad := firstNonFiniteAt(level, v); bad != at {
						t.Fatalf("n %d level %d: FirstNonFinite found %#04x at %d at %d", n, level, h, at, bad)
					}
				}
			}
		}
	}
}

// firstNonFiniteAt is FirstNonFinite on a given level.
func firstNonFiniteAt(level widenLevel, v []float32) int {
	saved := bestWiden
	defer func() { bestWiden = saved }()
	bestWiden = level
	return FirstNonFinite(v)
}

// BenchmarkWidenHalf measures float16 → float32 at each level, one goroutine and
// all, on 64 MB of output (beyond the caches, as loading a model is).
func BenchmarkWidenHalf(b *testing.B) {
	const n = 16 << 20
	src := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint16(src[2*i:], Float32ToHalf(float32(i%1000)*1e-3))
	}
	dst := make([]float32, n)
	for _, level := range widenLevels() {
		b.Run(map[widenLevel]string{widenGo: "go", widenAVX2: "avx2", widenAVX512: "avx512"}[level], func(b *testing.B) {
			b.SetBytes(6 * n)
			for i := 0; i < b.N; i++ {
				widen(level, false, dst, src)
			}
		})
	}
}
