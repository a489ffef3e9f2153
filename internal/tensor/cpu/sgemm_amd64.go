package cpu

import "golang.org/x/sys/cpu"

// sgemmKernelAVX512 is the 12×32 AVX-512F microkernel (see sgemm_amd64.s).
//
//go:noescape
func sgemmKernelAVX512(k int, a *float32, lda int, b, src *float32, lds int, dst *float32, ldd int, flags int)

// sgemmKernelAVX2 is the 6×16 AVX2+FMA microkernel (see sgemm_amd64.s).
//
//go:noescape
func sgemmKernelAVX2(k int, a *float32, lda int, b, src *float32, lds int, dst *float32, ldd int, flags int)

// nativeGemmSupported reports whether this processor runs the assembly SGEMM
// kernels (AVX2 with FMA at least).
func nativeGemmSupported() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// sgemmKernelAsm runs the assembly microkernel of level (the tile of sgemmTile); it
// reports false for the scalar level. src may be nil when flags has no gemmLoad.
func sgemmKernelAsm(level, k int, a []float32, lda int, b, src []float32, lds int, dst []float32, ldd int, flags int) bool {
	mr, nr := sgemmTile(level)
	if level != simdAVX512 && level != simdAVX2 {
		return false
	}
	_, _, _ = a[(mr-1)*lda+k-1], b[nr*k-1], dst[(mr-1)*ldd+nr-1]
	var s *float32
	if flags&gemmLoad != 0 {
		_ = src[(mr-1)*lds+nr-1]
		s = &src[0]
	}
	if level == simdAVX512 {
		sgemmKernelAVX512(k, &a[0], lda, &b[0], s, lds, &dst[0], ldd, flags)
	} else {
		sgemmKernelAVX2(k, &a[0], lda, &b[0], s, lds, &dst[0], ldd, flags)
	}
	return true
}

// prefetchL2 asks for rows rows of lines 64-byte lines, ld floats apart from p on,
// into the second-level cache (see sgemm_amd64.s).
//
//go:noescape
func prefetchL2(p *float32, ld, rows, lines int)
