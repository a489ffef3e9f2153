package cpu

import (
	"math"

	"golang.org/x/sys/cpu"
)

// useAVX2 selects the vectorised exp of expShifted.
var useAVX2 = cpu.X86.HasAVX2

// expConsts are the float32 bit patterns expShiftedAVX2 uses, each in eight lanes,
// taken from the same constants as expf so that both compute the same values bit
// for bit.
var expConsts = func() (c [14][8]uint32) {
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
func expShiftedAVX2(p *float32, n int, m float32, c *[14][8]uint32, lanes *[8]float32) int

// maxAVX2 sets lanes to the lane-wise maxima of p[0:8n], n >= 1.
//
//go:noescape
func maxAVX2(p *float32, n int, lanes *[8]float32)

// scaleAVX2 multiplies p[0:8n] by s.
//
//go:noescape
func scaleAVX2(p *float32, n int, s float32)

// expShiftedFast does what it can of expShiftedSum with AVX2 and returns the number
// of values done.
func expShiftedFast(row []float32, m float32, lanes *[8]float32) int {
	if !useAVX2 {
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

// maxFast returns the maximum of the first 8·⌊len/8⌋ values (-Inf for none) and how
// many it covered.
func maxFast(row []float32) (float32, int) {
	n := len(row) / 8
	if !useAVX2 || n == 0 {
		return float32(math.Inf(-1)), 0
	}
	var lanes [8]float32
	maxAVX2(&row[0], n, &lanes)
	m := lanes[0]
	for _, v := range lanes[1:] {
		m = max(m, v)
	}
	return m, 8 * n
}

// scaleFast multiplies the first 8·⌊len/8⌋ values by s and returns how many.
func scaleFast(row []float32, s float32) int {
	n := len(row) / 8
	if !useAVX2 || n == 0 {
		return 0
	}
	scaleAVX2(&row[0], n, s)
	return 8 * n
}

// erfCols is erfTab by columns for the gathers of geluAVX2: row 0 the pieces'
// centres, row 1+j their coefficients k[j].
var erfCols = func() (c [9][16]float32) {
	for i, p := range erfTab {
		c[0][i] = p.center
		for j, k := range p.k {
			c[1+j][i] = k
		}
	}
	return c
}()

// geluConsts are geluAVX2's constants, each in eight lanes.
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

// geluFast does what it can of geluSlice with AVX2 and returns the number of values
// done.
func geluFast(x []float32) int {
	if !useAVX2 {
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

// addAVX2 adds src[0:8n] into dst[0:8n].
//
//go:noescape
func addAVX2(dst, src *float32, n int)

// addFast adds the first 8·⌊len/8⌋ values of src into dst (same length) and returns
// how many.
func addFast(dst, src []float32) int {
	n := len(dst) / 8
	if !useAVX2 || n == 0 || len(src) < 8*n {
		return 0
	}
	addAVX2(&dst[0], &src[0], n)
	return 8 * n
}
