package cpu

import (
	"math"

	"golang.org/x/sys/cpu"
)

// bestSIMDLevel picks AVX-512 when the processor has its foundation (the kernels
// use nothing from the other AVX-512 subsets: bitwise operations are the D forms,
// masked operations are on ZMM only) and the operating system saves the ZMM and mask
// registers (x/sys/cpu checks that), else AVX2.
func bestSIMDLevel() int {
	switch {
	case cpu.X86.HasAVX512F:
		return simdAVX512
	case cpu.X86.HasAVX2:
		return simdAVX2
	}
	return simdScalar
}

// simdLevels lists the levels this processor can run, lowest first (for tests).
func simdLevels() []int {
	levels := []int{simdScalar}
	for l := simdAVX2; l <= bestSIMDLevel(); l++ {
		levels = append(levels, l)
	}
	return levels
}

// expConsts are the float32 bit patterns the vectorised exps use, each in eight
// lanes (the AVX-512 code broadcasts lane 0), taken from the same constants as expf
// so that all compute the same values bit for bit. Rows 14 on are the AVX-512
// kernel's special cases.
var expConsts = func() (c [22][8]uint32) {
	for i, v := range []uint32{
		math.Float32bits(log2e),
		math.Float32bits(0.5),
		math.Float32bits(ln2Hi),
		math.Float32bits(ln2Lo),
		math.Float32bits(1.0 / 5040),
		math.Float32bits(1.0 / 720),
		math.Float32bits(1.0 / 120),
		math.Float32bits(1.0 / 24),
		math.Float32bits(1.0 / 6),
		math.Float32bits(1.0 / 2),
		math.Float32bits(1),
		math.Float32bits(expFastMax),
		math.Float32bits(expFastMin),
		1 << 31, // sign bit
		// AVX-512 only:
		uint32(0xffffff82),                // int32 -126: below, a subnormal result
		127 + 64,                          // exponent bias + 64 (subnormal scaling)
		128,                               // k = 128: 2·2^127
		math.Float32bits(1.0 / (1 << 64)), // 2^-64
		254 << 23,                         // 2^127
		math.Float32bits(expOverflow),     // above: +Inf
		math.Float32bits(expUnderflow),    // below: 0
		math.Float32bits(float32(math.Inf(1))),
	} {
		for l := range c[i] {
			c[i][l] = v
		}
	}
	return c
}()

// expShiftedAVX2 replaces p[0:8n] by expf(p[i]-m), eight at a time, with exactly
// expf's operations (no fused multiply-adds), adding each result into lanes[i%8];
// it returns how many groups of eight it did: it stops before the first group with
// a value outside [expFastMin, expFastMax] (or NaN), which expf's special cases
// then handle.
//
//go:noescape
func expShiftedAVX2(p *float32, n int, m float32, c *[22][8]uint32, lanes *[8]float32) int

// expShiftedAVX512 replaces p[0:n] by expf(p[i]-m), sixteen at a time (the last
// group masked), with exactly expf's operations including its special cases,
// adding each result into lanes[i%8] in order of i (each group's low half, then
// its high half).
//
//go:noescape
func expShiftedAVX512(p *float32, n int, m float32, c *[22][8]uint32, lanes *[8]float32)

// maxAVX2 returns the maximum of p[0:8n], n >= 1 (NaN as with maxAVX512).
//
//go:noescape
func maxAVX2(p *float32, n int) float32

// alibiMaxAVX512 adds softmaxRow's ALiBi bias negSlope·|fi-j| into p[j] for j < n
// with exactly its float32 operations (|fi-j| is exact, one rounded product, one
// rounded sum) and returns the maximum of the results, n >= 1; iota holds 0..15.
//
//go:noescape
func alibiMaxAVX512(p *float32, n int, fi, negSlope float32, iota *[16]float32) float32

// alibiMaxAVX2 does what alibiMaxAVX512 does for p[0:8n], n >= 1.
//
//go:noescape
func alibiMaxAVX2(p *float32, n int, fi, negSlope float32, iota *[16]float32) float32

// iota16 is the column offsets of one vector, for the ALiBi kernels.
var iota16 = [16]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// maxAVX512 returns the maximum of p[0:n], n >= 1 (a NaN may or may not carry
// through, as with the AVX2 kernel: softmax's result is all NaN either way).
//
//go:noescape
func maxAVX512(p *float32, n int) float32

// scaleAVX2 multiplies p[0:8n] by s.
//
//go:noescape
func scaleAVX2(p *float32, n int, s float32)

// scaleAVX512 multiplies p[0:n] by s.
//
//go:noescape
func scaleAVX512(p *float32, n int, s float32)

// expShiftedFast does what it can of expShiftedSum with SIMD and returns the number
// of values done.
func expShiftedFast(row []float32, m float32, lanes *[8]float32) int {
	switch {
	case len(row) == 0:
		return 0
	case simdLevel >= simdAVX512:
		expShiftedAVX512(&row[0], len(row), m, &expConsts, lanes)
		return len(row)
	case simdLevel < simdAVX2:
		return 0
	}
	i := 0
	for len(row)-i >= 8 {
		i += 8 * expShiftedAVX2(&row[i], (len(row)-i)/8, m, &expConsts, lanes)
		if len(row)-i < 8 {
			break
		}
		for j := i; j < i+8; j++ { // a group with a special case
			row[j] = expf(row[j] - m)
			lanes[j%8] += row[j]
		}
		i += 8
	}
	return i
}

// maxFast returns the maximum of the values the SIMD kernel covers (-Inf for none)
// and how many that is (a prefix of row).
func maxFast(row []float32) (float32, int) {
	m := float32(math.Inf(-1))
	switch {
	case simdLevel >= simdAVX512 && len(row) > 0:
		return maxAVX512(&row[0], len(row)), len(row)
	case simdLevel >= simdAVX2 && len(row) >= 8:
		return maxAVX2(&row[0], len(row)/8), len(row) &^ 7
	}
	return m, 0
}

// alibiMaxFast adds the ALiBi bias negSlope·|i-j| into a prefix of row with SIMD
// and returns the maximum of the new values (-Inf for none) and the prefix's length.
// i must be below 2^24 and row shorter, so that float32(i)-float32(j) is exact.
func alibiMaxFast(row []float32, i int, negSlope float32) (float32, int) {
	switch {
	case simdLevel >= simdAVX512 && len(row) > 0:
		return alibiMaxAVX512(&row[0], len(row), float32(i), negSlope, &iota16), len(row)
	case simdLevel >= simdAVX2 && len(row) >= 8:
		return alibiMaxAVX2(&row[0], len(row)/8, float32(i), negSlope, &iota16), len(row) &^ 7
	}
	return float32(math.Inf(-1)), 0
}

// scaleFast multiplies a prefix of row by s with SIMD and returns its length.
func scaleFast(row []float32, s float32) int {
	switch {
	case len(row) == 0:
		return 0
	case simdLevel >= simdAVX512:
		scaleAVX512(&row[0], len(row), s)
		return len(row)
	case simdLevel >= simdAVX2 && len(row) >= 8:
		scaleAVX2(&row[0], len(row)/8, s)
		return len(row) &^ 7
	}
	return 0
}

// erfCols is erfTab by columns for the table look-ups of the vectorised GELUs: row
// 0 the pieces' centres, row 1+j their coefficients k[j]. A row is sixteen floats,
// one ZMM register, so the AVX-512 kernel looks pieces up with a permute instead of
// a gather.
var erfCols = func() (c [9][16]float32) {
	for i, p := range erfTab {
		c[0][i] = p.center
		for j, k := range p.k {
			c[1+j][i] = k
		}
	}
	return c
}()

// geluConsts are the vectorised GELUs' constants, each in eight lanes (the AVX-512
// code broadcasts lane 0).
var geluConsts = func() (c [7][8]uint32) {
	for i, v := range []uint32{
		1<<31 - 1, // |x| mask
		math.Float32bits(4),
		math.Float32bits(math.Sqrt2),
		math.Float32bits(0.5),
		math.Float32bits(1),
		15,      // last piece
		1 << 31, // sign bit
	} {
		for l := range c[i] {
			c[i][l] = v
		}
	}
	return c
}()

// geluAVX2 replaces p[0:8n] by geluf(p[i]), eight at a time, with exactly geluf's
// operations, and returns how many groups of eight it did: it stops before the first
// group holding a NaN.
//
//go:noescape
func geluAVX2(p *float32, n int, tab *[9][16]float32, c *[7][8]uint32) int

// gatedGELUAVX2 sets out[i] = geluf(gate[i])*lin[i] for i < 8n, eight at a time,
// and returns how many groups of eight it did: it stops before the first group
// whose gate holds a NaN.
//
//go:noescape
func gatedGELUAVX2(out, gate, lin *float32, n int, tab *[9][16]float32, c *[7][8]uint32) int

// geluAVX512 replaces p[0:n] by geluf(p[i]), sixteen at a time (the last group
// masked), with exactly geluf's operations; NaNs stay NaN as in geluf.
//
//go:noescape
func geluAVX512(p *float32, n int, tab *[9][16]float32, c *[7][8]uint32)

// gatedGELUAVX512 sets out[i] = geluf(gate[i])*lin[i] for i < n, sixteen at a time
// (the last group masked).
//
//go:noescape
func gatedGELUAVX512(out, gate, lin *float32, n int, tab *[9][16]float32, c *[7][8]uint32)

// geluFast does what it can of geluSlice with SIMD and returns the number of values
// done.
func geluFast(x []float32) int {
	switch {
	case len(x) == 0:
		return 0
	case simdLevel >= simdAVX512:
		geluAVX512(&x[0], len(x), &erfCols, &geluConsts)
		return len(x)
	case simdLevel < simdAVX2:
		return 0
	}
	i := 0
	for len(x)-i >= 8 {
		i += 8 * geluAVX2(&x[i], (len(x)-i)/8, &erfCols, &geluConsts)
		if len(x)-i < 8 {
			break
		}
		for j := i; j < i+8; j++ { // a group with a NaN
			x[j] = geluf(x[j])
		}
		i += 8
	}
	return i
}

// gatedGELUFast does what it can of out[i] = geluf(gate[i])*lin[i] (all three the
// same length) with SIMD and returns the number of values done.
func gatedGELUFast(out, gate, lin []float32) int {
	n := len(out)
	switch {
	case n == 0 || len(gate) < n || len(lin) < n:
		return 0
	case simdLevel >= simdAVX512:
		gatedGELUAVX512(&out[0], &gate[0], &lin[0], n, &erfCols, &geluConsts)
		return n
	case simdLevel < simdAVX2:
		return 0
	}
	i := 0
	for n-i >= 8 {
		i += 8 * gatedGELUAVX2(&out[i], &gate[i], &lin[i], (n-i)/8, &erfCols, &geluConsts)
		if n-i < 8 {
			break
		}
		for j := i; j < i+8; j++ { // a group with a NaN
			out[j] = geluf(gate[j]) * lin[j]
		}
		i += 8
	}
	return i
}

// addAVX2 adds src[0:8n] into dst[0:8n].
//
//go:noescape
func addAVX2(dst, src *float32, n int)

// addAVX512 adds src[0:n] into dst[0:n].
//
//go:noescape
func addAVX512(dst, src *float32, n int)

// addFast adds a prefix of src into dst (same length) with SIMD and returns its
// length.
func addFast(dst, src []float32) int {
	n := len(dst)
	switch {
	case n == 0 || len(src) < n:
		return 0
	case simdLevel >= simdAVX512:
		addAVX512(&dst[0], &src[0], n)
		return n
	case simdLevel >= simdAVX2 && n >= 8:
		addAVX2(&dst[0], &src[0], n/8)
		return n &^ 7
	}
	return 0
}
