//go:build !amd64

package cpu

// nativeGemmSupported: the SGEMM kernels are assembly for amd64 only.
func nativeGemmSupported() bool { return false }

// sgemmKernelAsm has no assembly kernels on this architecture.
func sgemmKernelAsm(level, k int, a []float32, lda int, b, src []float32, lds int, dst []float32, ldd int, flags int) bool {
	return false
}

// prefetchL2 is a hint that this architecture's build does not give.
func prefetchL2(p *float32, ld, rows, lines int) {}
