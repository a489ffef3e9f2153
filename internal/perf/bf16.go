package perf

import (
	"fmt"
	"io"
	"math/rand"
	"path/filepath"
	"time"

	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// ESM2Layer3BShape is one transformer layer of ESM-2 3B (width 2560, feed-forward
// 10240, 40 heads): the real model's products and attention without its 11 GB of
// weights; the large shape of both the OpenBLAS and the bf16 comparisons.
const ESM2Layer3BShape = "ESM-2 3B layer shape: 1 layer × 2560, 40 heads of 64, feed-forward 10240, random weights, 30–166 aa proteins"

// ESM2Layer3B writes (unless there) a one-layer random ESM-2 of the 3B model's
// width into dir, loads it onto b and returns a workload of seqs random proteins.
func ESM2Layer3B(b tensor.Backend, dir string, seqs int) (*Workload, error) {
	if fileSize(filepath.Join(dir, "model.safetensors")) == 0 {
		if err := randmodel.ESM2(dir, 1, 2560, 40); err != nil {
			return nil, err
		}
	}
	return esm2Workload(b, dir, seqs, ESM2Layer3BShape, 2560, 10240)
}

// CompareBF16 prints, in one process, the speed of --precision bf16 against fp32 on
// the native kernels: Linear GFLOP/s at the encoders' shapes (best of alternating
// rounds), then encoder tokens/s at the ESM-2 3B layer shape (seqs3B proteins), the
// ESM-2 35M shape and DNABERT-S (best of two alternating measurements). dir holds
// the random models; budget is per measurement.
func CompareBF16(out io.Writer, threads int, dir string, seqs3B, esmSeqs, dnaSeqs int, budget time.Duration) error {
	bf, err := cpu.NewBF16(threads)
	if err != nil {
		fmt.Fprintf(out, "bf16 not measured: %v\n", err)
		return nil
	}
	backends := []tensor.Backend{cpu.New(threads, cpu.NewNative(threads)), bf}
	names := []string{"fp32", "bf16"}
	fmt.Fprintf(out, "Linear at the encoders' shapes, native kernels, %d threads, best GFLOP/s of alternating rounds:\n", threads)
	for _, s := range EncoderGemmShapes {
		fp, b16 := compareLinear(backends, s, budget)
		fmt.Fprintf(out, "  %-27s %5d×%5d·%5dᵀ  fp32 %6.1f  bf16 %6.1f  GFLOP/s  bf16/fp32 %.2f\n", s.Name, s.M, s.K, s.N, fp, b16, b16/fp)
	}
	fmt.Fprintln(out, "Encoders, best tokens/s of two alternating measurements in each precision:")
	for _, mk := range []func(b tensor.Backend) (*Workload, error){
		func(b tensor.Backend) (*Workload, error) {
			return ESM2Layer3B(b, mkdirAll(dir, "esm2-3b-layer"), seqs3B)
		},
		func(b tensor.Backend) (*Workload, error) { return ESM2(b, mkdirAll(dir, "esm2"), esmSeqs) },
		func(b tensor.Backend) (*Workload, error) { return DNABERT(b, mkdirAll(dir, "dnabert"), dnaSeqs) },
	} {
		best := make([]float64, len(backends))
		shape := ""
		for round := 0; round < 2; round++ {
			for i, b := range backends {
				w, err := mk(b)
				if err != nil {
					return err
				}
				shape = w.Shape
				res, err := Measure(b, w, 1, budget)
				if err != nil {
					return err
				}
				best[i] = max(best[i], res.TokensPerSecond())
			}
		}
		fmt.Fprintf(out, "  %s\n    %s %8.0f tokens/s   %s %8.0f tokens/s   bf16/fp32 %.2f\n", shape, names[0], best[0], names[1], best[1], best[1]/best[0])
	}
	return nil
}

// compareLinear times Linear at shape s on each backend (fp32, bf16) in alternating
// rounds, for about budget (at least two rounds), and returns the best GFLOP/s of
// each.
func compareLinear(backends []tensor.Backend, s GemmShape, budget time.Duration) (fp32, bf16 float64) {
	r := rand.New(rand.NewSource(1))
	a, wv := randSlice(r, s.M*s.K), randSlice(r, s.N*s.K)
	type operands struct{ x, w, dst tensor.Tensor }
	ops := make([]operands, len(backends))
	for i, b := range backends {
		w, _ := tensor.FromHostWeight(b, wv, s.N, s.K)
		ops[i] = operands{b.FromHost(a, s.M, s.K), w, b.New(s.M, s.N)}
	}
	best := make([]time.Duration, len(backends))
	start := time.Now()
	for round := 0; round < 2 || time.Since(start) < budget; round++ {
		for i, b := range backends {
			t0 := time.Now()
			b.Linear(ops[i].dst, ops[i].x, ops[i].w, nil, false)
			if d := time.Since(t0); best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	flop := 2 * float64(s.M) * float64(s.N) * float64(s.K) / 1e9
	return flop / best[0].Seconds(), flop / best[1].Seconds()
}
