package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// embedFlags are the options of embed esm2 and embed dnabert.
type embedFlags struct {
	weights, in, out string
	inputs           []string // the positional inputs, and -i's
	stdout           io.Writer
	maxTokens        int
	dev              deviceFlags
	reprLayer        int
	esmStreamed      bool
	pool             string
}

// register adds the flags both embed commands take.
func (ef *embedFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&ef.weights, "weights", "", "model weights (file or directory; default: esm2-3b / dnabert-s as virnucpro weights list finds it)")
	fs.StringVarP(&ef.in, "input", "i", "", "input FASTA (the same as giving it as an argument)")
	fs.MarkHidden("input")
	addOutputFlag(fs, &ef.out, "output safetensors (embeddings [N,D] + ids; - for standard output)")
	addMaxTokensFlag(fs, &ef.maxTokens)
	ef.dev.register(fs)
}

// embedCommand builds one embed subcommand: load opens the model on a backend.
func embedCommand(g *globalOptions, ef *embedFlags, use, short, model string, load func(b tensor.Backend) (pipeline.Encoder, error), dna bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if ef.in != "" {
				args = append([]string{ef.in}, args...)
			}
			if len(args) == 0 || ef.out == "" {
				return errors.New("an input FASTA and -o are required")
			}
			ef.inputs, ef.stdout = args, cmd.OutOrStdout()
			if err := resolveModelOptions(modelOption{flag: "--weights", val: &ef.weights, model: model}); err != nil {
				return err
			}
			b, err := tensor.Open(ef.dev.spec(g.threads))
			if err != nil {
				return err
			}
			enc, err := load(b)
			if err != nil {
				return err
			}
			return runEmbed(ef, enc, dna)
		},
	}
	ef.register(cmd.Flags())
	return cmd
}

func newEmbedESMCmd(g *globalOptions) *cobra.Command {
	ef := &embedFlags{}
	var pool esm2.Pooling
	cmd := embedCommand(g, ef, "esm2 PROTEINS.fa... [--weights PATH] -o OUT.safetensors", "Mean ESM-2 embeddings of proteins", "esm2-3b",
		func(b tensor.Backend) (pipeline.Encoder, error) {
			return esm2.Load(ef.weights, b, esm2.Options{ReprLayer: ef.reprLayer, Pool: pool, Streamed: ef.esmStreamed})
		}, false)
	addReprLayerFlag(cmd.Flags(), &ef.reprLayer)
	addESMStreamedFlag(cmd.Flags(), &ef.esmStreamed)
	cmd.Flags().StringVar(&ef.pool, "pool", "virnucpro", "virnucpro (residues 1..min(len,1024)) or full (1..len)")
	cmd.PreRunE = func(*cobra.Command, []string) (err error) {
		pool, err = esm2.ParsePooling(ef.pool)
		return err
	}
	return cmd
}

func newEmbedDNABERTCmd(g *globalOptions) *cobra.Command {
	ef := &embedFlags{}
	return embedCommand(g, ef, "dnabert NUCLEOTIDES.fa... [--weights DIR] -o OUT.safetensors", "Mean DNABERT-S embeddings of DNA sequences", "dnabert-s",
		func(b tensor.Backend) (pipeline.Encoder, error) { return dnabert.Load(ef.weights, b) }, true)
}

// runEmbed embeds every record of the input in packed batches and writes the
// embedding file in input order. Sequences are held in memory (embedding inputs are
// per-frame files, not genomes).
func runEmbed(ef *embedFlags, enc pipeline.Encoder, dna bool) error {
	r, err := fasta.OpenAll(ef.inputs, fasta.Options{})
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
	plan := batch.Plan(items, ef.maxTokens)
	slog.Info("embedding", "model", enc.Name(), "sequences", len(ids), "batches", len(plan),
		"token_efficiency", fmt.Sprintf("%.3f", batch.Efficiency(plan, ef.maxTokens)))
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
	if ef.out == "-" {
		return embedfile.WriteStream(ef.stdout, ids, data, dim)
	}
	return embedfile.Write(ef.out, ids, data, dim)
}
