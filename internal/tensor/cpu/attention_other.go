//go:build !amd64

package cpu

// scaleRow writes src·s into dst (same length).
func scaleRow(dst, src []float32, s float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v * s
	}
}

// rotateHeads applies rotate to each hd-wide head of x with the same cosines and
// sines.
func rotateHeads(x []float32, hd int, cos, sin []float32) {
	for h := 0; h+hd <= len(x); h += hd {
		rotate(x[h:h+hd], cos, sin)
	}
}
