package cpu

import (
	"os"
	"strings"
	"testing"
)

func TestOpenBLASCoreFor(t *testing.T) {
	avx512 := x86Features{AVX2: true, FMA: true, AVX512F: true, AVX512BW: true, AVX512DQ: true, AVX512VL: true, AVX512CD: true}
	knl := avx512
	knl.AVX512BW, knl.AVX512DQ, knl.AVX512VL = false, false, false
	for _, c := range []struct {
		name string
		f    x86Features
		want string
	}{
		{"Skylake-SP to Emerald Rapids, Zen 4/5", avx512, "SkylakeX"},
		{"AVX-512 without BW/DQ/VL (Knights Landing)", knl, "Haswell"},
		{"Haswell to Alder Lake, Zen 1-3", x86Features{AVX2: true, FMA: true}, "Haswell"},
		{"AVX2 without FMA", x86Features{AVX2: true}, ""},
		{"SSE only", x86Features{}, ""},
	} {
		if got := openBLASCoreFor(c.f); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestOpenBLASRunsTheCPUsKernels checks on this machine that a run-time-dispatching
// OpenBLAS runs the kernels the CPU's features call for, not its generic fallback
// (Debian 12's OpenBLAS falls back to Prescott on CPUs newer than it).
func TestOpenBLASRunsTheCPUsKernels(t *testing.T) {
	lib, err := LoadOpenBLAS(1)
	if err != nil {
		t.Skip(err)
	}
	want := hostOpenBLASCore()
	t.Logf("OpenBLAS %s: core %q, from CPU features %v (features call for %q, %s=%q)", lib.Path(), lib.Core(),
		lib.CoreFromFeatures(), want, openBLASCoreEnv, os.Getenv(openBLASCoreEnv))
	if _, userSet := os.LookupEnv(openBLASCoreEnv); userSet || want == "" || lib.Core() == "" {
		return
	}
	if lib.GenericCore() {
		t.Errorf("OpenBLAS runs its generic %q kernels; the CPU can run %q", lib.Core(), want)
	}
	if !lib.CoreFromFeatures() && !strings.EqualFold(lib.Core(), want) {
		t.Logf("OpenBLAS kept its own choice %q (a library built for one CPU ignores %s)", lib.Core(), openBLASCoreEnv)
	}
	if _, still := os.LookupEnv(openBLASCoreEnv); still {
		t.Errorf("%s left set in the environment after loading", openBLASCoreEnv)
	}
}
