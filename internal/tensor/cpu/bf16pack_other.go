//go:build !amd64

package cpu

// packRows16 packs nothing where there is no AVX-512 kernel: the Go reference packs
// every pair.
func packRows16(dst []uint32, w0 []float32, k int) int { return 0 }
