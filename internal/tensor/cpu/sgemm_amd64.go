package cpu

import "golang.org/x/sys/cpu"

// sgemmKernelAVX512 is the 12×32 AVX-512F microkernel (see sgemm_amd64.s).
//
//go:noescape
func sgemmKernelAVX512(k int, a, b, src *float32, lds int, dst *float32, ldd int, flags int)

// sgemmKernelAVX2 is the 6×16 AVX2+FMA microkernel (see sgemm_amd64.s).
//
//go:noescape
func sgemmKernelAVX2(k int, a, b, src *float32, lds int, dst *float32, ldd int, flags int)

// nativeGemmSupported reports whether this processor runs the assembly SGEMM
// kernels (AVX2 with FMA at least).
func nativeGemmSupported() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// sgemmKernelAsm runs the assembly microkernel of level (the tile of sgemmTile); it
// reports false for the scalar level. src may be nil when flags has no gemmLoad.
func sgemmKernelAsm(level, k int, a, b, src []float32, lds int, dst []float32, ldd int, flags int) bool {
	var s *float32
	if flags&gemmLoad != 0 {
		s = &src[0]
	}
	switch level {
	case simdAVX512:
		_, _, _ = a[12*k-1], b[32*k-1], dst[11*ldd+31]
		sgemmKernelAVX512(k, &a[0], &b[0], s, lds, &dst[0], ldd, flags)
	case simdAVX2:
		_, _, _ = a[6*k-1], b[16*k-1], dst[5*ldd+15]
		sgemmKernelAVX2(k, &a[0], &b[0], s, lds, &dst[0], ldd, flags)
	default:
		return false
	}
	return true
}
