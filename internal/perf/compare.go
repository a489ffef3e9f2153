package perf

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// CompareCPU prints, in one process, the native kernels' SGEMM GFLOP/s against
// OpenBLAS's at the encoders' shapes, then both encoders' tokens/s on each (dir holds
// the random models; budget is per measurement).
func CompareCPU(out io.Writer, threads int, dir string, esmSeqs, dnaSeqs int, budget time.Duration) error {
	type named struct {
		name string
		b    tensor.Backend
	}
	var gemms []cpu.Gemm
	var backends []named
	if cpu.NativeSupported() {
		g := cpu.NewNative(threads)
		gemms = append(gemms, g)
		backends = append(backends, named{"native " + g.Level(), cpu.New(threads, g)})
	} else {
		fmt.Fprintln(out, "native kernels: not on this processor (needs amd64 with AVX2 and FMA)")
	}
	if lib, err := cpu.LoadOpenBLAS(threads); err != nil {
		fmt.Fprintf(out, "OpenBLAS not measured: %v\n", err)
	} else {
		gemms = append(gemms, lib, lib.Unblocked())
		name := "openblas " + lib.Core()
		if err := cpu.CheckRowInvariance(lib); err != nil {
			name += " (fails the row-invariance canary: no run would use it)"
		}
		backends = append(backends, named{name, cpu.New(threads, lib)})
	}
	if len(gemms) == 0 {
		return nil
	}
	fmt.Fprintf(out, "SGEMM at the encoders' shapes, %d threads, best GFLOP/s of alternating rounds (openblas: on 256-row blocks, as its backend calls it; openblas-unblocked: one call per thread, its fastest; ratio: the first / the best other):\n", threads)
	CompareGemms(out, gemms, EncoderGemmShapes, 2, budget)
	fmt.Fprintln(out, "Encoders, best tokens/s of two alternating measurements on each backend:")
	for _, mk := range []func(b tensor.Backend) (*Workload, error){
		func(b tensor.Backend) (*Workload, error) { return ESM2(b, mkdirAll(dir, "esm2"), esmSeqs) },
		func(b tensor.Backend) (*Workload, error) { return DNABERT(b, mkdirAll(dir, "dnabert"), dnaSeqs) },
	} {
		best := make([]float64, len(backends))
		shape := ""
		for round := 0; round < 2; round++ {
			for i, nb := range backends {
				w, err := mk(nb.b)
				if err != nil {
					return err
				}
				shape = w.Shape
				res, err := Measure(nb.b, w, 1, budget)
				if err != nil {
					return err
				}
				best[i] = max(best[i], res.TokensPerSecond())
			}
		}
		fmt.Fprintf(out, "  %s\n", shape)
		for i, nb := range backends {
			fmt.Fprintf(out, "    %-40s %8.0f tokens/s  (%.2f× the first)\n", nb.name, best[i], best[i]/best[0])
		}
	}
	return nil
}

// mkdirAll returns parent/name, created if missing.
func mkdirAll(parent, name string) string {
	d := filepath.Join(parent, name)
	os.MkdirAll(d, 0o755)
	return d
}
