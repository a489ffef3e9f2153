package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/fasta"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate IN.fa[.gz]...",
		Short: "Check DNA FASTA input and report per-file statistics; exit 0 only when valid",
		Long: `Read each file completely and report records, min/max/mean length, records with
ambiguous (non-ACGT) bases, empty records and duplicate ids. A file is invalid when it
cannot be parsed (the error names file, record and line), holds letters outside IUPAC
DNA, an empty record (the original crashes on it) or a duplicate id.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				if err := validateFile(cmd.OutOrStdout(), path); err != nil {
					fmt.Fprintf(os.Stderr, "%v\n", err)
					bad++
				}
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d files invalid", bad, len(args))
			}
			return nil
		},
	}
}

// maxProblems is the number of problems validate lists per file (all are counted).
const maxProblems = 20

// validateFile checks one file in memory independent of its size: bases are counted,
// not kept, and ids go to a fasta.IDSet (≤ ~21 bytes each, spilled to $TMPDIR).
func validateFile(w io.Writer, path string) error {
	r, err := fasta.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	r.RequireDNA()
	r.CountOnly()
	ids, err := fasta.NewIDSet("")
	if err != nil {
		return err
	}
	defer ids.Close()
	var (
		n, ambiguous, empty, dups, problems int
		total, minLen, maxLen               int
	)
	problem := func(format string, a ...any) {
		if problems++; problems <= maxProblems {
			fmt.Fprintf(os.Stderr, format+"\n", a...)
		}
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		n++
		L := rec.Length()
		total += L
		if n == 1 || L < minLen {
			minLen = L
		}
		maxLen = max(maxLen, L)
		if L == 0 {
			empty++
			problem("%s:%d: record %q has no sequence", path, rec.Line, rec.ID)
		}
		if rec.NonACGT {
			ambiguous++
		}
		first, dup, err := ids.Add(rec.ID, rec.Line)
		if err != nil {
			return err
		}
		if dup {
			dups++
			problem("%s:%d: record %q: duplicate id (first at line %d)", path, rec.Line, rec.ID, first)
		}
	}
	mean := 0.0
	if n > 0 {
		mean = float64(total) / float64(n)
	}
	status := "valid"
	if problems > 0 {
		status = "INVALID"
	}
	fmt.Fprintf(w, "%s\t%s\trecords=%d\tbases=%d\tmin=%d\tmax=%d\tmean=%.1f\tambiguous_records=%d\tempty_records=%d\tduplicate_ids=%d\n",
		path, status, n, total, minLen, maxLen, mean, ambiguous, empty, dups)
	if problems > maxProblems {
		fmt.Fprintf(os.Stderr, "... and %d more problems\n", problems-maxProblems)
	}
	if problems > 0 {
		return fmt.Errorf("%s: invalid (%d empty records, %d duplicate ids)", path, empty, dups)
	}
	return nil
}
