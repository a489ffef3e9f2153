package cpu

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

// openBLASCoreEnv is the variable through which a DYNAMIC_ARCH OpenBLAS (Debian's,
// Ubuntu's, conda's) can be told which kernels to use instead of detecting the CPU.
const openBLASCoreEnv = "OPENBLAS_CORETYPE"

// x86Features are the CPUID features that decide which OpenBLAS kernels a CPU can run.
type x86Features struct {
	AVX2, FMA                      bool
	AVX512F, AVX512BW, AVX512DQ    bool
	AVX512VL, AVX512CD, AVX512BF16 bool
}

// hostX86Features reads the features of the CPU this process runs on.
func hostX86Features() x86Features {
	return x86Features{
		AVX2: cpu.X86.HasAVX2, FMA: cpu.X86.HasFMA,
		AVX512F: cpu.X86.HasAVX512F, AVX512BW: cpu.X86.HasAVX512BW, AVX512DQ: cpu.X86.HasAVX512DQ,
		AVX512VL: cpu.X86.HasAVX512VL, AVX512CD: cpu.X86.HasAVX512CD,
	}
}

// openBLASCoreFor names the OpenBLAS kernel family that a CPU with these features runs
// best, or "" to leave OpenBLAS's own detection alone.
//
// OpenBLAS's run-time detection goes by CPU family and model numbers, so a library
// older than the CPU does not know it and falls back to its most generic kernels:
// Debian 12's OpenBLAS 0.3.21 runs Emerald Rapids Xeons with the SSE3 "Prescott"
// kernels, a third of what the CPU can do. The features tell what it can run whatever
// its model number: AVX-512 (F, BW, DQ, VL, CD) the SkylakeX kernels (Cooperlake's and
// Sapphire Rapids' single-precision kernels are these same ones), AVX2 with FMA the Haswell ones (AMD Zen's "Zen" target
// runs these same single-precision kernels).
func openBLASCoreFor(f x86Features) string {
	switch {
	case f.AVX512F && f.AVX512BW && f.AVX512DQ && f.AVX512VL && f.AVX512CD:
		return "SkylakeX"
	case f.AVX2 && f.FMA:
		return "Haswell"
	}
	return ""
}

// hostOpenBLASCore is openBLASCoreFor the host CPU on amd64, "" elsewhere (arm64
// OpenBLAS detects its cores from /proc/cpuinfo's part numbers, and we have no
// evidence of it falling back there).
func hostOpenBLASCore() string {
	if runtime.GOARCH != "amd64" {
		return ""
	}
	return openBLASCoreFor(hostX86Features())
}

// genericOpenBLASCores are the kernels OpenBLAS falls back to on an x86 CPU it does
// not recognise.
var genericOpenBLASCores = map[string]bool{"prescott": true, "core2": true, "penryn": true, "katmai": true,
	"coppermine": true, "northwood": true, "banias": true, "atom": true, "athlon": true, "opteron": true,
	"barcelona": true, "nehalem": true, "unknown": true}
