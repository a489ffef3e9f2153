package cuda

import (
	"math"
	"testing"
)

func TestHalfConversions(t *testing.T) {
	cases := []struct {
		in   float32
		half uint16
		bf16 uint16
	}{
		{0, 0x0000, 0x0000},
		{1, 0x3c00, 0x3f80},
		{-2, 0xc000, 0xc000},
		{65504, 0x7bff, 0x4780},
		{1e6, 0x7c00, 0x4974},
		{float32(math.Inf(-1)), 0xfc00, 0xff80},
		{5.960464477539063e-08, 0x0001, 0x3380}, // smallest half subnormal
		{1.0009765625, 0x3c01, 0x3f80},          // 1 + 2^-10
		{1.00048828125, 0x3c00, 0x3f80},         // halfway, ties to even
	}
	for _, c := range cases {
		if got := float32ToHalf(c.in); got != c.half {
			t.Errorf("float32ToHalf(%g) = %#04x, want %#04x", c.in, got, c.half)
		}
		if got := float32ToBF16(c.in); got != c.bf16 {
			t.Errorf("float32ToBF16(%g) = %#04x, want %#04x", c.in, got, c.bf16)
		}
	}
	// Every finite half round-trips exactly.
	for h := 0; h < 1<<16; h++ {
		f := halfToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := float32ToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x -> %g -> %#04x", h, f, back)
		}
	}
	if !math.IsNaN(float64(halfToFloat32(float32ToHalf(float32(math.NaN()))))) {
		t.Error("NaN does not survive half conversion")
	}
	if !math.IsNaN(float64(bf16ToFloat32(float32ToBF16(float32(math.NaN()))))) {
		t.Error("NaN does not survive bf16 conversion")
	}
}
