package weights

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func widenHalfAVX512(dst *float32, src *uint16, n int) int

//go:noescape
func widenBF16AVX512(dst *float32, src *uint16, n int) int

//go:noescape
func finiteAVX512(src *float32, n int) int

//go:noescape
func widenHalfAVX2(dst *float32, src *uint16, n int) int

//go:noescape
func widenBF16AVX2(dst *float32, src *uint16, n int) int

//go:noescape
func finiteAVX2(src *float32, n int) int

func cpuidF16C() bool

// widenLevels lists the kernel levels this processor runs, lowest (the Go
// reference) first: AVX2 with F16C, then AVX-512F (whose VCVTPH2PS needs nothing more).
func widenLevels() []widenLevel {
	levels := []widenLevel{widenGo}
	if cpu.X86.HasAVX2 && cpuidF16C() {
		levels = append(levels, widenAVX2)
	}
	if cpu.X86.HasAVX512F {
		levels = append(levels, widenAVX512)
	}
	return levels
}

// widenKernel runs the level's kernel over the leading whole vectors of dst, from
// the little-endian 16-bit values in src, and returns how many leading values it converted before a
// vector holding Inf or NaN; 0 for the Go level.
func widenKernel(level widenLevel, bf16 bool, dst []float32, src []byte) int {
	n := len(dst) &^ (level.width() - 1)
	if n == 0 || level == widenGo {
		return 0
	}
	s := (*uint16)(unsafe.Pointer(&src[0])) // any alignment: the loads are unaligned ones
	switch {
	case level == widenAVX512 && bf16:
		return widenBF16AVX512(&dst[0], s, n)
	case level == widenAVX512:
		return widenHalfAVX512(&dst[0], s, n)
	case bf16:
		return widenBF16AVX2(&dst[0], s, n)
	}
	return widenHalfAVX2(&dst[0], s, n)
}

// finiteKernel returns how many leading values of src (in whole vectors) are finite.
func finiteKernel(level widenLevel, src []float32) int {
	n := len(src) &^ (level.width() - 1)
	if n == 0 || level == widenGo {
		return 0
	}
	if level == widenAVX512 {
		return finiteAVX512(&src[0], n)
	}
	return finiteAVX2(&src[0], n)
}
