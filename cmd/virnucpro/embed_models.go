package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/pipeline"
)

var embedFlags struct {
	weights, in, out string
	maxTokens        int
	blas, device     string
	precision        string
	reprLayer        int
	pool             string
}

func embedCommand(use, short, model string, load func() (pipeline.Encoder, error), dna bool) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if embedFlags.in == "" || embedFlags.out == "" {
				return errors.New("-i and -o are required")
			}
			if err := resolveModelOptions(slog.Default(), modelOption{flag: "--weights", val: &embedFlags.weights, model: model}); err != nil {
				return err
			}
			enc, err := load()
			if err != nil {
				return err
			}
			return runEmbed(enc, dna)
		},
	}
}

func backend() pipeline.BackendOptions {
	return pipeline.BackendOptions{Device: embedFlags.device, BLAS: embedFlags.blas, Precision: embedFlags.precision,
		Threads: global.threads, ReprLayer: embedFlags.reprLayer}
}

func init() {
	esm := embedCommand("esm2 [--weights PATH] -i PROTEINS.fa -o OUT.safetensors", "Mean ESM-2 embeddings of proteins", "esm2-3b", func() (pipeline.Encoder, error) {
		pool, err := esm2.ParsePooling(embedFlags.pool)
		if err != nil {
			return nil, err
		}
		b, err := pipeline.OpenBackend(backend(), slog.Default())
		if err != nil {
			return nil, err
		}
		return esm2.Load(embedFlags.weights, b, esm2.Options{ReprLayer: embedFlags.reprLayer, Pool: pool})
	}, false)
	dna := embedCommand("dnabert [--weights DIR] -i NUCLEOTIDES.fa -o OUT.safetensors", "Mean DNABERT-S embeddings of DNA sequences", "dnabert-s", func() (pipeline.Encoder, error) {
		b, err := pipeline.OpenBackend(backend(), slog.Default())
		if err != nil {
			return nil, err
		}
		return dnabert.Load(embedFlags.weights, b)
	}, true)
	for _, c := range []*cobra.Command{esm, dna} {
		f := c.Flags()
		f.StringVar(&embedFlags.weights, "weights", "", "model weights (file or directory; default: esm2-3b / dnabert-s as virnucpro weights list finds it)")
		f.StringVarP(&embedFlags.in, "input", "i", "", "input FASTA")
		f.StringVarP(&embedFlags.out, "output", "o", "", "output safetensors (embeddings [N,D] + ids)")
		f.IntVar(&embedFlags.maxTokens, "max-tokens", 8192, "token budget per packed batch (0: no packing)")
		f.StringVar(&embedFlags.blas, "blas", "auto", "CPU matrix kernels: auto (native where the CPU has AVX2+FMA, else go), native, openblas (only if row-invariant) or go")
		f.StringVar(&embedFlags.device, "device", "auto", "auto, cpu, cuda or cuda:N")
		f.StringVar(&embedFlags.precision, "precision", "fp32", "GPU precision: fp32, fp16 or bf16")
		embedCmd.AddCommand(c)
	}
	esm.Flags().IntVar(&embedFlags.reprLayer, "repr-layer", -1, "representation layer (-1: last)")
	esm.Flags().StringVar(&embedFlags.pool, "pool", "virnucpro", "virnucpro (residues 1..min(len,1024)) or full (1..len)")
}

// runEmbed embeds every record of the input in packed batches and writes the
// embedding file in input order. Sequences are held in memory (embedding inputs are
// per-frame files, not genomes).
func runEmbed(enc pipeline.Encoder, dna bool) error {
	r, err := fasta.Open(embedFlags.in)
	if err != nil {
		return err
	}
	defer r.Close()
	if dna {
		r.RequireDNA()
	}
	var ids []string
	var toks [][]int32
	seen := map[string]bool{}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if seen[rec.ID] {
			return fmt.Errorf("%s:%d: record %q: duplicate id", r.Name(), rec.Line, rec.ID)
		}
		seen[rec.ID] = true
		t, err := enc.Tokenize(rec.Seq)
		if err != nil {
			return fmt.Errorf("%s:%d: record %q: %w", r.Name(), rec.Line, rec.ID, err)
		}
		ids = append(ids, rec.ID)
		toks = append(toks, t)
	}
	items := make([]batch.Item, len(toks))
	for i, t := range toks {
		items[i] = batch.Item{Index: i, Tokens: len(t)}
	}
	plan := batch.Plan(items, embedFlags.maxTokens)
	slog.Info("embedding", "model", enc.Name(), "sequences", len(ids), "batches", len(plan),
		"token_efficiency", fmt.Sprintf("%.3f", batch.Efficiency(plan, embedFlags.maxTokens)))
	dim := enc.Dim()
	data := make([]float32, len(ids)*dim)
	for _, b := range plan {
		bt := make([][]int32, len(b.Items))
		out := make([][]float32, len(b.Items))
		for i, it := range b.Items {
			bt[i] = toks[it.Index]
			out[i] = data[it.Index*dim : (it.Index+1)*dim]
		}
		if err := enc.EmbedBatch(bt, out); err != nil {
			return err
		}
	}
	return embedfile.Write(embedFlags.out, ids, data, dim)
}
