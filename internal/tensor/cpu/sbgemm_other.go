//go:build !amd64

package cpu

// bf16Supported: the bf16 kernel is assembly for amd64 only.
func bf16Supported() bool { return false }

// sbgemmKernelAsm is never called where bf16Supported is false.
func sbgemmKernelAsm(k2 int, a, b []uint32, src []float32, lds int, dst []float32, ldd int, flags int) {
	panic("cpu: no bf16 kernel on this architecture")
}
