package cpu

import "golang.org/x/sys/cpu"

// sbgemmKernelAVX512 is the 12×32 AVX512_BF16 microkernel (see sbgemm_amd64.s).
//
//go:noescape
func sbgemmKernelAVX512(k2 int, a, b *uint32, src *float32, lds int, dst *float32, ldd int, flags int)

// bf16Supported reports whether this processor runs the bf16 kernel: AVX-512F and
// AVX512_BF16 (AMD Zen 4, Intel Cooper Lake, Sapphire Rapids and later), with the
// operating system saving the ZMM registers.
func bf16Supported() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512BF16 }

// sbgemmKernelAsm runs the assembly microkernel on a full 12×32 tile. src may be nil
// when flags has no gemmLoad.
func sbgemmKernelAsm(k2 int, a, b []uint32, src []float32, lds int, dst []float32, ldd int, flags int) {
	var s *float32
	if flags&gemmLoad != 0 {
		s = &src[0]
	}
	_, _, _ = a[12*k2-1], b[32*k2-1], dst[11*ldd+31]
	sbgemmKernelAVX512(k2, &a[0], &b[0], s, lds, &dst[0], ldd, flags)
}
