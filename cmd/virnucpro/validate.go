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

func validateFile(w io.Writer, path string) error {
	r, err := fasta.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	r.RequireDNA()
	var (
		n, ambiguous, empty, dups int
		total, minLen, maxLen     int
		seen                      = map[string]int{}
		problems                  []string
	)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		n++
		L := len(rec.Seq)
		total += L
		if n == 1 || L < minLen {
			minLen = L
		}
		maxLen = max(maxLen, L)
		if L == 0 {
			empty++
			problems = append(problems, fmt.Sprintf("%s:%d: record %q has no sequence", path, rec.Line, rec.ID))
		}
		for _, c := range rec.Seq {
			if c != 'A' && c != 'C' && c != 'G' && c != 'T' && c != 'a' && c != 'c' && c != 'g' && c != 't' {
				ambiguous++
				break
			}
		}
		if first, ok := seen[rec.ID]; ok {
			dups++
			problems = append(problems, fmt.Sprintf("%s:%d: record %q: duplicate id (first at line %d)", path, rec.Line, rec.ID, first))
		} else {
			seen[rec.ID] = rec.Line
		}
	}
	mean := 0.0
	if n > 0 {
		mean = float64(total) / float64(n)
	}
	status := "valid"
	if len(problems) > 0 {
		status = "INVALID"
	}
	fmt.Fprintf(w, "%s\t%s\trecords=%d\tbases=%d\tmin=%d\tmax=%d\tmean=%.1f\tambiguous_records=%d\tempty_records=%d\tduplicate_ids=%d\n",
		path, status, n, total, minLen, maxLen, mean, ambiguous, empty, dups)
	for i, p := range problems {
		if i == 20 {
			fmt.Fprintf(os.Stderr, "... and %d more problems\n", len(problems)-20)
			break
		}
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: invalid (%d empty records, %d duplicate ids)", path, empty, dups)
	}
	return nil
}
