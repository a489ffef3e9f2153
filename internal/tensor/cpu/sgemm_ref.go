package cpu

import "math"

// fma32 is a·b + c rounded once to float32, as the processors' fused multiply-add
// instructions compute it. The product of two float32 is exact in float64; the sum
// is rounded to float64 and its rounding error kept (TwoSum), and the float64 sum is
// rounded to float32 with that error breaking a tie: rounding twice would otherwise
// be wrong when the float64 sum falls exactly halfway between two float32.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	q := float64(c)
	s := float64(p + q)
	bv := float64(s - p)
	e := float64(p-float64(s-bv)) + float64(q-bv)
	r := float32(s)
	if e == 0 || float64(r) == s || math.IsInf(s, 0) || math.IsNaN(s) {
		return r
	}
	// r is the nearest float32 to s; o the float32 on s's other side.
	o := math.Nextafter32(r, float32(math.Inf(1)))
	if float64(r) > s {
		o = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if float64(s-float64(r)) != float64(float64(o)-s) { // not a tie: s's rounding is the sum's
		return r
	}
	// A tie: the exact sum s+e lies on e's side of it.
	if (e > 0) == (float64(o) > s) {
		return o
	}
	return r
}

// sgemmKernelGo is the microkernel in Go (the reference the assembly kernels are
// tested against, and the kernel of the scalar level): an mr×nr tile from mr rows
// of A lda apart and a packed panel of B, each element one chain of fused multiply-adds in step order from zero (or
// from src with flags&gemmLoad), stored to dst (added to dst's old values with
// flags&gemmAdd).
func sgemmKernelGo(mr, nr, k int, a []float32, lda int, b, src []float32, lds int, dst []float32, ldd int, flags int) {
	var acc [gemmMaxTile]float32
	t := acc[:mr*nr]
	if flags&gemmLoad != 0 {
		for r := 0; r < mr; r++ {
			copy(t[r*nr:(r+1)*nr], src[r*lds:r*lds+nr])
		}
	}
	b = b[:k*nr]
	for p := 0; p < k; p++ {
		bp := b[p*nr : (p+1)*nr]
		for r := 0; r < mr; r++ {
			x := a[r*lda+p]
			row := t[r*nr : (r+1)*nr]
			for j, y := range bp {
				row[j] = fma32(x, y, row[j])
			}
		}
	}
	storeTile(dst, ldd, t, mr, nr, flags)
}
