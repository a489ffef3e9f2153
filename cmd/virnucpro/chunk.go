package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/seqprep"
)

func newChunkCmd(g *globalOptions) *cobra.Command {
	var chunkFlags struct {
		size int
		out  string
	}
	cmd := &cobra.Command{
		Use:   "chunk INPUT... --chunk-size 300|500 -o OUT.fa",
		Short: "Cut records into VirNucPro chunks (the original split_fasta_chunk, byte-identical)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if chunkFlags.out == "" {
				return fmt.Errorf("-o/--output is required (- for standard output)")
			}
			if chunkFlags.size < 1 {
				return fmt.Errorf("--chunk-size %d: must be a positive number of bp (VirNucPro: 300 or 500)", chunkFlags.size)
			}
			return writeRecords(args, chunkFlags.out, cmd.OutOrStdout(), g.threads, func(rec *fasta.Record) ([]byte, error) {
				if len(rec.Seq) == 0 {
					slog.Warn("record has no sequence; skipped", "record", rec.ID, "line", rec.Line)
					return nil, nil
				}
				var b bytes.Buffer
				for _, c := range seqprep.Chunks(rec.ID, rec.Seq, chunkFlags.size) {
					b.WriteByte('>')
					b.WriteString(c.ID)
					b.WriteByte('\n')
					for s := c.Seq; len(s) > 0; {
						k := min(60, len(s))
						b.Write(s[:k])
						b.WriteByte('\n')
						s = s[k:]
					}
				}
				return b.Bytes(), nil
			})
		},
	}
	cmd.Flags().IntVar(&chunkFlags.size, "chunk-size", 500, "chunk size in bp (VirNucPro uses 300 or 500)")
	aliasFlags(cmd.Flags(), map[string]string{"size": "chunk-size"})
	addOutputFlag(cmd.Flags(), &chunkFlags.out, "output FASTA (- for standard output)")
	return cmd
}

// writeRecords maps every record of the inputs (read as one stream) through fn on all
// threads and writes the results, in input order, atomically to out ("-": stdout).
func writeRecords(in []string, out string, stdout io.Writer, threads int, fn func(rec *fasta.Record) ([]byte, error)) error {
	r, err := fasta.OpenAll(in, fasta.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	r.RequireDNA()
	if out == "-" {
		return fasta.MapOrdered(r, threads, fn, stdout)
	}
	f, err := atomicfile.Create(out)
	if err != nil {
		return err
	}
	if err := fasta.MapOrdered(r, threads, fn, f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
