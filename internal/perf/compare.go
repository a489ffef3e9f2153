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
// OpenBLAS's at the encoders' shapes, then tokens/s on each backend at the ESM-2 3B
// layer shape (one random layer of width 2560, esmSeqs/4 proteins), ESM-2 35M and
// DNABERT-S (dir holds the random models; budget is per measurement).
func CompareCPU(out io.Writer, threads int, dir string, esmSeqs, dnaSeqs int, budget time.Duration) error {
	type named struct {
		name string
		b    tensor.Backend
	}
	var gemms []cpu.Gemm
	var backends []named
	ours := 0
	if cpu.NativeSupported() {
		g := cpu.NewNative(threads)
		gemms, ours = append(gemms, g, g.HeldPacked()), 2
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
	fmt.Fprintf(out, "SGEMM at the encoders' shapes, %d threads, best GFLOP/s of alternating rounds (native: B packed in every call, as for any product; native-held: B packed once before, as the encoders hold their Linear weights; openblas: on 256-row blocks, as its backend calls it; openblas-unblocked: one call per thread, its fastest; ratio: native / the best OpenBLAS, native-held / the best OpenBLAS; per CPU-second: the same per second of the process's CPU time, which waiting for a core on a busy machine does not distort):\n", threads)
	CompareGemms(out, gemms, ours, EncoderGemmShapes, 2, budget)
	fmt.Fprintln(out, "Encoders, best tokens/s of two alternating measurements on each backend (and per second of the process's CPU time over one more pass):")
	for _, mk := range []func(b tensor.Backend) (*Workload, error){
		func(b tensor.Backend) (*Workload, error) {
			return ESM2Layer3B(b, mkdirAll(dir, "esm2-3b-layer"), max(esmSeqs/4, 1))
		},
		func(b tensor.Backend) (*Workload, error) { return ESM2(b, mkdirAll(dir, "esm2"), esmSeqs) },
		func(b tensor.Backend) (*Workload, error) { return DNABERT(b, mkdirAll(dir, "dnabert"), dnaSeqs) },
	} {
		best := make([]float64, len(backends))
		bestCPU := make([]float64, len(backends))
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
				perCPU, err := tokensPerCPUSecond(w)
				if err != nil {
					return err
				}
				bestCPU[i] = max(bestCPU[i], perCPU)
			}
		}
		fmt.Fprintf(out, "  %s\n", shape)
		for i, nb := range backends {
			fmt.Fprintf(out, "    %-40s %8.0f tokens/s  (%.2f× the first)", nb.name, best[i], best[i]/best[0])
			if bestCPU[0] > 0 {
				fmt.Fprintf(out, "  %8.0f per CPU-second  (%.2f× the first)", bestCPU[i], bestCPU[i]/bestCPU[0])
			}
			fmt.Fprintln(out)
		}
	}
	return nil
}

// tokensPerCPUSecond runs one pass over w's batches and returns its tokens per
// second of the process's CPU time (0 where the platform does not report it).
func tokensPerCPUSecond(w *Workload) (float64, error) {
	c0, ok := processCPU()
	if !ok {
		return 0, nil
	}
	for _, bt := range w.Batches {
		outs := make([][]float32, len(bt))
		for j := range outs {
			outs[j] = make([]float32, w.Encoder.Dim())
		}
		if err := w.Encoder.EmbedBatch(bt, outs); err != nil {
			return 0, fmt.Errorf("%s: %w", w.Name, err)
		}
	}
	c1, _ := processCPU()
	if c1 <= c0 {
		return 0, nil
	}
	return float64(w.Tokens()) / (c1 - c0).Seconds(), nil
}

// mkdirAll returns parent/name, created if missing.
func mkdirAll(parent, name string) string {
	d := filepath.Join(parent, name)
	os.MkdirAll(d, 0o755)
	return d
}
