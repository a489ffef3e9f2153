package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/seqprep"
)

func newTranslateCmd(g *globalOptions) *cobra.Command {
	var translateFlags struct {
		nucleotide, protein string
		size                int
	}
	cmd := &cobra.Command{
		Use:   "translate CHUNKED.fa... --nucleotide OUT_NUC.fa --protein OUT_PROT.faa",
		Short: "Six-frame translation keeping stop-free frames (the original identify_seq, byte-identical)",
		Long: `Translate each record (normally the output of 'virnucpro chunk') in six frames and keep
the frames without a stop codon, writing their nucleotide slices and proteins as the
original does (ids <record>F1..F3 / R1..R3, one line per sequence). With --chunk-size the
input is chunked first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if translateFlags.nucleotide == "" || translateFlags.protein == "" {
				return fmt.Errorf("--nucleotide and --protein are required")
			}
			if translateFlags.size < 0 {
				return fmt.Errorf("--chunk-size %d: must be 0 (the input is already chunked) or a positive number of bp", translateFlags.size)
			}
			r, err := fasta.OpenAll(args, fasta.Options{})
			if err != nil {
				return err
			}
			defer r.Close()
			r.RequireDNA()
			if translateFlags.size > 0 {
				r.SpillLongerThan(spillBases, filepath.Dir(translateFlags.nucleotide))
			}
			nuc, err := atomicfile.Create(translateFlags.nucleotide)
			if err != nil {
				return err
			}
			prot, err := atomicfile.Create(translateFlags.protein)
			if err != nil {
				nuc.Abort()
				return err
			}
			split := &splitWriter{a: nuc, b: prot}
			err = fasta.MapOrdered(r, g.threads, func(rec *fasta.Record, w io.Writer) error {
				var n, p bytes.Buffer
				each := func(c seqprep.Chunk) error {
					n.Reset()
					p.Reset()
					for _, f := range seqprep.Translate(c.ID, c.Seq) {
						fmt.Fprintf(&n, ">%s\n%s\n", f.ID, f.Nucleotide)
						fmt.Fprintf(&p, ">%s\n%s\n", f.ID, f.Protein)
					}
					_, err := w.Write(pair(n.Bytes(), p.Bytes()))
					return err
				}
				if translateFlags.size > 0 {
					return seqprep.EachChunk(rec, translateFlags.size, each)
				}
				return each(seqprep.Chunk{ID: rec.ID, Seq: rec.Seq})
			}, split)
			if err != nil {
				nuc.Abort()
				prot.Abort()
				return err
			}
			if err := nuc.Commit(); err != nil {
				prot.Abort()
				return err
			}
			return prot.Commit()
		},
	}
	cmd.Flags().StringVar(&translateFlags.nucleotide, "nucleotide", "", "output FASTA of kept frames' nucleotide slices")
	cmd.Flags().StringVar(&translateFlags.protein, "protein", "", "output FASTA of kept frames' proteins")
	cmd.Flags().IntVar(&translateFlags.size, "chunk-size", 0, "chunk the input first (0: the input is already chunked)")
	return cmd
}

// splitWriter receives length-prefixed (nucleotide, protein) pairs, as produced by
// pair, and writes each half to its file.
type splitWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func pair(n, p []byte) []byte {
	out := binary.AppendUvarint(nil, uint64(len(n)))
	out = append(out, n...)
	out = binary.AppendUvarint(out, uint64(len(p)))
	return append(out, p...)
}

func (s *splitWriter) Write(data []byte) (int, error) {
	total := len(data)
	for i := 0; len(data) > 0; i++ {
		n, k := binary.Uvarint(data)
		if k <= 0 || uint64(len(data)-k) < n {
			return 0, fmt.Errorf("internal error: malformed translation output")
		}
		w := s.a
		if i%2 == 1 {
			w = s.b
		}
		if _, err := w.Write(data[k : k+int(n)]); err != nil {
			return 0, err
		}
		data = data[k+int(n):]
	}
	return total, nil
}
