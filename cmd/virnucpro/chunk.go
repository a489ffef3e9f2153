package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

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
			return writeRecords(args, chunkFlags.out, cmd.OutOrStdout(), g.threads, func(rec *fasta.Record, w io.Writer) error {
				if rec.Length() == 0 {
					slog.Warn("record has no sequence; skipped", "record", rec.ID, "line", rec.Line)
					return nil
				}
				var b bytes.Buffer
				return seqprep.EachChunk(rec, chunkFlags.size, func(c seqprep.Chunk) error {
					b.Reset()
					b.WriteByte('>')
					b.WriteString(c.ID)
					b.WriteByte('\n')
					for s := c.Seq; len(s) > 0; {
						k := min(60, len(s))
						b.Write(s[:k])
						b.WriteByte('\n')
						s = s[k:]
					}
					_, err := w.Write(b.Bytes())
					return err
				})
			})
		},
	}
	cmd.Flags().IntVar(&chunkFlags.size, "chunk-size", 500, "chunk size in bp (VirNucPro uses 300 or 500)")
	aliasFlags(cmd.Flags(), map[string]string{"size": "chunk-size"})
	addOutputFlag(cmd.Flags(), &chunkFlags.out, "output FASTA (- for standard output)")
	return cmd
}

// spillBases is the sequence length above which chunk and translate keep a record on
// disk (next to their output) instead of in memory: longer records are cut while they
// are read back, one chunk at a time.
var spillBases = 16 << 20

// writeRecords maps every record of the inputs (read as one stream) through fn on all
// threads and writes the results, in input order, atomically to out ("-": standard
// output). Records longer than spillBases are spilled (next to out, or in the temporary
// directory for standard output) and given to fn one at a time (see fasta.MapOrdered).
func writeRecords(in []string, out string, stdout io.Writer, threads int, fn func(rec *fasta.Record, w io.Writer) error) error {
	r, err := fasta.OpenAll(in, fasta.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	r.RequireDNA()
	if out == "-" {
		r.SpillLongerThan(spillBases, "")
		return fasta.MapOrdered(r, threads, fn, stdout)
	}
	r.SpillLongerThan(spillBases, filepath.Dir(out))
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
