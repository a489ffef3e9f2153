package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/perf"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// benchFlags are bench's options.
type benchFlags struct {
	blas      string
	precision string
	seconds   float64
	sequences int
	rss       bool
	compare   bool
}

// newBenchCmd builds `bench`: this machine's encoder throughput as a ratio to its raw
// SGEMM speed, measured in the same process, and the process's peak memory.
func newBenchCmd(g *globalOptions) *cobra.Command {
	bf := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure encoder throughput (tokens/s, GFLOP/s, ratio to raw SGEMM) and peak memory on this machine's CPU",
		Long: `Runs each encoder at its realistic shape with random weights (ESM-2 12×480 on
30–166 aa proteins; DNABERT-S 12×768 on 500 bp inputs), alternating with plain
matrix products on the same backend, and prints tokens/s, achieved GFLOP/s, the raw
SGEMM GFLOP/s measured in the same rounds and their ratio; then the peak resident
memory against the models' float32 weight size. --rss also loads a 393 MB ESM-2
from safetensors, .pt and float16 .pt, each in a fresh process, and prints its peak
memory against the float32 weight size. --compare compares the native kernels
(B packed in every call, and held packed as the encoders hold their weights) with
OpenBLAS, then bf16 with fp32 (a CPU with AVX512_BF16), in the same process; it
holds the 3B-shape operands and layer of each backend and peaks at ~8.5 GB.
--precision bf16 measures in bf16 and then compares it with fp32 likewise: Linear
GFLOP/s at the encoders' shapes and tokens/s at the ESM-2 3B layer shape (one
random layer of width 2560), ESM-2 35M and DNABERT-S.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd, g, bf) },
	}
	f := cmd.PersistentFlags()
	addBLASFlag(f, &bf.blas)
	addBenchPrecisionFlag(cmd.Flags(), &bf.precision)
	f.IntVar(&bf.sequences, "sequences", 0, "sequences per pass of each encoder (default: 64, one default 8192-token predict batch; 16 with --blas go)")
	f.Float64Var(&bf.seconds, "seconds", 4, "approximate measuring time (split between the two encoders; each runs at least one round)")
	cmd.Flags().BoolVar(&bf.rss, "rss", false, "also measure the peak memory of loading a 393 MB ESM-2 in each weight format (writes ~1 GB of temporary files)")
	cmd.Flags().BoolVar(&bf.compare, "compare", false, "also compare the native kernels with OpenBLAS: SGEMM GFLOP/s at the encoders' shapes (ESM-2 3B, 35M, DNABERT-S) and tokens/s on each at the ESM-2 3B layer shape (one random layer of width 2560, ~315 MB), ESM-2 35M and DNABERT-S; then bf16 against fp32 at the same shapes (where the CPU has AVX512_BF16); peaks at ~8.5 GB")
	cmd.AddCommand(newBenchRSSChildCmd(), newBenchESM3BCmd(g, bf))
	return cmd
}

// runBench measures both encoders and prints the figures.
func runBench(cmd *cobra.Command, g *globalOptions, bf *benchFlags) error {
	out := cmd.OutOrStdout()
	b, err := tensor.Open(tensor.Spec{Device: "cpu", BLAS: bf.blas, Precision: bf.precision, Threads: g.threads})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "CPU: %s, %d threads, backend %s, %s\n", perf.CPUModel(), g.threads, b.Name(), bf.precision)
	dir, err := os.MkdirTemp("", "virnucpro-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	budget := time.Duration(bf.seconds / 2 * float64(time.Second))
	// Generating the random models takes memory of its own: not part of the peak.
	if err := perf.WriteESM2(mkdir(dir, "esm2")); err != nil {
		return err
	}
	if err := perf.WriteDNABERT(mkdir(dir, "dnabert")); err != nil {
		return err
	}
	// One default predict batch per pass; the pure-Go GEMM would take minutes
	// over that, so it gets a quarter of it unless told otherwise.
	esmSeqs, dnaSeqs := perf.BenchESM2Sequences, perf.BenchDNABERTSequences
	if b.Name() == "go" {
		esmSeqs, dnaSeqs = esmSeqs/4, dnaSeqs/4
	}
	if bf.sequences > 0 {
		esmSeqs, dnaSeqs = bf.sequences, bf.sequences
	}
	rssReset := perf.ResetPeakRSS() == nil
	var weightBytes int64
	for _, mk := range []func() (*perf.Workload, error){
		func() (*perf.Workload, error) { return perf.ESM2(b, mkdir(dir, "esm2"), esmSeqs) },
		func() (*perf.Workload, error) { return perf.DNABERT(b, mkdir(dir, "dnabert"), dnaSeqs) },
	} {
		w, err := mk()
		if err != nil {
			return err
		}
		res, err := perf.Measure(b, w, 1, budget)
		if err != nil {
			return err
		}
		weightBytes += w.WeightBytes
		fmt.Fprintf(out, "%s\n  %.0f tokens/s  %.1f GFLOP/s  raw SGEMM %.1f GFLOP/s (2048×%d·%d×%dᵀ)  ratio %.2f  (rounds of %d sequences, %d tokens: %d, %.1f s in the encoder)\n",
			w.Shape, res.TokensPerSecond(), res.GFLOPS, res.RawGFLOPS, w.RawK, w.RawN, w.RawK, res.Ratio(), w.Sequences(), w.Tokens(), res.Rounds, res.Seconds)
	}
	if peak, err := perf.PeakRSS(); err == nil && rssReset {
		fmt.Fprintf(out, "peak RSS %.0f MB: %.2f× the float32 weights of both models (%.0f MB), activations and the raw-SGEMM operands included\n",
			float64(peak)/1e6, float64(peak)/float64(weightBytes), float64(weightBytes)/1e6)
	}
	if bf.compare {
		if err := perf.CompareCPU(out, g.threads, dir, esmSeqs, dnaSeqs, budget); err != nil {
			return err
		}
	}
	if bf.compare || bf.precision == "bf16" {
		if err := perf.CompareBF16(out, g.threads, dir, max(esmSeqs/4, 1), esmSeqs, dnaSeqs, budget); err != nil {
			return err
		}
	}
	if bf.rss {
		return benchRSS(cmd, dir, bf.blas)
	}
	return nil
}

// benchRSS measures the peak memory of loading a model, in child processes.
func benchRSS(cmd *cobra.Command, dir, blas string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for _, format := range perf.RSSFormats {
		path, weights, err := perf.WriteRSSModel(mkdir(dir, "rss-"+format), format)
		if err != nil {
			return err
		}
		child := exec.Command(self, "bench", "rss-child", path, "--blas", blas)
		out, err := child.CombinedOutput()
		if err != nil {
			return fmt.Errorf("memory measurement (%s): %v\n%s", format, err, out)
		}
		peak, err := perf.ParseRSSChild(out)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "load + embed, ESM-2 %d×%d from %s: peak RSS %.0f MB = %.3f× its float32 weights (%.0f MB)\n",
			perf.RSSLayers, perf.RSSDim, format, float64(peak)/1e6, float64(peak)/float64(weights), float64(weights)/1e6)
	}
	return nil
}

func mkdir(parent, name string) string {
	d := parent + "/" + name
	os.MkdirAll(d, 0o755)
	return d
}

// newBenchRSSChildCmd is the child process of bench --rss.
func newBenchRSSChildCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "rss-child PATH",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return perf.RSSChild(args[0], cmd.OutOrStdout())
		},
	}
}
