package cpu

// scaleRowAVX2 writes src[0:8n]·s into dst.
//
//go:noescape
func scaleRowAVX2(dst, src *float32, n int, s float32)

// rotateHeadsAVX2 applies rotate to each of heads consecutive hd-wide heads of x
// with the same cosines and sines, with exactly rotate's operations; hd/2 must be a
// multiple of 4.
//
//go:noescape
func rotateHeadsAVX2(x *float32, heads, hd int, cos, sin *float32)

// scaleRow writes src·s into dst (same length).
func scaleRow(dst, src []float32, s float32) {
	dst = dst[:len(src)]
	i := 0
	if n := len(src) / 8; simdLevel >= simdAVX2 && n > 0 {
		scaleRowAVX2(&dst[0], &src[0], n, s)
		i = 8 * n
	}
	for ; i < len(src); i++ {
		dst[i] = src[i] * s
	}
}

// rotateHeads applies rotate to each hd-wide head of x with the same cosines and
// sines.
func rotateHeads(x []float32, hd int, cos, sin []float32) {
	heads := len(x) / hd
	if half := hd / 2; simdLevel >= simdAVX2 && heads > 0 && half%4 == 0 && half > 0 {
		_, _ = cos[half-1], sin[half-1]
		rotateHeadsAVX2(&x[0], heads, hd, &cos[0], &sin[0])
		return
	}
	for h := 0; h < heads; h++ {
		rotate(x[h*hd:(h+1)*hd], cos, sin)
	}
}
