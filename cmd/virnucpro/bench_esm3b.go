package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/perf"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// esm3bFlags are `bench esm2-3b`'s options.
type esm3bFlags struct {
	checkpoint string
	cpuprofile string
	loadOnly   bool
	precision  string
	streamed   bool
}

// newBenchESM3BCmd builds `bench esm2-3b`: load + embed at the true ESM-2 3B shape.
func newBenchESM3BCmd(g *globalOptions, bf *benchFlags) *cobra.Command {
	ef := &esm3bFlags{}
	cmd := &cobra.Command{
		Use:   "esm2-3b",
		Short: "Measure loading and embedding with ESM-2 3B (a random checkpoint in fair-esm's layout, or the real one)",
		Long: fmt.Sprintf(`Loads an ESM-2 checkpoint from the page cache and embeds %d VirNucPro-like
proteins (%d tokens) in one batch, printing the time of each step, the peak memory
against the model's float32 weights, and load + embed against fair-esm's recorded
figures for the same work (%d s + %d s).

Without --checkpoint it uses a random ESM-2 3B (%d × %d, %d heads) in fair-esm's
released layout (float16 torch.save zip, 5.7 GB), written once to %s
and kept for the next run (delete it when done). The file is read through once
before loading, so the load is timed from the page cache. Needs ~12 GB of memory
(~6 GB with --precision bf16).`,
			perf.ESM3BProteins, perf.ESM3BTokens, perf.FairESM3BLoadSeconds, perf.FairESM3BEmbedSeconds,
			perf.ESM3BLayers, perf.ESM3BDim, perf.ESM3BHeads, defaultESM3BPath()),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBenchESM3B(cmd, g, bf, ef) },
	}
	f := cmd.Flags()
	f.StringVar(&ef.checkpoint, "checkpoint", "", "ESM-2 checkpoint to measure (default: the random ESM-2 3B, written if absent)")
	f.StringVar(&ef.cpuprofile, "cpuprofile", "", "write a CPU profile (pprof) of loading and embedding to this file")
	f.BoolVar(&ef.loadOnly, "load-only", false, "only load the checkpoint (skip embedding)")
	addESMStreamedFlag(f, &ef.streamed)
	f.StringVar(&ef.precision, "precision", "fp32", "fp32, or bf16 (a CPU with AVX512_BF16: the Linear weights held and multiplied in bfloat16, as predict --precision bf16 does)")
	return cmd
}

func defaultESM3BPath() string {
	return filepath.Join(os.TempDir(), "virnucpro-bench-esm2_t36_3B-random.pt")
}

// runBenchESM3B writes the random checkpoint if needed, then measures.
func runBenchESM3B(cmd *cobra.Command, g *globalOptions, bf *benchFlags, ef *esm3bFlags) error {
	out := cmd.OutOrStdout()
	path := ef.checkpoint
	if path == "" {
		path = defaultESM3BPath()
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(out, "writing a random ESM-2 3B checkpoint (5.7 GB) to %s\n", path)
		}
		if err := perf.WriteESM3B(path); err != nil {
			return err
		}
	}
	b, err := tensor.Open(tensor.Spec{Device: "cpu", BLAS: bf.blas, Precision: ef.precision, Threads: g.threads})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "CPU: %s, %d threads, backend %s, %s; load average %s (wall-clock figures are inflated when it exceeds the cores)\n", perf.CPUModel(), g.threads, b.Name(), ef.precision, perf.LoadAverage())
	proteins, err := perf.VirNucProProteins(perf.ESM3BProteins, perf.ESM3BTokens, 1)
	if err != nil {
		return err
	}
	if ef.cpuprofile != "" {
		f, err := os.Create(ef.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	m, res, err := perf.LoadESM2(path, b, ef.streamed)
	if err != nil {
		return err
	}
	res.PrintLoad(out)
	if ef.loadOnly {
		fmt.Fprintf(out, "load average at the end: %s\n", perf.LoadAverage())
		return nil
	}
	if err := res.Embed(m, b, proteins); err != nil {
		return err
	}
	res.PrintEmbed(out)
	fmt.Fprintf(out, "load average at the end: %s\n", perf.LoadAverage())
	return nil
}
